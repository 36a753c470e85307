import * as path from "node:path";
import type { RetrievalKind } from "../../shared/protocol";
import { ChunkVectors, type VectorModel } from "./ChunkVectors";
import { definedTerm, definitionDepth, definitionsFirst } from "./definitions";
import { fuseRankings, type Fusion } from "./fusion";
import type { Segment } from "./Segment";
import type { Chunk } from "./types";
import type { IndexHit, RankedChunk, WorkspaceIndex } from "./WorkspaceIndex";

/** Turns texts into unit-length vectors (RetrievalModels, in the inference child). */
export interface ChunkEmbedder {
    loadEmbedding(signal?: AbortSignal): Promise<VectorModel>;
    embed(texts: readonly string[], options?: { signal?: AbortSignal; priority?: "interactive" | "background" }): Promise<Float32Array[]>;
}

/** Scores how relevant each document is to a query, 0..1 (a cross-encoder reranker). */
export interface PassageRanker {
    rank(query: string, documents: readonly string[], signal?: AbortSignal): Promise<number[]>;
}

export type { RetrievalKind };

export interface HybridSearchOptions {
    embedder?: ChunkEmbedder;
    ranker?: PassageRanker;
    /** Defaults to "rrf". */
    fusion?: Fusion;
    /** One line when a model fails or saved vectors are dropped. */
    log?: (message: string) => void;
}

export interface SearchOutcome {
    hits: IndexHit[];
    retrieval: RetrievalKind;
    /** Why a configured model did not take part, or took part with only some chunks embedded. */
    warning?: string;
}

export interface EmbedReport {
    /** Live chunks of the index. */
    chunks: number;
    /** Chunks embedded by the model this run. */
    embedded: number;
    /** Chunks whose vector was already stored (same text, same model). */
    reused: number;
    ms: number;
    /** embedded / seconds spent embedding; 0 when nothing was embedded. */
    chunksPerSecond: number;
    model: string;
}

export interface EmbedOptions {
    signal?: AbortSignal;
    onProgress?: (done: number, total: number) => void;
}

/** Candidates each ranking contributes to the fusion. */
const fusionDepth = 50;
/** Fused hits the reranker reads (each costs one pass of the reranking model). */
export const rerankTop = 20;
/** Texts sent to the embedding model at a time; the vectors are saved at least this often (ms). */
const embedBatch = 32;
const saveEveryMs = 10_000;

/**
 * Search over one index with, when set, an embedding model (BM25 and cosine similarity fused) and a reranker (the
 * best fused hits reordered by it). Either model failing leaves BM25 answering, with a warning that says which failed.
 * Chunk vectors are made by embedChunks (after indexing, in the background) and kept in ChunkVectors beside the index.
 */
export class HybridSearch {
    private vectors?: ChunkVectors;
    private model?: VectorModel;
    /** Why the embedding model is not used until the next embedChunks; the reranker's likewise. */
    private embedderFailure?: string;
    private rankerFailure?: string;
    private readonly queryVectors = new Map<string, Float32Array>();
    private embedding?: Promise<EmbedReport | undefined>;

    constructor(
        readonly index: WorkspaceIndex,
        private readonly options: HybridSearchOptions = {},
    ) {}

    /** What a search runs when every configured model works. */
    get configured(): RetrievalKind {
        const base = this.options.embedder ? "hybrid" : "bm25";
        return this.options.ranker ? `${base}+rerank` : base;
    }

    /** Whether searches find passages by meaning now: an embedding model is set and has not failed to load. */
    get semantic(): boolean {
        return this.options.embedder !== undefined && this.embedderFailure === undefined;
    }

    /**
     * Embeds every live chunk that has no stored vector for this model (a chunk whose text was embedded before is
     * reused), saving as it goes; undefined without an embedding model. Concurrent calls share one run. Throws when the
     * model cannot be loaded (search then runs BM25 and says why).
     */
    embedChunks(options: EmbedOptions = {}): Promise<EmbedReport | undefined> {
        if (!this.options.embedder) return Promise.resolve(undefined);
        this.embedding ??= this.runEmbedding(options).finally(() => (this.embedding = undefined));
        return this.embedding;
    }

