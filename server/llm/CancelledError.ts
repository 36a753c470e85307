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
