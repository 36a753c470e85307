// Messages between the index (main thread) and its extraction workers.
import type { ChunkOptions } from "./chunk";
import type { Chunk, DocumentFormat } from "./types";

export interface ExtractJob {
    type: "extract";
    jobId: number;
    absolutePath: string;
    format: DocumentFormat;
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
