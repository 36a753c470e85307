import type { LlamaContext, LlamaContextSequence, LlamaModel } from "node-llama-cpp" with { "resolution-mode": "import" };
import { AttentionAccumulator, AttentionAccumulatorUnavailableError, h2oContextOptions } from "./AttentionAccumulator";
import { HeavyHitterPolicy } from "./HeavyHitterPolicy";
import { KvBudget, type KvBudgetOptions } from "./KvBudget";
import type { KvEvictionPolicy } from "./KvEvictionPolicy";
import { KvPolicyRunner } from "./KvPolicyRunner";
import { QueryAwarePolicy, type QueryAwareOptions } from "./QueryAwarePolicy";
import { SinkWindowPolicy } from "./SinkWindowPolicy";

export interface KvPolicySessionOptions extends KvBudgetOptions {
    /** Tokens per evaluated chunk. Defaults to 512 (capped at windowLength). */
    chunkSize?: number;
    /** Threads of the context. Defaults to node-llama-cpp's choice. */
    threads?: number;
    /** Tokens per llama.cpp batch. Defaults to node-llama-cpp's (512, or the context size if smaller). */
    batchSize?: number;
    /**
     * "query-aware" adds the question's attention (an observation window after each chunk) to H2O's for runs that
     * carry a question (restart({ question: true })), and is H2O for the others; "sink-window" runs that policy even
     * where the accumulator exists (a baseline). Defaults to "h2o". Without the accumulator every policy falls back
     * to sink-window.
     */
    policy?: "h2o" | "query-aware" | "sink-window";
    /** query-aware only: how its heavy-hitter slots are shared (QueryAwarePolicy). */
    queryAware?: QueryAwareOptions;
}

export interface KvPolicySession {
    readonly context: LlamaContext;
    readonly sequence: LlamaContextSequence;
    /** The runner of the current run (the one restart() made last). */
    readonly runner: KvPolicyRunner;
    /** The session's policy (query-aware sessions run H2O for runs without a question: see runner.policy). */
    readonly policy: KvEvictionPolicy;
    /** Present when the policy is "h2o" or "query-aware". */
    readonly accumulator?: AttentionAccumulator;
    /** Why H2O fell back to the sink window, when it did (for logs; outputs say `"policy": "sink-window"`). */
    readonly fallbackReason?: string;
    /**
     * Empties the sequence and zeroes its scores for a new, unrelated run; returns its runner (also `runner` from now
     * on). A query-aware session runs query-aware only when the run has a question to observe, H2O otherwise.
     */
    restart(run?: { question?: boolean }): Promise<KvPolicyRunner>;
    dispose(): Promise<void>;
}

/**
 * A context + sequence + runner for a bounded-KV run: H2O when the model was loaded through loadH2oLlama() (the
 * accumulator build), otherwise the sink-window fallback with the reason. The context is sized windowLength + chunk
 * (+ the cell node-llama-cpp keeps free; the chunk is one token shorter than asked when that saves 256 cells of
 * padding) and has flash attention off (the accumulator reads the non-flash softmax).
 */
export async function openKvPolicySession(model: LlamaModel, options: KvPolicySessionOptions): Promise<KvPolicySession> {
    const asked = new KvBudget(options);
    // The context holds windowLength + chunk cells for the prompt anyway: generation's batches fit in them for free.
    const fitted = (chunk: number): KvBudget =>
        options.generationSlack === undefined && asked.generationSlack >= chunk ? new KvBudget({ ...options, generationSlack: Math.max(1, chunk - 1) }) : asked;
    let chunkSize = Math.min(options.chunkSize ?? 512, asked.windowLength);
    let budget = fitted(chunkSize);
    // llama.cpp allocates contexts in multiples of 256 cells: when the one free cell node-llama-cpp needs would cost
    // another 256, a chunk one token shorter costs nothing.
    const shorter = chunkSize > 1 ? fitted(chunkSize - 1) : budget;
    if (chunkSize > 1 && padContextCells(budget.contextCells(chunkSize)) > padContextCells(budget.maxCells(chunkSize)) && shorter.maxCells(chunkSize - 1) < budget.maxCells(chunkSize)) {
        chunkSize--;
        budget = shorter;
    }
    const context = await model.createContext({
        ...h2oContextOptions(budget.contextCells(chunkSize)),
        ...(options.threads === undefined ? {} : { threads: options.threads }),
        ...(options.batchSize === undefined ? {} : { batchSize: options.batchSize }),
    });
    try {
        let accumulator: AttentionAccumulator | undefined;
        let fallbackReason: string | undefined;
        if (options.policy !== "sink-window") {
            try {
                accumulator = AttentionAccumulator.enable(context);
            } catch (err) {
                if (!(err instanceof AttentionAccumulatorUnavailableError)) throw err;
                fallbackReason = err.reason;
            }
        }
        const policy: KvEvictionPolicy =
            accumulator === undefined ? new SinkWindowPolicy(budget) : options.policy === "query-aware" ? new QueryAwarePolicy(budget, options.queryAware) : new HeavyHitterPolicy(budget);
        const sequence = context.getSequence();
        const withoutQuestion = policy.needsObservation ? new HeavyHitterPolicy(budget) : policy;
        const newRunner = (question = true): KvPolicyRunner => new KvPolicyRunner(sequence, question ? policy : withoutQuestion, { chunkSize, accumulator });
        let runner = newRunner();
        return {
            context,
            sequence,
            get runner() {
                return runner;
            },
            policy,
            ...(accumulator === undefined ? {} : { accumulator }),
            ...(fallbackReason === undefined ? {} : { fallbackReason }),
            async restart(run = {}) {
                await sequence.clearHistory();
                accumulator?.reset(sequence);
                runner = newRunner(run.question ?? true);
                return runner;
            },
            dispose: () => context.dispose(),
        };
    } catch (err) {
        await context.dispose();
        throw err;
    }
}

/** node-llama-cpp's context size padding (contextSizePad: llama.cpp's GGML_PAD of n_ctx to 256). */
const CONTEXT_CELLS_PAD = 256;

function padContextCells(cells: number): number {
    return Math.ceil(cells / CONTEXT_CELLS_PAD) * CONTEXT_CELLS_PAD;
}
