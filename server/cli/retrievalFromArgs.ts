import { HybridSearch, type EmbedReport } from "../core/HybridSearch";
import type { Fusion } from "../core/fusion";
import type { WorkspaceIndex } from "../core/WorkspaceIndex";
import { RetrievalModels } from "../llm/RetrievalModels";
import { absoluteModelSetting } from "../llm/resolveModelSource";
import { stringOption, UsageError, type ParsedArgs } from "./Command";
import { terminalLine } from "./terminalText";

export const retrievalOptions = {
    "embedding-model": { type: "string" },
    reranker: { type: "string" },
    fusion: { type: "string" },
    "models-dir": { type: "string" },
} as const;

export const retrievalOptionsHelp = `Retrieval options: --embedding-model <path.gguf | hf:user/repo/file.gguf> (or LLAMAHOME_EMBEDDING_MODEL)
  embeds every passage (once: vectors are kept with the index by text hash) and fuses BM25 with cosine similarity,
  --fusion rrf|convex (default rrf); --reranker <path.gguf | hf:…> (or LLAMAHOME_RERANKER_MODEL) reorders the best
  20 hits with a cross-encoder. Either model failing leaves BM25, with a warning. --models-dir D for downloads.`;

/** Search over an index with the models the arguments name, and the models' owner. */
export interface CliRetrieval {
    search: HybridSearch;
    /** Present when embedChunks ran (an embedding model is set). */
    embedded?: EmbedReport;
    /** Why the embedding model could not embed the passages (search then runs BM25). */
    embedError?: string;
    dispose(): Promise<void>;
}

/** The models --embedding-model / --reranker (or their environment variables) name, as HybridSearch options. */
export function retrievalModelsFromArgs(args: ParsedArgs): {
    options: { embedder?: RetrievalModels; ranker?: RetrievalModels; fusion: Fusion; modelNames: { embedding?: string; reranker?: string } };
    dispose(): Promise<void>;
} {
    const embeddingModel = modelArg(args, "embedding-model", "LLAMAHOME_EMBEDDING_MODEL");
    const rerankerModel = modelArg(args, "reranker", "LLAMAHOME_RERANKER_MODEL");
    const fusion = stringOption(args, "fusion") ?? "rrf";
    if (fusion !== "rrf" && fusion !== "convex") throw new UsageError(`--fusion must be rrf or convex (got ${fusion})`);
    if (args.values.fusion !== undefined && !embeddingModel) throw new UsageError("--fusion needs --embedding-model");
    const models = embeddingModel || rerankerModel
        ? new RetrievalModels({ embeddingModel, rerankerModel, modelsDir: stringOption(args, "models-dir") })
        : undefined;
    return {
        options: {
            ...(embeddingModel ? { embedder: models } : {}),
            ...(rerankerModel ? { ranker: models } : {}),
            fusion,
            modelNames: { ...(embeddingModel ? { embedding: embeddingModel } : {}), ...(rerankerModel ? { reranker: rerankerModel } : {}) },
        },
        dispose: async () => void (await models?.dispose()),
    };
}

/**
 * The HybridSearch for --embedding-model / --reranker (or their environment variables), with the index's passages
 * embedded (progress on a terminal's stderr). Without either model it is BM25, as before.
 */
export async function openRetrieval(index: WorkspaceIndex, args: ParsedArgs, options: { progress?: boolean } = {}): Promise<CliRetrieval> {
    const models = retrievalModelsFromArgs(args);
    const log = (message: string) => process.stderr.write(`${terminalLine(message)}\n`);
    const search = new HybridSearch(index, { ...models.options, log });
    const retrieval: CliRetrieval = { search, dispose: models.dispose };
    if (!models.options.embedder) return retrieval;
    const showProgress = options.progress === true && process.stderr.isTTY;
    try {
        retrieval.embedded = await search.embedChunks({ onProgress: showProgress ? (done, total) => process.stderr.write(`\rembedding ${done}/${total}`) : undefined });
    } catch (error) {
        retrieval.embedError = (error as Error).message.split("\n")[0];
    } finally {
        if (showProgress) process.stderr.write("\n");
    }
    return retrieval;
}

function modelArg(args: ParsedArgs, flag: string, variable: string): string | undefined {
    const value = stringOption(args, flag) ?? (process.env[variable] || undefined);
    return value === undefined ? undefined : absoluteModelSetting(value, process.cwd());
}
