// Confidence intervals for mean ROUGE scores by bootstrap resampling, with the method of rouge_score's
// `scoring.BootstrapAggregator` (itself that of the ROUGE 1.5.5 Perl script):
//   for each score type, `samples` times: draw as many per-pair scores as there are, uniformly with replacement, and
//   take their mean (precision, recall and F1 separately); then report the 2.5th, 50th and 97.5th percentiles of those
//   means (for confidenceInterval 0.95) as low, mid and high, using numpy's default "linear" percentile.
// Note that "mid" is the median of the resampled means, not the plain mean of the scores (they are usually very close).
//
// Randomness: rouge_score draws from numpy's unseeded global generator, so its numbers change from run to run. Here the
// draws come from a seeded MT19937 used the way numpy's legacy generator is (masked rejection, one stream consumed type
// after type in the order of the score records' keys), so the same seed gives the same numbers on every run. With the
// same seed and type order the resamples are the ones Python would draw after `np.random.seed(seed)`; the results can
// still differ from Python's in the last bits where numpy sums in a different order.

import { Mt19937 } from "./Mt19937";
import type { Score } from "./RougeScorer";

/** A confidence interval on the mean of a score: low and high bounds and the midpoint (median of resampled means). */
export interface AggregateScore {
    low: Score;
    mid: Score;
    high: Score;
}

export interface BootstrapOptions {
    /** How many resamples to draw. Defaults to 1000 (rouge_score's n_samples). */
    samples?: number;
    /** Width of the interval, in [0, 1]. Defaults to 0.95: low and high are the 2.5th and 97.5th percentiles. */
    confidenceInterval?: number;
    /** Seed of the MT19937 generator, an integer in [0, 2^32). Defaults to 0. */
    seed?: number;
}

const MEASURES = ["precision", "recall", "fmeasure"] as const;

/**
 * The q-th percentile (q in [0, 100]) of `values` with numpy's default method ("linear"): sort, find the virtual index
 * (n - 1)·q/100 and interpolate between its neighbours the way numpy's `_lerp` does.
 */
export function percentile(values: ArrayLike<number>, q: number): number {
    if (values.length === 0) throw new RangeError("percentile of an empty list");
    if (!(q >= 0 && q <= 100)) throw new RangeError(`percentile must be in [0, 100] (got ${q})`);
    const sorted = Float64Array.from(values).sort();
    const virtualIndex = (sorted.length - 1) * (q / 100);
    if (virtualIndex >= sorted.length - 1) return sorted[sorted.length - 1];
    const previousIndex = Math.floor(virtualIndex);
    const gamma = virtualIndex - previousIndex;
    const a = sorted[previousIndex];
    const b = sorted[previousIndex + 1];
    // numpy interpolates from whichever end is nearer, which keeps the result within [a, b] in floating point.
    return gamma >= 0.5 ? b - (b - a) * (1 - gamma) : a + (b - a) * gamma;
}

/**
 * Bootstrap confidence intervals per score type over a list of per-pair scores, e.g. the results of
 * `RougeScorer.score` for every (reference, candidate) pair. Every record must have the same types.
 */
export function bootstrapAggregate<T extends string>(scores: readonly Readonly<Record<T, Score>>[], options: BootstrapOptions = {}): Record<T, AggregateScore> {
    const samples = options.samples ?? 1000;
    const confidenceInterval = options.confidenceInterval ?? 0.95;
    if (!Number.isInteger(samples) || samples < 1) throw new RangeError(`samples must be a positive integer (got ${samples})`);
    if (!(confidenceInterval >= 0 && confidenceInterval <= 1)) throw new RangeError(`confidenceInterval must be in [0, 1] (got ${confidenceInterval})`);
    if (scores.length === 0) throw new RangeError("bootstrapAggregate needs at least one score");
    const random = new Mt19937(options.seed ?? 0);

    const types = Object.keys(scores[0]) as T[];
    const delta = (1 - confidenceInterval) / 2;
    // The same arithmetic as rouge_score (q = 100·[delta, 0.5, 1 - delta]) and numpy (q / 100), for the same bits.
    const bounds = [100 * delta, 100 * 0.5, 100 * (1 - delta)];
    const n = scores.length;
    const result = {} as Record<T, AggregateScore>;
    for (const type of types) {
        const column = scores.map((record, i) => {
            const score = record[type];
            if (!score) throw new TypeError(`score ${i} has no "${type}" (every record needs the same types)`);
            return score;
        });
        const means = MEASURES.map(() => new Float64Array(samples));
        const sums = [0, 0, 0];
        for (let sample = 0; sample < samples; sample++) {
            sums.fill(0);
            for (let k = 0; k < n; k++) {
                const score = column[random.nextBelow(n)];
                sums[0] += score.precision;
                sums[1] += score.recall;
                sums[2] += score.fmeasure;
            }
            for (let m = 0; m < MEASURES.length; m++) means[m][sample] = sums[m] / n;
        }
        const [low, mid, high] = bounds.map((q) => {
            const [precision, recall, fmeasure] = means.map((values) => percentile(values, q));
            return { precision, recall, fmeasure };
        });
        result[type] = { low, mid, high };
    }
    return result;
}
