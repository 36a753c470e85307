import { hasDotLeaders } from "../core/tableOfContents";
import type { IndexHit } from "../core/WorkspaceIndex";
import { compoundParts, tokenize } from "../core/tokenize";
import { plainSentence, splitSentences, type Sentence } from "./sentences";
import { lightStem, phraseBonus, phraseCoverage, questionPhrases } from "./matching";
import { expectedAnswerShape, newShapeIn, type TextTest } from "./answerShape";
import { rowText, tableRows } from "./tableRows";
import { fieldLine, isHeading, isSectionHeading } from "./sectionHeading";
import { lemmasOf, synonymsOf } from "./synonyms";
import type { ReadChunk } from "./adjacentText";
import { notFoundAnswer, type Citation, type Passage } from "./types";

export interface ExtractiveAnswerOptions {
    /**
     * Share of the question's (idf-weighted) terms a sentence must contain to count as an answer. Defaults to 0.4 when
     * `isKnown` says every term is in the documents, else 0.5.
     */
    minCoverage?: number;
    /** Whether any indexed chunk contains the term. */
    isKnown?: (term: string) => boolean;
    /**
     * The text whose terms an answer must cover, when not the question's own: a follow-up's question with the subject
     * carried from the conversation ("when was that?" + "irrigation project cost"). The question still says what an
     * answer looks like (a date for "when").
     */
    query?: string;
}

export interface ExtractiveAnswer {
    answer: string;
    found: boolean;
    citations: Citation[];
    /** Found answers only: the top 2–3 distinct passages that support it, the answer's own first (see AnswerResult). */
    passages?: Passage[];
}

// Words that shape a question but never appear in its answer.
const questionWords = new Set(tokenize("what which who whom whose when where why how much many does did do is are was were can could should would tell me about please there"));

