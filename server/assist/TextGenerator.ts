import type { KvCacheReport, StopReason } from "../../shared/inferenceMessages";

/** What summaries and answers need from a language model. The inference process implements it. */
export interface TextGenerator {
    /** The model's name or file, for reports. */
    readonly modelName: string;
    /** Tokens the model's context holds (prompt + output); with boundedKv, what the cache holds at its peak. */
    readonly contextSize: number;
    /**
     * Set when the model runs with a bounded KV cache: prompts of any length fit (one pass over a long document
     * instead of map-reduce), the cache keeping windowLength tokens, chosen by `policy` ("h2o": heavy hitters by
     * accumulated attention + recent tokens; "sink-window": the first and the most recent tokens). Undefined: a full
     * context, prompts must fit contextSize.
     */
    readonly boundedKv?: BoundedKv;
    countTokens(text: string, signal?: AbortSignal): Promise<number>;
    generate(request: GenerationRequest): Promise<GenerationOutcome>;
}

export interface GenerationRequest {
    prompt: string;
    /** An instruction for an assistant: sent through the model's chat template when it has one. Defaults to false. */
    instruction?: boolean;
    /** Defaults to 256. */
    maxTokens?: number;
    /** 0 is greedy. Defaults to 0. */
    temperature?: number;
    stop?: string[];
    /** The question the prompt ends with: a query-aware KV cache keeps what it attends to (GenerateParams.question). */
    question?: string;
    onText?: (text: string) => void;
    /**
     * The text streamed so far is void and the answer starts over (a remote endpoint died mid-stream and another took
     * the request); `reason` says so in a few words.
     */
    onRestart?: (reason: string) => void;
    /** Prompt tokens read so far of `total` (a long document's progress before the first word). */
    onPromptProgress?: (evaluated: number, total: number) => void;
    signal?: AbortSignal;
}

export interface BoundedKv {
    readonly policy: "h2o" | "query-aware" | "sink-window";
    readonly windowLength: number;
    /** Why sink-window runs although H2O was asked for. */
    readonly fallbackReason?: string;
}

export interface GenerationOutcome {
    text: string;
    generatedTokens: number;
    promptTokens: number;
    cancelled: boolean;
    /** How the KV cache was used, when the generator reports it. */
    kv?: KvCacheReport;
    /** The llama.cpp server that produced it, for a remote engine. */
    endpoint?: string;
    /** Generation speed, where the engine measured it. */
    tokensPerSecond?: number;
    /** Why generation stopped, where the engine says. */
    stopReason?: StopReason;
}
