import type { LlamaContextSequence, Token } from "node-llama-cpp" with { "resolution-mode": "import" };
import { countInRanges, eraseRangesFrom, type KvEvictionPolicy, type KvPolicyName, type PositionRange } from "./KvEvictionPolicy";

/** The parts of LlamaContextSequence the runner uses (a reference-model stand-in implements them in tests). */
export type PolicySequence = Pick<LlamaContextSequence, "nextTokenIndex" | "contextSize" | "evaluateWithoutGeneratingNewTokens" | "eraseContextTokenRanges" | "evaluate">;

/** Where H2O scores come from: AttentionAccumulator (native), or the reference model in tests. */
export interface PositionScoreSource<S> {
    /** Accumulated attention indexed by position, `length` long. */
    scoresByPosition(sequence: S, length: number): Float64Array;
    /**
     * Observation mode, for question-aware eviction: while on, the attention of what is evaluated goes into a separate
     * buffer (emptied when turned on), leaving the accumulated scores untouched.
     */
    setObserving?(on: boolean): void;
    /** The observation buffer indexed by position, `length` long. */
    observationByPosition?(sequence: S, length: number): Float64Array;
    /** Packs the sequence's cells into the lowest ones (positions and scores unchanged). */
    compact?(sequence: S): { cellsBefore: number; cellsAfter: number };
}

/** Observation window when a query-aware run is given no question: the prompt's last tokens (SnapKV's window). */
export const DEFAULT_OBSERVATION_TOKENS = 32;

export interface KvPolicyRunnerOptions<S extends PolicySequence = LlamaContextSequence> {
    /** Tokens evaluated per chunk; the cache peaks at windowLength + chunkSize. Defaults to 512. */
    chunkSize?: number;
    /** Required when the policy needs scores (H2O): an enabled AttentionAccumulator of the sequence's context. */
    accumulator?: PositionScoreSource<S>;
    /** Pack the KV cells after a prompt, before generating (with an accumulator that can). Defaults to true. */
    compact?: boolean;
    /** Called after every chunk / generated token, after any eviction. */
    onProgress?: (stats: KvPolicyRunStats) => void;
}

export interface KvPolicyRunStats {
    /** What really ran: "h2o" only when attention scores drove eviction. */
    readonly policy: KvPolicyName;
    /** windowLength. */
    readonly kvBudget: number;
    readonly heavyHitters: number;
    readonly chunkSize: number;
    /** The most KV cells the sequence ever held (measured after each chunk, before eviction). */
    readonly kvPeakCells: number;
    /** Tokens erased from the cache so far. */
    readonly evictedTokens: number;
    /** eraseContextTokenRanges calls. */
    readonly evictions: number;
    /** Tokens evaluated (prompt chunks and generated tokens fed back). */
    readonly evaluatedTokens: number;
    /** Tokens the sequence holds now. */
    readonly heldTokens: number;
    /** Tokens evaluated as observation windows (query-aware: the question after each chunk, then erased). */
    readonly observationTokens: number;
    /** Times the cells were packed (after a prompt, before generating; needs the accumulator build). */
    readonly compactions: number;
}

export interface EvaluateOptions {
    signal?: AbortSignal;
    /** The question (query-aware eviction's observation window); defaults to the last tokens given. */
    observation?: readonly Token[];
    /** After each chunk (and its eviction): tokens evaluated so far of `total`. */
    onChunk?: (evaluated: number, total: number) => void;
}

export interface GenerateWithPolicyOptions {
    maxTokens: number;
    /** Defaults to 0 (greedy). */
    temperature?: number;
    /** Sampling seed for temperature > 0. Defaults to node-llama-cpp's (the time). */
    seed?: number;
    /** Generation stops after one of these is produced (it is yielded). */
    stopTokens?: readonly Token[];
    signal?: AbortSignal;
    /** The question (query-aware eviction's observation window); defaults to the prompt's last tokens. */
    observation?: readonly Token[];
}

/**
 * Drives one LlamaContextSequence under a KV eviction policy: long input goes in chunks and after each chunk the
 * policy's ranges are erased (node-llama-cpp rolls later positions left), so the sequence never holds more than
 * windowLength + chunkSize cells; generation keeps the budget with evictions in batches (budget.generationSlack).
 * It mirrors what the sequence holds (each position's index in the input given to it), so callers can tell which
 * tokens survived.
 */
export class KvPolicyRunner<S extends PolicySequence = LlamaContextSequence> {
    readonly chunkSize: number;
    private held: number[] = [];
    private nextInputIndex = 0;
    private pendingToken: Token | undefined;
    private peak = 0;
    private evicted = 0;
    private evictionCalls = 0;
    private evaluated = 0;
    private observationTokens = 0;
    private compactions = 0;
    /** Query-aware: the question's attention at each held position, from the last observation (0 for later tokens). */
    private observed: number[] = [];
    /** Query-aware: the observation window of the current prompt. */
    private observation: readonly Token[] = [];

