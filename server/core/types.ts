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
    /** From the document's metadata when it has one (PDF info/XMP, OPF, core properties), else its first heading. */
    title?: string;
    outline?: OutlineEntry[];
}

/**
 * A section of a document's outline: PDF bookmarks, an EPUB's table of contents, the headings of HTML, DOCX or
 * Markdown. Only the top two levels are kept, at most `maxOutlineEntries` (extract/outline.ts): enough to say what a
 * document covers, small enough to keep in memory for every document of the index.
 */
export interface OutlineEntry {
    title: string;
    level: 1 | 2;
    /** 1-based page the section starts on (PDF bookmarks, when their destination resolves). */
    page?: number;
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
    outline?: OutlineEntry[];
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
