import type { EngineName } from "../../shared/protocol";

export interface CachedSummary {
    summary: string;
    engine: EngineName;
    model?: string;
}

/**
 * Summaries by document content: keyed by path and content hash, so an edited document is never
 * described by its old summary. An LLM summary replaces an extractive one, never the reverse.
 */
export class SummaryCache {
    private readonly entries = new Map<string, CachedSummary>();

    get(path: string, hash: string): CachedSummary | undefined {
        return this.entries.get(`${path}\u0000${hash}`);
    }

    set(path: string, hash: string, summary: CachedSummary): void {
        const key = `${path}\u0000${hash}`;
        if (summary.engine === "extractive" && this.entries.get(key)?.engine === "llm") return;
        this.entries.set(key, summary);
    }
}
