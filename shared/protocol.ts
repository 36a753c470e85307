// The one place where LlamaHome's custom LSP messages are declared. Call sites import these
// objects; nobody spells a method string anywhere else.
import { NotificationType, RequestType, RequestType0, type WorkDoneProgressParams } from "vscode-languageserver-protocol";
import type { BenchResult, LatestResults, NeedleResult, ResultKind } from "./results";

/** A chunk of a document that matched a query. Paths are relative to the workspace folder. */
export interface SearchHit {
    uri: string;
    /** Path relative to the workspace folder, with forward slashes. */
    path: string;
    score: number;
    snippet: string;
    /** 1-based page, for paginated formats (PDF). */
    page?: number;
    /** 1-based first line of the chunk, for text formats. */
    line?: number;
    range?: { start: { line: number; character: number }; end: { line: number; character: number } };
    /** The chunk's place in the document's extracted text (see SourceTextRequest). */
    offset?: number;
    length?: number;
}

export interface SearchParams {
    query: string;
    /** Defaults to 10. */
    top?: number;
}

/**
 * Which retrieval ranked the hits: BM25 alone; fused with an embedding model's nearest passages ("hybrid", with
 * llamahome.embeddingModel); reordered by a reranking model ("+rerank", with llamahome.rerankerModel). A configured
 * model that fails is left out, and the result says so in `warning`.
 */
export type RetrievalKind = "bm25" | "bm25+rerank" | "hybrid" | "hybrid+rerank";

export interface SearchResult {
    results: SearchHit[];
    retrieval: RetrievalKind;
    /** Why a configured model did not take part (it failed to load), or passages not embedded yet. */
    warning?: string;
}

/** Client → server: search over the indexed workspace folders (BM25, hybrid with an embedding model, reranked). */
export const SearchRequest = new RequestType<SearchParams, SearchResult, void>("llamahome/search");

export type IndexState = "idle" | "indexing" | "indexed" | "failed";

export interface IndexStatus {
    state: IndexState;
    documents: number;
    chunks: number;
    failed: number;
    skipped: number;
    /** Human-readable detail, e.g. the error when state is "failed". */
    message?: string;
}

/** Server → client: the index changed state (start, finish, incremental update). */
export const IndexStatusNotification = new NotificationType<IndexStatus>("llamahome/indexStatus");

/** Client → server: re-scan every workspace folder now (e.g. the "Index Workspace" command). */
export const ReindexRequest = new RequestType0<IndexStatus, void>("llamahome/reindex");

/** Client → server: the current index status, for a status bar that starts after the server. */
export const IndexStatusRequest = new RequestType0<IndexStatus, void>("llamahome/getIndexStatus");

/** Where an answer's evidence is; `uri` opens it, `line`/`page` (1-based) say where. */
export interface CitationLocation {
    uri: string;
    path: string;
    page?: number;
    line?: number;
    /** Where the passage starts in the document's extracted text, and its length (see SourceTextRequest). */
    offset?: number;
    length?: number;
}

export interface SourceTextParams {
    /** A document of a workspace folder. */
    uri: string;
    /** Show this page only (paginated formats); else the whole text (the part around `offset` when it is very long). */
    page?: number;
    /** The passage to select: offset and length in the extracted text, as citations and search hits give them. */
    offset?: number;
    length?: number;
}

export interface SourceTextResult {
    /** "report.pdf — page 3", "manual.epub — text". */
    title: string;
    /** The extracted text the index holds: what was searched and cited, readable whatever the file's format. */
    text: string;
    /** The passage, in `text`; absent when none was asked for or it is not in the part shown. */
    selection?: { start: { line: number; character: number }; end: { line: number; character: number } };
}

/**
 * Client → server: the indexed text of a document, or of one of its pages, for a read-only view of a source that the
 * editor cannot show as text (PDF, Office, EPUB, HTML). Only documents of the workspace folders, from the index.
 */
export const SourceTextRequest = new RequestType<SourceTextParams, SourceTextResult, void>("llamahome/sourceText");

export type EngineName = "llm" | "extractive";

export interface SummarizeParams {
    /** The document to summarize (any indexed format). */
    uri: string;
    /** Summarize only this part of a text document (a selection). */
    range?: { start: { line: number; character: number }; end: { line: number; character: number } };
    /** When set, partial text is sent as StreamNotification with this id while the summary is generated. */
    streamId?: string;
}

/** A section of a summarized document's outline (its bookmarks, table of contents or headings; top two levels). */
export interface SummaryOutlineEntry {
    title: string;
    level: 1 | 2;
    /** 1-based page the section starts on (PDF). */
    page?: number;
}

