import type { LlamaContext, LlamaContextSequence, LlamaModel } from "node-llama-cpp" with { "resolution-mode": "import" };
import type { KvCacheMode, ModelInfo } from "../../shared/inferenceMessages";
import { openKvPolicySession, type KvPolicySession } from "./h2o/openKvPolicySession";

/** The default context size cap: enough for retrieval prompts, small enough for the KV cache of a 7B model on a laptop. */
const DEFAULT_MAX_CONTEXT = 4096;

/** A bounded KV cache's session, and why it runs sink-window when another policy was asked for. */
export interface BoundedCache {
    readonly session: KvPolicySession;
    readonly fallbackReason?: string;
}

/** Where a loaded model's generations run. */
export interface ModelContext {
    readonly context: LlamaContext;
    readonly sequence: LlamaContextSequence;
    /** Set for a bounded KV cache: context and sequence are the session's. */
    readonly bounded?: BoundedCache;
    /** The KV policy reported in ModelInfo.kv; absent for a full context. */
    readonly kv?: ModelInfo["kv"];
}

export interface ContextSettings {
    /** Tokens the context holds; for a full context only. Defaults to min(the model's training context, 4096). */
    readonly contextSize?: number;
    readonly threads: number;
    readonly batchSize?: number;
}

/** An ordinary context of a fixed size, one sequence. */
export async function openFullContext(model: LlamaModel, settings: ContextSettings): Promise<ModelContext> {
    const context = await model.createContext({
        // A GGUF without a usable context_length reports 0.
        contextSize: settings.contextSize ?? Math.min(model.trainContextSize || DEFAULT_MAX_CONTEXT, DEFAULT_MAX_CONTEXT),
        threads: settings.threads,
        batchSize: settings.batchSize,
        // A number that does not fit should fail loudly, not silently shrink.
        failedCreationRemedy: false,
    });
    return { context, sequence: context.getSequence() };
}

/**
 * A bounded KV cache under the policy asked for, or sink-window when the binding has no accumulator: `buildMissing`
 * is why the accumulator build was not loaded (already logged), else the session's own reason is logged here.
 */
export async function openBoundedContext(
    model: LlamaModel,
    kv: Required<KvCacheMode>,
    settings: ContextSettings,
    buildMissing: string | undefined,
    log: (level: string, message: string) => void,
): Promise<ModelContext> {
    const session = await openKvPolicySession(model, {
        windowLength: kv.windowLength,
        heavyHitters: kv.heavyHitters,
        chunkSize: kv.chunkSize,
        policy: kv.mode,
        ...(kv.observationShare === undefined ? {} : { queryAware: { observationShare: kv.observationShare } }),
        threads: settings.threads,
        batchSize: settings.batchSize ?? boundedKvBatchSize(model),
    });
    // the build-missing reason says what to do; the session's only that this binary has no accumulator
    const fallbackReason = session.policy.name === kv.mode ? undefined : (buildMissing ?? session.fallbackReason ?? "no attention accumulator");
    if (fallbackReason !== undefined && buildMissing === undefined) {
        log("warn", `H2O unavailable (${fallbackReason}); the bounded KV cache falls back to sink-window`);
    }
    return {
        context: session.context,
        sequence: session.sequence,
        bounded: { session, ...(fallbackReason === undefined ? {} : { fallbackReason }) },
        kv: {
            policy: session.policy.name,
            windowLength: kv.windowLength,
            heavyHitters: kv.heavyHitters,
            chunkSize: session.runner.chunkSize,
            ...(fallbackReason === undefined ? {} : { fallbackReason }),
        },
    };
}

/**
 * The default batch of a bounded KV cache. Without flash attention (the accumulator reads the softmax) the compute
 * buffer holds a cells × batch × heads matrix of f32 attention scores, next to a KV cache of cells × layers × 2 ×
 * kvHeads × headDim f16 values: on a small model the scores outweigh the cache (4 layers, d=256, batch 512: twice
 * the KV cache), which defeats the point of bounding it. So the batch keeps them within a quarter of the KV cache:
 * layers × kvHeads × headDim / (4 × heads), rounded down to a power of two, 32 to 512 (a 7B llama gets 512; prompt
 * speed on a CPU hardly changes down to 64).
 */
function boundedKvBatchSize(model: LlamaModel): number {
    const metadata = model.fileInfo.metadata as unknown as Record<string, unknown> & { general?: { architecture?: unknown } };
    const architecture = metadata.general?.architecture;
    const params = typeof architecture === "string" ? (metadata[architecture] as { block_count?: unknown; embedding_length?: unknown; attention?: { head_count?: unknown; head_count_kv?: unknown } } | undefined) : undefined;
    const layers = Number(params?.block_count);
    const embd = Number(params?.embedding_length);
    const heads = Number(params?.attention?.head_count);
    const kvHeads = params?.attention?.head_count_kv === undefined ? heads : Number(params.attention.head_count_kv);
    const fit = (layers * kvHeads * (embd / heads)) / (4 * heads);
    if (!(fit > 0) || !Number.isFinite(fit)) {
        return 128;
    }
    return Math.min(512, Math.max(32, 2 ** Math.floor(Math.log2(fit))));
}
