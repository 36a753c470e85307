import { availableParallelism } from "node:os";
import type { Llama, LlamaContext, LlamaContextSequence, LlamaModel, Token } from "node-llama-cpp" with { "resolution-mode": "import" };
import type { GenerateParams, GenerateResult, InferenceGpu, InferenceMetrics, LoadParams, ModelInfo, StopReason } from "../../shared/inferenceMessages";
import { CompletionTextStream } from "./CompletionTextStream";
import { describeModelFileProblem } from "./describeModelFileProblem";
import { validateLlamaGguf } from "./gguf/ggufReader";
import { firstLine } from "./firstLine";
import { InferenceError } from "./InferenceError";
import { ModelLoadError } from "./ModelLoadError";

export interface LlamaEngineOptions {
    /** Receives llama.cpp's log lines. Defaults to dropping them. */
    onLog?: (level: string, message: string) => void;
}

export interface GenerateHooks {
    /** Ends the generation at the next token or prompt batch, with stopReason "cancelled". */
    signal: AbortSignal;
    /** The prompt was tokenized to this many tokens (BOS included); evaluation starts. */
    onStarted?: (promptTokens: number) => void;
    /** Text safe to show, as it is produced; with the tokens sampled so far. */
    onText?: (text: string, generatedTokens: number) => void;
}

interface Loaded {
    readonly model: LlamaModel;
    readonly context: LlamaContext;
    readonly sequence: LlamaContextSequence;
    readonly info: ModelInfo;
}

/** The default context size cap: enough for retrieval prompts, small enough for the KV cache of a 7B model on a laptop. */
const DEFAULT_MAX_CONTEXT = 4096;

/**
 * The default thread count. ggml's threads spin-wait on each other, so oversubscribing cores is catastrophic while
 * undersubscribing costs at most linearly: on a 2-core host, the tiny model generated ~850 tok/s with 1 thread,
 * ~50–100 with 2 and ~3 with node-llama-cpp's default of 4. One core is left for the editor, the LSP server and the
 * indexer, and more than 4 threads rarely helps token generation, which is memory-bound.
 */
export function defaultThreads(): number {
    return Math.max(1, Math.min(4, availableParallelism() - 1));
}

/**
 * node-llama-cpp driven directly: one model, one context, one sequence, raw completions. Lives in the inference child
 * process so a llama.cpp abort cannot take the server down. Loads and generations run one at a time.
 */
export class LlamaEngine {
    private llama?: { instance: Llama; gpu: InferenceGpu };
    private loaded?: Loaded;
    private lastRates = { prompt: 0, generation: 0 };
    /** llama.cpp's error lines while a model loads: its exception only says "Failed to load model". */
    private loadErrors?: string[];
    private tail: Promise<unknown> = Promise.resolve();

    constructor(private readonly options: LlamaEngineOptions = {}) {}

    load(params: LoadParams): Promise<ModelInfo> {
        return this.exclusive(() => this.loadNow(params));
    }

    generate(params: GenerateParams, hooks: GenerateHooks): Promise<GenerateResult> {
        return this.exclusive(() => this.generateNow(params, hooks));
    }

    /** Tokens the text takes, without the BOS token a prompt gets. */
    countTokens(text: string): number {
        return this.require().model.tokenize(text).length;
    }

    async metrics(): Promise<InferenceMetrics> {
        const { context, info } = this.require();
        const vram = await this.llama!.instance.getVramState();
        return {
            pid: process.pid,
            gpu: info.gpu,
            vramUsedBytes: vram.used,
            vramTotalBytes: vram.total,
            rssBytes: process.memoryUsage.rss(),
            contextSize: context.contextSize,
            stateSizeBytes: context.stateSize,
            contextMemoryBytes: context.memoryUsage,
            threads: info.threads,
            batchSize: context.batchSize,
            lastPromptTokensPerSecond: this.lastRates.prompt,
            lastGenerationTokensPerSecond: this.lastRates.generation,
        };
    }

