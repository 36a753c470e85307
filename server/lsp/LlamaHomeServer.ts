import * as path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import {
    DidChangeWatchedFilesNotification,
    ErrorCodes,
    MarkupKind,
    ResponseError,
    TextDocuments,
    type CancellationToken,
    type Connection,
    type Hover,
    type HoverParams,
    type InitializeParams,
    type InitializeResult,
    TextDocumentSyncKind,
} from "vscode-languageserver/node";
import { TextDocument } from "vscode-languageserver-textdocument";
import {
    IndexStatusNotification, StreamNotification, type AskDocumentParams, type AskDocumentResult, type AskParams, type AskResult, type IndexState,
    type IndexStatus, type SearchHit, type SearchParams, type SearchResult, type SourceTextParams, type SourceTextResult, type SummarizeParams,
    type SummarizeResult,
} from "../../shared/protocol";
import { Assistant, chatHistory, selectedText, type Retriever } from "../assist/Assistant";
import { answerFromDocument, DocumentTooLongError, kvFigures, QuestionTooLongError, type WholeDocument } from "../assist/documentAnswer";
import { extractiveSummary } from "../assist/extractiveSummary";
import { summaryLead } from "../assist/structuredSummary";
import { defaultMaxFileSizeBytes } from "../core/discover";
import { readRegularFile } from "../core/readRegularFile";
import { DocumentReadError, readWholeDocument } from "../core/readWholeDocument";
import { sourceView } from "../core/sourceView";
import type { OutlineEntry } from "../core/types";
import { HybridSearch, type RetrievalKind, type SearchOutcome } from "../core/HybridSearch";
import { WorkspaceIndex, type IndexHit } from "../core/WorkspaceIndex";
import type { TextGenerator } from "../assist/TextGenerator";
import { boundedKv, workspaceEngine, type EngineSettings, type RemoteEngineSettings } from "../llm/engineSettings";
import { AllEndpointsDownError } from "../llm/remote/EndpointError";
import { validateSettings, type LlamaHomeSettings } from "../../shared/settings";
import { signalFor } from "./cancellation";
import type { EvaluationWorkspace } from "./EvaluationService";
import { headingSectionAt, linkAt } from "./hoverTargets";
import { codeSpan, escapeMarkdown } from "./markdown";
import { ModelHost } from "./ModelHost";
import { RetrievalHost } from "./RetrievalHost";
import { SummaryCache } from "./SummaryCache";
import { formatBytes } from "../../shared/formatBytes";

interface InitializationOptions {
    /** Where indexes are persisted. Defaults to ~/.cache/llamahome/indexes. */
    cacheDir?: string;
    /** The API key for llamahome.endpoints, from the editor's secret storage. */
    endpointApiKey?: string;
}

interface Folder {
    uri: string;
    root: string;
    index: WorkspaceIndex;
    /** Search over the index, hybrid and reranked when the settings name those models. */
    search: HybridSearch;
}

/**
 * The language server's behaviour, behind the thin wiring in server.ts. Everything here delegates to
 * the core (WorkspaceIndex) that the CLI uses too.
 */
export class LlamaHomeServer implements EvaluationWorkspace {
    private folders: Folder[] = [];
    private folderUris: { uri: string; name: string }[] = [];
    private options: InitializationOptions = {};
    private progressSupported = false;
    private supportsConfiguration = false;
    private supportsWatchRegistration = false;
    private state: IndexState = "idle";
    private message: string | undefined;
    private reindexTimer: NodeJS.Timeout | undefined;
    private settingsStale = false;
    /** The model settings a configuration change is applying; requests that pick an engine wait for it first. */
    private modelSettings: Promise<void> = Promise.resolve();
    private indexing: Promise<IndexStatus> | undefined;
    private readonly shutdownController = new AbortController();
    private readonly summaries = new SummaryCache();
    /** Open editors' contents, so hovers see unsaved text. */
    readonly documents = new TextDocuments(TextDocument);
    /** The configured language model; without one the extractive engine answers. */
    private readonly models: ModelHost;
    /** The embedding model and reranker the settings name, if any. */
    private readonly retrievalModels: RetrievalHost;
    /** Passages being embedded after an index run (in the background: search works meanwhile). */
    private embedding: Promise<void> | undefined;
    /** Stops the embedding run when the folders are reopened (it resumes, from what it saved, after the next index run). */
    private embeddingStop = new AbortController();
    private endpointApiKey: string | undefined;

