import type { Connection, WorkDoneProgressServerReporter } from "vscode-languageserver/node";
import { MetricsNotification, ModelStatusNotification, type MetricsParams, type ModelStatusParams } from "../../shared/protocol";
import type { TextGenerator } from "../assist/TextGenerator";
import { createEndpointPool, createEngine, type EngineSettings, type RemoteEngineSettings } from "../llm/engineSettings";
import type { EndpointPool } from "../llm/remote/EndpointPool";
import { RemoteTextGenerator } from "../llm/remote/RemoteTextGenerator";
import type { InferenceProcess } from "../llm/InferenceProcess";
import { ProcessTextGenerator } from "../llm/ProcessTextGenerator";
import { formatBytes } from "../../shared/formatBytes";

export interface GeneratorChoice {
    generator?: TextGenerator;
    /** Set when a model is configured but could not be used; the extractive engine answers instead. */
    warning?: string;
}

/**
 * Owns the engine the settings configure: the inference process for a local model (started on first use, or at
 * once for a model chosen while the server runs, so one that cannot load says so when it is chosen; replaced when the
 * model settings change; a model that fails to load turned into one warning while the extractive engine keeps
 * answering), or the pool of llama.cpp servers of llamahome.endpoints (probed on every request while none is up, so a
 * server that comes back is used again). Reports metrics for either, and the local model's state
 * (ModelStatusNotification).
 */
export class ModelHost {
    private inference: InferenceProcess | undefined;
    private loaded: Promise<ProcessTextGenerator> | undefined;
    private settingsKey = "";
    private engine: EngineSettings | undefined;
    private failure: { key: string; message: string } | undefined;
    private metricsTimer: NodeJS.Timeout | undefined;
    private remote: RemoteEngineSettings | undefined;
    private pool: EndpointPool | undefined;
    private remoteGenerator: Promise<RemoteTextGenerator> | undefined;
    private remoteFailure: string | undefined;

    constructor(private readonly connection: Connection) {}

    /** Whether a model is configured (it may not be loaded yet, or have failed). */
    get configured(): boolean {
        return this.remote !== undefined || (this.engine !== undefined && this.failure?.key !== this.settingsKey);
    }

    /**
     * Applies the engine the settings configure (undefined: none); a different model, GPU, context size or KV budget
     * replaces the process on next use.
     */
    async configure(engine: EngineSettings | undefined, remote?: RemoteEngineSettings): Promise<void> {
        const key = JSON.stringify({ engine: engine ?? null, remote: remote ?? null });
        if (key === this.settingsKey) return;
        // The first configuration is the server starting: its model loads with the first question, keeping a start
        // that may only search light. Any later one is a choice the user just made, and they want to know it works.
        const chosen = this.settingsKey !== "";
        this.settingsKey = key;
        this.engine = remote ? undefined : engine;
        this.remote = remote;
        this.failure = undefined;
        this.remoteFailure = undefined;
        await this.stop();
        if (chosen && this.engine) void this.choose("background");
    }

    /** The generator for a request. `priority` puts editor requests ahead of background summaries. */
    async choose(priority: "interactive" | "background" = "interactive"): Promise<GeneratorChoice> {
        if (this.remote) return this.chooseRemote(this.remote, priority);
        if (!this.engine) return {};
        if (this.failure?.key === this.settingsKey) return { warning: this.failure.message };
        const key = this.settingsKey;
        const model = this.engine.model;
        try {
            const generator = await this.start(this.engine);
            return { generator: priority === "background" ? generator.background() : generator };
        } catch (error) {
            // Other settings came while this load ran (and stopped it): its failure says nothing about them.
            if (key !== this.settingsKey) return this.choose(priority);
            const reason = (error as Error).message;
            // Reported once per configuration (the client shows and logs it); every later request carries the
            // warning without retrying.
            if (this.failure?.key !== key) this.reportModel({ model, state: "unavailable", reason });
            this.failure = { key, message: `The model could not be loaded, so the extractive engine answered: ${reason}` };
            await this.stop();
            return { warning: this.failure.message };
        }
    }

    /** Sends a metrics sample now (after a generation) and keeps sending every 5 s while a model is loaded. */
    async reportMetrics(): Promise<void> {
        const sample: MetricsParams = { time: Date.now(), serverRssBytes: process.memoryUsage().rss };
        if (this.pool) {
            const endpoints = this.pool.status();
            const up = endpoints.find((e) => e.state === "up");
            Object.assign(sample, { endpoints, ...(up?.model ? { model: up.model } : {}) });
            const speeds = endpoints.filter((e) => e.tokensPerSecond !== undefined);
            if (speeds.length > 0) sample.generatedTokensPerSecond = Math.round(speeds.reduce((sum, e) => sum + e.tokensPerSecond!, 0) * 10) / 10;
        }
        const inference = this.inference;
        if (inference?.modelInfo) {
            const metrics = await inference.metrics().catch(() => undefined);
            if (metrics) {
                Object.assign(sample, {
                    model: inference.modelInfo.name ?? inference.modelInfo.path,
                    gpu: metrics.gpu === false ? "cpu" : metrics.gpu,
                    vramUsedBytes: metrics.vramUsedBytes,
                    vramTotalBytes: metrics.vramTotalBytes,
                    inferenceRssBytes: metrics.rssBytes,
                    kvCacheBytes: metrics.stateSizeBytes,
                    ...(metrics.lastGenerationTokensPerSecond ? { generatedTokensPerSecond: metrics.lastGenerationTokensPerSecond, promptTokensPerSecond: metrics.lastPromptTokensPerSecond } : {}),
                });
            }
        }
        void this.connection.sendNotification(MetricsNotification, sample);
    }