    private async loadNow(params: LoadParams): Promise<ModelInfo> {
        const started = performance.now();
        const file = params.modelPath;
        // llama.cpp GGML_ASSERTs (and so aborts the process) on some malformed files: check the header first.
        try {
            await validateLlamaGguf(file);
        } catch (error) {
            throw new ModelLoadError(file, describeModelFileProblem(error, file));
        }
        if (this.loaded) {
            const previous = this.loaded;
            this.loaded = undefined;
            await previous.model.dispose();
        }
        const llama = await this.getLlama(params.gpu, file);
        let model: LlamaModel;
        const loadErrors: string[] = [];
        this.loadErrors = loadErrors;
        try {
            model = await llama.loadModel({ modelPath: file, gpuLayers: llama.gpu === false ? 0 : "auto" });
        } catch (error) {
            throw new ModelLoadError(file, `llama.cpp could not load it: ${(await llamaLoadCause(loadErrors)) ?? firstLine(error)}`);
        } finally {
            this.loadErrors = undefined;
        }
        const threads = params.threads ?? defaultThreads();
        try {
            const context = await model.createContext({
                // A GGUF without a usable context_length reports 0.
                contextSize: params.contextSize ?? Math.min(model.trainContextSize || DEFAULT_MAX_CONTEXT, DEFAULT_MAX_CONTEXT),
                threads,
                batchSize: params.batchSize,
                // A number that does not fit should fail loudly, not silently shrink.
                failedCreationRemedy: false,
            });
            const sequence = context.getSequence();
            const name = model.fileInfo.metadata.general?.name;
            const info: ModelInfo = {
                path: file,
                name: typeof name === "string" ? name : undefined,
                sizeBytes: model.size,
                trainContextSize: model.trainContextSize,
                contextSize: context.contextSize,
                batchSize: context.batchSize,
                threads,
                gpu: llama.gpu,
                gpuLayers: model.gpuLayers,
                loadMs: Math.round(performance.now() - started),
            };
            this.loaded = { model, context, sequence, info };
            return info;
        } catch (error) {
            await model.dispose();
            throw new ModelLoadError(file, `llama.cpp could not create a context for it: ${firstLine(error)}`);
        }
    }

    private async getLlama(gpu: InferenceGpu, file: string): Promise<Llama> {
        if (this.llama?.gpu === gpu) {
            return this.llama.instance;
        }
        await this.llama?.instance.dispose();
        this.llama = undefined;
        const { getLlama, LlamaLogLevel, NoBinaryFoundError } = await import("node-llama-cpp");
        try {
            const instance = await getLlama({
                gpu,
                // Never compile llama.cpp from inside the editor (it takes many minutes); a local build made with
                // `npx node-llama-cpp source download` is still used.
                build: "never",
                progressLogs: false,
                // Threads are chosen per context; without this cap node-llama-cpp would lower them on its own.
                maxThreads: 0,
                logLevel: LlamaLogLevel.warn,
                logger: (level, message) => {
                    if (level === LlamaLogLevel.error) {
                        this.loadErrors?.push(message);
                    }
                    this.options.onLog?.(level, message.trimEnd());
                },
            });
            if (gpu !== "auto" && instance.gpu !== gpu) {
                // node-llama-cpp quietly runs on the CPU when asked for a backend this platform lacks (metal on Linux).
                await instance.dispose();
                throw new ModelLoadError(file, gpuUnavailable(gpu, `node-llama-cpp offered ${instance.gpu || "the CPU"} instead`));
            }
            this.llama = { instance, gpu };
            return instance;
        } catch (error) {
            if (error instanceof ModelLoadError) {
                throw error;
            }
            // NoBinaryFoundError's message is only its name.
            const cause = error instanceof NoBinaryFoundError ? "no usable llama.cpp binary for it" : firstLine(error);
            throw new ModelLoadError(file, gpu === "auto" || gpu === false ? `llama.cpp could not start: ${cause}` : gpuUnavailable(gpu, cause));
        }
    }

