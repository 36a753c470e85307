// Position ranges of a KV cache sequence, shared by the eviction policies and the reference forward pass.

/** One erase range in token positions, end exclusive (node-llama-cpp's ContextTokensDeleteRange). */
export interface PositionRange {
    readonly start: number;
    readonly end: number;
}

/** Sorts and merges overlapping or touching ranges (end exclusive); drops empty ones. */
export function mergeRanges(ranges: readonly PositionRange[]): PositionRange[] {
    const sorted = ranges
        .map((r) => (r.start <= r.end ? { start: r.start, end: r.end } : { start: r.end, end: r.start }))
        .filter((r) => r.end > r.start)
        .sort((a, b) => a.start - b.start);
    const out: { start: number; end: number }[] = [];
    for (const r of sorted) {
        const last = out[out.length - 1];
        if (last !== undefined && r.start <= last.end) last.end = Math.max(last.end, r.end);
        else out.push({ ...r });
    }
    return out;
}
