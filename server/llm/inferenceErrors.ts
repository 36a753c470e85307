// How a request to the inference process fails. InferenceError carries a code callers can act on; its subclasses
// say that the model could not be loaded, or that the child died mid-request (the next request restarts it).
// CancelledError is apart: an expected outcome of an AbortSignal, not a failure.
import type { InferenceErrorCode } from "../../shared/inferenceMessages";

/**
 * A request to the inference process failed. `code` says why, for callers that react differently (e.g. shorten a
 * prompt on "prompt-too-long"); the message is one line saying what to do.
 */
export class InferenceError extends Error {
    override readonly name: string = "InferenceError";

    constructor(
        readonly code: InferenceErrorCode | "process-exited",
        message: string,
    ) {
        super(message);
    }
}

/**
 * The inference child process died (crash, llama.cpp abort, OOM kill, kill -9) while serving a request. The next
 * request starts a new process and reloads the model, so retrying is the action.
 */
export class InferenceProcessExitedError extends InferenceError {
    override readonly name: string = "InferenceProcessExitedError";
    /** How it ended, e.g. "signal SIGABRT: GGML_ASSERT(…) failed" or "exit code 1". */
    readonly exit: string;

    constructor(
        readonly exitCode: number | null,
        readonly signal: NodeJS.Signals | null,
        /** What the request was doing, e.g. "generating". */
        readonly activity: string,
        /** The child's last line on stderr (llama.cpp prints GGML_ASSERT messages there before aborting). */
        readonly lastStderrLine?: string,
    ) {
        const exit = `${signal !== null ? `signal ${signal}` : `exit code ${exitCode}`}${lastStderrLine ? `: ${lastStderrLine}` : ""}`;
        super("process-exited", `inference process exited unexpectedly (${exit}) while ${activity}; it will be restarted on the next request`);
        this.exit = exit;
    }
}

/** A model could not be loaded (or downloaded): the message names the file (or URI) and the cause, on one line. */
export class ModelLoadError extends InferenceError {
    override readonly name: string = "ModelLoadError";

    constructor(
        /** The model path or URI that was asked for. */
        readonly file: string,
        /** Why, e.g. "missing file", "truncated GGUF: …", "not a GGUF file (bad magic)", "missing key llama.feed_forward_length". */
        readonly reason: string,
    ) {
        super("model-load", `cannot load model ${file}: ${reason}`);
    }
}

/**
 * An AbortSignal stopped a load, download or token count before it finished. It is an expected outcome: callers that
 * cancelled can ignore it. (A cancelled generate does not throw: it resolves with stopReason "cancelled".)
 */
export class CancelledError extends Error {
    override readonly name: string = "CancelledError";

    constructor(what: string) {
        super(`${what} was cancelled`);
    }
}