    constructor(
        readonly sequence: S,
        readonly policy: KvEvictionPolicy,
        private readonly options: KvPolicyRunnerOptions<S> = {},
    ) {
        this.chunkSize = options.chunkSize ?? 512;
        if (!Number.isInteger(this.chunkSize) || this.chunkSize < 1) {
            throw new RangeError(`chunkSize must be a positive integer, got ${this.chunkSize}`);
        }
        if (policy.needsScores && options.accumulator === undefined) {
            throw new Error(`the ${policy.name} policy needs an AttentionAccumulator`);
        }
        if (policy.needsObservation && (options.accumulator?.setObserving === undefined || options.accumulator.observationByPosition === undefined)) {
            throw new Error(`the ${policy.name} policy needs an accumulator with an observation mode`);
        }
        if (policy.budget.sinkTokens < 1) {
            // erasing position 0 makes node-llama-cpp drop the cache and re-evaluate the whole sequence
            throw new RangeError("node-llama-cpp needs at least one sink token (sinkTokens >= 1)");
        }
        if (sequence.nextTokenIndex !== 0) {
            throw new Error("KvPolicyRunner needs an empty sequence");
        }
        const needed = policy.budget.contextCells(this.chunkSize);
        if (sequence.contextSize < needed) {
            throw new RangeError(`context size ${sequence.contextSize} is below windowLength + chunk + 1 = ${needed}`);
        }
    }

    get stats(): KvPolicyRunStats {
        return {
            policy: this.policy.name,
            kvBudget: this.policy.budget.windowLength,
            heavyHitters: this.policy.budget.heavyHitters,
            chunkSize: this.chunkSize,
            kvPeakCells: this.peak,
            evictedTokens: this.evicted,
            evictions: this.evictionCalls,
            evaluatedTokens: this.evaluated,
            heldTokens: this.held.length,
            observationTokens: this.observationTokens,
            compactions: this.compactions,
        };
    }

    /** For each position the sequence holds, the index of its token in the input (prompt tokens, then generated). */
    get heldInputIndices(): readonly number[] {
        return this.held;
    }

    /**
     * Evaluates tokens in chunks, evicting down to windowLength after each chunk. A query-aware policy evaluates
     * `observation` (the question; default: the last tokens given) after each chunk that overflows the budget, reads
     * its attention apart and erases it again; chunks are shortened by its length, so the cache still never holds
     * more than windowLength + chunkSize cells.
     */
    async evaluate(tokens: readonly Token[], options: EvaluateOptions = {}): Promise<void> {
        const { signal, observation, onChunk } = options;
        await this.flushPending();
        let chunk = this.chunkSize;
        if (this.policy.needsObservation) {
            this.observation = this.observationWindow(observation ?? tokens.slice(-DEFAULT_OBSERVATION_TOKENS));
            chunk = Math.max(1, this.chunkSize - this.observation.length);
        }
        for (let start = 0; start < tokens.length; start += chunk) {
            signal?.throwIfAborted();
            await this.evaluateChunk(tokens.slice(start, start + chunk));
            await this.evict(0);
            onChunk?.(Math.min(tokens.length, start + chunk), tokens.length);
        }
    }

    /** The observation window is at most a quarter of a chunk (its last tokens: the question's end and any primer). */
    private observationWindow(tokens: readonly Token[]): readonly Token[] {
        return tokens.slice(-Math.max(1, Math.floor(this.chunkSize / 4)));
    }

    /**
     * Evaluates `prompt` (all but its last token in chunks) then generates up to maxTokens, keeping the budget:
     * each generated token is fed back and evicted in batches of budget.generationSlack. One node-llama-cpp
     * evaluation (and so one sampler, seeded once) runs the whole generation; evictions happen between its tokens.
     * Ends early at an end-of-generation token (not yielded) or a stop token (yielded, not fed back).
     */
    async *generate(prompt: readonly Token[], options: GenerateWithPolicyOptions): AsyncGenerator<Token, void, void> {
        if (prompt.length === 0 && this.pendingToken === undefined) {
            throw new Error("generate needs at least one prompt token");
        }
        let first: Token;
        if (prompt.length === 0) {
            // continue from the last generated token
            first = this.pendingToken!;
            this.pendingToken = undefined;
        } else {
            // feeds a pending token first
            await this.evaluate(prompt.slice(0, -1), { ...(options.signal ? { signal: options.signal } : {}), observation: options.observation ?? prompt.slice(-DEFAULT_OBSERVATION_TOKENS) });
            first = prompt[prompt.length - 1]!;
            // A long prompt leaves the held tokens spread over windowLength + chunk cells, and every decode attends
            // over all cells up to the highest in use: packed, generation attends over windowLength + its batch.
            const accumulator = this.options.accumulator;
            if (this.options.compact !== false && accumulator?.compact !== undefined) {
                accumulator.compact(this.sequence);
                this.compactions++;
            }
        }
        if (options.maxTokens < 1) {
            this.pendingToken = first;
            return;
        }
        const stop = new Set(options.stopTokens ?? []);
        const evaluation = this.sequence.evaluate([first], {
            temperature: options.temperature ?? 0,
            ...(options.seed === undefined ? {} : { seed: options.seed }),
        });
        let last: Token | undefined;
        try {
            for (let produced = 0; produced < options.maxTokens; produced++) {
                options.signal?.throwIfAborted();
                // decodes the previous token (the prompt's last, then each one yielded) and samples the next
                const result = await evaluation.next();
                this.recordEvaluated(1);
                await this.evict(this.policy.budget.generationSlack);
                if (result.done) return;
                last = result.value;
                yield last;
                if (stop.has(last)) return; // a stop token is not fed back into the cache
            }
            // the last generated token is not in the cache yet; evaluate() / generate() feed it first
            this.pendingToken = last;
        } finally {
            await evaluation.return();
        }
    }

