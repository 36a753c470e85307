// One llama.cpp server (`llama-server`), spoken to over its native HTTP API: /health, /props, /slots, /metrics,
// /tokenize, /apply-template and streamed /completion. Every call is bounded in time (connect + first byte, then the
// gap between streamed events) and in bytes; every failure is an EndpointError that says whether to fail over.
import type { StopReason } from "../../../shared/inferenceMessages";
import { EndpointError } from "./EndpointError";
import { serverSentEvents } from "./serverSentEvents";

export interface LlamaServerTimeouts {
    /** Until the response headers arrive (connect, queueing, prompt processing of a short prompt). */
    responseMs: number;
    /** Longest silence between two streamed events once a completion runs. */
    idleMs: number;
    /** A health or load probe. */
    probeMs: number;
}

export const defaultTimeouts: LlamaServerTimeouts = { responseMs: 60_000, idleMs: 60_000, probeMs: 2_000 };

/** What /props and /slots say about a server's model and capacity. */
export interface ServerProps {
    model: string;
    contextSize: number;
    totalSlots: number;
}

export interface SlotLoad {
    total: number;
    busy: number;
    /** The highest task id the slots report: how many requests the server has taken, a tie-break between idle servers. */
    tasksSeen: number;
}

export interface ServerMetrics {
    /** 0–1, from llamacpp:kv_cache_usage_ratio (needs llama-server --metrics). */
    kvCacheUsage?: number;
    /** From llamacpp:predicted_tokens_seconds. */
    tokensPerSecond?: number;
}

export interface CompletionRequest {
    prompt: string;
    maxTokens: number;
    temperature: number;
    stop?: string[];
}

export interface CompletionOutcome {
    text: string;
    generatedTokens: number;
    promptTokens: number;
    /** The server stopped because the caller cancelled (the connection was closed, freeing the slot). */
    cancelled: boolean;
    stopReason: StopReason;
    tokensPerSecond?: number;
}

const maxJsonBytes = 8 * 1024 * 1024;

/** llama-server's stop_type, in the words the local engine uses. */
const stopReasons: Record<string, StopReason> = { eos: "eos", limit: "maxTokens", word: "stop" };

export class LlamaServerClient {
    constructor(
        /** The server's base URL, without a trailing slash. */
        readonly url: string,
        private readonly apiKey: string | undefined,
        private readonly timeouts: LlamaServerTimeouts = defaultTimeouts,
    ) {}

    /** Resolves when /health says ok; throws EndpointError otherwise (503 while a model loads counts as down). */
    async health(): Promise<void> {
        await this.json("GET", "/health", undefined, this.timeouts.probeMs);
    }

    async props(): Promise<ServerProps> {
        const props = await this.json("GET", "/props", undefined, this.timeouts.probeMs);
        const settings = field(props, "default_generation_settings");
        const contextSize = Number(field(settings, "n_ctx"));
        const totalSlots = Number(field(props, "total_slots") ?? 1);
        if (!Number.isInteger(contextSize) || contextSize <= 0) throw new EndpointError(this.url, "protocol", "/props has no context size (default_generation_settings.n_ctx)");
        const alias = field(props, "model_alias");
        const modelPath = field(props, "model_path");
        // Without --alias the server names its model by the path it was started with: the file name is enough.
        const named = typeof alias === "string" && alias ? alias : typeof modelPath === "string" ? modelPath : "";
        const model = named.split(/[\\/]/).pop() || "llama-server";
        return { model, contextSize, totalSlots: Number.isInteger(totalSlots) && totalSlots > 0 ? totalSlots : 1 };
    }

    /** The slots' load; undefined when the server runs with --no-slots. */
    async slots(): Promise<SlotLoad | undefined> {
        let slots: unknown;
        try {
            slots = await this.json("GET", "/slots", undefined, this.timeouts.probeMs);
        } catch (error) {
            if (error instanceof EndpointError && error.kind === "request") return undefined;
            throw error;
        }
        if (!Array.isArray(slots)) throw new EndpointError(this.url, "protocol", "/slots is not a list");
        let busy = 0;
        let tasksSeen = 0;
        for (const slot of slots) {
            if (field(slot, "is_processing") === true) busy++;
            const task = Number(field(slot, "id_task"));
            if (Number.isFinite(task)) tasksSeen = Math.max(tasksSeen, task + 1);
        }
        return { total: slots.length, busy, tasksSeen };
    }

