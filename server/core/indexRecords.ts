import type { DocumentFormat, RememberedFailure } from "./types";
import { isObject } from "../../shared/isObject";

// A saved index is read back from disk, where anything may have happened to it: every record is checked for the
// types the index relies on before it is used (JSON.parse alone would let a `null` crash every later run).

const formats = new Set(["text", "markdown", "code", "json", "csv", "html", "pdf", "docx", "pptx", "xlsx", "odt", "odp", "ods", "rtf", "epub"]);

const isCount = (value: unknown): value is number => typeof value === "number" && Number.isInteger(value) && value >= 0;

export function isDocumentFormat(value: unknown): value is DocumentFormat {
    return typeof value === "string" && formats.has(value);
}

export function isRememberedFailure(value: unknown): value is RememberedFailure {
    return (
        isObject(value) && typeof value.path === "string" && value.path.length > 0 && typeof value.error === "string" &&
        isCount(value.size) && typeof value.mtimeMs === "number" && (value.hash === undefined || typeof value.hash === "string") &&
        (value.outcome === "failed" || value.outcome === "skipped")
    );
}
