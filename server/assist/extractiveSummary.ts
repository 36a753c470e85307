import { hasDotLeaders } from "../core/tableOfContents";
import { tokenize } from "../core/tokenize";
import type { OutlineEntry } from "../core/types";
import { plainSentence, splitSentences } from "./sentences";
import { changelogRanges, withinRanges } from "./summarySections";

export interface ExtractiveSummaryOptions {
    /** Sentences to keep. Defaults to √(sentence count), between 3 and 7; with `brief`, a third of that, between 2 and 4. */
    sentences?: number;
    /**
     * A lead for a summary that also shows the document's title and sections (structuredSummary): 2–4 sentences that
     * say what the document is, so from its opening rather than its depths, and of readable length.
     */
    brief?: boolean;
    /** The document's title: sentences that use its words are about the document as a whole. */
    title?: string;
    /** The document's outline, which locates its sections: those that are changelogs are not quoted. */
    outline?: readonly OutlineEntry[];
}

// Licence and copyright notices open many manuals and matter to none of their summaries.
const boilerplate = /free software; you (?:can|may) redistribute|without (?:any|even the implied) warranty|merchantability|all rights reserved|copyright (?:©|\(c\)|\d{4})|licensed under (?:the|a)\b|permission is granted to (?:copy|use)|general public license|creative commons/i;
/** A brief lead stops growing past this many characters (after its first two sentences), and never takes one past the cap. */
const briefLeadChars = 450;
const briefLeadCap = 700;

/**
 * A summary made of the document's own most central sentences, in document order. Centrality is the
 * average weight of a sentence's terms, where a term weighs more the more often the document uses it;
 * near-duplicate sentences are skipped. No model involved: this is the engine that always works.
 *
 * Only prose is quoted: not table rows, contents lines, licence notices, nor the sentences of a changelog or revision
 * history (summarySections) — unless the document is nothing but its changelog.
 */
export function extractiveSummary(text: string, options: ExtractiveSummaryOptions = {}): string {
    const prose = splitSentences(text)
        .flatMap((sentence) => listItems(sentence.text).map((item) => ({ start: sentence.start, text: readable(plainSentence(item)) })))
        .map((sentence, position) => ({ ...sentence, position, terms: tokenize(sentence.text) }))
        .filter((sentence) => sentence.terms.length >= 5 && sentence.terms.length <= 50 && /[.!?…]["')”’]*$/.test(sentence.text))
        // Table rows glued into one "sentence" (PDF and DOCX tables) are mostly figures: they are not prose to quote;
        // nor are the lines of a table of contents.
        .filter((sentence) => sentence.terms.filter((term) => /^\d/.test(term)).length <= sentence.terms.length / 4 && !hasDotLeaders(sentence.text))
        .filter((sentence) => !boilerplate.test(sentence.text));
    const inChangelog = withinRanges(changelogRanges(text, options.outline));
    const outside = prose.filter((sentence) => !inChangelog(sentence.start));
    const candidates = outside.length > 0 ? outside : prose;
    if (candidates.length === 0) return plainSentence(text.trim().slice(0, 400).replace(/\s+/g, " "));
    const frequency = new Map<string, number>();
    for (const sentence of candidates) for (const term of new Set(sentence.terms)) frequency.set(term, (frequency.get(term) ?? 0) + 1);
    const root = Math.sqrt(candidates.length);
    const count = options.sentences ?? (options.brief ? Math.min(4, Math.max(2, Math.round(root / 3))) : Math.min(7, Math.max(3, Math.round(root))));
    const titleTerms = new Set(tokenize(options.title ?? ""));
    const scored = candidates.map((sentence) => {
        const unique = [...new Set(sentence.terms)];
        const weight = unique.reduce((sum, term) => sum + Math.log(1 + (frequency.get(term) ?? 0)), 0) / Math.sqrt(unique.length + 4);
        // Openings of documents tend to say what they are about.
        const lead = sentence.position < 3 ? 1.15 : 1;
        const named = titleTerms.size ? 1 + (0.5 * unique.filter((term) => titleTerms.has(term)).length) / titleTerms.size : 1;
        return { ...sentence, unique: new Set(unique), score: weight * lead * named * (options.brief ? leadFit(sentence, text.length) : 1) };
    });
    const chosen: typeof scored = [];
    let chars = 0;
    for (const sentence of [...scored].sort((a, b) => b.score - a.score || a.position - b.position)) {
        if (chosen.length >= count || (options.brief && chosen.length >= 2 && chars >= briefLeadChars)) break;
        if (chosen.some((kept) => jaccard(kept.unique, sentence.unique) > 0.5)) continue;
        if (options.brief && chosen.length >= 2 && chars + sentence.text.length > briefLeadCap) continue;
        chosen.push(sentence);
        chars += sentence.text.length + 1;
    }
    return chosen.sort((a, b) => a.position - b.position).map((sentence) => sentence.text).join(" ");
}

/**
 * How well a sentence fits a brief lead: near the start of the document (where introductions and scopes are: twice the
 * weight at the start, fading over the first fifth), saying what the document is ("This manual describes…"), and
 * not a paragraph-long sentence.
 */
function leadFit(sentence: { start: number; text: string; terms: string[] }, length: number): number {
    const opening = 1 + Math.exp(-sentence.start / (0.07 * length || 1));
    const describesItself = selfDescription.test(sentence.text) ? 1.3 : danglingStart.test(sentence.text) ? 0.7 : 1;
    const readableLength = sentence.terms.length > 35 ? 35 / sentence.terms.length : 1;
    return opening * describesItself * readableLength;
}

// "It tested everyone's patience": a sentence that opens by pointing back reads badly as the first of a lead.
const danglingStart = /^(?:it|they|he|she|these|those|this|that|such)\b/i;
const selfDescription = /\b(?:this|the present) (?:document|manual|guide|book|handbook|report|paper|reference|specification|standard|tutorial|article|policy)\b/i;

/** A "sentence" that is a bulleted list glued together (PDF text keeps bullets inline): its items. */
function listItems(sentence: string): string[] {
    return sentence.split(/\s+[•◦▪‣]\s+/).map((item) => item.replace(/^[•◦▪‣]\s*/, "")).filter(Boolean);
}

/** Spaces before punctuation and inside brackets dropped: what text split at inline elements (EPUB) leaves. */
function readable(sentence: string): string {
    return sentence.replace(/\s+([,.;:!?)\]])/g, "$1").replace(/([(\[])\s+/g, "$1");
}

function jaccard(a: Set<string>, b: Set<string>): number {
    let shared = 0;
    for (const term of a) if (b.has(term)) shared++;
    return shared / (a.size + b.size - shared || 1);
}
