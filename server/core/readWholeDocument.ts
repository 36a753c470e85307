import { createHash } from "node:crypto";
import * as fs from "node:fs/promises";
import type { WholeDocument } from "../assist/documentAnswer";
import { chunkText } from "./chunk";
import { extractDocument } from "./extract/extractDocument";
import { ExtractionError } from "./extract/ExtractionError";
import { formatForPath } from "./formats";

/** Why a document could not be read whole: missing, unreadable, or a format/content the extractors refuse. */
export class DocumentReadError extends Error {
    override readonly name = "DocumentReadError";
    constructor(
        readonly path: string,
        readonly reason: string,
        /** The file is not there at all (a usage mistake rather than a bad file). */
        readonly missing = false,
    ) {
        super(`${path}: ${reason}`);
    }
}

/** Extracts and chunks one file (any indexed format) as the index would, for questions about the whole of it. */
export async function readWholeDocument(absolutePath: string, citedPath: string, maxBytes = 50 * 1024 * 1024): Promise<WholeDocument> {
    const stat = await fs.stat(absolutePath).catch((error: NodeJS.ErrnoException) => {
        throw new DocumentReadError(citedPath, error.code === "ENOENT" ? "no such file" : `cannot read it: ${error.message}`, error.code === "ENOENT");
    });
    if (!stat.isFile()) throw new DocumentReadError(citedPath, "not a regular file");
    if (stat.size > maxBytes) throw new DocumentReadError(citedPath, `larger than the ${Math.round(maxBytes / 1048576)} MB size cap`);
    const bytes = await fs.readFile(absolutePath).catch((error: Error) => {
        throw new DocumentReadError(citedPath, `cannot read it: ${error.message}`);
    });
    try {
        const extracted = await extractDocument(bytes, formatForPath(absolutePath));
        if (!extracted.text.trim()) throw new DocumentReadError(citedPath, "no text to read in it");
        const chunks = chunkText(extracted);
        const hash = createHash("sha256").update(bytes).digest("hex");
        return {
            path: citedPath,
            ...(extracted.title === undefined ? {} : { title: extracted.title }),
            text: extracted.text,
            record: { path: citedPath, size: stat.size, mtimeMs: stat.mtimeMs, hash, format: extracted.format, title: extracted.title, chunks, chars: extracted.text.length, pages: extracted.pageStarts?.length },
        };
    } catch (error) {
        if (error instanceof ExtractionError) throw new DocumentReadError(citedPath, error.reason);
        throw error;
    }
}
