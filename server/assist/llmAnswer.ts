import type { IndexHit } from "../core/WorkspaceIndex";
import { citationFor } from "./extractiveAnswer";
import type { TextGenerator } from "./TextGenerator";
import { notFoundAnswer, type Citation } from "./types";

export interface LlmAnswerOptions {
    /** Defaults to 256. */
    maxTokens?: number;
    signal?: AbortSignal;
    onText?: (text: string) => void;
    onRestart?: (reason: string) => void;
}

export interface LlmAnswer {
    answer: string;
    found: boolean;
    citations: Citation[];
    tokens: number;
    cancelled: boolean;
    /** The llama.cpp server that answered (a remote engine). */
    endpoint?: string;
}

const notFoundMarker = "NOT FOUND";
/** With a bounded KV cache, the retrieved passages may fill this many KV windows. */
const BOUNDED_PROMPT_WINDOWS = 4;

/**
 * Answers from retrieved chunks only. The prompt numbers each source and asks the model to cite them as
 * [n] and to reply NOT FOUND when the sources do not say; sources are added best-first while they fit.
 * Citations are the sources the model cited, or, if it cited none, every source it was shown.
 */
export async function llmAnswer(generator: TextGenerator, question: string, hits: IndexHit[], options: LlmAnswerOptions = {}): Promise<LlmAnswer> {
    if (hits.length === 0) return { answer: notFoundAnswer, found: false, citations: [], tokens: 0, cancelled: false };
    // A small context cannot give most of itself to the output.
    const maxTokens = Math.min(options.maxTokens ?? 256, Math.floor(generator.contextSize / 4));
    // Room for the chat template's turn markers, which countTokens does not see. A bounded KV cache holds any prompt:
    // the passages may fill a few windows, and question-aware eviction keeps what the question needs of them.
    const room = generator.boundedKv ? Math.max(generator.contextSize, BOUNDED_PROMPT_WINDOWS * generator.boundedKv.windowLength) : generator.contextSize;
    const budget = room - maxTokens - 32;
    const used: IndexHit[] = [];
    let prompt = answerPrompt(question, used);
    for (const hit of hits) {
        const candidate = answerPrompt(question, [...used, hit]);
        if ((await generator.countTokens(candidate, options.signal)) > budget) break;
        used.push(hit);
        prompt = candidate;
    }
    // A small context still gets the best passage, shortened until it fits.
    for (let keep = hits[0].chunk.text.length; used.length === 0 && keep >= 80; keep = Math.floor(keep * 0.7)) {
        const shortened: IndexHit = { ...hits[0], chunk: { ...hits[0].chunk, text: hits[0].chunk.text.slice(0, keep) } };
        const candidate = answerPrompt(question, [shortened]);
        if ((await generator.countTokens(candidate, options.signal)) <= budget) {
            used.push(shortened);
            prompt = candidate;
        }
    }
    if (used.length === 0) throw new Error(`the model's context (${generator.contextSize} tokens) is too small to answer from the documents; set a larger context size`);
    const outcome = await generator.generate({ instruction: true, prompt, question, maxTokens, signal: options.signal, onText: options.onText, onRestart: options.onRestart, stop: ["\nQuestion:", "\nSources:"] });
    const answer = outcome.text.trim();
    const served = outcome.endpoint ? { endpoint: outcome.endpoint } : {};
    if (answer.toUpperCase().startsWith(notFoundMarker)) {
        return { answer: notFoundAnswer, found: false, citations: [], tokens: outcome.generatedTokens, cancelled: outcome.cancelled, ...served };
    }
    const cited = [...answer.matchAll(/\[(\d+)\]/g)].map((match) => Number(match[1]) - 1).filter((i) => i >= 0 && i < used.length);
    const sources = cited.length ? [...new Set(cited)].map((i) => used[i]) : used;
    return { answer, found: true, citations: sources.map((hit) => citationFor(hit, 0)), tokens: outcome.generatedTokens, cancelled: outcome.cancelled, ...served };
}

function answerPrompt(question: string, sources: IndexHit[]): string {
    const numbered = sources.map((hit, i) => `[${i + 1}] ${hit.path}${hit.chunk.page ? ` (page ${hit.chunk.page})` : ""}:\n${hit.chunk.text}`).join("\n\n");
    return `Answer the question using only the sources below. Cite the sources you use as [1], [2]. If the sources do not contain the answer, reply exactly "${notFoundMarker}".\n\nSources:\n${numbered}\n\nQuestion: ${question}\nAnswer:`;
}
