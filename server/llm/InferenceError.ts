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
