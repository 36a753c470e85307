import type { GenerationOutcome, GenerationRequest, TextGenerator } from "../../assist/TextGenerator";
import type { EndpointPool } from "./EndpointPool";
import type { ServerProps } from "./LlamaServerClient";

/**
 * llama.cpp servers (EndpointPool) seen as the TextGenerator summaries and answers use. Prompts are counted with the
 * server's own tokenizer (/tokenize) and sent through its chat template (/apply-template) when they are instructions.
 * The KV cache is the server's: no H2O here (the server has no attention accumulator), so there is no boundedKv and
 * long documents go through the full-context path.
 */
export class RemoteTextGenerator implements TextGenerator {
    constructor(
        private readonly pool: EndpointPool,
        private readonly props: ServerProps,
        private readonly priority: "interactive" | "background" = "interactive",
    ) {}

    get modelName(): string {
        return this.props.model;
    }

    get contextSize(): number {
        return this.props.contextSize;
    }

    /** The endpoint that served the last generation through this generator. */
    lastEndpoint: string | undefined;

    countTokens(text: string, signal?: AbortSignal): Promise<number> {
        return this.pool.run(this.priority, (client) => client.countTokens(text, signal), signal);
    }

    async generate(request: GenerationRequest): Promise<GenerationOutcome> {
        const { signal } = request;
        return this.pool.run(this.priority, async (client, attempt) => {
            // A failed endpoint may have streamed part of an answer: the reader starts over, never two answers glued.
            if (attempt > 0) request.onRestart?.(`${client.url} takes over`);
            const prompt = request.instruction ? await client.applyTemplate(request.prompt, signal) : request.prompt;
            const outcome = await client.complete(
                { prompt, maxTokens: request.maxTokens ?? 256, temperature: request.temperature ?? 0, ...(request.stop ? { stop: request.stop } : {}) },
                request.onText,
                signal,
            );
            this.lastEndpoint = client.url;
            if (outcome.tokensPerSecond) this.pool.recordSpeed(client.url, outcome.tokensPerSecond);
            return {
                text: outcome.text,
                generatedTokens: outcome.generatedTokens,
                promptTokens: outcome.promptTokens,
                cancelled: outcome.cancelled,
                stopReason: outcome.stopReason,
                endpoint: client.url,
                ...(outcome.tokensPerSecond ? { tokensPerSecond: outcome.tokensPerSecond } : {}),
            };
        }, signal);
    }

    background(): RemoteTextGenerator {
        return new RemoteTextGenerator(this.pool, this.props, "background");
    }
}
