// Entry of the inference child process (dist/inferenceChild.js), forked by InferenceProcess. It only wires IPC
// messages to a LlamaEngine: llama.cpp runs here so that its aborts and memory stay out of the server process.
import type { InferenceReply, InferenceRequest } from "../../shared/inferenceMessages";
import { firstLine } from "./firstLine";
import { InferenceError, ModelLoadError } from "./inferenceErrors";
import { LlamaEngine } from "./LlamaEngine";
import { VectorEngine } from "./VectorEngine";

if (!process.send) {
    console.error("inferenceChild must be started by InferenceProcess (child_process.fork with an IPC channel)");
    process.exit(2);
}

const engine = new LlamaEngine({ onLog: (level, message) => send({ type: "log", level, message }) });
/** The embedding model and the reranker, when this child serves RetrievalModels. */
const vectors = new VectorEngine((level, message) => send({ type: "log", level, message }));
/**
 * Streamed text goes out at most this often. One message per token cost a fast model almost half its speed on a
 * 2-core host (each send wakes the parent, which competes for the cores: 0.56x of in-process generation, 0.96x with
 * batching); 16 ms is below what a reader notices, and a model slower than that still sends every token at once.
 */
const TEXT_INTERVAL_MS = 16;
/** In-flight generations by request id, so a cancel message can stop them. */
const generations = new Map<number, AbortController>();

function send(reply: InferenceReply): void {
    // After a disconnect the process is exiting; replies have nowhere to go.
    if (process.connected) {
        process.send!(reply);
    }
}

async function handle(request: Exclude<InferenceRequest, { type: "cancel" }>): Promise<void> {
    const { id } = request;
    try {
        switch (request.type) {
            case "load":
                send({ type: "loaded", id, model: await engine.load(request.params) });
                break;
            case "generate": {
                const controller = new AbortController();
                generations.set(id, controller);
                let unsent = "";
                let tokens = 0;
                let sentAt = 0;
                const flush = (): void => {
                    if (unsent.length > 0) {
                        send({ type: "text", id, text: unsent, generatedTokens: tokens });
                        unsent = "";
                        sentAt = performance.now();
                    }
                };
                try {
                    const result = await engine.generate(request.params, {
                        signal: controller.signal,
                        onStarted: (promptTokens) => send({ type: "started", id, promptTokens }),
                        onPromptProgress: (evaluated, total) => send({ type: "promptProgress", id, evaluated, total }),
                        onText: (text, generatedTokens) => {
                            unsent += text;
                            tokens = generatedTokens;
                            if (performance.now() - sentAt >= TEXT_INTERVAL_MS) {
                                flush();
                            }
                        },
                    });
                    flush();
                    send({ type: "done", id, result });
                } finally {
                    generations.delete(id);
                }
                break;
            }
            case "countTokens":
                send({ type: "tokenCount", id, count: engine.countTokens(request.text) });
                break;
            case "metrics":
                send({ type: "metrics", id, metrics: await engine.metrics() });
                break;
            case "loadEmbedding":
                send({ type: "embeddingLoaded", id, model: await vectors.loadEmbedding(request.params) });
                break;
            case "embed":
                send({ type: "embeddings", id, vectors: await vectors.embed(request.texts) });
                break;
            case "loadReranker":
                send({ type: "rerankerLoaded", id, model: await vectors.loadReranker(request.params) });
                break;
            case "rank":
                send({ type: "ranks", id, scores: await vectors.rank(request.query, request.documents) });
                break;
        }
    } catch (error) {
        send(errorReply(id, error));
    }
}

function errorReply(id: number, error: unknown): InferenceReply {
    if (error instanceof ModelLoadError) {
        return { type: "error", id, code: "model-load", message: error.message, file: error.file, reason: error.reason };
    }
    const code = error instanceof InferenceError ? error.code : "failed";
    return { type: "error", id, code: code === "process-exited" ? "failed" : code, message: firstLine(error) };
}

process.on("message", (request: InferenceRequest) => {
    if (request.type === "cancel") {
        generations.get(request.id)?.abort();
    } else {
        void handle(request);
    }
});

// The parent is gone (it exited, crashed or was killed): exit rather than linger as an orphan holding a model in memory.
process.on("disconnect", () => process.exit(0));
