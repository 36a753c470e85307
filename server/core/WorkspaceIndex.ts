import * as path from "node:path";
import type { ChunkOptions } from "./chunk";
import { DisposedError } from "./DisposedError";
import { discoverFiles, type DiscoveredFile } from "./discover";
import { ExtractionPool, type ExtractionPoolOptions } from "./ExtractionPool";
import { formatForPath } from "./formats";
import { IndexStore } from "./IndexStore";
import { Segment, SegmentFormatError, type EncodedPostings, type SegmentDocument } from "./Segment";
import { documentInfo as infoOf } from "./documentTable";
import { SegmentBuilder } from "./SegmentWriter";
import { TermTable } from "./termCounts";
import { makeSnippet } from "./snippet";
import { adjacencyDepth, adjacencyScorer, nameBonus, nameOnlyScorer, rerankDepth } from "./rerank";
import { compoundParts, tokenize } from "./tokenize";
import type { Chunk, DocumentInfo, DocumentRecord, RememberedFailure, SkippedFile } from "./types";

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
    /** What ranks the hit: BM25 plus the bonus for query words in the document's name. */
    score: number;
    /** Okapi BM25 alone. */
    bm25: number;
    snippet: string;
    chunk: Chunk;
    document: Omit<DocumentRecord, "chunks">;
}

/** A chunk as ranking sees it: where it is and what it scored, before its text is read. */
export interface RankedChunk {
    segment: Segment;
    /** The chunk's index in its segment. */
    chunk: number;
    score: number;
    /** Okapi BM25 alone; 0 for a chunk only the embedding model found. */
    bm25: number;
    /** The chunk, when ranking has read it already (adjacencyScorer's best 20): a hit takes it rather than read it again. */
    read?: Chunk;
}

interface Located {
    segment: Segment;
    doc: number;
    document: SegmentDocument;
    /** The last update whose walk found this file. */
    seen?: number;
}

/** A new segment is written when this much chunk text is waiting, or when the oldest change has waited this long. */
const flushTextBytes = 64 * 1024 * 1024;
const flushAfterMs = 15_000;
/** More segments than this are merged, smallest first; a segment with more than half its chunks deleted is rewritten. */
const maxSegments = 12;
/** Stored postings kept for repeated query terms (about 16M postings). */
const cachedPostingBytes = 32 * 1024 * 1024;
const k1 = 1.2;
const b = 0.75;

/**
 * The searchable index of one folder: discovers files, extracts them in a worker pool, ranks chunks with BM25 over
 * persisted segments (IndexStore) and re-reads only files whose content changed. Opening reads document metadata and
 * chunk tables, never the text: postings are read for the terms a query names, chunk text for the hits shown.
 */
export class WorkspaceIndex {
    private segments: Segment[] = [];
    private readonly documents = new Map<string, Located>();
    private readonly failures = new Map<string, RememberedFailure>();
    /** Updates run so far: each walk marks the documents it found with its number. */
    private walks = 0;
    private readonly store: IndexStore;
    private pool?: ExtractionPool;
    private running: Promise<unknown> = Promise.resolve();
    private disposed = false;
    private lastSkipped: SkippedFile[] = [];
    /** Set when the cache directory could not be written: segments then live in memory for this session. */
    private memoryOnly = false;
    private memorySegments = 0;
    /** Term ids shared by the extraction workers and the segment builders of this index. */
    private readonly terms = new TermTable();
    private readonly postingsCache = new Map<string, EncodedPostings | undefined>();
    private cachedBytes = 0;

    private constructor(
        readonly root: string,
        private readonly options: WorkspaceIndexOptions,
    ) {
        this.store = new IndexStore(root, options.cacheDir);
    }

