import { availableParallelism } from "node:os";
import type { ChatWrapper, Llama, LlamaContext, LlamaContextSequence, LlamaModel, Token } from "node-llama-cpp" with { "resolution-mode": "import" };
import type {
    GenerateParams,
    GenerateResult,
    InferenceGpu,
    InferenceMetrics,
    KvCacheMode,
    KvCacheReport,
    LoadParams,
    ModelInfo,
    StopReason,
} from "../../shared/inferenceMessages";
import { CompletionTextStream } from "./CompletionTextStream";
import { describeModelFileProblem } from "./describeModelFileProblem";
import { validateLlamaGguf } from "./gguf/llamaValidation";
import { firstLine } from "./firstLine";
import { H2oBuildMissingError, loadH2oLlama, type H2oGpu } from "./h2o/h2oBuild";
import { KvBudget } from "./h2o/KvBudget";
import { openKvPolicySession, type KvPolicySession } from "./h2o/openKvPolicySession";
import { DEFAULT_OBSERVATION_SHARE } from "./h2o/QueryAwarePolicy";
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
    readonly bounded?: { readonly session: KvPolicySession; readonly fallbackReason?: string };
}

/** One generation's way through the KV cache: a full context, or a bounded one under an eviction policy. */
interface CacheRun {
    /** Evaluates the prompt but its tail (which `tokens` feeds); returns early, without throwing, once the signal aborts. */
    evaluatePrompt(signal: AbortSignal, onProgress?: (evaluated: number, total: number) => void): Promise<void>;
    /** Feeds the prompt's tail and yields sampled tokens; ends at an end-of-generation token. */
    tokens(): AsyncGenerator<Token, void, void>;
    /** Called after each sampled token, for the cache figures. */
    afterToken(): void;
    report(): KvCacheReport;
}

/** The default prompt chunk of a bounded KV cache: one llama.cpp batch. */
const DEFAULT_KV_CHUNK = 512;

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
 *
 * With LoadParams.kv the context is a bounded KV cache (openKvPolicySession): the H2O accumulator build is loaded
 * when installed (else the prebuilt binary, and the sink-window policy, with the reason logged and reported), prompts
 * of any length are evaluated in chunks and generation keeps the budget (KvPolicyRunner). Every result says which
 * KV policy ran.
 */
export class LlamaEngine {
    /** The loaded llama.cpp binding; `key` is the gpu asked for, prefixed "h2o:" for the accumulator build. */
    private llama?: { instance: Llama; key: string };
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
        let llama: Llama;
        /** Why the accumulator build is not used, when a bounded cache was asked for. */
        let buildMissing: string | undefined;
        if (kv !== undefined && kv.mode !== "sink-window") {
            const h2o = await this.getH2oLlama(params.gpu);
            if (typeof h2o === "string") {
                buildMissing = h2o;
                this.options.onLog?.("warn", `${h2o}; the bounded KV cache falls back to sink-window (attention sinks + recent tokens)`);
                llama = await this.getLlama(params.gpu, file);
            } else {
                llama = h2o;
            }
        } else {
            llama = await this.getLlama(params.gpu, file);
        }
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
            let context: LlamaContext;
            let sequence: LlamaContextSequence;
            let bounded: Loaded["bounded"];
            let kvInfo: ModelInfo["kv"];
            if (kv) {
                const session = await openKvPolicySession(model, {
                    windowLength: kv.windowLength,
                    heavyHitters: kv.heavyHitters,
                    chunkSize: kv.chunkSize,
                    policy: kv.mode,
                    ...(kv.observationShare === undefined ? {} : { queryAware: { observationShare: kv.observationShare } }),
                    threads,
                    batchSize: params.batchSize ?? boundedKvBatchSize(model),
                });
                // the build-missing reason says what to do; the session's only that this binary has no accumulator
                const fallbackReason = session.policy.name === kv.mode ? undefined : (buildMissing ?? session.fallbackReason ?? "no attention accumulator");
                if (fallbackReason !== undefined && buildMissing === undefined) {
                    this.options.onLog?.("warn", `H2O unavailable (${fallbackReason}); the bounded KV cache falls back to sink-window`);
                }
                ({ context, sequence } = session);
                bounded = { session, ...(fallbackReason === undefined ? {} : { fallbackReason }) };
                kvInfo = {
                    policy: session.policy.name,
                    windowLength: kv.windowLength,
                    heavyHitters: kv.heavyHitters,
                    chunkSize: session.runner.chunkSize,
                    ...(fallbackReason === undefined ? {} : { fallbackReason }),
                };
            } else {
                context = await model.createContext({
                    // A GGUF without a usable context_length reports 0.
                    contextSize: params.contextSize ?? Math.min(model.trainContextSize || DEFAULT_MAX_CONTEXT, DEFAULT_MAX_CONTEXT),
                    threads,
                    batchSize: params.batchSize,
                    // A number that does not fit should fail loudly, not silently shrink.
                    failedCreationRemedy: false,
                });
                sequence = context.getSequence();
            }
            const name = model.fileInfo.metadata.general?.name;
            // Only a template the GGUF itself declares: node-llama-cpp would otherwise guess a generic one.
            const { resolveChatWrapper } = await import("node-llama-cpp");
            const chatWrapper = model.fileInfo.metadata.tokenizer?.chat_template ? resolveChatWrapper(model) : undefined;
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

