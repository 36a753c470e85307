export interface KvBudgetOptions {
    /** Total KV budget in tokens (the seed's `--window-length`). */
    windowLength: number;
    /**
     * How many of the windowLength tokens are heavy hitters (the seed's `--heavy-hitters`); the other
     * windowLength - heavyHitters are the most recent tokens, always kept.
     */
    heavyHitters: number;
    /**
     * Leading positions that are never evicted (attention sinks; position 0 is the BOS token). They take heavy-hitter
     * slots under H2O and are the "sinks" of the sink-window fallback. Defaults to 1. node-llama-cpp re-evaluates the
     * whole sequence when position 0 is erased, so evaluateWithPolicy requires at least 1.
     */
    sinkTokens?: number;
    /**
     * During generation, evict only once the cache holds this many tokens over windowLength, then back to
     * windowLength: eviction happens in batches, not after every token. Each eviction rolls later positions left, and
     * llama.cpp re-rotates every cached key on the next decode (~4-5 decodes' worth of time on a small model), so
     * batches should be large. Defaults to max(1, windowLength / 4), capped at the recent window
     * (openKvPolicySession also keeps it below the prompt chunk, so it costs no context memory).
     */
    generationSlack?: number;
}

/** A validated H2O/sink-window budget: windowLength = sinks + heavy (scored) + recent. */
export class KvBudget {
    readonly windowLength: number;
    readonly heavyHitters: number;
    readonly sinkTokens: number;
    /** windowLength - heavyHitters: the most recent tokens, always kept. */
    readonly recentTokens: number;
    /** heavyHitters - sinkTokens: slots chosen by accumulated attention. */
    readonly scoredHeavyHitters: number;
    readonly generationSlack: number;

    constructor(options: KvBudgetOptions) {
        const { windowLength, heavyHitters } = options;
        const sinkTokens = options.sinkTokens ?? 1;
        if (!Number.isInteger(windowLength) || windowLength < 2) {
            throw new RangeError(`windowLength must be an integer >= 2, got ${windowLength}`);
        }
        if (!Number.isInteger(heavyHitters) || heavyHitters < 0 || heavyHitters >= windowLength) {
            throw new RangeError(`heavyHitters must be an integer in [0, windowLength) = [0, ${windowLength}), got ${heavyHitters}`);
        }
        if (!Number.isInteger(sinkTokens) || sinkTokens < 0 || sinkTokens > heavyHitters) {
            throw new RangeError(`sinkTokens must be an integer in [0, heavyHitters] = [0, ${heavyHitters}] (sinks take heavy-hitter slots), got ${sinkTokens}`);
        }
        this.windowLength = windowLength;
        this.heavyHitters = heavyHitters;
        this.sinkTokens = sinkTokens;
        this.recentTokens = windowLength - heavyHitters;
        this.scoredHeavyHitters = heavyHitters - sinkTokens;
        const slack = options.generationSlack ?? Math.max(1, Math.floor(windowLength / 4));
        if (!Number.isInteger(slack) || slack < 0) {
            throw new RangeError(`generationSlack must be a non-negative integer, got ${slack}`);
        }
        this.generationSlack = Math.min(slack, this.recentTokens);
    }

    /** The most cells a sequence may hold while evaluating `chunkSize` tokens at a time under this budget. */
    maxCells(chunkSize: number): number {
        return this.windowLength + Math.max(chunkSize, this.generationSlack + 1);
    }

    /**
     * The context size a sequence under this budget needs: maxCells + 1, since node-llama-cpp evaluates only while a
     * cell stays free (beyond that it shifts the context on its own, erasing tokens behind the policy's back).
     */
    contextCells(chunkSize: number): number {
        return this.maxCells(chunkSize) + 1;
    }

    toJSON(): { windowLength: number; heavyHitters: number; sinkTokens: number; recentTokens: number } {
        return { windowLength: this.windowLength, heavyHitters: this.heavyHitters, sinkTokens: this.sinkTokens, recentTokens: this.recentTokens };
    }
}