    async dispose(): Promise<void> {
        this.settingsKey = "disposed";
        this.engine = undefined;
        this.remote = undefined;
        await this.stop();
    }

    /**
     * The endpoint pool's generator. While no server is up every request probes them again (bounded by the probe
     * timeout), so nothing is cached as failed: the extractive engine answers, with the reason, until one comes back.
     */
    private async chooseRemote(remote: RemoteEngineSettings, priority: "interactive" | "background"): Promise<GeneratorChoice> {
        try {
            this.remoteGenerator ??= this.connectRemote(remote);
            const generator = await this.remoteGenerator;
            this.remoteFailure = undefined;
            return { generator: priority === "background" ? generator.background() : generator };
        } catch (error) {
            this.remoteGenerator = undefined;
            const message = (error as Error).message;
            if (this.remoteFailure !== message) {
                this.connection.console.error(`LlamaHome: ${message}`);
                void Promise.resolve(this.connection.window.showErrorMessage(`LlamaHome: ${message}`)).catch(() => undefined);
            }
            this.remoteFailure = message;
            void this.reportMetrics();
            return { warning: `${message}. The extractive engine answered.` };
        }
    }

    private async connectRemote(remote: RemoteEngineSettings): Promise<RemoteTextGenerator> {
        this.pool ??= createEndpointPool(remote, { onLog: (line) => this.connection.console.log(`[endpoints] ${line}`) });
        const generator = new RemoteTextGenerator(this.pool, await this.pool.start());
        clearInterval(this.metricsTimer);
        this.metricsTimer = setInterval(() => void this.reportMetrics(), 5000);
        this.metricsTimer.unref();
        return generator;
    }

    private start(engine: EngineSettings): Promise<ProcessTextGenerator> {
        if (!this.loaded) {
            const inference = createEngine(engine, {
                onLog: (line) => this.connection.console.log(`[inference] ${line}`),
                onDownloadProgress: (progress) => void this.reportDownload(progress.downloadedBytes, progress.totalBytes),
            });
            this.inference = inference;
            this.reportModel({ model: engine.model, state: "loading" });
            this.loaded = inference.load().then((info) => {
                if (this.inference === inference) this.reportModel({ model: engine.model, state: "loaded", name: info.name ?? info.path });
                clearInterval(this.metricsTimer);
                this.metricsTimer = setInterval(() => void this.reportMetrics(), 5000);
                this.metricsTimer.unref();
                return new ProcessTextGenerator(inference, info);
            }).finally(() => this.finishDownload());
        }
        return this.loaded;
    }

    private reportModel(status: ModelStatusParams): void {
        void this.connection.sendNotification(ModelStatusNotification, status);
    }

    private download: Promise<WorkDoneProgressServerReporter> | undefined;
    private downloadPercent = -1;

    /** A model URI being downloaded shows as work-done progress in the editor (a no-op where the client has none). */
    private async reportDownload(done: number, total: number | undefined): Promise<void> {
        // The downloader repeats its final event; a finished download must not open a new progress.
        if (total && done >= total && !this.download) return;
        const percent = total ? Math.floor((done / total) * 100) : 0;
        if (percent === this.downloadPercent && !(total && done >= total)) return;
        this.downloadPercent = percent;
        this.download ??= this.connection.window.createWorkDoneProgress().then((progress) => {
            progress.begin("LlamaHome: downloading the model", 0, this.engine?.model, false);
            return progress;
        });
        if (total && done >= total) {
            this.finishDownload();
            return;
        }
        const progress = await this.download;
        progress.report(percent, `${formatBytes(done)}${total ? ` / ${formatBytes(total)}` : ""}`);
    }

    /** Ends a download's progress however the load ended (a failed download must not leave a spinner). */
    private finishDownload(): void {
        const download = this.download;
        this.download = undefined;
        this.downloadPercent = -1;
        void download?.then((progress) => progress.done());
    }

    private async stop(): Promise<void> {
        clearInterval(this.metricsTimer);
        this.pool?.dispose();
        this.pool = undefined;
        this.remoteGenerator = undefined;
        const inference = this.inference;
        this.inference = undefined;
        this.loaded = undefined;
        await inference?.dispose();
    }
}
