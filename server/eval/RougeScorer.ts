// ROUGE-N, ROUGE-L and ROUGE-Lsum with the semantics of Google's `rouge_score` package (rouge_scorer.py, tokenize.py,
// scoring.py), so that numbers computed here can be compared with numbers published by Python tooling.
//
// What rouge_score does, and therefore what this does:
//  - Tokens: lowercase; every run of characters outside [a-z0-9] becomes one space; split on whitespace; with stemming,
//    tokens longer than 3 characters go through NLTK's PorterStemmer() (NLTK_EXTENSIONS mode); empty tokens dropped.
//  - rougeN: clipped n-gram overlap, sum over target n-grams of min(count in target, count in prediction);
//    precision = overlap / max(prediction n-grams, 1), recall = overlap / max(target n-grams, 1).
//  - rougeL: longest common subsequence of the two token sequences; P = LCS / |prediction|, R = LCS / |target|.
//  - rougeLsum: sentences are the "\n"-separated lines (empty lines dropped); for each target sentence, the union of
//    one LCS with every prediction sentence, counted without re-using a token (ROUGE 1.5.5's summary-level LCS).
//  - F = 2PR / (P + R), 0 when P + R = 0. An empty target or prediction scores 0 everywhere.
// Not covered: rouge_score's `split_summaries=True` (nltk.sent_tokenize) and custom tokenizers.

import { PorterStemmer } from "./PorterStemmer";

/** Precision, recall and F1 of one ROUGE variant, each in [0, 1]. */
export interface Score {
    precision: number;
    recall: number;
    fmeasure: number;
}

/** rouge1 … rouge9: n-gram overlap for that n (rouge_score accepts exactly one digit). */
export type RougeNType = `rouge${1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9}`;
export type RougeType = RougeNType | "rougeL" | "rougeLsum";

export const DEFAULT_ROUGE_TYPES = ["rouge1", "rouge2", "rougeL", "rougeLsum"] as const;
export type DefaultRougeType = (typeof DEFAULT_ROUGE_TYPES)[number];

export interface RougeScorerOptions<T extends RougeType> {
    /** Which variants to compute, in this order. Defaults to rouge1, rouge2, rougeL, rougeLsum. */
    types?: readonly T[];
    /** Porter-stem tokens longer than 3 characters (rouge_score's `use_stemmer`). Defaults to false. */
    stem?: boolean;
}

const ZERO: Readonly<Score> = Object.freeze({ precision: 0, recall: 0, fmeasure: 0 });

/** F1 as rouge_score computes it: 2PR / (P + R), and 0 when P + R is 0. */
export function fmeasure(precision: number, recall: number): number {
    return precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
}

function makeScore(precision: number, recall: number): Score {
    return { precision, recall, fmeasure: fmeasure(precision, recall) };
}

/** True for the type names rouge_score accepts: rouge1 … rouge9, rougeL, rougeLsum. */
export function isRougeType(name: string): name is RougeType {
    return name === "rougeL" || name === "rougeLsum" || /^rouge[1-9]$/.test(name);
}

/**
 * rouge_score's default tokenizer. `stem` receives only tokens longer than 3 characters.
 * Exported so that callers can see exactly which tokens a text is scored on.
 */
export function rougeTokenize(text: string, stem?: (token: string) => string): string[] {
    const tokens = text.toLowerCase().replace(/[^a-z0-9]+/g, " ").split(/\s+/);
    const result: string[] = [];
    for (const raw of tokens) {
        const token = stem && raw.length > 3 ? stem(raw) : raw;
        if (/^[a-z0-9]+$/.test(token)) result.push(token);
    }
    return result;
}