    constructor(private readonly connection: Connection) {
        this.models = new ModelHost(connection);
        this.retrievalModels = new RetrievalHost((line) => connection.console.log(`[retrieval] ${line}`));
    }

    initialize(params: InitializeParams): InitializeResult {
        this.options = (params.initializationOptions as InitializationOptions | undefined) ?? {};
        this.endpointApiKey = typeof this.options.endpointApiKey === "string" && this.options.endpointApiKey ? this.options.endpointApiKey : undefined;
        this.progressSupported = params.capabilities.window?.workDoneProgress === true;
        this.supportsConfiguration = params.capabilities.workspace?.configuration === true;
        this.supportsWatchRegistration = params.capabilities.workspace?.didChangeWatchedFiles?.dynamicRegistration === true;
        this.folderUris =
            params.workspaceFolders?.map((folder) => ({ uri: folder.uri, name: folder.name })) ??
            (params.rootUri ? [{ uri: params.rootUri, name: path.basename(fileURLToPath(params.rootUri)) }] : []);
        return {
            capabilities: {
                textDocumentSync: TextDocumentSyncKind.Incremental,
                hoverProvider: true,
                workspace: { workspaceFolders: { supported: true } },
            },
            serverInfo: { name: "llamahome" },
        };
    }

    async initialized(): Promise<void> {
        if (this.supportsWatchRegistration) {
            await this.connection.client.register(DidChangeWatchedFilesNotification.type, { watchers: [{ globPattern: "**/*" }] });
        }
        await this.reindex();
    }

    /** Indexes every workspace folder, reporting work-done progress. Concurrent calls share one run. */
    reindex(token?: CancellationToken): Promise<IndexStatus> {
        this.indexing ??= this.runIndexing(token).finally(() => (this.indexing = undefined));
        return this.indexing;
    }

    async search(params: SearchParams, token?: CancellationToken): Promise<SearchResult> {
        const top = Math.max(1, Math.min(params.top ?? 10, 200));
        const { signal, dispose } = signalFor(token);
        const { hits, outcomes } = await this.searchFolders(params.query, top, signal).finally(dispose);
        const results: SearchHit[] = hits.map(({ folder, hit }) => {
            const { chunk } = hit;
            return {
                uri: pathToFileURL(path.join(folder.root, hit.path)).toString(),
                path: this.folders.length > 1 ? `${path.basename(folder.root)}/${hit.path}` : hit.path,
                score: hit.score,
                snippet: hit.snippet,
                offset: chunk.start,
                length: chunk.text.length,
                ...(chunk.page ? { page: chunk.page } : {}),
                ...(chunk.line
                    ? { line: chunk.line, range: { start: { line: chunk.line - 1, character: 0 }, end: { line: (chunk.endLine ?? chunk.line) - 1, character: 0 } } }
                    : {}),
            };
        });
        const warnings = [...new Set(outcomes.map((outcome) => outcome.warning).filter((warning): warning is string => !!warning))];
        return { results, retrieval: weakestRetrieval(outcomes.map((outcome) => outcome.retrieval)), ...(warnings.length ? { warning: warnings.join(" ") } : {}) };
    }

    /**
     * Every folder's search for a query, at once, and the best `top` hits with their folders: one folder's order is
     * kept as its ranking gave it, several folders' hits interleave by score.
     */
    private async searchFolders(query: string, top: number, signal: AbortSignal): Promise<{ hits: { folder: Folder; hit: IndexHit }[]; outcomes: SearchOutcome[] }> {
        const outcomes = await Promise.all(this.folders.map(async (folder) => ({ folder, ...(await folder.search.search(query, top, signal)) })));
        const hits = outcomes.flatMap(({ folder, hits: found }) => found.map((hit) => ({ folder, hit })));
        if (outcomes.length > 1) hits.sort((a, b) => b.hit.score - a.hit.score);
        return { hits: hits.slice(0, top), outcomes };
    }