/** The distinct search terms of a question that say what it is about: its words less stop words and question words. */
export function contentTerms(question: string): string[] {
    return [...new Set(tokenize(question))].filter((term) => !questionWords.has(term));
}

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
    const shape = expectedAnswerShape(question);
    const asked = contentTerms(options.query ?? question);
    const literals = literalsOf(options.query ?? question);
    // "version 4.5.0" is matched by "4.5.0", not by any 4, 5 or 0
    const dottedParts = new Set(asked.filter((term) => term.includes(".")).flatMap((term) => term.split(".")));
    // "Is the X field required?": "required" is what the answer decides ("X: optional"), not a word it must repeat.
    const words = (shape?.decides ? asked.filter((term) => !shape.decides!.has(term)) : asked).filter((term) => !dottedParts.has(term));
    const terms = [...words, ...literals.map((literal) => literal.key)];
    if (terms.length === 0) return { answer: notFoundAnswer, found: false, citations: [] };
    const weights = new Map(words.map((term) => [term, termWeight(term)]));
    // a number, a version or a symbol names exactly one thing ("console 3", "version 4.5.0", "[]"): as rare as the
    // question's rarest word, where the index finds digits everywhere
    const literalWeight = Math.max(1, ...weights.values());
    for (const term of words) if (/^[\d.]+$/.test(term)) weights.set(term, literalWeight);
    for (const literal of literals) weights.set(literal.key, literalWeight);
    const totalWeight = [...weights.values()].reduce((sum, weight) => sum + weight, 0);
    // A question whose words (or their synonyms) all occur in the documents may be answered by a sentence that says it
    // in other words (0.4 of it in the same words); one naming something no document mentions ("Mongolia") needs half.
    const synonyms = new Map(words.map((term) => [term, [...synonymsOf(term)]]));
    const known = (term: string) => options.isKnown!(term) || synonyms.get(term)!.some(options.isKnown!) || baseForms(term).some(options.isKnown!);
    const minCoverage = options.minCoverage ?? (options.isKnown && words.every(known) ? 0.4 : 0.5);
    const expected = shape && newShapeIn(shape.pattern, options.query ?? question);
    const precise = shape?.precise && newShapeIn(shape.precise, options.query ?? question);
    const shaped = (text: string) => (expected?.test(text) ? shapeBonus + (precise?.test(text) ? preciseBonus : 0) : 0);

    const candidates: Candidate[] = [];
    // Sentences are matched on stems: "the largest shed" is answered by "Shed: no larger than…".
    const stems = terms.map(lightStem);
    // Words said otherwise count at a discount: a synonym of a verb or adjective ("on vacation" for "going on holiday"),
    // a word of the same first six letters ("registration" for "registering", "documents" for "documentation").
    const alternatives = terms.map((term) => [
        ...(synonyms.get(term) ?? []).map((word) => ({ key: `~${word}`, share: synonymShare })),
        ...(term.length > prefixLength && /^[a-z]+$/.test(term) ? [{ key: `^${term.slice(0, prefixLength)}`, share: prefixShare }] : []),
        // "mandatory" is said "must", at a synonym's share
        ...(requirementLevels.has(term) ? [{ key: `=${requirementLevels.get(term)}`, share: synonymShare }] : []),
    ]);
    const coverageOf = (present: Set<string>) =>
        terms.reduce((sum, term, i) => sum + weights.get(term)! * (present.has(stems[i]) ? 1 : Math.max(0, ...alternatives[i].map((alternative) => (present.has(alternative.key) ? alternative.share : 0)))), 0) / totalWeight;
    // a sentence that writes two of the question's neighbouring words as one ("timezone" for "time zone") has both
    const compounds = compoundParts(tokenize(options.query ?? question));
    const plainNumbers = words.filter((term) => /^\d+$/.test(term)).map((term) => ({ term, alone: new RegExp(`(?<![\\d.])${term}(?!\\.\\d|\\d)`) }));
    const stemsOf = (text: string) => {
        const stems = new Set<string>();
        for (const term of tokenize(text)) {
            stems.add(lightStem(term));
            for (const lemma of lemmasOf(term)) stems.add(`~${lemma}`);
            if (term.length > prefixLength) stems.add(`^${term.slice(0, prefixLength)}`);
            for (const part of compounds.get(term) ?? []) stems.add(lightStem(part));
            const level = requirementLevels.get(term);
            if (level) stems.add(`=${level}`);
        }
        for (const literal of literals) if (literal.pattern.test(text)) stems.add(literal.key);
        // "Windows 11" is not answered by section "11.8.5": a number the question says alone counts where the text does
        for (const { term, alone } of plainNumbers) if (stems.has(term) && !alone.test(text)) stems.delete(term);
        return stems;
    };
    const askedStems = new Set(stems);
    const phrases = questionPhrases(tokenize(options.query ?? question).filter((term) => !questionWords.has(term)), (term) => weights.get(term) ?? 0);
    const chunks = hits.map((hit, rank) => {
        const sentences = splitSentences(hit.chunk.text);
        // "What analogy does the Debian Reference use…": the words naming the document are said by all of its text
        const titled = [...stemsOf(hit.document.title ?? "")].filter((stem) => askedStems.has(stem));
        const withTitle = (stems: Set<string>) => {
            for (const stem of titled) stems.add(stem);
            return stems;
        };
        const termSets = sentences.map((sentence) => withTitle(withFieldWords(sentence.text, stemsOf(sentence.text))));
        const own = termSets.map(coverageOf);
        // "Version 4.4.1 … doc-base registration is now optional": a section's heading says what each of its sentences is
        // about, at a discount
        const headings = sectionHeadings(sentences);
        const inSection = (coverage: number, present: Set<string>, context: number[]) => {
            const around = context.filter((j) => j >= 0);
            return around.length === 0 ? coverage : coverage + headingShare * (coverageOf(new Set([...present, ...around.flatMap((j) => [...termSets[j]])])) - coverage);
        };
        const placed = own.map((coverage, i) => inSection(coverage, termSets[i], [headings[i]]));
        // Bonuses only order what already covers enough of the question: they never make an answer of a sentence that does not.
        const phrased = sentences.map((sentence) => phraseBonus * phraseCoverage(phrases, sentence.text));
        const scored = placed.map((coverage, i) => coverage + (coverage >= minCoverage ? phrased[i] + (namesAskedField(sentences[i].text, askedStems) ? askedFieldBonus : 0) : 0));
        const rows = tableRows(hit.chunk.text);
        // a "sentence" made of a table's rows (HTML keeps no full stop between them, a PDF's lines none) is no answer, nor
        // part of a neighbour's window: its rows are, below
        const isTable = sentences.map((sentence) => rows.filter((row) => row.start >= sentence.start && row.start < rawEnd(hit.chunk.text, sentence)).length >= 2);
        sentences.forEach((_, i) => {
            if (isTable[i]) return;
            // Questions often name their subject in a neighbouring sentence ("9.1 Hens. No more than six…") or ask
            // for two facts that sit side by side, so the sentence with its neighbours competes too, at a discount.
            const window = range(Math.max(0, i - 1), Math.min(sentences.length, i + 2)).filter((j) => !isTable[j]);
            const windowTerms = new Set(window.flatMap((j) => [...termSets[j]]));
            const wideCoverage = 0.85 * inSection(coverageOf(windowTerms), windowTerms, [headings[window[0]]]);
            // (a question's words side by side are no bonus: it is never quoted)
            const wide = wideCoverage + (wideCoverage >= minCoverage ? 0.85 * Math.max(0, ...window.map((j) => (isQuestion(sentences[j].text) ? 0 : phrased[j]))) : 0);
            // A question in the documents (a FAQ, the user's own notes) says where an answer may follow, but is never
            // the answer: it counts for finding the passage, not in what is answered.
            const span = (wide > scored[i] ? window : [i]).filter((j) => !isQuestion(sentences[j].text));
            if (span.length === 0) return;
            const text = span.map((j) => plainSentence(sentences[j].text)).join(" ");
            const coverage = Math.max(scored[i], wide);
            // A passage of the kind the question asks for (a date for "when", an amount for "how much") is preferred.
            const bonus = coverage >= minCoverage ? shaped(text) : 0;
            const first = sentences[span[0]];
            const last = sentences[span[span.length - 1]];
            candidates.push({ text, coverage: coverage + bonus, rank, span, citation: citationFor(hit, first.start, last.start + last.text.length - first.start) });
        });
        // A table's row answers with its columns' names, which count as its words ("what Multi-Arch value does
        // libfoo-tools get?" → "Package: libfoo-tools; Architecture: any; Multi-Arch: foreign; …").
        for (const row of rows) {
            const text = rowText(row);
            const rowTerms = withTitle(stemsOf(`${row.cells.join(" ")} ${row.header?.join(" ") ?? ""} ${row.caption ? `${row.caption.columns} ${row.caption.title}` : ""}`));
            // a table is about what its caption or the sentence before it says ("Here are some typical multiarch package split scenario examples")
            let caption = sentences.length - 1;
            while (caption >= 0 && sentences[caption].start >= row.tableStart) caption--;
            // (its last two sentences: "Let us be reminded of the IPv4 address ranges in each class reserved for local
            // networks. These addresses are guaranteed not to conflict…")
            const intro = caption > 0 && !isSectionHeading(sentences[caption - 1].text) ? [caption, caption - 1] : [caption];
            const rowCoverage = inSection(coverageOf(rowTerms), rowTerms, caption < 0 || isSectionHeading(sentences[caption].text) ? [caption] : [...intro, headings[caption]!]);
            const coverage = rowCoverage + (rowCoverage >= minCoverage ? phraseBonus * phraseCoverage(phrases, text) + shaped(text) : 0);
            const citation = citationFor(hit, row.start, row.end - row.start);
            candidates.push({ text, coverage, rank, span: [], citation, passage: { text, ...citation } });
        }
        return { hit, sentences, own, coverage: (text: string) => coverageOf(stemsOf(text)) };
    });
    candidates.sort((a, b) => b.coverage - a.coverage || a.rank - b.rank);
    const best = candidates[0];
    if (!best || best.coverage < minCoverage) return { answer: notFoundAnswer, found: false, citations: [] };
    const answer = withContext(best, chunks[best.rank]!, (text) => expected?.test(text) ?? false);
    return { answer: answer.text, found: true, citations: [answer.citation], passages: supportingPassages(candidates, chunks, minCoverage, expected) };
}

