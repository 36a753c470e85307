import { availableParallelism } from "node:os";
import type { ChatWrapper, LlamaContext, LlamaContextSequence, LlamaModel, Token } from "node-llama-cpp" with { "resolution-mode": "import" };
import type {
    GenerateParams,
    GenerateResult,
    InferenceMetrics,
    KvCacheMode,
    LoadParams,
    ModelInfo,
    StopReason,
} from "../../shared/inferenceMessages";
import { CompletionTextStream } from "./CompletionTextStream";
import { describeModelFileProblem } from "./describeModelFileProblem";
import { validateLlamaGguf } from "./gguf/llamaValidation";
import { firstLine } from "./firstLine";
import { KvBudget } from "./h2o/KvBudget";
import { DEFAULT_OBSERVATION_SHARE } from "./h2o/QueryAwarePolicy";
import { InferenceError, ModelLoadError } from "./inferenceErrors";
import { LlamaBinding } from "./LlamaBinding";
import { LlamaModelLoader } from "./LlamaModelLoader";
import { boundedCacheRun, fullCacheRun } from "./cacheRuns";
import { openBoundedContext, openFullContext, type BoundedCache } from "./openModelContext";

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
    /** Prompt tokens evaluated so far of `total`, after each batch (full context) or chunk (bounded cache). */
    onPromptProgress?: (evaluated: number, total: number) => void;
}

interface Loaded {
    readonly model: LlamaModel;
    readonly context: LlamaContext;
    readonly sequence: LlamaContextSequence;
    readonly info: ModelInfo;
    /** The model's own chat template, for instruction prompts; absent when the GGUF declares none. */
    readonly chatWrapper?: ChatWrapper;
    /** Set when loaded with a bounded KV cache (LoadParams.kv): context and sequence are the session's. */
    readonly bounded?: BoundedCache;
}

/** The default prompt chunk of a bounded KV cache: one llama.cpp batch. */
const DEFAULT_KV_CHUNK = 512;

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
 *
 * With LoadParams.kv the context is a bounded KV cache (openKvPolicySession): the H2O accumulator build is loaded
 * when installed (else the prebuilt binary, and the sink-window policy, with the reason logged and reported), prompts
 * of any length are evaluated in chunks and generation keeps the budget (KvPolicyRunner). Every result says which
 * KV policy ran.
 *
 * A load goes through one step per job: the binding (LlamaBinding: which llama.cpp build, with the H2O fallback), the
 * weights (LlamaModelLoader), the context (openModelContext: full or bounded) and the chat template (declaredChatWrapper).
 */
