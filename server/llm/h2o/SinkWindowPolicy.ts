import type { KvBudget } from "./KvBudget";
import type { EvictionInput, KvEvictionPolicy, PositionRange } from "./KvEvictionPolicy";

/**
 * The fallback when no attention scores exist (a prebuilt node-llama-cpp binary): StreamingLLM-style attention sinks
 * + recent window. Keeps the `sinkTokens` first positions and the windowLength - sinkTokens most recent ones; the
 * heavy-hitter share of the budget goes to recent tokens. Runs under it must report `"policy": "sink-window"`.
 */
export class SinkWindowPolicy implements KvEvictionPolicy {
    readonly name = "sink-window" as const;
    readonly needsObservation = false;
    readonly needsScores = false;

    constructor(readonly budget: KvBudget) {}

    planEviction({ length, slack = 0 }: EvictionInput): PositionRange[] {
        const { windowLength, sinkTokens } = this.budget;
        if (length <= windowLength + slack) {
            return [];
        }
        return [{ start: sinkTokens, end: sinkTokens + (length - windowLength) }];
    }
}
