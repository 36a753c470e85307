import * as path from "node:path";
import { WorkspaceIndex } from "../../core/WorkspaceIndex";
import { saveResult } from "../../eval/resultsStore";
import { haystackTexts, runNeedlePolicies } from "../../eval/needleRun";
import { summarizeNeedleCells, type NeedleCell } from "../../eval/runNeedleGrid";
import type { NeedlePolicy } from "../../../shared/results";
import { intOption, stringOption, UsageError, type Command, type ParsedArgs } from "../Command";
import { boundedKvFromArgs, h2oOptions, h2oOptionsHelp, inferenceFromArgs, kvModeFromArgs, modelFromArgs, modelOptions, modelOptionsHelp, refuseEndpoints } from "../generatorFromArgs";

const allPolicies: readonly NeedlePolicy[] = ["full", "h2o", "query-aware", "sink-window"];

export const needleCommand: Command = {
    name: "needle",
    summary: "Needle-in-a-haystack grid (length × depth), full cache and H2O, scored without a judge",
    usage: `llamahome needle --model M [--lengths 2000,8000,32000] [--depths 10,50,90] [--trials N]
                        [--enable-h2o | --policies full,h2o,query-aware,sink-window] [--window-length N --heavy-hitters K]
                        [--haystack DIR] [--seed S] [--json]

  For each length (prompt tokens, by the model's tokenizer) builds a haystack from the documents in DIR
  (default: the bundled sample workspace) that fills the prompt with the needle and question, hides
  "The secret code of <Name> is <CODE>." at each depth (on a sentence boundary), asks for it and scores: exact
  match of the code, plus 0–1 character overlap, averaged over --trials needles per cell (default 1, each
  with its own haystack). The full cache runs where the prompt fits the model's training context; other cells
  are reported as skipped, never guessed. --enable-h2o adds the bounded cache (policy "h2o", or "sink-window"
  when the H2O build is missing — the output says which); --policies picks any of full, h2o, query-aware (H2O
  plus the question's own attention: the question is evaluated after each prompt chunk and what it attends to
  stays) and sink-window (attention sinks + recent tokens within the same budget, the baseline H2O is measured
  against). --observation-share F (0–1, default 0.75) is query-aware's share of the heavy-hitter slots chosen by
  the question. Results are saved for the dashboard.
  ${modelOptionsHelp}
  ${h2oOptionsHelp}`,
    options: { ...modelOptions, ...h2oOptions, lengths: { type: "string" }, depths: { type: "string" }, trials: { type: "string" }, policies: { type: "string" }, "observation-share": { type: "string" }, haystack: { type: "string" }, seed: { type: "string" }, json: { type: "boolean" } },
    positionals: [0, 0],
    async run(args) {
        refuseEndpoints(args, "needle", "it compares KV cache policies, and a llama.cpp server has only its own");
        const model = modelFromArgs(args);
        if (!model) throw new UsageError("needle needs a model: --model <path.gguf | hf:… | https://…> or LLAMAHOME_MODEL");
        const lengths = numberList(args, "lengths", [2000, 8000, 32000], 64);
        const depths = numberList(args, "depths", [10, 50, 90], 0);
        if (depths.some((depth) => depth > 100)) throw new UsageError("--depths are percentages from 0 to 100");
        const seed = args.values.seed === undefined ? undefined : Number(args.values.seed);
        if (seed !== undefined && !Number.isInteger(seed)) throw new UsageError("--seed must be an integer");
        const trials = intOption(args, "trials", 1, 1);
        const policies = policiesFromArgs(args);
        const haystackDir = path.resolve(stringOption(args, "haystack") ?? path.join(__dirname, "..", "samples", "workspace"));
        const sources = await haystackSources(haystackDir);

        const controller = new AbortController();
        const interrupt = () => controller.abort();
        process.once("SIGINT", interrupt);
        const started = performance.now();
        try {
            const observationShare = shareFromArgs(args, policies);
            // the budget flags are checked only when a bounded policy runs (the full cache ignores them)
            const kv = policies.some((policy) => policy !== "full") ? boundedKvFromArgs(args, "h2o") : undefined;
            const cells = await runNeedlePolicies({
                policies, lengths, depths, sources, seed, trials, signal: controller.signal,
                engine: (shape) => inferenceFromArgs(args, model, "kv" in shape ? { kv: shape.kv } : { contextSize: shape.contextSize, kv: undefined }),
                budget: kv && { windowLength: kv.windowLength, heavyHitters: kv.heavyHitters, chunkSize: kv.chunkSize, observationShare },
                onCell: args.values.json || !process.stderr.isTTY ? undefined : (cell: NeedleCell) => process.stderr.write(`${describe(cell)}\n`),
            });
            const result = {
                model, haystack: haystackDir, lengths, depths, ...(trials > 1 ? { trials } : {}), seed: seed ?? null,
                ...(kv ? { windowLength: kv.windowLength, heavyHitters: kv.heavyHitters } : {}),
                ...(observationShare !== undefined ? { observationShare } : {}),
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

/** --policies as given, else the full cache, plus H2O with --enable-h2o (whose checks of the budget flags apply). */
function policiesFromArgs(args: ParsedArgs): NeedlePolicy[] {
    const raw = stringOption(args, "policies");
    if (raw === undefined) return kvModeFromArgs(args) ? ["full", "h2o"] : ["full"];
    if (args.values["enable-h2o"] !== undefined) throw new UsageError("give --policies or --enable-h2o, not both");
    const policies = [...new Set(raw.split(",").map((part) => part.trim()))];
    const unknown = policies.filter((policy) => !allPolicies.includes(policy as NeedlePolicy));
    if (unknown.length > 0 || policies.length === 0) throw new UsageError(`--policies takes a comma-separated list of ${allPolicies.join(", ")} (got ${raw})`);
    return policies as NeedlePolicy[];
}

function shareFromArgs(args: ParsedArgs, policies: readonly NeedlePolicy[]): number | undefined {
    const raw = stringOption(args, "observation-share");
    if (raw === undefined) return undefined;
    if (!policies.includes("query-aware")) throw new UsageError("--observation-share applies to the query-aware policy: add it to --policies");
    const share = Number(raw);
    if (!(share >= 0 && share <= 1)) throw new UsageError(`--observation-share must be a number from 0 to 1 (got ${raw})`);
    return share;
}

async function haystackSources(dir: string): Promise<string[]> {
    const index = await WorkspaceIndex.open(dir);
    try {
        await index.update();
        const texts = haystackTexts(index);
        if (!texts) throw new UsageError(`no indexable text in the haystack folder ${dir}`);
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
    return `${cell.policy} length ${cell.length} depth ${cell.depth}%: ${cell.skipped ? `skipped (${cell.skipped})` : `score ${cell.score} overlap ${cell.overlap} in ${cell.ms} ms${cell.trials ? ` per needle (${cell.trials})` : ""} → "${cell.answer ?? ""}"`}`;
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
