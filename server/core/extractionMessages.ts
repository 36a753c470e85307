// Messages between the index (main thread) and its extraction workers.
import type { ChunkOptions } from "./chunk";
import type { Chunk, DocumentFormat, OutlineEntry } from "./types";

export interface ExtractJob {
    type: "extract";
    jobId: number;
    absolutePath: string;
    format: DocumentFormat;
    /** The folder the file must really lie in when opened (links resolved); unchecked when absent. */
    root?: string;
    /** Refuse larger files (checked on the opened file). Defaults to the index's 50 MB cap. */
    maxBytes?: number;
    /** Hash from the last run: when the bytes still hash to it, the worker skips extraction. */
    knownHash?: string;
    chunkOptions?: ChunkOptions;
    /** Count each chunk's search terms here, where the text is, with the worker's own term ids (see ChunkTerms). */
    countTerms?: boolean;
}

/**
 * Each chunk's search terms, counted in the worker so the index's thread only appends postings. Term ids are the
 * worker's own until the pool maps them to the index's TermTable.
 */
export interface ChunkTerms {
    /** Terms this worker had not sent before: they take its next ids, in order. Empty once mapped. */
    newTerms: string[];
    /** (term id, frequency) pairs, chunk after chunk. */
    pairs: Uint32Array;
    /** Per chunk, the pair index where its pairs end. */
    ends: Uint32Array;
}

export interface ExtractedDocumentData {
    format: DocumentFormat;
    title?: string;
    outline?: OutlineEntry[];
    chars: number;
    pages?: number;
    chunks: Chunk[];
    terms?: ChunkTerms;
}

export type ExtractOutcome =
    | { kind: "unchanged"; hash: string }
    | { kind: "extracted"; hash: string; document: ExtractedDocumentData }
    | { kind: "failed" | "skipped"; hash?: string; reason: string };

export interface ExtractReply {
    type: "result";
    jobId: number;
    outcome: ExtractOutcome;
}
