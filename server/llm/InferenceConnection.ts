import { existsSync } from "node:fs";
import * as path from "node:path";
import type { InferenceReply, InferenceRequest } from "../../shared/inferenceMessages";
import { InferenceChildHandle } from "./InferenceChildHandle";
import { InferenceError, InferenceProcessExitedError, ModelLoadError } from "./inferenceErrors";

export interface InferenceConnectionOptions {
    /** The bundled child entry (dist/inferenceChild.js). */
    scriptPath: string;
    /** llama.cpp and child-process log lines, and the note that an idle child died. */
    onLog?: (line: string) => void;
    /** The child is gone; called before its pending requests are rejected. */
    onExit: () => void;
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** A request as the caller writes it: the connection numbers it. */
type UnnumberedRequest = DistributiveOmit<InferenceRequest, "id">;

interface PendingReply {
    /** What the request does, for the error if the child dies: "generating", "loading the model", … */
    readonly activity: string;
    readonly resolve: (reply: InferenceReply) => void;
    readonly reject: (error: Error) => void;
    /** Intermediate replies (started, text, promptProgress) of a generate. */
    readonly onProgress?: (reply: InferenceReply) => void;
}

/**
 * Request and reply over one inference child: numbers requests, routes each reply to its caller (log lines to onLog),
 * and rejects what is pending when the child exits. Nothing here knows about models or queues.
 */
export class InferenceConnection {
    private readonly handle: InferenceChildHandle;
    private readonly pending = new Map<number, PendingReply>();
    private nextId = 1;
    /** Set by close(): pending requests then reject with it instead of an InferenceProcessExitedError. */
    private closeReason?: Error;

    constructor(private readonly options: InferenceConnectionOptions) {
        this.handle = new InferenceChildHandle({
            scriptPath: options.scriptPath,
            onMessage: (reply) => this.onReply(reply),
            onExit: (exitCode, signal) => this.onExit(exitCode, signal),
            onOutput: (line) => options.onLog?.(line),
        });
    }

    get pid(): number | undefined {
        return this.handle.pid;
    }

    /** Sends a request and resolves with its final reply. */
    call(request: UnnumberedRequest, activity: string): Promise<InferenceReply> {
        return this.request(request, activity).reply;
    }

    /** Like call, but also gives the request's id, which cancel() needs; `onProgress` gets a generate's intermediate replies. */
    request(request: UnnumberedRequest, activity: string, onProgress?: (reply: InferenceReply) => void): { readonly id: number; readonly reply: Promise<InferenceReply> } {
        const id = this.nextId++;
        if (!this.handle.connected) {
            return { id, reply: Promise.reject(new InferenceError("process-exited", `the inference process is not running; it will be restarted on the next request`)) };
        }
        const reply = new Promise<InferenceReply>((resolve, reject) => {
            this.pending.set(id, { activity, resolve, reject, onProgress });
            this.handle.setBusy(true);
            this.handle.send({ ...request, id } as InferenceRequest);
        });
        return { id, reply };
    }

    /** Asks the child to stop a generation; its final reply still comes (or the child's exit rejects it). */
    cancel(id: number): void {
        this.handle.send({ type: "cancel", id });
    }

    /** Kills the child; what is pending rejects with `reason` once it is gone. */
    close(reason: Error): Promise<void> {
        this.closeReason = reason;
        return this.handle.kill();
    }

    private onReply(reply: InferenceReply): void {
        if (reply.type === "log") {
            this.options.onLog?.(`[llama.cpp ${reply.level}] ${reply.message}`);
            return;
        }
        const pending = this.pending.get(reply.id);
        if (!pending) {
            return;
        }
        if (reply.type === "started" || reply.type === "text" || reply.type === "promptProgress") {
            pending.onProgress?.(reply);
            return;
        }
        this.pending.delete(reply.id);
        this.handle.setBusy(this.pending.size > 0);
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

    private onExit(exitCode: number | null, signal: NodeJS.Signals | null): void {
        this.options.onExit();
        const pending = [...this.pending.values()];
        this.pending.clear();
        if (this.closeReason) {
            const reason = this.closeReason;
            pending.forEach((request) => request.reject(reason));
            return;
        }
        // A kill from outside leaves nothing on stderr; an older line there would only mislead.
        const stderrLine = signal === "SIGKILL" || signal === "SIGTERM" ? undefined : this.handle.lastStderrLine;
        for (const request of pending) {
            request.reject(new InferenceProcessExitedError(exitCode, signal, request.activity, stderrLine));
        }
        if (pending.length === 0) {
            this.options.onLog?.(new InferenceProcessExitedError(exitCode, signal, "idle", stderrLine).message);
        }
    }
}

/** Narrows a final reply to the type the request expects; anything else is a protocol bug. */
export function expectReply<T extends InferenceReply["type"]>(reply: InferenceReply, type: T): Extract<InferenceReply, { type: T }> {
    if (reply.type !== type) {
        throw new InferenceError("failed", `the inference process answered "${reply.type}" where "${type}" was expected (a protocol bug)`);
    }
    return reply as Extract<InferenceReply, { type: T }>;
}

/** The child's entry script: inferenceChild.js beside this bundle, or dist/inferenceChild.js when running from sources. */
export function defaultChildScriptPath(): string {
    const bundled = path.join(__dirname, "inferenceChild.js");
    // Under tsx this file runs from server/llm/, and the child must still be the bundle `node esbuild.mjs` built.
    return existsSync(bundled) ? bundled : path.join(__dirname, "..", "..", "dist", "inferenceChild.js");
}
