// The needle test as `llamahome needle` and the editor's Run Needle Test both run it: the policies asked for, each
// over the whole grid, on engines the caller starts from its own settings.
import type { NeedlePolicy } from "../../shared/results";
import type { WorkspaceIndex } from "../core/WorkspaceIndex";
import type { InferenceProcess, KvCacheMode } from "../llm/InferenceProcess";
import { needleContextSize, runNeedleGrid, type NeedleCell, type NeedleEngineFactory, type NeedleGridOptions } from "./runNeedleGrid";

export interface NeedleRunOptions extends NeedleGridOptions {
    /** In order; each runs every cell. */
    policies: readonly NeedlePolicy[];
    /** An engine with a full context of `contextSize` tokens, or with the bounded cache `kv`; loaded by the run. */
    engine: (shape: { contextSize: number } | { kv: KvCacheMode }) => InferenceProcess;
    /** The bounded policies' KV budget (observationShare applies to query-aware only); needed when one runs. */
    budget?: Omit<KvCacheMode, "mode">;
    /** The model's training context when known before loading: full-cache cells beyond it are skipped unallocated. */
    trainContextSize?: number;
}

export async function runNeedlePolicies(options: NeedleRunOptions): Promise<NeedleCell[]> {
    const cells: NeedleCell[] = [];
    for (const policy of options.policies) {
        cells.push(...(await runNeedleGrid(policy === "full" ? fullCache(options) : boundedCache(options, policy), options)));
    }
    return cells;
}

/** One process per length, with a context of the prompt plus the answer; lengths the model was not trained for are skipped. */
function fullCache(options: NeedleRunOptions): NeedleEngineFactory {
    return async (length) => {
        const needed = needleContextSize(length);
        const tooLong = (train: number) => ({ policy: "full" as const, skipped: `the full cache (${needed} tokens) exceeds the model's training context (${train})` });
        if (options.trainContextSize !== undefined && needed > options.trainContextSize) return tooLong(options.trainContextSize);
        const inference = await loaded(options.engine({ contextSize: needed }), options.signal);
        if (needed > inference.info.trainContextSize) {
            await inference.process.dispose();
            return tooLong(inference.info.trainContextSize);
        }
        return { process: inference.process, policy: "full", release: () => inference.process.dispose() };
    };
}

/** The bounded cache holds any length; each engine names the policy that really ran (sink-window without the H2O build). */
function boundedCache(options: NeedleRunOptions, mode: Exclude<NeedlePolicy, "full">): NeedleEngineFactory {
    if (!options.budget) throw new Error(`the ${mode} policy needs a KV budget`);
    const { observationShare, ...budget } = options.budget;
    const kv: KvCacheMode = { mode, ...budget, ...(mode === "query-aware" && observationShare !== undefined ? { observationShare } : {}) };
    return async () => {
        const inference = await loaded(options.engine({ kv }), options.signal);
        return { process: inference.process, policy: inference.info.kv?.policy ?? mode, release: () => inference.process.dispose() };
    };
}

async function loaded(process: InferenceProcess, signal: AbortSignal | undefined) {
    try {
        return { process, info: await process.load(signal) };
    } catch (error) {
        await process.dispose();
        throw error;
    }
}

/**
 * A folder's document texts in path order, the needle's haystack, up to `maxChars` in all (the document that crosses
 * it is the last); undefined when none has any text.
 */
export function haystackTexts(index: WorkspaceIndex, maxChars = Infinity): string[] | undefined {
    const texts: string[] = [];
    let chars = 0;
    for (const document of index.listDocuments().sort((a, b) => a.path.localeCompare(b.path))) {
        const text = index.documentText(document.path) ?? "";
        texts.push(text);
        chars += text.length;
        if (chars > maxChars) break;
    }
    return texts.some((text) => text.trim()) ? texts : undefined;
}
