/** What summaries and answers need from a language model. The inference process implements it. */
export interface TextGenerator {
    /** The model's name or file, for reports. */
    readonly modelName: string;
    /** Tokens the model's context holds (prompt + output). */
    readonly contextSize: number;
    countTokens(text: string, signal?: AbortSignal): Promise<number>;
    generate(request: GenerationRequest): Promise<GenerationOutcome>;
}

export interface GenerationRequest {
    prompt: string;
    /** Defaults to 256. */
    maxTokens?: number;
    /** 0 is greedy. Defaults to 0. */
    temperature?: number;
    stop?: string[];
    onText?: (text: string) => void;
    signal?: AbortSignal;
}

export interface GenerationOutcome {
    text: string;
    generatedTokens: number;
    promptTokens: number;
    cancelled: boolean;
}