    /** Opens the index for `root`, loading what was persisted. A corrupt index is rebuilt, not fatal. */
    static async open(root: string, options: WorkspaceIndexOptions = {}): Promise<WorkspaceIndex> {
        const index = new WorkspaceIndex(path.resolve(root), options);
        const loaded = await index.store.load();
        if (loaded.kind === "loaded") {
            for (const segment of loaded.segments) index.install(segment);
            for (const failure of loaded.failures) index.failures.set(failure.path, failure);
            const damaged = loaded.damaged;
            if (damaged.length) {
                options.log?.(`The saved index in ${index.store.directory} had ${damaged.length} damaged record(s) (${damaged.slice(0, 3).join(", ")}${damaged.length > 3 ? ", …" : ""}); those files are read again.`);
            }
        } else if (loaded.kind === "outdated") {
            options.log?.(`The saved index in ${index.store.directory} was written by an earlier LlamaHome; rebuilding it once in the new format.`);
        } else if (loaded.kind === "unreadable") {
            options.log?.(`The saved index in ${index.store.directory} could not be read (${loaded.reason}); rebuilding it.`);
        }
        return index;
    }

    /** Where the index is saved. */
    get cacheDirectory(): string {
        return this.store.directory;
    }

    get documentCount(): number {
        return this.documents.size;
    }

    get chunkCount(): number {
        return this.segments.reduce((sum, segment) => sum + segment.liveChunks, 0);
    }

    /** Segments search reads, for the benchmark and tests. */
    get segmentCount(): number {
        return this.segments.length;
    }

    listDocuments(): DocumentInfo[] {
        return [...this.documents.values()].map(({ document }) => infoOf(document));
    }

    /** A document's metadata, without reading its text. */
    documentInfo(relativePath: string): DocumentInfo | undefined {
        const located = this.documents.get(relativePath);
        return located && infoOf(located.document);
    }

    /** A document with its chunks (read from disk). */
    getDocument(relativePath: string): DocumentRecord | undefined {
        const located = this.documents.get(relativePath);
        if (!located) return undefined;
        const { chunkCount: _count, ...info } = infoOf(located.document);
        return { ...info, chunks: this.readSegment(located.segment, () => located.segment.documentChunks(located.document)) };
    }