    /** The indexed text of a workspace document (or one page of it), with a cited passage located in it. */
    sourceText(params: SourceTextParams): SourceTextResult {
        const located = typeof params?.uri === "string" ? this.locate(params.uri) : undefined;
        if (!located) throw new ResponseError(ErrorCodes.InvalidParams, "That file is not in a workspace folder; LlamaHome shows only the folders you opened.");
        const record = located.folder.index.getDocument(located.path);
        if (!record) throw new ResponseError(ErrorCodes.InvalidParams, `${located.path} is not indexed (yet): run “LlamaHome: Index Workspace”, or see the log for why it was skipped.`);
        const whole = (value: unknown) => (Number.isInteger(value) && (value as number) >= 0 ? (value as number) : undefined);
        const page = whole(params.page) || undefined;
        const view = sourceView(record.chunks, { page, offset: whole(params.offset), length: whole(params.length) });
        const name = path.posix.basename(located.path);
        return {
            title: page ? `${name} — page ${page}` : `${name} — text`,
            text: view.text || (page ? `(page ${page} of ${name} has no text LlamaHome could extract)` : `(${name} has no text LlamaHome could extract)`),
            ...(view.selection ? { selection: view.selection } : {}),
        };
    }

    /** Summarizes an indexed document, or a selection of a text document. Streams when asked to. */
    async summarize(params: SummarizeParams, token?: CancellationToken, priority: "interactive" | "background" = "interactive"): Promise<SummarizeResult> {
        const { signal, dispose } = signalFor(token);
        try {
            const located = this.locate(params.uri);
            let text: string | undefined;
            let title: string | undefined;
            let outline: OutlineEntry[] | undefined;
            if (params.range) {
                const document = await this.textDocument(params.uri);
                text = document?.getText(params.range);
            } else if (located) {
                const record = located.folder.index.documentInfo(located.path);
                text = located.folder.index.documentText(located.path);
                title = record?.title ?? path.basename(located.path);
                outline = record?.outline;
            }
            if (!text?.trim()) {
                throw new ResponseError(1, located ? "That document has no extractable text (see the index report for why)." : "That file is not in an indexed workspace folder.");
            }
            const stream = this.streamFor(params.streamId);
            const { result: summarized, warning } = await this.generating(priority, stream, (generator) => new Assistant(generator).summarize(text, { title, ...(outline ? { outline } : {}), signal, ...stream }));
            const { kv, ...rest } = summarized;
            const result: SummarizeResult = { ...rest, ...(kv ? { kv: kvFigures(kv) } : {}) };
            const record = located && !params.range ? located.folder.index.documentInfo(located.path) : undefined;
            if (record && !signal.aborted) this.summaries.set(`${located!.folder.root}/${record.path}`, record.hash, result);
            return warning ? { ...result, warning } : result;
        } finally {
            dispose();
        }
    }

    /** Answers from every workspace folder's documents, citing documents by URI and page/line. */
    async ask(params: AskParams, token?: CancellationToken): Promise<AskResult> {
        const { signal, dispose } = signalFor(token);
        try {
            const roots = new Map<IndexHit, Folder>();
            const kinds: RetrievalKind[] = [];
            const retriever: Retriever = {
                search: async (query, top) => {
                    const { hits, outcomes } = await this.searchFolders(query, top, signal);
                    kinds.push(...outcomes.map((outcome) => outcome.retrieval));
                    return hits.map(({ folder, hit }) => (roots.set(hit, folder), hit));
                },
                termWeight: (term) => Math.max(0, ...this.folders.map((folder) => folder.index.termWeight(term))),
                contains: (term) => this.folders.some((folder) => folder.index.contains(term)),
                adjacentChunks: (hit) => roots.get(hit)?.index.adjacentChunks(hit) ?? {},
                semantic: this.folders.some((folder) => folder.search.semantic),
            };
            if (typeof params?.question !== "string") throw new ResponseError(ErrorCodes.InvalidParams, "The question must be text.");
            // The chat view's conversation and the editor's selection: malformed parts are left out, never an error
            // (the last 3 well-formed turns, each turn and the selection cut to size).
            const history = chatHistory(params.history);
            const context = selectedText(params.context);
            const stream = this.streamFor(params.streamId);
            const top = Math.max(1, Math.min(typeof params.top === "number" && Number.isFinite(params.top) ? Math.floor(params.top) : 5, 50));
            const { result, warning } = await this.generating("interactive", stream, (generator) =>
                new Assistant(generator).ask(retriever, params.question, top, { signal, ...stream, history, ...(context === undefined ? {} : { context }) }),
            );
            const rootOf = (relative: string) => [...roots].find(([hit]) => hit.path === relative)?.[1] ?? this.folders[0];
            const { passages, ...answer } = result;
            return {
                ...answer,
                ...(kinds.length ? { retrieval: weakestRetrieval(kinds) } : {}),
                citations: answer.citations.map((citation) => ({ ...citation, uri: pathToFileURL(path.join(rootOf(citation.path).root, citation.path)).toString() })),
                ...(passages ? { passages: passages.map((passage) => ({ ...passage, uri: pathToFileURL(path.join(rootOf(passage.path).root, passage.path)).toString() })) } : {}),
                ...(warning ? { warning } : {}),
            };
        } finally {
            dispose();
        }
    }

