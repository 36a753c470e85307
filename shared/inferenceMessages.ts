// Messages between the server (parent) and its inference child process, over the child_process IPC channel.
// Plain data only: both sides are Node, but the channel serializes to JSON, so no classes, Maps or bigints.

/** Which llama.cpp compute backend to load. "auto" picks the best GPU and falls back to the CPU; false is CPU only. */
export type InferenceGpu = "auto" | false | "cuda" | "vulkan" | "metal";

/** Why a generation ended. */
export type StopReason = "maxTokens" | "eos" | "stop" | "cancelled";

export interface LoadParams {
    /** Absolute path of a local GGUF file (URIs are resolved and downloaded by the parent first). */
    modelPath: string;
    gpu: InferenceGpu;
    /** Tokens the context holds. Defaults to min(the model's training context, 4096). */
    contextSize?: number;
    /** CPU threads for evaluation. Defaults to min(4, cores - 1), at least 1. */
    threads?: number;
    /**
     * Tokens evaluated per llama.cpp batch. Defaults to node-llama-cpp's default (512, or the context size if smaller);
     * with `kv`, to a size that keeps the attention-score buffer within a quarter of the KV cache (32 to 512).
     */
    batchSize?: number;
    /** A bounded KV cache instead of a full context (contextSize is then ignored). Defaults to none: a full context. */
    kv?: KvCacheMode;
}

/**
 * A KV cache that never holds more than windowLength + chunkSize tokens, so prompts longer than any context fit:
 * H2O (attention sinks + heavy hitters by accumulated attention + the most recent tokens) when the accumulator build
 * (`npm run build:h2o`) is installed, else the sink-window fallback (sinks + recent tokens), which is reported as such.
 */
export interface KvCacheMode {
    /**
     * "h2o" as above; "query-aware" also evaluates the request's question (GenerateParams.question) after each prompt
     * chunk and keeps what it attends to — requests without a question run "h2o"; "sink-window" asks for the sinks +
     * recent tokens policy itself (a baseline to compare H2O with).
     */
    mode: "h2o" | "query-aware" | "sink-window";
    /** The KV budget in tokens (at least 2). */
    windowLength: number;
    /** How many of windowLength are heavy hitters, the rest being the most recent tokens; 1 ≤ heavyHitters < windowLength. */
    heavyHitters: number;
    /** Prompt tokens evaluated per chunk; the cache peaks at windowLength + chunkSize. Defaults to min(512, windowLength). */
    chunkSize?: number;
    /** query-aware: share (0–1) of the heavy-hitter slots chosen by the question's attention. Defaults to 0.75. */
    observationShare?: number;
}

/**
 * Which KV cache policy ran: "h2o" and "query-aware" only when real attention scores drove eviction; "full" is an
 * ordinary context.
 */
export type KvPolicyName = "h2o" | "query-aware" | "sink-window" | "full";

/** How a generation used the KV cache. */
export interface KvCacheReport {
    policy: KvPolicyName;
    /** Tokens the cache may hold: windowLength for h2o/sink-window, the context size for "full". */
    kvBudget: number;
    /** The most KV cells the sequence held at any point of the request. */
    kvPeakCells: number;
    /** Tokens erased from the cache (evictions; for "full", context shifts past its end). */
    evictedTokens: number;
    /** node-llama-cpp's estimate of the context's memory (KV cache + compute buffers), RAM + VRAM, in bytes. */
    contextMemoryBytes: number;
    /** Why H2O was asked for but sink-window ran. */
    fallbackReason?: string;
    /** query-aware: tokens evaluated as observation windows (the question after each chunk; erased again). */
    observationTokens?: number;
}

export interface GenerateParams {
    /** The text is tokenized as is (with BOS when the model asks for one) unless `instruction` applies a chat template. */
    prompt: string;
    /**
     * The prompt is an instruction to an assistant: when the model's GGUF has a chat template, the prompt is sent as a
     * user turn in that template (instruct models answer far better so); without one it is a raw completion.
     * Defaults to false.
     */
    instruction?: boolean;
    /** At least 1. */
    maxTokens: number;
    /** 0 is greedy (deterministic). */
    temperature: number;
    /** Generation ends before the first occurrence of any of these; the stop string is not part of the text. */
    stop: string[];
    /** Sampling seed, for reproducible runs with temperature > 0. */
    seed?: number;
    /**
     * The question the prompt asks (plus any answer primer), for a "query-aware" KV cache: evaluated after each prompt
     * chunk as the observation window. Ignored by other caches; without it a query-aware cache runs H2O.
     */
    question?: string;
}

/** What the child loaded, with every default resolved. */
export interface ModelInfo {
    path: string;
    /** general.name from the GGUF, when it has one. */
    name?: string;
    sizeBytes: number;
    trainContextSize: number;
    contextSize: number;
    batchSize: number;
    threads: number;
    /** The backend actually used (false = CPU). */
    gpu: Exclude<InferenceGpu, "auto">;
    gpuLayers: number;
    loadMs: number;
    /** The chat template instruction prompts go through (node-llama-cpp's wrapper name), when the model has one. */
    chatTemplate?: string;
    /** Present when loaded with a bounded KV cache: the policy that really runs (contextSize is windowLength + chunk). */
    kv?: {
        policy: Exclude<KvPolicyName, "full">;
        windowLength: number;
        heavyHitters: number;
        chunkSize: number;
        /** Why sink-window runs instead of h2o. */
        fallbackReason?: string;
    };
}

