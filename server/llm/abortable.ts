import { CancelledError } from "./inferenceErrors";

/**
 * Follows `promise`, but rejects with a CancelledError as soon as `signal` aborts. The work itself carries on: a load
 * one caller gave up on is still wanted by the next request.
 */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined, what: string): Promise<T> {
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
