import { existsSync } from "node:fs";
import * as path from "node:path";
import type {
    GenerateParams,
    GenerateResult,
    InferenceGpu,
    InferenceMetrics,
    InferenceReply,
    InferenceRequest,
    KvCacheMode,
    KvCacheReport,
    KvPolicyName,
    LoadParams,
    ModelInfo,
} from "../../shared/inferenceMessages";
import { DisposedError } from "../core/DisposedError";
import { CancelledError } from "./CancelledError";
import { InferenceChildHandle } from "./InferenceChildHandle";
import { InferenceError } from "./InferenceError";
import { InferenceProcessExitedError } from "./InferenceProcessExitedError";
import { ModelLoadError } from "./ModelLoadError";
import { resolveModelSource, type DownloadProgress } from "./resolveModelSource";

export type { DownloadProgress, GenerateResult, InferenceGpu, InferenceMetrics, KvCacheMode, KvCacheReport, KvPolicyName, ModelInfo };

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

export type InferencePriority = "interactive" | "background";

export interface GenerateRequest {
    /** Raw completion of this text (BOS added when the model wants one; no chat template). */
    prompt: string;
    /** Defaults to 256. */
    maxTokens?: number;
    /** Defaults to 0: greedy, the same text every time. */
    temperature?: number;
    /** Generation ends before the first of these; the stop string is not part of the text. Defaults to none. */
    stop?: string[];
    /** Sampling seed for temperature > 0. Defaults to a new one per request. */
    seed?: number;
    /** Send the prompt as a user turn in the model's chat template, when it has one (GenerateParams.instruction). Defaults to false. */
    instruction?: boolean;
    /** The question the prompt asks, for a query-aware KV cache (GenerateParams.question). */
    question?: string;
    /** Prompt tokens evaluated so far of `total`, while the prompt is read (per batch, or per bounded-cache chunk). */
    onPromptProgress?: (evaluated: number, total: number) => void;
    /** Streamed text; the chunks concatenate to the result's text. */
    onText?: (text: string) => void;
    /** Cancels: the promise then resolves (never rejects) with stopReason "cancelled" and the text so far. */
    signal?: AbortSignal;
    /** Interactive requests go before queued background ones. Defaults to "interactive". */
    priority?: InferencePriority;
}

const DEFAULT_MAX_TOKENS = 256;
/**
 * How long a cancelled generation waits for the child's own final report before answering from what the parent has.
 * The child stops between tokens (~ms), but a prompt batch of a large model on a CPU can take seconds.
 */
const CANCEL_GRACE_MS = 100;

interface PendingReply {
    /** What the request does, for the error if the child dies: "generating", "loading the model", … */
    readonly activity: string;
    readonly resolve: (reply: InferenceReply) => void;
    readonly reject: (error: Error) => void;
    /** Intermediate replies (started, text) of a generate. */
    readonly onProgress?: (reply: InferenceReply) => void;
}

interface Child {
    readonly handle: InferenceChildHandle;
    readonly pending: Map<number, PendingReply>;
    /** Set once the model is loaded in it. */
    info?: ModelInfo;
}

interface GenerateJob {
    readonly params: GenerateParams;
    readonly request: GenerateRequest;
    readonly priority: InferencePriority;
    readonly resolve: (result: GenerateResult) => void;
    readonly reject: (error: unknown) => void;
    settled: boolean;
    /** Set once the generate request was sent to a child. */
    sent?: { child: Child; id: number; at: number };
    /** What the parent saw, for a cancelled job the child did not finish reporting in time. */
    promptTokens: number;
    generatedTokens: number;
    text: string;
    firstTextAt?: number;
    graceTimer?: NodeJS.Timeout;
    removeAbortListener?: () => void;
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
 */
export class InferenceProcess implements AsyncDisposable {
    private readonly options: InferenceProcessOptions;
    private readonly scriptPath: string;
    private child?: Child;
    private loading?: Promise<Child>;
    private nextId = 1;
    private readonly queues: Record<InferencePriority, GenerateJob[]> = { interactive: [], background: [] };
    private active?: GenerateJob;
    private disposing?: Promise<void>;
    /** Aborted by dispose(), to stop a download in progress. */
    private readonly lifetime = new AbortController();

    constructor(options: InferenceProcessOptions) {
        this.options = options;
        this.scriptPath = options.childScriptPath ?? defaultChildScriptPath();
    }

    /** The child's pid while one is running. */
    get pid(): number | undefined {
        return this.child?.handle.pid;
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
        const reply = await abortable(this.call(child, { type: "countTokens", text }, "counting tokens"), signal, "counting tokens");
        return expectReply(reply, "tokenCount").count;
    }

