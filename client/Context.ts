import * as vscode from "vscode";
import type { ChatTurnRecord } from "../shared/chatMessages";
import type { AskParams, EndpointStatus, IndexStatus, ModelStatusParams } from "../shared/protocol";
import type { LatestResults, NeedleReference } from "../shared/results";
import type { LlamaHomeApi } from "./api";
import { ChatView } from "./ChatView";
import type { CommandContext, CommandTable } from "./commandContext";
import { Config, modelSettings } from "./config";
import { Dashboard } from "./Dashboard";
import { EndpointKey } from "./EndpointKey";
import { OutputLog } from "./OutputLog";
import { ResultPanel } from "./ResultPanel";
import { ServerConnection } from "./ServerConnection";
import { SourceViews } from "./SourceViews";
import { StatusBar } from "./StatusBar";

/**
 * Owns the extension's parts (log, server connection, status bar, dashboard, result panel, chat view) and every
 * listener and command registration: it builds the parts, connects what the server reports to the dashboard, reacts
 * to settings, and disposes each part once. The parts know nothing of each other beyond what they are handed.
 */
export class Context implements vscode.Disposable, LlamaHomeApi {
    private readonly config = new Config();
    private readonly log = new OutputLog();
    private readonly statusBar = new StatusBar();
    private readonly server: ServerConnection;
    private readonly dashboard: Dashboard;
    private readonly resultPanel: ResultPanel;
    private readonly sources: SourceViews;
    private readonly chat: ChatView;
    private readonly endpointKey: EndpointKey;
    /** Released first on dispose, so that nothing reacts to the server while it stops. */
    private readonly listeners: vscode.Disposable[] = [];
    private readonly commandRegistrations: vscode.Disposable[] = [];
    private readonly modelNoticeTexts: string[] = [];
    private disposed = false;

    constructor(extensionContext: vscode.ExtensionContext, commands: CommandTable) {
        this.server = new ServerConnection(extensionContext.asAbsolutePath("dist/server.js"), this.log);
        this.dashboard = new Dashboard(extensionContext.extensionUri, this.config, this.server, this.statusBar, this.log);
        this.resultPanel = new ResultPanel(extensionContext.extensionUri);
        this.sources = new SourceViews(this.server);
        this.chat = new ChatView(extensionContext.extensionUri, extensionContext.workspaceState, this.server, this.dashboard, this.log);
        this.endpointKey = new EndpointKey(extensionContext.secrets, this.server, this.log);
        const { server, dashboard } = this;
        this.listeners.push(
            server.onDidReplaceServer(() => {
                dashboard.forgetIndexStatus();
                dashboard.forgetEndpointStatus();
            }),
            server.onDidStart(() => dashboard.serverStarted()),
            server.onDidChangeState(() => dashboard.refresh()),
            server.onIndexStatus((status) => dashboard.setIndexStatus(status)),
            server.onMetrics((sample) => dashboard.addMetrics(sample)),
            server.onModelStatus((status) => this.modelStatus(status)),
            server.onResultsChanged(() => void dashboard.fetchResults()),
            vscode.workspace.onDidChangeConfiguration((event) => this.configurationChanged(event)),
        );
        const parts: CommandContext = { server, sources: this.sources, resultPanel: this.resultPanel, chat: this.chat, dashboard, log: this.log, endpointKey: this.endpointKey, config: this.config };
        for (const [id, run] of Object.entries(commands)) {
            this.commandRegistrations.push(vscode.commands.registerCommand(id, (...args: unknown[]) => run(parts, ...args)));
        }
        dashboard.refresh();
    }

    // ---- LlamaHomeApi ------------------------------------------------------------------------------------

    get indexStatus(): IndexStatus | undefined {
        return this.dashboard.indexStatus;
    }

    get onDidChangeIndexStatus(): vscode.Event<IndexStatus> {
        return this.dashboard.onDidChangeIndexStatus;
    }

    get serverPid(): number | undefined {
        return this.server.pid;
    }

    get serverStarts(): number {
        return this.server.starts;
    }

    get serverCrashRestarts(): number {
        return this.server.crashRestarts;
    }

    get serverCrashNotices(): number {
        return this.server.crashNotices;
    }

    get statusBarText(): string {
        return this.statusBar.text;
    }

    get statusBarTooltip(): string {
        return this.statusBar.tooltipMarkdown;
    }

    get logLines(): readonly string[] {
        return this.log.lines;
    }

    get modelNotices(): readonly string[] {
        return this.modelNoticeTexts;
    }

    get endpoints(): readonly EndpointStatus[] | undefined {
        return this.dashboard.endpoints;
    }

    get latestResults(): LatestResults {
        return this.dashboard.latestResults;
    }

    get needleReference(): NeedleReference | undefined {
        return this.dashboard.needleReference;
    }

    get chatHistory(): readonly ChatTurnRecord[] {
        return this.chat.history;
    }

    get chatViewReady(): boolean {
        return this.chat.viewReady;
    }

    get chatLastAskParams(): Readonly<AskParams> | undefined {
        return this.chat.lastAskParams;
    }

    // ---- lifetime ------------------------------------------------------------------------------------------

    /** Starts the server, with the endpoint API key read first so that its initialize carries it. */
    async start(): Promise<void> {
        await this.endpointKey.load();
        await this.server.start();
    }

    async dispose(): Promise<void> {
        if (this.disposed) return;
        this.disposed = true;
        for (const listener of this.listeners.splice(0)) listener.dispose();
        this.endpointKey.dispose();
        this.chat.dispose();
        await this.server.dispose();
        for (const part of [this.log, this.statusBar, this.dashboard, this.resultPanel, this.sources, ...this.commandRegistrations.splice(0)]) part.dispose();
    }

    /** The local model's state: in the status bar and the log; a model that cannot be used is also told to the user, once per choice. */
    private modelStatus(status: ModelStatusParams): void {
        if (!this.dashboard.setModelStatus(status)) return;
        if (status.state === "loading") this.log.line(`Loading the model ${status.model}…`);
        if (status.state === "loaded") this.log.line(`Model loaded: ${status.name ?? status.model}.`);
        if (status.state !== "unavailable") return;
        this.log.line(`Model unavailable, the extractive engine answers: ${status.reason ?? "no reason given"}`);
        const text = `LlamaHome: the model is unavailable. ${status.reason ?? ""}`.trim();
        this.modelNoticeTexts.push(text);
        void vscode.window.showErrorMessage(text, "Select Model", "Show Logs").then((choice) => {
            if (choice === "Select Model") void vscode.commands.executeCommand("llamahome.selectModel");
            if (choice === "Show Logs") this.log.show();
        });
    }

    private configurationChanged(event: vscode.ConfigurationChangeEvent): void {
        if (!event.affectsConfiguration("llamahome")) return;
        const restartFor = Config.restartRequiredBy(event);
        if (modelSettings.some((setting) => event.affectsConfiguration(setting)) || restartFor.length) this.dashboard.forgetLoadedModel();
        this.dashboard.refresh();
        if (restartFor.length) this.server.restartToApply(restartFor);
    }
}
