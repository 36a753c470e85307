import * as path from "node:path";
import type { DocumentFormat } from "./types";

// Binary container formats we extract with a library; everything else is indexed as text
// only if its bytes look like text.
const containerFormats: Record<string, DocumentFormat> = {
    ".pdf": "pdf",
    ".docx": "docx",
    ".pptx": "pptx",
    ".xlsx": "xlsx",
    ".odt": "odt",
    ".odp": "odp",
    ".ods": "ods",
    ".rtf": "rtf",
    ".epub": "epub",
};

const textFormats: Record<string, DocumentFormat> = {
    ".md": "markdown", ".markdown": "markdown", ".mdx": "markdown",
    ".json": "json", ".jsonl": "json", ".csv": "csv", ".tsv": "csv",
    ".html": "html", ".htm": "html", ".xhtml": "html",
    ".txt": "text", ".text": "text", ".log": "text", ".rst": "text", ".adoc": "text",
};

const codeExtensions = new Set([
    ".ts", ".tsx", ".js", ".jsx", ".mjs", ".cjs", ".py", ".rs", ".go", ".java", ".kt", ".c", ".h", ".cc", ".cpp",
    ".hpp", ".cs", ".rb", ".php", ".swift", ".scala", ".sh", ".bash", ".ps1", ".sql", ".lua", ".r", ".m", ".vue",
    ".svelte", ".css", ".scss", ".less", ".yaml", ".yml", ".toml", ".ini", ".xml", ".gradle", ".cmake", ".proto",
]);

/** The format a file is read as, judged by its name. Unknown names are "text" candidates, sniffed later. */
export function formatForPath(filePath: string): DocumentFormat {
    const ext = path.extname(filePath).toLowerCase();
    return containerFormats[ext] ?? textFormats[ext] ?? (codeExtensions.has(ext) ? "code" : "text");
}

export function isContainerFormat(format: DocumentFormat): boolean {
    return Object.values(containerFormats).includes(format);
}

/**
 * True when a prefix of a file looks like text: no NUL bytes and few control characters.
 * UTF-16 files with a BOM count as text. This is what keeps a PNG renamed to .txt out of the index.
 */
export function looksLikeText(head: Uint8Array): boolean {
    if (head.length === 0) return true;
    if ((head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff)) return true;
    let suspicious = 0;
    for (const byte of head) {
        if (byte === 0) return false;
        if (byte < 7 || (byte > 13 && byte < 32 && byte !== 27)) suspicious++;
    }
    return suspicious / head.length < 0.1;
}