    /** Memory and speed figures of the child (loading the model if needed). */
    async metrics(signal?: AbortSignal): Promise<InferenceMetrics> {
        const child = await abortable(this.ensureLoaded(), signal, "reading metrics");
        const reply = await abortable(this.call(child, { type: "metrics" }, "reading metrics"), signal, "reading metrics");
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
        return new Promise((resolve, reject) => {
            const job: GenerateJob = {
                params: { prompt: request.prompt, maxTokens, temperature, stop: request.stop ?? [], seed: request.seed, instruction: request.instruction === true, ...(request.question === undefined ? {} : { question: request.question }) },
                request,
                priority: request.priority ?? "interactive",
                resolve,
                reject,
                settled: false,
                promptTokens: 0,
                generatedTokens: 0,
                text: "",
            };
            const { signal } = request;
            if (signal?.aborted) {
                this.finish(job, this.partialResult(job));
                return;
            }
            if (signal) {
                const onAbort = (): void => this.cancel(job);
                signal.addEventListener("abort", onAbort, { once: true });
                job.removeAbortListener = () => signal.removeEventListener("abort", onAbort);
            }
            this.queues[job.priority].push(job);
            this.pump();
        });
    }

    /** Kills the child; queued and running requests reject with DisposedError. Safe to call twice. */
    dispose(): Promise<void> {
        if (this.disposing) {
            return this.disposing;
        }
        this.lifetime.abort();
        const disposed = new DisposedError("InferenceProcess");
        for (const job of [...this.queues.interactive.splice(0), ...this.queues.background.splice(0)]) {
            this.fail(job, disposed);
        }
        if (this.active) {
            this.fail(this.active, disposed);
        }
        const child = this.child;
        this.child = undefined;
        this.loading = undefined;
        this.disposing = child ? child.handle.kill() : Promise.resolve();
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
            reply = await this.call(child, { type: "load", params }, "loading the model");
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
        const handle: InferenceChildHandle = new InferenceChildHandle({
            scriptPath: this.scriptPath,
            onMessage: (reply) => this.onReply(child, reply),
            onExit: (exitCode, signal) => this.onExit(child, exitCode, signal),
            onOutput: (line) => this.options.onLog?.(line),
        });
        const child: Child = { handle, pending: new Map() };
        this.child = child;
        return child;
    }

    /** Sends a request and resolves with its final reply. */
    private call(child: Child, request: DistributiveOmit<InferenceRequest, "id">, activity: string): Promise<InferenceReply> {
        return this.callWithId(child, this.nextId++, request, activity);
    }

    private callWithId(
        child: Child,
        id: number,
        request: DistributiveOmit<InferenceRequest, "id">,
        activity: string,
        onProgress?: (reply: InferenceReply) => void,
    ): Promise<InferenceReply> {
        if (!child.handle.connected) {
            return Promise.reject(new InferenceError("process-exited", `the inference process is not running; it will be restarted on the next request`));
        }
        return new Promise((resolve, reject) => {
            child.pending.set(id, { activity, resolve, reject, onProgress });
            child.handle.setBusy(true);
            child.handle.send({ ...request, id } as InferenceRequest);
        });
    }

    private onReply(child: Child, reply: InferenceReply): void {
        if (reply.type === "log") {
            this.options.onLog?.(`[llama.cpp ${reply.level}] ${reply.message}`);
            return;
        }
        const pending = child.pending.get(reply.id);
        if (!pending) {
            return;
        }
        if (reply.type === "started" || reply.type === "text" || reply.type === "promptProgress") {
            pending.onProgress?.(reply);
            return;
        }
        child.pending.delete(reply.id);
        child.handle.setBusy(child.pending.size > 0);
        if (reply.type === "error") {
            pending.reject(
                reply.code === "model-load" && reply.file !== undefined && reply.reason !== undefined
                    ? new ModelLoadError(reply.file, reply.reason)
                    : new InferenceError(reply.code, reply.message),
            );
        } else {
            pending.resolve(reply);
        }
    }

    private onExit(child: Child, exitCode: number | null, signal: NodeJS.Signals | null): void {
        if (this.child === child) {
            this.child = undefined;
            this.loading = undefined;
        }
        const pending = [...child.pending.values()];
        child.pending.clear();
        if (this.disposing) {
            const disposed = new DisposedError("InferenceProcess");
            pending.forEach((request) => request.reject(disposed));
            return;
        }
        // A kill from outside leaves nothing on stderr; an older line there would only mislead.
        const stderrLine = signal === "SIGKILL" || signal === "SIGTERM" ? undefined : child.handle.lastStderrLine;
        for (const request of pending) {
            request.reject(new InferenceProcessExitedError(exitCode, signal, request.activity, stderrLine));
        }
        if (pending.length === 0) {
            this.options.onLog?.(new InferenceProcessExitedError(exitCode, signal, "idle", stderrLine).message);
        }
    }

