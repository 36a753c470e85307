import type { TextGenerator } from "../assist/TextGenerator";
import { gpuValues } from "../../shared/settings";
import { connectEndpoints, createEngine, type EngineSettings, type RemoteEngineSettings } from "../llm/engineSettings";
import type { InferenceProcess, KvCacheMode } from "../llm/InferenceProcess";
import { absoluteModelSetting } from "../llm/resolveModelSource";
import { ProcessTextGenerator } from "../llm/ProcessTextGenerator";
import { intOption, stringOption, UsageError, type ParsedArgs } from "./Command";

export const modelOptions = {
    model: { type: "string" },
    gpu: { type: "string" },
    "context-size": { type: "string" },
    threads: { type: "string" },
    "batch-size": { type: "string" },
    "models-dir": { type: "string" },
    endpoint: { type: "string" },
    "endpoint-timeout": { type: "string" },
} as const;

/** --gpu values: the setting's, and "false", an old spelling of cpu. */
const gpus: readonly string[] = [...gpuValues, "false"];

export const modelOptionsHelp = `Model options: --model <path.gguf | hf:user/repo/file.gguf | https://…> (or LLAMAHOME_MODEL),
  --gpu auto|cpu|cuda|vulkan|metal (default auto), --context-size N, --threads N, --batch-size N, --models-dir D;
  or --endpoint URL[,URL...] to generate on llama.cpp servers (llama-server) instead: each request goes to the one with
  the most free slots and fails over to another; --endpoint-timeout S (default 60) bounds each reply and each pause in
  a streamed one; an API key comes from LLAMAHOME_API_KEY. H2O runs only locally: on a server "policy" is "server"`;

/** The bounded KV cache flags, shared by every command that runs a model (generate, summarize, ask, …). */
export const h2oOptions = {
    "enable-h2o": { type: "boolean" },
    "window-length": { type: "string" },
    "heavy-hitters": { type: "string" },
    "chunk-size": { type: "string" },
} as const;

/** Defaults of the H2O flags: the seed's example budget. */
const DEFAULT_WINDOW_LENGTH = 512;

export const h2oOptionsHelp = `H2O options: --enable-h2o keeps the KV cache within --window-length N tokens (default ${DEFAULT_WINDOW_LENGTH}), of which
  --heavy-hitters K (default N/4, 1 ≤ K < N) are the tokens with the most accumulated attention and the rest the most
  recent ones, so prompts longer than the context fit; --chunk-size C (default min(512, N)) prompt tokens go in per
  step, so the cache peaks at N + C cells. Needs the accumulator build (npm run build:h2o); without it
  (or with LLAMAHOME_H2O_DISABLE=1) it runs attention sinks + recent window and reports "policy": "sink-window".`;

/**
 * The bounded KV cache the H2O flags ask for, or undefined without --enable-h2o. Throws UsageError for flags that
 * cannot hold: a budget flag without --enable-h2o, --heavy-hitters ≥ --window-length, --context-size alongside.
 */
export function kvModeFromArgs(args: ParsedArgs, mode: KvCacheMode["mode"] = "h2o"): KvCacheMode | undefined {
    const enabled = args.values["enable-h2o"] === true;
    if (!enabled) {
        const stray = (["window-length", "heavy-hitters", "chunk-size"] as const).filter((name) => args.values[name] !== undefined);
        if (stray.length > 0) throw new UsageError(`${stray.map((name) => `--${name}`).join(" and ")} need${stray.length === 1 ? "s" : ""} --enable-h2o`);
        return undefined;
    }
    return boundedKvFromArgs(args, mode);
}

/** The bounded KV cache of the budget flags (--window-length, --heavy-hitters) with the given policy. */
export function boundedKvFromArgs(args: ParsedArgs, mode: KvCacheMode["mode"]): KvCacheMode {
    if (args.values["context-size"] !== undefined) {
        throw new UsageError("--context-size does not apply to a bounded KV cache (--enable-h2o): the context is sized --window-length + one prompt chunk");
    }
    const windowLength = intOption(args, "window-length", DEFAULT_WINDOW_LENGTH, 2);
    const heavyHitters = intOption(args, "heavy-hitters", Math.max(1, Math.floor(windowLength / 4)), 1);
    if (heavyHitters >= windowLength) {
        throw new UsageError(`--heavy-hitters (${heavyHitters}) must be less than --window-length (${windowLength}): the rest of the window holds the recent tokens`);
    }
    const chunkSize = args.values["chunk-size"] === undefined ? undefined : intOption(args, "chunk-size", 512, 8);
    return { mode, windowLength, heavyHitters, ...(chunkSize === undefined ? {} : { chunkSize }) };
}

/** The llama.cpp servers --endpoint names, if any (--model and LLAMAHOME_MODEL then do not apply). */
export function endpointsFromArgs(args: ParsedArgs): RemoteEngineSettings | undefined {
    const list = stringOption(args, "endpoint");
    if (list === undefined) {
        if (args.values["endpoint-timeout"] !== undefined) throw new UsageError("--endpoint-timeout needs --endpoint");
        return undefined;
    }
    if (stringOption(args, "model") !== undefined) throw new UsageError("give --model (a local model) or --endpoint (llama.cpp servers), not both");
    const endpoints = list.split(",").map((e) => e.trim()).filter(Boolean);
    if (endpoints.length === 0) throw new UsageError("--endpoint needs at least one URL, e.g. --endpoint http://127.0.0.1:8080");
    const apiKey = process.env.LLAMAHOME_API_KEY || undefined;
    return { endpoints, timeoutSeconds: intOption(args, "endpoint-timeout", 60, 1), ...(apiKey ? { apiKey } : {}) };
}

