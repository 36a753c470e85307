import * as vscode from "vscode";
import { LanguageClient, TransportKind, type LanguageClientOptions, type ServerOptions } from "vscode-languageclient/node";
import { IndexStatusNotification, ReindexRequest, SearchRequest, type IndexStatus } from "../shared/protocol";

/**
 * Owns everything the extension creates: the language client, the output channel, the status bar item
 * and the command registrations. Disposing it releases all of them.
 */
export class Context implements vscode.Disposable {
    private client: LanguageClient | undefined;
    private readonly output = vscode.window.createOutputChannel("LlamaHome");
    private readonly statusBar = vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Left, 10);
    private readonly disposables: vscode.Disposable[] = [this.output, this.statusBar];

    constructor(private readonly extensionContext: vscode.ExtensionContext) {
        this.statusBar.name = "LlamaHome";
        this.statusBar.text = "$(loading~spin) LlamaHome";
        this.statusBar.show();
        const commands: Record<string, () => unknown> = {
            "llamahome.indexWorkspace": () => this.withClient((client) => client.sendRequest(ReindexRequest)),
            "llamahome.search": () => this.search(),
            "llamahome.restartServer": () => this.restart(),
            "llamahome.showLogs": () => this.output.show(),
        };
        for (const [id, run] of Object.entries(commands)) this.disposables.push(vscode.commands.registerCommand(id, run));
    }

    async start(): Promise<void> {
        const module = this.extensionContext.asAbsolutePath("dist/server.js");
        const serverOptions: ServerOptions = {
            run: { module, transport: TransportKind.ipc },
            debug: { module, transport: TransportKind.ipc, options: { execArgv: ["--nolazy", "--inspect=6019"] } },
        };
        const clientOptions: LanguageClientOptions = {
            documentSelector: [{ scheme: "file" }],
            outputChannel: this.output,
            synchronize: { configurationSection: "llamahome" },
        };
        this.client = new LanguageClient("llamahome", "LlamaHome", serverOptions, clientOptions);
        this.disposables.push(this.client.onNotification(IndexStatusNotification, (status) => this.showStatus(status)));
        await this.client.start();
    }

    async dispose(): Promise<void> {
        await this.client?.stop().catch(() => undefined);
        this.client = undefined;
        for (const disposable of this.disposables.splice(0)) disposable.dispose();
    }

    private async restart(): Promise<void> {
        await this.client?.restart();
    }

    private async search(): Promise<void> {
        const query = await vscode.window.showInputBox({ prompt: "Search the workspace's documents" });
        if (!query) return;
        const result = await this.withClient((client) => client.sendRequest(SearchRequest, { query, top: 20 }));
        if (!result) return;
        const picked = await vscode.window.showQuickPick(
            result.results.map((hit) => ({ label: hit.path + (hit.page ? ` p.${hit.page}` : hit.line ? `:${hit.line}` : ""), detail: hit.snippet, hit })),
            { matchOnDetail: true, placeHolder: `${result.results.length} results for "${query}"` },
        );
        if (!picked) return;
        const document = await vscode.workspace.openTextDocument(vscode.Uri.parse(picked.hit.uri)).then(undefined, () => undefined);
        if (!document) {
            await vscode.commands.executeCommand("vscode.open", vscode.Uri.parse(picked.hit.uri));
            return;
        }
        const line = Math.max(0, (picked.hit.line ?? 1) - 1);
        await vscode.window.showTextDocument(document, { selection: new vscode.Range(line, 0, line, 0) });
    }

    private async withClient<T>(action: (client: LanguageClient) => Promise<T>): Promise<T | undefined> {
        if (!this.client?.isRunning()) {
            const choice = await vscode.window.showErrorMessage("The LlamaHome server is not running.", "Restart Server", "Show Logs");
            if (choice === "Restart Server") await this.restart();
            if (choice === "Show Logs") this.output.show();
            return undefined;
        }
        return action(this.client);
    }

    private showStatus(status: IndexStatus): void {
        const icon = status.state === "indexing" ? "$(loading~spin)" : status.state === "failed" ? "$(error)" : "$(book)";
        this.statusBar.text = `${icon} LlamaHome: ${status.documents} docs`;
        this.statusBar.tooltip = `${status.state}: ${status.documents} documents, ${status.chunks} chunks, ${status.failed} failed, ${status.skipped} skipped${status.message ? `\n${status.message}` : ""}`;
        this.statusBar.command = "llamahome.showLogs";
    }
}
