import type { ChatTurn } from "../../shared/protocol";
import { withoutContentsLines } from "../core/tableOfContents";
import { tokenize } from "../core/tokenize";
import type { OutlineEntry } from "../core/types";
import type { IndexHit } from "../core/WorkspaceIndex";
import { definedTerm, definitionDepth, definitionsFirst } from "../core/definitions";
import { withAdjacentText, type AdjacentChunks } from "./adjacentText";
import { contentTerms, extractiveAnswer, retrievalCoverage } from "./extractiveAnswer";
import { extractiveSummary } from "./extractiveSummary";
import { llmAnswer } from "./llmAnswer";
import { llmSummary } from "./llmSummary";
import { structureFrame, withStructure } from "./structuredSummary";
import { withoutChangelogs } from "./summarySections";
import type { TextGenerator } from "./TextGenerator";
import { notFoundAnswer, type AnswerResult, type SummaryResult } from "./types";

export interface SummarizeOptions {
    /** The document's title: with it (or an outline) the summary is a title line, a short lead and the sections. */
    title?: string;
    /** The document's outline (extraction, or the index): its sections are named and its changelogs left out. */
    outline?: readonly OutlineEntry[];
    signal?: AbortSignal;
    onText?: (text: string) => void;
    onRestart?: (reason: string) => void;
    /** Defaults to 200. */
    maxTokens?: number;
}

export interface AskOptions {
    signal?: AbortSignal;
    onText?: (text: string) => void;
    onRestart?: (reason: string) => void;
    /** Defaults to 256. */
    maxTokens?: number;
    /** Earlier turns of the conversation, oldest first; the last `historyTurns` are used. */
    history?: ChatTurn[];
    /** Text the user selected and asks about. */
    context?: string;
}

const minimumRetrievalCoverage = 0.5;
/** Turns of the conversation that a follow-up is read with. */
const historyTurns = 3;
/** How much of each turn, and of a selection, a question carries (characters). */
const turnQuestionChars = 1_000;
const turnAnswerChars = 2_000;
const contextChars = 4_000;
/** A question of at most this many words that points back (it, that, they…) is a follow-up. */
const followUpWords = 8;
/** At most this many terms of a selection join a follow-up's query: its most characteristic ones. */
const contextTerms = 8;
// Words that point back at something said before, rather than name it.
const pointingWords = new Set("it its itself that this these those they them their there he him his she her".split(" "));
const existential = new Set("is are was were be been being".split(" "));

/** What asking needs from the index: ranked chunks and how informative a term is. */
export interface Retriever {
    /** Best first; a hybrid search (HybridSearch) answers asynchronously. */
    search(query: string, top: number): IndexHit[] | Promise<IndexHit[]>;
    termWeight(term: string): number;
    /** Whether any document holds the (tokenized) term. */
    contains(term: string): boolean;
    /** The chunks either side of a hit's, when the index can say: the extractive engine reads an answer across them. */
    adjacentChunks?(hit: IndexHit): AdjacentChunks;
    /**
     * True when search also finds passages by meaning (an embedding model): a question in other words than the
     * documents' ("automobile" for "car") is then not refused for sharing few words with its passages; the model reads
     * them and says whether they answer it.
     */
    readonly semantic?: boolean;
}

/**
 * Summaries and answers, with a model when one is configured and with the extractive engine when not.
 * Every result says which engine produced it. Shared by the CLI and the language server.
 */
export class Assistant {
    constructor(private readonly generator?: TextGenerator) {}

    async summarize(text: string, options: SummarizeOptions = {}): Promise<SummaryResult> {
        const started = performance.now();
        const { title, outline } = options;
        const described = { ...(title ? { title } : {}), ...(outline?.length ? { outline: [...outline] } : {}) };
        if (!this.generator) {
            // A document with sections gets a short lead before them; one without (a report, a letter) is summarized
            // by its most central sentences, under its title.
            const lead = extractiveSummary(text, { outline, title, brief: (outline?.length ?? 0) > 0 });
            const summary = withStructure(lead, { title, outline });
            options.onText?.(summary);
            return { summary, engine: "extractive", ...described, ms: elapsed(started) };
        }
        // The model writes the lead, from the text without its changelogs and contents pages; the title and the section
        // names are the document's own, so they frame the lead as they are rather than as the model retells them.
        const { head, tail } = structureFrame({ title, outline });
        let streaming = false;
        const result = await llmSummary(this.generator, withoutContentsLines(withoutChangelogs(text, outline)), {
            ...options,
            onText: options.onText && ((piece) => {
                options.onText?.(streaming ? piece : head + piece);
                streaming = true;
            }),
            onRestart: (reason) => {
                streaming = false;
                options.onRestart?.(reason);
            },
        });
        if (tail && !result.cancelled) options.onText?.(tail);
        return {
            summary: `${head}${result.summary}${result.cancelled ? "" : tail}`, engine: "llm", ...described, model: this.generator.modelName, tokens: result.tokens, ms: elapsed(started),
            ...(result.kv ? { kv: result.kv } : {}), ...(result.endpoint ? { endpoint: result.endpoint } : {}),
        };
    }

