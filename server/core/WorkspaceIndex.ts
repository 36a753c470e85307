import * as path from "node:path";
import { Bm25Index } from "./Bm25Index";
import type { ChunkOptions } from "./chunk";
import { DisposedError } from "./DisposedError";
import { discoverFiles, type DiscoveredFile } from "./discover";
import { ExtractionPool, type ExtractionPoolOptions } from "./ExtractionPool";
import { formatForPath } from "./formats";
import { IndexStore, type RememberedFailure } from "./IndexStore";
import { makeSnippet } from "./snippet";
import type { Chunk, DocumentRecord, SkippedFile } from "./types";

export interface WorkspaceIndexOptions {
    /** Root under which the index is persisted. Defaults to ~/.cache/llamahome/indexes (outside the workspace). */
    cacheDir?: string;
    /** Extra gitignore-style exclude patterns. Defaults to none. */
    exclude?: readonly string[];
    /** Defaults to 50 MB. */
    maxFileSizeBytes?: number;
    chunk?: ChunkOptions;
    pool?: ExtractionPoolOptions;
    /** Receives one line when something noteworthy but not fatal happens (e.g. a corrupt index was rebuilt). */
    log?: (message: string) => void;
}

export interface UpdateOptions {
    signal?: AbortSignal;
    /** Called after each file with the number done and the total to do. */
    onProgress?: (done: number, total: number, path: string) => void;
}

export interface IndexReport {
    /** Documents indexed successfully (new and unchanged). */
    documents: number;
    chunks: number;
    failed: { path: string; error: string }[];
    skipped: SkippedFile[];
    formats: Record<string, number>;
    /** Files read and extracted this run. */
    extracted: number;
    /** Files whose previous extraction was reused. */
    reused: number;
    removed: number;
    ms: number;
}

export interface IndexHit {
    path: string;
    score: number;
    snippet: string;
    chunk: Chunk;
    document: DocumentRecord;
}

interface ChunkEntry {
    document: DocumentRecord;
    chunk: Chunk;
}

/**
 * The searchable index of one folder: discovers files, extracts them in a worker pool, ranks chunks
 * with BM25 and persists itself so the next run only re-reads files whose content changed.
 */
export class WorkspaceIndex {
    private readonly documents = new Map<string, DocumentRecord>();
    private readonly failures = new Map<string, RememberedFailure>();
    private readonly chunkIds = new Map<string, number[]>();
    private readonly chunks = new Map<number, ChunkEntry>();
    private readonly bm25 = new Bm25Index();
    private readonly store: IndexStore;
    private pool?: ExtractionPool;
    private nextChunkId = 0;
    private running: Promise<unknown> = Promise.resolve();
    private disposed = false;
    private lastSkipped: SkippedFile[] = [];

    private constructor(
        readonly root: string,
        private readonly options: WorkspaceIndexOptions,
    ) {
        this.store = new IndexStore(root, options.cacheDir);
    }

    /** Opens the index for `root`, loading what was persisted. A corrupt index file is discarded, not fatal. */
    static async open(root: string, options: WorkspaceIndexOptions = {}): Promise<WorkspaceIndex> {
        const index = new WorkspaceIndex(path.resolve(root), options);
        const loaded = await index.store.load();
        if (loaded.kind === "loaded") {
            for (const document of loaded.snapshot.documents) index.addDocument(document);
            for (const failure of loaded.snapshot.failures) index.failures.set(failure.path, failure);
            const invalid = loaded.snapshot.invalid;
            if (invalid?.length) {
                options.log?.(`The saved index at ${index.store.file} had ${invalid.length} damaged record(s) (${invalid.slice(0, 3).join(", ")}${invalid.length > 3 ? ", …" : ""}); those files are read again.`);
            }
        } else if (loaded.kind === "unreadable") {
            options.log?.(`The saved index at ${index.store.file} could not be read (${loaded.reason}); rebuilding it.`);
        }
        return index;
    }

    get cacheFile(): string {
        return this.store.file;
    }

    get documentCount(): number {
        return this.documents.size;
    }

    get chunkCount(): number {
        return this.chunks.size;
    }

    listDocuments(): DocumentRecord[] {
        return [...this.documents.values()];
    }

    getDocument(relativePath: string): DocumentRecord | undefined {
        return this.documents.get(relativePath);
    }

    /** A document's extracted text as the index holds it (its chunks, in order), for summaries. */
    documentText(relativePath: string): string | undefined {
        return this.documents.get(relativePath)?.chunks.map((chunk) => chunk.text).join("\n\n");
    }

    failureCount(): number {
        return [...this.failures.values()].filter((failure) => failure.outcome === "failed").length;
    }

    skippedCount(): number {
        return this.lastSkipped.length + [...this.failures.values()].filter((failure) => failure.outcome === "skipped").length;
    }

    /** Brings the index up to date with the folder. Runs one at a time; a second call waits for the first. */
    update(options: UpdateOptions = {}): Promise<IndexReport> {
        const run = this.running.then(() => this.runUpdate(options));
        this.running = run.catch(() => undefined);
        return run;
    }

    search(query: string, top = 10): IndexHit[] {
        if (this.disposed) throw new DisposedError("WorkspaceIndex");
        return this.bm25.search(query, top).map(({ id, score }) => {
            const entry = this.chunks.get(id)!;
            return { path: entry.document.path, score, snippet: makeSnippet(entry.chunk.text, query), chunk: entry.chunk, document: entry.document };
        });
    }

