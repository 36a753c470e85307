import { hasDotLeaders } from "../core/tableOfContents";
import { tokenize } from "../core/tokenize";
import { plainSentence, splitSentences } from "./sentences";

export interface ExtractiveSummaryOptions {
    /** Sentences to keep. Defaults to √(sentence count), between 3 and 7. */
    sentences?: number;
}

/**
 * A summary made of the document's own most central sentences, in document order. Centrality is the
 * average weight of a sentence's terms, where a term weighs more the more often the document uses it;
 * near-duplicate sentences are skipped. No model involved: this is the engine that always works.
 */
export function extractiveSummary(text: string, options: ExtractiveSummaryOptions = {}): string {
    const candidates = splitSentences(text)
        .map((sentence, position) => ({ position, text: plainSentence(sentence.text), terms: tokenize(sentence.text) }))
        .filter((sentence) => sentence.terms.length >= 5 && sentence.terms.length <= 50 && /[.!?…]["')”’]*$/.test(sentence.text))
        // Table rows glued into one "sentence" (PDF and DOCX tables) are mostly figures: they are not prose to quote;
        // nor are the lines of a table of contents.
        .filter((sentence) => sentence.terms.filter((term) => /^\d/.test(term)).length <= sentence.terms.length / 4 && !hasDotLeaders(sentence.text));
    if (candidates.length === 0) return plainSentence(text.trim().slice(0, 400).replace(/\s+/g, " "));
    const frequency = new Map<string, number>();
    for (const sentence of candidates) for (const term of new Set(sentence.terms)) frequency.set(term, (frequency.get(term) ?? 0) + 1);
    const count = options.sentences ?? Math.min(7, Math.max(3, Math.round(Math.sqrt(candidates.length))));
    const scored = candidates.map((sentence) => {
        const unique = [...new Set(sentence.terms)];
        const weight = unique.reduce((sum, term) => sum + Math.log(1 + (frequency.get(term) ?? 0)), 0) / Math.sqrt(unique.length + 4);
        // Openings of documents tend to say what they are about.
        const lead = sentence.position < 3 ? 1.15 : 1;
        return { ...sentence, unique: new Set(unique), score: weight * lead };
    });
    const chosen: typeof scored = [];
    for (const sentence of [...scored].sort((a, b) => b.score - a.score || a.position - b.position)) {
        if (chosen.length >= count) break;
        if (chosen.some((kept) => jaccard(kept.unique, sentence.unique) > 0.5)) continue;
        chosen.push(sentence);
    }
    return chosen.sort((a, b) => a.position - b.position).map((sentence) => sentence.text).join(" ");
}

function jaccard(a: Set<string>, b: Set<string>): number {
    let shared = 0;
    for (const term of a) if (b.has(term)) shared++;
    return shared / (a.size + b.size - shared || 1);
}