    /**
     * Answers from one whole document of a workspace folder: through the bounded KV cache with question-aware eviction
     * when H2O is on (any length), else in the model's context (a document that does not fit is refused, not cut), or
     * extractively without a model.
     */
    async askDocument(params: AskDocumentParams, token?: CancellationToken): Promise<AskDocumentResult> {
        const { signal, dispose } = signalFor(token);
        try {
            if (typeof params.question !== "string" || !params.question.trim()) throw new ResponseError(1, "The question is empty.");
            const { folder, document } = await this.wholeDocument(params.uri);
            const stream = this.streamFor(params.streamId);
            const progress = params.workDoneToken === undefined ? undefined : this.connection.window.attachWorkDoneProgress(params.workDoneToken);
            progress?.begin(`LlamaHome: reading ${path.basename(document.path)}`, 0, "starting", true);
            const onProgress = (evaluated: number, total: number) =>
                progress?.report(Math.min(99, Math.floor((evaluated * 100) / Math.max(1, total))), `${evaluated.toLocaleString("en")} of ${total.toLocaleString("en")} tokens read`);
            let answered;
            try {
                answered = await this.generating("interactive", stream, (generator) => answerFromDocument(generator, document, params.question, { signal, ...stream, onProgress }));
            } catch (error) {
                if (error instanceof DocumentTooLongError || error instanceof QuestionTooLongError) throw new ResponseError(1, error.message);
                throw error;
            } finally {
                progress?.done();
            }
            const { warning } = answered;
            const { kv, passages, ...result } = answered.result;
            return {
                ...result,
                citations: result.citations.map((citation) => ({ ...citation, uri: pathToFileURL(path.join(folder.root, citation.path)).toString() })),
                ...(passages ? { passages: passages.map((passage) => ({ ...passage, uri: pathToFileURL(path.join(folder.root, passage.path)).toString() })) } : {}),
                ...(kv === undefined ? {} : { kv: kvFigures(kv) }),
                ...(warning ? { warning } : {}),
            };
        } finally {
            dispose();
        }
    }

    /**
     * A workspace document for a question about all of it: the index's extraction when it has one, else read now. The
     * file's real path (links resolved) must lie inside its workspace folder's real path.
     */
    private async wholeDocument(uri: string): Promise<{ folder: Folder; document: WholeDocument }> {
        const located = typeof uri === "string" ? this.locate(uri) : undefined;
        if (!located) throw new ResponseError(1, "That file is not in a workspace folder; LlamaHome reads only the folders you opened.");
        // The index holds only files discovery found inside the folder; anything else is read with the opened file's
        // real path checked against the folder's (readRegularFile).
        const record = located.folder.index.getDocument(located.path);
        const text = record?.chunks.map((chunk) => chunk.text).join("\n\n");
        if (record && text?.trim()) {
            return { folder: located.folder, document: { path: located.path, ...(record.title === undefined ? {} : { title: record.title }), text, record } };
        }
        try {
            return { folder: located.folder, document: await readWholeDocument(path.join(located.folder.root, located.path), located.path, { within: located.folder.root }) };
        } catch (error) {
            if (error instanceof DocumentReadError) throw new ResponseError(1, `${error.message}.`);
            throw error;
        }
    }

