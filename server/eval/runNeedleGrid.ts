import type { InferenceProcess } from "../llm/InferenceProcess";
import type { NeedleCell, NeedlePolicySummary, NeedleResult } from "../../shared/results";
import { buildHaystack, insertNeedle, makeNeedle, needlePrompt, scoreNeedle } from "./needle";

// The cell type lives in shared/results.ts (the dashboard draws it); re-exported for the CLI and tests.
export type { NeedleCell };

export interface NeedleGridOptions {
    lengths: number[];
    depths: number[];
    /** Haystack source texts, in order. */
    sources: string[];
    /** Base seed for the needles; cells use seed + 1000·length index + depth index. Defaults to 7_000_000 (held out from training). */
    seed?: number;
    signal?: AbortSignal;
    onCell?: (cell: NeedleCell) => void;
}

/** One inference process per length and policy, made by the caller (the context must hold the cell). */
export type NeedleEngineFactory = (length: number) => Promise<{ process: InferenceProcess; policy: NeedleCell["policy"]; release: () => Promise<void> } | { skipped: string; policy: NeedleCell["policy"] }>;

/** Runs every length × depth cell for one policy. */
export async function runNeedleGrid(engine: NeedleEngineFactory, options: NeedleGridOptions): Promise<NeedleCell[]> {
    const cells: NeedleCell[] = [];
    const seed = options.seed ?? 7_000_000;
    for (const [li, length] of options.lengths.entries()) {
        options.signal?.throwIfAborted();
        const made = await engine(length);
        if ("skipped" in made) {
            for (const depth of options.depths) {
                const cell: NeedleCell = { length, depth, policy: made.policy, score: 0, overlap: 0, ms: 0, skipped: made.skipped };
                cells.push(cell);
                options.onCell?.(cell);
            }
            continue;
        }
        try {
            const count = (text: string) => made.process.countTokens(text, options.signal);
            const haystack = await buildHaystack(options.sources, length, count);
            for (const [di, depth] of options.depths.entries()) {
                const needle = makeNeedle(seed + 1000 * li + di);
                const prompt = needlePrompt(insertNeedle(haystack, needle, depth), needle);
                const started = performance.now();
                const result = await made.process.generate({ prompt, maxTokens: 12, temperature: 0, stop: ["\n"], signal: options.signal, priority: "background" });
                const { exact, overlap } = scoreNeedle(result.text, needle);
                const cell: NeedleCell = {
                    length, depth, policy: made.policy, score: exact, overlap: round(overlap), ms: Math.round(performance.now() - started),
                    answer: result.text.trim().slice(0, 40), promptTokens: result.promptTokens,
                    ...kvFields(result),
                };
                cells.push(cell);
                options.onCell?.(cell);
            }
        } finally {
            await made.release();
        }
    }
    return cells;
}

function kvFields(result: object): Partial<NeedleCell> {
    const kv = (result as { kv?: { policy: NeedleCell["policy"]; kvBudget: number; kvPeakCells: number; evictedTokens: number; contextMemoryBytes: number } }).kv;
    return kv ? { policy: kv.policy, kvBudget: kv.kvBudget, kvPeakCells: kv.kvPeakCells, evictedTokens: kv.evictedTokens, contextMemoryBytes: kv.contextMemoryBytes } : {};
}

function round(value: number): number {
    return Math.round(value * 1000) / 1000;
}

/** Means by policy over the cells that ran (skipped cells counted apart), as the needle output reports them. */
export function summarizeNeedleCells(cells: NeedleCell[]): NeedleResult["summary"] {
    const summary: NeedleResult["summary"] = {};
    for (const cell of cells) {
        const entry: NeedlePolicySummary = (summary[cell.policy] ??= { cells: 0, exact: 0, overlap: 0, skipped: 0 });
        if (cell.skipped) {
            entry.skipped++;
            continue;
        }
        entry.exact = (entry.exact * entry.cells + cell.score) / (entry.cells + 1);
        entry.overlap = (entry.overlap * entry.cells + cell.overlap) / (entry.cells + 1);
        entry.cells++;
    }
    return summary;
}
