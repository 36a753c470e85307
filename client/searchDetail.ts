import type { RetrievalKind } from "../shared/protocol";

/**
 * A table of contents' dot leader: four or more dots, middle dots or ellipses (spaced or not) between an entry and
 * its page number. Two of them make a snippet a contents listing.
 */
const dotLeader = /\s*(?:[.·…]\s*){4,}/g;

/**
 * Characters of context kept before the first query match. VS Code highlights a multi-word query in a detail only
 * where it occurs as typed, or where its words start words, in order, within the detail's first 60 characters (its
 * camel-case matcher, in 1.100): a short lead keeps the words there, and on screen.
 */
const leadChars = 16;

/**
 * A search hit's snippet as the search list shows it (one line, which VS Code cuts at the list's width): a table of
 * contents' dot leaders folded to " … " and marked as such, and the text before the first place the query occurs cut
 * to a few words, so the match VS Code highlights is visible rather than past the cut.
 */
export function searchDetail(snippet: string, query: string): string {
    const contents = (snippet.match(dotLeader)?.length ?? 0) >= 2;
    const text = contents ? snippet.replace(dotLeader, " … ") : snippet;
    return `${contents ? "Table of contents: " : ""}${fromMatch(text, query)}`;
}

function fromMatch(text: string, query: string): string {
    const at = firstMatch(text, query);
    if (at <= leadChars + 10) return text;
    const space = text.indexOf(" ", at - leadChars);
    const start = space >= 0 && space < at ? space + 1 : at - leadChars;
    return `…${text.slice(start)}`;
}

/** Where the whole query (as VS Code highlights it), else its first word of two or more characters, first occurs; -1 if nowhere. */
function firstMatch(text: string, query: string): number {
    const lower = text.toLowerCase();
    const whole = lower.indexOf(query.trim().toLowerCase());
    if (whole >= 0) return whole;
    const places = (query.toLowerCase().match(/[\p{L}\p{N}]{2,}/gu) ?? []).map((word) => lower.indexOf(word)).filter((place) => place >= 0);
    return places.length ? Math.min(...places) : -1;
}

/** How the search list names the retrieval that ran. */
export function retrievalLabel(kind: RetrievalKind | undefined): string {
    switch (kind) {
        case "hybrid": return "hybrid (BM25 + embeddings)";
        case "hybrid+rerank": return "hybrid (BM25 + embeddings), reranked";
        case "bm25+rerank": return "BM25, reranked";
        default: return "BM25";
    }
}
