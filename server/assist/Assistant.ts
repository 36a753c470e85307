import type { IndexHit } from "../core/WorkspaceIndex";
import { extractiveAnswer, retrievalCoverage } from "./extractiveAnswer";
import { extractiveSummary } from "./extractiveSummary";
import { llmAnswer } from "./llmAnswer";
import { llmSummary } from "./llmSummary";
import type { TextGenerator } from "./TextGenerator";
import { notFoundAnswer, type AnswerResult, type SummaryResult } from "./types";

export interface SummarizeOptions {
    title?: string;
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
}

const minimumRetrievalCoverage = 0.5;

/** What asking needs from the index: ranked chunks and how informative a term is. */
export interface Retriever {
    search(query: string, top: number): IndexHit[];
    termWeight(term: string): number;
}

/**
 * Summaries and answers, with a model when one is configured and with the extractive engine when not.
 * Every result says which engine produced it. Shared by the CLI and the language server.
 */
export class Assistant {
    constructor(private readonly generator?: TextGenerator) {}

    async summarize(text: string, options: SummarizeOptions = {}): Promise<SummaryResult> {
        const started = performance.now();
        if (!this.generator) {
            const summary = extractiveSummary(text);
            options.onText?.(summary);
            return { summary, engine: "extractive", ms: elapsed(started) };
        }
        const result = await llmSummary(this.generator, text, options);
        return { summary: result.summary, engine: "llm", model: this.generator.modelName, tokens: result.tokens, ms: elapsed(started), ...(result.kv ? { kv: result.kv } : {}), ...(result.endpoint ? { endpoint: result.endpoint } : {}) };
    }

    async ask(retriever: Retriever, question: string, top: number, options: AskOptions = {}): Promise<AnswerResult> {
        const started = performance.now();
        const hits = retriever.search(question, top);
        if (!this.generator) {
            const result = extractiveAnswer(question, hits, (term) => retriever.termWeight(term));
            options.onText?.(result.answer);
            return { ...result, engine: "extractive", ms: elapsed(started) };
        }
        // The model is not asked when retrieval found nothing on the question's subject: it would invent an answer.
        if (retrievalCoverage(question, hits, (term) => retriever.termWeight(term)) < minimumRetrievalCoverage) {
            options.onText?.(notFoundAnswer);
            return { answer: notFoundAnswer, engine: "llm", found: false, citations: [], model: this.generator.modelName, tokens: 0, ms: elapsed(started) };
        }
        const result = await llmAnswer(this.generator, question, hits, options);
        return {
            answer: result.answer, engine: "llm", found: result.found, citations: result.citations,
            model: this.generator.modelName, ...(result.endpoint ? { endpoint: result.endpoint } : {}), tokens: result.tokens, ms: elapsed(started),
        };
    }
}

function elapsed(started: number): number {
    return Math.round(performance.now() - started);
}
