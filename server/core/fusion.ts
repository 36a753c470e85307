/** How BM25's ranking and the embedding model's ranking are combined into one. */
export type Fusion = "rrf" | "convex";

/** One list's candidate: a key that names the chunk in both lists, and its score in that list. */
export interface Scored<K> {
    key: K;
    score: number;
}

export interface Fused<K> {
    key: K;
    score: number;
}

/** Reciprocal rank fusion's constant (Cormack et al. 2009): large enough that the first ranks do not dominate. */
const rrfK = 60;
/** The convex combination's weight on BM25 (the rest on cosine similarity). */
export const convexBm25Weight = 0.5;

/**
 * Combines ranked lists (each best first) into one, best first; ties keep the first list's order, then the second's.
 * "rrf": the sum of 1 / (60 + rank) over the lists a key is in: needs no calibration of the scores, which BM25 and
 * cosine similarity lack. "convex": each list's scores min–max scaled to 0..1 and mixed with weights (BM25 first), a
 * key missing from a list counting 0 there.
 */
export function fuseRankings<K>(lists: readonly (readonly Scored<K>[])[], fusion: Fusion, weights: readonly number[] = [convexBm25Weight, 1 - convexBm25Weight]): Fused<K>[] {
    const fused = new Map<K, { score: number; order: number }>();
    let order = 0;
    lists.forEach((list, l) => {
        let scale = (_score: number, rank: number) => 1 / (rrfK + rank + 1);
        if (fusion === "convex") {
            const scores = list.map((item) => item.score);
            const high = Math.max(...scores);
            const low = Math.min(...scores);
            const weight = weights[l] ?? 0;
            scale = (score) => weight * (high > low ? (score - low) / (high - low) : 1);
        }
        list.forEach((item, rank) => {
            const entry = fused.get(item.key) ?? { score: 0, order: order++ };
            entry.score += scale(item.score, rank);
            fused.set(item.key, entry);
        });
    });
    return [...fused]
        .sort((x, y) => y[1].score - x[1].score || x[1].order - y[1].order)
        .map(([key, { score }]) => ({ key, score }));
}
