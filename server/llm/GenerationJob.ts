import type { GenerateParams, GenerateResult, InferenceReply } from "../../shared/inferenceMessages";
import { expectReply, type InferenceConnection } from "./InferenceConnection";

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

/**
 * How long a cancelled generation waits for the child's own final report before answering from what the parent has.
 * The child stops between tokens (~ms), but a prompt batch of a large model on a CPU can take seconds.
 */
const CANCEL_GRACE_MS = 100;

/**
 * One generate call, from its request to its single answer: cancel, the child's reply, the child's exit and a
 * throwing callback can all race, and whichever comes first settles it. It keeps what the parent saw (text, token
 * counts, times) so that a cancel the child is slow to confirm can still be answered.
 */
export class GenerationJob {
    readonly priority: InferencePriority;
    private isSettled = false;
    /** Set once the generate request was sent to a child. */
    private sent?: { readonly connection: InferenceConnection; readonly id: number; readonly at: number };
    private promptTokens = 0;
    private generatedTokens = 0;
    private text = "";
    private firstTextAt?: number;
    private graceTimer?: NodeJS.Timeout;
    private removeAbortListener?: () => void;

    constructor(
        private readonly params: GenerateParams,
        private readonly request: GenerateRequest,
        private readonly resolve: (result: GenerateResult) => void,
        private readonly reject: (error: unknown) => void,
    ) {
        this.priority = request.priority ?? "interactive";
    }

    get settled(): boolean {
        return this.isSettled;
    }

    /** Calls `onAbort` when the request's signal aborts, until the job is settled. */
    listenForAbort(onAbort: () => void): void {
        const { signal } = this.request;
        if (signal) {
            signal.addEventListener("abort", onAbort, { once: true });
            this.removeAbortListener = () => signal.removeEventListener("abort", onAbort);
        }
    }

    /** Generates in the child; resolves when the child is free again (which can be after the caller got its answer). */
    async run(connection: InferenceConnection): Promise<void> {
        const at = performance.now();
        const { id, reply } = connection.request({ type: "generate", params: this.params }, "generating", (progress) => this.onProgress(progress));
        this.sent = { connection, id, at };
        try {
            this.finish(expectReply(await reply, "done").result);
        } catch (error) {
            this.fail(error);
        }
    }

    /** Answers with the text so far: at once if the child has not started, else after its final report or the grace time. */
    cancel(): void {
        if (this.isSettled) {
            return;
        }
        if (!this.sent) {
            this.finish(this.partialResult());
            return;
        }
        this.stopInChild();
        this.graceTimer ??= setTimeout(() => this.finish(this.partialResult()), CANCEL_GRACE_MS);
    }

    fail(error: unknown): void {
        if (this.settle()) {
            this.reject(error);
        }
    }

    private finish(result: GenerateResult): void {
        if (this.settle()) {
            this.resolve(result);
        }
    }

    private onProgress(reply: InferenceReply): void {
        if (reply.type === "started") {
            this.promptTokens = reply.promptTokens;
        } else if (reply.type === "promptProgress" && !this.isSettled) {
            try {
                this.request.onPromptProgress?.(reply.evaluated, reply.total);
            } catch (error) {
                this.fail(error);
                this.stopInChild();
            }
        } else if (reply.type === "text" && !this.isSettled) {
            this.text += reply.text;
            this.generatedTokens = reply.generatedTokens;
            this.firstTextAt ??= performance.now();
            try {
                this.request.onText?.(reply.text);
            } catch (error) {
                // A throwing callback ends its own generation, not the parent process.
                this.fail(error);
                this.stopInChild();
            }
        }
    }

    private stopInChild(): void {
        if (this.sent) {
            this.sent.connection.cancel(this.sent.id);
        }
    }

    /** The result of a cancelled job from what the parent saw: timings measured here, rates unknown (0). */
    private partialResult(): GenerateResult {
        const now = performance.now();
        const sentAt = this.sent?.at ?? now;
        return {
            text: this.text,
            stopReason: "cancelled",
            promptTokens: this.promptTokens,
            generatedTokens: this.generatedTokens,
            promptTokensPerSecond: 0,
            generationTokensPerSecond: 0,
            timeToFirstTokenMs: this.firstTextAt === undefined ? 0 : this.firstTextAt - sentAt,
            ms: now - sentAt,
        };
    }

    /** Marks the job answered; false if it already was. */
    private settle(): boolean {
        if (this.isSettled) {
            return false;
        }
        this.isSettled = true;
        clearTimeout(this.graceTimer);
        this.removeAbortListener?.();
        return true;
    }
}