export class LlamaEngine {
    private readonly binding = new LlamaBinding((level, message) => this.log(level, message));
    private loaded?: Loaded;
    private lastRates = { prompt: 0, generation: 0 };
    private readonly loader = new LlamaModelLoader();
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
        const vram = await this.binding.instance!.getVramState();
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
        const kv = params.kv === undefined ? undefined : resolveKvMode(params.kv);
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
        const { llama, buildMissing } = await this.binding.choose(params.gpu, file, kv?.mode);
        const model = await this.loader.load(llama, file);
        const threads = params.threads ?? defaultThreads();
        try {
            const settings = { contextSize: params.contextSize, threads, batchSize: params.batchSize };
            const { context, sequence, bounded, kv: kvInfo } = kv
                ? await openBoundedContext(model, kv, settings, buildMissing, (level, message) => this.log(level, message))
                : await openFullContext(model, settings);
            const chatWrapper = await declaredChatWrapper(model);
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
                ...(kvInfo === undefined ? {} : { kv: kvInfo }),
                ...(chatWrapper ? { chatTemplate: chatWrapper.wrapperName } : {}),
            };
            this.loaded = { model, context, sequence, info, ...(chatWrapper ? { chatWrapper } : {}), ...(bounded === undefined ? {} : { bounded }) };
            return info;
        } catch (error) {
            await model.dispose();
            throw new ModelLoadError(file, `llama.cpp could not create a context for it: ${firstLine(error)}`);
        }
    }

    private log(level: string, message: string): void {
        this.loader.note(level, message);
        this.options.onLog?.(level, message.trimEnd());
    }

    private async generateNow(params: GenerateParams, hooks: GenerateHooks): Promise<GenerateResult> {
        const loaded = this.require();
        const { model, context } = loaded;
        const started = performance.now();
        let input: Token[];
        if (params.instruction && loaded.chatWrapper) {
            // The template's text carries its own BOS and turn markers.
            const { contextText } = loaded.chatWrapper.generateContextState({
                chatHistory: [{ type: "user", text: params.prompt }, { type: "model", response: [] }],
            });
            input = contextText.tokenize(model.tokenizer);
        } else {
            input = model.tokenize(params.prompt);
            const bos = model.tokens.bos;
            if (model.tokens.shouldPrependBosToken && bos !== null) {
                input.unshift(bos);
            }
        }
        if (input.length === 0) {
            throw new InferenceError("invalid-request", "the prompt is empty and this model adds no BOS token; give it some text");
        }
        // A bounded KV cache takes prompts of any length: that is what it is for.
        if (!loaded.bounded && input.length > context.contextSize) {
            throw new InferenceError(
                "prompt-too-long",
                `the prompt is ${input.length} tokens but the context holds ${context.contextSize}; shorten the prompt or raise contextSize`,
            );
        }
        hooks.onStarted?.(input.length);
        // The question, when the request names one, is query-aware eviction's observation window (no BOS: it follows).
        const question = params.question === undefined || params.question === "" ? undefined : model.tokenize(params.question);
        const run = loaded.bounded ? boundedCacheRun(loaded.bounded, input, params, question) : fullCacheRun(loaded, input, params);

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
        // The prompt goes in one batch (or chunk) at a time so a cancel lands between them, not after the whole prompt.
        await run.evaluatePrompt(hooks.signal, hooks.onPromptProgress);
        if (hooks.signal.aborted) {
            stopReason = "cancelled";
        } else {
            for await (const token of run.tokens()) {
                lastAt = performance.now();
                firstAt ??= lastAt;
                generated++;
                run.afterToken();
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
            kv: run.report(),
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

/** Checks a bounded-cache request before anything is loaded; an impossible budget is an invalid request. */
function resolveKvMode(kv: KvCacheMode): Required<KvCacheMode> {
    if (kv.mode !== "h2o" && kv.mode !== "query-aware" && kv.mode !== "sink-window") {
        throw new InferenceError("invalid-request", `unknown KV cache mode ${JSON.stringify(kv.mode)}; use "h2o", "query-aware" or "sink-window"`);
    }
    if (kv.observationShare !== undefined && !(kv.observationShare >= 0 && kv.observationShare <= 1)) {
        throw new InferenceError("invalid-request", `bad H2O budget: observationShare must be within [0, 1], got ${kv.observationShare}`);
    }
    try {
        new KvBudget({ windowLength: kv.windowLength, heavyHitters: kv.heavyHitters });
    } catch (error) {
        throw new InferenceError("invalid-request", `bad H2O budget: ${firstLine(error)}`);
    }
    const chunkSize = kv.chunkSize ?? Math.min(DEFAULT_KV_CHUNK, kv.windowLength);
    if (!Number.isInteger(chunkSize) || chunkSize < 1) {
        throw new InferenceError("invalid-request", `bad H2O budget: chunkSize must be a positive integer, got ${chunkSize}`);
    }
    return { mode: kv.mode, windowLength: kv.windowLength, heavyHitters: kv.heavyHitters, chunkSize, observationShare: kv.observationShare ?? DEFAULT_OBSERVATION_SHARE };
}

/** The chat template for instruction prompts: only one the GGUF itself declares, as node-llama-cpp would otherwise guess a generic one. */
async function declaredChatWrapper(model: LlamaModel): Promise<ChatWrapper | undefined> {
    const { resolveChatWrapper } = await import("node-llama-cpp");
    return model.fileInfo.metadata.tokenizer?.chat_template ? resolveChatWrapper(model) : undefined;
}
