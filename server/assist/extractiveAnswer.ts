import type { IndexHit } from "../core/WorkspaceIndex";
import { tokenize } from "../core/tokenize";
import { plainSentence, splitSentences } from "./sentences";
import { notFoundAnswer, type Citation } from "./types";

export interface ExtractiveAnswerOptions {
    /** Share of the question's (idf-weighted) terms a sentence must contain to count as an answer. Defaults to 0.5. */
    minCoverage?: number;
}

export interface ExtractiveAnswer {
    answer: string;
    found: boolean;
    citations: Citation[];
}

// Words that shape a question but never appear in its answer.
const questionWords = new Set(tokenize("what which who whom whose when where why how much many does did do is are was were can could should would tell me about please there"));

/**
 * Answers with the sentences from the retrieved chunks (`hits`) that cover the question best. Coverage is
 * weighted by how rare each term is in the index, so a question about something the documents never
 * mention ("Mongolia") cannot be answered by a sentence that merely shares a common word.
 */
export function extractiveAnswer(
    question: string,
    hits: IndexHit[],
    termWeight: (term: string) => number,
    options: ExtractiveAnswerOptions = {},
): ExtractiveAnswer {
    const terms = [...new Set(tokenize(question))].filter((term) => !questionWords.has(term));
    if (terms.length === 0) return { answer: notFoundAnswer, found: false, citations: [] };
    const weights = new Map(terms.map((term) => [term, termWeight(term)]));
    const totalWeight = [...weights.values()].reduce((sum, weight) => sum + weight, 0);
    const minCoverage = options.minCoverage ?? 0.5;
    const expected = expectedAnswerShape(question);

    const candidates: { text: string; coverage: number; rank: number; citation: Citation }[] = [];
    const coverageOf = (present: Set<string>) => terms.reduce((sum, term) => sum + (present.has(term) ? weights.get(term)! : 0), 0) / totalWeight;
    hits.forEach((hit, rank) => {
        const sentences = splitSentences(hit.chunk.text);
        const termSets = sentences.map((sentence) => new Set(tokenize(sentence.text)));
        sentences.forEach((sentence, i) => {
            // Questions often name their subject in the sentence before the answer ("9.1 Hens. No more than six…"),
            // so the neighbours count too, at a discount.
            // Questions often name their subject in a neighbouring sentence ("9.1 Hens. No more than six…") or ask
            // for two facts that sit side by side, so the sentence with its neighbours competes too, at a discount.
            const own = coverageOf(termSets[i]);
            const window = sentences.slice(Math.max(0, i - 1), i + 2);
            const wide = 0.85 * coverageOf(new Set(termSets.slice(Math.max(0, i - 1), i + 2).flatMap((set) => [...set])));
            // A question in the documents (a FAQ, the user's own notes) says where an answer may follow, but is never
            // the answer: it counts for finding the passage, not in what is answered.
            const span = (wide > own ? window : [sentence]).filter((part) => !isQuestion(part.text));
            if (span.length === 0) return;
            const coverage = Math.max(own, wide);
            const text = span.map((part) => plainSentence(part.text)).join(" ");
            // A passage of the kind the question asks for (a date for "when", an amount for "how much") is preferred.
            const bonus = coverage >= minCoverage && expected?.test(text) ? 0.15 : 0;
            candidates.push({ text, coverage: coverage + bonus, rank, citation: citationFor(hit, span[0].start, span[span.length - 1].start + span[span.length - 1].text.length - span[0].start) });
        });
    });
    candidates.sort((a, b) => b.coverage - a.coverage || a.rank - b.rank);
    const best = candidates[0];
    if (!best || best.coverage < minCoverage) return { answer: notFoundAnswer, found: false, citations: [] };
    return { answer: best.text, found: true, citations: [best.citation] };
}

/**
 * The best idf-weighted share of the question's terms that any one retrieved chunk contains. Near zero
 * means retrieval found nothing about the question's subject, so no engine should try to answer.
 */
export function retrievalCoverage(question: string, hits: IndexHit[], termWeight: (term: string) => number): number {
    const terms = [...new Set(tokenize(question))].filter((term) => !questionWords.has(term));
    const total = terms.reduce((sum, term) => sum + termWeight(term), 0);
    if (total === 0) return 0;
    let best = 0;
    for (const hit of hits) {
        const present = new Set(tokenize(hit.chunk.text));
        best = Math.max(best, terms.reduce((sum, term) => sum + (present.has(term) ? termWeight(term) : 0), 0) / total);
    }
    return best;
}

const month = "(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*";

/** What an answer to this question looks like on the page, when the question word says so. */
function expectedAnswerShape(question: string): RegExp | undefined {
    const q = question.toLowerCase();
    if (/\bwhen\b|\bwhat (?:date|day|time|year)\b/.test(q)) return new RegExp(`\\b(?:\\d{1,2}(?:st|nd|rd|th)? ${month}|${month} \\d{1,2}|\\d{4}-\\d{2}-\\d{2}|(?:mon|tues|wednes|thurs|fri|satur|sun)day|\\d{1,2}[:.]\\d{2}\\s*(?:am|pm))`, "i");
    if (/\bhow much\b|\bcost\b|\bprice\b/.test(q)) return /[£$€¥]\s?\d|\d\s?(?:pounds|dollars|euros)\b/i;
    if (/\bhow (?:many|long|far|big|old)\b/.test(q)) return /\d/;
    return undefined;
}

function isQuestion(sentence: string): boolean {
    return /\?["'”’)\]]*\s*$/.test(sentence);
}

/**
 * The citation of a passage inside a hit — `length` characters from `offsetInChunk`, the rest of the chunk by default:
 * its page, or the line it starts on, and where it is in the extracted text (for the readable view of the source).
 */
export function citationFor(hit: IndexHit, offsetInChunk: number, length = hit.chunk.text.length - offsetInChunk): Citation {
    const { chunk } = hit;
    const passage = { offset: chunk.start + offsetInChunk, length };
    if (chunk.page) return { path: hit.path, page: chunk.page, ...passage };
    if (chunk.line) return { path: hit.path, line: chunk.line + (chunk.text.slice(0, offsetInChunk).match(/\n/g)?.length ?? 0), ...passage };
    return { path: hit.path, ...passage };
}