    /** How informative a search term is in this index (BM25 idf of the tokenized term). */
    termWeight(term: string): number {
        return this.bm25.idf(term);
    }

    async dispose(): Promise<void> {
        if (this.disposed) return;
        this.disposed = true;
        await this.running;
        await this.pool?.dispose();
    }

    async [Symbol.asyncDispose](): Promise<void> {
        await this.dispose();
    }

    private async runUpdate(options: UpdateOptions): Promise<IndexReport> {
        if (this.disposed) throw new DisposedError("WorkspaceIndex");
        const started = performance.now();
        const excludeDirs = this.options.cacheDir ? [path.resolve(this.options.cacheDir)] : [];
        const discovered = await discoverFiles(this.root, {
            exclude: this.options.exclude,
            maxFileSizeBytes: this.options.maxFileSizeBytes,
            excludeDirs,
            signal: options.signal,
        });
        const present = new Set(discovered.files.map((file) => file.path));
        let removed = 0;
        for (const known of [...this.documents.keys()]) {
            if (!present.has(known)) {
                this.removeDocument(known);
                removed++;
            }
        }
        for (const known of [...this.failures.keys()]) if (!present.has(known)) this.failures.delete(known);

        const toRead = discovered.files.filter((file) => {
            const previous = this.documents.get(file.path) ?? this.failures.get(file.path);
            // Failures are remembered like successes, by size + mtime: a file that timed out (60 s) or crashed its
            // worker is tried again when it changes, not on every run.
            return !previous || previous.size !== file.size || previous.mtimeMs !== file.mtimeMs;
        });
        let extracted = 0;
        let changed = removed > 0;
        let done = 0;
        if (toRead.length > 0) {
            this.pool ??= new ExtractionPool(this.options.pool);
            const pool = this.pool;
            await Promise.all(
                toRead.map(async (file) => {
                    const outcome = await pool.extract({
                        absolutePath: file.absolutePath,
                        format: formatForPath(file.path),
                        root: this.root,
                        ...(this.options.maxFileSizeBytes === undefined ? {} : { maxBytes: this.options.maxFileSizeBytes }),
                        knownHash: (this.documents.get(file.path) ?? this.failures.get(file.path))?.hash,
                        chunkOptions: this.options.chunk,
                    });
                    if (options.signal?.aborted || this.disposed) return;
                    changed = true;
                    if (outcome.kind !== "unchanged") extracted++;
                    this.applyOutcome(file, outcome);
                    options.onProgress?.(++done, toRead.length, file.path);
                }),
            );
        }
        if (changed && !this.disposed) await this.store.save({ documents: this.listDocuments(), failures: [...this.failures.values()] });
        options.signal?.throwIfAborted();

        this.lastSkipped = discovered.skipped;
        const formats: Record<string, number> = {};
        for (const document of this.documents.values()) formats[document.format] = (formats[document.format] ?? 0) + 1;
        const failures = [...this.failures.values()];
        return {
            documents: this.documents.size,
            chunks: this.chunks.size,
            failed: failures.filter((f) => f.outcome === "failed").map((f) => ({ path: f.path, error: f.error })),
            skipped: [...discovered.skipped, ...failures.filter((f) => f.outcome === "skipped").map((f) => ({ path: f.path, reason: f.error }))],
            formats,
            extracted,
            reused: discovered.files.length - extracted,
            removed,
            ms: Math.round(performance.now() - started),
        };
    }

    private applyOutcome(file: DiscoveredFile, outcome: Awaited<ReturnType<ExtractionPool["extract"]>>): void {
        switch (outcome.kind) {
            case "unchanged": {
                const previous = this.documents.get(file.path) ?? this.failures.get(file.path);
                if (previous) {
                    previous.size = file.size;
                    previous.mtimeMs = file.mtimeMs;
                }
                return;
            }
            case "extracted": {
                this.removeDocument(file.path);
                this.failures.delete(file.path);
                const { document } = outcome;
                this.addDocument({
                    path: file.path, size: file.size, mtimeMs: file.mtimeMs, hash: outcome.hash, format: document.format,
                    title: document.title, chunks: document.chunks, chars: document.chars, pages: document.pages,
                });
                return;
            }
            default:
                this.removeDocument(file.path);
                this.failures.set(file.path, {
                    path: file.path, error: outcome.reason, size: file.size, mtimeMs: file.mtimeMs, hash: outcome.hash, outcome: outcome.kind,
                });
        }
    }

    private addDocument(document: DocumentRecord): void {
        const ids: number[] = [];
        for (const chunk of document.chunks) {
            const id = this.nextChunkId++;
            this.chunks.set(id, { document, chunk });
            this.bm25.add(id, rankedText(document, chunk, ids.length));
            ids.push(id);
        }
        this.documents.set(document.path, document);
        this.chunkIds.set(document.path, ids);
    }

    private removeDocument(relativePath: string): void {
        const document = this.documents.get(relativePath);
        if (!document) return;
        const ids = this.chunkIds.get(relativePath) ?? [];
        ids.forEach((id, i) => {
            const entry = this.chunks.get(id)!;
            this.bm25.remove(id, rankedText(document, entry.chunk, i));
            this.chunks.delete(id);
        });
        this.documents.delete(relativePath);
        this.chunkIds.delete(relativePath);
    }
}

/** The text BM25 sees for a chunk: the first chunk also carries the title and file name, for queries that name the document. */
function rankedText(document: DocumentRecord, chunk: Chunk, position: number): string {
    return position === 0 ? `${document.title ?? ""} ${path.basename(document.path)} ${chunk.text}` : chunk.text;
}
