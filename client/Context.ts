import { fork, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import * as vscode from "vscode";
import {
    IPCMessageReader,
    IPCMessageWriter,
    LanguageClient,
    ResponseError,
    State,
    type CancellationToken,
    type LanguageClientOptions,
    type MessageTransports,
    type RequestType,
    type RequestType0,
    WorkDoneProgress,
    type WorkDoneProgressBegin,
    type WorkDoneProgressEnd,
    type WorkDoneProgressReport,
} from "vscode-languageclient/node";
import {
    IndexStatusNotification,
    IndexStatusRequest,
    MetricsNotification,
    ResultsChangedNotification,
    ResultsRequest,
    StreamNotification,
    type IndexStatus,
    type MetricsParams,
} from "../shared/protocol";
import type {
    DashboardCommand,
    DashboardSnapshot,
    DashboardToExtensionMessage,
    EvaluationState,
    ExtensionToDashboardMessage,
    ExtensionToResultMessage,
    ModelState,
    RequestRecord,
    ResultToExtensionMessage,
    ResultView,
    ServerState,
} from "../shared/webviewMessages";
import type { LatestResults, NeedleReference } from "../shared/results";
import type { LlamaHomeApi } from "./api";
import { Config, modelSettings } from "./config";
import { residentSetBytes } from "./processMemory";
import { ServerCrashHandler } from "./ServerCrashHandler";
import { SingletonWebview } from "./SingletonWebview";
import { StatusBar } from "./StatusBar";
import { isObject } from "../shared/isObject";

const maxMetricSamples = 300;
const maxRequestRecords = 50;
const memorySampleMs = 2_000;

const dashboardCommands: readonly DashboardCommand[] = [
    "llamahome.indexWorkspace",
    "llamahome.ask",
    "llamahome.selectModel",
    "llamahome.restartServer",
    "llamahome.showLogs",
    "llamahome.runBenchmark",
    "llamahome.runNeedleTest",
];

/**
 * Owns everything the extension creates: the language client and its server process, the output channel, the
 * status bar item, the dashboard and result webviews, the commands and every listener. Disposing it releases all.
 */
/** Command id → handler; handed in by extension.ts, which composes the parts, so this file needs no command module. */
export type CommandTable = Record<string, (ctx: Context, ...args: unknown[]) => unknown>;

export class Context implements vscode.Disposable, LlamaHomeApi {
    readonly config = new Config();
    readonly output = vscode.window.createOutputChannel("LlamaHome");
    private client: LanguageClient | undefined;
    private serverProcess: ChildProcess | undefined;
    private readonly statusBar = new StatusBar();
    private readonly crashHandler: ServerCrashHandler;
    private readonly dashboard: SingletonWebview<ExtensionToDashboardMessage, DashboardToExtensionMessage>;
    private readonly resultPanel: SingletonWebview<ExtensionToResultMessage, ResultToExtensionMessage>;
    private readonly indexStatusEmitter = new vscode.EventEmitter<IndexStatus>();
    private readonly streams = new Map<string, (text: string) => void>();
    private readonly disposables: vscode.Disposable[] = [];
    private index: IndexStatus | undefined;
    private metrics: MetricsParams[] = [];
    private requests: RequestRecord[] = [];
    private loadedModel: string | undefined;
    private lastTokensPerSecond: number | undefined;
    private lastInferenceSample: MetricsParams | undefined;
    private resultView: ResultView | undefined;
    private latest: LatestResults = {};
    private reference: { table: NeedleReference | undefined } | undefined;
    private running: EvaluationState["running"];
    private memoryTimer: NodeJS.Timeout | undefined;
    private stopping: Promise<void> | undefined;
    private disposed = false;
    serverStarts = 0;
    serverCrashNotices = 0;
    readonly onDidChangeIndexStatus = this.indexStatusEmitter.event;

    constructor(
        private readonly extensionContext: vscode.ExtensionContext,
        commands: CommandTable,
    ) {
        const extensionUri = extensionContext.extensionUri;
        this.crashHandler = new ServerCrashHandler({
            onCrash: (restarting) => this.log(`The server stopped unexpectedly; ${restarting ? "restarting it" : "not restarting it again"}.`),
            onFirstRestart: () => {
                this.serverCrashNotices++;
                void this.offerLogs(vscode.window.showWarningMessage("LlamaHome: the language server stopped unexpectedly and was restarted.", "Show Logs"));
            },
            onGiveUp: (crashes, windowMs) => {
                this.serverCrashNotices++;
                this.refresh();
                void vscode.window
                    .showErrorMessage(
                        `LlamaHome: the language server stopped ${crashes} times in ${Math.round(windowMs / 60_000)} minutes and will not be restarted.`,
                        "Restart Server",
                        "Show Logs",
                    )
                    .then((choice) => (choice === "Restart Server" ? this.restartServer() : choice === "Show Logs" ? this.output.show() : undefined));
            },
        });
        this.dashboard = new SingletonWebview(extensionUri, {
            viewType: "llamahome.dashboard",
            title: "LlamaHome Dashboard",
            scripts: ["dom.js", "charts.js", "dashboard.js"],
            styles: ["webview.css"],
            body: '<main id="dashboard" aria-live="polite"></main>',
            column: vscode.ViewColumn.Active,
            isMessage: isDashboardMessage,
            onMessage: (message) => this.dashboardMessage(message),
            onRevive: (state) => this.reviveDashboard(state),
        });
        this.resultPanel = new SingletonWebview(extensionUri, {
            viewType: "llamahome.result",
            title: "LlamaHome",
            scripts: ["dom.js", "result.js"],
            styles: ["webview.css"],
            body: '<main id="result" aria-live="polite"></main>',
            column: vscode.ViewColumn.Beside,
            isMessage: isResultMessage,
            onMessage: (message) => this.resultMessage(message),
        });
        this.disposables.push(
            this.output,
            this.statusBar,
            this.dashboard,
            this.resultPanel,
            this.indexStatusEmitter,
            vscode.workspace.onDidChangeConfiguration((event) => this.configurationChanged(event)),
        );
        for (const [id, run] of Object.entries(commands)) {
            this.disposables.push(vscode.commands.registerCommand(id, (...args: unknown[]) => run(this, ...args)));
        }
        this.refresh();
    }

    get extensionUri(): vscode.Uri {
        return this.extensionContext.extensionUri;
    }

    // ---- LlamaHomeApi ------------------------------------------------------------------------------------

    get indexStatus(): IndexStatus | undefined {
        return this.index;
    }

    get serverPid(): number | undefined {
        return this.client?.isRunning() ? this.serverProcess?.pid : undefined;
    }

    get serverCrashRestarts(): number {
        return this.crashHandler.restarts;
    }

    get statusBarText(): string {
        return this.statusBar.text;
    }

    get latestResults(): LatestResults {
        return this.latest;
    }

    /** The needle table the project measured (media/needle-reference.json), read once; undefined if unreadable. */
    get needleReference(): NeedleReference | undefined {
        if (!this.reference) {
            const file = vscode.Uri.joinPath(this.extensionUri, "media", "needle-reference.json").fsPath;
            try {
                this.reference = { table: JSON.parse(readFileSync(file, "utf8")) as NeedleReference };
            } catch (error) {
                this.log(`The reference needle table (${file}) could not be read: ${error instanceof Error ? error.message : String(error)}`);
                this.reference = { table: undefined };
            }
        }
        return this.reference.table;
    }

    // ---- server lifecycle ----------------------------------------------------------------------------------

    async start(): Promise<void> {
        const clientOptions: LanguageClientOptions = {
            documentSelector: [{ scheme: "file" }, { scheme: "untitled" }],
            outputChannel: this.output,
            synchronize: { configurationSection: "llamahome" },
            errorHandler: this.crashHandler,
            initializationFailedHandler: (error) => {
                this.log(`The server failed to initialize: ${error instanceof Error ? error.message : String(error)}`);
                return false;
            },
        };
        this.client = new LanguageClient("llamahome", "LlamaHome", () => this.startServerProcess(), clientOptions);
        this.disposables.push(
            this.client.onNotification(IndexStatusNotification, (status) => this.indexStatusChanged(status)),
            this.client.onNotification(StreamNotification, ({ streamId, text }) => this.streams.get(streamId)?.(text)),
            this.client.onNotification(MetricsNotification, (sample) => this.addMetrics(sample)),
            this.client.onNotification(ResultsChangedNotification, () => void this.fetchResults()),
            this.client.onDidChangeState(({ newState }) => {
                if (newState === State.Running) {
                    void this.fetchIndexStatus();
                    void this.fetchResults();
                }
                this.refresh();
            }),
        );
        this.memoryTimer = setInterval(() => void this.sampleServerMemory(), memorySampleMs);
        try {
            await this.client.start();
        } catch (error) {
            this.reportError("LlamaHome: the language server did not start.", error);
        }
    }

    /** Stops the server (if running) and starts a fresh one; a manual restart re-arms the crash notice. */
    async restartServer(): Promise<void> {
        if (!this.client) return;
        this.crashHandler.reset();
        this.index = undefined;
        this.refresh();
        try {
            if (this.client.isRunning()) await this.client.restart();
            else await this.client.start();
        } catch (error) {
            this.reportError("LlamaHome: restarting the language server failed.", error);
        }
    }

    async dispose(): Promise<void> {
        if (this.disposed) return;
        this.disposed = true;
        clearInterval(this.memoryTimer);
        this.stopping ??= this.stopClient();
        await this.stopping;
        for (const disposable of this.disposables.splice(0)) disposable.dispose();
    }

    /** Forks the server with an IPC channel we own, so its PID and output are ours (and it is killed if it lingers). */
    private async startServerProcess(): Promise<MessageTransports> {
        const module = this.extensionContext.asAbsolutePath("dist/server.js");
        const child = fork(module, ["--node-ipc"], {
            stdio: ["ignore", "pipe", "pipe", "ipc"],
            env: { ...process.env, ELECTRON_RUN_AS_NODE: "1" },
            execArgv: process.env.LLAMAHOME_INSPECT_SERVER ? [`--inspect=${process.env.LLAMAHOME_INSPECT_SERVER}`] : [],
        });
        this.serverProcess = child;
        this.serverStarts++;
        // A new server indexes afresh; until it reports, the index state is unknown.
        this.index = undefined;
        child.stdout?.on("data", (data: Buffer) => this.output.append(data.toString()));
        child.stderr?.on("data", (data: Buffer) => this.output.append(data.toString()));
        child.once("exit", (code, signal) => {
            this.log(`Server process ${child.pid} exited (${signal ? `signal ${signal}` : `code ${code}`}).`);
            if (this.serverProcess === child) this.serverProcess = undefined;
        });
        this.log(`Started the server (pid ${child.pid}).`);
        return { reader: new IPCMessageReader(child), writer: new IPCMessageWriter(child) };
    }

    private async stopClient(): Promise<void> {
        const process = this.serverProcess;
        await this.client?.stop(3_000).catch(() => undefined);
        this.client = undefined;
        if (process && process.exitCode === null && process.signalCode === null) process.kill("SIGKILL");
    }

    // ---- requests --------------------------------------------------------------------------------------------

    /**
     * Sends a request if the server runs. When it does not, says so once with actions and returns undefined;
     * a cancelled request also returns undefined. Other failures are reported and rethrown.
     */
    async request<P, R>(type: RequestType<P, R, void>, params: P, token?: CancellationToken): Promise<R | undefined>;
    async request<R>(type: RequestType0<R, void>, params?: undefined, token?: CancellationToken): Promise<R | undefined>;
    async request<P, R>(type: RequestType<P, R, void> | RequestType0<R, void>, params?: P, token?: CancellationToken): Promise<R | undefined> {
        const client = this.client;
        if (!client || !(await this.ensureServerRunning())) return undefined;
        try {
            return params === undefined
                ? await client.sendRequest(type as RequestType0<R, void>, token)
                : await client.sendRequest(type as RequestType<P, R, void>, params, token);
        } catch (error) {
            if (token?.isCancellationRequested) return undefined;
            throw error;
        }
    }

    /** True if the server runs; otherwise says so, with Restart Server and Show Logs actions, and returns false. */
    async ensureServerRunning(): Promise<boolean> {
        if (this.client?.isRunning()) return true;
        const choice = await vscode.window.showErrorMessage("LlamaHome: the language server is not running.", "Restart Server", "Show Logs");
        if (choice === "Restart Server") await this.restartServer();
        if (choice === "Show Logs") this.output.show();
        return false;
    }

    /** A stream id for a request's live text; the callback gets each piece until the returned disposable is disposed. */
    openStream(onText: (text: string) => void): { streamId: string; dispose(): void } {
        const streamId = randomUUID();
        this.streams.set(streamId, onText);
        return { streamId, dispose: () => this.streams.delete(streamId) };
    }

    /** Calls `onValue` with the server's work-done progress for `token` (one the client put in a request's params). */
    onWorkDoneProgress(token: string, onValue: (value: WorkDoneProgressBegin | WorkDoneProgressReport | WorkDoneProgressEnd) => void): vscode.Disposable {
        return this.client?.onProgress(WorkDoneProgress.type, token, onValue) ?? new vscode.Disposable(() => undefined);
    }

    /** The Run Benchmark or Run Needle Test in progress; the dashboard disables its buttons meanwhile. */
    get evaluationRunning(): EvaluationState["running"] {
        return this.running;
    }

    set evaluationRunning(kind: EvaluationState["running"]) {
        this.running = kind;
        this.dashboard.post({ type: "evaluation", evaluation: this.evaluationState() });
    }

    recordRequest(record: RequestRecord): void {
        this.requests = [...this.requests, record].slice(-maxRequestRecords);
        if (record.engine === "llm" && this.config.model) {
            if (record.model) this.loadedModel = record.model;
            if (record.tokens && record.ms > 0) this.lastTokensPerSecond = (record.tokens * 1000) / record.ms;
        }
        this.dashboard.post({ type: "request", record });
        this.refresh();
    }

    // ---- views ---------------------------------------------------------------------------------------------------

    openDashboard(): void {
        this.dashboard.show();
    }

    get dashboardVisible(): boolean {
        return this.dashboard.visible;
    }

    /** Shows a summary, an answer, progress or an error in the result panel (beside the editor). */
    showResult(view: ResultView): void {
        this.resultView = view;
        this.resultPanel.show(true);
        this.resultPanel.title = view.kind === "answer" ? "LlamaHome: Answer" : view.kind === "summary" ? `Summary: ${view.title}` : `LlamaHome: ${view.title}`;
        this.resultPanel.post({ type: "show", view });
    }

    appendResultText(text: string): void {
        if (this.resultView?.kind === "pending") this.resultView = { ...this.resultView, text: this.resultView.text + text };
        this.resultPanel.post({ type: "stream", text });
    }

    log(message: string): void {
        this.output.appendLine(`[${new Date().toISOString()}] ${message}`);
    }

    /** Logs a failure and tells the user once, with a way to the logs. */
    reportError(message: string, error?: unknown): void {
        const detail = error instanceof ResponseError || error instanceof Error ? error.message : error === undefined ? "" : String(error);
        this.log(detail ? `${message} ${detail}` : message);
        void this.offerLogs(vscode.window.showErrorMessage(detail ? `${message} ${detail}` : message, "Show Logs"));
    }

    // ---- state -------------------------------------------------------------------------------------------------

    private snapshot(): DashboardSnapshot {
        return {
            index: this.index,
            server: this.serverState(),
            model: this.modelState(),
            metrics: this.metrics,
            requests: this.requests,
            evaluation: this.evaluationState(),
        };
    }

    private evaluationState(): EvaluationState {
        const reference = this.needleReference;
        return { latest: this.latest, ...(this.running ? { running: this.running } : {}), ...(reference ? { reference } : {}) };
    }

    private serverState(): ServerState {
        return {
            running: this.client?.isRunning() === true,
            ...(this.client?.state === State.Starting ? { starting: true } : {}),
            crashRestarts: this.crashHandler.restarts,
        };
    }

    private modelState(): ModelState {
        return {
            setting: this.config.model,
            ...(this.loadedModel ? { loaded: this.loadedModel } : {}),
            gpu: this.config.gpu,
            contextSize: this.config.contextSize,
            h2o: this.config.h2o,
        };
    }

    /** Pushes the current state to the status bar and, if open, the dashboard. */
    private refresh(): void {
        if (this.disposed) return;
        this.statusBar.update({
            index: this.index,
            server: this.serverState(),
            model: this.modelState(),
            metrics: this.lastInferenceSample ?? this.metrics.at(-1),
            lastTokensPerSecond: this.lastTokensPerSecond,
        });
        this.dashboard.post({ type: "server", server: this.serverState() });
        this.dashboard.post({ type: "model", model: this.modelState() });
    }

    private indexStatusChanged(status: IndexStatus): void {
        this.index = status;
        this.indexStatusEmitter.fire(status);
        this.dashboard.post({ type: "indexStatus", status });
        this.refresh();
    }

    /** Reads the latest saved results (the editor's runs and the CLI's) and shows them in the dashboard. */
    private async fetchResults(): Promise<void> {
        const client = this.client;
        if (!client?.isRunning()) return;
        const latest = await client.sendRequest(ResultsRequest).then(undefined, (error: unknown) => {
            this.log(`Reading the saved results failed: ${error instanceof Error ? error.message : String(error)}`);
            return undefined;
        });
        if (!latest || this.disposed) return;
        this.latest = latest;
        this.dashboard.post({ type: "evaluation", evaluation: this.evaluationState() });
    }

    private async fetchIndexStatus(): Promise<void> {
        const status = await this.client?.sendRequest(IndexStatusRequest).then(undefined, () => undefined);
        // A notification may have overtaken the reply; only fill in what is still missing.
        if (status && !this.index) this.indexStatusChanged(status);
    }

    private addMetrics(sample: MetricsParams): void {
        this.metrics = [...this.metrics, sample].slice(-maxMetricSamples);
        // A sample from the server's inference engine (the client's own samples only carry the server's RSS). One
        // that arrives after the model setting was cleared is history: it is charted, but names no current model.
        const fromModel = sample.model !== undefined || sample.generatedTokensPerSecond !== undefined || sample.vramTotalBytes !== undefined;
        if (fromModel && this.config.model) {
            if (sample.model) this.loadedModel = sample.model;
            this.lastInferenceSample = sample;
        }
        this.dashboard.post({ type: "metrics", sample });
        this.refresh();
    }

    private async sampleServerMemory(): Promise<void> {
        const pid = this.serverPid;
        if (pid === undefined) return;
        const serverRssBytes = await residentSetBytes(pid);
        if (serverRssBytes !== undefined && !this.disposed) this.addMetrics({ time: Date.now(), serverRssBytes });
    }

    private configurationChanged(event: vscode.ConfigurationChangeEvent): void {
        if (!event.affectsConfiguration("llamahome")) return;
        const restartFor = Config.restartRequiredBy(event);
        if (modelSettings.some((setting) => event.affectsConfiguration(setting)) || restartFor.length) {
            // Another model (or the same one differently loaded) answers from now on.
            this.loadedModel = undefined;
            this.lastInferenceSample = undefined;
            this.lastTokensPerSecond = undefined;
        }
        this.refresh();
        if (restartFor.length && this.client) {
            this.log(`${restartFor.join(", ")} changed: restarting the server.`);
            void this.restartServer().then(() => vscode.window.setStatusBarMessage(`LlamaHome: server restarted to apply ${restartFor.join(", ")}`, 5_000));
        }
    }

    private dashboardMessage(message: DashboardToExtensionMessage): void {
        if (message.type === "ready") {
            this.dashboard.post({ type: "snapshot", snapshot: this.snapshot() });
            // Runs made since (from the CLI, say) show when the dashboard is opened.
            void this.fetchResults();
        }
        else if (message.type === "runCommand" && dashboardCommands.includes(message.command)) void vscode.commands.executeCommand(message.command);
    }

    private resultMessage(message: ResultToExtensionMessage): void {
        if (message.type === "ready" && this.resultView) this.resultPanel.post({ type: "show", view: this.resultView });
        else if (message.type === "openCitation") void vscode.commands.executeCommand("llamahome.openCitation", message.citation);
    }

    /** After a window reload the dashboard's saved history seeds ours, so its charts continue where they were. */
    private reviveDashboard(state: unknown): void {
        const saved = isObject(state) && isObject(state.snapshot) ? state.snapshot : undefined;
        if (!saved) return;
        if (!this.metrics.length && Array.isArray(saved.metrics)) {
            this.metrics = saved.metrics.filter((sample): sample is MetricsParams => isObject(sample) && typeof sample.time === "number").slice(-maxMetricSamples);
        }
        if (!this.requests.length && Array.isArray(saved.requests)) {
            this.requests = saved.requests.filter((record): record is RequestRecord => isObject(record) && typeof record.time === "number" && typeof record.ms === "number").slice(-maxRequestRecords);
        }
    }

    private async offerLogs(choice: Thenable<string | undefined>): Promise<void> {
        if ((await choice) === "Show Logs") this.output.show();
    }
}

function isDashboardMessage(value: unknown): value is DashboardToExtensionMessage {
    if (!isObject(value)) return false;
    return value.type === "ready" || (value.type === "runCommand" && typeof value.command === "string");
}

function isResultMessage(value: unknown): value is ResultToExtensionMessage {
    if (!isObject(value)) return false;
    if (value.type === "ready") return true;
    const citation = value.citation;
    return value.type === "openCitation" && isObject(citation) && typeof citation.uri === "string" && typeof citation.path === "string";
}