    async ask(retriever: Retriever, question: string, top: number, options: AskOptions = {}): Promise<AnswerResult> {
        const started = performance.now();
        const { query, hits, coverage } = await retrieve(retriever, question, top, options);
        const followUp = query !== question;
        if (!this.generator) {
            // No model reads the conversation: the extractive engine answers the question with its carried subject,
            // once retrieval found that subject (its own check weighs each sentence, not whether the subject is there).
            const result = followUp && coverage < minimumRetrievalCoverage
                ? { answer: notFoundAnswer, found: false, citations: [] }
                : extractiveAnswer(question, withAdjacent(retriever, hits), (term) => retriever.termWeight(term), { isKnown: (term) => retriever.contains(term), ...(followUp ? { query } : {}) });
            options.onText?.(result.answer);
            return { ...result, engine: "extractive", ms: elapsed(started) };
        }
        // The model is not asked when retrieval found nothing on the question's subject: it would invent an answer.
        if (coverage < minimumRetrievalCoverage && !(retriever.semantic && hits.length > 0)) {
            options.onText?.(notFoundAnswer);
            return { answer: notFoundAnswer, engine: "llm", found: false, citations: [], model: this.generator.modelName, tokens: 0, ms: elapsed(started) };
        }
        const result = await llmAnswer(this.generator, question, hits, { ...options, history: options.history?.slice(-historyTurns) });
        return {
            answer: result.answer, engine: "llm", found: result.found, citations: result.citations,
            model: this.generator.modelName, ...(result.endpoint ? { endpoint: result.endpoint } : {}), tokens: result.tokens, ms: elapsed(started),
        };
    }
}

/**
 * The conversation a request sent, as a question reads it: the last `historyTurns` well-formed turns ({question, answer},
 * both strings), each cut to `turnQuestionChars` and `turnAnswerChars`. Anything else (not an array, malformed turns)
 * is left out, never an error: the question is still answered.
 */
export function chatHistory(value: unknown): ChatTurn[] {
    if (!Array.isArray(value)) return [];
    const turns: ChatTurn[] = [];
    // from the end, so a long array costs no more than the turns kept
    for (let i = value.length - 1; i >= 0 && turns.length < historyTurns; i--) {
        const turn: unknown = value[i];
        if (typeof turn !== "object" || turn === null) continue;
        const { question, answer } = turn as Record<string, unknown>;
        if (typeof question !== "string" || typeof answer !== "string") continue;
        turns.unshift({ question: clip(question, turnQuestionChars), answer: clip(answer, turnAnswerChars) });
    }
    return turns;
}

/** The selected text a request sent, cut to `contextChars`; undefined when it is not a string or is blank. */
export function selectedText(value: unknown): string | undefined {
    return typeof value === "string" && value.trim() ? clip(value, contextChars) : undefined;
}

/** The hits with the text either side of them on their page, where the retriever can read it (see withAdjacentText). */
function withAdjacent(retriever: Retriever, hits: IndexHit[]): IndexHit[] {
    return retriever.adjacentChunks ? hits.map((hit) => withAdjacentText(hit, retriever.adjacentChunks!(hit))) : hits;
}

/** The first `chars` characters of a text, not splitting a surrogate pair. */
function clip(text: string, chars: number): string {
    return text.length <= chars ? text : text.slice(0, chars).replace(/[\uD800-\uDBFF]$/, "");
}

/** The chunks a question is answered from, the query that found them, and how well they cover it. */
export interface Retrieval {
    /** The question, or for a follow-up the question with its subject carried over: the terms an answer must cover. */
    query: string;
    hits: IndexHit[];
    /** The best share of the query's (idf-weighted) terms one hit contains (retrievalCoverage); 0 when a follow-up names what no document has. */
    coverage: number;
}