    /** Prometheus metrics; empty when the server runs without --metrics. */
    async metrics(): Promise<ServerMetrics> {
        const response = await this.fetch("GET", "/metrics", undefined, AbortSignal.timeout(this.timeouts.probeMs)).catch(() => undefined);
        if (!response?.ok) {
            await response?.body?.cancel().catch(() => undefined);
            return {};
        }
        const text = await boundedText(response, maxJsonBytes, this.url);
        const value = (name: string) => {
            const match = new RegExp(`^llamacpp:${name}\\s+([0-9.eE+-]+)`, "m").exec(text);
            return match ? Number(match[1]) : undefined;
        };
        const kv = value("kv_cache_usage_ratio");
        const tps = value("predicted_tokens_seconds");
        return { ...(kv === undefined ? {} : { kvCacheUsage: kv }), ...(tps ? { tokensPerSecond: tps } : {}) };
    }

    async countTokens(text: string, signal?: AbortSignal): Promise<number> {
        const result = await this.json("POST", "/tokenize", { content: text, add_special: true }, this.timeouts.responseMs, signal);
        const tokens = field(result, "tokens");
        if (!Array.isArray(tokens)) throw new EndpointError(this.url, "protocol", "/tokenize returned no token list");
        return tokens.length;
    }

    /** The prompt the server's chat template makes of one user message. */
    async applyTemplate(message: string, signal?: AbortSignal): Promise<string> {
        const result = await this.json("POST", "/apply-template", { messages: [{ role: "user", content: message }] }, this.timeouts.responseMs, signal);
        const prompt = field(result, "prompt");
        if (typeof prompt !== "string") throw new EndpointError(this.url, "protocol", "/apply-template returned no prompt");
        return prompt;
    }

    /**
     * Streams a completion. Aborting `signal` closes the connection, which makes llama-server stop the task and free
     * its slot; the outcome then says cancelled. A server that dies, stalls past the idle timeout or sends what is not
     * a completion event fails with an EndpointError, whatever text came before.
     */
    async complete(request: CompletionRequest, onText: ((text: string) => void) | undefined, signal?: AbortSignal): Promise<CompletionOutcome> {
        const stalled = new AbortController();
        const combined = signal ? AbortSignal.any([signal, stalled.signal]) : stalled.signal;
        let timer = setTimeout(() => stalled.abort(), this.timeouts.responseMs);
        const rearm = () => {
            clearTimeout(timer);
            timer = setTimeout(() => stalled.abort(), this.timeouts.idleMs);
        };
        let text = "";
        try {
            const response = await this.fetch("POST", "/completion", {
                prompt: request.prompt,
                n_predict: request.maxTokens,
                temperature: request.temperature,
                ...(request.temperature === 0 ? { top_k: 1 } : {}),
                stop: request.stop ?? [],
                stream: true,
                cache_prompt: true,
            }, combined, { fresh: true });
            await this.expectOk(response);
            if (!response.body) throw new EndpointError(this.url, "protocol", "the completion response has no body");
            rearm();
            for await (const data of serverSentEvents(response.body)) {
                rearm();
                // The server is alive and refused this request mid-way: another server would refuse it too.
                if (data.startsWith("error:")) throw new EndpointError(this.url, "request", `the server reported ${data.slice(6).trim().slice(0, 200)}`);
                let event: unknown;
                try {
                    event = JSON.parse(data);
                } catch {
                    throw new EndpointError(this.url, "protocol", `a streamed event is not JSON: ${JSON.stringify(data.slice(0, 80))}`);
                }
                const error = field(event, "error");
                if (error !== undefined) throw new EndpointError(this.url, "request", `the server reported ${JSON.stringify(error).slice(0, 200)}`);
                const content = field(event, "content");
                if (typeof content !== "string") throw new EndpointError(this.url, "protocol", "a streamed event has no content");
                if (content) {
                    text += content;
                    onText?.(content);
                }
                if (field(event, "stop") === true) {
                    const timings = field(event, "timings");
                    const tps = Number(field(timings, "predicted_per_second"));
                    return {
                        text,
                        generatedTokens: Number(field(event, "tokens_predicted") ?? 0),
                        promptTokens: Number(field(event, "tokens_evaluated") ?? 0),
                        cancelled: false,
                        stopReason: stopReasons[String(field(event, "stop_type"))] ?? "eos",
                        ...(Number.isFinite(tps) && tps > 0 ? { tokensPerSecond: tps } : {}),
                    };
                }
            }
            throw new EndpointError(this.url, "closed", "the server closed the stream before the completion finished");
        } catch (error) {
            if (signal?.aborted) return { text, generatedTokens: 0, promptTokens: 0, cancelled: true, stopReason: "cancelled" };
            if (stalled.signal.aborted) throw new EndpointError(this.url, "timeout", `no reply for ${Math.round((text ? this.timeouts.idleMs : this.timeouts.responseMs) / 1000)} s`);
            throw error instanceof EndpointError ? error : this.networkError(error);
        } finally {
            clearTimeout(timer);
        }
    }