    /**
     * Hover on a link or path to an indexed document shows its summary; on a Markdown heading, a summary of
     * the section. Never waits for the model: it shows what is cached (or an extractive summary).
     */
    async hover(params: HoverParams): Promise<Hover | null> {
        const document = await this.textDocument(params.textDocument.uri);
        if (!document) return null;
        const lines = document.getText().split(/\r?\n/);
        const { line, character } = params.position;
        if (/\.(md|markdown|mdx)$/i.test(params.textDocument.uri) || document.languageId === "markdown") {
            const section = headingSectionAt(lines, line);
            if (section) {
                const summary = section.body ? extractiveSummary(section.body, { sentences: 3 }) : "(empty section)";
                return { contents: { kind: MarkupKind.Markdown, value: `**${escapeMarkdown(section.title)}** — section summary\n\n${escapeMarkdown(summary)}\n\n*extractive summary*` } };
            }
        }
        const link = linkAt(lines[line] ?? "", character);
        if (!link) return null;
        const target = link.target.startsWith("file:") ? fileURLToPath(link.target) : path.resolve(path.dirname(fileURLToPath(params.textDocument.uri)), link.target);
        const located = this.locate(pathToFileURL(target).toString());
        const record = located?.folder.index.documentInfo(located.path);
        if (!located || !record) return null;
        const key = `${located.folder.root}/${record.path}`;
        let cached = this.summaries.get(key, record.hash);
        if (!cached) {
            cached = { summary: extractiveSummary(located.folder.index.documentText(record.path) ?? "", { brief: true, ...(record.outline ? { outline: record.outline } : {}) }), engine: "extractive" };
            this.summaries.set(key, record.hash, cached);
        }
        // The hover never waits for the model; an LLM summary is made in the background for the next hover.
        if (cached.engine === "extractive" && this.models.configured) void this.summarize({ uri: pathToFileURL(target).toString() }, undefined, "background").catch(() => undefined);
        const extent = record.pages ? `${record.pages} page${record.pages === 1 ? "" : "s"}` : `${record.chars.toLocaleString("en")} characters`;
        // A hover is a glance: a title line, a few lines of summary and a link to the whole summary in the panel.
        const summarize = `command:llamahome.summarizeDocument?${encodeURIComponent(JSON.stringify([pathToFileURL(target).toString()]))}`;
        const value = [
            `**${escapeMarkdown(record.title ?? path.basename(record.path))}**`,
            `${record.format.toUpperCase()} · ${formatBytes(record.size)} · ${extent} · ${codeSpan(record.path)}`,
            "",
            // the summary's own title line (structuredSummary) is the hover's first line already
            escapeMarkdown(glance(summaryLead(cached.summary, record.title ?? path.basename(record.path)))),
            "",
            `${cached.engine === "llm" ? `*summary by ${escapeMarkdown(cached.model ?? "the local model")}*` : "*extractive summary*"} · [Summarize…](${summarize} "Summarize the whole document beside the editor")`,
        ].join("\n");
        return {
            contents: { kind: MarkupKind.Markdown, value },
            range: { start: { line, character: link.start }, end: { line, character: link.end } },
        };
    }

    status(): IndexStatus {
        let documents = 0, chunks = 0, failed = 0, skipped = 0;
        for (const { index } of this.folders) {
            documents += index.documentCount;
            chunks += index.chunkCount;
            failed += index.failureCount();
            skipped += index.skippedCount();
        }
        return { state: this.state, documents, chunks, failed, skipped, ...(this.message ? { message: this.message } : {}) };
    }

    /** File events are coalesced: a branch switch touching 500 files triggers one incremental update. */
    filesChanged(): void {
        clearTimeout(this.reindexTimer);
        this.reindexTimer = setTimeout(() => void this.reindex(), 300);
    }

    /** Settings are read when a folder's index is opened, so a change reopens the indexes with the new values. */
    configurationChanged(): void {
        this.settingsStale = true;
        // The engine follows at once (an Ask right after Select Model must use the model); the indexes follow with
        // the debounced re-index.
        this.modelSettings = this.modelSettings
            .then(async () => this.models.configure(...(await this.editorEngines())))
            .catch((error: Error) => this.connection.console.error(`LlamaHome: applying the model settings failed: ${error.message}`));
        this.filesChanged();
    }