    /** A document's extracted text as the index holds it (its chunks, in order), for summaries. */
    documentText(relativePath: string): string | undefined {
        const located = this.documents.get(relativePath);
        return located && this.readSegment(located.segment, () => located.segment.documentChunks(located.document)).map((chunk) => chunk.text).join("\n\n");
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

    /**
     * Okapi BM25 over every live chunk of every segment (k1 1.2, b 0.75), the best 40 then reordered with a bonus for
     * query words in the document's path or title (nameBonus) and, for the best 20, for the query's neighbouring words
     * side by side in the chunk (adjacencyScorer) and against query words it has only inside a name (nameOnlyScorer);
     * best first, ties in index order.
     */
    search(query: string, top = 10): IndexHit[] {
        return this.rankChunks(query, top).map((ranked) => this.hitFor(ranked, query));
    }

    /** search's ranking, reading the text of its best 20 chunks only (kept with them): the best `top` chunks with their scores. */
    rankChunks(query: string, top = 10): RankedChunk[] {
        if (this.disposed) throw new DisposedError("WorkspaceIndex");
        const tokens = tokenize(query);
        const compounds = this.compoundsOf(tokens);
        const adverbs = this.adverbsOf(tokens);
        const terms = [...new Set([...tokens, ...compounds.keys(), ...adverbs.keys()])];
        let n = 0;
        let totalLength = 0;
        for (const segment of this.segments) {
            n += segment.liveChunks;
            totalLength += segment.liveLength;
        }
        if (n === 0 || top <= 0 || terms.length === 0) return [];
        const averageLength = totalLength / n || 1;
        const lists = terms.map((term) => this.segments.map((segment) => this.postingsOf(segment, term)));
        const idfs = lists.map((perSegment) => this.idfOf(perSegment, n));
        // A compound stands in for its two words, not beside them: it weighs no more than the rarer of them (at its own
        // rarity, "passphrase" outranked the chunks that say "pass phrase" as the question does). Measured on the
        // retrieval benchmark: capped so, +2 right documents first and +2 right pages, none lost; uncapped or capped at
        // the two words' sum, +2 −2.
        terms.forEach((term, t) => {
            const parts = compounds.get(term);
            if (parts) idfs[t] = Math.min(idfs[t], Math.max(...parts.map((part) => idfs[terms.indexOf(part)] ?? 0)));
            // an adverb counts as its word, at no more than the word's rarity
            const word = adverbs.get(term);
            if (word) idfs[t] = Math.min(idfs[t], idfs[terms.indexOf(word)] ?? 0);
        });
        const best = new TopHits(Math.max(top, rerankDepth));
        this.segments.forEach((segment, s) => {
            // Rare terms touch few chunks: their scores go in a map, and no norm is computed nor score read for the other
            // chunks (a rare word's cold search of 20,000 notes spent ~17 ms scanning 113,000 scores and making their
            // norms, and ~7 ms faulting in the dense score array it did not need).
            const sparse = lists.reduce((sum, perSegment) => sum + (perSegment[s]?.count ?? 0), 0) * sparseRatio < segment.chunkCount;
            const norms = sparse ? undefined : segment.lengthNorms(k1, b, averageLength);
            const scores = sparse ? undefined : segment.scratch?.length === segment.chunkCount ? segment.scratch : (segment.scratch = new Float64Array(segment.chunkCount));
            const touched = new Map<number, number>();
            const live = segment.live;
            let any = false;
            lists.forEach((perSegment, t) => {
                const postings = perSegment[s];
                if (!postings) return;
                any = true;
                const weight = idfs[t] * (k1 + 1);
                // Decoded as it is scored: no arrays made per query, so a common word costs no garbage. The varints are
                // read inline rather than through PostingCursor: this loop is most of a query, and the cursor cost ~15%.
                const { bytes, count } = postings;
                let at = 0;
                let id = 0;
                for (let i = 0; i < count; i++) {
                    let byte = bytes[at++];
                    let delta = byte & 0x7f;
                    for (let shift = 7; byte & 0x80; shift += 7) delta += ((byte = bytes[at++]) & 0x7f) * 2 ** shift;
                    id += delta;
                    let tf = (byte = bytes[at++]) & 0x7f;
                    for (let shift = 7; byte & 0x80; shift += 7) tf += ((byte = bytes[at++]) & 0x7f) * 2 ** shift;
                    if (norms) scores![id] += (weight * tf) / (tf + norms[id]);
                    else if (scores) scores[id] += (weight * tf) / (tf + segment.lengthNorm(id, k1, b, averageLength));
                    else touched.set(id, (touched.get(id) ?? 0) + (weight * tf) / (tf + segment.lengthNorm(id, k1, b, averageLength)));
                }
                if (at !== bytes.length || id >= segment.chunkCount) {
                    throw this.discard(segment, new SegmentFormatError(`segment ${segment.id}: postings are damaged`));
                }
            });
            if (!any) return;
            if (!scores) {
                for (const [id, score] of touched) if (live[id]) best.offer(score, s, id);
                return;
            }
            // A scan of the dense score array is cheaper than remembering which chunks were touched.
            for (let id = 0; id < scores.length; id++) {
                const score = scores[id];
                if (score === 0) continue;
                scores[id] = 0;
                if (live[id]) best.offer(score, s, id);
            }
        });
        const idf = (term: string) => idfs[terms.indexOf(term)] ?? 0;
        const adjacency = adjacencyScorer(tokens, idf);
        const nameOnly = nameOnlyScorer(query, tokens, idf);
        const reranked = best.sorted().map(({ score, segment: s, id }, order) => {
            const segment = this.segments[s];
            const document = segment.documents[segment.chunkDocument[id]]!;
            const read = (adjacency || nameOnly) && order < adjacencyDepth ? this.chunkOf({ segment, chunk: id }) : undefined;
            const near = read ? (adjacency?.(read.text) ?? 0) - (nameOnly?.(read.text) ?? 0) : 0;
            return { score: score + near + nameBonus(terms, `${document.path} ${document.title ?? ""}`, idf), bm25: score, order, segment, chunk: id, read };
        });
        reranked.sort((x, y) => y.score - x.score || x.order - y.order);
        return reranked.slice(0, top).map(({ score, bm25, segment, chunk, read }) => ({ score, bm25, segment, chunk, ...(read ? { read } : {}) }));
    }

    /**
     * Pairs of neighbouring query words (letters only, three or more each) that the documents also write as one word:
     * "time zone" also finds "timezone", "file name" "filename", "user name" "username".
     */
    private compoundsOf(tokens: string[]): Map<string, [string, string]> {
        return new Map([...compoundParts(tokens)].filter(([compound]) => this.contains(compound)));
    }

    /**
     * The adverbs the documents make of the query's words ("periodically" for "periodic jobs", "accidentally" for "by
     * accident"), each with its word. Measured on the retrieval benchmark: +2 right documents and pages first, none lost
     * (at the word's idf or 0.8 of it; at half, +1). Other forms were measured and not kept: adding "-ed", "-d" or
     * "-ing" ("define" → "defined", "test" → "testing", Debian's distribution) lost an answer and a right document, base
     * forms ("executed" → "execute") a right document.
     */
    private adverbsOf(tokens: string[]): Map<string, string> {
        const adverbs = new Map<string, string>();
        const said = new Set(tokens);
        // a pasted page as a query looks up no more than this many words' adverbs: each is looked up in every segment
        const words = [...said].filter((word) => /^[a-z]{4,}$/.test(word)).slice(0, maxAdverbWords);
        for (const word of words) {
            for (const adverb of [`${word}ly`, `${word}ally`]) if (!said.has(adverb) && !adverbs.has(adverb) && this.contains(adverb)) adverbs.set(adverb, word);
        }
        return adverbs;
    }

    /** The hit for a ranked chunk: its text (read now), its document, and a snippet around the query's words. */
    hitFor(ranked: RankedChunk, query: string): IndexHit {
        const { segment, chunk: id } = ranked;
        const document = segment.documents[segment.chunkDocument[id]]!;
        const chunk = this.chunkOf(ranked);
        return { path: document.path, score: ranked.score, bm25: ranked.bm25, snippet: makeSnippet(chunk.text, query), chunk, document: withoutChunkRange(document) };
    }

    /** A ranked chunk's text and place: the one ranking read, or read now. */
    chunkOf({ segment, chunk: id, read }: Pick<RankedChunk, "segment" | "chunk" | "read">): Chunk {
        return read ?? this.readSegment(segment, () => segment.chunk(id));
    }

    /**
     * The chunks either side of a hit's in its document (undefined at the document's ends, or when the document changed
     * since the hit was found): an answer that starts in one chunk often ends in the next.
     */
    adjacentChunks(hit: Pick<IndexHit, "path" | "chunk" | "document">): { before?: Chunk; after?: Chunk } {
        const located = this.documents.get(hit.path);
        // another version's chunks would not continue this one's text
        if (!located || located.document.hash !== hit.document.hash) return {};
        const { segment, document } = located;
        return this.readSegment(segment, () => segment.adjacentChunks(document, hit.chunk.start));
    }

    /** The segments search reads, for the chunk vectors kept beside them (HybridSearch). */
    get liveSegments(): readonly Segment[] {
        return this.segments;
    }

    /** Whether any live chunk holds the (tokenized) term. */
    contains(term: string): boolean {
        return this.segments.some((segment, s) => this.liveCount(this.postingsOf(segment, term), s) > 0);
    }

    /** How informative a search term is in this index (BM25 idf of the tokenized term). */
    termWeight(term: string): number {
        const n = this.segments.reduce((sum, segment) => sum + segment.liveChunks, 0);
        return this.idfOf(this.segments.map((segment) => this.postingsOf(segment, term)), n);
    }

    async dispose(): Promise<void> {
        if (this.disposed) return;
        this.disposed = true;
        await this.running;
        await this.pool?.dispose();
        for (const segment of this.segments) segment.close();
        this.segments = [];
    }

    async [Symbol.asyncDispose](): Promise<void> {
        await this.dispose();
    }

    /**
     * A term's postings in a segment, through a cache of their stored bytes (~2 bytes a posting): the words people
     * search for recur, and reading a common word's list is much of a query's cost. Least recently used out first.
     */
    private postingsOf(segment: Segment, term: string): EncodedPostings | undefined {
        const key = `${segment.id}\u0000${term}`;
        const cache = this.postingsCache;
        if (cache.has(key)) {
            const hit = cache.get(key);
            cache.delete(key);
            cache.set(key, hit);
            return hit;
        }
        const postings = segment.encodedPostings(term);
        cache.set(key, postings);
        this.cachedBytes += postings?.bytes.length ?? 0;
        for (const [oldest, value] of cache) {
            if (this.cachedBytes <= cachedPostingBytes) break;
            cache.delete(oldest);
            this.cachedBytes -= value?.bytes.length ?? 0;
        }
        return postings;
    }

    /** BM25 idf from the live chunks holding the term in each segment; a term no chunk contains gets the highest weight. */
    private idfOf(perSegment: (EncodedPostings | undefined)[], n: number): number {
        const df = perSegment.reduce((sum, postings, s) => sum + this.liveCount(postings, s), 0);
        return Math.log(1 + (n - df + 0.5) / (df + 0.5));
    }

    /** How many of a term's postings in segment `s` are live chunks. */
    private liveCount(postings: EncodedPostings | undefined, s: number): number {
        if (!postings) return 0;
        const segment = this.segments[s];
        return segment.deleted.size === 0 && segment.damaged.length === 0 ? postings.count : countLive(postings, segment.live);
    }

    /** Runs a read of the segment; one that finds it damaged takes its documents out (see discard) and says so. */
    private readSegment<T>(segment: Segment, read: () => T): T {
        try {
            return read();
        } catch (error) {
            throw error instanceof SegmentFormatError ? this.discard(segment, error) : error;
        }
    }

    /**
     * A segment found damaged while it is read: its documents leave the index, so the next update reads their files
     * again and the segment, left with no live chunk, is dropped by the merge. The error says so.
     */
    private discard(segment: Segment, error: SegmentFormatError): SegmentFormatError {
        for (const [relative, located] of [...this.documents]) {
            if (located.segment !== segment) continue;
            segment.deleteDocument(located.doc);
            this.documents.delete(relative);
        }
        segment.scratch = undefined;
        return new SegmentFormatError(`${error.message}: its documents are read again at the next index (LlamaHome: Index Workspace, or llamahome index)`);
    }

    private install(segment: Segment): void {
        this.segments.push(segment);
        const documents = segment.documents;
        for (let doc = 0; doc < documents.length; doc++) {
            const document = documents[doc];
            if (!document || segment.deleted.has(doc)) continue;
            const previous = this.documents.get(document.path);
            // The same path live twice (a writer interrupted between segment and manifest): the later one wins.
            if (previous) previous.segment.deleteDocument(previous.doc);
            this.documents.set(document.path, { segment, doc, document });
        }
    }

    private async runUpdate(options: UpdateOptions): Promise<IndexReport> {
        if (this.disposed) throw new DisposedError("WorkspaceIndex");
        const started = performance.now();
        const excludeDirs = this.options.cacheDir ? [path.resolve(this.options.cacheDir)] : [];
        // Failures are remembered like successes, by size + mtime: a file that timed out (60 s) or crashed its worker is
        // tried again when it changes, not on every run. Files found as they were are only counted and marked seen.
        const walk = ++this.walks;
        const seenFailures = new Set<string>();
        let known = 0;
        const discovered = await discoverFiles(this.root, {
            exclude: this.options.exclude,
            maxFileSizeBytes: this.options.maxFileSizeBytes,
            excludeDirs,
            signal: options.signal,
            unchanged: (relative, size, mtimeMs) => {
                const located = this.documents.get(relative);
                const previous = located?.document ?? this.failures.get(relative);
                if (!previous) return false;
                known++;
                if (located) located.seen = walk;
                else seenFailures.add(relative);
                return previous.size === size && previous.mtimeMs === mtimeMs;
            },
        });
        const toRead = discovered.files;
        let removed = 0;
        let changed = false;
        // Paths are unique on both sides: when every known path was found, none vanished, and nothing is scanned.
        if (known < this.documents.size + this.failures.size) {
            for (const [relative, located] of [...this.documents]) {
                if (located.seen !== walk) {
                    located.segment.deleteDocument(located.doc);
                    this.documents.delete(relative);
                    removed++;
                    changed = true;
                }
            }
            for (const relative of [...this.failures.keys()]) {
                if (!seenFailures.has(relative)) {
                    this.failures.delete(relative);
                    changed = true;
                }
            }
        }
        let extracted = 0;
        let done = 0;
        // New documents go straight into a segment being built; it is written when big or old enough, and at the end.
        let building = new SegmentBuilder(this.terms);
        let since = performance.now();
        let flushing: Promise<void> = Promise.resolve();
        if (toRead.length > 0) {
            this.pool ??= new ExtractionPool({ ...this.options.pool, terms: this.terms });
            const pool = this.pool;
            await Promise.all(
                toRead.map(async (file) => {
                    const previous = this.documents.get(file.path)?.document ?? this.failures.get(file.path);
                    const outcome = await pool.extract({
                        absolutePath: file.absolutePath,
                        format: formatForPath(file.path),
                        root: this.root,
                        ...(this.options.maxFileSizeBytes === undefined ? {} : { maxBytes: this.options.maxFileSizeBytes }),
                        knownHash: previous?.hash,
                        chunkOptions: this.options.chunk,
                    });
                    if (options.signal?.aborted || this.disposed) return;
                    changed = true;
                    if (outcome.kind !== "unchanged") extracted++;
                    if (building.documentCount === 0) since = performance.now();
                    this.applyOutcome(file, outcome, building);
                    options.onProgress?.(++done, toRead.length, file.path);
                    if (building.textBytes >= flushTextBytes || (building.documentCount > 0 && performance.now() - since >= flushAfterMs)) {
                        const full = building;
                        building = new SegmentBuilder(this.terms);
                        flushing = flushing.then(() => this.flush(full));
                    }
                }),
            );
        }
        await flushing;
        if (changed && !this.disposed) {
            await this.flush(building);
            await this.merge();
        }
        options.signal?.throwIfAborted();

        this.lastSkipped = discovered.skipped;
        const formats: Record<string, number> = {};
        for (const { document } of this.documents.values()) formats[document.format] = (formats[document.format] ?? 0) + 1;
        const failures = [...this.failures.values()];
        return {
            documents: this.documents.size,
            chunks: this.chunkCount,
            failed: failures.filter((f) => f.outcome === "failed").map((f) => ({ path: f.path, error: f.error })),
            skipped: [...discovered.skipped, ...failures.filter((f) => f.outcome === "skipped").map((f) => ({ path: f.path, reason: f.error }))],
            formats,
            extracted,
            reused: discovered.files.length + discovered.unchanged - extracted,
            removed,
            ms: Math.round(performance.now() - started),
        };
    }

    private applyOutcome(file: DiscoveredFile, outcome: Awaited<ReturnType<ExtractionPool["extract"]>>, building: SegmentBuilder): void {
        const located = this.documents.get(file.path);
        switch (outcome.kind) {
            case "unchanged": {
                const failure = this.failures.get(file.path);
                if (failure) {
                    failure.size = file.size;
                    failure.mtimeMs = file.mtimeMs;
                } else if (located) {
                    // Same bytes, new size/mtime: the document moves to the next segment as it is (no extraction), so
                    // the next run does not read the file again.
                    const { chunkCount: _count, ...info } = infoOf(located.document);
                    building.add({ ...info, size: file.size, mtimeMs: file.mtimeMs, chunks: this.readSegment(located.segment, () => located.segment.documentChunks(located.document)) });
                }
                return;
            }
            case "extracted": {
                this.failures.delete(file.path);
                const { document } = outcome;
                building.add(
                    {
                        path: file.path, size: file.size, mtimeMs: file.mtimeMs, hash: outcome.hash, format: document.format,
                        title: document.title, outline: document.outline, chunks: document.chunks, chars: document.chars, pages: document.pages,
                    },
                    document.terms,
                );
                return;
            }
            default:
                if (located) {
                    located.segment.deleteDocument(located.doc);
                    this.documents.delete(file.path);
                }
                this.failures.set(file.path, {
                    path: file.path, error: outcome.reason, size: file.size, mtimeMs: file.mtimeMs, hash: outcome.hash, outcome: outcome.kind,
                });
        }
    }

    /** Makes a built segment searchable, replacing the old versions of its documents, and saves. */
    private async flush(building: SegmentBuilder): Promise<void> {
        if (this.disposed) return;
        // install() replaces each document's old version
        if (building.documentCount > 0) this.install(await this.persist(building));
        const retired = this.retireEmptySegments();
        await this.save();
        for (const segment of retired) segment.close();
    }

    /** Rewrites small or mostly-deleted segments as one, so search reads few segments and disk holds little dead text. */
    private async merge(): Promise<void> {
        const bySize = [...this.segments].sort((x, y) => x.bytes - y.bytes);
        const chosen = new Set(this.segments.filter((segment) => segment.liveChunks < segment.chunkCount / 2));
        for (let i = 0; this.segments.length - chosen.size + 1 > maxSegments && i < bySize.length; i++) chosen.add(bySize[i]);
        if (chosen.size < 2 && ![...chosen].some((segment) => segment.deleted.size > 0)) return;
        const builder = new SegmentBuilder(this.terms);
        const moved: string[] = [];
        for (const segment of chosen) {
            for (const [, document] of segment.liveDocuments()) {
                const { chunkCount: _count, ...info } = infoOf(document);
                builder.add({ ...info, chunks: this.readSegment(segment, () => segment.documentChunks(document)) });
                moved.push(document.path);
                // Yield now and then: a merge in the language server must not hold up hovers and searches for long.
                if (moved.length % 256 === 0) await new Promise((resolve) => setImmediate(resolve));
                if (this.disposed) return;
            }
        }
        const merged = await this.persist(builder);
        const first = Math.min(...[...chosen].map((segment) => this.segments.indexOf(segment)));
        this.segments = this.segments.filter((segment) => !chosen.has(segment));
        for (const path of moved) this.documents.delete(path);
        // The merged segment takes the place of the first one it replaces, so ties keep their order.
        const after = this.segments.splice(first);
        this.install(merged);
        this.segments.push(...after);
        await this.save();
        for (const segment of chosen) segment.close();
    }

    /** Drops segments with no live document from the list (the caller saves, then closes them). */
    private retireEmptySegments(): Segment[] {
        const empty = this.segments.filter((segment) => segment.liveDocuments().next().done);
        this.segments = this.segments.filter((segment) => !empty.includes(segment));
        return empty;
    }

    private async persist(builder: SegmentBuilder): Promise<Segment> {
        const data = builder.finish();
        if (!this.memoryOnly) {
            try {
                return Segment.open(this.store.directory, await this.store.writeSegment(data));
            } catch (error) {
                this.fallBackToMemory(error);
            }
        }
        return Segment.fromMemory(`memory-${++this.memorySegments}`, data);
    }

    private async save(): Promise<void> {
        if (this.memoryOnly || this.disposed) return;
        try {
            await this.store.commit(this.segments, [...this.failures.values()]);
        } catch (error) {
            this.fallBackToMemory(error);
        }
    }

    private fallBackToMemory(error: unknown): void {
        this.memoryOnly = true;
        this.options.log?.(`Could not save the index in ${this.store.directory} (${(error as Error).message}); searching from memory until LlamaHome restarts.`);
    }
}

/** The k best hits seen so far, in a binary heap whose root is the weakest of them. */
/** A segment's postings for a query fewer than 1/16 of its chunks are scored sparsely (see rankChunks). */
/** How many of a query's words adverbsOf looks up (two lookups each). */
const maxAdverbWords = 16;

const sparseRatio = 16;

class TopHits {
    private readonly heap: { score: number; segment: number; id: number }[] = [];

