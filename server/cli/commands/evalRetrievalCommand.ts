import * as fs from "node:fs/promises";
import * as path from "node:path";
import type { RetrievalFigures, RetrievalResult } from "../../../shared/results";
import { compareRetrieval, retrievalResultOf, type LinesChanged, type RetrievalComparison } from "../../eval/compareRetrieval";
import { evaluateRetrieval } from "../../eval/evaluateRetrieval";
import { readRetrievalDataset, RetrievalDatasetError } from "../../eval/retrievalDataset";
import { saveResult } from "../../eval/resultsStore";
import { intOption, stringOption, UsageError, type Command } from "../Command";
import { modelOptions, modelOptionsHelp, withGenerator } from "../generatorFromArgs";
import { cacheDirOption } from "../openIndex";
import { retrievalModelsFromArgs, retrievalOptions, retrievalOptionsHelp } from "../retrievalFromArgs";
import { terminalLine } from "../terminalText";

export const evalRetrievalCommand: Command = {
    name: "eval-retrieval",
    summary: "Measure search and answers on a dataset of questions with known sources: recall@k, MRR, nDCG, answer-contains",
    usage: `llamahome eval retrieval --dataset F.jsonl [--model M] [--top K] [--compare BEFORE.json] [--cache-dir D] [--json]

  Each line of F is {"root", "question", "path", "page"?, "alsoIn"?, "answer"?, "kind"?}: the folder to index
  (relative to F), the question, the document (relative to root) and page that state the answer, other documents
  that state it too, a phrase a correct answer contains, and the kind of question; or {"root", "question",
  "unanswerable": true} for a question no document answers, where the right answer says so. Indexes each folder,
  searches every question and reports, overall and per kind:
  recall@1/@5, MRR and nDCG@10 of the right document and of the right place (page), the share of answers (from
  \`ask\` with the top K chunks, default 5; the extractive engine without a model) that contain the phrase, and
  search latency p50/p95; and the share of unanswerable questions refused. Retrieval is BM25, or hybrid with an embedding model (and reranked with a reranker):
  run it once with each to compare. Results are saved for the dashboard. --compare names, question by question, what
  changed since an earlier run (its --json output, or the saved latest-retrieval.json): answers and first places gained
  and lost.
  ${modelOptionsHelp}
  ${retrievalOptionsHelp}`,
    options: { ...modelOptions, ...retrievalOptions, ...cacheDirOption, dataset: { type: "string" }, top: { type: "string" }, compare: { type: "string" }, json: { type: "boolean" } },
    positionals: [0, 0],
    async run(args) {
        const datasetPath = stringOption(args, "dataset");
        if (!datasetPath) throw new UsageError("--dataset F.jsonl is required");
        const askTop = intOption(args, "top", 5);
        const dataset = path.resolve(datasetPath);
        const questions = await readRetrievalDataset(dataset).catch((error: unknown) => {
            throw error instanceof RetrievalDatasetError ? new UsageError(error.message) : error;
        });
        const cacheDir = stringOption(args, "cache-dir");
        const comparePath = stringOption(args, "compare");
        const baseline = comparePath === undefined ? undefined : await readBaseline(comparePath);
        const retrieval = retrievalModelsFromArgs(args);
        return withGenerator(args, async (generator, signal) => {
            const result = await evaluateRetrieval(questions, generator, {
                dataset, askTop, signal, cacheDir: cacheDir ? path.resolve(cacheDir) : undefined,
                ...retrieval.options,
                log: (message) => process.stderr.write(`${terminalLine(message)}\n`),
                onQuestion: (r) => {
                    if (!args.values.json && process.stderr.isTTY) {
                        process.stderr.write(r.refused !== undefined ? `line ${r.line}: no document answers it; ${r.refused ? "refused" : "answered"}\n` : `line ${r.line}: document rank ${r.rankDocument ?? "-"}, place rank ${r.rankPlace ?? "-"}${r.contains === undefined ? "" : `, answer ${r.contains ? "holds" : "lacks"} the phrase`}\n`);
                    }
                },
            }).finally(() => retrieval.dispose());
            await saveResult("retrieval", result);
            const comparison = baseline && compareRetrieval(baseline, result);
            if (args.values.json) {
                process.stdout.write(JSON.stringify(comparison ? { ...result, comparison } : result) + "\n");
                return 0;
            }
            const row = (label: string, f: RetrievalFigures) => {
                const pct = (value: number | undefined) => (value === undefined ? "    -" : `${(value * 100).toFixed(1).padStart(5)}`);
                return `${label.padEnd(14)} ${String(f.questions).padStart(4)}  ${pct(f.document.recallAt1)} ${pct(f.document.recallAt5)} ${f.document.mrr.toFixed(3)} ${f.document.ndcgAt10.toFixed(3)}   ${pct(f.place.recallAt1)} ${pct(f.place.recallAt5)} ${f.place.mrr.toFixed(3)} ${f.place.ndcgAt10.toFixed(3)}   ${pct(f.answerContains)}   ${f.searchP50Ms.toFixed(1)}/${f.searchP95Ms.toFixed(1)}\n`;
            };
            if (result.warning) process.stderr.write(`${terminalLine(result.warning)}\n`);
            const embedded = result.embedding ? ` (${result.fusion} fusion; ${result.embedding.embedded} passages embedded at ${result.embedding.chunksPerSecond}/s, ${result.embedding.reused} kept)` : "";
            process.stdout.write(`Retrieval: ${result.retrieval}${embedded}; answers: ${result.engine}${result.model ? ` (${result.model})` : ""}; ${result.roots.map((r) => `${r.documents} documents in ${terminalLine(r.root)}`).join(", ")}\n\n`);
            process.stdout.write(`${"".padEnd(14)} ${"n".padStart(4)}  ${"document: R@1   R@5   MRR  nDCG@10".padEnd(32)}  ${"place: R@1   R@5   MRR  nDCG@10".padEnd(31)} answer  search ms p50/p95\n`);
            process.stdout.write(row("all", result.overall));
            for (const [kind, figures] of Object.entries(result.byKind)) process.stdout.write(row(kind, figures));
            if (result.unanswerable) process.stdout.write(`\nQuestions no document answers: ${result.unanswerable.questions}, refused ${(result.unanswerable.refused * 100).toFixed(1)}%\n`);
            const missed = result.questions.filter((q) => q.refused === undefined && (q.rankPlace !== 1 || q.contains === false));
            if (missed.length) {
                process.stdout.write(`\nNot first, or answer without the phrase (${missed.length}):\n`);
                for (const q of missed) process.stdout.write(`  line ${q.line}: ${terminalLine(q.question)} → want ${q.path}${q.page ? ` p. ${q.page}` : ""}, top ${q.top ? `${q.top.path}${q.top.page ? ` p. ${q.top.page}` : ""}` : "none"} (place rank ${q.rankPlace ?? "-"})${q.contains === false ? `; answer lacks "${terminalLine(q.expected ?? "")}"` : ""}\n`);
            }
            const falseAnswers = result.questions.filter((q) => q.refused === false);
            if (falseAnswers.length) {
                process.stdout.write(`\nAnswered, though no document answers them (${falseAnswers.length}):\n`);
                for (const q of falseAnswers) process.stdout.write(`  line ${q.line}: ${terminalLine(q.question)} → "${terminalLine((q.answer ?? "").slice(0, 100))}"\n`);
            }
            if (comparison) process.stdout.write(comparisonText(comparison, terminalLine(comparePath!)));
            return 0;
        });
    },
};

