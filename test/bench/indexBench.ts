// `npm run bench:index`: generates a corpus and prints indexing throughput and latency per format, peak
// RSS, the language server's idle RSS and its RSS with a 10k-document index. Figures, not assertions.
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { ExtractionPool } from "../../server/core/ExtractionPool";
import { formatForPath } from "../../server/core/formats";
import { WorkspaceIndex } from "../../server/core/WorkspaceIndex";
import { buildDocx, buildPdf, type DocxBlock, type PdfBlock } from "../../tools/make-samples";
import { startServer } from "../helpers/lspClient";

const words = "allotment compost irrigation committee rent plot harvest seed greenhouse rainwater pathway hedge orchard beehive volunteer budget meeting tenancy manure polytunnel".split(" ");

function prose(seed: number, sentences: number): string {
    let state = seed * 2654435761 >>> 0;
    const next = () => ((state = (state * 1103515245 + 12345) >>> 0) % 1000) / 1000;
    const out: string[] = [];
    for (let s = 0; s < sentences; s++) {
        const length = 8 + Math.floor(next() * 12);
        const sentence = Array.from({ length }, () => words[Math.floor(next() * words.length)]).join(" ");
        out.push(sentence[0].toUpperCase() + sentence.slice(1) + ` ${seed}-${s}.`);
    }
    return out.join(" ");
}

async function makeCorpus(root: string, counts: { text: number; docx: number; pdf: number }): Promise<void> {
    await fs.mkdir(path.join(root, "text"), { recursive: true });
    await fs.mkdir(path.join(root, "docx"), { recursive: true });
    await fs.mkdir(path.join(root, "pdf"), { recursive: true });
    for (let i = 0; i < counts.text; i++) await fs.writeFile(path.join(root, "text", `note-${i}.md`), `# Note ${i}\n\n${prose(i, 12)}\n`);
    for (let i = 0; i < counts.docx; i++) {
        const blocks: DocxBlock[] = [{ kind: "heading1", text: `Report ${i}` }];
        for (let p = 0; p < 12; p++) blocks.push({ kind: "paragraph", text: prose(i * 100 + p, 4) });
        await fs.writeFile(path.join(root, "docx", `report-${i}.docx`), await buildDocx(blocks, { title: `Report ${i}`, author: "bench" }));
    }
    for (let i = 0; i < counts.pdf; i++) {
        const pages: PdfBlock[][] = Array.from({ length: 1 + (i % 20) }, (_, p) => [
            { kind: "heading", text: `Section ${p + 1}` },
            { kind: "paragraph", text: prose(i * 1000 + p, 10) },
        ]);
        await fs.writeFile(path.join(root, "pdf", `paper-${i}.pdf`), await buildPdf(pages, { title: `Paper ${i}`, author: "bench" }));
    }
}

function percentile(values: number[], p: number): number {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

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
    try {
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
    } finally {
        await fs.rm(base, { recursive: true, force: true });
    }
}

void main();
