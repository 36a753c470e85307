import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { ExtractionPool } from "../core/ExtractionPool";
import { formatForPath } from "../core/formats";
import { WorkspaceIndex } from "../core/WorkspaceIndex";
import type { GenerateResult, InferenceProcess } from "../llm/InferenceProcess";
import type { BenchResult, FormatFigures, InferenceFigures } from "../../shared/results";
import type { CorpusCounts } from "./benchCorpus";
import { percentile } from "./percentile";

// The result types live in shared/results.ts (the dashboard draws them); re-exported for the CLI and tests.
export type { BenchResult, FormatFigures, InferenceFigures };

export interface BenchOptions {
    iterations: number;
    corpus: CorpusCounts;
    /** Inference runs to measure, each with its own process (e.g. full cache and H2O). */
    engines?: { policy: string; process: InferenceProcess }[];
    log?: (line: string) => void;
}

/** Document processing, LSP latency, inference and memory, measured on a generated corpus. */
export async function runBench(options: BenchOptions): Promise<BenchResult> {
    const started = performance.now();
    const base = await fs.mkdtemp(path.join(os.tmpdir(), "llamahome-bench-"));
    try {
        const corpus = path.join(base, "corpus");
        options.log?.(`generating ${options.corpus.text} Markdown, ${options.corpus.docx} DOCX and ${options.corpus.pdf} PDF documents…`);
        // Loaded here: the document writers pull in pdfkit, a quarter of a second at every CLI start.
        const { writeBenchCorpus } = await import("./benchCorpus.js");
        await writeBenchCorpus(corpus, options.corpus);
        const documents: FormatFigures[] = [];
        for (const format of ["text", "docx", "pdf"]) {
            options.log?.(`indexing ${format}…`);
            documents.push(await formatFigures(path.join(corpus, format), path.join(base, `cache-${format}`), format));
        }
        options.log?.("measuring LSP latency…");
        const lsp = await lspFigures(path.join(corpus, "text"), path.join(base, "cache-lsp"), options.iterations);
        const inference: InferenceFigures[] = [];
        for (const engine of options.engines ?? []) {
            options.log?.(`measuring inference (${engine.policy})…`);
            inference.push(await inferenceFigures(engine.policy, engine.process, options.iterations));
        }
        const cpus = os.cpus();
        return {
            environment: {
                cpu: cpus[0]?.model ?? "unknown", cores: os.availableParallelism(), memoryBytes: os.totalmem(), platform: `${os.platform()} ${os.release()}`, node: process.version,
                ...(inference[0] ? { gpu: inference[0].vramTotalBytes ? "gpu" : "cpu" } : {}),
            },
            documents,
            lsp,
            ...(inference.length ? { inference } : {}),
            ms: Math.round(performance.now() - started),
        };
    } finally {
        await fs.rm(base, { recursive: true, force: true });
    }
}

async function formatFigures(dir: string, cache: string, format: string): Promise<FormatFigures> {
    const index = await WorkspaceIndex.open(dir, { cacheDir: cache });
    const started = performance.now();
    const report = await index.update();
    const minutes = (performance.now() - started) / 60_000;
    await index.dispose();
    // Per-document latency with one file in flight per worker, so it measures extraction, not queueing.
    const pool = new ExtractionPool();
    const files = (await fs.readdir(dir)).map((name) => path.join(dir, name));
    const times: number[] = [];
    let next = 0;
    await Promise.all(
        Array.from({ length: Math.min(4, os.availableParallelism()) }, async () => {
            while (next < files.length) {
                const file = files[next++];
                const t = performance.now();
                await pool.extract({ absolutePath: file, format: formatForPath(file) });
                times.push(performance.now() - t);
            }
        }),
    );
    await pool.dispose();
    return { format, documents: report.documents, docsPerMinute: Math.round(report.documents / minutes), p50MsPerDoc: round(percentile(times, 50)), p95MsPerDoc: round(percentile(times, 95)) };
}

