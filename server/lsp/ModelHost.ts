import type { Connection, WorkDoneProgressServerReporter } from "vscode-languageserver/node";
import { MetricsNotification, type MetricsParams } from "../../shared/protocol";
import type { TextGenerator } from "../assist/TextGenerator";
import { createEngine, type EngineSettings } from "../llm/engineSettings";
import type { InferenceProcess } from "../llm/InferenceProcess";
import { ProcessTextGenerator } from "../llm/ProcessTextGenerator";
import { formatBytes } from "../../shared/formatBytes";

export interface GeneratorChoice {
    generator?: TextGenerator;
    /** Set when a model is configured but could not be used; the extractive engine answers instead. */
    warning?: string;
}

/**
 * Owns the inference process for the configured model: starts it on first use, replaces it when the model
 * settings change, reports metrics, and turns a model that fails to load into one warning (the extractive
 * engine keeps answering) instead of a broken server.
 */
export class ModelHost {
    private inference: InferenceProcess | undefined;
    private loaded: Promise<ProcessTextGenerator> | undefined;
    private settingsKey = "";
    private engine: EngineSettings | undefined;
    private failure: { key: string; message: string } | undefined;
    private metricsTimer: NodeJS.Timeout | undefined;

    constructor(private readonly connection: Connection) {}

    /** Whether a model is configured (it may not be loaded yet, or have failed). */
    get configured(): boolean {
        return this.engine !== undefined && this.failure?.key !== this.settingsKey;
    }

    /**
     * Applies the engine the settings configure (undefined: none); a different model, GPU, context size or KV budget
     * replaces the process on next use.
     */
    async configure(engine: EngineSettings | undefined): Promise<void> {
        const key = JSON.stringify(engine ?? null);
        if (key === this.settingsKey) return;
        this.settingsKey = key;
        this.engine = engine;
        this.failure = undefined;
        await this.stop();
    }

    /** The generator for a request. `priority` puts editor requests ahead of background summaries. */
    async choose(priority: "interactive" | "background" = "interactive"): Promise<GeneratorChoice> {
        if (!this.engine) return {};
        if (this.failure?.key === this.settingsKey) return { warning: this.failure.message };
        try {
            const generator = await this.start(this.engine);
            return { generator: priority === "background" ? generator.background() : generator };
        } catch (error) {
            const message = `The model could not be loaded, so the extractive engine answered: ${(error as Error).message}`;
            // Reported once per configuration; every later request carries the warning without retrying.
            if (this.failure?.key !== this.settingsKey) void Promise.resolve(this.connection.window.showErrorMessage(`LlamaHome: ${(error as Error).message}`)).catch(() => undefined);
            this.failure = { key: this.settingsKey, message };
            await this.stop();
            return { warning: message };
        }
    }

    /** Sends a metrics sample now (after a generation) and keeps sending every 5 s while a model is loaded. */
    async reportMetrics(): Promise<void> {
        const sample: MetricsParams = { time: Date.now(), serverRssBytes: process.memoryUsage().rss };
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
        await this.stop();
    }

    private start(engine: EngineSettings): Promise<ProcessTextGenerator> {
        if (!this.loaded) {
            const inference = createEngine(engine, {
                onLog: (line) => this.connection.console.log(`[inference] ${line}`),
                onDownloadProgress: (progress) => void this.reportDownload(progress.downloadedBytes, progress.totalBytes),
            });
            this.inference = inference;
            this.loaded = inference.load().then((info) => {
                clearInterval(this.metricsTimer);
                this.metricsTimer = setInterval(() => void this.reportMetrics(), 5000);
                this.metricsTimer.unref();
                return new ProcessTextGenerator(inference, info);
            }).finally(() => this.finishDownload());
        }
        return this.loaded;
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
        const inference = this.inference;
        this.inference = undefined;
        this.loaded = undefined;
        await inference?.dispose();
    }
}