/**
 * The answer with the sentences it cannot be read without: the one before, when it opens by pointing back ("That's
 * why the first release was 1.1", "These are the copyright dates…"); the ones after, while short, when it announces
 * them ("The following priority levels are recognized:").
 */
function withContext(candidate: Candidate, chunk: ScoredChunk, isExpected: (text: string) => boolean): { text: string; citation: Citation } {
    if (candidate.passage) return candidate;
    const { sentences, hit } = chunk;
    const span = [...candidate.span];
    const usable = (j: number) => j >= 0 && j < sentences.length && !isQuestion(sentences[j].text);
    // the next section's heading is no part of this answer ("… # chvt 3 1.1.7 How to leave the command prompt"),
    // unless it says what was asked ("3.13. /opt : Add-on application software packages" for what /opt is for)
    while (span.length > 1 && isSectionHeading(sentences[span[span.length - 1]].text) && !isExpected(sentences[span[span.length - 1]].text)) span.pop();
    // a short answer reads with the heading it sits under: "Version 4.5.0 Released January, 2020."
    if (span.length === 1 && sentences[span[0]].text.length <= 60 && usable(span[0] - 1) && isSectionHeading(sentences[span[0] - 1].text)) span.unshift(span[0] - 1);
    const first = span[0];
    const pointsBack = /^(?:this|that|these|those|it|they|such|thus|hence|therefore)\b|\b(?:in|of|for|to|within|from) (?:this|these|those|that|such) (?:range|ranges|list|value|values|case|cases|way|form|format|field|table|directory|section)\b/i;
    if (pointsBack.test(sentences[first].text) && usable(first - 1) && !isHeading(sentences[first - 1].text)) span.unshift(first - 1);
    const announces = (text: string) => /:\s*$|\b(?:the following|as follows)\b/i.test(text);
    const announcing = [...span].reverse().find((j) => announces(sentences[j].text));
    const items = announcing === undefined ? [] : listItems(sentences, announcing + 1, usable);
    const lead = span.filter((j) => announcing === undefined || j <= announcing);
    const leadLength = lead.reduce((sum, j) => sum + sentences[j].text.length + 1, 0);
    // a list of long items is answered with the start of each: what the list names, not the first item whole
    if (items.length >= 2 && leadLength + range(announcing! + 1, items[items.length - 1] + 1).reduce((sum, j) => sum + sentences[j].text.length + 1, 0) > passageChars) {
        const start = sentences[lead[0]].start;
        const last = sentences[items[items.length - 1]];
        return {
            text: [...lead.map((j) => plainSentence(sentences[j].text)), ...items.map((j) => clipWords(plainSentence(sentences[j].text), listItemWords))].join(" "),
            citation: citationFor(hit, start, rawEnd(hit.chunk.text, last) - start),
        };
    }
    // a field's line with a short value ("Test-Command: shell command") heads the paragraph that says what it means
    const fieldHead = (text: string) => {
        const plain = plainSentence(text);
        const label = fieldLine.exec(plain)?.[1];
        return label !== undefined && plain.slice(label.length + 1).trim().split(" ").length <= 4;
    };
    // the sentences after the span, while `accepts` takes them and the passage stays within passageChars
    const growWhile = (accepts: (j: number) => boolean) => {
        let length = span.reduce((sum, j) => sum + sentences[j].text.length + 1, 0);
        for (let j = span[span.length - 1] + 1; usable(j) && accepts(j) && length + sentences[j].text.length <= passageChars; j++) {
            span.push(j);
            length += sentences[j].text.length + 1;
        }
    };
    if (span.length === 1 && fieldHead(sentences[span[0]].text)) growWhile((j) => !fieldHead(sentences[j].text) && !isHeading(sentences[j].text));
    else if (announces(sentences[span[span.length - 1]].text)) growWhile(() => true);
    if (span.length === candidate.span.length && span.every((j, k) => j === candidate.span[k])) return candidate;
    const start = sentences[span[0]].start;
    return {
        text: span.map((j) => plainSentence(sentences[j].text)).join(" "),
        citation: citationFor(hit, start, rawEnd(hit.chunk.text, sentences[span[span.length - 1]]) - start),
    };
}

