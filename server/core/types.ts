// Data shapes shared by the indexing pipeline: discover → extract → chunk → index.

/** A document format the index knows how to read. "text" covers plain text, Markdown, code and data files. */
export type DocumentFormat =
    | "text" | "markdown" | "code" | "json" | "csv" | "html"
    | "pdf" | "docx" | "pptx" | "xlsx" | "odt" | "odp" | "ods" | "rtf" | "epub";

/** Text pulled out of one file, with enough structure to cite a location in it. */
export interface ExtractedText {
    format: DocumentFormat;
    text: string;
    /** Offsets into `text` where each page (PDF) or slide (PPTX) starts; page n starts at pageStarts[n-1]. */
    pageStarts?: number[];
    title?: string;
}

/** A span of a document's text: the unit that is ranked, cited and fed to the model. */
export interface Chunk {
    /** Character offsets into the document's extracted text. */
    start: number;
    end: number;
    text: string;
    /** 1-based page where the chunk starts (paginated formats). */
    page?: number;
    /** 1-based line where the chunk starts (text formats). */
    line?: number;
    /** 1-based line where the chunk ends (text formats). */
    endLine?: number;
}

/** What the index remembers about one file. */
export interface DocumentRecord {
    /** Path relative to the index root, forward slashes. */
    path: string;
    size: number;
    mtimeMs: number;
    /** sha256 of the file's bytes. */
    hash: string;
    format: DocumentFormat;
    title?: string;
    chunks: Chunk[];
    /** Total characters of extracted text. */
    chars: number;
    pages?: number;
}

/** What the index keeps in memory about a document: everything but its chunks, which stay on disk until asked for. */
export interface DocumentInfo extends Omit<DocumentRecord, "chunks"> {
    chunkCount: number;
}

export interface FailedFile {
    path: string;
    error: string;
    size: number;
    mtimeMs: number;
    hash?: string;
}

/** A file the index tried and could not use; remembered so unchanged bad files are not retried every run. */
export interface RememberedFailure extends FailedFile {
    outcome: "failed" | "skipped";
}

export interface SkippedFile {
    path: string;
    reason: string;
}
