import type { ChatTurn } from "../../shared/protocol";
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
    /** Earlier turns of the conversation, oldest first: shown before the question, so a follow-up reads in their light. */
    history?: ChatTurn[];
    /** Text the user selected and asks about. */
    context?: string;
}

/** What the prompt shows besides the sources: the conversation so far and the selected text. */
interface Conversation {
    history: ChatTurn[];
    context?: string;
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
/** A selection is shortened no further than this (characters): what is left is dropped instead. */
const minimumContextChars = 80;
/** With a bounded KV cache, the retrieved passages may fill this many KV windows. */
const BOUNDED_PROMPT_WINDOWS = 4;

/**
 * Answers from retrieved chunks only. The prompt numbers each source and asks the model to cite them as
 * [n] and to reply NOT FOUND when the sources do not say; sources are added best-first while they fit.
 * Citations are the sources the model cited, or, if it cited none, every source it was shown.
 * The conversation so far and the selected text, when given, come before the question: they say what a follow-up
 * ("and who paid for it?") refers to, while the answer must still come from the sources.
 */
export async function llmAnswer(generator: TextGenerator, question: string, hits: IndexHit[], options: LlmAnswerOptions = {}): Promise<LlmAnswer> {
    if (hits.length === 0) return { answer: notFoundAnswer, found: false, citations: [], tokens: 0, cancelled: false };
    // A small context cannot give most of itself to the output.
    const maxTokens = Math.min(options.maxTokens ?? 256, Math.floor(generator.contextSize / 4));
    // Room for the chat template's turn markers, which countTokens does not see. A bounded KV cache holds any prompt:
    // the passages may fill a few windows, and question-aware eviction keeps what the question needs of them.
    const room = generator.boundedKv ? Math.max(generator.contextSize, BOUNDED_PROMPT_WINDOWS * generator.boundedKv.windowLength) : generator.contextSize;
    const budget = room - maxTokens - 32;
    const conversation = await fitConversation(generator, question, hits[0], { history: options.history ?? [], context: options.context?.trim() ? options.context : undefined }, budget, options.signal);
    const used: IndexHit[] = [];
    let prompt = answerPrompt(question, used, conversation);
    for (const hit of hits) {
        const candidate = answerPrompt(question, [...used, hit], conversation);
        if ((await generator.countTokens(candidate, options.signal)) > budget) break;
        used.push(hit);
        prompt = candidate;
    }
    // A small context still gets the best passage, shortened until it fits.
    for (let keep = hits[0].chunk.text.length; used.length === 0 && keep >= 80; keep = Math.floor(keep * 0.7)) {
        const shortened: IndexHit = { ...hits[0], chunk: { ...hits[0].chunk, text: hits[0].chunk.text.slice(0, keep) } };
        const candidate = answerPrompt(question, [shortened], conversation);
        if ((await generator.countTokens(candidate, options.signal)) <= budget) {
            used.push(shortened);
            prompt = candidate;
        }
    }
    if (used.length === 0) throw new Error(`the model's context (${generator.contextSize} tokens) is too small to answer from the documents; set a larger context size`);
    const outcome = await generator.generate({ instruction: true, prompt, question, maxTokens, signal: options.signal, onText: options.onText, onRestart: options.onRestart, stop: ["\nQuestion:", "\nSources:", ...(conversation.history.length ? ["\nQ:"] : [])] });
    const answer = outcome.text.trim();
    const served = outcome.endpoint ? { endpoint: outcome.endpoint } : {};
    if (answer.toUpperCase().startsWith(notFoundMarker)) {
        return { answer: notFoundAnswer, found: false, citations: [], tokens: outcome.generatedTokens, cancelled: outcome.cancelled, ...served };
    }
    const cited = [...answer.matchAll(/\[(\d+)\]/g)].map((match) => Number(match[1]) - 1).filter((i) => i >= 0 && i < used.length);
    const sources = cited.length ? [...new Set(cited)].map((i) => used[i]) : used;
    return { answer, found: true, citations: sources.map((hit) => citationFor(hit, 0)), tokens: outcome.generatedTokens, cancelled: outcome.cancelled, ...served };
}

/**
 * The conversation cut to fit the budget beside the best source: the evidence comes first, so the oldest turns are
 * dropped first, then the selection is shortened (and at last left out), until the prompt with the best source fits.
 * When even the best source alone does not fit, nothing of the conversation is kept and the source is shortened.
 */
async function fitConversation(generator: TextGenerator, question: string, best: IndexHit, conversation: Conversation, budget: number, signal?: AbortSignal): Promise<Conversation> {
    let fitted = conversation;
    while (fitted.history.length > 0 || fitted.context !== undefined) {
        if ((await generator.countTokens(answerPrompt(question, [best], fitted), signal)) <= budget) return fitted;
        if (fitted.history.length > 0) fitted = { ...fitted, history: fitted.history.slice(1) };
        else if (Math.floor(fitted.context!.length * 0.7) >= minimumContextChars) fitted = { ...fitted, context: shorten(fitted.context!, Math.floor(fitted.context!.length * 0.7)) };
        else fitted = { history: [] };
    }
    return fitted;
}

/** The first `chars` characters of a text, not splitting a surrogate pair, marked as cut. */
function shorten(text: string, chars: number): string {
    return `${text.slice(0, chars).replace(/[\uD800-\uDBFF]$/, "")}…`;
}

function answerPrompt(question: string, sources: IndexHit[], conversation: Conversation = { history: [] }): string {
    const numbered = sources.map((hit, i) => `[${i + 1}] ${hit.path}${hit.chunk.page ? ` (page ${hit.chunk.page})` : ""}:\n${hit.chunk.text}`).join("\n\n");
    const { history, context } = conversation;
    const reading = history.length || context !== undefined ? " The conversation so far and the selected text, where shown, say what the question refers to; the answer must still come from the sources." : "";
    const turns = history.length ? `Conversation so far:\n${history.map((turn) => `Q: ${turn.question}\nA: ${turn.answer}`).join("\n")}\n\n` : "";
    const selected = context !== undefined ? `Selected text:\n"""\n${context}\n"""\n\n` : "";
    return `Answer the question using only the sources below. Cite the sources you use as [1], [2]. If the sources do not contain the answer, reply exactly "${notFoundMarker}".${reading}\n\nSources:\n${numbered}\n\n${turns}${selected}Question: ${question}\nAnswer:`;
}
