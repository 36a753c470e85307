import type { DocumentFormat, OutlineEntry, RememberedFailure } from "./types";
import { maxOutlineEntries } from "./extract/outline";
import { isObject } from "../../shared/isObject";

// A saved index is read back from disk, where anything may have happened to it: every record is checked for the
// types the index relies on before it is used (JSON.parse alone would let a `null` crash every later run).

/** Every format a document can have, the commonest first. */
export const documentFormats: readonly DocumentFormat[] = ["markdown", "text", "code", "pdf", "html", "docx", "json", "csv", "pptx", "xlsx", "odt", "odp", "ods", "rtf", "epub"];

const isCount = (value: unknown): value is number => typeof value === "number" && Number.isInteger(value) && value >= 0;

export function isRememberedFailure(value: unknown): value is RememberedFailure {
    return (
        isObject(value) && typeof value.path === "string" && value.path.length > 0 && typeof value.error === "string" &&
        isCount(value.size) && typeof value.mtimeMs === "number" && (value.hash === undefined || typeof value.hash === "string") &&
        (value.outcome === "failed" || value.outcome === "skipped")
    );
}

/** A row's outline ([title, level, page?] entries, as SegmentWriter writes them), or undefined when it is not that. */
export function outlineOf(rows: unknown): OutlineEntry[] | undefined {
    if (!Array.isArray(rows) || rows.length === 0 || rows.length > maxOutlineEntries) return undefined;
    const outline: OutlineEntry[] = [];
    for (const row of rows as unknown[]) {
        if (!Array.isArray(row) || (row.length !== 2 && row.length !== 3)) return undefined;
        const [title, level, page] = row as unknown[];
        if (typeof title !== "string" || title.length > 200 || (level !== 1 && level !== 2)) return undefined;
        if (row.length === 3 && !(isCount(page) && page > 0)) return undefined;
        outline.push(row.length === 3 ? { title, level, page: page as number } : { title, level });
    }
    return outline;
}
