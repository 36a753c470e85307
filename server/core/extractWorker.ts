// Worker-thread entry: reads, hashes, extracts and chunks one file per message.
import { createHash } from "node:crypto";
import { parentPort } from "node:worker_threads";
import { chunkText } from "./chunk";
import { defaultMaxFileSizeBytes } from "./discover";
import { extractDocument } from "./extract/extractDocument";
import { ExtractionError } from "./extract/ExtractionError";
import type { ExtractJob, ExtractOutcome, ExtractReply } from "./extractionMessages";
import { FileReadError, readRegularFile } from "./readRegularFile";

async function run(job: ExtractJob): Promise<ExtractOutcome> {
    let bytes: Buffer;
    try {
        // never blocks on a FIFO swapped in after discovery, nor follows a link swapped in out of the folder
        bytes = await readRegularFile(job.absolutePath, { maxBytes: job.maxBytes ?? defaultMaxFileSizeBytes, ...(job.root === undefined ? {} : { within: job.root }) });
    } catch (error) {
        return { kind: "failed", reason: error instanceof FileReadError ? error.reason : `unreadable: ${(error as Error).message}` };
    }
    const hash = createHash("sha256").update(bytes).digest("hex");
    if (hash === job.knownHash) return { kind: "unchanged", hash };
    try {
        const extracted = await extractDocument(bytes, job.format);
        const chunks = chunkText(extracted, job.chunkOptions);
        return {
            kind: "extracted",
            hash,
            document: { format: extracted.format, title: extracted.title, chars: extracted.text.length, pages: extracted.pageStarts?.length, chunks },
        };
    } catch (error) {
        if (error instanceof ExtractionError) return { kind: error.outcome, hash, reason: error.reason };
        return { kind: "failed", hash, reason: `extraction failed: ${(error as Error)?.message ?? String(error)}` };
    }
}

parentPort?.on("message", (job: ExtractJob) => {
    void run(job).then((outcome) => parentPort?.postMessage({ type: "result", jobId: job.jobId, outcome } satisfies ExtractReply));
});
