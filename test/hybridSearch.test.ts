// Hybrid search end to end with the tiny models (make-tiny-model --embedding / --reranker) in a real inference
// child: vectors made, persisted, reused, invalidated; BM25 fused with them; a reranker reordering; a bad model
// leaving BM25 with a warning; the same through the CLI and the language server.
import assert from "node:assert/strict";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { test } from "node:test";
import { pathToFileURL } from "node:url";
import { SearchRequest } from "../shared/protocol";
import { chunkVectorsFile } from "../server/core/ChunkVectors";
import { embeddingText, HybridSearch } from "../server/core/HybridSearch";
import { WorkspaceIndex } from "../server/core/WorkspaceIndex";
import { startServer } from "../server/eval/LspServerProbe";
import { makeTinyEmbeddingModel, makeTinyRerankerModel } from "../server/llm/gguf/tinyRetrievalModels";
import { writeTinyModel } from "../server/llm/gguf/tinyModel";
import { ModelLoadError } from "../server/llm/inferenceErrors";
import { RetrievalModels } from "../server/llm/RetrievalModels";
import { parseJson, runCli } from "./helpers/cli";
import { tempWorkspace } from "./helpers/workspace";

const files = {
    "garage.md": "# Garage\n\nThe car needs new tyres before winter.\n",
    "kitchen.md": "# Kitchen\n\nBake the bread at two hundred degrees.\n",
    "budget.md": "# Budget\n\nWe will purchase a house next spring with our savings.\n",
};

interface SearchJson {
    retrieval: string;
    results: { path: string; score: number }[];
    embedding?: { embedded: number; reused: number; chunks: number; chunksPerSecond: number };
    warning?: string;
}

async function models(base: string): Promise<{ embedding: string; reranker: string; otherEmbedding: string }> {
    const embedding = path.join(base, "embedding.gguf");
    const reranker = path.join(base, "reranker.gguf");
    const otherEmbedding = path.join(base, "embedding-seed2.gguf");
    await fs.writeFile(embedding, makeTinyEmbeddingModel());
    await fs.writeFile(reranker, makeTinyRerankerModel());
    await fs.writeFile(otherEmbedding, makeTinyEmbeddingModel({ seed: 2 }));
    return { embedding, reranker, otherEmbedding };
}

test("CLI: a query in other words finds its passage only with the embedding model; vectors are kept, reused and redone", async (t) => {
    const { base, root, cache } = await tempWorkspace(t, files);
    const { embedding, otherEmbedding } = await models(base);
    const search = async (query: string, ...flags: string[]) => parseJson<SearchJson>(await runCli(["search", root, query, "--cache-dir", cache, "--json", ...flags]));

    const bm25 = await search("automobile");
    assert.equal(bm25.retrieval, "bm25");
    assert.deepEqual(bm25.results, [], "no document has the word");

    const hybrid = await search("automobile", "--embedding-model", embedding);
    assert.equal(hybrid.retrieval, "hybrid");
    assert.deepEqual(hybrid.results.map((hit) => hit.path), ["garage.md"], "the car passage, and nothing at a right angle to the query");
    assert.equal(hybrid.embedding?.embedded, 3, "every passage embedded once");
    assert.ok((await fs.readdir(path.join(cache, (await fs.readdir(cache))[0]!))).includes(chunkVectorsFile));
    // BM25 and the vectors agree: the purchase passage first for its own word
    assert.equal((await search("purchase home", "--embedding-model", embedding)).results[0]?.path, "budget.md");

    const again = await search("buy a dwelling", "--embedding-model", embedding);
    assert.equal(again.embedding?.embedded, 0, "nothing changed: nothing embedded again");
    assert.equal(again.results[0]?.path, "budget.md");

    // an edited file: its new passage only
    await fs.writeFile(path.join(root, "kitchen.md"), "# Kitchen\n\nThe physician said to eat less bread.\n");
    const edited = await search("doctor", "--embedding-model", embedding);
    assert.equal(edited.embedding?.embedded, 1);
    assert.deepEqual(edited.results.map((hit) => hit.path), ["kitchen.md"]);
    // a renamed file keeps its vector (same text, found by its hash)
    await fs.rename(path.join(root, "garage.md"), path.join(root, "car-notes.md"));
    const renamed = await search("vehicle", "--embedding-model", embedding);
    assert.equal(renamed.embedding?.embedded, 0, "same title, same text: the vector is found by its hash, not re-embedded");
    assert.equal(renamed.results[0]?.path, "car-notes.md");

    // another model: every passage again, with a notice
    const other = await runCli(["search", root, "automobile", "--cache-dir", cache, "--json", "--embedding-model", otherEmbedding]);
    assert.equal(parseJson<SearchJson>(other).embedding?.embedded, 3);
    assert.match(other.stderr, /made by another embedding model/);
});

