import * as path from "node:path";
import {
    ErrorCodes,
    LSPErrorCodes,
    ResponseError,
    type CancellationToken,
    type Connection,
    type ProgressToken,
    type WorkDoneProgressReporter,
} from "vscode-languageserver/node";
import { ResultsChangedNotification, type RunBenchmarkParams, type RunNeedleParams } from "../../shared/protocol";
import type { BenchResult, LatestResults, NeedleCell, NeedleResult, ResultKind } from "../../shared/results";
import type { WorkspaceIndex } from "../core/WorkspaceIndex";
import { haystackTexts, runNeedlePolicies } from "../eval/needleRun";
import { loadLatestResults, saveResult } from "../eval/resultsStore";
import { runBench } from "../eval/runBench";
import { summarizeNeedleCells } from "../eval/runNeedleGrid";
import { boundedKv, createEngine, workspaceEngine, type EngineSettings } from "../llm/engineSettings";
import { readGgufFileHeader } from "../llm/gguf/readGgufFileHeader";
import type { InferenceProcess } from "../llm/InferenceProcess";
import { resolveModelSource } from "../llm/resolveModelSource";
import type { LlamaHomeSettings } from "../../shared/settings";
import { signalFor } from "./cancellation";
import { formatBytes } from "../../shared/formatBytes";
import { errorMessage } from "../../shared/errorMessage";

/** `llamahome bench --corpus small`: 500 Markdown notes, 60 DOCX and 30 PDFs, about 15 s on two cores. */
const smallCorpus = { text: 500, docx: 60, pdf: 30 };
const defaultIterations = 100;
const defaultLengths = [2000, 8000, 32000];
const defaultDepths = [10, 50, 90];

type RunKind = Exclude<ResultKind, "rouge" | "retrieval">;

const runNames: Record<RunKind, string> = { bench: "the benchmark", needle: "the needle test" };

/** What the evaluation runs take from the language server, which owns the folders, their indexes and the settings. */
export interface EvaluationWorkspace {
    /** Whether the client shows work-done progress that the server creates. */
    readonly supportsProgress: boolean;
    /** The first workspace folder's path; relative model paths are relative to it. */
    readonly firstRoot: string | undefined;
    /** The first folder's settings (model settings are per window; the server reports bad values when it applies them). */
    firstFolderSettings(): Promise<LlamaHomeSettings>;
    /** The first folder's index, brought up to date; undefined when no folder is open. */
    firstFolderIndex(signal: AbortSignal): Promise<WorkspaceIndex | undefined>;
}

/**
 * The editor's benchmark and needle-in-a-haystack runs, and the latest saved results for the dashboard. The same core
 * as `llamahome bench` and `llamahome needle` (runBench, runNeedleGrid, the results store), fed from the editor's
 * settings and workspace folders instead of flags. One run at a time; each reports work-done progress, stops when its
 * request is cancelled, and saves its result (then tells the client, so an open dashboard updates).
 */
export class EvaluationService {
    private running: { kind: RunKind; controller: AbortController; settled: Promise<unknown> } | undefined;
    private disposed = false;

    constructor(
        private readonly connection: Connection,
        private readonly workspace: EvaluationWorkspace,
    ) {}

    /** The latest saved results; a missing or unreadable file leaves its kind out (and logs why). */
    results(): Promise<LatestResults> {
        return loadLatestResults((problem) => this.connection.console.warn(problem));
    }

    /** `llamahome bench --corpus small` with the configured model (full cache, plus H2O when it is enabled). */
    runBenchmark(params: RunBenchmarkParams = {}, token?: CancellationToken): Promise<BenchResult> {
        const iterations = params.iterations ?? defaultIterations;
        if (!Number.isInteger(iterations) || iterations < 1 || iterations > 10_000) {
            return Promise.reject(new ResponseError(ErrorCodes.InvalidParams, `iterations must be a whole number from 1 to 10000 (got ${JSON.stringify(params.iterations)})`));
        }
        return this.exclusive("bench", "LlamaHome: benchmark", params.workDoneToken, token, async (signal, report) => {
            const settings = await this.workspace.firstFolderSettings();
            const engine = this.engine(settings);
            const engines: { policy: string; process: InferenceProcess }[] = [];
            // runBench takes no signal: a cancelled run stops at its next phase (its log line), or at once while a
            // model generates, because the processes are killed.
            const killEngines = () => void Promise.all(engines.map((engine) => engine.process.dispose()));
            signal.addEventListener("abort", killEngines);
            try {
                if (engine) {
                    engines.push({ policy: "full", process: this.inference(engine) });
                    if (settings.h2o.enabled) engines.push({ policy: "h2o", process: this.inference({ ...engine, kv: boundedKv(settings.h2o, "h2o") }) });
                    for (const engine of engines) {
                        report(0, `loading ${path.basename(settings.model)} (${engine.policy})`);
                        const info = await engine.process.load(signal);
                        // Without the accumulator build the bounded cache runs sink-window; name what really ran.
                        if (info.kv) engine.policy = info.kv.policy;
                    }
                }
                const phases = 5 + engines.length; // corpus, three formats, LSP, one per engine
                let phase = 0;
                const result = await runBench({
                    iterations,
                    corpus: smallCorpus,
                    engines,
                    log: (line) => {
                        signal.throwIfAborted();
                        report(Math.round((100 * phase++) / phases), line.replace(/…$/, ""));
                    },
                });
                await this.save("bench", result);
                return result;
            } finally {
                signal.removeEventListener("abort", killEngines);
                await Promise.all(engines.map((engine) => engine.process.dispose()));
            }
        });
    }