    /**
     * Runs `work` with the generator the settings choose (undefined: the extractive engine), then reports metrics.
     * When every llama.cpp server went down during the request, the extractive engine answers instead, with the reason
     * as the warning, and the reader is told to discard what was streamed.
     */
    private async generating<T>(priority: "interactive" | "background", stream: { onRestart?: (reason: string) => void }, work: (generator: TextGenerator | undefined) => Promise<T>): Promise<{ result: T; warning?: string }> {
        await this.modelSettings;
        const { generator, warning } = await this.models.choose(priority);
        try {
            const result = await work(generator);
            return { result, ...(warning ? { warning } : {}) };
        } catch (error) {
            if (!(error instanceof AllEndpointsDownError)) throw error;
            stream.onRestart?.("no llama.cpp server answers; the extractive engine answers");
            return { result: await work(undefined), warning: `${error.message}. The extractive engine answered.` };
        } finally {
            if (generator) void this.models.reportMetrics();
        }
    }

    /** Streams a request's text to the client as StreamNotifications, when it asked for them. */
    private streamFor(streamId: string | undefined): { onText?: (text: string) => void; onRestart?: (reason: string) => void } {
        if (!streamId) return {};
        return {
            onText: (text) => void this.connection.sendNotification(StreamNotification, { streamId, text }),
            onRestart: (restart) => void this.connection.sendNotification(StreamNotification, { streamId, text: "", restart }),
        };
    }

    /** The API key for llamahome.endpoints changed (LlamaHome: Set Endpoint API Key); "" removes it. */
    setEndpointApiKey(apiKey: string): void {
        this.endpointApiKey = apiKey || undefined;
        this.modelSettings = this.modelSettings
            .then(async () => this.models.configure(...(await this.editorEngines())))
            .catch((error: Error) => this.connection.console.error(`LlamaHome: applying the endpoint settings failed: ${error.message}`));
    }

    async shutdown(): Promise<void> {
        clearTimeout(this.reindexTimer);
        this.shutdownController.abort();
        await this.indexing?.catch(() => undefined);
        await this.embedding;
        await Promise.all(this.folders.map((folder) => folder.index.dispose()));
        this.folders = [];
        await this.models.dispose();
        await this.retrievalModels.dispose();
    }

    private async runIndexing(token?: CancellationToken): Promise<IndexStatus> {
        const controller = new AbortController();
        const abort = () => controller.abort();
        this.shutdownController.signal.addEventListener("abort", abort);
        const cancellation = token?.onCancellationRequested(abort);
        const progress = this.progressSupported ? await this.connection.window.createWorkDoneProgress() : undefined;
        progress?.begin("LlamaHome: indexing", 0, "discovering files", true);
        const progressCancellation = progress?.token.onCancellationRequested(abort);
        this.setState("indexing");
        let state: IndexState = "indexed";
        let message: string | undefined;
        try {
            await this.openFolders();
            // an update may merge segments the embedding run is reading: it stops, and resumes after this run
            await this.stopEmbedding();
            for (const [i, folder] of this.folders.entries()) {
                await folder.index.update({
                    signal: controller.signal,
                    onProgress: (done, total, file) => {
                        const share = (i + done / total) / this.folders.length;
                        progress?.report(Math.round(share * 100), `${done}/${total} ${file}`);
                    },
                });
            }
        } catch (error) {
            [state, message] = controller.signal.aborted ? ["idle", "indexing cancelled"] : ["failed", (error as Error).message];
        } finally {
            // Progress ends before the status flips, so a client that sees "indexed" sees no open progress.
            progress?.done();
            progressCancellation?.dispose();
            cancellation?.dispose();
            this.shutdownController.signal.removeEventListener("abort", abort);
        }
        this.setState(state, message);
        if (state === "indexed") this.embedPassages();
        return this.status();
    }

    /** Stops the background embedding run at its next batch and waits for it; a later one may start afresh. */
    private async stopEmbedding(): Promise<void> {
        this.embeddingStop.abort();
        this.embeddingStop = new AbortController();
        await this.embedding;
    }

