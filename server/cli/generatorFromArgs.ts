import * as path from "node:path";
import type { TextGenerator } from "../assist/TextGenerator";
import { InferenceProcess, type InferenceGpu } from "../llm/InferenceProcess";
import { isModelUri } from "../llm/resolveModelSource";
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

export const modelOptionsHelp = `Model options: --model <path.gguf | hf:user/repo/file.gguf | https://…> (or LLAMAHOME_MODEL),
  --gpu auto|cpu|cuda|vulkan|metal (default auto), --context-size N, --threads N, --batch-size N, --models-dir D`;

/** The model named by --model or LLAMAHOME_MODEL, if any. */
export function modelFromArgs(args: ParsedArgs): string | undefined {
    return stringOption(args, "model") ?? (process.env.LLAMAHOME_MODEL || undefined);
}

/** Starts the inference process for the model the arguments name, with the shared model options. */
export function inferenceFromArgs(args: ParsedArgs, model: string, overrides: { contextSize?: number } = {}): InferenceProcess {
    const gpuArg = stringOption(args, "gpu") ?? "auto";
    const gpus: Record<string, InferenceGpu> = { auto: "auto", cpu: false, false: false, cuda: "cuda", vulkan: "vulkan", metal: "metal" };
    if (!(gpuArg in gpus)) throw new UsageError(`--gpu must be auto, cpu, cuda, vulkan or metal (got ${gpuArg})`);
    const showProgress = process.stderr.isTTY;
    return new InferenceProcess({
        model: isModelUri(model) ? model : path.resolve(model),
        gpu: gpus[gpuArg],
        contextSize: overrides.contextSize ?? (args.values["context-size"] !== undefined ? intOption(args, "context-size", 4096, 16) : undefined),
        threads: args.values.threads !== undefined ? intOption(args, "threads", 1) : undefined,
        batchSize: args.values["batch-size"] !== undefined ? intOption(args, "batch-size", 512) : undefined,
        modelsDir: stringOption(args, "models-dir"),
        onDownloadProgress: showProgress
            ? (progress) => process.stderr.write(`\rdownloading ${(progress.downloadedBytes / 1e6).toFixed(1)}${progress.totalBytes ? ` / ${(progress.totalBytes / 1e6).toFixed(1)}` : ""} MB`)
            : undefined,
    });
}

/**
 * Runs `work` with the model the arguments name (or with none: the extractive engine), an AbortSignal
 * that Ctrl-C triggers, and the inference process disposed afterwards whatever happens.
 */
export async function withGenerator<T>(args: ParsedArgs, work: (generator: TextGenerator | undefined, signal: AbortSignal) => Promise<T>): Promise<T> {
    const controller = new AbortController();
    const interrupt = () => controller.abort();
    process.once("SIGINT", interrupt);
    const model = modelFromArgs(args);
    const inference = model ? inferenceFromArgs(args, model) : undefined;
    try {
        const info = await inference?.load(controller.signal);
        return await work(inference && info ? new ProcessTextGenerator(inference, info) : undefined, controller.signal);
    } finally {
        process.off("SIGINT", interrupt);
        await inference?.dispose();
    }
}
