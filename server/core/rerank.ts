import { forEachTerm, tokenize } from "./tokenize";

/** How many BM25 hits are looked at again with the document's name. */
export const rerankDepth = 40;

/** How many of BM25's best hits are read for the query's words side by side (adjacencyScorer). */
export const adjacencyDepth = 20;

/** Share of the rarer word's idf that a pair of neighbouring query words earns when the hit has them side by side too. */
const adjacencyWeight = 1;

/** Share of a query term's idf that a hit earns when the term is in its document's path or title. */
const nameWeight = 0.5;

/**
 * Query words in the document's path or title, each worth `nameWeight` of its idf: a question about the "copyright
 * format" belongs in copyright-format-1.0.html, "what does the guide say" in maint-guide/, and people search for a
 * file by words of its name. Only reorders hits BM25 found (measured on the retrieval benchmark: +1 of 94 questions at
 * rank 1 at 0.3; 0.4–0.7 one more, none lost; adjacency of query words in the chunk was measured too, +1 more, and not
 * kept: it reads every candidate's text, 2–3 ms a query).
 */
export function nameBonus(queryTerms: readonly string[], documentName: string, idf: (term: string) => number): number {
    let bonus = 0;
    const name = new Set(tokenize(documentName));
    for (const term of queryTerms) if (name.has(term)) bonus += nameWeight * idf(term);
    return bonus;
}

/**
 * The bonus of a hit's text for each pair of the query's neighbouring words that it also has side by side ("source
 * packages", "Debian 2.0", "user nobody"), stop words skipped on both sides, or written as one ("timezone" for "time
 * zone"): each pair worth `adjacencyWeight` of its rarer word's idf, once. BM25 counts words wherever they are, so a
 * passage that says "user ID" eight times outranked the one line that says "User nobody"; measured on the retrieval
 * benchmark: +2 right documents first and +3 right pages (one document lost), +1 answer; 0.8–1.2 the same, a pair
 * one word apart −1 page. Undefined when the query has no such pair.
 */
export function adjacencyScorer(queryTerms: readonly string[], idf: (term: string) => number): ((text: string) => number) | undefined {
    interface Pair {
        second: string;
        weight: number;
        index: number;
    }
    const starting = new Map<string, Pair[]>();
    const written = new Map<string, Pair>();
    const seen = new Set<string>();
    for (let i = 1; i < queryTerms.length; i++) {
        const [first, second] = [queryTerms[i - 1]!, queryTerms[i]!];
        // "2.0" follows "2" and precedes "0" in every text that has it: a number's parts are no pair
        if (first === second || isPartOf(first, second) || isPartOf(second, first) || seen.has(`${first} ${second}`)) continue;
        seen.add(`${first} ${second}`);
        const pair = { second, weight: adjacencyWeight * Math.min(idf(first), idf(second)), index: seen.size - 1 };
        if (pair.weight <= 0) continue;
        starting.set(first, [...(starting.get(first) ?? []), pair]);
        if (/^[a-z]{3,}$/.test(first) && /^[a-z]{3,}$/.test(second)) written.set(first + second, pair);
    }
    if (starting.size === 0) return undefined;
    return (text) => {
        const found = new Set<number>();
        let bonus = 0;
        let previous = "";
        const take = (pair: Pair | undefined) => {
            if (!pair || found.has(pair.index)) return;
            found.add(pair.index);
            bonus += pair.weight;
        };
        forEachTerm(text, (term) => {
            for (const pair of starting.get(previous) ?? none) if (pair.second === term) take(pair);
            take(written.get(term));
            previous = term;
        });
        return bonus;
    };
}

const none: never[] = [];

/**
 * Words joined by "-" or "_" are a name — a command, a package, a variable ("sensible-browser", "user_ID", "doc-base").
 * ASCII only: with Unicode classes, finding them cost 0.9 ms a query on the retrieval benchmark, 0.2 ms so.
 */
const namePattern = /[A-Za-z0-9]+(?:[-_][A-Za-z0-9]+)+/g;

/**
 * What a hit loses for each word of the query that it has only inside a name, when the query says the word on its own:
 * the word's idf, so that "a sensible maximum length" is not answered by pages of "sensible-browser" and
 * "sensible-pager". A query that writes the name ("Is doc-base still recommended?") is matched by it as before.
 * Measured on the retrieval benchmark: +1 right document and page first, none lost, at 0.5–1.5 × idf (0.3: no change);
 * without the exception for names the query writes, one lost ("doc-base"). Undefined when no query word can lose.
 */
export function nameOnlyScorer(query: string, queryTerms: readonly string[], idf: (term: string) => number): ((text: string) => number) | undefined {
    const named = new Set(tokenize((query.match(namePattern) ?? []).join(" ")));
    const terms = [...new Set(queryTerms)].filter((term) => !named.has(term) && idf(term) > 0);
    if (terms.length === 0) return undefined;
    return (text) => {
        const names = text.match(namePattern);
        if (!names) return 0;
        const inNames = new Set(tokenize(names.join(" ")));
        const suspects = terms.filter((term) => inNames.has(term));
        if (suspects.length === 0) return 0;
        const prose = new Set(tokenize(text.replace(namePattern, " ")));
        return suspects.reduce((loss, term) => loss + (prose.has(term) ? 0 : idf(term)), 0);
    };
}

/** Whether `part` is one of the numbers of the dotted number `whole` ("2" of "2.0"). */
function isPartOf(part: string, whole: string): boolean {
    return whole.includes(".") && whole.split(".").includes(part);
}
