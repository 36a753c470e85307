import { InferenceError } from "./InferenceError";

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
