import type { KvBudget } from "./KvBudget";
import { mergeRanges, type PositionRange } from "./positionRanges";

export type { PositionRange };

/**
 * What a run reports as `"policy"`: "h2o" and "query-aware" only when real attention scores (accumulated, and for
 * query-aware also the question's own) drove eviction.
 */
export type KvPolicyName = "h2o" | "query-aware" | "sink-window";

export interface EvictionInput {
    /** Tokens the sequence holds; their positions are 0 … length-1 (erases roll later positions left). */
    readonly length: number;
    /** Accumulated attention mass indexed by position (at least `length` entries). Required when needsScores. */
    readonly scores?: ArrayLike<number>;
    /** Evict only when length > windowLength + slack (then back down to windowLength). Defaults to 0. */
    readonly slack?: number;
    /**
     * Attention mass each position received from the observation window only (the question evaluated after the
     * chunk), indexed by position. Required when needsObservation.
     */
    readonly observation?: ArrayLike<number>;
}

/** Chooses which KV positions to erase so a sequence stays within its budget. */
export interface KvEvictionPolicy {
    readonly name: KvPolicyName;
    readonly budget: KvBudget;
    /** Whether planEviction needs `scores` (attention accumulated by the native accumulator). */
    readonly needsScores: boolean;
    /** Whether planEviction needs `observation` (the question's attention, read in the accumulator's observation mode). */
    readonly needsObservation: boolean;
    /**
     * Ranges to pass to `LlamaContextSequence.eraseContextTokenRanges`: sorted, merged, end-exclusive, never touching
     * the sink or recent positions. Empty when the sequence is within budget.
     */
    planEviction(input: EvictionInput): PositionRange[];
}

/** Sorted distinct positions → merged end-exclusive ranges. */
export function rangesFromPositions(positions: Iterable<number>): PositionRange[] {
    return mergeRanges([...positions].map((p) => ({ start: p, end: p + 1 })));
}

/**
 * Applies an erase to anything kept in position order (the tokens a sequence holds, their scores, their original
 * indices): the elements inside the ranges go, later ones move left, exactly as positions roll in the KV cache.
 */
export function eraseRangesFrom<T>(items: readonly T[], ranges: readonly PositionRange[]): T[] {
    const merged = mergeRanges(ranges);
    const out: T[] = [];
    let r = 0;
    for (let p = 0; p < items.length; p++) {
        while (r < merged.length && merged[r]!.end <= p) r++;
        const range = merged[r];
        if (range !== undefined && p >= range.start && p < range.end) continue;
        out.push(items[p]!);
    }
    return out;
}

/** Total number of positions the ranges cover below `length`. */
export function countInRanges(ranges: readonly PositionRange[], length: number): number {
    return mergeRanges(ranges).reduce((sum, r) => sum + Math.max(0, Math.min(r.end, length) - r.start), 0);
}