    private pump(): void {
        if (this.active || this.disposing) {
            return;
        }
        const job = this.queues.interactive.shift() ?? this.queues.background.shift();
        if (!job) {
            return;
        }
        this.active = job;
        void this.run(job).finally(() => {
            this.active = undefined;
            this.pump();
        });
    }

    /** Runs one generation; resolves when the child is free again (which can be after the caller got its answer). */
    private async run(job: GenerateJob): Promise<void> {
        let child: Child;
        try {
            child = await this.ensureLoaded();
        } catch (error) {
            this.fail(job, error);
            return;
        }
        if (job.settled) {
            return;
        }
        const id = this.nextId++;
        job.sent = { child, id, at: performance.now() };
        try {
            const reply = await this.callWithId(child, id, { type: "generate", params: job.params }, "generating", (progress) => this.onProgress(job, progress));
            this.finish(job, expectReply(reply, "done").result);
        } catch (error) {
            this.fail(job, error);
        }
    }

    private onProgress(job: GenerateJob, reply: InferenceReply): void {
        if (reply.type === "started") {
            job.promptTokens = reply.promptTokens;
        } else if (reply.type === "promptProgress" && !job.settled) {
            try {
                job.request.onPromptProgress?.(reply.evaluated, reply.total);
            } catch (error) {
                this.fail(job, error);
                this.stopInChild(job);
            }
        } else if (reply.type === "text" && !job.settled) {
            job.text += reply.text;
            job.generatedTokens = reply.generatedTokens;
            job.firstTextAt ??= performance.now();
            try {
                job.request.onText?.(reply.text);
            } catch (error) {
                // A throwing callback ends its own generation, not the parent process.
                this.fail(job, error);
                this.stopInChild(job);
            }
        }
    }

    private cancel(job: GenerateJob): void {
        if (job.settled) {
            return;
        }
        const queue = this.queues[job.priority];
        const queued = queue.indexOf(job);
        if (queued >= 0) {
            queue.splice(queued, 1);
        }
        if (!job.sent) {
            this.finish(job, this.partialResult(job));
            return;
        }
        this.stopInChild(job);
        job.graceTimer ??= setTimeout(() => this.finish(job, this.partialResult(job)), CANCEL_GRACE_MS);
    }

    private stopInChild(job: GenerateJob): void {
        if (job.sent) {
            job.sent.child.handle.send({ type: "cancel", id: job.sent.id });
        }
    }

    /** The result of a cancelled job from what the parent saw: timings measured here, rates unknown (0). */
    private partialResult(job: GenerateJob): GenerateResult {
        const now = performance.now();
        const sentAt = job.sent?.at ?? now;
        return {
            text: job.text,
            stopReason: "cancelled",
            promptTokens: job.promptTokens,
            generatedTokens: job.generatedTokens,
            promptTokensPerSecond: 0,
            generationTokensPerSecond: 0,
            timeToFirstTokenMs: job.firstTextAt === undefined ? 0 : job.firstTextAt - sentAt,
            ms: now - sentAt,
        };
    }

    private finish(job: GenerateJob, result: GenerateResult): void {
        if (this.settle(job)) {
            job.resolve(result);
        }
    }

    private fail(job: GenerateJob, error: unknown): void {
        if (this.settle(job)) {
            job.reject(error);
        }
    }

    /** Marks the job answered; false if it already was (cancel, child reply and exit can race). */
    private settle(job: GenerateJob): boolean {
        if (job.settled) {
            return false;
        }
        job.settled = true;
        clearTimeout(job.graceTimer);
        job.removeAbortListener?.();
        return true;
    }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

function expectReply<T extends InferenceReply["type"]>(reply: InferenceReply, type: T): Extract<InferenceReply, { type: T }> {
    if (reply.type !== type) {
        throw new InferenceError("failed", `the inference process answered "${reply.type}" where "${type}" was expected (a protocol bug)`);
    }
    return reply as Extract<InferenceReply, { type: T }>;
}

/** Follows `promise`, but rejects with a CancelledError as soon as `signal` aborts. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined, what: string): Promise<T> {
    if (!signal) {
        return promise;
    }
    if (signal.aborted) {
        return Promise.reject(new CancelledError(what));
    }
    return new Promise((resolve, reject) => {
        const onAbort = (): void => reject(new CancelledError(what));
        signal.addEventListener("abort", onAbort, { once: true });
        promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
    });
}

function defaultChildScriptPath(): string {
    const bundled = path.join(__dirname, "inferenceChild.js");
    // Under tsx this file runs from server/llm/, and the child must still be the bundle `node esbuild.mjs` built.
    return existsSync(bundled) ? bundled : path.join(__dirname, "..", "..", "dist", "inferenceChild.js");
}
