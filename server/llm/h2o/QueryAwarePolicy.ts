import type { KvBudget } from "./KvBudget";
import { rangesFromPositions, type EvictionInput, type KvEvictionPolicy, type PositionRange } from "./KvEvictionPolicy";

export interface QueryAwareOptions {
    /**
     * Share of the scored heavy-hitter slots (heavyHitters - sinkTokens) filled by the question's attention; the rest
     * go to accumulated attention as in H2O. Defaults to DEFAULT_OBSERVATION_SHARE.
     */
    observationShare?: number;
    /** Positions pooled (max) around each one before ranking by the question's attention, so phrases survive whole. */
    pool?: number;
}

/**
 * Measured with `llamahome needle` on the committed needle model (README, "Question-aware eviction"): the question's
 * attention finds the needle (a quarter of the slots loses a fifth of the needles; a half to all of them are within a
 * needle or two of each other), accumulated attention keeps what the whole text leans on; 3/4 to the question.
 */
export const DEFAULT_OBSERVATION_SHARE = 0.75;
/** SnapKV pools over a few neighbours; 7 covers a 6-character code with its neighbours on a byte-level model. */
export const DEFAULT_OBSERVATION_POOL = 7;

/**
 * Question-aware eviction (an observation window as in SnapKV, arXiv 2404.14469, on top of H2O): after each chunk the
 * question is evaluated after it as an observation window, and the cache keeps the sink tokens, the positions the
 * question attends to most (max-pooled over `pool` neighbours), the heavy hitters by accumulated attention and the
 * recent window. The split of the heavy-hitter slots between the two kinds of score is `observationShare`.
 */
export class QueryAwarePolicy implements KvEvictionPolicy {
    readonly name = "query-aware" as const;
    readonly needsScores = true;
    readonly needsObservation = true;
    /** Slots chosen by the question's attention; the other scored slots by accumulated attention. */
    readonly observedSlots: number;
    readonly pool: number;

    constructor(
        readonly budget: KvBudget,
        options: QueryAwareOptions = {},
    ) {
        const share = options.observationShare ?? DEFAULT_OBSERVATION_SHARE;
        if (!(share >= 0 && share <= 1)) throw new RangeError(`observationShare must be within [0, 1], got ${share}`);
        const pool = options.pool ?? DEFAULT_OBSERVATION_POOL;
        if (!Number.isInteger(pool) || pool < 1) throw new RangeError(`pool must be a positive integer, got ${pool}`);
        this.observedSlots = Math.round(budget.scoredHeavyHitters * share);
        this.pool = pool;
    }

    planEviction({ length, scores, observation, slack = 0 }: EvictionInput): PositionRange[] {
        const { windowLength, sinkTokens, recentTokens } = this.budget;
        if (length <= windowLength + slack) {
            return [];
        }
        if (scores === undefined || scores.length < length || observation === undefined || observation.length < length) {
            throw new Error(`query-aware eviction needs accumulated and observation scores for each of the ${length} positions`);
        }
        const candidates: number[] = [];
        for (let p = sinkTokens; p < length - recentTokens; p++) candidates.push(p);
        const keepCount = candidates.length - (length - windowLength);
        const pooled = maxPool(observation, length, this.pool);
        // the question's picks first (ties to the newer position), then accumulated attention fills the rest
        const byQuestion = [...candidates].sort((a, b) => pooled[b]! - pooled[a]! || b - a);
        const kept = new Set(byQuestion.slice(0, Math.min(this.observedSlots, keepCount)));
        const byAccumulated = candidates.filter((p) => !kept.has(p)).sort((a, b) => scores[b]! - scores[a]! || b - a);
        for (const p of byAccumulated) {
            if (kept.size >= keepCount) break;
            kept.add(p);
        }
        return rangesFromPositions(candidates.filter((p) => !kept.has(p)));
    }
}

/** out[p] = max of values[p - ⌊pool/2⌋ … p + ⌊pool/2⌋] within [0, length). */
export function maxPool(values: ArrayLike<number>, length: number, pool: number): Float64Array {
    const half = Math.floor(pool / 2);
    const out = new Float64Array(length);
    for (let p = 0; p < length; p++) {
        let best = -Infinity;
        for (let q = Math.max(0, p - half); q <= Math.min(length - 1, p + half); q++) best = Math.max(best, values[q]!);
        out[p] = best;
    }
    return out;
}