    /**
     * `llamahome needle` on the configured model, the haystack made from the first workspace folder's documents: one
     * inference process per length with a context of the prompt length + the answer, lengths beyond the model's training context
     * skipped for the full cache; with H2O enabled, the same grid again with the bounded cache.
     */
    runNeedle(params: RunNeedleParams = {}, token?: CancellationToken): Promise<NeedleResult> {
        let lengths: number[], depths: number[], trials: number;
        try {
            lengths = integerList(params.lengths, defaultLengths, "lengths", 64, 1_048_576);
            depths = integerList(params.depths, defaultDepths, "depths", 0, 100);
            [trials] = integerList(params.trials === undefined ? undefined : [params.trials], [1], "trials", 1, 100);
        } catch (error) {
            return Promise.reject(error);
        }
        return this.exclusive("needle", "LlamaHome: needle in a haystack", params.workDoneToken, token, async (signal, report) => {
            const started = performance.now();
            const settings = await this.workspace.firstFolderSettings();
            const engine = this.engine(settings);
            if (!engine) {
                throw new ResponseError(ErrorCodes.InvalidRequest, "The needle test needs a model: choose one with “LlamaHome: Select Model” (the llamahome.model setting).");
            }
            report(0, "reading the haystack documents");
            const index = await this.workspace.firstFolderIndex(signal);
            if (!index) throw new ResponseError(ErrorCodes.InvalidRequest, "The needle test builds its haystack from the first workspace folder's documents: open a folder first.");
            // about 32 characters per token of the longest haystack
            const sources = haystackTexts(index, Math.max(...lengths) * 32);
            if (!sources) throw new ResponseError(ErrorCodes.InvalidRequest, `The needle test found no indexable text in ${index.root} to build its haystack from.`);

            report(0, `preparing ${path.basename(settings.model)}`);
            const model = await resolveModelSource(engine.model, {
                signal,
                onProgress: ({ downloadedBytes, totalBytes }) => report(0, `downloading the model: ${formatBytes(downloadedBytes)}${totalBytes ? ` of ${formatBytes(totalBytes)}` : ""}`),
            });
            const total = lengths.length * depths.length * (settings.h2o.enabled ? 3 : 1);
            let done = 0;
            const cells = await runNeedlePolicies({
                // H2O, then question-aware H2O (the needle's question as observation window), in the same budget
                policies: settings.h2o.enabled ? ["full", "h2o", "query-aware"] : ["full"],
                lengths, depths, sources, trials, signal,
                engine: (shape) => this.inference({ ...engine, model, ...shape }),
                budget: { windowLength: settings.h2o.windowLength, heavyHitters: settings.h2o.heavyHitters },
                // Known from the file's header: a context the model was not trained for is never allocated.
                trainContextSize: await readGgufFileHeader(model).then(trainContext, () => undefined),
                onCell: (cell) => report(Math.round((100 * (done += 1)) / total), describeCell(cell)),
            });
            // runNeedleGrid finishes a length's cells with the partial answers of cancelled generations.
            signal.throwIfAborted();
            const result: NeedleResult = { model: settings.model, haystack: index.root, lengths, depths, ...(trials > 1 ? { trials } : {}), cells, summary: summarizeNeedleCells(cells), ms: Math.round(performance.now() - started) };
            await this.save("needle", result);
            return result;
        });
    }

    /** Stops a run in progress and waits for it to end (its processes killed, nothing saved). Safe to call twice. */
    async shutdown(): Promise<void> {
        this.disposed = true;
        const running = this.running;
        running?.controller.abort();
        await running?.settled.catch(() => undefined);
    }

