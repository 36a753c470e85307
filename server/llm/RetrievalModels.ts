import type { EmbeddingModelInfo, InferenceGpu, RerankerModelInfo, VectorModelParams } from "../../shared/inferenceMessages";
import { DisposedError } from "../core/DisposedError";
import { abortable } from "./abortable";
import { defaultChildScriptPath, expectReply, InferenceConnection } from "./InferenceConnection";
import { InferenceProcessExitedError, ModelLoadError } from "./inferenceErrors";
import { resolveModelSource, type DownloadProgress } from "./resolveModelSource";

export type { EmbeddingModelInfo, RerankerModelInfo };

export interface RetrievalModelsOptions {
    /** A local GGUF path or a URI (hf:…, https://…), resolved and downloaded like the language model. */
    embeddingModel?: string;
    rerankerModel?: string;
    modelsDir?: string;
    huggingFaceEndpoint?: string;
    /** Defaults to "auto". */
    gpu?: InferenceGpu;
    threads?: number;
    onLog?: (line: string) => void;
    onDownloadProgress?: (progress: DownloadProgress) => void;
    /** The child entry script. Defaults to inferenceChild.js beside this bundle, or dist/inferenceChild.js from sources. */
    childScriptPath?: string;
}

export type VectorPriority = "interactive" | "background";

/** Texts per message to the child for background work: an interactive request waits for one batch at most. */
const backgroundBatch = 16;

interface Child {
    readonly connection: InferenceConnection;
    embedding?: Promise<EmbeddingModelInfo>;
    reranker?: Promise<RerankerModelInfo>;
}

/**
 * The embedding model and the reranker, in an inference child of their own (the same script as the language
 * model's, another process): a reranker crash never costs an answer being written, and embedding in the background
 * runs beside generation. The child is started on the first request and again after it dies; models load on first
 * use. Interactive requests (a query's vector, a rerank) go ahead of background embedding, which is sent in batches.
 *
 * Errors: ModelLoadError (bad or missing file, not an embedding/reranking model, failed download),
 * InferenceProcessExitedError (the child died mid-request), CancelledError (the signal), DisposedError.
 */
export class RetrievalModels implements AsyncDisposable {
    private child?: Child;
    private readonly scriptPath: string;
    /** Background batches run one after another, each its own message. */
    private backgroundTail: Promise<unknown> = Promise.resolve();
    private disposing?: Promise<void>;
    private readonly lifetime = new AbortController();

    constructor(private readonly options: RetrievalModelsOptions) {
        this.scriptPath = options.childScriptPath ?? defaultChildScriptPath();
    }

    get hasEmbeddingModel(): boolean {
        return !!this.options.embeddingModel;
    }

    get hasReranker(): boolean {
        return !!this.options.rerankerModel;
    }

    /** The embedding model, loaded (once per child; a failed load is tried again by the next call). */
    loadEmbedding(signal?: AbortSignal): Promise<EmbeddingModelInfo> {
        return abortable(this.embeddingLoaded().then(({ info }) => info), signal, "loading the embedding model");
    }

    loadReranker(signal?: AbortSignal): Promise<RerankerModelInfo> {
        return abortable(this.rerankerLoaded().then(({ info }) => info), signal, "loading the reranker");
    }

    /** Unit-length vectors, one per text, in order. */
    async embed(texts: readonly string[], options: { signal?: AbortSignal; priority?: VectorPriority } = {}): Promise<Float32Array[]> {
        const { signal } = options;
        if (texts.length === 0) return [];
        if (options.priority !== "background") {
            return abortable(this.embedNow(texts), signal, "embedding the query");
        }
        const vectors: Float32Array[] = [];
        for (let start = 0; start < texts.length; start += backgroundBatch) {
            signal?.throwIfAborted();
            const batch = texts.slice(start, start + backgroundBatch);
            const run = this.backgroundTail.then(() => this.embedNow(batch));
            this.backgroundTail = run.catch(() => undefined);
            vectors.push(...(await abortable(run, signal, "embedding passages")));
        }
        return vectors;
    }

