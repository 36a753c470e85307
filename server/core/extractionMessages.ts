// Messages between the index (main thread) and its extraction workers.
import type { ChunkOptions } from "./chunk";
import type { Chunk, DocumentFormat } from "./types";

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
}

export interface ExtractedDocumentData {
    format: DocumentFormat;
    title?: string;
    chars: number;
    pages?: number;
    chunks: Chunk[];
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
