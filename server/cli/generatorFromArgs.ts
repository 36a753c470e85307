import type { TextGenerator } from "../assist/TextGenerator";
import { gpuValues } from "../../shared/settings";
import { createEngine, type EngineSettings } from "../llm/engineSettings";
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
} as const;

/** --gpu values: the setting's, and "false", an old spelling of cpu. */
const gpus: readonly string[] = [...gpuValues, "false"];

export const modelOptionsHelp = `Model options: --model <path.gguf | hf:user/repo/file.gguf | https://…> (or LLAMAHOME_MODEL),
  --gpu auto|cpu|cuda|vulkan|metal (default auto), --context-size N, --threads N, --batch-size N, --models-dir D`;

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
