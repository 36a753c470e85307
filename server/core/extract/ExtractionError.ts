/**
 * A file could not be turned into text. `reason` is the one-line, user-facing cause
 * ("encrypted PDF: password required"); `outcome` says whether the file is reported as failed
 * (it is a document we should read but cannot) or skipped (it is not a document at all).
 */
export class ExtractionError extends Error {
    constructor(
        readonly reason: string,
        readonly outcome: "failed" | "skipped" = "failed",
    ) {
        super(reason);
        this.name = "ExtractionError";
    }
}