// RFC 2119's requirement levels: a specification says "must" where a question asks what is "mandatory" or "required"
const requirementLevels = new Map<string, string>([
    ...["must", "shall", "required", "mandatory", "compulsory"].map((word) => [word, "required"] as const),
    ...["should", "recommended"].map((word) => [word, "recommended"] as const),
    ...["may", "optional"].map((word) => [word, "optional"] as const),
]);

/**
 * The share of a word's weight that a synonym, or a word of the same first `prefixLength` letters, earns. Measured on
 * the Debian benchmark: prefixes of 5 or 6 letters at 0.8 +1 answer (0.5: none; 7 letters: none); synonyms of verbs
 * and adjectives at 0.5 +1 answer, none lost (at 0.7 one gained and one lost; with nouns one lost).
 */
const synonymShare = 0.5;
const prefixShare = 0.8;
const prefixLength = 6;

/** The share of what a section's heading adds to a sentence's coverage that the sentence is credited with. */
const headingShare = 0.8;

/** For each sentence, the index of the nearest section heading before it in the same text, or -1. */
function sectionHeadings(sentences: Sentence[]): number[] {
    let heading = -1;
    return sentences.map((sentence, i) => {
        const before = heading;
        if (isSectionHeading(sentence.text)) heading = i;
        return before;
    });
}

