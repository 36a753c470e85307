import { bootstrapAggregate, type AggregateScore, type BootstrapOptions } from "./bootstrapAggregate";
import { RougeScorer, type DefaultRougeType, type Score } from "./RougeScorer";

export interface EvaluateRougeOptions extends BootstrapOptions {
    /** Porter-stem tokens longer than 3 characters (rouge_score's use_stemmer). Defaults to false. */
    stem?: boolean;
}

/** Per-pair scores and their bootstrap aggregate, for rouge1, rouge2, rougeL and rougeLsum. */
export interface RougeEvaluation {
    pairs: Record<DefaultRougeType, Score>[];
    aggregate: Record<DefaultRougeType, AggregateScore>;
}

/**
 * Scores every (reference, candidate) pair with ROUGE-1/2/L/Lsum and aggregates them the way rouge_score's
 * BootstrapAggregator does (seeded, so the same input gives the same numbers).
 */
export function evaluateRouge(pairs: readonly { reference: string; candidate: string }[], options: EvaluateRougeOptions = {}): RougeEvaluation {
    const scorer = new RougeScorer({ stem: options.stem ?? false });
    const scores = pairs.map((pair) => scorer.score(pair.reference, pair.candidate));
    return { pairs: scores, aggregate: bootstrapAggregate(scores, options) };
}