    /**
     * The accumulator build (npm run build:h2o) for this gpu choice, or why there is none. "auto" tries the CUDA and
     * Vulkan builds, then the CPU build (the one build:h2o makes by default).
     */
    private async getH2oLlama(gpu: InferenceGpu): Promise<Llama | string> {
        const key = `h2o:${gpu}`;
        if (this.llama?.key === key) {
            return this.llama.instance;
        }
        if (gpu === "metal") {
            return "the H2O attention accumulator has no Metal build; use gpu false for H2O on this machine";
        }
        const candidates: H2oGpu[] = gpu === "auto" ? (process.platform === "darwin" ? [false] : ["cuda", "vulkan", false]) : [gpu];
        const { LlamaLogLevel } = await import("node-llama-cpp");
        let reason = "";
        for (const candidate of candidates) {
            try {
                const { llama } = await loadH2oLlama({
                    gpu: candidate,
                    logLevel: LlamaLogLevel.warn,
                    logger: (level, message) => this.log(level, message),
                    maxThreads: 0,
                });
                await this.llama?.instance.dispose();
                this.llama = { instance: llama, key };
                return llama;
            } catch (error) {
                if (!(error instanceof H2oBuildMissingError) && gpu !== "auto") {
                    return `H2O attention accumulator unavailable: ${firstLine(error)}`;
                }
                // For "auto" the last reason is the CPU build's: the one `npm run build:h2o` makes.
                reason = error instanceof H2oBuildMissingError ? error.message : `H2O attention accumulator unavailable: ${firstLine(error)}`;
            }
        }
        return reason;
    }

    private log(level: string, message: string): void {
        if (level === "error") {
            this.loadErrors?.push(message);
        }
        this.options.onLog?.(level, message.trimEnd());
    }