async function readBaseline(file: string): Promise<RetrievalResult> {
    const text = await fs.readFile(path.resolve(file), "utf8").catch((error: NodeJS.ErrnoException) => {
        throw new UsageError(`--compare: cannot read ${file} (${error.code ?? error.message})`);
    });
    let json: unknown;
    try {
        json = JSON.parse(text);
    } catch {
        throw new UsageError(`--compare: ${file} is not JSON; give the output of an earlier \`eval retrieval --json\``);
    }
    const result = retrievalResultOf(json);
    if (!result) throw new UsageError(`--compare: ${file} holds no retrieval results; give the output of an earlier \`eval retrieval --json\``);
    return result;
}

function comparisonText(comparison: RetrievalComparison, file: string): string {
    const line = (label: string, changed: LinesChanged) =>
        `  ${label.padEnd(24)} +${changed.gained.length} −${changed.lost.length}${changed.gained.length ? `; gained lines ${changed.gained.join(", ")}` : ""}${changed.lost.length ? `; lost lines ${changed.lost.join(", ")}` : ""}\n`;
    return `\nCompared with ${file} (${comparison.questions} questions in both${comparison.unmatched ? `, ${comparison.unmatched} new` : ""}):\n` +
        line("answer holds the phrase", comparison.answers) + line("right document first", comparison.documentAt1) + line("right place first", comparison.placeAt1) +
        (comparison.refused.gained.length || comparison.refused.lost.length ? line("unanswerable, refused", comparison.refused) : "");
}
