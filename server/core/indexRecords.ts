import type { RememberedFailure } from "./IndexStore";
import type { Chunk, DocumentRecord } from "./types";

// A saved index is read back from disk, where anything may have happened to it: every record is checked for the
// types the index relies on before it is used (JSON.parse alone would let `"chunks": null` crash every later run).

const formats = new Set(["text", "markdown", "code", "json", "csv", "html", "pdf", "docx", "pptx", "xlsx", "odt", "odp", "ods", "rtf", "epub"]);

function isRecord(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}

const isCount = (value: unknown): value is number => typeof value === "number" && Number.isInteger(value) && value >= 0;
const isOptionalCount = (value: unknown): boolean => value === undefined || isCount(value);

function isChunk(value: unknown): value is Chunk {
    return (
        isRecord(value) && typeof value.text === "string" && isCount(value.start) && isCount(value.end) && value.end >= value.start &&
        isOptionalCount(value.page) && isOptionalCount(value.line) && isOptionalCount(value.endLine)
    );
}

export function isDocumentRecord(value: unknown): value is DocumentRecord {
    return (
        isRecord(value) && typeof value.path === "string" && value.path.length > 0 && isCount(value.size) &&
        typeof value.mtimeMs === "number" && Number.isFinite(value.mtimeMs) && typeof value.hash === "string" &&
        typeof value.format === "string" && formats.has(value.format) && (value.title === undefined || typeof value.title === "string") &&
        Array.isArray(value.chunks) && value.chunks.every(isChunk) && isCount(value.chars) && isOptionalCount(value.pages)
    );
}

export function isRememberedFailure(value: unknown): value is RememberedFailure {
    return (
        isRecord(value) && typeof value.path === "string" && value.path.length > 0 && typeof value.error === "string" &&
        isCount(value.size) && typeof value.mtimeMs === "number" && (value.hash === undefined || typeof value.hash === "string") &&
        (value.outcome === "failed" || value.outcome === "skipped")
    );
}
