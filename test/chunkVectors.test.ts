// Chunk vectors beside a real index: nearest-neighbour order, persistence, reuse by text hash across segments,
// compaction, another model's file, a damaged file. And the two fusions of BM25 with vector rankings.
import assert from "node:assert/strict";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { test, type TestContext } from "node:test";
import { ChunkVectors, chunkVectorsFile } from "../server/core/ChunkVectors";
import { fuseRankings } from "../server/core/fusion";
import { VectorArena } from "../server/core/vectorKernel";
import { WorkspaceIndex } from "../server/core/WorkspaceIndex";
import { tempWorkspace } from "./helpers/workspace";

const model = { id: "test-model-a", dimension: 4 };

function unit(...values: number[]): Float32Array {
    const norm = Math.hypot(...values);
    return Float32Array.from(values, (value) => value / norm);
}

/** Gives every live chunk of the index a vector, from its text. */
function fill(vectors: ChunkVectors, index: WorkspaceIndex, vectorOf: (text: string) => Float32Array): void {
    for (const segment of index.liveSegments) {
        const table = vectors.addressesOf(segment);
        for (let c = 0; c < segment.chunkCount; c++) {
            if (!segment.live[c]) continue;
            const text = segment.chunk(c).text;
            table[c] = vectors.add(ChunkVectors.hashOf(text), vectorOf(text));
        }
    }
    vectors.touch();
}

const direction = (text: string) => (text.includes("apples") ? unit(1, 0, 0, 0) : text.includes("pears") ? unit(0, 1, 0, 0) : unit(0, 0, 1, 1));

/** A workspace of `files`, indexed, every chunk given its direction's vector (not saved yet). */
async function embeddedWorkspace(t: TestContext, files: Record<string, string>): Promise<{ root: string; index: WorkspaceIndex; vectors: ChunkVectors }> {
    const { root, cache } = await tempWorkspace(t, files);
    const index = await WorkspaceIndex.open(root, { cacheDir: cache });
    t.after(() => index.dispose());
    await index.update();
    const vectors = await ChunkVectors.load(index.cacheDirectory, model);
    fill(vectors, index, direction);
    return { root, index, vectors };
}

/** The paths of the nearest chunks, best first. */
function nearestPaths(index: WorkspaceIndex, vectors: ChunkVectors, query: Float32Array, k: number): string[] {
    return vectors.nearest(query, index.liveSegments, k).map((hit) => index.hitFor({ ...hit, score: 0, bm25: 0 }, "").path);
}

test("nearest chunks come best first, only live ones, and the vectors survive a reopen", async (t) => {
    const { root, index, vectors } = await embeddedWorkspace(t, { "a.md": "We grow apples here.", "b.md": "We grow pears here.", "c.md": "Nothing about fruit." });
    const near = vectors.nearest(unit(0.9, 0.1, 0, 0), index.liveSegments, 3);
    assert.deepEqual(nearestPaths(index, vectors, unit(0.9, 0.1, 0, 0), 3), ["a.md", "b.md", "c.md"]);
    assert.ok(near[0].similarity > 0.99 && near[0].similarity <= 1.0001, String(near[0].similarity));
    assert.deepEqual(vectors.coverage(index.liveSegments), { embedded: 3, live: 3 });
    await vectors.save(index.liveSegments);

    const again = await ChunkVectors.load(index.cacheDirectory, model);
    assert.equal(again.size, 3);
    assert.deepEqual(again.coverage(index.liveSegments), { embedded: 3, live: 3 });
    assert.deepEqual(nearestPaths(index, again, unit(0, 1, 0, 0), 1), ["b.md"]);

    // a deleted document's chunk is never a neighbour; saving drops its vector
    await fs.rm(path.join(root, "b.md"));
    await index.update();
    assert.deepEqual(nearestPaths(index, again, unit(0, 1, 0, 0), 3).sort(), ["a.md", "c.md"]);
    again.touch();
    await again.save(index.liveSegments);
    assert.equal((await ChunkVectors.load(index.cacheDirectory, model)).size, 2);
});