    /**
     * Embeds the passages that have no vector yet, in the background after an index run, with work-done progress (the
     * status bar). A model that fails is reported once here; searches then run BM25 and say why.
     */
    private embedPassages(): void {
        if (!this.folders.some((folder) => folder.search.configured.startsWith("hybrid"))) return;
        const previous = this.embedding ?? Promise.resolve();
        const stop = this.embeddingStop.signal;
        const run = previous.then(async () => {
            const signal = AbortSignal.any([this.shutdownController.signal, stop]);
            if (signal.aborted) return;
            const progress = this.progressSupported ? await this.connection.window.createWorkDoneProgress().catch(() => undefined) : undefined;
            progress?.begin("LlamaHome: embedding passages", 0, "loading the embedding model", false);
            try {
                for (const folder of this.folders) {
                    try {
                        const report = await folder.search.embedChunks({ signal, onProgress: (done, total) => progress?.report(Math.round((done / Math.max(1, total)) * 100), `${done}/${total} passages`) });
                        if (report && report.embedded > 0) this.connection.console.log(`LlamaHome: embedded ${report.embedded} passages of ${folder.root} (${report.chunksPerSecond} a second), ${report.reused} kept.`);
                    } catch (error) {
                        if (signal.aborted) return;
                        this.connection.console.error(`LlamaHome: embedding the passages of ${folder.root} failed: ${(error as Error).message}`);
                        void Promise.resolve(this.connection.window.showWarningMessage(`LlamaHome: the embedding model could not be used (${(error as Error).message.split("\n")[0]}); search uses BM25 alone. Check llamahome.embeddingModel.`)).catch(() => undefined);
                    }
                }
            } finally {
                progress?.done();
            }
        });
        this.embedding = run.finally(() => {
            if (this.embedding === tracked) this.embedding = undefined;
        });
        const tracked = this.embedding;
    }

    private async openFolders(): Promise<void> {
        const wanted = new Set(this.folderUris.map((folder) => folder.uri));
        const unchanged = this.folders.length === wanted.size && this.folders.every((folder) => wanted.has(folder.uri));
        if (unchanged && !this.settingsStale) return;
        this.settingsStale = false;
        await this.models.configure(...(await this.editorEngines()));
        const firstSettings = await this.settingsFor(this.folderUris[0]?.uri, () => undefined);
        // embedding runs over the old folders' indexes: it stops (at its next batch) before they close
        await this.stopEmbedding();
        const retrievalModels = await this.retrievalModels.configure(firstSettings, this.firstRoot ?? process.cwd());
        await Promise.all(this.folders.map((folder) => folder.index.dispose()));
        this.folders = [];
        for (const { uri } of this.folderUris) {
            if (!uri.startsWith("file:")) continue;
            const root = fileURLToPath(uri);
            const settings = await this.settingsFor(uri);
            const index = await WorkspaceIndex.open(root, {
                cacheDir: this.options.cacheDir,
                exclude: settings.index.exclude,
                maxFileSizeBytes: settings.index.maxFileSizeMB * 1024 * 1024,
                log: (message) => this.connection.console.warn(message),
            });
            const search = new HybridSearch(index, {
                ...(retrievalModels?.hasEmbeddingModel ? { embedder: retrievalModels } : {}),
                ...(retrievalModels?.hasReranker ? { ranker: retrievalModels } : {}),
                log: (message) => this.connection.console.warn(message),
            });
            this.folders.push({ uri, root, index, search });
        }
    }

    /** The workspace folder and relative path of a file URI, if it lies in an indexed folder. */
    private locate(uri: string): { folder: Folder; path: string } | undefined {
        if (!uri.startsWith("file:")) return undefined;
        let file: string;
        try {
            file = fileURLToPath(uri); // decodes once; refuses encoded separators
        } catch {
            return undefined;
        }
        for (const folder of this.folders) {
            const relative = path.relative(folder.root, file);
            if (relative && !relative.startsWith("..") && !path.isAbsolute(relative)) return { folder, path: relative.split(path.sep).join("/") };
        }
        return undefined;
    }

