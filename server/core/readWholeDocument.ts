import { createHash } from "node:crypto";
import type { WholeDocument } from "../assist/documentAnswer";
import { chunkText } from "./chunk";
import { defaultMaxFileSizeBytes } from "./discover";
import { extractDocument } from "./extract/extractDocument";
import { ExtractionError } from "./extract/ExtractionError";
import { formatForPath } from "./formats";
import { FileReadError, readRegularFile } from "./readRegularFile";

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
export async function readWholeDocument(absolutePath: string, citedPath: string, options: { maxBytes?: number; within?: string } = {}): Promise<WholeDocument> {
    const bytes = await readRegularFile(absolutePath, { maxBytes: options.maxBytes ?? defaultMaxFileSizeBytes, ...(options.within === undefined ? {} : { within: options.within }) }).catch((error: unknown) => {
        if (error instanceof FileReadError) throw new DocumentReadError(citedPath, error.reason, error.missing);
        throw error;
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
            // a transient record (never persisted): the hash says which bytes were read
            record: { path: citedPath, size: bytes.length, mtimeMs: 0, hash, format: extracted.format, title: extracted.title, outline: extracted.outline, chunks, chars: extracted.text.length, pages: extracted.pageStarts?.length },
        };
    } catch (error) {
        if (error instanceof ExtractionError) throw new DocumentReadError(citedPath, error.reason);
        throw error;
    }
}
