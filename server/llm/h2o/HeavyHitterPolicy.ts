import type { KvBudget } from "./KvBudget";
import { rangesFromPositions, type EvictionInput, type KvEvictionPolicy, type PositionRange } from "./KvEvictionPolicy";

/**
 * H2O (Heavy-Hitter Oracle, Zhang et al. 2023): keep the sink tokens, the `recentTokens` most recent tokens and the
 * `scoredHeavyHitters` tokens with the most accumulated attention; evict the lowest-scoring of the rest, all at once
 * (one erase per chunk, not one per token). Ties go to the older position (it is evicted first).
 */
export class HeavyHitterPolicy implements KvEvictionPolicy {
    readonly name = "h2o" as const;
    readonly needsObservation = false;
    readonly needsScores = true;

    constructor(readonly budget: KvBudget) {}

    planEviction({ length, scores, slack = 0 }: EvictionInput): PositionRange[] {
        const { windowLength, sinkTokens, recentTokens } = this.budget;
        if (length <= windowLength + slack) {
            return [];
        }
        if (scores === undefined || scores.length < length) {
            throw new Error(`H2O eviction needs an attention score for each of the ${length} positions, got ${scores?.length ?? 0}`);
        }
        const evictCount = length - windowLength;
        // candidates: neither sinks nor recent; there are always heavyHitters - sinkTokens + evictCount of them
        const candidates: number[] = [];
        for (let p = sinkTokens; p < length - recentTokens; p++) candidates.push(p);
        candidates.sort((a, b) => scores[a]! - scores[b]! || a - b);
        return rangesFromPositions(candidates.slice(0, evictCount).sort((a, b) => a - b));
    }
}
