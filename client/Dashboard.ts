import { readFileSync } from "node:fs";
import * as path from "node:path";
import * as vscode from "vscode";
import type { RequestType0 } from "vscode-languageclient/node";
import { IndexStatusRequest, ResultsRequest, type EndpointStatus, type IndexStatus, type MetricsParams, type ModelStatusParams } from "../shared/protocol";
import type { LatestResults, NeedleReference } from "../shared/results";
import type {
    DashboardCommand,
    DashboardSnapshot,
    DashboardToExtensionMessage,
    EvaluationState,
    ExtensionToDashboardMessage,
    ModelState,
    RequestRecord,
    ServerState,
} from "../shared/webviewMessages";
import { isObject } from "../shared/isObject";
import type { Config } from "./config";
import type { OutputLog } from "./OutputLog";
import { SingletonWebview } from "./SingletonWebview";
import type { StatusBar } from "./StatusBar";
import { errorMessage } from "../shared/errorMessage";

const maxMetricSamples = 300;
const maxRequestRecords = 50;

/** The dashboard's buttons run commands; a webview is untrusted input, so only these are run for it. */
const dashboardCommands: readonly DashboardCommand[] = [
    "llamahome.indexWorkspace",
    "llamahome.ask",
    "llamahome.selectModel",
    "llamahome.restartServer",
    "llamahome.showLogs",
    "llamahome.runBenchmark",
    "llamahome.runNeedleTest",
];

/** What the dashboard needs of the server connection: its state, and the requests it makes on its own. */
export interface DashboardServer {
    readonly state: ServerState;
    readonly running: boolean;
    query<R>(type: RequestType0<R, void>): Promise<R | undefined>;
}

/**
 * What the dashboard shows (index, server, model, metrics, requests, evaluation results), kept current, and the
 * dashboard webview itself; the status bar item shows a summary of the same. The state lives here, not in the
 * webview, which gets a snapshot whenever it (re)loads and single updates meanwhile.
 */
export class Dashboard implements vscode.Disposable {
    private readonly webview: SingletonWebview<ExtensionToDashboardMessage, DashboardToExtensionMessage>;
    private readonly indexStatusEmitter = new vscode.EventEmitter<IndexStatus>();
    readonly onDidChangeIndexStatus = this.indexStatusEmitter.event;
    private index: IndexStatus | undefined;
    private metrics: MetricsParams[] = [];
    private requests: RequestRecord[] = [];
    private loadedModel: string | undefined;
    private modelProblem: string | undefined;
    private lastTokensPerSecond: number | undefined;
    private lastInferenceSample: MetricsParams | undefined;
    /** The llama.cpp servers of llamahome.endpoints as the server last reported them ("unknown" until it has). */
    private endpointStatus: EndpointStatus[] | undefined;
    private latest: LatestResults = {};
    private reference: { table: NeedleReference | undefined } | undefined;
    private running: EvaluationState["running"];
    private disposed = false;

    constructor(
        private readonly extensionUri: vscode.Uri,
        private readonly config: Config,
        private readonly server: DashboardServer,
        private readonly statusBar: Pick<StatusBar, "update">,
        private readonly log: Pick<OutputLog, "line">,
    ) {
        this.webview = new SingletonWebview(extensionUri, {
            viewType: "llamahome.dashboard",
            title: "LlamaHome Dashboard",
            scripts: ["dom.js", "charts.js", "dashboard.js"],
            styles: ["webview.css"],
            body: '<main id="dashboard" aria-live="polite"></main>',
            column: vscode.ViewColumn.Active,
            isMessage: isDashboardMessage,
            onMessage: (message) => this.message(message),
            onRevive: (state) => this.revive(state),
        });
    }

    show(): void {
        this.webview.show();
    }