    /** Each document's relevance to the query, 0..1. */
    async rank(query: string, documents: readonly string[], signal?: AbortSignal): Promise<number[]> {
        if (documents.length === 0) return [];
        const work = this.rerankerLoaded().then(async ({ child }) => {
            const reply = await child.connection.call({ type: "rank", query, documents: [...documents] }, "reranking");
            return expectReply(reply, "ranks").scores;
        });
        return abortable(work, signal, "reranking");
    }

    /** Kills the child; what is pending rejects with DisposedError. Safe to call twice. */
    dispose(): Promise<void> {
        if (this.disposing) return this.disposing;
        this.lifetime.abort();
        const child = this.child;
        this.child = undefined;
        this.disposing = child ? child.connection.close(new DisposedError("RetrievalModels")) : Promise.resolve();
        return this.disposing;
    }

    async [Symbol.asyncDispose](): Promise<void> {
        await this.dispose();
    }

    private async embedNow(texts: readonly string[]): Promise<Float32Array[]> {
        const { child, info } = await this.embeddingLoaded();
        const reply = await child.connection.call({ type: "embed", texts: [...texts] }, "embedding");
        const { vectors } = expectReply(reply, "embeddings");
        if (vectors.length !== texts.length || vectors.some((vector) => vector.length !== info.dimension)) {
            throw new ModelLoadError(info.path, `it returned ${vectors.length} vectors for ${texts.length} texts`);
        }
        return vectors.map((vector) => Float32Array.from(vector));
    }

    private async embeddingLoaded(): Promise<{ child: Child; info: EmbeddingModelInfo }> {
        const source = this.options.embeddingModel;
        if (!source) throw new ModelLoadError("(none)", "no embedding model is set (llamahome.embeddingModel or --embedding-model)");
        const child = this.ensureChild();
        if (!child.embedding) {
            const loading = this.load(child, source, "loadEmbedding").then((reply) => expectReply(reply, "embeddingLoaded").model);
            child.embedding = loading;
            loading.catch(() => child.embedding === loading && (child.embedding = undefined));
        }
        return { child, info: await child.embedding };
    }

    private async rerankerLoaded(): Promise<{ child: Child; info: RerankerModelInfo }> {
        const source = this.options.rerankerModel;
        if (!source) throw new ModelLoadError("(none)", "no reranker is set (llamahome.rerankerModel or --reranker)");
        const child = this.ensureChild();
        if (!child.reranker) {
            const loading = this.load(child, source, "loadReranker").then((reply) => expectReply(reply, "rerankerLoaded").model);
            child.reranker = loading;
            loading.catch(() => child.reranker === loading && (child.reranker = undefined));
        }
        return { child, info: await child.reranker };
    }

    private async load(child: Child, source: string, type: "loadEmbedding" | "loadReranker") {
        const modelPath = await resolveModelSource(source, {
            modelsDir: this.options.modelsDir,
            huggingFaceEndpoint: this.options.huggingFaceEndpoint,
            onProgress: this.options.onDownloadProgress,
            signal: this.lifetime.signal,
        });
        if (this.disposing) throw new DisposedError("RetrievalModels");
        const params: VectorModelParams = { modelPath, gpu: this.options.gpu ?? "auto", ...(this.options.threads === undefined ? {} : { threads: this.options.threads }) };
        try {
            return await child.connection.call({ type, params }, type === "loadEmbedding" ? "loading the embedding model" : "loading the reranker");
        } catch (error) {
            if (error instanceof InferenceProcessExitedError) throw new ModelLoadError(modelPath, `the inference process crashed while loading it (${error.exit})`);
            throw error;
        }
    }

    private ensureChild(): Child {
        if (this.disposing) throw new DisposedError("RetrievalModels");
        if (this.child) return this.child;
        const connection = new InferenceConnection({
            scriptPath: this.scriptPath,
            onLog: (line) => this.options.onLog?.(line),
            // forgotten: the next request starts a new child, which loads the models again
            onExit: () => {
                if (this.child === child) this.child = undefined;
            },
        });
        const child: Child = { connection };
        this.child = child;
        return child;
    }
}
