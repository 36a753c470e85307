// Hybrid search at workspace scale (`npm run bench:hybrid`): 10,000 Markdown notes (~5 KB each, Zipf prose as in
// bench:index), every passage with a 384-number vector, then search latency (BM25 alone, the vector scan alone,
// hybrid with fusion), the memory it takes, and the vectors' file. The vectors here come from a seeded generator, not
// a model: what a search costs does not depend on their values, and no model weights can be downloaded on the machine
// this was written on. With the tiny embedding and reranking models (make-tiny-model) it also prints how fast the
// inference child embeds passages and reranks hits: a real model's rates are lower, the README says how to measure them.
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { ChunkVectors } from "../../server/core/ChunkVectors";
import { HybridSearch, type ChunkEmbedder } from "../../server/core/HybridSearch";
import { WorkspaceIndex } from "../../server/core/WorkspaceIndex";
import { percentile } from "../../server/eval/percentile";
import { makeNoteWriter } from "./indexScale";
import { tinyModelRates } from "./hybridModelRates";

const documents = Number(process.env.HYBRID_BENCH_DOCS ?? 10_000);
const dimension = 384;
const queries = 200;

/** Unit vectors from a text's hash: the same text, the same vector. */
class SeededEmbedder implements ChunkEmbedder {
    loadEmbedding(): Promise<{ id: string; dimension: number }> {
        return Promise.resolve({ id: `seeded-${dimension}`, dimension });
    }

    embed(texts: readonly string[]): Promise<Float32Array[]> {
        return Promise.resolve(texts.map((text) => {
            let state = createHash("sha256").update(text).digest().readUInt32LE(0);
            const vector = new Float32Array(dimension);
            let norm = 0;
            for (let i = 0; i < dimension; i++) {
                state = (Math.imul(state, 1103515245) + 12345) >>> 0;
                vector[i] = state / 2 ** 32 - 0.5;
                norm += vector[i] * vector[i];
            }
            norm = Math.sqrt(norm);
            for (let i = 0; i < dimension; i++) vector[i] /= norm;
            return vector;
        }));
    }
}

function stats(times: number[]): string {
    return `p50 ${percentile(times, 50).toFixed(1)} ms, p95 ${percentile(times, 95).toFixed(1)} ms`;
}

/** In a fresh process: open the index and the vectors, run the queries, print latencies and memory. */
async function measure(root: string, cache: string): Promise<void> {
    const opened = performance.now();
    const index = await WorkspaceIndex.open(root, { cacheDir: cache });
    const openMs = performance.now() - opened;
    const rssIndex = process.memoryUsage().rss;
    const search = new HybridSearch(index, { embedder: new SeededEmbedder() });
    const loadStarted = performance.now();
    const again = await search.embedChunks();
    process.stdout.write(`  a new session: index opened in ${openMs.toFixed(0)} ms; vectors loaded and checked in ${(performance.now() - loadStarted).toFixed(0)} ms (${again!.embedded} passages needed embedding: nothing changed)\n`);
    const note = makeNoteWriter();
    const words = note(999_999, 20_000).toLowerCase().match(/[a-z]+/g)!;
    const queryTexts = Array.from({ length: queries }, (_, i) => words.slice(i * 3, i * 3 + 3).join(" "));
    const bm25: number[] = [];
    const hybrid: number[] = [];
    for (const query of queryTexts) {
        let t0 = performance.now();
        index.search(query, 10);
        bm25.push(performance.now() - t0);
        t0 = performance.now();
        await search.search(query, 10);
        hybrid.push(performance.now() - t0);
    }
    const rss = process.memoryUsage().rss;
    // the scan alone, on a second copy of the vectors (after the RSS figure)
    const vectors = await ChunkVectors.load(index.cacheDirectory, { id: `seeded-${dimension}`, dimension });
    const embedder = new SeededEmbedder();
    const scan: number[] = [];
    for (const query of queryTexts) {
        const [queryVector] = await embedder.embed([query]);
        const t0 = performance.now();
        vectors.nearest(queryVector, index.liveSegments, 50);
        scan.push(performance.now() - t0);
    }
    process.stdout.write(`  search, ${queries} queries, top 10:\n`);
    process.stdout.write(`    BM25 alone:                 ${stats(bm25)}\n`);
    process.stdout.write(`    vector scan alone (top 50): ${stats(scan)}\n`);
    process.stdout.write(`    hybrid (BM25 + vectors, RRF, hits read): ${stats(hybrid)}  (${(percentile(hybrid, 95) / percentile(bm25, 95)).toFixed(1)}× BM25's p95)\n`);
    process.stdout.write(`  RSS after the searches: ${(rss / 2 ** 20).toFixed(0)} MB (${(rssIndex / 2 ** 20).toFixed(0)} MB with the index open, before the vectors)\n`);
    await index.dispose();
}

async function main(): Promise<void> {
    const base = await fs.mkdtemp(path.join(os.tmpdir(), "llamahome-hybrid-bench-"));
    try {
        const root = path.join(base, "notes");
        const note = makeNoteWriter();
        for (let i = 0; i < documents; i += 1000) {
            const dir = path.join(root, `d${i / 1000}`);
            await fs.mkdir(dir, { recursive: true });
            await Promise.all(Array.from({ length: Math.min(1000, documents - i) }, (_, k) => fs.writeFile(path.join(dir, `note-${i + k}.md`), note(i + k, 5000))));
        }
        const cache = path.join(base, "cache");
        const index = await WorkspaceIndex.open(root, { cacheDir: cache });
        await index.update();
        process.stdout.write(`${index.documentCount.toLocaleString("en")} notes, ${index.chunkCount.toLocaleString("en")} passages, ${dimension}-number vectors (seeded, not a model's)\n`);
        const search = new HybridSearch(index, { embedder: new SeededEmbedder() });
        const embedded = await search.embedChunks();
        process.stdout.write(`  storing the vectors: ${embedded!.embedded.toLocaleString("en")} passages in ${(embedded!.ms / 1000).toFixed(1)} s (hashing, reading the text, saving; no model)\n`);
        const file = path.join(index.cacheDirectory, "vectors.bin");
        process.stdout.write(`  vectors.bin: ${((await fs.stat(file)).size / 2 ** 20).toFixed(1)} MB\n`);

        await index.dispose();
        // a fresh process opens the index and searches, as the language server does after a restart: its RSS is the cost
        const measured = spawnSync(process.execPath, ["--import", "tsx", __filename, "measure", root, cache], { stdio: "inherit" });
        if (measured.status !== 0) throw new Error(`the measuring process failed (${measured.status})`);
        await tinyModelRates(base, (line) => process.stdout.write(line));
    } finally {
        await fs.rm(base, { recursive: true, force: true });
    }
}

const [mode, measureRoot, measureCache] = process.argv.slice(2);
void (mode === "measure" ? measure(measureRoot!, measureCache!) : main()).catch((error: unknown) => {
    console.error(error);
    process.exit(1);
});