/** Coverage added to a passage of the kind the question asks for (a date for "when"). */
const shapeBonus = 0.15;

/** Coverage added to a passage of the expected kind that also has its precise form. */
const preciseBonus = 0.15;

/** Words of each item kept when a long list is answered. */
const listItemWords = 12;

/**
 * The items of a definition list that starts at sentence `from` ("required: Packages which…", "important: …"): the
 * sentences that open with a short label and a colon, with the sentences that continue an item skipped, up to a heading
 * or a gap of more than three sentences without an item.
 */
function listItems(sentences: Sentence[], from: number, usable: (j: number) => boolean): number[] {
    const items: number[] = [];
    for (let j = from, since = 0; usable(j) && since <= 3 && items.length < 12; j++, since++) {
        if (isHeading(sentences[j].text)) break;
        if (fieldLine.test(plainSentence(sentences[j].text))) {
            items.push(j);
            since = -1;
        } else if (items.length === 0) break;
    }
    return items;
}

/** The first `count` words of a text, with an ellipsis when there were more. */
function clipWords(text: string, count: number): string {
    const words = text.split(" ");
    return words.length <= count ? text : `${words.slice(0, count).join(" ").replace(/[,;:]$/, "")} …`;
}

interface Candidate {
    text: string;
    coverage: number;
    /** The hit it is in, and the indices of its sentences there. */
    rank: number;
    span: number[];
    citation: Citation;
    /** A table row: quoted as it is, with no sentences around it. */
    passage?: Passage;
}

interface ScoredChunk {
    hit: IndexHit;
    sentences: Sentence[];
    /** Each sentence's own coverage of the question. */
    own: number[];
    /** The coverage of the question by any text. */
    coverage: (text: string) => number;
}

/** At most this many passages support an answer. */
const maxPassages = 3;
/** A passage grows by a neighbouring sentence (or line) while it stays this short, in characters. */
const passageChars = 420;
/** Passages of one document closer than this (characters of extracted text) are one place, quoted once. */
const samePlaceChars = 200;

/**
 * The passages that support an answer: the answer's own, then the best passage of each other retrieved chunk that
 * covers the question well enough on its own, those of the kind the question asks for (a date for "when") first.
 * One per place: a passage near one already chosen (same document, within `samePlaceChars`) or saying nearly the
 * same thing is left out.
 */