    private async generateNow(params: GenerateParams, hooks: GenerateHooks): Promise<GenerateResult> {
        const { model, context, sequence } = this.require();
        const started = performance.now();
        const input: Token[] = model.tokenize(params.prompt);
        const bos = model.tokens.bos;
        if (model.tokens.shouldPrependBosToken && bos !== null) {
            input.unshift(bos);
        }
        if (input.length === 0) {
            throw new InferenceError("invalid-request", "the prompt is empty and this model adds no BOS token; give it some text");
        }
        if (input.length > context.contextSize) {
            throw new InferenceError(
                "prompt-too-long",
                `the prompt is ${input.length} tokens but the context holds ${context.contextSize}; shorten the prompt or raise contextSize`,
            );
        }
        hooks.onStarted?.(input.length);
        await sequence.clearHistory();

        const stream = new CompletionTextStream((tokens, lastTokens) => model.detokenize(tokens as Token[], false, lastTokens as Token[]), params.stop);
        let text = "";
        let generated = 0;
        const emit = (chunk: string): void => {
            if (chunk.length > 0) {
                text += chunk;
                hooks.onText?.(chunk, generated);
            }
        };

        const evaluationStart = performance.now();
        let firstAt: number | undefined;
        let lastAt = evaluationStart;
        let stopReason: StopReason = "eos";
        // The prompt goes in one batch at a time so a cancel lands between batches, not after the whole prompt.
        const batch = context.batchSize;
        let at = 0;
        while (input.length - at > batch && !hooks.signal.aborted) {
            await sequence.evaluateWithoutGeneratingNewTokens(input.slice(at, at + batch));
            at += batch;
        }
        if (hooks.signal.aborted) {
            stopReason = "cancelled";
        } else {
            for await (const token of sequence.evaluate(input.slice(at), { temperature: params.temperature, seed: params.seed })) {
                lastAt = performance.now();
                firstAt ??= lastAt;
                generated++;
                emit(stream.push(token));
                if (stream.stopped) {
                    stopReason = "stop";
                    break;
                }
                if (generated >= params.maxTokens) {
                    stopReason = "maxTokens";
                    break;
                }
                if (hooks.signal.aborted) {
                    stopReason = "cancelled";
                    break;
                }
            }
        }
        emit(stream.flush());

        const promptTokensPerSecond = firstAt === undefined ? 0 : (input.length * 1000) / (firstAt - evaluationStart);
        const generationTokensPerSecond = firstAt === undefined || generated < 2 ? 0 : ((generated - 1) * 1000) / (lastAt - firstAt);
        if (stopReason !== "cancelled") {
            this.lastRates = { prompt: promptTokensPerSecond, generation: generationTokensPerSecond };
        }
        return {
            text,
            stopReason,
            promptTokens: input.length,
            generatedTokens: generated,
            promptTokensPerSecond,
            generationTokensPerSecond,
            timeToFirstTokenMs: firstAt === undefined ? 0 : firstAt - started,
            ms: performance.now() - started,
        };
    }

    private require(): Loaded {
        if (!this.loaded) {
            throw new InferenceError("not-loaded", "no model is loaded in the inference process; send a load request first");
        }
        return this.loaded;
    }

    private exclusive<T>(work: () => Promise<T>): Promise<T> {
        const run = this.tail.then(work, work);
        this.tail = run.catch(() => undefined);
        return run;
    }
}

function gpuUnavailable(gpu: InferenceGpu, cause: string): string {
    return `GPU backend ${gpu} is not available on this machine (${cause}); set gpu to "auto" or false`;
}

/** How long a failed load waits for llama.cpp's reason: its log lines reach JS after the load's rejection. */
const LOAD_CAUSE_WAIT_MS = 200;

/** The reason in llama.cpp's "llama_model_load: error loading model: <reason>" line, with its column padding collapsed. */
async function llamaLoadCause(errors: readonly string[]): Promise<string | undefined> {
    const marker = "error loading model: ";
    const deadline = performance.now() + LOAD_CAUSE_WAIT_MS;
    for (;;) {
        const line = errors.find((error) => error.includes(marker));
        if (line !== undefined) {
            return line.slice(line.indexOf(marker) + marker.length).replace(/\s+/g, " ").trim();
        }
        if (performance.now() >= deadline) {
            return undefined;
        }
        await new Promise((resolve) => setTimeout(resolve, 5));
    }
}