    /**
     * This search as what answers are drawn from (the Assistant's Retriever, by shape: core does not import assist):
     * each search's outcome goes to `onOutcome` (which retrieval ran, why a model was left out).
     */
    retriever(options: { signal?: AbortSignal; onOutcome?: (outcome: SearchOutcome) => void } = {}): {
        search(query: string, top: number): Promise<IndexHit[]>;
        termWeight(term: string): number;
        contains(term: string): boolean;
        adjacentChunks(hit: IndexHit): { before?: Chunk; after?: Chunk };
        readonly semantic: boolean;
    } {
        const hybrid = this;
        const { index } = this;
        return {
            async search(query, top) {
                const outcome = await hybrid.search(query, top, options.signal);
                options.onOutcome?.(outcome);
                return outcome.hits;
            },
            termWeight: (term) => index.termWeight(term),
            contains: (term) => index.contains(term),
            adjacentChunks: (hit) => index.adjacentChunks(hit),
            get semantic() {
                return hybrid.semantic;
            },
        };
    }

    async search(query: string, top: number, signal?: AbortSignal): Promise<SearchOutcome> {
        const warnings: string[] = [];
        // a question that asks what a term means reads deeper, for the passage that defines it (definitionsFirst, below)
        let ranked: readonly RankedChunk[] = this.index.rankChunks(query, Math.max(top, fusionDepth, definedTerm(query) ? definitionDepth : 0));
        let retrieval: RetrievalKind = "bm25";
        if (this.options.embedder && this.embedderFailure) warnings.push(this.embedderFailure);
        else if (this.options.embedder) {
            try {
                const fused = await this.fused(query, ranked, signal);
                ranked = fused.ranked;
                retrieval = "hybrid";
                if (fused.warning) warnings.push(fused.warning);
            } catch (error) {
                signal?.throwIfAborted();
                const message = `The embedding model failed (${firstLine(error)}); search used BM25 only.`;
                if (isLoadFailure(error)) this.embedderFailure = message;
                warnings.push(message);
            }
        }
        ranked = definitionsFirst(query, ranked, (item) => this.index.chunkOf(item).text);
        const ranker = this.options.ranker;
        let hits = ranked.slice(0, ranker && !this.rankerFailure ? Math.max(top, rerankTop) : top).map((item) => this.index.hitFor(item, query));
        if (ranker && this.rankerFailure) warnings.push(this.rankerFailure);
        else if (ranker && hits.length > 0) {
            try {
                const scores = await ranker.rank(query, hits.map(embeddingText), signal);
                hits = hits
                    .map((hit, order) => ({ hit: { ...hit, score: scores[order] ?? 0 }, order }))
                    .sort((x, y) => y.hit.score - x.hit.score || x.order - y.order)
                    .map(({ hit }) => hit);
                retrieval = retrieval === "hybrid" ? "hybrid+rerank" : "bm25+rerank";
            } catch (error) {
                signal?.throwIfAborted();
                const message = `The reranker failed (${firstLine(error)}); results are not reranked.`;
                if (isLoadFailure(error)) this.rankerFailure = message;
                warnings.push(message);
            }
        }
        return { hits: hits.slice(0, top), retrieval, ...(warnings.length ? { warning: warnings.join(" ") } : {}) };
    }

    /** BM25's ranking fused with the nearest chunk vectors to the query's. */
    private async fused(query: string, lexical: readonly RankedChunk[], signal?: AbortSignal): Promise<{ ranked: RankedChunk[]; warning?: string }> {
        const vectors = await this.loadVectors(signal);
        const queryVector = await this.queryVector(query, signal);
        const segments = this.index.liveSegments;
        // a passage at a right angle to the query (or opposite) shares nothing with it: not a candidate
        const near = vectors.nearest(queryVector, segments, Math.max(lexical.length, fusionDepth)).filter((item) => item.similarity > 0);
        const key = (segment: Segment, chunk: number) => `${segment.id}\u0000${chunk}`;
        const byKey = new Map<string, RankedChunk>();
        for (const item of lexical) byKey.set(key(item.segment, item.chunk), item);
        for (const item of near) {
            const k = key(item.segment, item.chunk);
            if (!byKey.has(k)) byKey.set(k, { segment: item.segment, chunk: item.chunk, score: 0, bm25: 0 });
        }
        const fused = fuseRankings(
            [lexical.map((item) => ({ key: key(item.segment, item.chunk), score: item.score })), near.map((item) => ({ key: key(item.segment, item.chunk), score: item.similarity }))],
            this.options.fusion ?? "rrf",
        );
        const ranked = fused.map(({ key: k, score }) => ({ ...byKey.get(k)!, score }));
        const { embedded, live } = vectors.coverage(segments);
        const warning = embedded < live ? `${live - embedded} of ${live} passages are not embedded yet (run Index Workspace, or wait for it to finish); those were found by BM25 alone.` : undefined;
        return { ranked, ...(warning ? { warning } : {}) };
    }

