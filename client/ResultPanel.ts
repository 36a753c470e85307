import * as vscode from "vscode";
import type { ExtensionToResultMessage, ResultToExtensionMessage, ResultView } from "../shared/webviewMessages";
import { isObject } from "../shared/isObject";
import { SingletonWebview } from "./SingletonWebview";

/**
 * The panel beside the editor that shows a summary, an answer, a request in progress (its text streamed in) or an
 * error. It keeps the view it shows, streamed text included, because the webview drops its content when hidden
 * (no retainContextWhenHidden) and asks for it again with "ready".
 */
export class ResultPanel implements vscode.Disposable {
    private readonly webview: SingletonWebview<ExtensionToResultMessage, ResultToExtensionMessage>;
    private view: ResultView | undefined;

    constructor(extensionUri: vscode.Uri) {
        this.webview = new SingletonWebview(extensionUri, {
            viewType: "llamahome.result",
            title: "LlamaHome",
            scripts: ["dom.js", "result.js"],
            styles: ["webview.css", "result.css"],
            body: '<main id="result" aria-live="polite"></main>',
            column: vscode.ViewColumn.Beside,
            isMessage: isResultMessage,
            onMessage: (message) => this.message(message),
        });
    }

    show(view: ResultView): void {
        this.view = view;
        this.webview.show(true);
        this.webview.title = view.kind === "answer" ? "LlamaHome: Answer" : view.kind === "summary" ? `Summary: ${view.title}` : `LlamaHome: ${view.title}`;
        this.webview.post({ type: "show", view });
    }

    appendText(text: string): void {
        if (this.view?.kind === "pending") this.view = { ...this.view, text: this.view.text + text };
        this.webview.post({ type: "stream", text });
    }

    /**
     * The answer being streamed starts over (a llama.cpp server failed mid-answer and another took the request): the
     * text shown so far is dropped, and the status bar says why for a few seconds.
     */
    restartText(reason: string): void {
        if (this.view?.kind !== "pending") return;
        this.view = { ...this.view, text: "" };
        this.webview.post({ type: "show", view: this.view });
        vscode.window.setStatusBarMessage(`$(debug-restart) LlamaHome: the answer starts over (${reason})`, 8_000);
    }

    dispose(): void {
        this.webview.dispose();
    }

    private message(message: ResultToExtensionMessage): void {
        if (message.type === "ready" && this.view) this.webview.post({ type: "show", view: this.view });
        else if (message.type === "openCitation") void vscode.commands.executeCommand("llamahome.openCitation", message.citation);
    }
}

function isResultMessage(value: unknown): value is ResultToExtensionMessage {
    if (!isObject(value)) return false;
    if (value.type === "ready") return true;
    const citation = value.citation;
    return value.type === "openCitation" && isObject(citation) && typeof citation.uri === "string" && typeof citation.path === "string";
}
