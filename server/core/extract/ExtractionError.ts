/**
 * A file could not be turned into text. `reason` is the one-line, user-facing cause
 * ("encrypted PDF: password required"); `outcome` says whether the file is reported as failed
 * (it is a document we should read but cannot) or skipped (it is not a document at all).
 */
export class ExtractionError extends Error {
    readonly reason: string;

    constructor(
        reason: string,
        readonly outcome: "failed" | "skipped" = "failed",
    ) {
        const line = oneLineReason(reason);
        super(line);
        this.reason = line;
        this.name = "ExtractionError";
    }
}

const MAX_REASON_CHARS = 300;

/**
 * A parser's message made one line of bounded length: some quote the document, or span lines with tabs
 * (xmldom: "[xmldom error]\tentity not found:…\n@#[line:…]"), and a report shows one line per file.
 */
function oneLineReason(message: string): string {
    const line = message.replace(/\s+/g, " ").trim();
    return line.length > MAX_REASON_CHARS ? `${line.slice(0, MAX_REASON_CHARS - 1)}…` : line;
}
