import type { CancellationToken, Disposable } from "vscode-languageserver/node";

/** An AbortSignal that fires when the LSP request is cancelled; dispose the listener when the work ends. */
export function signalFor(token: CancellationToken | undefined): { signal: AbortSignal; dispose: () => void } {
    const controller = new AbortController();
    if (token?.isCancellationRequested) controller.abort();
    const listener: Disposable | undefined = token?.onCancellationRequested(() => controller.abort());
    return { signal: controller.signal, dispose: () => listener?.dispose() };
}