async function lspFigures(root: string, cache: string, iterations: number): Promise<BenchResult["lsp"]> {
    const linkFile = path.join(root, "links.md");
    const names = (await fs.readdir(root)).filter((name) => name.endsWith(".md")).slice(0, 20);
    await fs.writeFile(linkFile, names.map((name) => `- [${name}](${name})`).join("\n") + "\n");
    // loaded here: the protocol library is the largest part of the CLI's start-up, and only this run needs it
    const [{ startServer }, { SearchRequest }] = await Promise.all([import("./LspServerProbe.js"), import("../../shared/protocol.js")]);
    const server = startServer();
    try {
        const uri = pathToFileURL(root).toString();
        await server.connection.sendRequest("initialize", { processId: process.pid, rootUri: uri, workspaceFolders: [{ uri, name: "bench" }], capabilities: {}, initializationOptions: { cacheDir: cache } });
        await server.connection.sendNotification("initialized", {});
        const status = await server.waitForStatus((s) => s.state === "indexed", 600_000);
        const queries = ["compost irrigation", "committee budget meeting", "greenhouse rainwater", "orchard beehive volunteer", "tenancy rent plot"];
        const search: number[] = [];
        const hover: number[] = [];
        const linkUri = pathToFileURL(linkFile).toString();
        for (let i = 0; i < iterations; i++) {
            let t = performance.now();
            await server.connection.sendRequest(SearchRequest, { query: queries[i % queries.length], top: 10 });
            search.push(performance.now() - t);
            t = performance.now();
            await server.connection.sendRequest("textDocument/hover", { textDocument: { uri: linkUri }, position: { line: i % names.length, character: 4 } });
            hover.push(performance.now() - t);
        }
        const proc = await fs.readFile(`/proc/${server.process.pid}/status`, "utf8").catch(() => "");
        const rssKb = Number(/VmRSS:\s+(\d+)/.exec(proc)?.[1] ?? 0);
        return {
            iterations, documents: status.documents,
            searchP50Ms: round(percentile(search, 50)), searchP95Ms: round(percentile(search, 95)),
            hoverP50Ms: round(percentile(hover, 50)), hoverP95Ms: round(percentile(hover, 95)),
            serverRssBytes: rssKb * 1024,
        };
    } finally {
        await server.stop();
    }
}

async function inferenceFigures(policy: string, inference: InferenceProcess, iterations: number): Promise<InferenceFigures> {
    // About 512 prompt tokens, or half the context when it is smaller, so every model measures the same shape.
    const sentence = "The allotment committee met on Tuesday to discuss the compost rota, the water meter readings and the plans for the spring seed swap. ";
    const target = Math.min(512, Math.floor((inference.modelInfo?.contextSize ?? 1024) / 2));
    let prompt = sentence;
    while ((await inference.countTokens(prompt + sentence)) <= target) prompt += sentence;
    const runs: GenerateResult[] = [];
    for (let i = 0; i < Math.max(1, Math.min(iterations, 20)); i++) runs.push(await inference.generate({ prompt, maxTokens: 64, temperature: 0, priority: "background" }));
    const metrics = await inference.metrics().catch(() => undefined);
    const median = (pick: (r: (typeof runs)[number]) => number) => round(percentile(runs.map(pick), 50));
    const kv = (runs.at(-1) as { kv?: { kvPeakCells: number } } | undefined)?.kv;
    return {
        policy, iterations: runs.length,
        timeToFirstTokenMs: median((r) => r.timeToFirstTokenMs),
        promptTokensPerSecond: median((r) => r.promptTokensPerSecond),
        generatedTokensPerSecond: median((r) => r.generationTokensPerSecond),
        promptTokens: runs[0].promptTokens, generatedTokens: runs[0].generatedTokens,
        ...(metrics ? { inferenceRssBytes: metrics.rssBytes, vramUsedBytes: metrics.vramUsedBytes, vramTotalBytes: metrics.vramTotalBytes } : {}),
        ...(kv ? { kvPeakCells: kv.kvPeakCells } : {}),
    };
}

function round(value: number): number {
    return Math.round(value * 10) / 10;
}
