import * as vscode from "vscode";
import type { EndpointStatus, IndexStatus, MetricsParams } from "../shared/protocol";
import type { ModelState, ServerState } from "../shared/webviewMessages";
import { formatBytes } from "../shared/formatBytes";
import { modelLabel } from "./format";

export interface StatusBarState {
    index: IndexStatus | undefined;
    server: ServerState;
    model: ModelState;
    /** The latest metrics sample, if any. */
    metrics: MetricsParams | undefined;
    /** Generation speed of the last LLM answer or summary, when the server did not send metrics. */
    lastTokensPerSecond: number | undefined;
    /**
     * The llama.cpp servers of llamahome.endpoints as the server last reported them ("unknown" before it has);
     * undefined when none is listed (the local engine answers).
     */
    endpoints?: EndpointStatus[];
    /** llamahome.endpointTimeout, in seconds. */
    endpointTimeout?: number;
}

/** The status bar item: index state, model, last tokens/s and memory; its tooltip has the details; a click opens the dashboard. */
export class StatusBar implements vscode.Disposable {
    private readonly item = vscode.window.createStatusBarItem("llamahome.status", vscode.StatusBarAlignment.Left, 10);

    constructor() {
        this.item.name = "LlamaHome";
        this.item.command = { command: "llamahome.openDashboard", title: "Open LlamaHome Dashboard" };
        this.item.text = "$(loading~spin) LlamaHome: starting";
        this.item.show();
    }

    get text(): string {
        return this.item.text;
    }

    get tooltipMarkdown(): string {
        const tip = this.item.tooltip;
        return typeof tip === "string" ? tip : tip?.value ?? "";
    }

    update(state: StatusBarState): void {
        const { index, server } = state;
        const parts: string[] = [];
        let background: vscode.ThemeColor | undefined;
        if (server.starting) {
            parts.push("$(loading~spin) LlamaHome: starting");
        } else if (!server.running) {
            parts.push("$(debug-disconnect) LlamaHome: server stopped");
            background = new vscode.ThemeColor("statusBarItem.warningBackground");
        } else if (!index) {
            parts.push("$(loading~spin) LlamaHome: starting");
        } else if (index.state === "indexing") {
            parts.push(`$(sync~spin) LlamaHome: indexing (${index.documents} docs)`);
        } else if (index.state === "idle") {
            // Before the first run (a fresh server), or after a cancelled one: the index is not current.
            parts.push(index.documents ? `$(book) LlamaHome: ${index.documents} docs (not up to date)` : "$(clock) LlamaHome: waiting to index");
        } else if (index.state === "failed") {
            parts.push("$(error) LlamaHome: index failed");
            background = new vscode.ThemeColor("statusBarItem.errorBackground");
        } else {
            parts.push(`$(book) LlamaHome: ${index.documents} docs`);
        }
        if (server.running) {
            if (state.endpoints) {
                // llama.cpp servers answer, not the local model: how many are up, never more than the server said.
                const { text, allDown } = endpointsText(state.endpoints);
                parts.push(text);
                if (allDown) background ??= new vscode.ThemeColor("statusBarItem.warningBackground");
            } else {
                parts.push(`$(hubot) ${modelLabel(state.model)}`);
                // only a model that answers has a speed: a failed one shows none, not the last model's
                const tokensPerSecond = state.model.setting && state.model.loaded ? state.metrics?.generatedTokensPerSecond ?? state.lastTokensPerSecond : undefined;
                if (tokensPerSecond) parts.push(`${tokensPerSecond.toFixed(1)} tok/s`);
            }
            const memory = memoryText(state.metrics);
            if (memory) parts.push(memory);
        }
        this.item.text = parts.join(" · ");
        this.item.backgroundColor = background;
        this.item.tooltip = tooltip(state);
    }

    dispose(): void {
        this.item.dispose();
    }
}

/** "$(cloud) qwen2.5 · 1/2 endpoints up", "$(cloud) 2 endpoints (not checked yet)". */
function endpointsText(endpoints: readonly EndpointStatus[]): { text: string; allDown: boolean } {
    const up = endpoints.filter((endpoint) => endpoint.state === "up");
    const checked = endpoints.filter((endpoint) => endpoint.state !== "unknown");
    const noun = endpoints.length === 1 ? "endpoint" : "endpoints";
    if (!checked.length) return { text: `$(cloud) ${endpoints.length} ${noun} (not checked yet)`, allDown: false };
    const models = [...new Set(up.map((endpoint) => endpoint.model).filter((model): model is string => Boolean(model)))];
    const model = models.length === 1 ? `${models[0]} · ` : "";
    return { text: `$(${up.length ? "cloud" : "warning"}) ${model}${up.length}/${endpoints.length} ${noun} up`, allDown: up.length === 0 && checked.length === endpoints.length };
}

