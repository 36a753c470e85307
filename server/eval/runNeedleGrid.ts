import type { GenerateResult, InferenceProcess } from "../llm/InferenceProcess";
import type { NeedleCell, NeedlePolicySummary, NeedleResult } from "../../shared/results";
import { seededRandom } from "../../shared/seededRandom";
import { buildHaystack, insertNeedle, makeNeedle, needlePrompt, needleQuestion, scoreNeedle, type NeedleScore } from "./needle";

// The cell type lives in shared/results.ts (the dashboard draws it); re-exported for the CLI and tests.
export type { NeedleCell };

export interface NeedleGridOptions {
    /** Prompt lengths in the model's tokens (haystack + needle + question); the haystack is sized to fill each. */
    lengths: number[];
    depths: number[];
    /** Haystack source texts, in order. */
    sources: string[];
    /**
     * Base seed: trial t of the cell (length i, depth j) uses needle seed + 100000·t + 1000·i + j and a haystack
     * starting at a sentence drawn from seed + 100000·t + 1000·i. Defaults to 7_000_000 (held out from training).
     */
    seed?: number;
    /** Needles per cell (each with its own haystack); the cell's score is their mean. Defaults to 1. */
    trials?: number;
    signal?: AbortSignal;
    onCell?: (cell: NeedleCell) => void;
}

/** Tokens the answer may take: generation stops at the first newline or after this many. */
const ANSWER_TOKENS = 12;

/** The context a full-cache cell of `length` prompt tokens needs: the prompt and the answer. */
export function needleContextSize(length: number): number {
    return length + ANSWER_TOKENS + 4;
}

/** One inference process per length and policy, made by the caller (the context must hold the cell). */
export type NeedleEngineFactory = (length: number) => Promise<{ process: InferenceProcess; policy: NeedleCell["policy"]; release: () => Promise<void> } | { skipped: string; policy: NeedleCell["policy"] }>;

/** Runs every length × depth cell for one policy. */
export async function runNeedleGrid(engine: NeedleEngineFactory, options: NeedleGridOptions): Promise<NeedleCell[]> {
    const cells: NeedleCell[] = [];
    const seed = options.seed ?? 7_000_000;
    const trials = options.trials ?? 1;
    const report = (cell: NeedleCell): void => {
        cells.push(cell);
        options.onCell?.(cell);
    };
    for (const [li, length] of options.lengths.entries()) {
        options.signal?.throwIfAborted();
        const made = await engine(length);
        if ("skipped" in made) {
            for (const depth of options.depths) report({ length, depth, policy: made.policy, score: 0, overlap: 0, ms: 0, skipped: made.skipped });
            continue;
        }
        try {
            const count = (text: string) => made.process.countTokens(text, options.signal);
            const runs = options.depths.map(() => [] as Trial[]);
            let tooShort: string | undefined;
            for (let t = 0; t < trials && tooShort === undefined; t++) {
                const trialSeed = seed + 100_000 * t + 1000 * li;
                const needles = options.depths.map((_, di) => makeNeedle(trialSeed + di));
                // BOS, the space before the needle, and the needle + question of the longest of this trial's needles.
                const overhead = 2 + Math.max(...(await Promise.all(needles.map((needle) => count(needlePrompt(needle.sentence, needle))))));
                const haystack = length > overhead ? await buildHaystack(options.sources, length - overhead, count, seededRandom(trialSeed)) : [];
                if (haystack.length === 0) {
                    tooShort = `a ${length}-token prompt cannot hold the needle and the question (${overhead} tokens) and a haystack sentence`;
                    break;
                }
                for (const [di, depth] of options.depths.entries()) {
                    const needle = needles[di]!;
                    const prompt = needlePrompt(insertNeedle(haystack, needle, depth), needle);
                    const started = performance.now();
                    const result = await made.process.generate({ prompt, question: needleQuestion(needle), maxTokens: ANSWER_TOKENS, temperature: 0, stop: ["\n"], signal: options.signal, priority: "background" });
                    runs[di]!.push({ result, score: scoreNeedle(result.text, needle), ms: performance.now() - started });
                }
            }
            for (const [di, depth] of options.depths.entries()) {
                report(tooShort !== undefined ? { length, depth, policy: made.policy, score: 0, overlap: 0, ms: 0, skipped: tooShort } : cellOf(length, depth, made.policy, runs[di]!));
            }
        } finally {
            await made.release();
        }
    }
    return cells;
}

interface Trial {
    result: GenerateResult;
    score: NeedleScore;
    ms: number;
}

/** The trials of one cell in one: mean scores and times, the largest prompt and KV peak, the first answer. */
function cellOf(length: number, depth: number, policy: NeedleCell["policy"], runs: Trial[]): NeedleCell {
    const mean = (value: (run: Trial) => number): number => runs.reduce((sum, run) => sum + value(run), 0) / runs.length;
    const kv = runs.map((run) => run.result.kv).filter((report) => report !== undefined);
    return {
        length, depth, policy: kv[0]?.policy ?? policy,
        score: round(mean((run) => run.score.exact)), overlap: round(mean((run) => run.score.overlap)), ms: Math.round(mean((run) => run.ms)),
        ...(runs.length > 1 ? { trials: runs.length } : {}),
        answer: runs[0]!.result.text.trim().slice(0, 40),
        promptTokens: Math.max(...runs.map((run) => run.result.promptTokens)),
        ...(kv.length === 0 ? {} : {
            kvBudget: kv[0]!.kvBudget,
            kvPeakCells: Math.max(...kv.map((report) => report.kvPeakCells)),
            evictedTokens: Math.max(...kv.map((report) => report.evictedTokens)),
            contextMemoryBytes: Math.max(...kv.map((report) => report.contextMemoryBytes)),
        }),
    };
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
