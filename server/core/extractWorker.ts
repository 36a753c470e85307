// Worker-thread entry: reads, hashes, extracts and chunks one file per message.
import { createHash } from "node:crypto";
import { parentPort } from "node:worker_threads";
import { chunkText } from "./chunk";
import { defaultMaxFileSizeBytes } from "./discover";
import { extractDocument } from "./extract/extractDocument";
import { ExtractionError } from "./extract/ExtractionError";
import type { ExtractedDocumentData, ExtractJob, ExtractOutcome, ExtractReply } from "./extractionMessages";
import { FileReadError, readRegularFileSync } from "./readRegularFile";
import { countTerms, rankedChunkText, TermTable } from "./termCounts";
import { errorMessage } from "../../shared/errorMessage";

// This worker's own term ids; the pool maps them to the index's as new terms arrive (ChunkTerms.newTerms).
const termTable = new TermTable();
let termsSent = 0;

async function run(job: ExtractJob): Promise<ExtractOutcome> {
    let bytes: Buffer;
    try {
        // never blocks on a FIFO swapped in after discovery, nor follows a link swapped in out of the folder
        bytes = readRegularFileSync(job.absolutePath, { maxBytes: job.maxBytes ?? defaultMaxFileSizeBytes, ...(job.root === undefined ? {} : { within: job.root }) });
    } catch (error) {
        return { kind: "failed", reason: error instanceof FileReadError ? error.reason : `unreadable: ${(error as Error).message}` };
    }
    const hash = createHash("sha256").update(bytes).digest("hex");
    if (hash === job.knownHash) return { kind: "unchanged", hash };
    try {
        const extracted = await extractDocument(bytes, job.format);
        const chunks = chunkText(extracted, job.chunkOptions);
        const document: ExtractedDocumentData = { format: extracted.format, title: extracted.title, outline: extracted.outline, chars: extracted.text.length, pages: extracted.pageStarts?.length, chunks };
        if (job.countTerms) {
            const counted = countTerms(termTable, chunks.map((chunk, position) => rankedChunkText(extracted.title, job.absolutePath, chunk.text, position)));
            document.terms = { newTerms: termTable.terms.slice(termsSent), ...counted };
            termsSent = termTable.terms.length;
        }
        return { kind: "extracted", hash, document };
    } catch (error) {
        if (error instanceof ExtractionError) return { kind: error.outcome, hash, reason: error.reason };
        return { kind: "failed", hash, reason: `extraction failed: ${errorMessage(error)}` };
    }
}

// Jobs run one after another: the pool's time limit counts from the end of the previous reply.
let queue: Promise<void> = Promise.resolve();
parentPort?.on("message", (job: ExtractJob) => {
    queue = queue.then(async () => {
        const outcome = await run(job);
        const terms = outcome.kind === "extracted" ? outcome.document.terms : undefined;
        parentPort?.postMessage({ type: "result", jobId: job.jobId, outcome } satisfies ExtractReply, terms ? [terms.pairs.buffer as ArrayBuffer, terms.ends.buffer as ArrayBuffer] : []);
    });
});
