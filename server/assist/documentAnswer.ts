import type { KvCacheReport } from "../../shared/inferenceMessages";
import type { KvRunFigures } from "../../shared/protocol";
import { Bm25Index } from "../core/Bm25Index";
import { tokenize } from "../core/tokenize";
import type { DocumentRecord } from "../core/types";
import type { IndexHit } from "../core/WorkspaceIndex";
import { extractiveAnswer } from "./extractiveAnswer";
import type { TextGenerator } from "./TextGenerator";
import type { AnswerResult, Citation } from "./types";

/** One document, extracted and chunked, to be read whole. */
export interface WholeDocument {
    /** As it is cited (relative to the workspace, or as the user gave it). */
    path: string;
    title?: string;
    text: string;
    record: DocumentRecord;
}

export interface DocumentAnswerOptions {
    signal?: AbortSignal;
    onText?: (text: string) => void;
    onRestart?: (reason: string) => void;
    /** The document's tokens read so far of `total`, chunk by chunk. */
    onProgress?: (evaluated: number, total: number) => void;
    /** Defaults to 256. */
    maxTokens?: number;
}

export type DocumentAnswer = AnswerResult & { kv?: KvCacheReport };

/** What a user is shown of a run's KV cache (the result panel; `ask --document --json`). */
export function kvFigures(kv: KvCacheReport): KvRunFigures {
    return {
        policy: kv.policy, kvBudget: kv.kvBudget, kvPeakCells: kv.kvPeakCells, evictedTokens: kv.evictedTokens,
        ...(kv.observationTokens === undefined ? {} : { observationTokens: kv.observationTokens }),
        ...(kv.fallbackReason === undefined ? {} : { fallbackReason: kv.fallbackReason }),
    };
}

/** The whole document does not fit a full context: the caller should offer the bounded cache (--enable-h2o). */
export class DocumentTooLongError extends Error {
    override readonly name = "DocumentTooLongError";
    constructor(
        readonly promptTokens: number,
        readonly contextSize: number,
    ) {
        super(`the document and question are ${promptTokens} tokens but the model's context holds ${contextSize}; read it in a bounded KV cache (--enable-h2o, or the llamahome.h2o.enabled setting) instead of truncating it`);
    }
}

/** The question alone does not leave room for a document and an answer. */
export class QuestionTooLongError extends Error {
    override readonly name = "QuestionTooLongError";
    constructor(questionTokens: number, room: number) {
        super(`the question is ${questionTokens} tokens, more than the ${room} this model's cache leaves for it; ask a shorter question or raise --window-length / the context size`);
    }
}

const notInDocument = "The document does not appear to contain the answer to this question.";
const notFoundMarker = "NOT FOUND";

/**
 * Answers a question from one whole document. With a model the document goes in one prompt, the question last: in a
 * bounded KV cache (the generator's boundedKv, query-aware when asked for) any length fits and the question's own
 * attention decides what stays; in a full context a document that does not fit is refused (DocumentTooLongError),
 * never cut. Without a model the extractive engine answers from the document's own chunks.
 */
export async function answerFromDocument(generator: TextGenerator | undefined, doc: WholeDocument, question: string, options: DocumentAnswerOptions = {}): Promise<DocumentAnswer> {
    const started = performance.now();
    if (!question.trim()) throw new Error("the question is empty");
    if (generator === undefined) {
        const result = extractiveFromDocument(doc, question);
        options.onText?.(result.answer);
        return { ...result, engine: "extractive", ms: Math.round(performance.now() - started) };
    }
    const maxTokens = options.maxTokens ?? 256;
    const prompt = documentPrompt(doc, question);
    // A bounded cache must hold the question whole beside what it keeps of the document: at most half its window.
    const questionTokens = await generator.countTokens(questionPart(question), options.signal);
    const room = generator.boundedKv ? Math.floor(generator.boundedKv.windowLength / 2) : generator.contextSize - maxTokens;
    if (questionTokens > room) throw new QuestionTooLongError(questionTokens, room);
    if (!generator.boundedKv) {
        const promptTokens = await generator.countTokens(prompt, options.signal);
        if (promptTokens + maxTokens + 32 > generator.contextSize) throw new DocumentTooLongError(promptTokens, generator.contextSize);
    }
    const outcome = await generator.generate({ instruction: true, prompt, question, maxTokens, signal: options.signal, onText: options.onText, onRestart: options.onRestart, ...(options.onProgress ? { onPromptProgress: options.onProgress } : {}), stop: ["\nQuestion:"] });
    const answer = outcome.text.trim();
    const base = { engine: "llm" as const, model: generator.modelName, tokens: outcome.generatedTokens, ms: Math.round(performance.now() - started), ...(outcome.kv ? { kv: outcome.kv } : {}), ...(outcome.endpoint ? { endpoint: outcome.endpoint } : {}) };
    if (answer === "" || answer.toUpperCase().startsWith(notFoundMarker)) return { ...base, answer: notInDocument, found: false, citations: [] };
    return { ...base, answer, found: true, citations: [citeDocument(doc, answer)] };
}

function documentPrompt(doc: Pick<WholeDocument, "title" | "path" | "text">, question: string): string {
    return (
        "Read the document below and answer the question from it alone, briefly. If the document does not say, reply NOT FOUND.\n\n" +
        `Document: ${doc.title ?? doc.path}\n${doc.text}${questionPart(question)}`
    );
}

function questionPart(question: string): string {
    return `\n\nQuestion: ${question.trim()}\nAnswer:`;
}

/** The document, and the page when most of the answer's words are on one page and on no other as much. */
function citeDocument(doc: WholeDocument, answer: string): Citation {
    const terms = new Set(tokenize(answer));
    if (terms.size === 0) return { path: doc.path };
    const byPage = new Map<number, Set<string>>();
    for (const chunk of doc.record.chunks) {
        if (chunk.page === undefined) continue;
        const found = byPage.get(chunk.page) ?? new Set<string>();
        for (const term of tokenize(chunk.text)) if (terms.has(term)) found.add(term);
        byPage.set(chunk.page, found);
    }
    const ranked = [...byPage].map(([page, found]) => ({ page, share: found.size / terms.size })).sort((a, b) => b.share - a.share);
    const [best, second] = ranked;
    return best !== undefined && best.share >= 0.5 && (second === undefined || second.share < best.share) ? { path: doc.path, page: best.page } : { path: doc.path };
}

/** The extractive engine over this document only: BM25 over its chunks, idf from them. */
function extractiveFromDocument(doc: WholeDocument, question: string): Omit<AnswerResult, "engine" | "ms"> {
    const bm25 = new Bm25Index();
    doc.record.chunks.forEach((chunk, id) => bm25.add(id, chunk.text));
    const hits: IndexHit[] = bm25.search(question, 5).map((match) => {
        const chunk = doc.record.chunks[match.id]!;
        return { path: doc.path, score: match.score, bm25: match.score, snippet: chunk.text.slice(0, 200), chunk, document: doc.record };
    });
    const result = extractiveAnswer(question, hits, (term) => bm25.idf(term));
    return result.found ? result : { ...result, answer: notInDocument };
}
