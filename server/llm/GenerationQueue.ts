import type { GenerateParams, GenerateResult } from "../../shared/inferenceMessages";
import { GenerationJob, type GenerateRequest, type InferencePriority } from "./GenerationJob";
import type { InferenceConnection } from "./InferenceConnection";

/**
 * Generations one at a time, interactive before background. They wait here rather than in the child (which has one
 * model sequence and would serve them in arrival order) so that a later interactive request can overtake queued
 * background ones, and a queued request is cancelled without a message to the child.
 */
export class GenerationQueue {
    private readonly queues: Record<InferencePriority, GenerationJob[]> = { interactive: [], background: [] };
    private active?: GenerationJob;
    private disposed = false;

    /** `connect` gives the connection to a child with the model loaded, starting and loading one if needed. */
    constructor(private readonly connect: () => Promise<InferenceConnection>) {}

    /** Queues a generation; a cancelled one resolves with stopReason "cancelled" (GenerateRequest.signal). */
    add(params: GenerateParams, request: GenerateRequest): Promise<GenerateResult> {
        return new Promise((resolve, reject) => {
            const job = new GenerationJob(params, request, resolve, reject);
            if (request.signal?.aborted) {
                job.cancel();
                return;
            }
            job.listenForAbort(() => this.cancel(job));
            this.queues[job.priority].push(job);
            this.pump();
        });
    }

    /** Rejects the queued and running generations with `error`; none runs after this. */
    dispose(error: Error): void {
        this.disposed = true;
        for (const job of [...this.queues.interactive.splice(0), ...this.queues.background.splice(0)]) {
            job.fail(error);
        }
        this.active?.fail(error);
    }

    private pump(): void {
        if (this.active || this.disposed) {
            return;
        }
        const job = this.queues.interactive.shift() ?? this.queues.background.shift();
        if (!job) {
            return;
        }
        this.active = job;
        void this.run(job).finally(() => {
            this.active = undefined;
            this.pump();
        });
    }

    private async run(job: GenerationJob): Promise<void> {
        let connection: InferenceConnection;
        try {
            connection = await this.connect();
        } catch (error) {
            job.fail(error);
            return;
        }
        // Cancelled (or disposed) while the model loaded.
        if (job.settled) {
            return;
        }
        await job.run(connection);
    }

    private cancel(job: GenerationJob): void {
        const queue = this.queues[job.priority];
        const queued = queue.indexOf(job);
        if (queued >= 0) {
            queue.splice(queued, 1);
        }
        job.cancel();
    }
}
