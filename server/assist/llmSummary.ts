import type { KvCacheReport } from "../../shared/inferenceMessages";
import type { OutlineEntry } from "../core/types";
import type { TextGenerator } from "./TextGenerator";

export interface LlmSummaryOptions {
    title?: string;
    /** The document's sections, named to the model so that its summary covers the whole and not the part it read last. */
    outline?: readonly OutlineEntry[];
    /** Tokens the summary may use. Defaults to 200. */
    maxTokens?: number;
    signal?: AbortSignal;
    /** Streams the final summary's text as it is generated. */
    onText?: (text: string) => void;
    onRestart?: (reason: string) => void;
    /** Called when a long document is split, with the number of parts (map-reduce). */
    onPlan?: (parts: number) => void;
}

export interface LlmSummary {
    summary: string;
    tokens: number;
    /** How many generation calls it took (1 when the document fits the context, or with a bounded KV cache). */
    passes: number;
    cancelled: boolean;
    /** The KV cache policy of the generator: "h2o"/"sink-window" (one pass) or "full" (fits, or map-reduce). */
    kvPolicy: "h2o" | "query-aware" | "sink-window" | "full";
    /** The one bounded pass's KV cache figures, when the generator reports them. */
    kv?: KvCacheReport;
    /** The llama.cpp server that wrote the final summary (a remote engine). */
    endpoint?: string;
}

/** What a chat template adds around a prompt (role markers, a system line). */
const templateOverheadTokens = 32;
/** Section names given to the model: enough to say what the document covers, few enough to leave room for it. */
const promptSections = 12;

/**
 * Summarizes text of any length. With a bounded KV cache (generator.boundedKv: H2O, or its sink-window fallback) the
 * whole document goes through in one pass, however long: the cache keeps windowLength tokens of it. Otherwise, within
 * the model's context: a document that fits is summarized in one prompt; a longer one is split into parts that fit,
 * each part summarized (map), and the summaries summarized again (reduce) until one prompt holds them.
 */
export async function llmSummary(generator: TextGenerator, text: string, options: LlmSummaryOptions = {}): Promise<LlmSummary> {
    if (generator.boundedKv) {
        const { policy, windowLength } = generator.boundedKv;
        // The output stays in the recent part of the window, with room left for the document's heavy hitters.
        const maxTokens = Math.max(1, Math.min(options.maxTokens ?? 200, Math.floor(windowLength / 2)));
        const outcome = await generator.generate({ instruction: true, prompt: boundedSummaryPrompt(text, options), maxTokens, signal: options.signal, onText: options.onText, onRestart: options.onRestart });
        // A summary asks no question: a query-aware cache runs it as H2O, which the outcome reports.
        return {
            summary: outcome.text.trim(), tokens: outcome.generatedTokens, passes: 1, cancelled: outcome.cancelled,
            kvPolicy: outcome.kv?.policy === "full" ? policy : (outcome.kv?.policy ?? policy), ...(outcome.kv ? { kv: outcome.kv } : {}),
            ...(outcome.endpoint ? { endpoint: outcome.endpoint } : {}),
        };
    }
    // A small context cannot give most of itself to the output.
    const maxTokens = Math.min(options.maxTokens ?? 200, Math.floor(generator.contextSize / 4));
    // The instruction (with the title and section names, which can be long) is measured, the chat template estimated.
    const budget = generator.contextSize - maxTokens - templateOverheadTokens - (await generator.countTokens(summaryPrompt("", options), options.signal));
    if (budget < 64) throw new Error(`the model's context (${generator.contextSize} tokens) is too small to summarize; set a larger context size`);
    let tokens = 0;
    let passes = 0;
    let current = text;
    for (let round = 0; ; round++) {
        const size = await generator.countTokens(current, options.signal);
        if (size <= budget) {
            const outcome = await generator.generate({ instruction: true, prompt: summaryPrompt(current, options), maxTokens, signal: options.signal, onText: options.onText, onRestart: options.onRestart });
            return {
                summary: outcome.text.trim(), tokens: tokens + outcome.generatedTokens, passes: passes + 1, cancelled: outcome.cancelled, kvPolicy: "full",
                ...(outcome.endpoint ? { endpoint: outcome.endpoint } : {}),
            };
        }
        const parts = splitToBudget(current, size, budget);
        if (round === 0) options.onPlan?.(parts.length);
        const summaries: string[] = [];
        for (const part of parts) {
            const outcome = await generator.generate({ instruction: true, prompt: summaryPrompt(part, options), maxTokens, signal: options.signal });
            tokens += outcome.generatedTokens;
            passes++;
            if (outcome.cancelled) return { summary: summaries.join("\n"), tokens, passes, cancelled: true, kvPolicy: "full" };
            summaries.push(outcome.text.trim());
        }
        const next = summaries.join("\n\n");
        // A model whose summaries are not shorter than their input would never converge.
        if (next.length >= current.length * 0.9) return { summary: next.slice(0, 4000), tokens, passes, cancelled: false, kvPolicy: "full" };
        current = next;
    }
}

type Described = Pick<LlmSummaryOptions, "title" | "outline">;

/**
 * Asks for a lead: what the document is and its main points in two to four sentences. The title and the top-level
 * section names are given as the document's structure (the summary shows them itself, see Assistant), and changes
 * listed in a changelog are asked to be left out, as the extractive engine leaves them out.
 */
function summaryPrompt(text: string, described: Described): string {
    return `${instruction(described)}\n\nDocument:\n${text}\n\nSummary:`;
}

function instruction({ title, outline }: Described): string {
    const sections = outline?.filter((entry) => entry.level === 1).slice(0, promptSections).map((entry) => entry.title) ?? [];
    return (
        `Summarize the following document${title ? ` ("${title}")` : ""} in two to four sentences: what it is and its main points, with key facts (names, dates, amounts).` +
        (sections.length ? ` Its sections are: ${sections.join("; ")}.` : "") +
        " Do not list changes from a changelog or revision history."
    );
}

/**
 * The one-pass prompt for a bounded KV cache: the instruction comes again after the document, since the cache keeps
 * the most recent tokens for sure and the opening instruction only if it drew enough attention.
 */
function boundedSummaryPrompt(text: string, described: Described): string {
    return `${instruction(described)}\n\nDocument:\n${text}\n\n${instruction(described).replace("the following document", "the document above")}\n\nSummary:`;
}

/** Splits at paragraph or sentence ends into parts of about `budget` tokens, estimating from the measured tokens per character. */
function splitToBudget(text: string, tokens: number, budget: number): string[] {
    const charsPerPart = Math.max(200, Math.floor((text.length / tokens) * budget * 0.9));
    const parts: string[] = [];
    let start = 0;
    while (start < text.length) {
        let end = Math.min(text.length, start + charsPerPart);
        if (end < text.length) {
            const window = text.slice(start, end);
            const cut = Math.max(window.lastIndexOf("\n\n"), window.lastIndexOf(". "));
            if (cut > charsPerPart * 0.5) end = start + cut + 1;
        }
        parts.push(text.slice(start, end).trim());
        start = end;
    }
    return parts.filter(Boolean);
}
