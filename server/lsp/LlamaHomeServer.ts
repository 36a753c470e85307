import * as path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import {
    DidChangeWatchedFilesNotification,
    type CancellationToken,
    type Connection,
    type InitializeParams,
    type InitializeResult,
    TextDocumentSyncKind,
} from "vscode-languageserver/node";
import type { IndexState, IndexStatus, SearchHit, SearchParams, SearchResult } from "../../shared/protocol";
import { IndexStatusNotification } from "../../shared/protocol";
import { WorkspaceIndex } from "../core/WorkspaceIndex";
import { validateSettings, type LlamaHomeSettings } from "../settings";

interface InitializationOptions {
    /** Where indexes are persisted. Defaults to ~/.cache/llamahome/indexes. */
    cacheDir?: string;
}

interface Folder {
    uri: string;
    root: string;
    index: WorkspaceIndex;
}

/**
 * The language server's behaviour, behind the thin wiring in server.ts. Everything here delegates to
 * the core (WorkspaceIndex) that the CLI uses too.
 */
export class LlamaHomeServer {
    private folders: Folder[] = [];
    private folderUris: { uri: string; name: string }[] = [];
    private options: InitializationOptions = {};
    private supportsProgress = false;
    private supportsConfiguration = false;
    private supportsWatchRegistration = false;
    private state: IndexState = "idle";
    private message: string | undefined;
    private reindexTimer: NodeJS.Timeout | undefined;
    private settingsStale = false;
    private indexing: Promise<IndexStatus> | undefined;
    private readonly shutdownController = new AbortController();

    constructor(private readonly connection: Connection) {}

    initialize(params: InitializeParams): InitializeResult {
        this.options = (params.initializationOptions as InitializationOptions | undefined) ?? {};
        this.supportsProgress = params.capabilities.window?.workDoneProgress === true;
        this.supportsConfiguration = params.capabilities.workspace?.configuration === true;
        this.supportsWatchRegistration = params.capabilities.workspace?.didChangeWatchedFiles?.dynamicRegistration === true;
        this.folderUris =
            params.workspaceFolders?.map((folder) => ({ uri: folder.uri, name: folder.name })) ??
            (params.rootUri ? [{ uri: params.rootUri, name: path.basename(fileURLToPath(params.rootUri)) }] : []);
        return {
            capabilities: { textDocumentSync: TextDocumentSyncKind.None, workspace: { workspaceFolders: { supported: true } } },
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

    search(params: SearchParams): SearchResult {
        const top = Math.max(1, Math.min(params.top ?? 10, 200));
        const hits: SearchHit[] = [];
        for (const folder of this.folders) {
            for (const hit of folder.index.search(params.query, top)) {
                const { chunk } = hit;
                hits.push({
                    uri: pathToFileURL(path.join(folder.root, hit.path)).toString(),
                    path: this.folders.length > 1 ? `${path.basename(folder.root)}/${hit.path}` : hit.path,
                    score: hit.score,
                    snippet: hit.snippet,
                    ...(chunk.page ? { page: chunk.page } : {}),
                    ...(chunk.line
                        ? { line: chunk.line, range: { start: { line: chunk.line - 1, character: 0 }, end: { line: (chunk.endLine ?? chunk.line) - 1, character: 0 } } }
                        : {}),
                });
            }
        }
        hits.sort((a, b) => b.score - a.score);
        return { results: hits.slice(0, top) };
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
        this.filesChanged();
    }

    async shutdown(): Promise<void> {
        clearTimeout(this.reindexTimer);
        this.shutdownController.abort();
        await this.indexing?.catch(() => undefined);
        await Promise.all(this.folders.map((folder) => folder.index.dispose()));
        this.folders = [];
    }

    private async runIndexing(token?: CancellationToken): Promise<IndexStatus> {
        const controller = new AbortController();
        const abort = () => controller.abort();
        this.shutdownController.signal.addEventListener("abort", abort);
        const cancellation = token?.onCancellationRequested(abort);
        const progress = this.supportsProgress ? await this.connection.window.createWorkDoneProgress() : undefined;
        progress?.begin("LlamaHome: indexing", 0, "discovering files", true);
        const progressCancellation = progress?.token.onCancellationRequested(abort);
        this.setState("indexing");
        let state: IndexState = "indexed";
        let message: string | undefined;
        try {
            await this.openFolders();
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
        return this.status();
    }

    private async openFolders(): Promise<void> {
        const wanted = new Set(this.folderUris.map((folder) => folder.uri));
        const unchanged = this.folders.length === wanted.size && this.folders.every((folder) => wanted.has(folder.uri));
        if (unchanged && !this.settingsStale) return;
        this.settingsStale = false;
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
            this.folders.push({ uri, root, index });
        }
    }

    private async settingsFor(scopeUri: string): Promise<LlamaHomeSettings> {
        const raw = this.supportsConfiguration ? await this.connection.workspace.getConfiguration({ scopeUri, section: "llamahome" }) : undefined;
        return validateSettings(raw, (message) => this.connection.window.showWarningMessage(`LlamaHome: ${message}`));
    }

    private setState(state: IndexState, message?: string): void {
        this.state = state;
        this.message = message;
        void this.connection.sendNotification(IndexStatusNotification, this.status());
    }
}
