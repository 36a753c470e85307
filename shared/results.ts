// The saved results of `llamahome bench`, `llamahome needle` and `llamahome eval summaries` (and of the same runs made
// from the editor), as the server loads them and the dashboard draws them. Plain data: they are JSON on disk, cross
// the LSP connection and the webview's postMessage.

/** Which evaluation a saved result comes from; also its file name: latest-<kind>.json. */
export type ResultKind = "bench" | "needle" | "rouge" | "retrieval";

/** A saved run: when it was saved and what it measured. */
export interface SavedResult<T> {
    /** ISO 8601. */
    savedAt: string;
    result: T;
}

// ---- benchmark (llamahome bench) --------------------------------------------------------------------------------

/** Document processing figures of one format. */
export interface FormatFigures {
    format: string;
    documents: number;
    docsPerMinute: number;
    p50MsPerDoc: number;
    p95MsPerDoc: number;
}

/** Inference figures of one KV cache policy (median over the runs). */
export interface InferenceFigures {
    policy: string;
    iterations: number;
    timeToFirstTokenMs: number;
    promptTokensPerSecond: number;
    generatedTokensPerSecond: number;
    promptTokens: number;
    generatedTokens: number;
    inferenceRssBytes?: number;
    vramUsedBytes?: number;
    vramTotalBytes?: number;
    kvPeakCells?: number;
}

export interface BenchResult {
    environment: { cpu: string; cores: number; memoryBytes: number; platform: string; node: string; gpu?: string };
    documents: FormatFigures[];
    lsp: { iterations: number; searchP50Ms: number; searchP95Ms: number; hoverP50Ms: number; hoverP95Ms: number; serverRssBytes: number; documents: number };
    /** Present when a model was given. */
    inference?: InferenceFigures[];
    /** The whole run. */
    ms: number;
}

// ---- needle in a haystack (llamahome needle) ----------------------------------------------------------------------

export type NeedlePolicy = "full" | "h2o" | "query-aware" | "sink-window";

export interface NeedleCell {
    /** Prompt length in tokens: the haystack is sized so that haystack + needle + question fill it. */
    length: number;
    /** Where the needle sits, in percent of the haystack. */
    depth: number;
    policy: NeedlePolicy;
    /** Exact match: the share of the cell's needles whose answer contains the code (1 or 0 for a single needle). */
    score: number;
    /** 0–1 partial credit: the code's characters reproduced in order (mean over the needles). */
    overlap: number;
    /** Mean milliseconds per needle. */
    ms: number;
    /** Needles asked in this cell, each with its own haystack; absent for one. */
    trials?: number;
    /** The first needle's answer. */
    answer?: string;
    /** The longest prompt of the cell. */
    promptTokens?: number;
    kvBudget?: number;
    kvPeakCells?: number;
    evictedTokens?: number;
    /** node-llama-cpp's estimate of the context's memory (KV cache and compute buffers), in bytes. */
    contextMemoryBytes?: number;
    /** Why the cell did not run (e.g. the full cache does not fit the model's context). */
    skipped?: string;
}

/** Means over the cells of one policy that ran; skipped cells are counted apart. */
export interface NeedlePolicySummary {
    cells: number;
    exact: number;
    overlap: number;
    skipped: number;
}

export interface NeedleResult {
    /** The model as given (path or URI). */
    model: string;
    /** Needles per cell (absent: one). */
    trials?: number;
    /** The folder whose documents made the haystack. */
    haystack: string;
    lengths: number[];
    depths: number[];
    cells: NeedleCell[];
    /** By policy. */
    summary: Partial<Record<NeedlePolicy, NeedlePolicySummary>>;
    ms: number;
}

// ---- ROUGE of generated summaries (llamahome eval summaries) -------------------------------------------------------

export interface RougeMeasure {
    precision: number;
    recall: number;
    fmeasure: number;
}

/** A 95% bootstrap interval on the mean: mid is the median of the resampled means. */
export interface RougeInterval {
    low: RougeMeasure;
    mid: RougeMeasure;
    high: RougeMeasure;
}