function ngramCounts(tokens: readonly string[], n: number): Map<string, number> {
    const counts = new Map<string, number>();
    // Tokens are [a-z0-9]+, so a space cannot occur inside one and is a safe separator.
    for (let i = 0; i + n <= tokens.length; i++) {
        const key = tokens.slice(i, i + n).join(" ");
        counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    return counts;
}

function scoreNgrams(target: readonly string[], prediction: readonly string[], n: number): Score {
    const targetCounts = ngramCounts(target, n);
    const predictionCounts = ngramCounts(prediction, n);
    let overlap = 0;
    for (const [ngram, count] of targetCounts) overlap += Math.min(count, predictionCounts.get(ngram) ?? 0);
    const targetTotal = Math.max(target.length - n + 1, 0);
    const predictionTotal = Math.max(prediction.length - n + 1, 0);
    return makeScore(overlap / Math.max(predictionTotal, 1), overlap / Math.max(targetTotal, 1));
}

/** Length of a longest common subsequence, in O(|a|·|b|) time and O(|b|) memory. */
function lcsLength(a: readonly string[], b: readonly string[]): number {
    let previous = new Int32Array(b.length + 1);
    let current = new Int32Array(b.length + 1);
    for (let i = 1; i <= a.length; i++) {
        for (let j = 1; j <= b.length; j++) {
            current[j] = a[i - 1] === b[j - 1] ? previous[j - 1] + 1 : Math.max(previous[j], current[j - 1]);
        }
        [previous, current] = [current, previous];
    }
    return previous[b.length];
}

function scoreLcs(target: readonly string[], prediction: readonly string[]): Score {
    if (target.length === 0 || prediction.length === 0) return { ...ZERO };
    const lcs = lcsLength(target, prediction);
    return makeScore(lcs / prediction.length, lcs / target.length);
}

/**
 * Indices into `ref` of one longest common subsequence with `can`. Which LCS, when there are several, matters for
 * rougeLsum; this backtracks the table exactly as rouge_score's `_backtrack_norec` does (diagonal on a match, else
 * left when the left cell is strictly larger, else up).
 */
function lcsIndices(ref: readonly string[], can: readonly string[]): number[] {
    const cols = can.length + 1;
    const table = new Int32Array((ref.length + 1) * cols);
    for (let i = 1; i <= ref.length; i++) {
        for (let j = 1; j <= can.length; j++) {
            table[i * cols + j] =
                ref[i - 1] === can[j - 1] ? table[(i - 1) * cols + j - 1] + 1 : Math.max(table[(i - 1) * cols + j], table[i * cols + j - 1]);
        }
    }
    const indices: number[] = [];
    let i = ref.length;
    let j = can.length;
    while (i > 0 && j > 0) {
        if (ref[i - 1] === can[j - 1]) {
            indices.push(i - 1);
            i--;
            j--;
        } else if (table[i * cols + j - 1] > table[(i - 1) * cols + j]) {
            j--;
        } else {
            i--;
        }
    }
    return indices.reverse();
}

function countTokens(sentences: readonly (readonly string[])[]): Map<string, number> {
    const counts = new Map<string, number>();
    for (const sentence of sentences) for (const token of sentence) counts.set(token, (counts.get(token) ?? 0) + 1);
    return counts;
}

/** Summary-level LCS (Lin 2004, section 3.2) with ROUGE 1.5.5's guard against counting a token twice. */
function scoreSummaryLcs(targetSentences: readonly (readonly string[])[], predictionSentences: readonly (readonly string[])[]): Score {
    if (targetSentences.length === 0 || predictionSentences.length === 0) return { ...ZERO };
    const m = targetSentences.reduce((sum, sentence) => sum + sentence.length, 0);
    const n = predictionSentences.reduce((sum, sentence) => sum + sentence.length, 0);
    if (m === 0 || n === 0) return { ...ZERO };
    const targetLeft = countTokens(targetSentences);
    const predictionLeft = countTokens(predictionSentences);
    let hits = 0;
    for (const ref of targetSentences) {
        const union = new Set<number>();
        for (const can of predictionSentences) for (const index of lcsIndices(ref, can)) union.add(index);
        for (const index of [...union].sort((a, b) => a - b)) {
            const token = ref[index];
            const inPrediction = predictionLeft.get(token) ?? 0;
            const inTarget = targetLeft.get(token) ?? 0;
            if (inPrediction > 0 && inTarget > 0) {
                hits++;
                predictionLeft.set(token, inPrediction - 1);
                targetLeft.set(token, inTarget - 1);
            }
        }
    }
    return makeScore(hits / n, hits / m);
}

/**
 * Scores a prediction against a target (reference) the way `rouge_score.rouge_scorer.RougeScorer` does.
 *
 *     const scorer = new RougeScorer({ stem: true });
 *     scorer.score("The quick brown fox", "the fast brown fox").rouge1.fmeasure; // 0.75
 */
export class RougeScorer<T extends RougeType = DefaultRougeType> {
    readonly types: readonly T[];
    readonly stem: boolean;
    private readonly stemmer: PorterStemmer | undefined;
    /** Stems already computed: the stemmer is pure, and documents repeat words a lot. */
    private readonly stemCache = new Map<string, string>();

    constructor(options: RougeScorerOptions<T> = {}) {
        const types = options.types ?? (DEFAULT_ROUGE_TYPES as readonly RougeType[] as readonly T[]);
        if (types.length === 0) throw new RangeError("RougeScorer needs at least one ROUGE type");
        for (const type of types) {
            if (!isRougeType(type)) throw new RangeError(`invalid ROUGE type "${String(type)}" (expected rouge1 … rouge9, rougeL or rougeLsum)`);
        }
        this.types = [...types];
        this.stem = options.stem ?? false;
        this.stemmer = this.stem ? new PorterStemmer() : undefined;
    }

    /** The tokens this scorer compares for `text` (stemmed when the scorer stems). */
    tokenize(text: string): string[] {
        const stemmer = this.stemmer;
        if (!stemmer) return rougeTokenize(text);
        return rougeTokenize(text, (token) => {
            let stem = this.stemCache.get(token);
            if (stem === undefined) {
                stem = stemmer.stem(token);
                this.stemCache.set(token, stem);
            }
            return stem;
        });
    }

    /** Every configured ROUGE type for `prediction` against `target`. Argument order as in rouge_score: target first. */
    score(target: string, prediction: string): Record<T, Score> {
        const needsTokens = this.types.some((type) => type !== "rougeLsum");
        const targetTokens = needsTokens ? this.tokenize(target) : [];
        const predictionTokens = needsTokens ? this.tokenize(prediction) : [];
        const result = {} as Record<T, Score>;
        for (const type of this.types) {
            if (type === "rougeL") {
                result[type] = scoreLcs(targetTokens, predictionTokens);
            } else if (type === "rougeLsum") {
                result[type] = scoreSummaryLcs(this.tokenizeSentences(target), this.tokenizeSentences(prediction));
            } else {
                result[type] = scoreNgrams(targetTokens, predictionTokens, Number(type.slice(5)));
            }
        }
        return result;
    }

    /**
     * The best score over several references, per type: the one with the highest F1 (the first on ties), as
     * rouge_score's `score_multi` picks it.
     */
    scoreMulti(targets: readonly string[], prediction: string): Record<T, Score> {
        if (targets.length === 0) throw new RangeError("scoreMulti needs at least one target");
        const all = targets.map((target) => this.score(target, prediction));
        const best = {} as Record<T, Score>;
        for (const type of this.types) {
            best[type] = all.reduce((winner, scores) => (scores[type].fmeasure > winner[type].fmeasure ? scores : winner))[type];
        }
        return best;
    }

    /** rougeLsum's sentences: the "\n"-separated lines that are not empty, each tokenized. */
    private tokenizeSentences(text: string): string[][] {
        return text
            .split("\n")
            .filter((line) => line.length > 0)
            .map((line) => this.tokenize(line));
    }
}
