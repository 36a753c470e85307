import { Assistant } from "../assist/Assistant";
import type { TextGenerator } from "../assist/TextGenerator";
import type { Fusion } from "../core/fusion";
import { HybridSearch, type ChunkEmbedder, type PassageRanker, type RetrievalKind } from "../core/HybridSearch";
import { WorkspaceIndex, type IndexHit } from "../core/WorkspaceIndex";
import type { RetrievalFigures, RetrievalQuestionResult, RetrievalResult } from "../../shared/results";
import { percentile } from "./percentile";
import type { RetrievalQuestion } from "./retrievalDataset";

export interface EvaluateRetrievalOptions {
    dataset: string;
    /** Where the folders' indexes are kept; WorkspaceIndex's default when absent. */
    cacheDir?: string;
    /** Hits ranked per question (the metrics look at the first 10). */
    searchTop?: number;
    /** Chunks an answer reads, as `llamahome ask --top`. */
    askTop?: number;
    signal?: AbortSignal;
    /** Hybrid retrieval: an embedding model (fused with BM25 by `fusion`, default rrf) and a reranker. Defaults to BM25. */
    embedder?: ChunkEmbedder & { readonly path?: string };
    ranker?: PassageRanker & { readonly path?: string };
    fusion?: Fusion;
    /** Names of the models for the saved result (their GGUF files). */
    modelNames?: { embedding?: string; reranker?: string };
    onQuestion?: (result: RetrievalQuestionResult) => void;
    log?: (message: string) => void;
}

/**
 * Runs a retrieval dataset: indexes each folder (incrementally), searches every question, finds the rank of the first
 * hit in the right document and of the first on the right page, and asks the question to see whether the answer holds
 * the expected phrase. Figures: recall@1/@5, MRR and nDCG@10 (one relevant place per question), answer-contains rate,
 * search latency p50/p95, overall and per kind of question; for questions no document answers, the share refused.
 */
export async function evaluateRetrieval(questions: RetrievalQuestion[], generator: TextGenerator | undefined, options: EvaluateRetrievalOptions): Promise<RetrievalResult> {
    const started = performance.now();
    const searchTop = Math.max(10, options.searchTop ?? 10);
    const assistant = new Assistant(generator);
    const results: RetrievalQuestionResult[] = [];
    const indexed: RetrievalResult["roots"] = [];
    const ran: RetrievalKind[] = [];
    const warnings = new Set<string>();
    const embedding = { chunks: 0, embedded: 0, reused: 0, seconds: 0 };
    for (const root of [...new Set(questions.map((q) => q.root))]) {
        const index = await WorkspaceIndex.open(root, { cacheDir: options.cacheDir, log: options.log });
        try {
            const report = await index.update();
            indexed.push({ root, documents: index.documentCount, failed: report.failed.length });
            const search = new HybridSearch(index, { embedder: options.embedder, ranker: options.ranker, fusion: options.fusion, log: options.log });
            if (options.embedder) {
                const embedded = await search.embedChunks({ signal: options.signal }).catch((error: Error) => void warnings.add(`Embedding failed: ${error.message.split("\n")[0]}`));
                if (embedded) {
                    embedding.chunks += embedded.chunks;
                    embedding.embedded += embedded.embedded;
                    embedding.reused += embedded.reused;
                    if (embedded.chunksPerSecond > 0) embedding.seconds += embedded.embedded / embedded.chunksPerSecond;
                }
            }
            const retriever = search.retriever({ signal: options.signal });
            for (const q of questions.filter((question) => question.root === root)) {
                options.signal?.throwIfAborted();
                const t0 = performance.now();
                const outcome = await search.search(q.question, searchTop, options.signal);
                const searchMs = performance.now() - t0;
                const hits = outcome.hits;
                ran.push(outcome.retrieval);
                if (outcome.warning) warnings.add(outcome.warning);
                if (q.unanswerable) {
                    const asked = await assistant.ask(retriever, q.question, options.askTop ?? 5, { signal: options.signal });
                    const result: RetrievalQuestionResult = {
                        line: q.line, question: q.question, path: "", ...(q.kind ? { kind: q.kind } : {}), searchMs: round(searchMs), answer: asked.answer, refused: !asked.found,
                    };
                    results.push(result);
                    options.onQuestion?.(result);
                    continue;
                }
                const elsewhere = (hit: IndexHit) => q.alsoIn?.includes(hit.path) === true;
                const inDocument = hits.findIndex((hit) => hit.path === q.path || elsewhere(hit));
                const onPage = hits.findIndex((hit) => (hit.path === q.path && (q.page === undefined || hit.chunk.page === q.page)) || elsewhere(hit));
                const asked = q.answer === undefined ? undefined : await assistant.ask(retriever, q.question, options.askTop ?? 5, { signal: options.signal });
                const result: RetrievalQuestionResult = {
                    line: q.line, question: q.question, path: q.path, ...(q.page !== undefined ? { page: q.page } : {}), ...(q.kind ? { kind: q.kind } : {}),
                    rankDocument: inDocument < 0 ? undefined : inDocument + 1,
                    rankPlace: onPage < 0 ? undefined : onPage + 1,
                    top: hits[0] ? { path: hits[0].path, ...(hits[0].chunk.page ? { page: hits[0].chunk.page } : {}) } : undefined,
                    searchMs: round(searchMs),
                    ...(asked && q.answer !== undefined ? {
                        answer: asked.answer, expected: q.answer, contains: containsPhrase(asked.answer, q.answer),
                        ...(asked.passages ? { passagesContain: asked.passages.some((passage) => containsPhrase(passage.text, q.answer!)) } : {}),
                    } : {}),
                };
                results.push(result);
                options.onQuestion?.(result);
            }
        } finally {
            await index.dispose();
        }
    }
    const unanswerable = results.filter((r) => r.refused !== undefined);
    const answerable = results.filter((r) => r.refused === undefined);
    const kinds = [...new Set(answerable.map((r) => r.kind).filter((kind): kind is string => kind !== undefined))].sort();
    return {
        dataset: options.dataset,
        retrieval: weakest(ran),
        ...(options.embedder ? { fusion: options.fusion ?? "rrf" } : {}),
        ...(options.modelNames?.embedding ? { embeddingModel: options.modelNames.embedding } : {}),
        ...(options.modelNames?.reranker ? { reranker: options.modelNames.reranker } : {}),
        ...(options.embedder ? { embedding: { chunks: embedding.chunks, embedded: embedding.embedded, reused: embedding.reused, chunksPerSecond: embedding.seconds > 0 ? round(embedding.embedded / embedding.seconds, 1) : 0 } } : {}),
        ...(warnings.size ? { warning: [...warnings].join(" ") } : {}),
        engine: generator ? "llm" : "extractive",
        ...(generator ? { model: generator.modelName } : {}),
        roots: indexed,
        overall: figures(answerable),
        byKind: Object.fromEntries(kinds.map((kind) => [kind, figures(answerable.filter((r) => r.kind === kind))])),
        ...(unanswerable.length ? { unanswerable: { questions: unanswerable.length, refused: round(unanswerable.filter((r) => r.refused).length / unanswerable.length, 4) } } : {}),
        questions: results,
        ms: Math.round(performance.now() - started),
    };
}