export type RougeVariant = "rouge1" | "rouge2" | "rougeL" | "rougeLsum";

export interface RougePair extends Record<RougeVariant, RougeMeasure> {
    /** The document (a path relative to the dataset, or "line N" for an inline one). */
    path: string;
    engine: string;
    /** The generated summary. */
    candidate: string;
    ms: number;
}

export interface RougeResult {
    dataset: string;
    engine: string;
    model?: string;
    stem: boolean;
    pairs: RougePair[];
    aggregate: Record<RougeVariant, RougeInterval>;
}

// ---- retrieval (llamahome eval retrieval) --------------------------------------------------------------------------

/** Ranking figures over one relevance level: the right document, or the right place in it (its page, when given). */
export interface RankFigures {
    recallAt1: number;
    recallAt5: number;
    /** Mean reciprocal rank of the first relevant hit in the top 10. */
    mrr: number;
    ndcgAt10: number;
}

export interface RetrievalFigures {
    questions: number;
    document: RankFigures;
    place: RankFigures;
    /** Share of answered questions whose answer holds the expected phrase; absent when no question has one. */
    answerContains?: number;
    /** Share whose answer or one of its quoted passages (extractive answers quote 2–3) holds the phrase. */
    passagesContain?: number;
    answered?: number;
    searchP50Ms: number;
    searchP95Ms: number;
}

export interface RetrievalQuestionResult {
    /** The dataset's line. */
    line: number;
    question: string;
    path: string;
    page?: number;
    kind?: string;
    /** 1-based rank of the first hit in the right document / on the right page; absent when not in the hits. */
    rankDocument?: number;
    rankPlace?: number;
    /** Where the top hit was. */
    top?: { path: string; page?: number };
    searchMs: number;
    answer?: string;
    expected?: string;
    contains?: boolean;
    /** Whether one of the answer's quoted passages holds the phrase (extractive answers). */
    passagesContain?: boolean;
    /** A question no document answers (no ranks, no phrase): whether the answer said so rather than answer it. */
    refused?: boolean;
}

export interface RetrievalResult {
    dataset: string;
    /** Which retrieval ran: the weakest any question got (a model that failed leaves BM25). */
    retrieval: "bm25" | "bm25+rerank" | "hybrid" | "hybrid+rerank";
    /** With an embedding model: BM25 and vector rankings fused by reciprocal rank ("rrf") or a weighted sum ("convex"). */
    fusion?: "rrf" | "convex";
    /** The embedding model's GGUF and the reranker's, when set. */
    embeddingModel?: string;
    reranker?: string;
    /** Passages embedded for the run (all folders) and the rate; absent without an embedding model. */
    embedding?: { chunks: number; embedded: number; reused: number; chunksPerSecond: number };
    /** Why a configured model did not take part in some searches. */
    warning?: string;
    engine: string;
    model?: string;
    roots: { root: string; documents: number; failed: number }[];
    /** Figures of the questions a document answers (those no document answers are counted apart, below). */
    overall: RetrievalFigures;
    byKind: Record<string, RetrievalFigures>;
    /** Questions no document answers, and the share whose answer said so instead of answering; absent when none. */
    unanswerable?: { questions: number; refused: number };
    questions: RetrievalQuestionResult[];
    ms: number;
}

/** The result types by kind. */
export interface ResultTypes {
    bench: BenchResult;
    needle: NeedleResult;
    rouge: RougeResult;
    retrieval: RetrievalResult;
}

/**
 * A needle table the project measured and ships (media/needle-reference.json, made by `npm run needle:reference`):
 * the dashboard shows it beside the user's own runs, labelled as such.
 */
export interface NeedleReference extends SavedResult<NeedleResult> {
    title: string;
    /** What the table shows, in a sentence or two. */
    about: string;
    /** The command that measured it. */
    command: string;
}

/** The latest saved run of each kind; a kind never run (or whose file is unreadable) is absent. */
export type LatestResults = { [K in ResultKind]?: SavedResult<ResultTypes[K]> };
