import * as vscode from "vscode";
import { errorMessage } from "../shared/errorMessage";

const maxRecentLines = 500;

/**
 * The LlamaHome output channel. The client writes timestamped lines to it, the server's stdout and stderr go to it
 * as they come, and the language client logs its own traffic there too (it is handed `channel`).
 */
export class OutputLog implements vscode.Disposable {
    readonly channel = vscode.window.createOutputChannel("LlamaHome");
    private readonly recent: string[] = [];

    /** The client's last timestamped lines (an output channel cannot be read back), for the extension's api. */
    get lines(): readonly string[] {
        return this.recent;
    }

    line(message: string): void {
        const line = `[${new Date().toISOString()}] ${message}`;
        this.recent.push(line);
        if (this.recent.length > maxRecentLines) this.recent.shift();
        this.channel.appendLine(line);
    }

    /** The server's output, unchanged: it brings its own line breaks. */
    appendServerOutput(text: string): void {
        this.channel.append(text);
    }

    show(): void {
        this.channel.show();
    }

    /** Logs a failure and tells the user once, with a way to the logs. */
    reportError(message: string, error?: unknown): void {
        const detail = error === undefined ? "" : errorMessage(error);
        const text = detail ? `${message} ${detail}` : message;
        this.line(text);
        void this.offerLogs(vscode.window.showErrorMessage(text, "Show Logs"));
    }

    /** Opens the logs when the user picks a notification's "Show Logs". */
    async offerLogs(choice: Thenable<string | undefined>): Promise<void> {
        if ((await choice) === "Show Logs") this.show();
    }

    dispose(): void {
        this.channel.dispose();
    }
}
