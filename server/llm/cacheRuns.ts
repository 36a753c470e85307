// A generation's way through the KV cache: an ordinary context, or a bounded one under an
// eviction policy. LlamaEngine picks one per request; both report the same cache figures.
import type { LlamaContext, LlamaContextSequence, Token } from "node-llama-cpp" with { "resolution-mode": "import" };
import type { GenerateParams, KvCacheReport } from "../../shared/inferenceMessages";
import type { BoundedCache } from "./openModelContext";

/** One generation's way through the KV cache: a full context, or a bounded one under an eviction policy. */
export interface CacheRun {
    /** Evaluates the prompt but its tail (which `tokens` feeds); returns early, without throwing, once the signal aborts. */
    evaluatePrompt(signal: AbortSignal, onProgress?: (evaluated: number, total: number) => void): Promise<void>;
    /** Feeds the prompt's tail and yields sampled tokens; ends at an end-of-generation token. */
    tokens(): AsyncGenerator<Token, void, void>;
    /** Called after each sampled token, for the cache figures. */
    afterToken(): void;
    report(): KvCacheReport;
}

/**
 * An ordinary context: the prompt in batches, then node-llama-cpp's evaluate (which shifts the context when generation
 * runs past its end; those tokens count as evicted).
 */
export function fullCacheRun({ context, sequence }: { context: LlamaContext; sequence: LlamaContextSequence }, input: readonly Token[], params: GenerateParams): CacheRun {
    const batch = context.batchSize;
    let at = 0;
    let peak = 0;
    let evicted = 0;
    /** Cells held after the last step, and how many the next step adds. */
    let held = 0;
    let adding = 0;
    return {
        async evaluatePrompt(signal, onProgress) {
            await sequence.clearHistory();
            while (input.length - at > batch && !signal.aborted) {
                await sequence.evaluateWithoutGeneratingNewTokens(input.slice(at, at + batch));
                at += batch;
                onProgress?.(at, input.length);
                held = sequence.nextTokenIndex;
                peak = Math.max(peak, held);
            }
            adding = input.length - at;
        },
        tokens() {
            return sequence.evaluate(input.slice(at), { temperature: params.temperature, seed: params.seed });
        },
        afterToken() {
            const now = sequence.nextTokenIndex;
            evicted += Math.max(0, held + adding - now);
            held = now;
            adding = 1;
            peak = Math.max(peak, now);
        },
        report: () => ({ policy: "full", kvBudget: context.contextSize, kvPeakCells: peak, evictedTokens: evicted, contextMemoryBytes: contextMemoryBytes(context) }),
    };
}

/** A bounded cache: the prompt in chunks with evictions after each, generation keeping the budget (KvPolicyRunner). */
export function boundedCacheRun(bounded: BoundedCache, input: readonly Token[], params: GenerateParams, question: readonly Token[] | undefined): CacheRun {
    const { session, fallbackReason } = bounded;
    let runner = session.runner;
    return {
        async evaluatePrompt(signal, onProgress) {
            runner = await session.restart({ question: question !== undefined });
            try {
                await runner.evaluate(input.slice(0, -1), { signal, ...(question === undefined ? {} : { observation: question }), ...(onProgress ? { onChunk: onProgress } : {}) });
            } catch (error) {
                if (!signal.aborted) {
                    throw error;
                }
            }
        },
        tokens() {
            return runner.generate(input.slice(-1), { maxTokens: params.maxTokens, temperature: params.temperature, seed: params.seed, ...(question === undefined ? {} : { observation: question }) });
        },
        afterToken() {},
        report() {
            const stats = runner.stats;
            return {
                policy: stats.policy,
                kvBudget: stats.kvBudget,
                kvPeakCells: stats.kvPeakCells,
                evictedTokens: stats.evictedTokens,
                contextMemoryBytes: contextMemoryBytes(session.context),
                ...(fallbackReason === undefined ? {} : { fallbackReason }),
                ...(stats.policy === "query-aware" ? { observationTokens: stats.observationTokens } : {}),
            };
        },
    };
}

/** node-llama-cpp's estimate of the context's footprint (KV cache + compute buffers), else llama.cpp's state size. */
function contextMemoryBytes(context: LlamaContext): number {
    const { ram, vram } = context.memoryUsage;
    return ram + vram > 0 ? ram + vram : context.stateSize;
}
