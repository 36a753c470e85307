import type {
    GenerateResult,
    InferenceGpu,
    InferenceMetrics,
    InferenceReply,
    KvCacheMode,
    KvCacheReport,
    KvPolicyName,
    LoadParams,
    ModelInfo,
} from "../../shared/inferenceMessages";
import { DisposedError } from "../core/DisposedError";
import { abortable } from "./abortable";
import type { GenerateRequest, InferencePriority } from "./GenerationJob";
import { GenerationQueue } from "./GenerationQueue";
import { defaultChildScriptPath, expectReply, InferenceConnection } from "./InferenceConnection";
import { InferenceError, InferenceProcessExitedError, ModelLoadError } from "./inferenceErrors";
import { resolveModelSource, type DownloadProgress } from "./resolveModelSource";

export type { DownloadProgress, GenerateRequest, GenerateResult, InferenceGpu, InferenceMetrics, InferencePriority, KvCacheMode, KvCacheReport, KvPolicyName, ModelInfo };

export interface InferenceProcessOptions {
    /** A local GGUF path, or a URI to download: hf:user/repo/file.gguf, https://…, http://… */
    model: string;
    /** Where URI models are downloaded to. Defaults to $XDG_CACHE_HOME/llamahome/models (~/.cache/llamahome/models). */
    modelsDir?: string;
    /** Base URL for hf: URIs. Defaults to $HF_ENDPOINT, else https://huggingface.co/. */
    huggingFaceEndpoint?: string;
    /** Compute backend. Defaults to "auto": the best GPU node-llama-cpp finds, else the CPU. */
    gpu?: InferenceGpu;
    /** Tokens the context holds. Defaults to min(the model's training context, 4096). */
    contextSize?: number;
    /** CPU threads. Defaults to min(4, cores - 1), at least 1 (more than the free cores slows ggml down many times). */
    threads?: number;
    /** Tokens per llama.cpp batch (and per cancellation check during prompt evaluation). Defaults to 512, or the context size if smaller. */
    batchSize?: number;
    /**
     * A bounded KV cache (H2O, or sink-window when the accumulator build is missing: modelInfo.kv and each result's kv
     * say which ran), so prompts longer than any context fit; contextSize is then ignored. Defaults to a full context.
     */
    kv?: KvCacheMode;
    /** llama.cpp and child-process log lines, and notes about restarts. Defaults to dropping them. */
    onLog?: (line: string) => void;
    /** Progress of a URI model's download. Defaults to none. */
    onDownloadProgress?: (progress: DownloadProgress) => void;
    /** The child entry script. Defaults to inferenceChild.js beside this bundle, or dist/inferenceChild.js when running from sources. */
    childScriptPath?: string;
}

const DEFAULT_MAX_TOKENS = 256;

interface Child {
    readonly connection: InferenceConnection;
    /** Set once the model is loaded in it. */
    info?: ModelInfo;
}

/**
 * The server's handle on local LLM inference: a child process running node-llama-cpp, restarted (and the model
 * reloaded) on the next request after it dies. Generations run one at a time through a priority queue, interactive
 * before background; token counts and metrics do not touch the model's sequence and are answered alongside.
 *
 * Errors: ModelLoadError (bad or missing model, failed download), InferenceProcessExitedError (the child died
 * mid-request), InferenceError (other failures, e.g. code "prompt-too-long"), CancelledError (load/countTokens/metrics
 * aborted by their signal), DisposedError (used after dispose). A cancelled generate resolves with stopReason
 * "cancelled" instead of throwing.
 *
 * This class owns the child's lifetime and the model load (after the download, if any); InferenceConnection carries
 * requests and replies over one child, GenerationQueue decides which generation runs next, and GenerationJob follows
 * one generation to its answer.
 */
export class InferenceProcess implements AsyncDisposable {
    private readonly options: InferenceProcessOptions;
    private readonly scriptPath: string;
    private child?: Child;
    private loading?: Promise<Child>;
    private readonly generations = new GenerationQueue(() => this.ensureLoaded().then((child) => child.connection));
    private disposing?: Promise<void>;
    /** Aborted by dispose(), to stop a download in progress. */
    private readonly lifetime = new AbortController();

    constructor(options: InferenceProcessOptions) {
        this.options = options;
        this.scriptPath = options.childScriptPath ?? defaultChildScriptPath();
    }

    /** The child's pid while one is running. */
    get pid(): number | undefined {
        return this.child?.connection.pid;
    }

    /** What is loaded now; undefined before the first load and after the child died. */
    get modelInfo(): ModelInfo | undefined {
        return this.child?.info;
    }