function supportingPassages(candidates: Candidate[], chunks: ScoredChunk[], minCoverage: number, expected: TextTest | undefined): Passage[] {
    const found: { passage: Passage; order: number; shaped: boolean }[] = [];
    const seen = new Set<number>();
    for (const candidate of candidates) {
        // candidates are best first: the first of each chunk with a passage worth quoting is its best
        if (seen.has(candidate.rank)) continue;
        const chunk = chunks[candidate.rank]!;
        const passage = candidate.passage ?? passageAround(chunk, candidate.span);
        // the answer's own passage is always wanted; another must cover the question by itself (its questions left out)
        if (!passage || (candidate !== candidates[0] && chunk.coverage(passage.text) < minCoverage * 0.8)) continue;
        seen.add(candidate.rank);
        found.push({ passage, order: found.length, shaped: candidate === candidates[0] || (expected?.test(passage.text) ?? false) });
    }
    const [own, ...rest] = found;
    if (!own) return [];
    rest.sort((a, b) => Number(b.shaped) - Number(a.shaped) || a.order - b.order);
    const passages: Passage[] = [];
    const chosenTerms: Set<string>[] = [];
    for (const { passage } of [own, ...rest]) {
        if (passages.length === maxPassages) break;
        if (passages.some((other) => samePlace(other, passage))) continue;
        const terms = new Set(tokenize(passage.text));
        if (chosenTerms.some((other) => overlap(other, terms) >= 0.8)) continue;
        passages.push(passage);
        chosenTerms.push(terms);
    }
    return passages;
}

/**
 * The passage of a chunk around a candidate's sentences: the contiguous run of them that covers the question best,
 * without questions or contents lines, given a neighbouring sentence of context when it is a lone sentence and the
 * passage stays short. A long "sentence" of many lines (a table, CSV rows, code) is cut to its best lines.
 */
function passageAround(chunk: ScoredChunk, span: number[]): Passage | undefined {
    const { hit, sentences, own } = chunk;
    const quotable = (j: number) => j >= 0 && j < sentences.length && isQuotable(sentences[j].text);
    const runs: number[][] = [];
    for (const j of span) {
        if (!quotable(j)) continue;
        const run = runs[runs.length - 1];
        if (run && run[run.length - 1] === j - 1) run.push(j);
        else runs.push([j]);
    }
    if (runs.length === 0) return undefined;
    const score = (indices: number[]) => indices.reduce((sum, j) => sum + own[j], 0);
    const run = runs.reduce((bestRun, next) => (score(next) > score(bestRun) ? next : bestRun));
    // the heading of the next section is no context for this one (a slide's undotted line with a date or an amount is no heading)
    const nextHeading = (j: number) => own[j] === 0 && isHeading(sentences[j].text);
    while (run.length > 1 && nextHeading(run[run.length - 1])) run.pop();
    const markdown = hit.document.format === "markdown";
    const pieces = (indices: number[]) => indices.map((j) => ({ start: sentences[j].start, end: rawEnd(hit.chunk.text, sentences[j]), text: sentences[j].text }));
    let parts = pieces(run);
    if (run.length === 1) {
        const lines = linesOf(hit.chunk.text, parts[0].start, parts[0].end);
        if (parts[0].text.length > passageChars && lines.length > 2) {
            parts = widen(lines, lines.reduce((bestLine, line, i) => (chunk.coverage(line.text) > chunk.coverage(lines[bestLine].text) ? i : bestLine), 0), markdown);
        } else {
            for (const j of [run[0] - 1, run[0] + 1]) {
                const widened = j < run[0] ? [j, ...run] : [...run, j];
                if (quotable(j) && !(j > run[0] && nextHeading(j)) && proseLength(pieces(widened), markdown) <= passageChars) run.splice(0, run.length, ...widened);
            }
            parts = pieces(run);
        }
    } else {
        // a long window loses its weaker end sentence until it is a passage, not a page
        while (run.length > 1 && proseLength(pieces(run), markdown) > passageChars * 1.5) {
            if (own[run[0]] < own[run[run.length - 1]]) run.shift();
            else run.pop();
        }
        parts = pieces(run);
    }
    const text = parts.map((part) => prose(part.text, markdown)).filter(Boolean).join(" ");
    if (!text) return undefined;
    const start = parts[0].start;
    return { text, ...citationFor(hit, start, parts[parts.length - 1].end - start) };
}

