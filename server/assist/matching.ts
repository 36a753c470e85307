// How the extractive engine matches a question's words in a sentence: by light stems, and by pairs of words that stand
// side by side in both.
import { tokenize } from "../core/tokenize";

// A sentence holding the question's words side by side ("single line synopsis") is preferred to one that scatters them,
// by up to this much coverage when it holds every adjacent pair of the question's terms. Measured on the Debian
// retrieval benchmark: +3 answers at 0.3 (0.5 the same, 1.0 trades two answers for two others).
export const phraseBonus = 0.3;

export interface Phrases {
    pairs: Map<string, number>;
    total: number;
}

/** Adjacent pairs of a question's content terms, in order ("single line", "line synopsis"), weighted by the rarer term's weight. */
export function questionPhrases(terms: string[], weight: (term: string) => number): Phrases {
    const pairs = new Map<string, number>();
    for (let i = 1; i < terms.length; i++) {
        if (terms[i] === terms[i - 1]) continue;
        pairs.set(`${lightStem(terms[i - 1])} ${lightStem(terms[i])}`, Math.min(weight(terms[i - 1]), weight(terms[i])));
    }
    let total = 0;
    for (const value of pairs.values()) total += value;
    return { pairs, total };
}

/** The weighted share of the question's pairs that stand side by side in `text`. */
export function phraseCoverage(phrases: Phrases, text: string): number {
    if (phrases.total === 0) return 0;
    const terms = tokenize(text).map(lightStem);
    let found = 0;
    const seen = new Set<string>();
    for (let i = 1; i < terms.length; i++) {
        const pair = `${terms[i - 1]} ${terms[i]}`;
        const value = phrases.pairs.get(pair);
        if (value !== undefined && !seen.has(pair)) {
            seen.add(pair);
            found += value;
        }
    }
    return found / phrases.total;
}

/**
 * A search term without its inflection ("largest", "larger", "large" → "larg"; "installed", "installing" →
 * "install"; "gather", "gathering" → "gath"), for matching a question's words to a sentence's. Crude on purpose: it only decides which sentence
 * answers among retrieved ones, and keeps at least four letters so short words stay whole.
 */
export function lightStem(term: string): string {
    // twice, so that a word and its inflection agree: "gathering" → "gather" → "gath", as "gather" → "gath"
    return stripSuffix(stripSuffix(term));
}

function stripSuffix(term: string): string {
    if (term.length <= 4 || term.charCodeAt(term.length - 1) < 97) return term;
    for (const suffix of ["ing", "est", "ed", "er", "ly", "e"]) {
        if (term.endsWith(suffix) && term.length - suffix.length >= 4) return term.slice(0, -suffix.length);
    }
    return term;
}
