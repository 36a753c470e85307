// `npm run bench:index`: generates a corpus and prints indexing throughput and latency per format, peak
// RSS, the language server's idle RSS and its RSS with a 10k-document index, then the index at scale (20,000 and
// 100,000 notes: from scratch, reopened, search against ripgrep, a 10-file edit, the language server). Figures, not
// assertions. `npm run bench:index -- --scale 20000` runs only the scale part, at the sizes given.
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { ExtractionPool } from "../../server/core/ExtractionPool";
import { formatForPath } from "../../server/core/formats";
import { WorkspaceIndex } from "../../server/core/WorkspaceIndex";
import { benchProse as prose, percentile, writeBenchCorpus as makeCorpus } from "../../server/eval/benchCorpus";
import { startServer } from "../../server/eval/LspServerProbe";
import { scaleRun } from "./indexScale";

async function latencies(dir: string, workers: number): Promise<number[]> {
    const pool = new ExtractionPool({ size: workers });
    const files = (await fs.readdir(dir)).map((name) => path.join(dir, name));
    const times: number[] = [];
    // One file in flight per worker: each time is the file's own extraction, not time spent queued.
    let next = 0;
    await Promise.all(
        Array.from({ length: workers }, async () => {
            while (next < files.length) {
                const file = files[next++];
                const started = performance.now();
                const outcome = await pool.extract({ absolutePath: file, format: formatForPath(file) });
                if (outcome.kind !== "extracted") throw new Error(`${file}: ${JSON.stringify(outcome)}`);
                times.push(performance.now() - started);
            }
        }),
    );
    await pool.dispose();
    return times;
}

async function serverRss(root: string, cache: string): Promise<{ rssMb: number; peakMb: number; documents: number }> {
    const server = startServer();
    const uri = pathToFileURL(root).toString();
    await server.connection.sendRequest("initialize", { processId: process.pid, rootUri: uri, workspaceFolders: [{ uri, name: "bench" }], capabilities: {}, initializationOptions: { cacheDir: cache } });
    await server.connection.sendNotification("initialized", {});
    const status = await server.waitForStatus((s) => s.state === "indexed", 600_000);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const proc = await fs.readFile(`/proc/${server.process.pid}/status`, "utf8");
    const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(proc)?.[1] ?? 0);
    await server.stop();
    return { rssMb: kb("VmRSS") / 1024, peakMb: kb("VmHWM") / 1024, documents: status.documents };
}

async function main(): Promise<void> {
    const base = await fs.mkdtemp(path.join(os.tmpdir(), "llamahome-bench-"));
    const workers = Math.min(4, os.availableParallelism());
    const scaleAt = process.argv.indexOf("--scale");
    const scales = scaleAt >= 0 ? process.argv.slice(scaleAt + 1).map(Number).filter((n) => n > 0) : [20_000, 100_000];
    try {
        if (scaleAt < 0) await formatRuns(base, workers);
        for (const count of scales) await scaleRun(base, count, (line) => process.stdout.write(line));
    } finally {
        await fs.rm(base, { recursive: true, force: true });
    }
}

async function formatRuns(base: string, workers: number): Promise<void> {
    const counts = { text: 5000, docx: 400, pdf: 200 };
    process.stdout.write(`Generating corpus (${counts.text} Markdown, ${counts.docx} DOCX, ${counts.pdf} PDF of 1–20 pages)…\n`);
    await makeCorpus(path.join(base, "corpus"), counts);
    process.stdout.write(`\nformat   docs   docs/min (end-to-end, ${workers} workers)   p50 ms/doc   p95 ms/doc\n`);
    for (const format of ["text", "docx", "pdf"] as const) {
        const dir = path.join(base, "corpus", format);
        const index = await WorkspaceIndex.open(dir, { cacheDir: path.join(base, `cache-${format}`), pool: { size: workers } });
        const started = performance.now();
        const report = await index.update();
        const seconds = (performance.now() - started) / 1000;
        await index.dispose();
        if (report.failed.length) throw new Error(`${format}: ${report.failed.length} failed, e.g. ${JSON.stringify(report.failed[0])}`);
        const times = await latencies(dir, workers);
        process.stdout.write(
            `${format.padEnd(8)} ${String(report.documents).padStart(5)}   ${Math.round(report.documents / (seconds / 60)).toLocaleString("en").padStart(10)}` +
                `${" ".repeat(30)}${percentile(times, 50).toFixed(1).padStart(8)}   ${percentile(times, 95).toFixed(1).padStart(10)}\n`,
        );
    }
    process.stdout.write(`\nbench process peak RSS: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB\n`);

    const empty = path.join(base, "empty");
    await fs.mkdir(empty);
    const idle = await serverRss(empty, path.join(base, "cache-idle"));
    process.stdout.write(`language server idle RSS (empty folder): ${idle.rssMb.toFixed(0)} MB\n`);

    const tenK = path.join(base, "tenk");
    await fs.mkdir(tenK);
    for (let i = 0; i < 10_000; i++) await fs.writeFile(path.join(tenK, `doc-${i}.md`), `# Doc ${i}\n\n${prose(i + 77, 15)}\n`);
    const loaded = await serverRss(tenK, path.join(base, "cache-10k"));
    process.stdout.write(`language server with a ${loaded.documents}-document index: RSS ${loaded.rssMb.toFixed(0)} MB after indexing (peak ${loaded.peakMb.toFixed(0)} MB)\n`);
    const reopened = await serverRss(tenK, path.join(base, "cache-10k"));
    process.stdout.write(`  reopened from the saved index: RSS ${reopened.rssMb.toFixed(0)} MB (peak ${reopened.peakMb.toFixed(0)} MB)\n`);
}

void main();
