import { saveResult } from "../../eval/resultsStore";
import { runBench, type BenchResult } from "../../eval/runBench";
import type { InferenceProcess } from "../../llm/InferenceProcess";
import { intOption, stringOption, UsageError, type Command } from "../Command";
import { inferenceFromArgs, modelFromArgs, modelOptions, modelOptionsHelp, refuseEndpoints } from "../generatorFromArgs";
import { formatBytes } from "../../../shared/formatBytes";

const sizes = { small: { text: 500, docx: 60, pdf: 30 }, default: { text: 3000, docx: 300, pdf: 150 } } as const;

export const benchCommand: Command = {
    name: "bench",
    summary: "Benchmark document processing, LSP latency, inference and memory; saves the run for the dashboard",
    usage: `llamahome bench [--iterations N] [--model M] [--corpus small|default] [--json]

  Generates a corpus (Markdown, DOCX, PDF of 1–20 pages) and measures docs/min and p50/p95 ms/doc per format,
  search and hover latency p50/p95 against the real language server over N requests (default 100), its RSS,
  and — with a model — time to first token and prompt/generation tokens/s (median of up to 20 runs),
  inference RSS and VRAM. ${modelOptionsHelp}`,
    options: { ...modelOptions, iterations: { type: "string" }, corpus: { type: "string" }, json: { type: "boolean" } },
    positionals: [0, 0],
    async run(args) {
        refuseEndpoints(args, "bench", "it measures this machine's inference, RSS and VRAM");
        const iterations = intOption(args, "iterations", 100);
        const size = stringOption(args, "corpus") ?? "default";
        if (!(size in sizes)) throw new UsageError(`--corpus must be small or default (got ${size})`);
        const model = modelFromArgs(args);
        const engines: { policy: string; process: InferenceProcess }[] = [];
        try {
            if (model) {
                const process = inferenceFromArgs(args, model);
                engines.push({ policy: "full", process });
                await process.load();
            }
            const result = await runBench({
                iterations, corpus: sizes[size as keyof typeof sizes], engines,
                log: args.values.json ? undefined : (line) => process.stderr.write(`${line}\n`),
            });
            const saved = await saveResult("bench", result);
            process.stdout.write(args.values.json ? JSON.stringify(result) + "\n" : `${table(result)}\nSaved to ${saved}\n`);
            return 0;
        } finally {
            for (const engine of engines) await engine.process.dispose();
        }
    },
};

function table(result: BenchResult): string {
    const mb = (bytes?: number) => (bytes === undefined ? "—" : formatBytes(bytes));
    const lines = [
        `Environment: ${result.environment.cpu}, ${result.environment.cores} cores, ${mb(result.environment.memoryBytes)} RAM, ${result.environment.platform}, Node ${result.environment.node}`,
        "",
        "format   docs   docs/min   p50 ms/doc   p95 ms/doc",
        ...result.documents.map((f) => `${f.format.padEnd(6)} ${String(f.documents).padStart(6)} ${String(f.docsPerMinute).padStart(10)} ${f.p50MsPerDoc.toFixed(1).padStart(12)} ${f.p95MsPerDoc.toFixed(1).padStart(12)}`),
        "",
        `LSP (${result.lsp.documents} documents, ${result.lsp.iterations} requests each): search p50 ${result.lsp.searchP50Ms} ms / p95 ${result.lsp.searchP95Ms} ms; hover p50 ${result.lsp.hoverP50Ms} ms / p95 ${result.lsp.hoverP95Ms} ms; server RSS ${mb(result.lsp.serverRssBytes)}`,
    ];
    for (const run of result.inference ?? []) {
        lines.push(
            `Inference (${run.policy}, ${run.iterations} runs, ${run.promptTokens} prompt + ${run.generatedTokens} generated tokens): TTFT ${run.timeToFirstTokenMs} ms, ` +
                `prompt ${run.promptTokensPerSecond} tok/s, generation ${run.generatedTokensPerSecond} tok/s, inference RSS ${mb(run.inferenceRssBytes)}, VRAM ${mb(run.vramUsedBytes)} / ${mb(run.vramTotalBytes)}`,
        );
    }
    return lines.join("\n");
}
