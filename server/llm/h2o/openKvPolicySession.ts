import type { LlamaContext, LlamaContextSequence, LlamaModel } from "node-llama-cpp" with { "resolution-mode": "import" };
import { AttentionAccumulator, AttentionAccumulatorUnavailableError, h2oContextOptions } from "./AttentionAccumulator";
import { HeavyHitterPolicy } from "./HeavyHitterPolicy";
import { KvBudget, type KvBudgetOptions } from "./KvBudget";
import type { KvEvictionPolicy } from "./KvEvictionPolicy";
import { KvPolicyRunner } from "./KvPolicyRunner";
import { SinkWindowPolicy } from "./SinkWindowPolicy";

export interface KvPolicySessionOptions extends KvBudgetOptions {
    /** Tokens per evaluated chunk. Defaults to 512 (capped at windowLength). */
    chunkSize?: number;
    /** Threads of the context. Defaults to node-llama-cpp's choice. */
    threads?: number;
}

export interface KvPolicySession {
    readonly context: LlamaContext;
    readonly sequence: LlamaContextSequence;
    readonly runner: KvPolicyRunner;
    readonly policy: KvEvictionPolicy;
    /** Present when the policy is "h2o". */
    readonly accumulator?: AttentionAccumulator;
    /** Why H2O fell back to the sink window, when it did (for logs; outputs say `"policy": "sink-window"`). */
    readonly fallbackReason?: string;
    dispose(): Promise<void>;
}

/**
 * A context + sequence + runner for a bounded-KV run: H2O when the model was loaded through loadH2oLlama() (the
 * accumulator build), otherwise the sink-window fallback with the reason. The context is sized windowLength + chunk
 * and has flash attention off (the accumulator reads the non-flash softmax).
 */
export async function openKvPolicySession(model: LlamaModel, options: KvPolicySessionOptions): Promise<KvPolicySession> {
    const budget = new KvBudget(options);
    const chunkSize = Math.min(options.chunkSize ?? 512, budget.windowLength);
    const context = await model.createContext({
        ...h2oContextOptions(budget.maxCells(chunkSize)),
        ...(options.threads === undefined ? {} : { threads: options.threads }),
    });
    try {
        let accumulator: AttentionAccumulator | undefined;
        let fallbackReason: string | undefined;
        try {
            accumulator = AttentionAccumulator.enable(context);
        } catch (err) {
            if (!(err instanceof AttentionAccumulatorUnavailableError)) throw err;
            fallbackReason = err.reason;
        }
        const policy: KvEvictionPolicy = accumulator !== undefined ? new HeavyHitterPolicy(budget) : new SinkWindowPolicy(budget);
        const sequence = context.getSequence();
        const runner = new KvPolicyRunner(sequence, policy, { chunkSize, accumulator });
        return {
            context,
            sequence,
            runner,
            policy,
            ...(accumulator === undefined ? {} : { accumulator }),
            ...(fallbackReason === undefined ? {} : { fallbackReason }),
            dispose: () => context.dispose(),
        };
    } catch (err) {
        await context.dispose();
        throw err;
    }
}