    private async getLlama(gpu: InferenceGpu, file: string): Promise<Llama> {
        const key = String(gpu);
        if (this.llama?.key === key) {
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
                logger: (level, message) => this.log(level, message),
            });
            if (gpu !== "auto" && instance.gpu !== gpu) {
                // node-llama-cpp quietly runs on the CPU when asked for a backend this platform lacks (metal on Linux).
                await instance.dispose();
                throw new ModelLoadError(file, gpuUnavailable(gpu, `node-llama-cpp offered ${instance.gpu || "the CPU"} instead`));
            }
            this.llama = { instance, key };
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

/**
 * An ordinary context: the prompt in batches, then node-llama-cpp's evaluate (which shifts the context when generation
 * runs past its end; those tokens count as evicted).
 */
function fullCacheRun({ context, sequence }: Loaded, input: readonly Token[], params: GenerateParams): CacheRun {
    const batch = context.batchSize;
    let at = 0;
    let peak = 0;
    let evicted = 0;
    /** Cells held after the last step, and how many the next step adds. */
    let held = 0;
    let adding = 0;
    return {
        async evaluatePrompt(signal, onProgress) {
            await sequence.clearHistory();
            while (input.length - at > batch && !signal.aborted) {
                await sequence.evaluateWithoutGeneratingNewTokens(input.slice(at, at + batch));
                at += batch;
                onProgress?.(at, input.length);
                held = sequence.nextTokenIndex;
                peak = Math.max(peak, held);
            }
            adding = input.length - at;
        },
        tokens() {
            return sequence.evaluate(input.slice(at), { temperature: params.temperature, seed: params.seed });
        },
        afterToken() {
            const now = sequence.nextTokenIndex;
            evicted += Math.max(0, held + adding - now);
            held = now;
            adding = 1;
            peak = Math.max(peak, now);
        },
        report: () => ({ policy: "full", kvBudget: context.contextSize, kvPeakCells: peak, evictedTokens: evicted, contextMemoryBytes: contextMemoryBytes(context) }),
    };
}

/** A bounded cache: the prompt in chunks with evictions after each, generation keeping the budget (KvPolicyRunner). */
function boundedCacheRun(bounded: NonNullable<Loaded["bounded"]>, input: readonly Token[], params: GenerateParams, question: readonly Token[] | undefined): CacheRun {
    const { session, fallbackReason } = bounded;
    let runner = session.runner;
    return {
        async evaluatePrompt(signal, onProgress) {
            runner = await session.restart({ question: question !== undefined });
            try {
                await runner.evaluate(input.slice(0, -1), { signal, ...(question === undefined ? {} : { observation: question }), ...(onProgress ? { onChunk: onProgress } : {}) });
            } catch (error) {
                if (!signal.aborted) {
                    throw error;
                }
            }
        },
        tokens() {
            return runner.generate(input.slice(-1), { maxTokens: params.maxTokens, temperature: params.temperature, seed: params.seed, ...(question === undefined ? {} : { observation: question }) });
        },
        afterToken() {},
        report() {
            const stats = runner.stats;
            return {
                policy: stats.policy,
                kvBudget: stats.kvBudget,
                kvPeakCells: stats.kvPeakCells,
                evictedTokens: stats.evictedTokens,
                contextMemoryBytes: contextMemoryBytes(session.context),
                ...(fallbackReason === undefined ? {} : { fallbackReason }),
                ...(stats.policy === "query-aware" ? { observationTokens: stats.observationTokens } : {}),
            };
        },
    };
}

/** node-llama-cpp's estimate of the context's footprint (KV cache + compute buffers), else llama.cpp's state size. */
function contextMemoryBytes(context: LlamaContext): number {
    const { ram, vram } = context.memoryUsage;
    return ram + vram > 0 ? ram + vram : context.stateSize;
}

/**
 * The default batch of a bounded KV cache. Without flash attention (the accumulator reads the softmax) the compute
 * buffer holds a cells × batch × heads matrix of f32 attention scores, next to a KV cache of cells × layers × 2 ×
 * kvHeads × headDim f16 values: on a small model the scores outweigh the cache (4 layers, d=256, batch 512: twice
 * the KV cache), which defeats the point of bounding it. So the batch keeps them within a quarter of the KV cache:
 * layers × kvHeads × headDim / (4 × heads), rounded down to a power of two, 32 to 512 (a 7B llama gets 512; prompt
 * speed on a CPU hardly changes down to 64).
 */
function boundedKvBatchSize(model: LlamaModel): number {
    const metadata = model.fileInfo.metadata as unknown as Record<string, unknown> & { general?: { architecture?: unknown } };
    const architecture = metadata.general?.architecture;
    const params = typeof architecture === "string" ? (metadata[architecture] as { block_count?: unknown; embedding_length?: unknown; attention?: { head_count?: unknown; head_count_kv?: unknown } } | undefined) : undefined;
    const layers = Number(params?.block_count);
    const embd = Number(params?.embedding_length);
    const heads = Number(params?.attention?.head_count);
    const kvHeads = params?.attention?.head_count_kv === undefined ? heads : Number(params.attention.head_count_kv);
    const fit = (layers * kvHeads * (embd / heads)) / (4 * heads);
    if (!(fit > 0) || !Number.isFinite(fit)) {
        return 128;
    }
    return Math.min(512, Math.max(32, 2 ** Math.floor(Math.log2(fit))));
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
