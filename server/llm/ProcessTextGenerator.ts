import type { BoundedKv, GenerationOutcome, GenerationRequest, TextGenerator } from "../assist/TextGenerator";
import type { InferenceProcess, ModelInfo } from "./InferenceProcess";

/** The inference process seen as the TextGenerator that summaries and answers use. Load the model first. */
export class ProcessTextGenerator implements TextGenerator {
    constructor(
        private readonly process: InferenceProcess,
        private readonly info: ModelInfo,
        /** Editor requests go ahead of background work (hover summaries, benchmarks). */
        private readonly priority: "interactive" | "background" = "interactive",
    ) {}

    get modelName(): string {
        return this.info.name ?? this.info.path;
    }

    get contextSize(): number {
        return this.info.contextSize;
    }

    /** From the load: the policy that really runs ("sink-window" when the H2O build is missing). */
    get boundedKv(): BoundedKv | undefined {
        const kv = this.info.kv;
        return kv === undefined
            ? undefined
            : { policy: kv.policy, windowLength: kv.windowLength, ...(kv.fallbackReason === undefined ? {} : { fallbackReason: kv.fallbackReason }) };
    }

    countTokens(text: string, signal?: AbortSignal): Promise<number> {
        return this.process.countTokens(text, signal);
    }

    async generate(request: GenerationRequest): Promise<GenerationOutcome> {
        const result = await this.process.generate({ ...request, priority: this.priority });
        return {
            text: result.text,
            generatedTokens: result.generatedTokens,
            promptTokens: result.promptTokens,
            cancelled: result.stopReason === "cancelled",
            ...(result.kv === undefined ? {} : { kv: result.kv }),
        };
    }

    background(): ProcessTextGenerator {
        return new ProcessTextGenerator(this.process, this.info, "background");
    }
}
