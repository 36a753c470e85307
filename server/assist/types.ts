import type { KvCacheReport } from "../../shared/inferenceMessages";
import type { OutlineEntry } from "../core/types";

/** Where an answer's evidence is: a document and, when the format has them, a page or line. */
export interface Citation {
    path: string;
    page?: number;
    line?: number;
    /** Where the cited passage starts in the document's extracted text, and its length in characters. */
    offset?: number;
    length?: number;
}

/**
 * A passage quoted from a document in support of an extractive answer: a sentence or two around the best matching
 * sentence of one retrieved chunk, as prose (whitespace collapsed, Markdown decoration stripped), and where it is.
 */
export interface Passage extends Citation {
    text: string;
}

export type EngineName = "llm" | "extractive";

export interface SummaryResult {
    /** The document's title, a lead and its sections as paragraphs, when it has them (structuredSummary.ts). */
    summary: string;
    engine: EngineName;
    /** The document's title (from its metadata when it has one). */
    title?: string;
    /** The sections the summary names: the document's outline (top two levels). */
    outline?: OutlineEntry[];
    model?: string;
    /** Tokens generated (LLM engine). */
    tokens?: number;
    ms: number;
    /** How the one pass through a bounded KV cache used it (H2O on). */
    kv?: KvCacheReport;
    /** The llama.cpp server that generated it (a remote engine). */
    endpoint?: string;
}

export interface AnswerResult {
    answer: string;
    engine: EngineName;
    /** False when the documents do not contain the answer; `answer` then says so. */
    found: boolean;
    citations: Citation[];
    /**
     * The extractive engine's found answers only: the top 2–3 distinct passages that support it (different documents
     * or well-separated places), the answer's own first. Absent when not found and for model answers.
     */
    passages?: Passage[];
    model?: string;
    /** The llama.cpp server that generated it (a remote engine). */
    endpoint?: string;
    tokens?: number;
    ms: number;
}

export const notFoundAnswer = "The indexed documents do not appear to contain the answer to this question.";