test("a changed file needs a vector for its new text only; text seen before is found by its hash", async (t) => {
    const { root, index, vectors } = await embeddedWorkspace(t, { "a.md": "We grow apples here.", "b.md": "We grow pears here." });
    await vectors.save(index.liveSegments);
    // b.md is rewritten with a's text: it moves to a new segment, and its text already has a vector
    await fs.writeFile(path.join(root, "b.md"), "We grow apples here.");
    await index.update();
    const { embedded, live } = vectors.coverage(index.liveSegments);
    assert.equal(live, 2);
    assert.equal(embedded, 1, "the new segment has no address table yet");
    assert.notEqual(vectors.recordOf(ChunkVectors.hashOf("We grow apples here.")), undefined);
});

test("another model's vectors and a damaged file are dropped, with a notice, never an error", async (t) => {
    const { index, vectors } = await embeddedWorkspace(t, { "a.md": "We grow apples here." });
    await vectors.save(index.liveSegments);

    const notices: string[] = [];
    const other = await ChunkVectors.load(index.cacheDirectory, { id: "test-model-b", dimension: 4 }, (line) => notices.push(line));
    assert.equal(other.size, 0);
    assert.match(notices[0] ?? "", /another embedding model \(test-model-a\)/);

    const file = path.join(index.cacheDirectory, chunkVectorsFile);
    const bytes = await fs.readFile(file);
    await fs.writeFile(file, bytes.subarray(0, bytes.length - 3));
    const damaged = await ChunkVectors.load(index.cacheDirectory, model, (line) => notices.push(line));
    assert.equal(damaged.size, 0);
    assert.match(notices[1] ?? "", /could not be read \(truncated address table\)/);
    // a wrong-length vector is refused, not stored
    assert.throws(() => damaged.add(ChunkVectors.hashOf("x"), new Float32Array(3)), /returned 3 numbers, not 4/);
});

test("RRF rewards agreement between the rankings; convex mixes scaled scores", () => {
    const bm25 = [{ key: "a", score: 12 }, { key: "b", score: 9 }, { key: "c", score: 1 }];
    const dense = [{ key: "b", score: 0.9 }, { key: "c", score: 0.8 }, { key: "d", score: 0.1 }];
    // b: 1/62 + 1/61; c: 1/63 + 1/62 (in both lists, low in each) beats a: 1/61 (first in one)
    assert.deepEqual(fuseRankings([bm25, dense], "rrf").map((item) => item.key), ["b", "c", "a", "d"]);
    const convex = fuseRankings([bm25, dense], "convex");
    // a: 0.5·1 + 0; b: 0.5·(8/11) + 0.5·1; c: 0 + 0.5·(0.7/0.8); d: 0
    assert.deepEqual(convex.map((item) => item.key), ["b", "a", "c", "d"]);
    assert.ok(Math.abs(convex[0].score - (0.5 * (8 / 11) + 0.5)) < 1e-9);
    assert.deepEqual(fuseRankings([bm25, []], "rrf").map((item) => item.key), ["a", "b", "c"], "one empty list: the other's order");
});

test("the SIMD kernel's dot products equal plain JavaScript's, at every width and across the memory growing", () => {
    let seed = 7;
    const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32) - 0.5;
    for (const dimension of [4, 20, 64, 384, 388, 1024, 6]) {
        const simd = new VectorArena(dimension, 2);
        const plain = new VectorArena(dimension, 2, false);
        assert.equal(simd.simd, dimension % 4 === 0, "SIMD where the width allows it (Node has WebAssembly SIMD)");
        assert.equal(plain.simd, false);
        const rows = 700;
        for (let row = 0; row < rows; row++) {
            // grown a row at a time: what was stored stays where it was
            simd.reserve(row + 1);
            plain.reserve(row + 1);
            const vector = Float32Array.from({ length: dimension }, random);
            simd.vectors.set(vector, row * dimension);
            plain.vectors.set(vector, row * dimension);
        }
        const query = Float32Array.from({ length: dimension }, random);
        const fast = simd.scores(query, rows).slice();
        const slow = plain.scores(query, rows).slice();
        let sum = 0;
        for (let i = 0; i < dimension; i++) sum += query[i] * simd.vectors[(rows - 1) * dimension + i];
        assert.ok(Math.abs(fast[rows - 1] - sum) < 1e-5, `${dimension}: ${fast[rows - 1]} vs ${sum}`);
        for (let row = 0; row < rows; row++) assert.ok(Math.abs(fast[row] - slow[row]) < 1e-5, `${dimension}, row ${row}: ${fast[row]} vs ${slow[row]}`);
        assert.deepEqual(simd.scores(query, 0), new Float32Array(0));
    }
});
