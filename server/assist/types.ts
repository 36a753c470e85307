import type { KvCacheReport } from "../../shared/inferenceMessages";

/** Where an answer's evidence is: a document and, when the format has them, a page or line. */
export interface Citation {
    path: string;
    page?: number;
    line?: number;
    /** Where the cited passage starts in the document's extracted text, and its length in characters. */
    offset?: number;
    length?: number;
}

export type EngineName = "llm" | "extractive";

export interface SummaryResult {
    summary: string;
    engine: EngineName;
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
    model?: string;
    /** The llama.cpp server that generated it (a remote engine). */
    endpoint?: string;
    tokens?: number;
    ms: number;
}

export const notFoundAnswer = "The indexed documents do not appear to contain the answer to this question.";