/**
 * The chunks a question is answered from, and the query that found them (whose terms an answer must cover).
 *
 * A follow-up names no subject of its own: "and who paid for it?" or "when was that?" mean the thing the conversation
 * (or the selected text) is about, and searched alone they find whatever else in the documents was paid for, or
 * nothing. So when there is a conversation or a selection and the question is a follow-up, it is searched again with
 * the subject carried over: the content terms of the previous question (and of the ones before it while those were
 * follow-ups too, within the last turns) and the selection's most characteristic terms. A question is a follow-up when
 * its own retrieval covers less than `minimumRetrievalCoverage` of it (it names nothing the documents have), or when
 * it is short and points back (it, that, they…): "who paid for it?" matches rent payments well enough on its own
 * words, yet asks about something else.
 *
 * The carried query then stands for the question in the coverage check, so the check stays honest: a follow-up on a
 * subject the documents lack ("the capital of Mongolia" → "when was it founded?") is not found, rather than answered
 * from whatever its own words match. Answers come from the carried query's hits only, never the bare question's. And a
 * question that names a term no document contains is not found either way: the carried subject cannot outweigh it.
 */
export async function retrieve(retriever: Retriever, question: string, top: number, options: Pick<AskOptions, "history" | "context"> = {}): Promise<Retrieval> {
    const weight = (term: string) => retriever.termWeight(term);
    const hits = await withDefinitionsFirst(retriever, question, top);
    const asked = { query: question, hits, coverage: retrievalCoverage(question, hits, weight) };
    const history = (options.history ?? []).slice(-historyTurns);
    const context = options.context?.trim() ? options.context : undefined;
    if (history.length === 0 && !context) return asked;
    if (!pointsBack(question) && asked.coverage >= minimumRetrievalCoverage) return asked;
    const own = new Set(contentTerms(question));
    const carried: string[] = [];
    const carry = (terms: string[]) => terms.forEach((term) => !own.has(term) && !carried.includes(term) && carried.push(term));
    for (const turn of [...history].reverse()) {
        const terms = contentTerms(turn.question);
        carry(terms);
        // an earlier question that itself pointed back (or named nothing) has its subject further back
        if (terms.length > 0 && !pointsBack(turn.question)) break;
    }
    if (context) carry(characteristicTerms(context, weight));
    if (carried.length === 0) return asked;
    const query = `${question} ${carried.join(" ")}`;
    const followed = await retriever.search(query, top);
    // A question that names something no document mentions ("what is the capital of Mongolia?" after a question on the
    // fence) brings a subject of its own, which the documents lack: the carried terms must not make up for it.
    const unknown = [...own].some((term) => !retriever.contains(term));
    return { query, hits: followed, coverage: unknown ? 0 : retrievalCoverage(query, followed, weight) };
}

/**
 * A short question with a word that points back at something said before (it, that, they…). "There" points at a
 * place ("what grows there?"), unless it only says that something exists ("are there rules on bonfires?").
 */
function pointsBack(question: string): boolean {
    const words = question.toLowerCase().replace(/[’‘]/g, "'").match(/[\p{L}\p{N}']+/gu) ?? [];
    if (words.length > followUpWords) return false;
    return words.some((word, i) => {
        const bare = word.replace(/'s$/, "");
        if (!pointingWords.has(bare)) return false;
        return bare !== "there" || !(word.endsWith("'s") || existential.has(words[i - 1] ?? "") || existential.has(words[i + 1] ?? ""));
    });
}

/** The terms that say what a text is about: frequent in it and rare in the index (tf × idf), best first. */
function characteristicTerms(text: string, weight: (term: string) => number): string[] {
    const content = new Set(contentTerms(text));
    const counts = new Map<string, number>();
    for (const term of tokenize(text)) if (content.has(term)) counts.set(term, (counts.get(term) ?? 0) + 1);
    return [...counts]
        .map(([term, count], order) => ({ term, score: count * weight(term), order }))
        .sort((a, b) => b.score - a.score || a.order - b.order)
        .slice(0, contextTerms)
        .map(({ term }) => term);
}

function elapsed(started: number): number {
    return Math.round(performance.now() - started);
}

/**
 * The hits for a question, with, when it asks what a term means, the passages that define it moved first from further
 * down (HybridSearch does so for one folder; this, for several folders' hits together, or an index searched directly).
 */
async function withDefinitionsFirst(retriever: Retriever, question: string, top: number): Promise<IndexHit[]> {
    if (!definedTerm(question)) return retriever.search(question, top);
    const deep = await retriever.search(question, Math.max(top, definitionDepth));
    return definitionsFirst(question, deep, (hit) => hit.chunk.text).slice(0, top);
}