/** One endpoint as a tooltip row's value: state (and why it is down), model, slots, load, speed, KV cache use. */
function endpointText(endpoint: EndpointStatus): string {
    const state = endpoint.state === "down" ? `down${endpoint.reason ? ` (${endpoint.reason})` : ""}` : endpoint.state === "unknown" ? "not checked yet" : "up";
    const facts = [state];
    if (endpoint.model) facts.push(endpoint.model);
    if (endpoint.slotsTotal !== undefined) facts.push(`slots ${endpoint.slotsBusy ?? "?"}/${endpoint.slotsTotal} busy`);
    if (endpoint.inFlight || endpoint.served) facts.push(`${endpoint.inFlight} in flight, ${endpoint.served} served`);
    if (endpoint.tokensPerSecond !== undefined) facts.push(`${endpoint.tokensPerSecond.toFixed(1)} tokens/s`);
    if (endpoint.kvCacheUsage !== undefined) facts.push(`KV cache ${Math.round(endpoint.kvCacheUsage * 100)}%`);
    return facts.join(" · ");
}

function memoryText(metrics: MetricsParams | undefined): string | undefined {
    if (!metrics) return undefined;
    if (metrics.vramTotalBytes) return `VRAM ${formatBytes(metrics.vramUsedBytes ?? 0)}/${formatBytes(metrics.vramTotalBytes)}`;
    const ram = (metrics.serverRssBytes ?? 0) + (metrics.inferenceRssBytes ?? 0);
    return ram ? `RAM ${formatBytes(ram)}` : undefined;
}

function tooltip(state: StatusBarState): vscode.MarkdownString {
    const { index, server, model, metrics } = state;
    const rows: [string, string][] = [];
    rows.push(["Server", server.running ? "running" : "stopped"]);
    if (server.crashRestarts) rows.push(["Restarts after a crash", String(server.crashRestarts)]);
    if (index) {
        rows.push(["Index", index.state]);
        rows.push(["Documents", `${index.documents} (${index.chunks} chunks)`]);
        rows.push(["Failed / skipped", `${index.failed} / ${index.skipped}`]);
        if (index.message) rows.push(["Detail", index.message]);
    }
    if (state.endpoints) {
        // llama.cpp servers generate: the local model settings do not apply (H2O runs only in the local engine).
        rows.push(["Engine", `llama.cpp servers (${state.endpoints.length})`]);
        for (const endpoint of state.endpoints) rows.push([endpoint.url, endpointText(endpoint)]);
        if (state.endpointTimeout) rows.push(["Endpoint timeout", `${state.endpointTimeout} s`]);
        if (model.setting) rows.push(["Local model", `${model.setting} (not used while endpoints are listed)`]);
    } else {
        rows.push(["Model", model.setting ? model.setting : "none: the extractive engine answers"]);
        if (model.loaded) rows.push(["Loaded", model.loaded]);
        else if (model.unavailable) rows.push(["Unavailable", `${model.unavailable} (the extractive engine answers)`]);
        rows.push(["GPU", model.gpu]);
        rows.push(["Context", model.contextSize ? `${model.contextSize} tokens` : "model default (at most 4096)"]);
        rows.push(["H2O", model.h2o.enabled ? `on: window ${model.h2o.windowLength}, heavy hitters ${model.h2o.heavyHitters}` : "off"]);
        const tokensPerSecond = metrics?.generatedTokensPerSecond ?? state.lastTokensPerSecond;
        if (tokensPerSecond) rows.push(["Last generation", `${tokensPerSecond.toFixed(1)} tokens/s`]);
    }
    if (metrics?.vramTotalBytes) rows.push(["VRAM", `${formatBytes(metrics.vramUsedBytes ?? 0)} of ${formatBytes(metrics.vramTotalBytes)}`]);
    if (metrics?.serverRssBytes) rows.push(["Server memory", formatBytes(metrics.serverRssBytes)]);
    if (metrics?.inferenceRssBytes) rows.push(["Inference memory", formatBytes(metrics.inferenceRssBytes)]);
    const table = ["| | |", "|---|---|", ...rows.map(([key, value]) => `| ${escapeCell(key)} | ${escapeCell(value)} |`)].join("\n");
    const markdown = new vscode.MarkdownString(`**LlamaHome**\n\n${table}\n\nClick to open the dashboard.`);
    markdown.supportThemeIcons = true;
    return markdown;
}

function escapeCell(text: string): string {
    return text.replace(/[|\\`*_[\]<>]/g, (c) => `\\${c}`).replace(/\r?\n/g, " ");
}