export interface GenerateResult {
    text: string;
    stopReason: StopReason;
    /** Prompt tokens evaluated, BOS included. */
    promptTokens: number;
    /** Tokens sampled, not counting an EOS that ended the generation. */
    generatedTokens: number;
    /** Prompt tokens / time from the start of prompt evaluation to the first sampled token. */
    promptTokensPerSecond: number;
    /** (generatedTokens - 1) / time from the first to the last sampled token; 0 with fewer than 2 tokens. */
    generationTokensPerSecond: number;
    /** From the request reaching the child to the first sampled token (tokenizing and prompt evaluation). */
    timeToFirstTokenMs: number;
    /** The whole request inside the child. */
    ms: number;
    /** How the KV cache was used. Absent only from a result the parent made up for a cancelled request. */
    kv?: KvCacheReport;
}

export interface InferenceMetrics {
    pid: number;
    gpu: Exclude<InferenceGpu, "auto">;
    vramUsedBytes: number;
    vramTotalBytes: number;
    /** Resident memory of the child process: model weights (mmapped pages in use), KV cache, buffers. */
    rssBytes: number;
    contextSize: number;
    /** llama.cpp's size of the context state (KV cache of the tokens it holds), in bytes. */
    stateSizeBytes: number;
    /** node-llama-cpp's estimate of the context's memory footprint. */
    contextMemoryBytes: { ram: number; vram: number };
    threads: number;
    batchSize: number;
    /** From the last finished generation; 0 before the first. */
    lastPromptTokensPerSecond: number;
    lastGenerationTokensPerSecond: number;
}

/** What loads an embedding model or a reranker (RetrievalModels): a local GGUF, the backend, CPU threads. */
export interface VectorModelParams {
    modelPath: string;
    gpu: InferenceGpu;
    /** Defaults to defaultThreads(). */
    threads?: number;
    /** Tokens one text (one query + passage for a reranker) may take; longer ones are cut. Defaults to min(training context, 512). */
    contextSize?: number;
}

/** An embedding model as loaded. */
export interface EmbeddingModelInfo {
    /** The weights' identity (size, name and a hash of the file's first MiB): stored vectors of another id are stale. */
    id: string;
    path: string;
    name?: string;
    /** Numbers per vector. */
    dimension: number;
    contextSize: number;
    loadMs: number;
}

/** A reranking (cross-encoder) model as loaded. */
export interface RerankerModelInfo {
    id: string;
    path: string;
    name?: string;
    contextSize: number;
    loadMs: number;
}

/**
 * Why a request failed, so the parent can throw the matching typed error:
 * "model-load" (bad file, llama.cpp refused it, GPU backend unavailable), "not-loaded" (generate before load),
 * "prompt-too-long" (full context only), "invalid-request" (also an impossible kv budget), "failed" (anything else).
 */
export type InferenceErrorCode = "model-load" | "not-loaded" | "prompt-too-long" | "invalid-request" | "failed";

/** Parent → child. Every request but cancel gets exactly one final reply with the same id (error, or its own kind). */
export type InferenceRequest =
    | { type: "load"; id: number; params: LoadParams }
    /** Replies: started, then text chunks, then done (or error). */
    | { type: "generate"; id: number; params: GenerateParams }
    | { type: "countTokens"; id: number; text: string }
    | { type: "metrics"; id: number }
    | { type: "loadEmbedding"; id: number; params: VectorModelParams }
    /** Replies embeddings: one unit-length vector per text (a zero vector for a text with nothing to embed). */
    | { type: "embed"; id: number; texts: string[] }
    | { type: "loadReranker"; id: number; params: VectorModelParams }
    /** Replies ranks: each document's relevance to the query, 0..1. */
    | { type: "rank"; id: number; query: string; documents: string[] }
    /** Stops the generate request with this id at its next token or prompt batch (it ends with stopReason "cancelled"); no reply of its own. */
    | { type: "cancel"; id: number };

/** Child → parent. */
export type InferenceReply =
    | { type: "loaded"; id: number; model: ModelInfo }
    /** The prompt was tokenized and its evaluation begins. */
    | { type: "started"; id: number; promptTokens: number }
    /** Streamed generated text, batched to at most one message per ~16 ms; chunks concatenate to the final text. generatedTokens counts tokens so far. */
    | { type: "text"; id: number; text: string; generatedTokens: number }
    /** Prompt tokens evaluated so far (after each batch or bounded-cache chunk). */
    | { type: "promptProgress"; id: number; evaluated: number; total: number }
    | { type: "done"; id: number; result: GenerateResult }
    | { type: "tokenCount"; id: number; count: number }
    | { type: "metrics"; id: number; metrics: InferenceMetrics }
    | { type: "embeddingLoaded"; id: number; model: EmbeddingModelInfo }
    | { type: "embeddings"; id: number; vectors: number[][] }
    | { type: "rerankerLoaded"; id: number; model: RerankerModelInfo }
    | { type: "ranks"; id: number; scores: number[] }
    /** message is one line. For "model-load", file and reason are the parts of it. */
    | { type: "error"; id: number; code: InferenceErrorCode; message: string; file?: string; reason?: string }
    /** A llama.cpp or child log line, not tied to a request. */
    | { type: "log"; level: string; message: string };
