// The one way from settings to an inference engine. The CLI fills EngineSettings from its flags, the language server
// from the workspace's settings; both then start the engine here, so "cpu", relative model paths and the bounded
// cache mean the same thing everywhere.
import type { H2oSettings, LlamaHomeSettings, ModelSettings } from "../../shared/settings";
import { InferenceProcess, type InferenceProcessOptions, type KvCacheMode } from "./InferenceProcess";
import { EndpointPool, type EndpointPoolOptions } from "./remote/EndpointPool";
import { RemoteTextGenerator } from "./remote/RemoteTextGenerator";
import { absoluteModelSetting } from "./resolveModelSource";

export interface EngineSettings {
    /** An absolute GGUF path, or a URI to download. */
    model: string;
    gpu: ModelSettings["gpu"];
    /** Tokens the context holds; undefined: the model's training context, at most 4096. */
    contextSize?: number;
    threads?: number;
    batchSize?: number;
    modelsDir?: string;
    /** A bounded KV cache; undefined: a full context. */
    kv?: KvCacheMode;
}

/** What the caller hears from an engine: its log lines and a URI model's download progress. */
export type EngineHooks = Pick<InferenceProcessOptions, "onLog" | "onDownloadProgress">;

/**
 * The engine a workspace's settings configure, without a bounded cache; undefined when no model is set (the
 * extractive engine answers). A relative model path is relative to `root`, the first workspace folder, as the
 * setting documents.
 */
export function workspaceEngine(settings: LlamaHomeSettings, root: string): EngineSettings | undefined {
    if (!settings.model) return undefined;
    return { model: absoluteModelSetting(settings.model, root), gpu: settings.gpu, ...(settings.contextSize ? { contextSize: settings.contextSize } : {}) };
}

/** The bounded cache of an H2O budget, run by `mode`. */
export function boundedKv(budget: Pick<H2oSettings, "windowLength" | "heavyHitters">, mode: KvCacheMode["mode"]): KvCacheMode {
    return { mode, windowLength: budget.windowLength, heavyHitters: budget.heavyHitters };
}

/** An inference process for these settings; nothing runs until its load(). */
export function createEngine(settings: EngineSettings, hooks: EngineHooks = {}): InferenceProcess {
    return new InferenceProcess({
        model: settings.model,
        gpu: settings.gpu === "cpu" ? false : settings.gpu,
        contextSize: settings.contextSize,
        threads: settings.threads,
        batchSize: settings.batchSize,
        modelsDir: settings.modelsDir,
        ...(settings.kv ? { kv: settings.kv } : {}),
        ...hooks,
    });
}

/** llama.cpp servers to generate on instead of a local model (llamahome.endpoints, --endpoint). */
export interface RemoteEngineSettings {
    endpoints: string[];
    /** Sent as a bearer token; from SecretStorage or LLAMAHOME_API_KEY, never from settings.json. */
    apiKey?: string;
    /** Longest wait for a reply or between streamed words, in seconds. Defaults to 60. */
    timeoutSeconds?: number;
}

/** The endpoint pool for these settings; nothing is probed until its start(). */
export function createEndpointPool(settings: RemoteEngineSettings, options: Pick<EndpointPoolOptions, "onLog" | "probeIntervalMs"> = {}): EndpointPool {
    const timeoutMs = (settings.timeoutSeconds ?? 60) * 1000;
    return new EndpointPool(settings.endpoints, {
        ...options,
        ...(settings.apiKey ? { apiKey: settings.apiKey } : {}),
        timeouts: { responseMs: timeoutMs, idleMs: timeoutMs },
    });
}

/** The endpoint pool for these settings and, once one endpoint answers, the generator over it. */
export async function connectEndpoints(settings: RemoteEngineSettings, options: Pick<EndpointPoolOptions, "onLog" | "probeIntervalMs"> = {}): Promise<{ pool: EndpointPool; generator: RemoteTextGenerator }> {
    const pool = createEndpointPool(settings, options);
    try {
        return { pool, generator: new RemoteTextGenerator(pool, await pool.start()) };
    } catch (error) {
        pool.dispose();
        throw error;
    }
}