test("CLI: a bad embedding model or reranker leaves BM25 answering, with one clear warning", async (t) => {
    const { base, root, cache } = await tempWorkspace(t, files);
    const bad = path.join(base, "bad.gguf");
    await fs.writeFile(bad, "this is not a GGUF file at all, just text");
    const run = await runCli(["search", root, "car", "--cache-dir", cache, "--json", "--embedding-model", bad]);
    assert.equal(run.code, 0, run.stderr);
    const result = parseJson<SearchJson>(run);
    assert.equal(result.retrieval, "bm25");
    assert.deepEqual(result.results.map((hit) => hit.path), ["garage.md"]);
    assert.match(result.warning ?? "", /Embedding failed: cannot load model .*bad\.gguf: not a GGUF file/);

    const language = path.join(base, "language.gguf");
    await writeTinyModel(language);
    const reranked = parseJson<SearchJson>(await runCli(["search", root, "car", "--cache-dir", cache, "--json", "--reranker", language]));
    assert.equal(reranked.retrieval, "bm25");
    assert.match(reranked.warning ?? "", /The reranker failed \(cannot load model .*language\.gguf: it is not a reranking model/);

    const usage = await runCli(["search", root, "car", "--fusion", "convex"]);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /--fusion needs --embedding-model/);
});

test("CLI: eval retrieval with an embedding model says which retrieval and fusion ran, and how many passages it embedded", async (t) => {
    const { base, root, cache } = await tempWorkspace(t, files);
    const { embedding } = await models(base);
    const dataset = path.join(base, "questions.jsonl");
    await fs.writeFile(dataset, `${JSON.stringify({ root, question: "Which automobile needs tyres?", path: "garage.md", answer: "tyres" })}\n`);
    const run = await runCli(["eval", "retrieval", "--dataset", dataset, "--cache-dir", cache, "--embedding-model", embedding, "--fusion", "convex", "--json"], { env: { LLAMAHOME_RESULTS_DIR: path.join(base, "results") } });
    const result = parseJson<{ retrieval: string; fusion: string; embedding: { chunks: number; embedded: number }; overall: { document: { recallAt1: number } } }>(run);
    assert.equal(result.retrieval, "hybrid");
    assert.equal(result.fusion, "convex");
    assert.deepEqual([result.embedding.chunks, result.embedding.embedded], [3, 3]);
    assert.equal(result.overall.document.recallAt1, 1, "the car note, found by meaning and by 'tyres'");
});

test("in process: the reranker orders the fused hits by its own scores; RRF and convex fusions both run", async (t) => {
    const { base, root, cache } = await tempWorkspace(t, { ...files, "shop.md": "# Shop\n\nThe store sells cars and bread.\n", "road.md": "# Road\n\nA vehicle on the street.\n" });
    const { embedding, reranker } = await models(base);
    const retrieval = new RetrievalModels({ embeddingModel: embedding, rerankerModel: reranker, gpu: false });
    t.after(() => retrieval.dispose());
    const index = await WorkspaceIndex.open(root, { cacheDir: cache });
    t.after(() => index.dispose());
    await index.update();

    const fused = new HybridSearch(index, { embedder: retrieval });
    const report = await fused.embedChunks();
    assert.equal(report?.embedded, 5);
    const plain = await fused.search("car bread", 5);
    assert.equal(plain.retrieval, "hybrid");

    const reranked = await new HybridSearch(index, { embedder: retrieval, ranker: retrieval }).search("car bread", 5);
    assert.equal(reranked.retrieval, "hybrid+rerank");
    assert.deepEqual(new Set(reranked.hits.map((hit) => hit.path)), new Set(plain.hits.map((hit) => hit.path)), "the same candidates");
    const scores = await retrieval.rank("car bread", reranked.hits.map(embeddingText));
    assert.deepEqual(reranked.hits.map((hit) => hit.score), scores, "each hit's score is the reranker's");
    assert.deepEqual([...scores].sort((a, b) => b - a), scores, "best first");
    assert.ok(new Set(scores).size > 1, "the tiny reranker tells passages apart");

    const convex = await new HybridSearch(index, { embedder: retrieval, fusion: "convex" }).search("automobile", 5);
    assert.equal(convex.retrieval, "hybrid");
    assert.deepEqual(convex.hits.map((hit) => hit.path).sort(), ["garage.md", "road.md", "shop.md"], "every passage with a car word, none without");
});