export interface SummarizeResult {
    /** For a whole document: its title, a short lead and its sections, as blank-line separated paragraphs. */
    summary: string;
    engine: EngineName;
    /** The document's title (from its metadata when it has one, else its first heading or file name). */
    title?: string;
    outline?: SummaryOutlineEntry[];
    model?: string;
    /** The llama.cpp server (a llamahome.endpoints URL) that generated it; absent when the local model or the extractive engine did. */
    endpoint?: string;
    tokens?: number;
    ms: number;
    /** Present when a model read the document in one pass through the bounded KV cache (H2O on). */
    kv?: KvRunFigures;
    /** Why the configured model did not produce this (it failed to load), when that happened. */
    warning?: string;
}

/** Client → server: summarize a document or a selection of it. */
export const SummarizeRequest = new RequestType<SummarizeParams, SummarizeResult, void>("llamahome/summarize");

export interface AskParams {
    question: string;
    /** Chunks retrieved as evidence. Defaults to 5. */
    top?: number;
    streamId?: string;
    /**
     * Earlier turns of the conversation, oldest first (the chat view sends them; the server uses the last 3): a
     * follow-up such as "and who paid for it?" is read in their light, for retrieval and by the model.
     */
    history?: ChatTurn[];
    /** Text the user selected in the editor and asks about (the server uses at most 4,000 characters of it). */
    context?: string;
}

/** One question and the answer it got, as the chat view keeps them. */
export interface ChatTurn {
    question: string;
    answer: string;
}

/** A passage an extractive answer quotes from a document (a sentence or two, as prose), with where it is; `uri` opens it like a citation's. */
export interface PassageLocation extends CitationLocation {
    text: string;
}

export interface AskResult {
    answer: string;
    engine: EngineName;
    /** False when the documents do not contain the answer. */
    found: boolean;
    citations: CitationLocation[];
    /**
     * Found extractive answers only: the top 2–3 distinct passages that support the answer (different documents or
     * well-separated places), the answer's own first. Absent for model answers and when not found.
     */
    passages?: PassageLocation[];
    /** Which retrieval found the passages the answer comes from. */
    retrieval?: RetrievalKind;
    model?: string;
    /** The llama.cpp server (a llamahome.endpoints URL) that generated it; absent when the local model or the extractive engine did. */
    endpoint?: string;
    tokens?: number;
    ms: number;
    /** Why the configured model did not produce this (it failed to load), when that happened. */
    warning?: string;
}

/** Client → server: answer a question from the indexed documents, with citations. */
export const AskRequest = new RequestType<AskParams, AskResult, void>("llamahome/ask");

export interface AskDocumentParams extends WorkDoneProgressParams {
    /** The document to read whole (any indexed format), inside a workspace folder. */
    uri: string;
    question: string;
    /** Its work-done progress (workDoneToken) goes over the document's chunks while the model reads it. */
    streamId?: string;
}

/** How a model run used its KV cache, as the result panel shows it. */
export interface KvRunFigures {
    /** "query-aware" or "h2o" only when attention scores drove eviction; "sink-window" is the fallback; "full" a plain context. */
    policy: "full" | "h2o" | "query-aware" | "sink-window";
    kvBudget: number;
    kvPeakCells: number;
    evictedTokens: number;
    /** Tokens of the question evaluated as observation windows (query-aware). */
    observationTokens?: number;
    fallbackReason?: string;
}

export interface AskDocumentResult extends AskResult {
    /** Present when a model read the document. */
    kv?: KvRunFigures;
}

/**
 * Client → server: answer a question from one whole document. With llamahome.h2o.enabled the document goes through
 * the bounded KV cache with question-aware eviction, so any length fits; without it a document longer than the
 * context is refused with an error saying so. Cancellable; streams like ask.
 */
export const AskDocumentRequest = new RequestType<AskDocumentParams, AskDocumentResult, void>("llamahome/askDocument");

export interface StreamParams {
    streamId: string;
    /** Text generated since the previous notification for this stream. */
    text: string;
    /**
     * Set when the text streamed so far is void and the answer starts over (a llama.cpp server died mid-answer and
     * another took the request): says why, in a few words. `text` then begins the new answer.
     */
    restart?: string;
}

/** Server → client: a piece of a summary or answer being generated, for live display. */
export const StreamNotification = new NotificationType<StreamParams>("llamahome/stream");

/**
 * A sample of inference and memory metrics. Every field but `time` is optional: a server without a model
 * sends only what it has (its own RSS), and a field absent from one sample is unknown, not zero.
 */
