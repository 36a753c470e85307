import { createHash } from "node:crypto";
import * as fs from "node:fs/promises";
import type { LlamaEmbeddingContext, LlamaModel, LlamaRankingContext, Token } from "node-llama-cpp" with { "resolution-mode": "import" };
import type { EmbeddingModelInfo, RerankerModelInfo, VectorModelParams } from "../../shared/inferenceMessages";
import { describeModelFileProblem } from "./describeModelFileProblem";
import { firstLine } from "./firstLine";
import { validateLlamaGguf } from "./gguf/llamaValidation";
import { ModelLoadError } from "./inferenceErrors";
import { LlamaBinding } from "./LlamaBinding";
import { defaultThreads } from "./LlamaEngine";
import { LlamaModelLoader } from "./LlamaModelLoader";

/** The most tokens a text is embedded with (a passage, or a query and a passage for the reranker). */
const maxContext = 512;

interface Loaded<C> {
    readonly model: LlamaModel;
    readonly context: C;
}

/**
 * The embedding model and the reranker in the inference child (RetrievalModels' child): each loaded once, through
 * the same llama.cpp build choice as the language model (LlamaBinding). Texts too long for the context are cut to
 * fit, not refused: a passage's opening carries its subject.
 */
export class VectorEngine {
    private readonly binding = new LlamaBinding((level, message) => this.log(level, message));
    private embedding?: Loaded<LlamaEmbeddingContext> & { info: EmbeddingModelInfo };
    private ranking?: Loaded<LlamaRankingContext> & { info: RerankerModelInfo };
    private readonly loader = new LlamaModelLoader();

    constructor(private readonly onLog: (level: string, message: string) => void = () => undefined) {}

    async loadEmbedding(params: VectorModelParams): Promise<EmbeddingModelInfo> {
        if (this.embedding?.info.path === params.modelPath) return this.embedding.info;
        const started = performance.now();
        const model = await this.loadModel(params);
        try {
            const context = await model.createEmbeddingContext({ contextSize: contextFor(model, params), threads: params.threads ?? defaultThreads() });
            const probe = await context.getEmbeddingFor("a");
            const info: EmbeddingModelInfo = {
                id: await modelId(params.modelPath, model),
                path: params.modelPath,
                ...nameOf(model),
                dimension: probe.vector.length,
                contextSize: contextFor(model, params),
                loadMs: Math.round(performance.now() - started),
            };
            await this.embedding?.model.dispose();
            this.embedding = { model, context, info };
            return info;
        } catch (error) {
            await model.dispose();
            throw new ModelLoadError(params.modelPath, `it cannot embed text: ${firstLine(error)}`);
        }
    }

    async loadReranker(params: VectorModelParams): Promise<RerankerModelInfo> {
        if (this.ranking?.info.path === params.modelPath) return this.ranking.info;
        const started = performance.now();
        const model = await this.loadModel(params);
        try {
            const context = await model.createRankingContext({ contextSize: contextFor(model, params), threads: params.threads ?? defaultThreads() });
            const info: RerankerModelInfo = {
                id: await modelId(params.modelPath, model),
                path: params.modelPath,
                ...nameOf(model),
                contextSize: contextFor(model, params),
                loadMs: Math.round(performance.now() - started),
            };
            await this.ranking?.model.dispose();
            this.ranking = { model, context, info };
            return info;
        } catch (error) {
            await model.dispose();
            throw new ModelLoadError(params.modelPath, `it is not a reranking model (${firstLine(error)}): it needs a classification head, as bge-reranker GGUFs have`);
        }
    }

    /** Unit-length vectors, one per text. */
    async embed(texts: readonly string[]): Promise<number[][]> {
        const loaded = this.embedding;
        if (!loaded) throw new Error("no embedding model is loaded");
        const { model, context, info } = loaded;
        const vectors: number[][] = [];
        for (const text of texts) {
            // room for the BOS/EOS tokens node-llama-cpp adds
            const tokens: Token[] = model.tokenize(text).slice(0, info.contextSize - 4);
            if (tokens.length === 0) {
                vectors.push(new Array<number>(info.dimension).fill(0));
                continue;
            }
            const { vector } = await context.getEmbeddingFor(tokens);
            vectors.push(normalized(vector, info.dimension));
        }
        return vectors;
    }

    /** Each document's relevance to the query, 0..1; a document too long for the context is cut. */
    async rank(query: string, documents: readonly string[]): Promise<number[]> {
        const loaded = this.ranking;
        if (!loaded) throw new Error("no reranker is loaded");
        const { model, context, info } = loaded;
        const queryTokens = model.tokenize(query).slice(0, Math.floor(info.contextSize / 4));
        const room = Math.max(8, info.contextSize - queryTokens.length - 16);
        const fitted = documents.map((document) => {
            const tokens = model.tokenize(document);
            return tokens.length <= room ? document : model.detokenize(tokens.slice(0, room));
        });
        const scores = await context.rankAll(model.detokenize(queryTokens), fitted);
        return scores.map((score) => (Number.isFinite(score) ? Math.min(1, Math.max(0, score)) : 0));
    }

    private async loadModel(params: VectorModelParams): Promise<LlamaModel> {
        const file = params.modelPath;
        try {
            await validateLlamaGguf(file);
        } catch (error) {
            throw new ModelLoadError(file, describeModelFileProblem(error, file));
        }
        const { llama } = await this.binding.choose(params.gpu, file, undefined);
        return this.loader.load(llama, file);
    }

    private log(level: string, message: string): void {
        this.loader.note(level, message);
        this.onLog(level, message.trimEnd());
    }
}

function contextFor(model: LlamaModel, params: VectorModelParams): number {
    return Math.max(16, Math.min(params.contextSize ?? maxContext, model.trainContextSize || maxContext));
}

function nameOf(model: LlamaModel): { name?: string } {
    const name = model.fileInfo.metadata.general?.name;
    return typeof name === "string" ? { name } : {};
}

/**
 * Size, name and three MiB of the file (its start, middle and end): another file, or the same file changed, is another
 * model, without hashing gigabytes at every load (two fine-tunes share a header, not their weights).
 */
async function modelId(file: string, model: LlamaModel): Promise<string> {
    const handle = await fs.open(file, "r");
    try {
        const { size } = await handle.stat();
        const hash = createHash("sha256").update(`${size}\0${nameOf(model).name ?? ""}\0`);
        const window = Buffer.alloc(1 << 20);
        for (const start of [0, Math.floor(size / 2), Math.max(0, size - window.length)]) {
            const { bytesRead } = await handle.read(window, 0, window.length, start);
            hash.update(window.subarray(0, bytesRead));
        }
        return hash.digest("hex").slice(0, 16);
    } finally {
        await handle.close();
    }
}

function normalized(vector: readonly number[], dimension: number): number[] {
    let norm = 0;
    for (const value of vector) norm += value * value;
    norm = Math.sqrt(norm);
    if (!(norm > 0) || !Number.isFinite(norm) || vector.length !== dimension) return new Array<number>(dimension).fill(0);
    return Array.from(vector, (value) => value / norm);
}