    private async json(method: string, route: string, body: unknown, timeoutMs: number, signal?: AbortSignal): Promise<unknown> {
        const timeout = AbortSignal.timeout(timeoutMs);
        const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
        try {
            const response = await this.fetch(method, route, body, combined);
            await this.expectOk(response);
            const text = await boundedText(response, maxJsonBytes, this.url);
            try {
                return JSON.parse(text);
            } catch {
                throw new EndpointError(this.url, "protocol", `${route} did not return JSON: ${JSON.stringify(text.slice(0, 80))}`);
            }
        } catch (error) {
            if (signal?.aborted) throw signal.reason ?? error;
            if (timeout.aborted) throw new EndpointError(this.url, "timeout", `${route} did not answer within ${Math.round(timeoutMs / 100) / 10} s`);
            throw error instanceof EndpointError ? error : this.networkError(error);
        }
    }

    /**
     * One request; sent again, once, when the connection closed before any reply. llama-server closes a kept-alive
     * connection after 100 requests (Keep-Alive: max=100) and the next request on it fails unsent: that is not a
     * server going down. A server that is really gone fails the second try too.
     */
    private async fetch(method: string, route: string, body: unknown, signal: AbortSignal, options: { fresh?: boolean } = {}): Promise<Response> {
        try {
            return await this.fetchOnce(method, route, body, signal, options);
        } catch (error) {
            const code = (error as { cause?: { code?: string } }).cause?.code;
            if (signal.aborted || (code !== "UND_ERR_SOCKET" && code !== "ECONNRESET")) throw error;
            return this.fetchOnce(method, route, body, signal, { fresh: true });
        }
    }

    /**
     * `fresh`: on a connection of its own, closed afterwards. Completions always are: a kept-alive socket that the
     * server dropped after a streamed reply failed the next completion sent on it (measured: several per 100 under 32
     * concurrent requests), and a completion takes far longer than a connect.
     */
    private fetchOnce(method: string, route: string, body: unknown, signal: AbortSignal, options: { fresh?: boolean }): Promise<Response> {
        return fetch(`${this.url}${route}`, {
            method,
            signal,
            redirect: "error",
            headers: {
                ...(options.fresh ? { Connection: "close" } : {}),
                ...(body === undefined ? {} : { "Content-Type": "application/json" }),
                ...(this.apiKey ? { Authorization: `Bearer ${this.apiKey}` } : {}),
            },
            ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
    }

    private async expectOk(response: Response): Promise<void> {
        if (response.ok) return;
        const detail = (await boundedText(response, 64 * 1024, this.url).catch(() => "")).replace(/\s+/g, " ").slice(0, 200);
        const kind = response.status === 401 || response.status === 403 ? "http" : response.status >= 500 ? "http" : "request";
        const hint = response.status === 401 || response.status === 403 ? " (set the API key: LlamaHome: Set Endpoint API Key, or LLAMAHOME_API_KEY)" : "";
        throw new EndpointError(this.url, kind, `HTTP ${response.status}${detail ? `: ${detail}` : ""}${hint}`);
    }

    private networkError(error: unknown): EndpointError {
        const cause = (error as { cause?: { code?: string; message?: string } }).cause;
        const code = cause?.code;
        if (code === "ECONNREFUSED") return new EndpointError(this.url, "refused", "connection refused (is llama-server running?)");
        if (code === "ENOTFOUND" || code === "EAI_AGAIN") return new EndpointError(this.url, "refused", "its host name does not resolve");
        if (code === "ECONNRESET" || code === "UND_ERR_SOCKET") return new EndpointError(this.url, "closed", "the server closed the connection");
        return new EndpointError(this.url, "closed", cause?.message ?? (error as Error).message ?? String(error));
    }
}

async function boundedText(response: Response, maxBytes: number, url: string): Promise<string> {
    if (!response.body) return "";
    const reader = response.body.getReader();
    const parts: Uint8Array[] = [];
    let size = 0;
    try {
        for (;;) {
            const { done, value } = await reader.read();
            if (done) break;
            size += value.byteLength;
            if (size > maxBytes) throw new EndpointError(url, "protocol", `the reply is larger than ${maxBytes} bytes`);
            parts.push(value);
        }
    } finally {
        reader.releaseLock();
        await response.body.cancel().catch(() => undefined);
    }
    return Buffer.concat(parts).toString("utf8");
}

function field(value: unknown, name: string): unknown {
    return typeof value === "object" && value !== null ? (value as Record<string, unknown>)[name] : undefined;
}
