import * as fs from "node:fs/promises";
import * as path from "node:path";
import { Assistant } from "../../assist/Assistant";
import { extractDocument } from "../../core/extract/extractDocument";
import { formatForPath } from "../../core/formats";
import { bootstrapAggregate } from "../../eval/bootstrapAggregate";
import { saveResult } from "../../eval/resultsStore";
import { RougeScorer } from "../../eval/RougeScorer";
import { stringOption, UsageError, type Command } from "../Command";
import { modelOptions, modelOptionsHelp, withGenerator } from "../generatorFromArgs";
import { terminalLine } from "../terminalText";

interface DatasetEntry {
    line: number;
    /** The document's text, given inline or read from `path`. */
    document: string;
    label: string;
    reference: string;
}

export const evalSummariesCommand: Command = {
    name: "eval-summaries",
    summary: "Summarize a dataset's documents and score them against reference summaries with ROUGE",
    usage: `llamahome eval summaries --dataset F.jsonl [--model M] [--stem] [--json]

  Each line of F is {"document": "<text>"} or {"path": "<file, relative to F>"}, plus {"reference": "<summary>"}.
  Summarizes each with the chosen engine (a model, or the extractive engine without one) and reports ROUGE-1/2/L/Lsum
  per document and aggregated with a 95% bootstrap interval. Results are saved for the dashboard.
  ${modelOptionsHelp}`,
    options: { ...modelOptions, dataset: { type: "string" }, stem: { type: "boolean" }, json: { type: "boolean" } },
    positionals: [0, 0],
    async run(args) {
        const datasetPath = stringOption(args, "dataset");
        if (!datasetPath) throw new UsageError("--dataset F.jsonl is required");
        const entries = await readDataset(path.resolve(datasetPath));
        return withGenerator(args, async (generator, signal) => {
            const assistant = new Assistant(generator);
            const scorer = new RougeScorer({ stem: args.values.stem === true });
            const pairs = [];
            for (const entry of entries) {
                signal.throwIfAborted();
                const summary = await assistant.summarize(entry.document, { signal });
                pairs.push({ path: entry.label, engine: summary.engine, candidate: summary.summary, ms: summary.ms, ...scorer.score(entry.reference, summary.summary) });
                if (!args.values.json && process.stderr.isTTY) process.stderr.write(`summarized ${terminalLine(entry.label)} (${summary.ms} ms)\n`);
            }
            const aggregate = bootstrapAggregate(pairs.map(({ rouge1, rouge2, rougeL, rougeLsum }) => ({ rouge1, rouge2, rougeL, rougeLsum })));
            const result = { dataset: path.resolve(datasetPath), engine: generator ? "llm" : "extractive", model: generator?.modelName, stem: args.values.stem === true, pairs, aggregate };
            await saveResult("rouge", result);
            if (args.values.json) {
                process.stdout.write(JSON.stringify(result) + "\n");
            } else {
                const f = (value: number) => value.toFixed(4);
                process.stdout.write(`ROUGE F1 of ${result.engine} summaries${result.model ? ` (${result.model})` : ""}\n\n${"document".padEnd(48)} rouge1  rouge2  rougeL  rougeLsum\n`);
                for (const pair of pairs) process.stdout.write(`${terminalLine(pair.path.slice(-48)).padEnd(48)} ${f(pair.rouge1.fmeasure)}  ${f(pair.rouge2.fmeasure)}  ${f(pair.rougeL.fmeasure)}  ${f(pair.rougeLsum.fmeasure)}\n`);
                process.stdout.write(`${"mean (bootstrap mid [low, high])".padEnd(48)}\n`);
                for (const [type, score] of Object.entries(aggregate)) process.stdout.write(`  ${type.padEnd(10)} ${f(score.mid.fmeasure)} [${f(score.low.fmeasure)}, ${f(score.high.fmeasure)}]\n`);
            }
            return 0;
        });
    },
};

async function readDataset(file: string): Promise<DatasetEntry[]> {
    const text = await fs.readFile(file, "utf8").catch((error: Error) => { throw new UsageError(`cannot read --dataset: ${error.message}`); });
    const entries: DatasetEntry[] = [];
    for (const [i, raw] of text.split("\n").entries()) {
        if (!raw.trim()) continue;
        const where = `${path.basename(file)} line ${i + 1}`;
        let record: { document?: unknown; path?: unknown; reference?: unknown };
        try {
            record = JSON.parse(raw) as typeof record;
        } catch {
            throw new Error(`${where}: not valid JSON`);
        }
        if (typeof record.reference !== "string") throw new Error(`${where}: missing "reference"`);
        if (typeof record.document === "string") {
            entries.push({ line: i + 1, document: record.document, label: `line ${i + 1}`, reference: record.reference });
        } else if (typeof record.path === "string") {
            const target = path.resolve(path.dirname(file), record.path);
            const bytes = await fs.readFile(target).catch((error: Error) => { throw new Error(`${where}: cannot read ${record.path}: ${error.message}`); });
            const extracted = await extractDocument(bytes, formatForPath(target)).catch((error: Error) => { throw new Error(`${where}: ${record.path}: ${error.message}`); });
            entries.push({ line: i + 1, document: extracted.text, label: record.path, reference: record.reference });
        } else {
            throw new Error(`${where}: needs "document" or "path"`);
        }
    }
    if (entries.length === 0) throw new UsageError(`--dataset ${file} has no entries`);
    return entries;
}