    /**
     * Runs `work` as the one evaluation in progress: with work-done progress (the client's token, else one the server
     * creates), aborted when the request is cancelled or the server shuts down. A cancelled run answers
     * RequestCancelled; a failure, one message naming what failed.
     */
    private async exclusive<R>(
        kind: RunKind,
        title: string,
        workDoneToken: ProgressToken | undefined,
        token: CancellationToken | undefined,
        work: (signal: AbortSignal, report: (percent: number, message: string) => void) => Promise<R>,
    ): Promise<R> {
        if (this.disposed) throw new ResponseError(ErrorCodes.InvalidRequest, "The server is shutting down.");
        if (this.running) {
            throw new ResponseError(ErrorCodes.InvalidRequest, `LlamaHome is already running ${runNames[this.running.kind]}: wait for it to finish, or cancel it, first.`);
        }
        const controller = new AbortController();
        const request = signalFor(token);
        const abort = () => controller.abort();
        request.signal.addEventListener("abort", abort);
        let settle = () => {};
        this.running = { kind, controller, settled: new Promise<void>((resolve) => (settle = resolve)) };
        let progress: WorkDoneProgressReporter | undefined;
        try {
            if (workDoneToken !== undefined) {
                progress = this.connection.window.attachWorkDoneProgress(workDoneToken);
            } else if (this.workspace.supportsProgress) {
                const created = await this.connection.window.createWorkDoneProgress();
                created.token.onCancellationRequested(abort);
                progress = created;
            }
            progress?.begin(title, 0, "starting", true);
            let last = 0;
            // Percentages only go up, whatever order the phases report in.
            const report = (percent: number, message: string) => progress?.report((last = Math.max(last, Math.min(100, percent))), message);
            const result = await work(controller.signal, report);
            this.connection.console.log(`${title}: done`);
            return result;
        } catch (error) {
            if (controller.signal.aborted) throw new ResponseError(LSPErrorCodes.RequestCancelled, `${runNames[kind]} was cancelled`);
            if (error instanceof ResponseError) throw error;
            this.connection.console.error(`${title} failed: ${(error as Error)?.stack ?? String(error)}`);
            throw new ResponseError(ErrorCodes.InternalError, `${capitalized(runNames[kind])} failed: ${errorMessage(error)}`);
        } finally {
            progress?.done();
            request.signal.removeEventListener("abort", abort);
            request.dispose();
            this.running = undefined;
            settle();
        }
    }

    private async save(kind: ResultKind, result: unknown): Promise<void> {
        const file = await saveResult(kind, result);
        this.connection.console.log(`saved ${file}`);
        void this.connection.sendNotification(ResultsChangedNotification, { kind });
    }

    /** The configured engine; a relative model path is relative to the first workspace folder. */
    private engine(settings: LlamaHomeSettings): EngineSettings | undefined {
        return workspaceEngine(settings, this.workspace.firstRoot ?? process.cwd());
    }

    private inference(engine: EngineSettings): InferenceProcess {
        return createEngine(engine, { onLog: (line) => this.connection.console.log(`[evaluation inference] ${line}`) });
    }
}

/** `<architecture>.context_length` from a GGUF header, if it has one. */
function trainContext(file: { get(key: string): { value: unknown } | undefined }): number | undefined {
    const architecture = file.get("general.architecture")?.value;
    const value = typeof architecture === "string" ? file.get(`${architecture}.context_length`)?.value : undefined;
    return typeof value === "number" ? value : typeof value === "bigint" ? Number(value) : undefined;
}

function integerList(given: unknown, fallback: number[], name: string, min: number, max: number): number[] {
    if (given === undefined) return fallback;
    if (!Array.isArray(given) || given.length === 0 || given.length > 32 || !given.every((value) => Number.isInteger(value) && value >= min && value <= max)) {
        throw new ResponseError(ErrorCodes.InvalidParams, `${name} must be a list of 1 to 32 whole numbers from ${min} to ${max} (got ${JSON.stringify(given)})`);
    }
    return [...given] as number[];
}

function describeCell(cell: NeedleCell): string {
    const where = `${cell.policy}, ${cell.length} tokens, depth ${cell.depth}%`;
    if (cell.skipped) return `${where}: skipped`;
    if (cell.trials) return `${where}: ${Math.round(cell.score * cell.trials)} of ${cell.trials} found`;
    return `${where}: ${cell.score ? "found" : `missed (overlap ${cell.overlap.toFixed(2)})`}`;
}


function capitalized(text: string): string {
    return text[0].toUpperCase() + text.slice(1);
}