export interface MetricsParams {
    /** When the sample was taken, in milliseconds since the Unix epoch. */
    time: number;
    /** The loaded model's name (GGUF general.name) or file name; absent when the extractive engine answers. */
    model?: string;
    /** The compute backend in use: "cpu", "cuda", "vulkan" or "metal". */
    gpu?: string;
    /** Prompt evaluation speed of the last generation. */
    promptTokensPerSecond?: number;
    /** Generation speed of the last generation. */
    generatedTokensPerSecond?: number;
    /** From the request to the first generated token, for the last generation. */
    timeToFirstTokenMs?: number;
    vramUsedBytes?: number;
    vramTotalBytes?: number;
    /** Resident memory of the language server process. */
    serverRssBytes?: number;
    /** Resident memory of the inference child process (weights in use, KV cache, buffers). */
    inferenceRssBytes?: number;
    /** Size of the KV cache (the context state) in bytes. */
    kvCacheBytes?: number;
    /** The llama.cpp servers generating instead of a local model (llamahome.endpoints), when configured. */
    endpoints?: EndpointStatus[];
}

/** One llama.cpp server as the language server last saw it. */
export interface EndpointStatus {
    url: string;
    state: "up" | "down" | "unknown";
    /** Why it is down. */
    reason?: string;
    model?: string;
    slotsTotal?: number;
    slotsBusy?: number;
    /** Requests this language server has on it now. */
    inFlight: number;
    /** Requests it completed for this language server. */
    served: number;
    /** The server's generation speed (its own timing of the last generation, or its metrics). */
    tokensPerSecond?: number;
    /** 0–1, where the server reports it (llama-server --metrics). */
    kvCacheUsage?: number;
}

/**
 * Client → server: the API key for llamahome.endpoints, from VS Code's SecretStorage (never from settings); an empty
 * key removes it. Sent at start and whenever "LlamaHome: Set Endpoint API Key" changes it.
 */
export const EndpointApiKeyNotification = new NotificationType<{ apiKey: string }>("llamahome/endpointApiKey");

/** Server → client: live inference and memory metrics, after each generation and every few seconds while a model is loaded. */
export const MetricsNotification = new NotificationType<MetricsParams>("llamahome/metrics");

/** The configured local model's state, as the language server sees it. */
export interface ModelStatusParams {
    /** The llamahome.model setting it is about, as the server applies it (a path made absolute, or a URI). */
    model: string;
    /** "loading" (downloading first, for a URI not yet in the models folder), "loaded", or "unavailable". */
    state: "loading" | "loaded" | "unavailable";
    /** When loaded: the model's name (GGUF general.name) or file name. */
    name?: string;
    /** When unavailable: why, in one line (a download that cannot reach its server names the host). */
    reason?: string;
}

/**
 * Server → client: a local model started loading, loaded, or cannot be used (the extractive engine answers). A
 * model chosen while the server runs is loaded at once, so this comes without waiting for a question.
 */
export const ModelStatusNotification = new NotificationType<ModelStatusParams>("llamahome/modelStatus");

// ---- evaluation: benchmark, needle in a haystack, ROUGE (saved results the dashboard shows) ------------------------

/** Client → server: the latest saved benchmark, needle and ROUGE results (from the editor's runs or the CLI's). */
export const ResultsRequest = new RequestType0<LatestResults, void>("llamahome/results");

export interface RunBenchmarkParams extends WorkDoneProgressParams {
    /** LSP requests of each kind, and inference runs (at most 20), to measure. Defaults to 100, as `llamahome bench`. */
    iterations?: number;
}

/**
 * Client → server: benchmark document processing (a generated small corpus), LSP latency and, when a model is
 * configured, inference; reports work-done progress, can be cancelled, and saves the result (then ResultsChanged).
 */
export const RunBenchmarkRequest = new RequestType<RunBenchmarkParams, BenchResult, void>("llamahome/runBenchmark");

export interface RunNeedleParams extends WorkDoneProgressParams {
    /** Prompt lengths in tokens (haystack + needle + question). Defaults to 2000, 8000, 32000, as `llamahome needle`. */
    lengths?: number[];
    /** Needle depths in percent (0–100). Defaults to 10, 50, 90. */
    depths?: number[];
    /** Needles per cell, each in its own haystack (1–100). Defaults to 1. */
    trials?: number;
}

/**
 * Client → server: the needle-in-a-haystack grid on the configured model (an error without one), the haystack made
 * from the first workspace folder's documents; full cache where it fits, and H2O too when llamahome.h2o.enabled.
 * Reports work-done progress, can be cancelled, and saves the result (then ResultsChanged).
 */
export const RunNeedleRequest = new RequestType<RunNeedleParams, NeedleResult, void>("llamahome/runNeedle");

export interface ResultsChangedParams {
    /** Which result was saved. */
    kind: ResultKind;
}

/** Server → client: a run finished and its result was saved, so an open dashboard asks for the results again. */
export const ResultsChangedNotification = new NotificationType<ResultsChangedParams>("llamahome/resultsChanged");
