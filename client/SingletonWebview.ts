import * as vscode from "vscode";
import { webviewHtml, webviewOptions } from "./webviewHtml";

export interface SingletonWebviewOptions<FromWebview> {
    viewType: string;
    title: string;
    /** Files under media/. */
    scripts: string[];
    styles: string[];
    /** Static markup the scripts fill in. */
    body: string;
    /** Where a new panel opens. */
    column: vscode.ViewColumn;
    /** Checks a message from the webview; anything else is ignored (a webview is not trusted input). */
    isMessage: (value: unknown) => value is FromWebview;
    onMessage: (message: FromWebview) => void;
    /** The state the webview last saved (getState/setState), when VS Code restores the panel after a reload. */
    onRevive?: (state: unknown) => void;
}

/**
 * One webview panel of a kind: shown on demand, revealed if already open, restored by VS Code after a reload
 * (a serializer is registered for its viewType). Messages reach it only once its script said it is ready.
 */
export class SingletonWebview<ToWebview, FromWebview extends { type: string }> implements vscode.Disposable {
    private panel: vscode.WebviewPanel | undefined;
    private ready = false;
    private readonly disposables: vscode.Disposable[] = [];
    private readonly panelDisposables: vscode.Disposable[] = [];

    constructor(
        private readonly extensionUri: vscode.Uri,
        private readonly options: SingletonWebviewOptions<FromWebview>,
    ) {
        this.disposables.push(
            vscode.window.registerWebviewPanelSerializer(options.viewType, {
                deserializeWebviewPanel: async (panel, state) => {
                    options.onRevive?.(state);
                    this.attach(panel);
                },
            }),
        );
    }

    show(preserveFocus = false): void {
        if (this.panel) {
            this.panel.reveal(undefined, preserveFocus);
            return;
        }
        const panel = vscode.window.createWebviewPanel(
            this.options.viewType,
            this.options.title,
            { viewColumn: this.options.column, preserveFocus },
            { ...webviewOptions(this.extensionUri), retainContextWhenHidden: false },
        );
        this.attach(panel);
    }

    set title(title: string) {
        if (this.panel) this.panel.title = title;
    }

    /** Sends a message if the webview is ready for it; otherwise drops it (the owner resends state on "ready"). */
    post(message: ToWebview): void {
        if (this.panel && this.ready) void this.panel.webview.postMessage(message);
    }

    dispose(): void {
        this.panel?.dispose();
        for (const disposable of this.disposables.splice(0)) disposable.dispose();
    }

    private attach(panel: vscode.WebviewPanel): void {
        this.panel = panel;
        this.ready = false;
        panel.iconPath = vscode.Uri.joinPath(this.extensionUri, "media", "llamahome.svg");
        panel.webview.options = webviewOptions(this.extensionUri);
        panel.webview.html = webviewHtml(panel.webview, this.extensionUri, this.options);
        this.panelDisposables.push(
            panel.webview.onDidReceiveMessage((message: unknown) => {
                if (!this.options.isMessage(message)) return;
                if (message.type === "ready") this.ready = true;
                this.options.onMessage(message);
            }),
            panel.onDidDispose(() => {
                this.panel = undefined;
                this.ready = false;
                for (const disposable of this.panelDisposables.splice(0)) disposable.dispose();
            }),
        );
    }
}
