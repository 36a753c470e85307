import * as fs from "node:fs/promises";
import { intOption, stringOption, UsageError, type Command } from "../Command";
import { evaluateRouge, type RougeEvaluation } from "../../eval/evaluateRouge";
import { parseRougePairs } from "../../eval/parseRougePairs";
import { DEFAULT_ROUGE_TYPES } from "../../eval/RougeScorer";

const MAX_SEED = 0xffffffff;

export const evalRougeCommand: Command = {
    name: "eval-rouge",
    summary: "Score candidate summaries against references with ROUGE-1/2/L/Lsum (rouge_score semantics)",
    usage: `llamahome eval rouge --pairs F.jsonl [--stem] [--json] [--samples N] [--seed S]

  F.jsonl holds one {"reference": "...", "candidate": "..."} object per line. Each candidate is scored against its
  reference with ROUGE-1, ROUGE-2, ROUGE-L and ROUGE-Lsum (sentences are the text's lines) as Google's rouge_score
  computes them, and the scores are aggregated with rouge_score's bootstrap: low/mid/high are the 2.5th, 50th and
  97.5th percentiles of the mean over N resamples (default 1000), drawn with seed S (default 0) so runs repeat.
    --stem   Porter-stem words longer than 3 letters (rouge_score's use_stemmer=True)
    --json   print {"pairs": [{"rouge1": {"precision","recall","fmeasure"}, …}], "aggregate": {"rouge1": {"low","mid","high"}, …}}`,
    options: {
        pairs: { type: "string" },
        stem: { type: "boolean" },
        json: { type: "boolean" },
        samples: { type: "string" },
        seed: { type: "string" },
    },
    positionals: [0, 0],
    async run(args) {
        const file = stringOption(args, "pairs");
        if (!file) throw new UsageError("--pairs F.jsonl is required (run llamahome eval rouge --help)");
        const samples = intOption(args, "samples", 1000);
        const seed = intOption(args, "seed", 0, 0);
        if (seed > MAX_SEED) throw new UsageError(`--seed must be an integer ≤ ${MAX_SEED} (got ${seed})`);
        const text = await fs.readFile(file, "utf8").catch((error: NodeJS.ErrnoException) => {
            throw new UsageError(error.code === "ENOENT" ? `no such file: ${file}` : `cannot read ${file}: ${error.message}`);
        });
        const pairs = parseRougePairs(text, file);
        const stem = args.values.stem === true;
        const evaluation = evaluateRouge(pairs, { stem, samples, seed });
        if (args.values.json) {
            process.stdout.write(JSON.stringify(evaluation) + "\n");
        } else {
            process.stdout.write(formatEvaluation(evaluation, pairs.map((pair) => pair.line), { stem, samples, seed }) + "\n");
        }
        return 0;
    },
};

function formatEvaluation(evaluation: RougeEvaluation, lines: number[], settings: { stem: boolean; samples: number; seed: number }): string {
    const types = DEFAULT_ROUGE_TYPES;
    const cell = (value: number) => value.toFixed(4).padStart(9);
    const out = [
        `ROUGE F1 for ${evaluation.pairs.length} pair${evaluation.pairs.length === 1 ? "" : "s"} (${settings.stem ? "Porter stemming" : "no stemming"})`,
        "",
        `${"line".padStart(6)}${types.map((type) => type.padStart(10)).join("")}`,
        ...evaluation.pairs.map((scores, i) => `${String(lines[i]).padStart(6)}${types.map((type) => ` ${cell(scores[type].fmeasure)}`).join("")}`),
        "",
        `Mean with 95% bootstrap interval (${settings.samples} resamples, seed ${settings.seed}): mid [low, high]`,
        "",
        `${"".padEnd(10)}${["precision", "recall", "F1"].map((name) => name.padEnd(27)).join("")}`.trimEnd(),
    ];
    for (const type of types) {
        const { low, mid, high } = evaluation.aggregate[type];
        const measures = (["precision", "recall", "fmeasure"] as const).map((measure) => `${mid[measure].toFixed(4)} [${low[measure].toFixed(4)}, ${high[measure].toFixed(4)}]`.padEnd(27));
        out.push(`${type.padEnd(10)}${measures.join("")}`.trimEnd());
    }
    return out.join("\n");
}
