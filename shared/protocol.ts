// The one place where LlamaHome's custom LSP messages are declared. Call sites import these
// objects; nobody spells a method string anywhere else.
import { NotificationType, RequestType, RequestType0 } from "vscode-languageserver-protocol";

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
}

export interface SearchParams {
    query: string;
    /** Defaults to 10. */
    top?: number;
}

export interface SearchResult {
    results: SearchHit[];
}

/** Client → server: BM25 search over the indexed workspace folders. */
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