    private async flushPending(): Promise<void> {
        if (this.pendingToken === undefined) return;
        const token = this.pendingToken;
        this.pendingToken = undefined;
        await this.evaluateChunk([token]);
    }

    private async evaluateChunk(chunk: readonly Token[]): Promise<void> {
        if (chunk.length === 0) return;
        await this.sequence.evaluateWithoutGeneratingNewTokens([...chunk]);
        this.recordEvaluated(chunk.length);
    }

    private recordEvaluated(count: number): void {
        for (let i = 0; i < count; i++) {
            this.held.push(this.nextInputIndex++);
            if (this.policy.needsObservation) this.observed.push(0);
        }
        this.evaluated += count;
        if (this.sequence.nextTokenIndex !== this.held.length) {
            throw new Error(`sequence holds ${this.sequence.nextTokenIndex} tokens, the runner expected ${this.held.length} (was it changed elsewhere?)`);
        }
        this.peak = Math.max(this.peak, this.held.length);
        this.options.onProgress?.(this.stats);
    }

    private async evict(slack: number): Promise<void> {
        const length = this.held.length;
        if (length <= this.policy.budget.windowLength + slack) return; // within budget: no scores to read
        const scores = this.policy.needsScores ? this.options.accumulator!.scoresByPosition(this.sequence, length) : undefined;
        // During generation the question's attention from the last prompt chunk still stands: no new observation.
        const observing = this.policy.needsObservation && slack === 0 && this.observation.length > 0;
        if (observing) this.observed = Array.from(await this.observe(length));
        const ranges: PositionRange[] = this.policy.planEviction({ length, scores, slack, ...(this.policy.needsObservation ? { observation: this.observed } : {}) });
        // the observation window goes in the same erase (it is last, so nothing rolls for it)
        const erase = observing ? [...ranges, { start: length, end: length + this.observation.length }] : ranges;
        if (erase.length === 0) return;
        await this.sequence.eraseContextTokenRanges(erase.map((r) => ({ start: r.start, end: r.end })));
        if (ranges.length === 0) return;
        this.evicted += countInRanges(ranges, length);
        this.evictionCalls++;
        this.held = eraseRangesFrom(this.held, ranges);
        if (this.policy.needsObservation) this.observed = eraseRangesFrom(this.observed, ranges);
        if (this.sequence.nextTokenIndex !== this.held.length) {
            throw new Error(`after eviction the sequence holds ${this.sequence.nextTokenIndex} tokens, expected ${this.held.length}`);
        }
    }

    /** Evaluates the observation window after the held tokens and returns its attention by position (not erased yet). */
    private async observe(length: number): Promise<Float64Array> {
        const accumulator = this.options.accumulator!;
        accumulator.setObserving!(true);
        try {
            await this.sequence.evaluateWithoutGeneratingNewTokens([...this.observation]);
        } finally {
            accumulator.setObserving!(false);
        }
        this.observationTokens += this.observation.length;
        this.peak = Math.max(this.peak, length + this.observation.length);
        if (this.sequence.nextTokenIndex !== length + this.observation.length) {
            throw new Error(`after the observation window the sequence holds ${this.sequence.nextTokenIndex} tokens, expected ${length + this.observation.length}`);
        }
        return accumulator.observationByPosition!(this.sequence, length);
    }
}

/**
 * Evaluates a long token sequence in chunks under a policy (see KvPolicyRunner); the sequence must be empty and its
 * context at least budget.maxCells(chunkSize) tokens. Returns the run's statistics and which input tokens survived.
 */
export async function evaluateWithPolicy<S extends PolicySequence = LlamaContextSequence>(
    sequence: S,
    tokens: readonly Token[],
    policy: KvEvictionPolicy,
    options: KvPolicyRunnerOptions<S> & { signal?: AbortSignal; observation?: readonly Token[] } = {},
): Promise<KvPolicyRunStats & { heldInputIndices: readonly number[] }> {
    const runner = new KvPolicyRunner<S>(sequence, policy, options);
    await runner.evaluate(tokens, { ...(options.signal ? { signal: options.signal } : {}), ...(options.observation ? { observation: options.observation } : {}) });
    return { ...runner.stats, heldInputIndices: runner.heldInputIndices };
}