interface Piece {
    /** Offsets in the chunk's text. */
    start: number;
    end: number;
    text: string;
}

/** The line at `best` and its neighbours, nearest first, while the passage stays short; questions and contents lines left out. */
function widen(lines: Piece[], best: number, markdown: boolean): Piece[] {
    let from = best;
    let to = best;
    for (let step = 1; step <= lines.length; step++) {
        for (const j of [best - step, best + step]) {
            if (j < 0 || j >= lines.length || (j !== from - 1 && j !== to + 1) || !isQuotable(lines[j].text)) continue;
            const next = lines.slice(Math.min(from, j), Math.max(to, j) + 1);
            if (proseLength(next, markdown) > passageChars) continue;
            from = Math.min(from, j);
            to = Math.max(to, j);
        }
    }
    return lines.slice(from, to + 1);
}

/** The non-blank lines of text[from, to), trimmed, with their offsets. */
function linesOf(text: string, from: number, to: number): Piece[] {
    const lines: Piece[] = [];
    for (const match of text.slice(from, to).matchAll(/[^\n]+/g)) {
        const raw = match[0];
        const trimmed = raw.trim();
        if (!trimmed) continue;
        const start = from + match.index + (raw.length - raw.trimStart().length);
        lines.push({ start, end: start + trimmed.length, text: trimmed.replace(/\s+/g, " ") });
    }
    return lines;
}

function proseLength(parts: Piece[], markdown: boolean): number {
    return parts.reduce((sum, part) => sum + prose(part.text, markdown).length + 1, 0);
}

/** Quoted text as it reads: Markdown loses its decoration; any other format is quoted as it is (code keeps its `*` and `_`). */
function prose(text: string, markdown: boolean): string {
    if (!markdown) return text.replace(/^[-*+•]\s+/, "");
    // emphasis left open or closed across a sentence's edge ("*Notes by …" when the sentence ends inside the italics)
    return plainSentence(text).replace(/(^|\s)[*_]{1,3}(?=\S)/g, "$1").replace(/(?<=\S)[*_]{1,3}(?=[\s.,;:!?)]|$)/g, "").trim();
}

/** A sentence (or line) worth quoting: no question in it, not a line of a table of contents, some words (not a lone "1."). */
function isQuotable(text: string): boolean {
    return !/\?["'”’)\]*_`]*(?:\s|$)/.test(text) && !hasDotLeaders(text) && /\p{L}/u.test(text);
}

/** Where a sentence ends in the raw text it came from: its text has whitespace runs collapsed to one space. */
function rawEnd(raw: string, sentence: Sentence): number {
    let at = sentence.start;
    for (const char of sentence.text) {
        if (char === " ") while (at < raw.length && /\s/.test(raw[at])) at++;
        else at += char.length;
    }
    return at;
}

function samePlace(a: Citation, b: Citation): boolean {
    if (a.path !== b.path || a.offset === undefined || b.offset === undefined) return a.path === b.path && a.offset === b.offset;
    const gap = Math.max(a.offset, b.offset) - Math.min(a.offset + (a.length ?? 0), b.offset + (b.length ?? 0));
    return gap < samePlaceChars;
}

/** The share of the smaller set's terms that the other has too. */
function overlap(a: Set<string>, b: Set<string>): number {
    const [small, large] = a.size <= b.size ? [a, b] : [b, a];
    if (small.size === 0) return 1;
    let shared = 0;
    for (const term of small) if (large.has(term)) shared++;
    return shared / small.size;
}

/** What an inflected word may be the form of ("prefixed" → "prefix", "prefixe"; "used" → "use"; "mostly" → "most"). */
function baseForms(term: string): string[] {
    const forms: string[] = [];
    for (const [suffix, ...replacements] of [["ed", "", "e"], ["ing", "", "e"], ["ly", ""]] as const) {
        if (term.endsWith(suffix) && term.length - suffix.length >= 3) for (const replacement of replacements) forms.push(term.slice(0, -suffix.length) + replacement);
    }
    return forms;
}

function range(from: number, to: number): number[] {
    return Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);
}