    /**
     * Starts the child and loads the model (downloading it first for a URI), unless that is done or under way. Other
     * requests load on demand, so calling this is only needed to load early or to report errors early. The signal
     * stops this caller's wait; the load carries on for the requests that need it.
     */
    async load(signal?: AbortSignal): Promise<ModelInfo> {
        const child = await abortable(this.ensureLoaded(), signal, "loading the model");
        return child.info!;
    }

    /** Tokens the text takes in a prompt, not counting the BOS token that generate adds. */
    async countTokens(text: string, signal?: AbortSignal): Promise<number> {
        const child = await abortable(this.ensureLoaded(), signal, "counting tokens");
        const reply = await abortable(child.connection.call({ type: "countTokens", text }, "counting tokens"), signal, "counting tokens");
        return expectReply(reply, "tokenCount").count;
    }

    /** Memory and speed figures of the child (loading the model if needed). */
    async metrics(signal?: AbortSignal): Promise<InferenceMetrics> {
        const child = await abortable(this.ensureLoaded(), signal, "reading metrics");
        const reply = await abortable(child.connection.call({ type: "metrics" }, "reading metrics"), signal, "reading metrics");
        return expectReply(reply, "metrics").metrics;
    }

    generate(request: GenerateRequest): Promise<GenerateResult> {
        if (this.disposing) {
            return Promise.reject(new DisposedError("InferenceProcess"));
        }
        const maxTokens = request.maxTokens ?? DEFAULT_MAX_TOKENS;
        const temperature = request.temperature ?? 0;
        if (!Number.isInteger(maxTokens) || maxTokens < 1) {
            return Promise.reject(new InferenceError("invalid-request", `maxTokens must be a positive integer, got ${maxTokens}`));
        }
        if (!(temperature >= 0)) {
            return Promise.reject(new InferenceError("invalid-request", `temperature must be 0 or more, got ${temperature}`));
        }
        return this.generations.add(
            { prompt: request.prompt, maxTokens, temperature, stop: request.stop ?? [], seed: request.seed, instruction: request.instruction === true, ...(request.question === undefined ? {} : { question: request.question }) },
            request,
        );
    }

    /** Kills the child; queued and running requests reject with DisposedError. Safe to call twice. */
    dispose(): Promise<void> {
        if (this.disposing) {
            return this.disposing;
        }
        this.lifetime.abort();
        const disposed = new DisposedError("InferenceProcess");
        this.generations.dispose(disposed);
        const child = this.child;
        this.child = undefined;
        this.loading = undefined;
        this.disposing = child ? child.connection.close(disposed) : Promise.resolve();
        return this.disposing;
    }

    async [Symbol.asyncDispose](): Promise<void> {
        await this.dispose();
    }

    private ensureLoaded(): Promise<Child> {
        if (this.disposing) {
            return Promise.reject(new DisposedError("InferenceProcess"));
        }
        if (!this.loading) {
            const loading = this.startAndLoad();
            this.loading = loading;
            // A failed load is retried by the next request (the file may have been fixed or the download resumed).
            loading.catch(() => {
                if (this.loading === loading) {
                    this.loading = undefined;
                }
            });
        }
        return this.loading;
    }

    private async startAndLoad(): Promise<Child> {
        const modelPath = await resolveModelSource(this.options.model, {
            modelsDir: this.options.modelsDir,
            huggingFaceEndpoint: this.options.huggingFaceEndpoint,
            onProgress: this.options.onDownloadProgress,
            signal: this.lifetime.signal,
        });
        if (this.disposing) {
            throw new DisposedError("InferenceProcess");
        }
        // A child that refused a bad file is still fine: reuse it.
        const child = this.child ?? this.spawn();
        const params: LoadParams = {
            modelPath,
            gpu: this.options.gpu ?? "auto",
            contextSize: this.options.contextSize,
            threads: this.options.threads,
            batchSize: this.options.batchSize,
            ...(this.options.kv === undefined ? {} : { kv: this.options.kv }),
        };
        let reply: InferenceReply;
        try {
            reply = await child.connection.call({ type: "load", params }, "loading the model");
        } catch (error) {
            if (error instanceof InferenceProcessExitedError) {
                throw new ModelLoadError(modelPath, `the inference process crashed while loading it (${error.exit})`);
            }
            throw error;
        }
        child.info = expectReply(reply, "loaded").model;
        return child;
    }

    private spawn(): Child {
        const connection = new InferenceConnection({
            scriptPath: this.scriptPath,
            onLog: (line) => this.options.onLog?.(line),
            // Forgotten, the next request starts a new child; dispose() has already forgotten it.
            onExit: () => {
                if (this.child === child) {
                    this.child = undefined;
                    this.loading = undefined;
                }
            },
        });
        const child: Child = { connection };
        this.child = child;
        return child;
    }
}