    private async queryVector(query: string, signal?: AbortSignal): Promise<Float32Array> {
        const cached = this.queryVectors.get(query);
        if (cached) return cached;
        const [vector] = await this.options.embedder!.embed([query], { signal, priority: "interactive" });
        this.queryVectors.set(query, vector);
        // a few recent queries: a follow-up question searches its words again
        if (this.queryVectors.size > 32) this.queryVectors.delete(this.queryVectors.keys().next().value!);
        return vector;
    }

    /** The stored vectors for the embedding model, loading the model (once) to learn which one it is. */
    private async loadVectors(signal?: AbortSignal): Promise<ChunkVectors> {
        const model = await this.options.embedder!.loadEmbedding(signal);
        if (!this.vectors || this.vectors.model.id !== model.id || this.vectors.model.dimension !== model.dimension) {
            if (this.model?.id !== model.id) this.queryVectors.clear();
            this.model = model;
            this.vectors = await ChunkVectors.load(this.index.cacheDirectory, model, this.options.log);
        }
        return this.vectors;
    }

    private async runEmbedding(options: EmbedOptions): Promise<EmbedReport> {
        const started = performance.now();
        this.embedderFailure = undefined;
        this.rankerFailure = undefined;
        let vectors: ChunkVectors;
        try {
            vectors = await this.loadVectors(options.signal);
        } catch (error) {
            options.signal?.throwIfAborted();
            this.embedderFailure = `The embedding model could not be loaded (${firstLine(error)}); search uses BM25 only until it is fixed (llamahome.embeddingModel).`;
            throw error;
        }
        const segments = [...this.index.liveSegments];
        const { embedded: before, live } = vectors.coverage(segments);
        let total = live - before;
        let embedded = 0;
        let reused = 0;
        let embedMs = 0;
        let savedAt = performance.now();
        let batch: { table: Int32Array; chunk: number; hash: Buffer; text: string }[] = [];
        const flush = async () => {
            if (batch.length === 0) return;
            const began = performance.now();
            const results = await this.options.embedder!.embed(batch.map((item) => item.text), { signal: options.signal, priority: "background" });
            embedMs += performance.now() - began;
            batch.forEach((item, i) => (item.table[item.chunk] = vectors.add(item.hash, results[i])));
            vectors.touch();
            embedded += batch.length;
            batch = [];
            options.onProgress?.(embedded + reused, total);
            if (performance.now() - savedAt >= saveEveryMs) {
                await vectors.save(this.index.liveSegments);
                savedAt = performance.now();
            }
        };
        try {
            for (const segment of segments) {
                const table = vectors.addressesOf(segment);
                const live = segment.live;
                for (let c = 0; c < table.length; c++) {
                    if (!live[c] || table[c] !== -1) continue;
                    options.signal?.throwIfAborted();
                    const text = embeddingText({ chunk: segment.chunk(c), document: segment.documents[segment.chunkDocument[c]]! });
                    const hash = ChunkVectors.hashOf(text);
                    const known = vectors.recordOf(hash);
                    if (known !== undefined) {
                        table[c] = known;
                        vectors.touch();
                        reused++;
                        continue;
                    }
                    batch.push({ table, chunk: c, hash, text });
                    if (batch.length >= embedBatch) await flush();
                }
            }
            await flush();
        } finally {
            // What was embedded is kept even when the run stops early (cancelled, the model failed): the next run resumes.
            // A segment merged away meanwhile is not saved; its chunks' vectors are found again by their hash.
            await vectors.save(this.index.liveSegments).catch((error: Error) => this.options.log?.(`The chunk vectors could not be saved (${error.message}); they are kept for this session.`));
        }
        total = vectors.coverage(this.index.liveSegments).live;
        return {
            chunks: total,
            embedded,
            reused,
            ms: Math.round(performance.now() - started),
            chunksPerSecond: embedded > 0 ? Math.round((embedded / embedMs) * 1000 * 10) / 10 : 0,
            model: this.model?.id ?? "",
        };
    }
}

/**
 * What is embedded (and reranked) for a chunk: its document's title or file name, then its text, so a passage that
 * never repeats its subject ("It must be…") still carries it.
 */
export function embeddingText(hit: { chunk: { text: string }; document: { path: string; title?: string } }): string {
    return `${hit.document.title ?? path.posix.basename(hit.document.path)}\n${hit.chunk.text}`;
}

function firstLine(error: unknown): string {
    return (error instanceof Error ? error.message : String(error)).split("\n")[0];
}

/** A model that cannot load fails every call alike; other failures (a child that died) may pass on the next one. */
function isLoadFailure(error: unknown): boolean {
    return error instanceof Error && (error.name === "ModelLoadError" || error.constructor.name === "ModelLoadError");
}