/**
 * The best idf-weighted share of the question's terms that any one retrieved chunk contains. Near zero
 * means retrieval found nothing about the question's subject, so no engine should try to answer.
 */
export function retrievalCoverage(question: string, hits: IndexHit[], termWeight: (term: string) => number): number {
    const terms = contentTerms(question);
    const total = terms.reduce((sum, term) => sum + termWeight(term), 0);
    if (total === 0) return 0;
    let best = 0;
    for (const hit of hits) {
        const present = new Set(tokenize(hit.chunk.text));
        best = Math.max(best, terms.reduce((sum, term) => sum + (present.has(term) ? termWeight(term) : 0), 0) / total);
    }
    return best;
}

const fieldWords = tokenize("field value entry setting option key attribute property header").map(lightStem);

/** A field's line answers for the words a question uses to name a field ("the X field", "its value"). */
function withFieldWords(text: string, stems: Set<string>): Set<string> {
    if (fieldLine.test(text)) for (const stem of fieldWords) stems.add(stem);
    return stems;
}


interface Literal {
    /** Its term in a sentence's set of stems: no word looks like it. */
    key: string;
    pattern: RegExp;
}

/** What a question names that has no word to match: a token of symbols alone ("[] wildcards", "&&", "->"). */
function literalsOf(question: string): Literal[] {
    const symbols = [...question.matchAll(/(?<!\S)[^\p{L}\p{N}\s"'“”‘’?.,]{2,4}(?=[\s?.,]|$)/gu)].map(([token]) => ({
        key: `=${token}`,
        pattern: new RegExp(`(?<!\\S)${token.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(?![^\\s.,;:])`),
    }));
    // a line's tag, one or two capitals and a colon ("a lintian message prefixed with I:"): "I" alone is a stop word
    const tags = [...question.matchAll(/(?<![\p{L}\p{N}])(\p{Lu}{1,2}):(?=[\s?.,]|$)/gu)].map(([, tag]) => ({ key: `=${tag}:`, pattern: new RegExp(`(?:^|\\s)${tag}:\\s`) }));
    return [...symbols, ...tags];
}

function isQuestion(sentence: string): boolean {
    return /\?["'”’)\]]*\s*$/.test(sentence);
}

/**
 * The citation of a passage inside a hit — `length` characters from `offsetInChunk`, the rest of the chunk by default:
 * its page, or the line it starts on, and where it is in the extracted text (for the readable view of the source).
 */
export function citationFor(hit: IndexHit, offsetInChunk: number, length = hit.chunk.text.length - offsetInChunk): Citation {
    const chunk: ReadChunk = hit.chunk;
    const passage = { offset: chunk.start + offsetInChunk, length };
    // a hit read on into the next page (withAdjacentText): what starts past the break is on that page
    if (chunk.pageBreak && offsetInChunk >= chunk.pageBreak.at) return { path: hit.path, page: chunk.pageBreak.page, ...passage };
    if (chunk.page) return { path: hit.path, page: chunk.page, ...passage };
    if (chunk.line) return { path: hit.path, line: chunk.line + (chunk.text.slice(0, offsetInChunk).match(/\n/g)?.length ?? 0), ...passage };
    return { path: hit.path, ...passage };
}

// A "Field: value" line of the field the question names: +1 answer at 0.1, none lost; 0.3 lost one.
const askedFieldBonus = 0.1;

/** A "Field: value" line whose field the question names ("Is the Upstream-Contact field required?" → "Upstream-Contact: optional."). */
function namesAskedField(text: string, asked: Set<string>): boolean {
    const label = fieldLine.exec(plainSentence(text))?.[1];
    if (!label) return false;
    const terms = tokenize(label).map(lightStem);
    return terms.length > 0 && terms.every((term) => asked.has(term));
}
