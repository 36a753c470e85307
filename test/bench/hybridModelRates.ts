// Part of `npm run bench:hybrid`: how fast the inference child embeds passages and reranks hits with the tiny models
// (make-tiny-model --embedding / --reranker, 64 wide, one and two layers): the cost of the path (IPC, batching,
// tokenizing), not of a real model, whose rates are lower (the README gives the commands to measure one).
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { percentile } from "../../server/eval/percentile";
import { makeTinyEmbeddingModel, makeTinyRerankerModel } from "../../server/llm/gguf/tinyRetrievalModels";
import { RetrievalModels } from "../../server/llm/RetrievalModels";
import { makeNoteWriter } from "./indexScale";

export async function tinyModelRates(base: string, write: (line: string) => void): Promise<void> {
    const embeddingModel = path.join(base, "tiny-embedding.gguf");
    const rerankerModel = path.join(base, "tiny-reranker.gguf");
    await fs.writeFile(embeddingModel, makeTinyEmbeddingModel());
    await fs.writeFile(rerankerModel, makeTinyRerankerModel());
    const models = new RetrievalModels({ embeddingModel, rerankerModel, gpu: false });
    try {
        const note = makeNoteWriter();
        const passages = Array.from({ length: 512 }, (_, i) => note(i, 1000));
        const loadStarted = performance.now();
        const info = await models.loadEmbedding();
        write(`\nTiny models in the inference child (CPU, ${info.dimension}-wide vectors; not a real model's speed):\n`);
        write(`  embedding model loaded in ${(performance.now() - loadStarted).toFixed(0)} ms\n`);
        const started = performance.now();
        await models.embed(passages, { priority: "background" });
        const seconds = (performance.now() - started) / 1000;
        write(`  embedding ${passages.length} passages of ~1,000 characters: ${(passages.length / seconds).toFixed(0)} passages/s\n`);
        const queries: number[] = [];
        for (let i = 0; i < 50; i++) {
            const t0 = performance.now();
            await models.embed([`query number ${i} about the house`]);
            queries.push(performance.now() - t0);
        }
        write(`  a query's vector: p50 ${percentile(queries, 50).toFixed(1)} ms, p95 ${percentile(queries, 95).toFixed(1)} ms (IPC included)\n`);
        // an interactive query while a long background run is under way waits for one batch at most
        const background = models.embed(passages, { priority: "background" });
        await new Promise((resolve) => setTimeout(resolve, 50));
        const t0 = performance.now();
        await models.embed(["a query while passages are being embedded"]);
        write(`  the same, while ${passages.length} passages are being embedded: ${(performance.now() - t0).toFixed(1)} ms\n`);
        await background;
        await models.loadReranker();
        const ranks: number[] = [];
        for (let i = 0; i < 20; i++) {
            const r0 = performance.now();
            await models.rank(`question ${i}`, passages.slice(i, i + 20));
            ranks.push(performance.now() - r0);
        }
        write(`  reranking 20 hits: p50 ${percentile(ranks, 50).toFixed(0)} ms, p95 ${percentile(ranks, 95).toFixed(0)} ms\n`);
    } finally {
        await models.dispose();
    }
}