    constructor(private readonly k: number) {}

    offer(score: number, segment: number, id: number): void {
        const heap = this.heap;
        // the common case, decided without making a hit
        if (heap.length === this.k && score < heap[0]!.score) return;
        if (heap.length < this.k) {
            heap.push({ score, segment, id });
            this.up(heap.length - 1);
        } else if (weaker(heap[0], { score, segment, id })) {
            heap[0] = { score, segment, id };
            this.down(0);
        }
    }

    sorted(): { score: number; segment: number; id: number }[] {
        return [...this.heap].sort((x, y) => (weaker(x, y) ? 1 : weaker(y, x) ? -1 : 0));
    }

    private up(at: number): void {
        const heap = this.heap;
        while (at > 0) {
            const parent = (at - 1) >> 1;
            if (!weaker(heap[at], heap[parent])) return;
            [heap[at], heap[parent]] = [heap[parent], heap[at]];
            at = parent;
        }
    }

    private down(at: number): void {
        const heap = this.heap;
        for (;;) {
            const left = 2 * at + 1;
            const right = left + 1;
            let weakest = at;
            if (left < heap.length && weaker(heap[left], heap[weakest])) weakest = left;
            if (right < heap.length && weaker(heap[right], heap[weakest])) weakest = right;
            if (weakest === at) return;
            [heap[at], heap[weakest]] = [heap[weakest], heap[at]];
            at = weakest;
        }
    }
}

/** Lower score first; on equal scores the later chunk (index order) is the weaker. */
function weaker(x: { score: number; segment: number; id: number }, y: { score: number; segment: number; id: number }): boolean {
    if (x.score !== y.score) return x.score < y.score;
    return x.segment !== y.segment ? x.segment > y.segment : x.id > y.id;
}

/** How many of the postings point at live chunks (a segment with deletions). */
function countLive(postings: EncodedPostings, live: Uint8Array): number {
    let alive = 0;
    for (const cursor = new PostingCursor(postings); cursor.next(); ) alive += live[cursor.id];
    return alive;
}

/** Walks stored postings (varint chunk-id delta, varint frequency) one at a time, without making arrays. */
class PostingCursor {
    id = 0;
    /** The current posting's term frequency (read, not needed by every caller). */
    tf = 0;
    private at = 0;
    private left: number;
    private readonly bytes: Uint8Array;

    constructor({ bytes, count }: EncodedPostings) {
        this.bytes = bytes;
        this.left = count;
    }

    next(): boolean {
        if (this.left === 0) return false;
        this.left--;
        this.id += this.varint();
        this.tf = this.varint();
        return true;
    }

    // Most deltas and nearly all frequencies fit one byte: that case is decided first.
    private varint(): number {
        const bytes = this.bytes;
        let byte = bytes[this.at++];
        let value = byte & 0x7f;
        for (let shift = 7; byte & 0x80; shift += 7) {
            byte = bytes[this.at++];
            value += (byte & 0x7f) * 2 ** shift;
        }
        return value;
    }
}

function withoutChunkRange(document: SegmentDocument): Omit<DocumentRecord, "chunks"> {
    const { chunkCount: _count, ...info } = infoOf(document);
    return info;
}
