import { CloseAction, ErrorAction, type CloseHandlerResult, type ErrorHandler, type ErrorHandlerResult } from "vscode-languageclient/node";

export interface ServerCrashHandlerOptions {
    /** Restarts allowed within `windowMs` before giving up. Defaults to 4. */
    maxRestarts?: number;
    /** Defaults to 3 minutes. */
    windowMs?: number;
    /** Called after the first restart of the session (and after a manual restart re-arms it): tell the user, once. */
    onFirstRestart: () => void;
    /** Called when the server stopped too often and will not be restarted. */
    onGiveUp: (crashes: number, windowMs: number) => void;
    /** Every unexpected stop, for the log. */
    onCrash: (restarting: boolean) => void;
}

/**
 * What happens when the server stops unexpectedly (like vscode-eslint's): restart it, tell the user once, and stop
 * restarting when it keeps crashing, so a server that dies on start cannot loop forever.
 */
export class ServerCrashHandler implements ErrorHandler {
    private crashTimes: number[] = [];
    private noticeGiven = false;
    /** Restarts after unexpected stops, this session. */
    restarts = 0;
    private readonly maxRestarts: number;
    private readonly windowMs: number;

    constructor(private readonly options: ServerCrashHandlerOptions) {
        this.maxRestarts = options.maxRestarts ?? 4;
        this.windowMs = options.windowMs ?? 3 * 60_000;
    }

    error(_error: Error, _message: unknown, count: number | undefined): ErrorHandlerResult {
        // A few broken messages are survivable; a stream of them means the connection is gone.
        return count !== undefined && count <= 3 ? { action: ErrorAction.Continue, handled: true } : { action: ErrorAction.Shutdown, handled: true };
    }

    closed(): CloseHandlerResult {
        const now = Date.now();
        this.crashTimes = [...this.crashTimes.filter((time) => now - time < this.windowMs), now];
        if (this.crashTimes.length > this.maxRestarts) {
            this.options.onCrash(false);
            this.options.onGiveUp(this.crashTimes.length, this.windowMs);
            return { action: CloseAction.DoNotRestart, handled: true };
        }
        this.restarts++;
        this.options.onCrash(true);
        if (!this.noticeGiven) {
            this.noticeGiven = true;
            this.options.onFirstRestart();
        }
        return { action: CloseAction.Restart, handled: true };
    }

    /** A restart the user asked for starts a fresh count (and the next crash is reported again). */
    reset(): void {
        this.crashTimes = [];
        this.noticeGiven = false;
    }
}
