import { existsSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Worker } from "node:worker_threads";
import { DisposedError } from "./DisposedError";
import type { ExtractJob, ExtractOutcome, ExtractReply } from "./extractionMessages";
import type { TermTable } from "./termCounts";

export interface ExtractionPoolOptions {
    /** Worker threads. Defaults to the number of available cores (at most 4). */
    size?: number;
    /** Per-file limit; a file still extracting after this is failed and its worker replaced. Defaults to 60 s. */
    timeoutMs?: number;
    /** Heap cap per worker, so one pathological file cannot exhaust the process. Defaults to 1024 MB. */
    maxHeapMb?: number;
    /** The worker script. Defaults to extractWorker.js beside this bundle (or in dist/ when running from sources). */
    workerPath?: string;
    /** When given, workers count each chunk's terms and outcomes carry them with this table's ids. */
    terms?: TermTable;
}

type JobInput = Omit<ExtractJob, "type" | "jobId">;

interface PendingJob {
    job: ExtractJob;
    resolve: (outcome: ExtractOutcome) => void;
}

interface Slot {
    worker: Worker;
    /** Jobs sent to the worker, oldest first; the worker runs them one after another, so the first is the one running. */
    inflight: PendingJob[];
    timer?: NodeJS.Timeout;
}

/**
 * Jobs a worker holds at once: it starts the next file without waiting for the index's thread to hear about the last
 * one, and keeps going while that thread is busy writing a segment (one at a time, workers sat idle for half of an
 * index run; eight at a time, still for a quarter).
 */
const depth = 32;

/**
 * A fixed pool of extraction workers with a per-file time limit. A job never rejects: timeouts,
 * worker crashes and out-of-memory all come back as a "failed" outcome naming the cause.
 */
export class ExtractionPool {
    private readonly slots: Slot[] = [];
    private readonly queue: PendingJob[] = [];
    private nextJobId = 1;
    private disposed = false;
    private readonly timeoutMs: number;
    private readonly maxHeapMb: number;
    private readonly workerPath: string;
    private readonly terms?: TermTable;

    constructor(options: ExtractionPoolOptions = {}) {
        this.timeoutMs = options.timeoutMs ?? 60_000;
        this.maxHeapMb = options.maxHeapMb ?? 1024;
        this.workerPath = options.workerPath ?? defaultWorkerPath();
        this.terms = options.terms;
        const size = Math.max(1, options.size ?? Math.min(4, os.availableParallelism()));
        for (let i = 0; i < size; i++) this.slots.push(this.spawn());
    }

    extract(input: JobInput): Promise<ExtractOutcome> {
        if (this.disposed) return Promise.reject(new DisposedError("ExtractionPool"));
        return new Promise((resolve) => {
            this.queue.push({ job: { type: "extract", jobId: this.nextJobId++, ...input, countTerms: this.terms !== undefined }, resolve });
            this.pump();
        });
    }

    dispose(): Promise<void> {
        if (this.disposed) return Promise.resolve();
        this.disposed = true;
        for (const pending of this.queue.splice(0)) pending.resolve({ kind: "failed", reason: "cancelled: index closed" });
        return Promise.all(
            this.slots.map((slot) => {
                clearTimeout(slot.timer);
                for (const pending of slot.inflight.splice(0)) pending.resolve({ kind: "failed", reason: "cancelled: index closed" });
                return slot.worker.terminate();
            }),
        ).then(() => undefined);
    }

    async [Symbol.asyncDispose](): Promise<void> {
        await this.dispose();
    }

    private spawn(): Slot {
        const worker = new Worker(this.workerPath, { resourceLimits: { maxOldGenerationSizeMb: this.maxHeapMb } });
        // Idle workers must not keep a CLI process alive.
        worker.unref();
        const slot: Slot = { worker, inflight: [] };
        // The worker's term ids → the table's: every reply's new terms are mapped, even one that arrives too late to
        // be used, or the worker's later ids would be misread.
        const termIds: number[] = [];
        worker.on("message", (reply: ExtractReply) => {
            const counted = reply.outcome.kind === "extracted" ? reply.outcome.document.terms : undefined;
            if (counted && this.terms) {
                for (const term of counted.newTerms) termIds.push(this.terms.idOf(term));
                counted.newTerms = [];
                const pairs = counted.pairs;
                for (let i = 0; i < pairs.length; i += 2) pairs[i] = termIds[pairs[i]];
            }
            const at = slot.inflight.findIndex((pending) => pending.job.jobId === reply.jobId);
            if (at < 0) return;
            const [pending] = slot.inflight.splice(at, 1);
            this.startClock(slot);
            pending!.resolve(reply.outcome);
            this.pump();
        });
        worker.on("error", (error) => this.replace(slot, `extractor crashed: ${error.message}`));
        worker.on("exit", (code) => this.replace(slot, `extractor exited unexpectedly (code ${code})`));
        return slot;
    }

    /** The time limit runs for the job the worker is on: restarted whenever one finishes. */
    private startClock(slot: Slot): void {
        clearTimeout(slot.timer);
        slot.timer = undefined;
        if (slot.inflight.length === 0) {
            slot.worker.unref();
            return;
        }
        slot.worker.ref();
        slot.timer = setTimeout(
            () => this.replace(slot, `timed out after ${Math.round(this.timeoutMs / 100) / 10} s (file too complex to extract)`),
            this.timeoutMs,
        );
    }

    /** The job the worker was on fails with `reason`; the ones queued behind it go back to the queue, first in line. */
    private replace(slot: Slot, reason: string): void {
        if (this.disposed) return;
        const index = this.slots.indexOf(slot);
        if (index < 0) return;
        clearTimeout(slot.timer);
        const [running, ...waiting] = slot.inflight.splice(0);
        slot.worker.removeAllListeners();
        void slot.worker.terminate();
        this.slots[index] = this.spawn();
        this.queue.unshift(...waiting);
        running?.resolve({ kind: "failed", reason });
        this.pump();
    }

    private pump(): void {
        for (const slot of this.slots) {
            while (this.queue.length > 0 && slot.inflight.length < depth) {
                const pending = this.queue.shift()!;
                slot.inflight.push(pending);
                if (slot.inflight.length === 1) this.startClock(slot);
                slot.worker.postMessage(pending.job);
            }
        }
    }
}

function defaultWorkerPath(): string {
    const bundled = path.join(__dirname, "extractWorker.js");
    // Worker threads cannot load TypeScript, so code running from sources (tests under tsx) uses the build.
    return existsSync(bundled) ? bundled : path.join(__dirname, "..", "..", "dist", "extractWorker.js");
}
