import * as path from "node:path";
import { WorkspaceIndex } from "../../core/WorkspaceIndex";
import { saveResult } from "../../eval/resultsStore";
import { runNeedleGrid, summarizeNeedleCells, type NeedleCell, type NeedleEngineFactory } from "../../eval/runNeedleGrid";
import { stringOption, UsageError, type Command, type ParsedArgs } from "../Command";
import { h2oOptions, h2oOptionsHelp, inferenceFromArgs, kvModeFromArgs, modelFromArgs, modelOptions, modelOptionsHelp } from "../generatorFromArgs";

// Room for the needle, the question and the answer on top of the haystack.
const promptMargin = 128;

export const needleCommand: Command = {
    name: "needle",
    summary: "Needle-in-a-haystack grid (length × depth), full cache and H2O, scored without a judge",
    usage: `llamahome needle --model M [--lengths 2000,8000,32000] [--depths 10,50,90] [--enable-h2o --window-length N --heavy-hitters K]
                        [--haystack DIR] [--seed S] [--json]

  Builds a haystack of each length (in the model's tokens) from the documents in DIR (default: the bundled
  sample workspace), hides "The secret code of <Name> is <CODE>." at each depth (on a sentence boundary),
  asks for it and scores: 1/0 exact match of the code, plus 0–1 character overlap. The full cache runs where
  the length fits the model's training context; other cells are reported as skipped, never guessed. With
  --enable-h2o every cell also runs in the bounded cache (policy "h2o", or "sink-window" when the H2O build is
  missing — the output says which). Results are saved for the dashboard.
  ${modelOptionsHelp}
  ${h2oOptionsHelp}`,
    options: { ...modelOptions, ...h2oOptions, lengths: { type: "string" }, depths: { type: "string" }, haystack: { type: "string" }, seed: { type: "string" }, json: { type: "boolean" } },
    positionals: [0, 0],
    async run(args) {
        const model = modelFromArgs(args);
        if (!model) throw new UsageError("needle needs a model: --model <path.gguf | hf:… | https://…> or LLAMAHOME_MODEL");
        const lengths = numberList(args, "lengths", [2000, 8000, 32000], 64);
        const depths = numberList(args, "depths", [10, 50, 90], 0);
        if (depths.some((depth) => depth > 100)) throw new UsageError("--depths are percentages from 0 to 100");
        const seed = args.values.seed === undefined ? undefined : Number(args.values.seed);
        if (seed !== undefined && !Number.isInteger(seed)) throw new UsageError("--seed must be an integer");
        const haystackDir = path.resolve(stringOption(args, "haystack") ?? path.join(__dirname, "..", "samples", "workspace"));
        const sources = await haystackSources(haystackDir);

        const controller = new AbortController();
        const interrupt = () => controller.abort();
        process.once("SIGINT", interrupt);
        const started = performance.now();
        try {
            const full: NeedleEngineFactory = async (length) => {
                const inference = inferenceFromArgs(args, model, { contextSize: length + promptMargin, kv: undefined });
                const info = await inference.load(controller.signal).catch(async (error: Error) => {
                    await inference.dispose();
                    throw error;
                });
                if (length + promptMargin > info.trainContextSize) {
                    await inference.dispose();
                    return { policy: "full", skipped: `the full cache (${length + promptMargin} tokens) exceeds the model's training context (${info.trainContextSize})` };
                }
                return { process: inference, policy: "full", release: () => inference.dispose() };
            };
            // The bounded cache holds any length: one process serves every cell (the policy is read from each result).
            const kv = kvModeFromArgs(args);
            const bounded: NeedleEngineFactory | undefined = kv && (async () => {
                const inference = inferenceFromArgs(args, model, { kv });
                const info = await inference.load(controller.signal).catch(async (error: Error) => {
                    await inference.dispose();
                    throw error;
                });
                return { process: inference, policy: info.kv?.policy ?? "h2o", release: () => inference.dispose() };
            });
            const gridOptions = {
                lengths, depths, sources, seed, signal: controller.signal,
                onCell: args.values.json || !process.stderr.isTTY ? undefined : (cell: NeedleCell) => process.stderr.write(`${describe(cell)}\n`),
            };
            const cells = await runNeedleGrid(full, gridOptions);
            if (bounded) cells.push(...(await runNeedleGrid(bounded, gridOptions)));
            const result = {
                model, haystack: haystackDir, lengths, depths,
                ...(kv ? { windowLength: kv.windowLength, heavyHitters: kv.heavyHitters } : {}),
                cells, summary: summarizeNeedleCells(cells), ms: Math.round(performance.now() - started),
            };
            const saved = await saveResult("needle", result);
            if (args.values.json) process.stdout.write(JSON.stringify(result) + "\n");
            else process.stdout.write(`${table(cells, lengths, depths)}\nSaved to ${saved}\n`);
            return 0;
        } finally {
            process.off("SIGINT", interrupt);
        }
    },
};

async function haystackSources(dir: string): Promise<string[]> {
    const index = await WorkspaceIndex.open(dir);
    try {
        await index.update();
        const texts = index.listDocuments().sort((a, b) => a.path.localeCompare(b.path)).map((doc) => index.documentText(doc.path) ?? "");
        if (texts.every((text) => !text.trim())) throw new UsageError(`no indexable text in the haystack folder ${dir}`);
        return texts;
    } finally {
        await index.dispose();
    }
}

function numberList(args: ParsedArgs, name: string, fallback: number[], min: number): number[] {
    const raw = stringOption(args, name);
    if (raw === undefined) return fallback;
    const values = raw.split(",").map((part) => Number(part.trim()));
    if (values.length === 0 || values.some((value) => !Number.isInteger(value) || value < min)) throw new UsageError(`--${name} must be a comma-separated list of integers ≥ ${min} (got ${raw})`);
    return values;
}

function describe(cell: NeedleCell): string {
    return `${cell.policy} length ${cell.length} depth ${cell.depth}%: ${cell.skipped ? `skipped (${cell.skipped})` : `score ${cell.score} overlap ${cell.overlap} in ${cell.ms} ms → "${cell.answer ?? ""}"`}`;
}

function table(cells: NeedleCell[], lengths: number[], depths: number[]): string {
    const lines: string[] = [];
    for (const policy of [...new Set(cells.map((cell) => cell.policy))]) {
        lines.push(`\n${policy}: exact match (character overlap) by length × depth`);
        lines.push(`${"length".padStart(8)} ${depths.map((d) => `${d}%`.padStart(14)).join("")}`);
        for (const length of lengths) {
            const row = depths.map((depth) => {
                const cell = cells.find((c) => c.policy === policy && c.length === length && c.depth === depth);
                return (cell?.skipped ? "skipped" : cell ? `${cell.score} (${cell.overlap.toFixed(2)})` : "—").padStart(14);
            });
            lines.push(`${String(length).padStart(8)} ${row.join("")}`);
        }
    }
    return lines.join("\n");
}
