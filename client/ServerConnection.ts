import { fork, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import * as vscode from "vscode";
import {
    IPCMessageReader,
    IPCMessageWriter,
    LanguageClient,
    State,
    WorkDoneProgress,
    type CancellationToken,
    type LanguageClientOptions,
    type MessageTransports,
    type RequestType,
    type RequestType0,
    type WorkDoneProgressBegin,
    type WorkDoneProgressEnd,
    type WorkDoneProgressReport,
} from "vscode-languageclient/node";
import {
    EndpointApiKeyNotification,
    IndexStatusNotification,
    MetricsNotification,
    ModelStatusNotification,
    ResultsChangedNotification,
    StreamNotification,
    type IndexStatus,
    type MetricsParams,
    type ModelStatusParams,
    type StreamParams,
} from "../shared/protocol";
import type { ServerState } from "../shared/webviewMessages";
import type { StreamConsumer } from "./commandContext";
import type { OutputLog } from "./OutputLog";
import { residentSetBytes } from "./processMemory";
import { ServerCrashHandler } from "./ServerCrashHandler";
import { errorMessage } from "../shared/errorMessage";

const memorySampleMs = 2_000;

/**
 * The language client and the server process behind it: starts, restarts and stops them, restarts the server after
 * a crash (within ServerCrashHandler's limits), and carries requests with their streamed text and progress. What
 * the server reports comes out as events; this class knows nothing of who shows it.
 */
export class ServerConnection implements vscode.Disposable {
    private client: LanguageClient | undefined;
    private serverProcess: ChildProcess | undefined;
    private readonly crashHandler: ServerCrashHandler;
    private readonly streams = new Map<string, StreamConsumer>();
    /** The API key for llamahome.endpoints ("" = none): sent with every initialize, and whenever it changes. */
    private endpointApiKey = "";
    /** The key the running server has (from its initialize or the last notification), to catch a change made while it started. */
    private serverApiKey = "";
    private readonly clientSubscriptions: vscode.Disposable[] = [];
    private memoryTimer: NodeJS.Timeout | undefined;
    private disposed = false;
    private startCount = 0;
    private crashNoticeCount = 0;

    private readonly indexStatusEmitter = new vscode.EventEmitter<IndexStatus>();
    private readonly metricsEmitter = new vscode.EventEmitter<MetricsParams>();
    private readonly modelStatusEmitter = new vscode.EventEmitter<ModelStatusParams>();
    private readonly resultsChangedEmitter = new vscode.EventEmitter<void>();
    private readonly startedEmitter = new vscode.EventEmitter<void>();
    private readonly stateEmitter = new vscode.EventEmitter<void>();
    private readonly replacedEmitter = new vscode.EventEmitter<void>();
    readonly onIndexStatus = this.indexStatusEmitter.event;
    /** The server's own samples, and every 2 s the server process's memory, which the client measures. */
    readonly onMetrics = this.metricsEmitter.event;
    /** The local model started loading, loaded, or cannot be used. */
    readonly onModelStatus = this.modelStatusEmitter.event;
    /** The saved evaluation results changed (a run in this window, or the CLI's). */
    readonly onResultsChanged = this.resultsChangedEmitter.event;
    /** The server is up (again), so what it knows can be asked for. */
    readonly onDidStart = this.startedEmitter.event;
    /** `state` may read differently now. */
    readonly onDidChangeState = this.stateEmitter.event;
    /** Another server process takes over: what the last one reported (its index status) no longer holds. */
    readonly onDidReplaceServer = this.replacedEmitter.event;

    /** `serverModule`: the bundled server (dist/server.js), forked for every start. */
    constructor(
        private readonly serverModule: string,
        private readonly log: OutputLog,
    ) {
        this.crashHandler = new ServerCrashHandler({
            onCrash: (restarting) => this.log.line(`The server stopped unexpectedly; ${restarting ? "restarting it" : "not restarting it again"}.`),
            onFirstRestart: () => {
                this.crashNoticeCount++;
                void this.log.offerLogs(vscode.window.showWarningMessage("LlamaHome: the language server stopped unexpectedly and was restarted.", "Show Logs"));
            },
            onGiveUp: (crashes, windowMs) => {
                this.crashNoticeCount++;
                this.stateEmitter.fire();
                void vscode.window
                    .showErrorMessage(
                        `LlamaHome: the language server stopped ${crashes} times in ${Math.round(windowMs / 60_000)} minutes and will not be restarted.`,
                        "Restart Server",
                        "Show Logs",
                    )
                    .then((choice) => (choice === "Restart Server" ? this.restart() : choice === "Show Logs" ? this.log.show() : undefined));
            },
        });
    }

    /** The server's process id while the client runs. */
    get pid(): number | undefined {
        return this.client?.isRunning() ? this.serverProcess?.pid : undefined;
    }

    /** Server processes started this session, the first included. */
    get starts(): number {
        return this.startCount;
    }

    /** Restarts after the server stopped unexpectedly. */
    get crashRestarts(): number {
        return this.crashHandler.restarts;
    }

    /** Notifications shown about the server stopping unexpectedly. */
    get crashNotices(): number {
        return this.crashNoticeCount;
    }

    get running(): boolean {
        return this.client?.isRunning() === true;
    }

    get state(): ServerState {
        return {
            running: this.running,
            // Before the client exists (the API key is still being read) the server is starting, not stopped.
            ...((this.client === undefined && !this.disposed) || this.client?.state === State.Starting ? { starting: true } : {}),
            crashRestarts: this.crashHandler.restarts,
        };
    }

    async start(): Promise<void> {
        const clientOptions: LanguageClientOptions = {
            documentSelector: [{ scheme: "file" }, { scheme: "untitled" }],
            outputChannel: this.log.channel,
            synchronize: { configurationSection: "llamahome" },
            errorHandler: this.crashHandler,
            // Hovers end in a "Summarize…" link: that one command may run from the server's Markdown, no other.
            markdown: { isTrusted: { enabledCommands: ["llamahome.summarizeDocument"] } },
            // Evaluated at every (re)start, so a restarted server gets the key as it is now.
            initializationOptions: () => {
                this.serverApiKey = this.endpointApiKey;
                return this.endpointApiKey ? { endpointApiKey: this.endpointApiKey } : {};
            },
            initializationFailedHandler: (error) => {
                this.log.line(`The server failed to initialize: ${errorMessage(error)}`);
                return false;
            },
        };
        this.client = new LanguageClient("llamahome", "LlamaHome", () => this.forkServer(), clientOptions);
        this.clientSubscriptions.push(
            this.client.onNotification(IndexStatusNotification, (status) => this.indexStatusEmitter.fire(status)),
            this.client.onNotification(StreamNotification, (params) => this.stream(params)),
            this.client.onNotification(MetricsNotification, (sample) => this.metricsEmitter.fire(sample)),
            this.client.onNotification(ModelStatusNotification, (status) => this.modelStatusEmitter.fire(status)),
            this.client.onNotification(ResultsChangedNotification, () => this.resultsChangedEmitter.fire()),
            this.client.onDidChangeState(({ newState }) => {
                if (newState === State.Running) {
                    if (this.endpointApiKey !== this.serverApiKey) this.sendEndpointApiKey();
                    this.startedEmitter.fire();
                }
                this.stateEmitter.fire();
            }),
        );
        this.memoryTimer = setInterval(() => void this.sampleServerMemory(), memorySampleMs);
        try {
            await this.client.start();
        } catch (error) {
            this.log.reportError("LlamaHome: the language server did not start.", error);
        }
    }

    /** Stops the server (if running) and starts a fresh one; a manual restart re-arms the crash notice. */
    async restart(): Promise<void> {
        if (!this.client) return;
        this.crashHandler.reset();
        this.replacedEmitter.fire();
        this.stateEmitter.fire();
        try {
            if (this.client.isRunning()) await this.client.restart();
            else await this.client.start();
        } catch (error) {
            this.log.reportError("LlamaHome: restarting the language server failed.", error);
        }
    }

    /** For settings the server reads only when it starts: restarts it, and says so in the status bar. */
    restartToApply(settings: readonly string[]): void {
        if (!this.client) return;
        this.log.line(`${settings.join(", ")} changed: restarting the server.`);
        void this.restart().then(() => vscode.window.setStatusBarMessage(`LlamaHome: server restarted to apply ${settings.join(", ")}`, 5_000));
    }

    /**
     * Sends a request if the server runs. When it does not, says so once with actions and returns undefined;
     * a cancelled request also returns undefined. Other failures are reported and rethrown.
     */
    async request<P, R>(type: RequestType<P, R, void>, params: P, token?: CancellationToken): Promise<R | undefined>;
    async request<R>(type: RequestType0<R, void>, params?: undefined, token?: CancellationToken): Promise<R | undefined>;
    async request<P, R>(type: RequestType<P, R, void> | RequestType0<R, void>, params?: P, token?: CancellationToken): Promise<R | undefined> {
        const client = this.client;
        if (!client || !(await this.ensureRunning())) return undefined;
        // Every request the user makes is in the log, with its time: what ran, how long it took, how it ended.
        const started = performance.now();
        const took = () => `${Math.round(performance.now() - started)} ms`;
        try {
            const result = params === undefined
                ? await client.sendRequest(type as RequestType0<R, void>, token)
                : await client.sendRequest(type as RequestType<P, R, void>, params, token);
            this.log.line(`${type.method}: done in ${took()}`);
            return result;
        } catch (error) {
            if (token?.isCancellationRequested) {
                this.log.line(`${type.method}: cancelled after ${took()}`);
                return undefined;
            }
            this.log.line(`${type.method}: failed after ${took()}: ${errorMessage(error)}`);
            throw error;
        }
    }

    /**
     * A request the client makes for itself (the index status, the saved results): no notice to the user when the
     * server is down. Undefined before the client exists; a failure rejects.
     */
    query<R>(type: RequestType0<R, void>): Promise<R | undefined> {
        return this.client ? this.client.sendRequest(type) : Promise.resolve(undefined);
    }

    /** True if the server runs; otherwise says so, with Restart Server and Show Logs actions, and returns false. */
    async ensureRunning(): Promise<boolean> {
        if (this.client?.isRunning()) return true;
        const choice = await vscode.window.showErrorMessage("LlamaHome: the language server is not running.", "Restart Server", "Show Logs");
        if (choice === "Restart Server") await this.restart();
        if (choice === "Show Logs") this.log.show();
        return false;
    }

    /** A stream id for a request's live text; `consumer` gets each piece (and each restart) until the returned object is disposed. */
    openStream(consumer: StreamConsumer): { streamId: string; dispose(): void } {
        const streamId = randomUUID();
        this.streams.set(streamId, consumer);
        return { streamId, dispose: () => this.streams.delete(streamId) };
    }

    /**
     * The API key for llamahome.endpoints ("" removes it): kept for the next initialize, and sent to the running
     * server when it changed. Never logged.
     */
    setEndpointApiKey(apiKey: string): void {
        if (apiKey === this.endpointApiKey) return;
        this.endpointApiKey = apiKey;
        // A server still starting gets it once it runs (onDidChangeState), if its initialize had the old one.
        if (this.client?.isRunning()) this.sendEndpointApiKey();
    }

    /** Calls `onValue` with the server's work-done progress for `token` (one the client put in a request's params). */
    onWorkDoneProgress(token: string, onValue: (value: WorkDoneProgressBegin | WorkDoneProgressReport | WorkDoneProgressEnd) => void): vscode.Disposable {
        return this.client?.onProgress(WorkDoneProgress.type, token, onValue) ?? new vscode.Disposable(() => undefined);
    }

    async dispose(): Promise<void> {
        if (this.disposed) return;
        this.disposed = true;
        clearInterval(this.memoryTimer);
        await this.stop();
        for (const disposable of this.clientSubscriptions.splice(0)) disposable.dispose();
        for (const emitter of [this.indexStatusEmitter, this.metricsEmitter, this.modelStatusEmitter, this.resultsChangedEmitter, this.startedEmitter, this.stateEmitter, this.replacedEmitter]) {
            emitter.dispose();
        }
    }

    /** Forks the server with an IPC channel we own, so its PID and output are ours (and it is killed if it lingers). */
    private async forkServer(): Promise<MessageTransports> {
        const child = fork(this.serverModule, ["--node-ipc"], {
            stdio: ["ignore", "pipe", "pipe", "ipc"],
            env: { ...process.env, ELECTRON_RUN_AS_NODE: "1" },
            execArgv: process.env.LLAMAHOME_INSPECT_SERVER ? [`--inspect=${process.env.LLAMAHOME_INSPECT_SERVER}`] : [],
        });
        this.serverProcess = child;
        this.startCount++;
        // A new server indexes afresh; until it reports, the index state is unknown.
        this.replacedEmitter.fire();
        child.stdout?.on("data", (data: Buffer) => this.log.appendServerOutput(data.toString()));
        child.stderr?.on("data", (data: Buffer) => this.log.appendServerOutput(data.toString()));
        child.once("exit", (code, signal) => {
            this.log.line(`Server process ${child.pid} exited (${signal ? `signal ${signal}` : `code ${code}`}).`);
            if (this.serverProcess === child) this.serverProcess = undefined;
        });
        this.log.line(`Started the server (pid ${child.pid}).`);
        return { reader: new IPCMessageReader(child), writer: new IPCMessageWriter(child) };
    }

    private async stop(): Promise<void> {
        const child = this.serverProcess;
        await this.client?.stop(3_000).catch(() => undefined);
        this.client = undefined;
        if (child && child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    }

    private sendEndpointApiKey(): void {
        const apiKey = this.endpointApiKey;
        this.serverApiKey = apiKey;
        this.client?.sendNotification(EndpointApiKeyNotification, { apiKey }).catch((error: unknown) => this.log.line(`Sending the endpoint API key to the server failed: ${errorMessage(error)}`));
    }

    /** A piece of streamed text, or a restart: what was streamed is void and `text` begins the new answer. */
    private stream({ streamId, text, restart }: StreamParams): void {
        const consumer = this.streams.get(streamId);
        if (!consumer) return;
        if (typeof restart === "string") consumer.onRestart(restart);
        if (text) consumer.onText(text);
    }

    private async sampleServerMemory(): Promise<void> {
        const pid = this.pid;
        if (pid === undefined) return;
        const serverRssBytes = await residentSetBytes(pid);
        if (serverRssBytes !== undefined && !this.disposed) this.metricsEmitter.fire({ time: Date.now(), serverRssBytes });
    }
}