    get indexStatus(): IndexStatus | undefined {
        return this.index;
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
                this.log.line(`The reference needle table (${file}) could not be read: ${errorMessage(error)}`);
                this.reference = { table: undefined };
            }
        }
        return this.reference.table;
    }

    /** The Run Benchmark or Run Needle Test in progress; the dashboard disables its buttons meanwhile. */
    get evaluationRunning(): EvaluationState["running"] {
        return this.running;
    }

    set evaluationRunning(kind: EvaluationState["running"]) {
        this.running = kind;
        this.webview.post({ type: "evaluation", evaluation: this.evaluationState() });
    }

    recordRequest(record: RequestRecord): void {
        this.requests = [...this.requests, record].slice(-maxRequestRecords);
        // While llamahome.endpoints lists servers they answer, not the local model: nothing here is about it.
        const localModel = this.config.model !== "" && this.config.endpoints.length === 0;
        if (localModel) this.modelProblem = record.engine === "llm" ? undefined : record.warning ?? this.modelProblem;
        if (record.engine === "llm" && localModel) {
            if (record.model) this.loadedModel = record.model;
            if (record.tokens && record.ms > 0) this.lastTokensPerSecond = (record.tokens * 1000) / record.ms;
        }
        this.webview.post({ type: "request", record });
        this.refresh();
    }

    setIndexStatus(status: IndexStatus): void {
        if (status.state !== this.index?.state) {
            const counts = `${status.documents} documents, ${status.chunks} chunks, ${status.failed} failed, ${status.skipped} skipped`;
            this.log.line(`index ${status.state}: ${counts}${status.message ? ` (${status.message})` : ""}`);
        }
        this.index = status;
        this.indexStatusEmitter.fire(status);
        this.webview.post({ type: "indexStatus", status });
        this.refresh();
    }

    /** A new server indexes afresh: until it reports, the index state is unknown. */
    forgetIndexStatus(): void {
        this.index = undefined;
    }

    /** A new server process probes the llama.cpp servers afresh: until it reports, their state is unknown. */
    forgetEndpointStatus(): void {
        this.endpointStatus = undefined;
        this.syncEndpoints();
        this.refresh();
    }

    addMetrics(sample: MetricsParams): void {
        const configured = this.config.endpoints;
        if (sample.endpoints && !sameEndpoints(sample.endpoints, configured)) {
            // A report on servers no longer configured (in flight when the setting changed) is charted without them.
            sample = { ...sample };
            delete sample.endpoints;
        }
        this.metrics = [...this.metrics, sample].slice(-maxMetricSamples);
        if (sample.endpoints) this.endpointStatus = sample.endpoints.length ? sample.endpoints : undefined;
        // A sample from the server's inference engine (the client's own samples only carry the server's RSS). One
        // that arrives after the model setting was cleared is history: it is charted, but names no current model.
        // A report on llama.cpp servers is not about the local model, which does not run while they are listed.
        const fromModel = sample.endpoints === undefined && (sample.model !== undefined || sample.generatedTokensPerSecond !== undefined || sample.vramTotalBytes !== undefined);
        if (fromModel && this.config.model && configured.length === 0) {
            if (sample.model) this.loadedModel = sample.model;
            this.lastInferenceSample = sample;
        }
        this.webview.post({ type: "metrics", sample });
        this.refresh();
    }

    /**
     * Another model (or the same one loaded differently, or other llama.cpp servers) answers from now on: what the
     * last one measured is moot.
     */
    forgetLoadedModel(): void {
        this.loadedModel = undefined;
        this.modelProblem = undefined;
        this.lastInferenceSample = undefined;
        this.lastTokensPerSecond = undefined;
        this.endpointStatus = undefined;
        this.syncEndpoints();
    }

    /**
     * What the server says of the local model: loaded (named from now on) or unavailable (the status bar says so,
     * with why). Returns false, changing nothing, for a report on a model that is no longer the setting (one that
     * was loading when the user chose another) or while llama.cpp servers answer instead.
     */
    setModelStatus(status: ModelStatusParams): boolean {
        const setting = this.config.model;
        const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
        // The server makes a relative path absolute against the first workspace folder; URIs it keeps as they are.
        const current = setting !== "" && (status.model === setting || (folder !== undefined && status.model === path.resolve(folder, setting)));
        if (!current || this.config.endpoints.length > 0) return false;
        if (status.state === "loaded") [this.loadedModel, this.modelProblem] = [status.name, undefined];
        if (status.state === "unavailable") [this.loadedModel, this.modelProblem] = [undefined, status.reason];
        this.refresh();
        return true;
    }

    /** The server is up: its index status and the saved results may be new. */
    serverStarted(): void {
        void this.fetchIndexStatus();
        void this.fetchResults();
    }

    /** Reads the latest saved results (the editor's runs and the CLI's) and shows them in the dashboard. */
    async fetchResults(): Promise<void> {
        if (!this.server.running) return;
        const latest = await this.server.query(ResultsRequest).then(undefined, (error: unknown) => {
            this.log.line(`Reading the saved results failed: ${errorMessage(error)}`);
            return undefined;
        });
        if (!latest || this.disposed) return;
        this.latest = latest;
        this.webview.post({ type: "evaluation", evaluation: this.evaluationState() });
    }

    /** Pushes the server and model state to the status bar and, if open, the dashboard. */
    refresh(): void {
        if (this.disposed) return;
        const server = this.server.state;
        this.statusBar.update({
            index: this.index,
            server,
            model: this.modelState(),
            metrics: this.lastInferenceSample ?? this.metrics.at(-1),
            lastTokensPerSecond: this.lastTokensPerSecond,
            endpoints: this.endpoints,
            endpointTimeout: this.config.endpointTimeout,
        });
        this.webview.post({ type: "server", server });
        this.webview.post({ type: "model", model: this.modelState() });
    }

    /** The servers of llamahome.endpoints as the server last reported them ("unknown" until it has); undefined when none is listed. */
    get endpoints(): EndpointStatus[] | undefined {
        return this.config.endpoints.length ? this.endpointStatus ?? unknownEndpoints(this.config.endpoints) : undefined;
    }

    dispose(): void {
        this.disposed = true;
        this.webview.dispose();
        this.indexStatusEmitter.dispose();
    }

    /**
     * Keeps the endpoint rows the dashboard draws (from the metrics history: the last sample with `endpoints`) true
     * to the setting: servers newly listed, or a new server process, show as "unknown" until the server reports on
     * them; none listed any more sends an empty list, which removes the Endpoints card.
     */
    private syncEndpoints(): void {
        const configured = this.config.endpoints;
        if (configured.length) {
            if (!this.endpointStatus) this.addMetrics({ time: Date.now(), endpoints: unknownEndpoints(configured) });
            return;
        }
        let shown: EndpointStatus[] | undefined;
        for (let i = this.metrics.length - 1; i >= 0 && !shown; i--) shown = this.metrics[i]!.endpoints;
        if (shown?.length) this.addMetrics({ time: Date.now(), endpoints: [] });
    }

    private async fetchIndexStatus(): Promise<void> {
        const status = await this.server.query(IndexStatusRequest).then(undefined, () => undefined);
        // A notification may have overtaken the reply; only fill in what is still missing.
        if (status && !this.index) this.setIndexStatus(status);
    }

    private snapshot(): DashboardSnapshot {
        return {
            index: this.index,
            server: this.server.state,
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

    private modelState(): ModelState {
        return {
            setting: this.config.model,
            ...(this.loadedModel ? { loaded: this.loadedModel } : {}),
            ...(this.modelProblem && !this.loadedModel ? { unavailable: this.modelProblem } : {}),
            gpu: this.config.gpu,
            contextSize: this.config.contextSize,
            h2o: this.config.h2o,
        };
    }

    private message(message: DashboardToExtensionMessage): void {
        if (message.type === "ready") {
            this.webview.post({ type: "snapshot", snapshot: this.snapshot() });
            // Runs made since (from the CLI, say) show when the dashboard is opened.
            void this.fetchResults();
        } else if (message.type === "runCommand" && dashboardCommands.includes(message.command)) {
            void vscode.commands.executeCommand(message.command);
        }
    }

    /** After a window reload the dashboard's saved history seeds ours, so its charts continue where they were. */
    private revive(state: unknown): void {
        const saved = isObject(state) && isObject(state.snapshot) ? state.snapshot : undefined;
        if (!saved) return;
        if (!this.metrics.length && Array.isArray(saved.metrics)) {
            this.metrics = saved.metrics.filter((sample): sample is MetricsParams => isObject(sample) && typeof sample.time === "number").slice(-maxMetricSamples);
        }
        if (!this.requests.length && Array.isArray(saved.requests)) {
            this.requests = saved.requests.filter((record): record is RequestRecord => isObject(record) && typeof record.time === "number" && typeof record.ms === "number").slice(-maxRequestRecords);
        }
        // The saved endpoint rows are the last session's: the setting, and this server's reports, decide now.
        this.syncEndpoints();
    }
}

/** The listed servers before the language server has reported on them. */
function unknownEndpoints(urls: readonly string[]): EndpointStatus[] {
    return urls.map((url) => ({ url, state: "unknown", inFlight: 0, served: 0 }));
}

/** Whether a report is about the servers listed now (compared as the server compares them: origin and path, no trailing "/"). */
function sameEndpoints(reported: readonly EndpointStatus[], configured: readonly string[]): boolean {
    const listed = new Set(configured.map(endpointKey));
    const seen = new Set(reported.map((endpoint) => endpointKey(endpoint.url)));
    return seen.size === listed.size && [...seen].every((url) => listed.has(url));
}

function endpointKey(url: string): string {
    try {
        const parsed = new URL(url.trim());
        return `${parsed.origin}${parsed.pathname.replace(/\/+$/, "")}`;
    } catch {
        return url.trim();
    }
}

function isDashboardMessage(value: unknown): value is DashboardToExtensionMessage {
    if (!isObject(value)) return false;
    return value.type === "ready" || (value.type === "runCommand" && typeof value.command === "string");
}