/** For commands that measure the local engine itself (needle, bench): --endpoint is refused with what to run instead. */
export function refuseEndpoints(args: ParsedArgs, command: string, why: string): void {
    if (args.values.endpoint !== undefined || args.values["endpoint-timeout"] !== undefined) throw new UsageError(`${command} runs on the local engine only (${why}); npm run bench:endpoints measures llama.cpp servers`);
}

/** The model named by --model or LLAMAHOME_MODEL, if any. */
export function modelFromArgs(args: ParsedArgs): string | undefined {
    return stringOption(args, "model") ?? (process.env.LLAMAHOME_MODEL || undefined);
}

/**
 * The engine for the model the arguments name, with the shared model options and the bounded KV cache of the H2O
 * flags (kvModeFromArgs) unless `overrides.kv` says otherwise (undefined there: a full context).
 */
export function engineFromArgs(args: ParsedArgs, model: string, overrides: { contextSize?: number; kv?: KvCacheMode } = {}): EngineSettings {
    const kv = "kv" in overrides ? overrides.kv : kvModeFromArgs(args);
    const gpu = stringOption(args, "gpu") ?? "auto";
    if (!gpus.includes(gpu)) throw new UsageError(`--gpu must be auto, cpu, cuda, vulkan or metal (got ${gpu})`);
    const contextSize = overrides.contextSize ?? (args.values["context-size"] !== undefined ? intOption(args, "context-size", 4096, 16) : undefined);
    const modelsDir = stringOption(args, "models-dir");
    return {
        model: absoluteModelSetting(model, process.cwd()),
        gpu: gpu === "false" ? "cpu" : (gpu as EngineSettings["gpu"]),
        ...(contextSize === undefined ? {} : { contextSize }),
        ...(args.values.threads !== undefined ? { threads: intOption(args, "threads", 1) } : {}),
        ...(args.values["batch-size"] !== undefined ? { batchSize: intOption(args, "batch-size", 512) } : {}),
        ...(modelsDir === undefined ? {} : { modelsDir }),
        ...(kv === undefined ? {} : { kv }),
    };
}

/** Starts the engine of engineFromArgs, showing a download's progress on a terminal. */
export function inferenceFromArgs(args: ParsedArgs, model: string, overrides: { contextSize?: number; kv?: KvCacheMode } = {}): InferenceProcess {
    const showProgress = process.stderr.isTTY;
    return createEngine(engineFromArgs(args, model, overrides), {
        onDownloadProgress: showProgress
            ? (progress) => process.stderr.write(`\rdownloading ${(progress.downloadedBytes / 1e6).toFixed(1)}${progress.totalBytes ? ` / ${(progress.totalBytes / 1e6).toFixed(1)}` : ""} MB`)
            : undefined,
    });
}

/**
 * Runs `work` with the model the arguments name (or with none: the extractive engine), with the bounded KV cache
 * of the H2O flags when the command's option table has them (h2oOptions), an AbortSignal
 * that Ctrl-C triggers, and the inference process disposed afterwards whatever happens.
 */
export async function withGenerator<T>(
    args: ParsedArgs,
    work: (generator: TextGenerator | undefined, signal: AbortSignal) => Promise<T>,
    /** The policy --enable-h2o asks for: "query-aware" where every request carries its question. */
    kvPolicy: KvCacheMode["mode"] = "h2o",
): Promise<T> {
    const remote = endpointsFromArgs(args);
    if (remote) return withEndpoints(args, remote, work);
    const model = modelFromArgs(args);
    const kv = kvModeFromArgs(args, kvPolicy);
    if (kv && !model) throw new UsageError("--enable-h2o needs a model: --model <path.gguf | hf:… | https://…> or LLAMAHOME_MODEL");
    const controller = new AbortController();
    const interrupt = () => controller.abort();
    process.once("SIGINT", interrupt);
    const inference = model ? inferenceFromArgs(args, model, { kv }) : undefined;
    try {
        const info = await inference?.load(controller.signal);
        return await work(inference && info ? new ProcessTextGenerator(inference, info) : undefined, controller.signal);
    } finally {
        process.off("SIGINT", interrupt);
        await inference?.dispose();
    }
}

/** withGenerator on llama.cpp servers: the pool is probed first, and closed afterwards whatever happens. */
async function withEndpoints<T>(args: ParsedArgs, remote: RemoteEngineSettings, work: (generator: TextGenerator | undefined, signal: AbortSignal) => Promise<T>): Promise<T> {
    if (args.values["enable-h2o"] === true) process.stderr.write("llamahome: H2O runs only in the local engine; the llama.cpp server manages its own KV cache (policy: server)\n");
    const controller = new AbortController();
    const interrupt = () => controller.abort();
    process.once("SIGINT", interrupt);
    const { pool, generator } = await connectEndpoints(remote, { onLog: (line) => process.stderr.write(`llamahome: ${line}\n`) }).catch((error: Error) => {
        process.off("SIGINT", interrupt);
        throw error;
    });
    try {
        return await work(generator, controller.signal);
    } finally {
        process.off("SIGINT", interrupt);
        pool.dispose();
    }
}