function weakest(kinds: readonly RetrievalKind[]): RetrievalKind {
    const order: RetrievalKind[] = ["bm25", "bm25+rerank", "hybrid", "hybrid+rerank"];
    return kinds.reduce<RetrievalKind>((low, kind) => (order.indexOf(kind) < order.indexOf(low) ? kind : low), kinds[0] ?? "bm25");
}

function figures(results: RetrievalQuestionResult[]): RetrievalFigures {
    const n = results.length || 1;
    const share = (test: (r: RetrievalQuestionResult) => boolean) => round(results.filter(test).length / n, 4);
    const within = (rank: number | undefined, k: number) => rank !== undefined && rank <= k;
    const mean = (value: (r: RetrievalQuestionResult) => number) => round(results.reduce((sum, r) => sum + value(r), 0) / n, 4);
    const reciprocal = (rank: number | undefined) => (rank !== undefined && rank <= 10 ? 1 / rank : 0);
    // One relevant place per question: the ideal DCG is 1, so nDCG@10 is the discounted gain of the first relevant hit.
    const ndcg = (rank: number | undefined) => (rank !== undefined && rank <= 10 ? 1 / Math.log2(rank + 1) : 0);
    const answered = results.filter((r) => r.contains !== undefined);
    const times = results.map((r) => r.searchMs);
    return {
        questions: results.length,
        document: { recallAt1: share((r) => within(r.rankDocument, 1)), recallAt5: share((r) => within(r.rankDocument, 5)), mrr: mean((r) => reciprocal(r.rankDocument)), ndcgAt10: mean((r) => ndcg(r.rankDocument)) },
        place: { recallAt1: share((r) => within(r.rankPlace, 1)), recallAt5: share((r) => within(r.rankPlace, 5)), mrr: mean((r) => reciprocal(r.rankPlace)), ndcgAt10: mean((r) => ndcg(r.rankPlace)) },
        ...(answered.length ? {
            answerContains: round(answered.filter((r) => r.contains).length / answered.length, 4),
            passagesContain: round(answered.filter((r) => r.contains || r.passagesContain).length / answered.length, 4),
            answered: answered.length,
        } : {}),
        searchP50Ms: round(percentile(times, 50)),
        searchP95Ms: round(percentile(times, 95)),
    };
}

/** Whether an answer states the expected phrase: case, whitespace, quotes and dashes do not matter. */
export function containsPhrase(answer: string, phrase: string): boolean {
    const normal = (text: string) => text.toLowerCase().replace(/[‘’]/g, "'").replace(/[“”]/g, '"').replace(/[‐‑‒–—]/g, "-").replace(/\s+/g, " ").trim();
    return normal(answer).includes(normal(phrase));
}

function round(value: number, digits = 2): number {
    const scale = 10 ** digits;
    return Math.round(value * scale) / scale;
}