test("the models' child: vectors are unit length, a long text is cut, an empty one is zero; a killed child is restarted; bad files fail clearly", async (t) => {
    const { base } = await tempWorkspace(t, {});
    const { embedding, reranker } = await models(base);
    const bad = path.join(base, "bad.gguf");
    await fs.writeFile(bad, Buffer.alloc(100));
    const retrieval = new RetrievalModels({ embeddingModel: embedding, rerankerModel: bad, gpu: false });
    t.after(() => retrieval.dispose());

    const info = await retrieval.loadEmbedding();
    assert.equal(info.dimension, 64);
    assert.match(info.id, /^[0-9a-f]{16}$/);
    const [car, automobile, bread, long, empty] = await retrieval.embed(["car", "An automobile.", "bread", "car ".repeat(5000), ""]);
    const dot = (a: Float32Array, b: Float32Array) => a.reduce((sum, value, i) => sum + value * b[i], 0);
    assert.ok(Math.abs(dot(car, car) - 1) < 1e-5);
    assert.ok(dot(car, automobile) > 0.99, "synonyms share a vector");
    assert.equal(dot(car, bread), 0, "a word the model does not know adds nothing");
    assert.ok(dot(car, long) > 0.99, "20,000 characters cut to the context, not refused");
    assert.ok(empty.every((value) => value === 0));

    await assert.rejects(retrieval.rank("car", ["a", "b"]), (error: unknown) => error instanceof ModelLoadError && /bad\.gguf: not a GGUF file/.test(error.message));
    const pid = (retrieval as unknown as { child?: { connection: { pid?: number } } }).child?.connection.pid;
    assert.ok(pid);
    process.kill(pid, "SIGKILL");
    await new Promise((resolve) => setTimeout(resolve, 200));
    const [again] = await retrieval.embed(["vehicle"]);
    assert.ok(dot(car, again) > 0.99, "a new child, the model loaded again");

    const language = path.join(base, "language.gguf");
    await writeTinyModel(language);
    const notReranker = new RetrievalModels({ rerankerModel: language, embeddingModel: reranker, gpu: false });
    t.after(() => notReranker.dispose());
    await assert.rejects(notReranker.loadReranker(), /language\.gguf: it is not a reranking model/);
});

test("language server: with llamahome.embeddingModel set, search finds by meaning and says hybrid; ask reaches the passage", async (t) => {
    const { base, root } = await tempWorkspace(t, files);
    const { embedding, reranker } = await models(base);
    const server = startServer({ embeddingModel: embedding, rerankerModel: reranker });
    t.after(() => server.stop());
    const rootUri = pathToFileURL(root).toString();
    await server.connection.sendRequest("initialize", {
        processId: process.pid, rootUri, workspaceFolders: [{ uri: rootUri, name: "ws" }],
        capabilities: { window: { workDoneProgress: true }, workspace: { configuration: true } },
        initializationOptions: { cacheDir: path.join(base, "lsp-cache") },
    });
    await server.connection.sendNotification("initialized", {});
    await server.waitForStatus((status) => status.state === "indexed");
    // the passages are embedded after indexing, in the background, with their own progress
    const deadline = Date.now() + 60_000;
    let result = await server.connection.sendRequest(SearchRequest, { query: "automobile" });
    while (result.warning && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        result = await server.connection.sendRequest(SearchRequest, { query: "automobile" });
    }
    assert.equal(result.retrieval, "hybrid+rerank", JSON.stringify(result));
    assert.equal(result.warning, undefined);
    assert.deepEqual(result.results.map((hit) => hit.path), ["garage.md"]);
    assert.ok(server.progress.some((event) => event.kind === "begin" && /embedding passages/.test(String(event.title))), "embedding shows its progress");
});
