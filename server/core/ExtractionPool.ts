import { existsSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Worker } from "node:worker_threads";
import { DisposedError } from "./DisposedError";
import type { ExtractJob, ExtractOutcome, ExtractReply } from "./extractionMessages";

export interface ExtractionPoolOptions {
    /** Worker threads. Defaults to the number of available cores (at most 4). */
    size?: number;
    /** Per-file limit; a file still extracting after this is failed and its worker replaced. Defaults to 60 s. */
    timeoutMs?: number;
    /** Heap cap per worker, so one pathological file cannot exhaust the process. Defaults to 1024 MB. */
    maxHeapMb?: number;
    /** The worker script. Defaults to extractWorker.js beside this bundle (or in dist/ when running from sources). */
    workerPath?: string;
}

type JobInput = Omit<ExtractJob, "type" | "jobId">;

interface PendingJob {
    job: ExtractJob;
    resolve: (outcome: ExtractOutcome) => void;
}

interface Slot {
    worker: Worker;
    current?: PendingJob;
    timer?: NodeJS.Timeout;
}

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

    constructor(options: ExtractionPoolOptions = {}) {
        this.timeoutMs = options.timeoutMs ?? 60_000;
        this.maxHeapMb = options.maxHeapMb ?? 1024;
        this.workerPath = options.workerPath ?? defaultWorkerPath();
        const size = Math.max(1, options.size ?? Math.min(4, os.availableParallelism()));
        for (let i = 0; i < size; i++) this.slots.push(this.spawn());
    }

    extract(input: JobInput): Promise<ExtractOutcome> {
        if (this.disposed) return Promise.reject(new DisposedError("ExtractionPool"));
        return new Promise((resolve) => {
            this.queue.push({ job: { type: "extract", jobId: this.nextJobId++, ...input }, resolve });
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
                slot.current?.resolve({ kind: "failed", reason: "cancelled: index closed" });
                slot.current = undefined;
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
        const slot: Slot = { worker };
        worker.on("message", (reply: ExtractReply) => {
            if (slot.current?.job.jobId !== reply.jobId) return;
            this.finish(slot, reply.outcome);
        });
        worker.on("error", (error) => this.replace(slot, `extractor crashed: ${error.message}`));
        worker.on("exit", (code) => this.replace(slot, `extractor exited unexpectedly (code ${code})`));
        return slot;
    }

    private finish(slot: Slot, outcome: ExtractOutcome): void {
        clearTimeout(slot.timer);
        const current = slot.current;
        slot.current = undefined;
        slot.worker.unref();
        current?.resolve(outcome);
        this.pump();
    }

    private replace(slot: Slot, reason: string): void {
        if (this.disposed) return;
        const index = this.slots.indexOf(slot);
        if (index < 0) return;
        clearTimeout(slot.timer);
        const current = slot.current;
        slot.current = undefined;
        slot.worker.removeAllListeners();
        void slot.worker.terminate();
        this.slots[index] = this.spawn();
        current?.resolve({ kind: "failed", reason });
        this.pump();
    }

    private pump(): void {
        for (const slot of this.slots) {
            if (this.queue.length === 0) return;
            if (slot.current) continue;
            const pending = this.queue.shift()!;
            slot.current = pending;
            slot.worker.ref();
            slot.timer = setTimeout(
                () => this.replace(slot, `timed out after ${Math.round(this.timeoutMs / 100) / 10} s (file too complex to extract)`),
                this.timeoutMs,
            );
            slot.worker.postMessage(pending.job);
        }
    }
}

function defaultWorkerPath(): string {
    const bundled = path.join(__dirname, "extractWorker.js");
    // Worker threads cannot load TypeScript, so code running from sources (tests under tsx) uses the build.
    return existsSync(bundled) ? bundled : path.join(__dirname, "..", "..", "dist", "extractWorker.js");
}
