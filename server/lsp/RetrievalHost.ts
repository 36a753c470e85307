import type { LlamaHomeSettings } from "../../shared/settings";
import { RetrievalModels } from "../llm/RetrievalModels";
import { absoluteModelSetting } from "../llm/resolveModelSource";

/**
 * Owns the embedding model and the reranker the settings name (one RetrievalModels, in its own inference child), and
 * replaces them only when those settings change: reopening the indexes after another setting changed keeps the
 * loaded models.
 */
export class RetrievalHost {
    private models?: RetrievalModels;
    private key = "";

    constructor(private readonly log: (line: string) => void) {}

    /** The models for these settings (a relative path is relative to `base`); undefined when neither is set. */
    async configure(settings: Pick<LlamaHomeSettings, "embeddingModel" | "rerankerModel" | "gpu">, base: string): Promise<RetrievalModels | undefined> {
        const embeddingModel = settings.embeddingModel ? absoluteModelSetting(settings.embeddingModel, base) : undefined;
        const rerankerModel = settings.rerankerModel ? absoluteModelSetting(settings.rerankerModel, base) : undefined;
        const key = JSON.stringify([embeddingModel, rerankerModel, settings.gpu]);
        if (key === this.key) return this.models;
        await this.models?.dispose();
        this.key = key;
        this.models = embeddingModel || rerankerModel
            ? new RetrievalModels({ embeddingModel, rerankerModel, gpu: settings.gpu === "cpu" ? false : settings.gpu, onLog: (line: string) => this.log(line) })
            : undefined;
        return this.models;
    }

    async dispose(): Promise<void> {
        await this.models?.dispose();
        this.models = undefined;
        this.key = "";
    }
}