    /**
     * An open editor's text (what the client sent), else the file's text from disk — only for a regular file whose
     * real path lies in a workspace folder, read without blocking and within the index's size cap. Anything else
     * (outside the folders, through a link, a FIFO or device, too large): undefined.
     */
    private async textDocument(uri: string): Promise<TextDocument | undefined> {
        const open = this.documents.get(uri);
        if (open) return open;
        const located = this.locate(uri);
        if (!located) return undefined;
        const bytes = await readRegularFile(path.join(located.folder.root, located.path), { maxBytes: defaultMaxFileSizeBytes, within: located.folder.root }).catch(() => undefined);
        return bytes === undefined ? undefined : TextDocument.create(uri, "plaintext", 0, bytes.toString("utf8"));
    }

    /**
     * The engine the settings configure: per window, so the first folder's scope decides (and a relative model path
     * is relative to it). With H2O on, long documents are summarized in one pass within windowLength KV cells, and
     * questions about a whole document keep what the question attends to (query-aware; requests without a question
     * run H2O).
     */
    private async editorEngines(): Promise<[EngineSettings | undefined, RemoteEngineSettings | undefined]> {
        const settings = await this.settingsFor(this.folderUris[0]?.uri);
        const engine = workspaceEngine(settings, this.firstRoot ?? process.cwd());
        const remote = settings.endpoints.length === 0 ? undefined : {
            endpoints: settings.endpoints, timeoutSeconds: settings.endpointTimeout, ...(this.endpointApiKey ? { apiKey: this.endpointApiKey } : {}),
        };
        return [engine && settings.h2o.enabled ? { ...engine, kv: boundedKv(settings.h2o, "query-aware") } : engine, remote];
    }

    get supportsProgress(): boolean {
        return this.progressSupported;
    }

    get firstRoot(): string | undefined {
        const first = this.folderUris[0]?.uri;
        return first?.startsWith("file:") ? fileURLToPath(first) : undefined;
    }

    firstFolderSettings(): Promise<LlamaHomeSettings> {
        return this.settingsFor(this.folderUris[0]?.uri, () => undefined);
    }

    async firstFolderIndex(signal: AbortSignal): Promise<WorkspaceIndex | undefined> {
        await this.reindex();
        signal.throwIfAborted();
        return this.folders.find((folder) => folder.uri === this.folderUris[0]?.uri)?.index;
    }

    /** Settings as the client has them for a scope; each value it had to ignore is shown as a warning (by default). */
    private async settingsFor(
        scopeUri: string | undefined,
        // showWarningMessage is a request; a client that does not answer it must not take the server down.
        warn = (message: string) => void Promise.resolve(this.connection.window.showWarningMessage(`LlamaHome: ${message}`)).catch(() => undefined),
    ): Promise<LlamaHomeSettings> {
        const raw = this.supportsConfiguration ? await this.connection.workspace.getConfiguration({ scopeUri, section: "llamahome" }) : undefined;
        return validateSettings(raw, warn);
    }

    private setState(state: IndexState, message?: string): void {
        this.state = state;
        this.message = message;
        void this.connection.sendNotification(IndexStatusNotification, this.status());
    }
}

/** What a request over several folders ran: the least any folder ran (one without vectors makes it "bm25"). */
function weakestRetrieval(kinds: readonly RetrievalKind[]): RetrievalKind {
    const order: RetrievalKind[] = ["bm25", "bm25+rerank", "hybrid", "hybrid+rerank"];
    return kinds.length === 0 ? "bm25" : kinds.reduce((weakest, kind) => (order.indexOf(kind) < order.indexOf(weakest) ? kind : weakest));
}

/** The first sentences of a summary, about four hover lines (at most 360 characters, never less than one sentence). */
function glance(summary: string, maxChars = 360): string {
    const sentences = summary.match(/[^.!?]+(?:[.!?]+["')\]]*\s*|$)/g) ?? [summary];
    let shown = "";
    for (const sentence of sentences) {
        if (shown && shown.length + sentence.length > maxChars) return `${shown.trimEnd()} …`;
        shown += sentence;
    }
    return shown.length > maxChars * 1.5 ? `${shown.slice(0, maxChars).trimEnd()} …` : shown.trimEnd();
}
