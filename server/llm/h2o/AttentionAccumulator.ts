import type { LlamaContext, LlamaContextSequence } from "node-llama-cpp" with { "resolution-mode": "import" };
import { errorMessage } from "../../../shared/errorMessage";

/** The accumulator's state as the native addon reports it (AddonContext.h2oGetInfo). */
export interface AttentionAccumulatorInfo {
    readonly enabled: boolean;
    /** Model layers (scores are kept per layer). */
    readonly layers: number;
    /** kq_soft_max tensors added to the scores so far (layers × micro-batches). */
    readonly softmaxTensors: number;
    /** kq_soft_max tensors that could not be mapped to positions; see lastError. */
    readonly skippedTensors: number;
    readonly lastError: string | null;
    readonly flashAttention: boolean | null;
}

export interface AttentionScores {
    /** Every position the sequence holds in the KV cache, ascending (after erases these are 0 … n-1). */
    readonly positions: Int32Array;
    /** Accumulated attention mass of positions[i]: softmax weight summed over query rows, heads and layers. */
    readonly scores: Float64Array;
    /** scores per layer, layerScores[i * layers + layer]; only when read with perLayer. */
    readonly layerScores?: Float64Array;
    readonly layers: number;
}

/** The native methods added by native/h2o/*.patch to node-llama-cpp's AddonContext. */
interface AddonContextH2o {
    h2oSetEnabled(enabled: boolean): void;
    h2oGetInfo(): AttentionAccumulatorInfo;
    h2oGetScores(sequenceId: number, perLayer: boolean, observation?: boolean): { positions: Int32Array; scores: Float64Array; layerScores?: Float64Array };
    h2oReset(sequenceId?: number): void;
    h2oSetObserving(on: boolean): void;
    h2oCompact(sequenceId: number): { cellsBefore: number; cellsAfter: number };
}

export class AttentionAccumulatorUnavailableError extends Error {
    override readonly name = "AttentionAccumulatorUnavailableError";
    constructor(readonly reason: string) {
        super(`attention accumulator unavailable: ${reason}`);
    }
}

/**
 * Typed access to the H2O attention accumulator of one LlamaContext (native/h2o/README.md). The context must come
 * from the accumulator build (loadH2oLlama), have flash attention off and a single sequence; create it with
 * h2oContextOptions(). Read scores only between evaluations.
 */
export class AttentionAccumulator {
    private constructor(
        readonly context: LlamaContext,
        private readonly addon: AddonContextH2o,
    ) {}

    /** Whether this context's native addon has the accumulator at all (false for prebuilt binaries). */
    static isSupported(context: LlamaContext): boolean {
        return addonOf(context) !== undefined;
    }

    /** Turns accumulation on (scores start at 0). Throws AttentionAccumulatorUnavailableError with the reason. */
    static enable(context: LlamaContext): AttentionAccumulator {
        const addon = addonOf(context);
        if (addon === undefined) {
            throw new AttentionAccumulatorUnavailableError("this node-llama-cpp binary has no H2O accumulator (load it with loadH2oLlama)");
        }
        try {
            addon.h2oSetEnabled(true);
        } catch (err) {
            throw new AttentionAccumulatorUnavailableError(errorMessage(err));
        }
        addon.h2oReset();
        return new AttentionAccumulator(context, addon);
    }

    info(): AttentionAccumulatorInfo {
        return this.addon.h2oGetInfo();
    }

    /** The sequence's held positions and their accumulated scores. */
    read(sequence: LlamaContextSequence, options: { perLayer?: boolean } = {}): AttentionScores {
        const raw = this.addon.h2oGetScores(sequenceIdOf(sequence), options.perLayer ?? false);
        return { ...raw, layers: this.info().layers };
    }

    /** Scores as a dense array indexed by position, `length` long (positions not held read 0). */
    scoresByPosition(sequence: LlamaContextSequence, length: number): Float64Array {
        return dense(this.read(sequence), length);
    }

    /**
     * Observation mode (question-aware eviction): while on, attention goes into a separate buffer, emptied when turned
     * on, and the accumulated scores stay as they were.
     */
    setObserving(on: boolean): void {
        this.addon.h2oSetObserving(on);
    }

    /** The observation buffer as a dense array indexed by position; read it before the next KV edit. */
    observationByPosition(sequence: LlamaContextSequence, length: number): Float64Array {
        const raw = this.addon.h2oGetScores(sequenceIdOf(sequence), false, true);
        return dense(raw, length);
    }

    /**
     * Packs the sequence's KV cells into the lowest ones, positions and scores unchanged: after evictions the held
     * tokens are spread over the whole context and llama.cpp attends over every cell up to the highest one in use.
     * Returns that highest cell + 1 before and after. Call between evaluations.
     */
    compact(sequence: LlamaContextSequence): { cellsBefore: number; cellsAfter: number } {
        return this.addon.h2oCompact(sequenceIdOf(sequence));
    }

    /** Zeroes the scores of one sequence, or of every sequence of the context. */
    reset(sequence?: LlamaContextSequence): void {
        this.addon.h2oReset(sequence === undefined ? undefined : sequenceIdOf(sequence));
    }

    /** Stops accumulating (the per-node callback stays registered but does nothing). */
    disable(): void {
        if (!this.context.disposed) this.addon.h2oSetEnabled(false);
    }
}

/** Scores indexed by position, `length` long (positions not held read 0). */
function dense({ positions, scores }: Pick<AttentionScores, "positions" | "scores">, length: number): Float64Array {
    const out = new Float64Array(length);
    for (let i = 0; i < positions.length; i++) {
        const p = positions[i]!;
        if (p >= 0 && p < length) out[p] = scores[i]!;
    }
    return out;
}

/** LlamaContext options the accumulator needs: the softmaxed attention only exists without flash attention. */
export function h2oContextOptions(contextSize: number): { contextSize: number; flashAttention: false; sequences: 1 } {
    return { contextSize, flashAttention: false, sequences: 1 };
}

// node-llama-cpp keeps the native context and the sequence id internal (`_ctx`, `_sequenceId`, pinned 3.21.1);
// this is the one place that reaches them.
function addonOf(context: LlamaContext): AddonContextH2o | undefined {
    const addon = (context as unknown as { _ctx?: Partial<AddonContextH2o> })._ctx;
    if (addon === undefined || typeof addon.h2oGetScores !== "function" || typeof addon.h2oSetEnabled !== "function" || typeof addon.h2oSetObserving !== "function" || typeof addon.h2oCompact !== "function") {
        return undefined;
    }
    return addon as AddonContextH2o;
}

function sequenceIdOf(sequence: LlamaContextSequence): number {
    const id = (sequence as unknown as { _sequenceId?: unknown })._sequenceId;
    if (typeof id !== "number") {
        throw new Error("cannot read the sequence id of this node-llama-cpp version");
    }
    return id;
}
