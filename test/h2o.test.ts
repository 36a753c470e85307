import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test, type TestContext } from "node:test";
import type { Llama, LlamaContext, LlamaContextSequence, Token } from "node-llama-cpp" with { "resolution-mode": "import" };
import { readGguf } from "../server/llm/gguf/ggufParser";
import { makeTinyModelWeights, tinyModelGguf, writeTinyModel, type TinyModelOptions, type TinyModelTensor, type TinyModelWeights } from "../server/llm/gguf/tinyModel";
import { AttentionAccumulator, h2oContextOptions } from "../server/llm/h2o/AttentionAccumulator";
import { H2oBuildMissingError, loadH2oLlama } from "../server/llm/h2o/h2oBuild";
import { HeavyHitterPolicy } from "../server/llm/h2o/HeavyHitterPolicy";
import { KvBudget } from "../server/llm/h2o/KvBudget";
import { eraseRangesFrom, rangesFromPositions, type KvEvictionPolicy } from "../server/llm/h2o/KvEvictionPolicy";
import { evaluateWithPolicy, KvPolicyRunner, type PolicySequence } from "../server/llm/h2o/KvPolicyRunner";
import { openKvPolicySession } from "../server/llm/h2o/openKvPolicySession";
import { mergeRanges, type PositionRange } from "../server/llm/h2o/positionRanges";
import { ReferenceModel, type ReferenceAttentionMass, type ReferenceSession } from "./helpers/referenceForward";
import { maxPool, QueryAwarePolicy } from "../server/llm/h2o/QueryAwarePolicy";
import { SinkWindowPolicy } from "../server/llm/h2o/SinkWindowPolicy";

// GQA (4 query heads over 2 KV heads) so the reference's head grouping is exercised too.
const MODEL_OPTIONS: TinyModelOptions = { seed: 7, layers: 2, embd: 64, heads: 4, kvHeads: 2 };
/** The token the planted model makes every query attend to (a control byte no text here contains). */
const MARKER_BYTE = 0x01;
/** Relative tolerance the issue sets for native vs reference attention mass. */
const MASS_REL_TOL = 1e-4;
const TEXT =
    "Heavy hitters are the few tokens that receive most of the attention. The quick brown fox jumps over the lazy dog, " +
    "and then the dog sleeps while the fox reads a long document about caches, budgets and positions that roll left.";

let dir: string;
let modelPath: string;
let plantedPath: string;
before(async () => {
    dir = await mkdtemp(join(tmpdir(), "llamahome-h2o-"));
    modelPath = join(dir, "tiny.gguf");
    plantedPath = join(dir, "planted.gguf");
    await writeTinyModel(modelPath, MODEL_OPTIONS);
    await writeWeightsGguf(plantedPath, plantedWeights());
});
after(async () => {
    await rm(dir, { recursive: true, force: true });
});

describe("KvBudget", () => {
    test("splits the window into sinks, scored heavy hitters and recent tokens", () => {
        const budget = new KvBudget({ windowLength: 512, heavyHitters: 128 });
        assert.deepEqual(budget.toJSON(), { windowLength: 512, heavyHitters: 128, sinkTokens: 1, recentTokens: 384 });
        assert.equal(budget.scoredHeavyHitters, 127);
        assert.equal(budget.generationSlack, 128);
        // a prompt chunk, or a generation batch (slack + the token that tips it over), whichever is larger
        assert.equal(budget.maxCells(64), 512 + 129);
        assert.equal(budget.maxCells(512), 512 + 512);
    });

    test("rejects budgets that cannot hold", () => {
        assert.throws(() => new KvBudget({ windowLength: 1, heavyHitters: 0 }), RangeError);
        assert.throws(() => new KvBudget({ windowLength: 8, heavyHitters: 8 }), /heavyHitters/);
        assert.throws(() => new KvBudget({ windowLength: 8, heavyHitters: 2, sinkTokens: 3 }), /sinkTokens/);
        assert.throws(() => new KvBudget({ windowLength: 8.5, heavyHitters: 2 }), /windowLength/);
    });
});

describe("HeavyHitterPolicy", () => {
    const budget = new KvBudget({ windowLength: 10, heavyHitters: 4, sinkTokens: 1 }); // recent 6, scored 3

    test("does nothing within budget (+ slack)", () => {
        const policy = new HeavyHitterPolicy(budget);
        assert.deepEqual(policy.planEviction({ length: 10, scores: new Float64Array(10) }), []);
        assert.deepEqual(policy.planEviction({ length: 12, scores: new Float64Array(12), slack: 2 }), []);
    });

    test("evicts the lowest scores down to the window, keeping sinks and recent tokens, in merged ranges", () => {
        const policy = new HeavyHitterPolicy(budget);
        //             0   1  2  3  4  5  6  7  8 | 9 … 14 recent (6)
        const scores = [0, 9, 1, 2, 8, 3, 7, 0.5, 0, 5, 5, 5, 5, 5, 5];
        const ranges = policy.planEviction({ length: 15, scores });
        // 5 to evict among positions 1..8: lowest are 8 (0), 7 (0.5), 2 (1), 3 (2), 5 (3)
        assert.deepEqual(ranges, [{ start: 2, end: 4 }, { start: 5, end: 6 }, { start: 7, end: 9 }]);
        const kept = eraseRangesFrom([...scores.keys()], ranges);
        assert.equal(kept.length, budget.windowLength, "budget held");
        assert.deepEqual(kept, [0, 1, 4, 6, 9, 10, 11, 12, 13, 14], "sink, the 3 heavy hitters and the 6 recent");
    });

    test("never evicts the sink even with the lowest score, and breaks ties towards older positions", () => {
        const policy = new HeavyHitterPolicy(budget);
        const ranges = policy.planEviction({ length: 13, scores: new Float64Array(13) });
        assert.deepEqual(ranges, [{ start: 1, end: 4 }]);
    });

    test("requires a score per position", () => {
        assert.throws(() => new HeavyHitterPolicy(budget).planEviction({ length: 12, scores: [1, 2] }), /attention score/);
    });
});

describe("QueryAwarePolicy", () => {
    const budget = new KvBudget({ windowLength: 10, heavyHitters: 5, sinkTokens: 1 }); // recent 5, scored 4

    test("keeps sinks, the question's picks, the heavy hitters and the recent window; evicts the rest", () => {
        const policy = new QueryAwarePolicy(budget, { observationShare: 0.5, pool: 1 });
        assert.equal(policy.name, "query-aware");
        assert.equal(policy.observedSlots, 2);
        //                   0  1  2  3  4  5  6  7  8  9 | 10 … 14 recent (5)
        const scores =      [9, 1, 8, 0, 1, 1, 0, 1, 7, 1, 5, 5, 5, 5, 5];
        const observation = [0, 0, 0, 6, 0, 0, 0, 5, 0, 0, 9, 9, 9, 9, 9];
        const ranges = policy.planEviction({ length: 15, scores, observation });
        const kept = eraseRangesFrom([...scores.keys()], ranges);
        assert.equal(kept.length, budget.windowLength, "budget held");
        assert.deepEqual(kept, [0, 2, 3, 7, 8, 10, 11, 12, 13, 14], "sink; 3 and 7 by the question; 2 and 8 by accumulated attention; recent");
        assert.deepEqual(policy.planEviction({ length: 10, scores, observation }), [], "nothing within budget");
    });

    test("pools the question's attention over neighbours, so a phrase survives whole", () => {
        assert.deepEqual([...maxPool([0, 0, 0, 0, 4, 0, 0, 0], 8, 3)], [0, 0, 0, 4, 4, 4, 0, 0]);
        const policy = new QueryAwarePolicy(budget, { observationShare: 1, pool: 3 });
        const observation = [0, 0, 0, 0, 0, 3, 0, 0, 1, 0, 0, 0, 0, 0, 0];
        const kept = eraseRangesFrom([...Array(15).keys()], policy.planEviction({ length: 15, scores: new Float64Array(15), observation }));
        assert.deepEqual(kept.slice(1, 5), [4, 5, 6, 9], "the peak at 5 with both neighbours, then the next pooled peak (newest first on ties)");
    });

    test("observationShare 0 is H2O's choice; bad options and missing scores are refused", () => {
        const scores = [9, 1, 8, 0, 1, 1, 0, 1, 7, 1, 5, 5, 5, 5, 5];
        const observation = [0, 0, 0, 6, 0, 0, 0, 5, 0, 0, 9, 9, 9, 9, 9];
        const noQuestion = new QueryAwarePolicy(budget, { observationShare: 0 }).planEviction({ length: 15, scores, observation });
        const h2o = new HeavyHitterPolicy(budget).planEviction({ length: 15, scores });
        assert.deepEqual(eraseRangesFrom([...scores.keys()], noQuestion).sort(), eraseRangesFrom([...scores.keys()], h2o).sort());
        assert.throws(() => new QueryAwarePolicy(budget, { observationShare: 1.5 }), /observationShare/);
        assert.throws(() => new QueryAwarePolicy(budget, { pool: 0 }), /pool/);
        assert.throws(() => new QueryAwarePolicy(budget).planEviction({ length: 15, scores }), /observation/);
    });
});

describe("SinkWindowPolicy", () => {
    test("keeps the sinks and the most recent tokens in one erase", () => {
        const policy = new SinkWindowPolicy(new KvBudget({ windowLength: 10, heavyHitters: 4, sinkTokens: 2 }));
        assert.equal(policy.name, "sink-window");
        assert.deepEqual(policy.planEviction({ length: 10 }), []);
        assert.deepEqual(policy.planEviction({ length: 15 }), [{ start: 2, end: 7 }]);
        assert.deepEqual(eraseRangesFrom([...Array(15).keys()], [{ start: 2, end: 7 }]), [0, 1, 7, 8, 9, 10, 11, 12, 13, 14]);
    });
});

describe("position bookkeeping", () => {
    test("ranges are merged and positions roll left like node-llama-cpp's erase", () => {
        assert.deepEqual(rangesFromPositions([9, 3, 4, 5, 7]), [{ start: 3, end: 6 }, { start: 7, end: 8 }, { start: 9, end: 10 }]);
        assert.deepEqual(mergeRanges([{ start: 5, end: 3 }, { start: 1, end: 2 }, { start: 2, end: 4 }, { start: 8, end: 8 }]), [{ start: 1, end: 5 }]);
        const items = ["a", "b", "c", "d", "e", "f", "g"];
        assert.deepEqual(eraseRangesFrom(items, [{ start: 4, end: 6 }, { start: 1, end: 2 }]), ["a", "c", "d", "g"]);
    });

    test("the reference cache rolls positions and carries scores with their tokens", () => {
        const session = ReferenceModel.fromTinyModelWeights(makeTinyModelWeights(MODEL_OPTIONS)).createSession();
        session.evaluate(tokensOf(40));
        const before = session.attentionMass();
        const ranges = [{ start: 3, end: 7 }, { start: 20, end: 22 }];
        session.eraseRanges(ranges);
        const afterErase = session.attentionMass();
        assert.equal(session.nextPosition, 34);
        assert.deepEqual(afterErase.positions, [...Array(34).keys()]);
        assert.deepEqual([...afterErase.total], eraseRangesFrom([...before.total], ranges));
    });
});

describe("reference forward pass vs node-llama-cpp (prebuilt binary)", () => {
    test("gives the same next-token log-probabilities, also after an erase that rolls positions", { timeout: 120_000 }, async () => {
        const { getLlama, LlamaLogLevel } = await import("node-llama-cpp");
        const llama = await getLlama({ gpu: false, logLevel: LlamaLogLevel.error });
        try {
            const model = await llama.loadModel({ modelPath });
            const context = await model.createContext({ ...testContextOptions(256), threads: 1 });
            const sequence = context.getSequence();
            const session = ReferenceModel.fromGguf(readGguf(await readFileBytes(modelPath))).createSession();
            const tokens = tokensOf(120);

            const first = await nextLogProbs(sequence, tokens.slice(0, 80), [10, 79]);
            const refFirst = session.evaluate(tokens.slice(0, 80));
            assertLogProbsClose(first.get(10)!, refFirst[10]!, "token 10");
            assertLogProbsClose(first.get(79)!, refFirst[79]!, "token 79");

            const ranges = [{ start: 5, end: 17 }, { start: 40, end: 41 }];
            await sequence.eraseContextTokenRanges(ranges);
            session.eraseRanges(ranges);
            assert.equal(sequence.nextTokenIndex, session.nextPosition);
            const second = await nextLogProbs(sequence, tokens.slice(80), [39]);
            const refSecond = session.evaluate(tokens.slice(80));
            assertLogProbsClose(second.get(39)!, refSecond[39]!, "after the erase");
            await context.dispose();
            await model.dispose();
        } finally {
            await llama.dispose();
        }
    });

    test("the prebuilt binary has no accumulator, so a bounded session falls back to sink-window", { timeout: 60_000 }, async () => {
        const { getLlama, LlamaLogLevel } = await import("node-llama-cpp");
        const llama = await getLlama({ gpu: false, logLevel: LlamaLogLevel.error });
        try {
            const model = await llama.loadModel({ modelPath });
            const session = await openKvPolicySession(model, { windowLength: 32, heavyHitters: 8, chunkSize: 16, threads: 1 });
            try {
                assert.equal(session.policy.name, "sink-window");
                assert.match(session.fallbackReason ?? "", /no H2O accumulator/);
                await session.runner.evaluate(tokensOf(100));
                assert.ok(session.runner.stats.kvPeakCells <= 32 + 16);
                assert.equal(session.runner.stats.heldTokens, 32);
                assert.deepEqual(session.runner.heldInputIndices, [0, ...Array.from({ length: 31 }, (_, i) => 69 + i)]);

                // generation keeps the budget, evicting in batches of generationSlack (8 for a window of 32)
                assert.equal(session.policy.budget.generationSlack, 8);
                const promptEvictions = session.runner.stats.evictions;
                const generated: Token[] = [];
                for await (const token of session.runner.generate(tokensOf(110).slice(100), { maxTokens: 40 })) generated.push(token);
                assert.equal(generated.length, 40);
                const { stats } = session.runner;
                assert.ok(stats.kvPeakCells <= 32 + 16, `peak ${stats.kvPeakCells}`);
                assert.ok(stats.heldTokens <= 32 + session.policy.budget.generationSlack, `held ${stats.heldTokens}`);
                assert.equal(session.sequence.nextTokenIndex, stats.heldTokens);
                // one after the 9 prompt tokens generate() evaluates, then 40 decodes from 32 held: one each time the
                // cache reaches 32 + 8 + 1
                assert.equal(stats.evictions - promptEvictions, 1 + Math.floor(40 / 9), "evictions come in batches during generation");
            } finally {
                await session.dispose();
            }
            await model.dispose();
        } finally {
            await llama.dispose();
        }
    });

    test("loadH2oLlama reports a missing build instead of loading another binary", { timeout: 60_000 }, async () => {
        const patchDir = join(dir, "other-patches");
        await import("node:fs/promises").then((fs) => fs.mkdir(patchDir, { recursive: true }));
        await writeFile(join(patchDir, "0001-unbuilt.patch"), "not built anywhere\n");
        await assert.rejects(loadH2oLlama({ patchDir }), (err: unknown) => err instanceof H2oBuildMissingError && /no build for patch id/.test(err.message));
    });
});

describe("H2O on the reference model (pure TypeScript, no native build needed)", () => {
    test("query-aware keeps what the question attends to; the observation window never stays in the cache", async () => {
        const { tokens, markerIndices } = plantedInput();
        const budget = new KvBudget({ windowLength: 48, heavyHitters: 12 });
        const question = tokens.slice(-8);
        const run = await runOnReference(plantedWeights(), tokens, new QueryAwarePolicy(budget), 16, question);
        assert.equal(run.policy, "query-aware");
        assert.equal(run.heldTokens, budget.windowLength);
        assert.ok(run.kvPeakCells <= budget.windowLength + 16, `peak ${run.kvPeakCells} within windowLength + chunk, observation included`);
        assert.ok(run.observationTokens > 0);
        assert.deepEqual(run.heldInputIndices.filter((i) => i >= tokens.length), [], "only input tokens held");
        // every query of the planted model attends to the markers, the question's rows included
        for (const m of markerIndices) assert.ok(run.heldInputIndices.includes(m), `marker ${m} kept`);
    });

    test("planted heavy hitters survive eviction, ordinary old tokens do not; the budget holds", async () => {
        const { tokens, markerIndices } = plantedInput();
        const budget = new KvBudget({ windowLength: 48, heavyHitters: 12 }); // 1 sink + 11 scored + 36 recent
        const h2o = await runOnReference(plantedWeights(), tokens, new HeavyHitterPolicy(budget), 16);
        assertHeavyHittersRetained(h2o, markerIndices, budget, 16);

        // control: on the unplanted model the same input keeps other tokens, so retention comes from the attention
        const unplanted = await runOnReference(makeTinyModelWeights(MODEL_OPTIONS), tokens, new HeavyHitterPolicy(budget), 16);
        assert.ok(markerIndices.some((m) => !unplanted.heldInputIndices.includes(m)), "markers are ordinary tokens in the unplanted model");

        const window = await runOnReference(plantedWeights(), tokens, new SinkWindowPolicy(budget), 16);
        assert.equal(window.policy, "sink-window");
        for (const m of markerIndices) {
            assert.ok(!window.heldInputIndices.includes(m), `sink-window keeps only recent tokens, not marker ${m}`);
        }
    });
});

describe("native H2O accumulator (npm run build:h2o)", () => {
    test("matches the reference attention mass within 1e-4, also after an eviction and position roll", { timeout: 180_000 }, async (t) => {
        await withNativeContext(t, 256, async (context) => {
            const accumulator = AttentionAccumulator.enable(context);
            assert.equal(accumulator.info().layers, MODEL_OPTIONS.layers);
            const sequence = context.getSequence();
            const session = ReferenceModel.fromTinyModelWeights(makeTinyModelWeights(MODEL_OPTIONS)).createSession();
            const tokens = tokensOf(160);
            const evalBoth = async (chunk: Token[]): Promise<void> => {
                await sequence.evaluateWithoutGeneratingNewTokens(chunk);
                session.evaluate(chunk);
            };

            for (let i = 0; i < 100; i += 25) await evalBoth(tokens.slice(i, i + 25));
            assertMassClose(accumulator, sequence, session, "after 4 chunks");
            const info = accumulator.info();
            assert.equal(info.skippedTensors, 0, info.lastError ?? "");
            assert.equal(info.softmaxTensors, 4 * MODEL_OPTIONS.layers!, "one kq_soft_max per layer and chunk");

            const ranges = [{ start: 3, end: 11 }, { start: 30, end: 31 }, { start: 50, end: 70 }];
            await sequence.eraseContextTokenRanges(ranges);
            session.eraseRanges(ranges);
            assertMassClose(accumulator, sequence, session, "right after the erase (scores rolled with their tokens)");

            await evalBoth(tokens.slice(100, 130));
            await evalBoth(tokens.slice(130, 160));
            assertMassClose(accumulator, sequence, session, "after evaluating on top of shifted keys");

            accumulator.reset(sequence);
            assert.ok(accumulator.read(sequence).scores.every((s) => s === 0), "reset zeroes the scores");
        });
    });

    test("observation mode reads the question's attention apart (matching the reference) and leaves the scores as they were", { timeout: 180_000 }, async (t) => {
        await withNativeContext(t, 256, async (context) => {
            const accumulator = AttentionAccumulator.enable(context);
            const sequence = context.getSequence();
            const session = ReferenceModel.fromTinyModelWeights(makeTinyModelWeights(MODEL_OPTIONS)).createSession();
            const tokens = tokensOf(120);
            await sequence.evaluateWithoutGeneratingNewTokens(tokens.slice(0, 100));
            session.evaluate(tokens.slice(0, 100));
            const before = accumulator.scoresByPosition(sequence, 100);

            const question = tokens.slice(100, 112);
            accumulator.setObserving(true);
            session.setObserving(true);
            await sequence.evaluateWithoutGeneratingNewTokens(question);
            session.evaluate(question);
            accumulator.setObserving(false);
            session.setObserving(false);

            assert.deepEqual([...accumulator.scoresByPosition(sequence, 100)], [...before], "accumulated scores untouched by the observation");
            const observed = accumulator.observationByPosition(sequence, 112);
            const expected = session.observationMass();
            let worst = 0;
            for (let p = 0; p < 112; p++) {
                const wanted = expected.get(p) ?? 0;
                worst = Math.max(worst, Math.abs(observed[p]! - wanted) / Math.max(Math.abs(wanted), 1e-12));
            }
            assert.ok(worst <= MASS_REL_TOL, `observation mass vs reference: worst relative difference ${worst}`);
            // 12 query rows × 4 heads × 2 layers of softmax, all of it on the 112 held cells
            const total = observed.reduce((sum, value) => sum + value, 0);
            assert.ok(Math.abs(total - 12 * 4 * 2) < 1e-6, `observation mass sums to rows × heads × layers (${total})`);
        });
    });

    test("query-aware eviction keeps the same tokens natively as on the reference; the budget holds with the question", { timeout: 180_000 }, async (t) => {
        const h2o = await h2oLlamaOrSkip(t);
        if (h2o === undefined) return;
        const model = await h2o.loadModel({ modelPath });
        try {
            const tokens = tokensOf(300);
            const question = tokens.slice(40, 48); // a phrase from early on, asked at the end
            const budget = new KvBudget({ windowLength: 48, heavyHitters: 16 });
            const session = await openKvPolicySession(model, { windowLength: 48, heavyHitters: 16, chunkSize: 24, threads: 1, policy: "query-aware" });
            try {
                assert.equal(session.policy.name, "query-aware", session.fallbackReason);
                await session.runner.evaluate(tokens, { observation: question });
                const stats = session.runner.stats;
                assert.equal(stats.policy, "query-aware");
                assert.equal(stats.heldTokens, budget.windowLength);
                assert.ok(stats.kvPeakCells <= budget.windowLength + 24, `peak ${stats.kvPeakCells} within windowLength + chunk, observation included`);
                assert.ok(stats.observationTokens > 0 && stats.observationTokens % 6 === 0, `observation windows of 6 tokens (a quarter of the chunk) evaluated: ${stats.observationTokens}`);
                assert.equal(session.sequence.nextTokenIndex, budget.windowLength, "no observation token left in the cache");
                const reference = await runOnReference(makeTinyModelWeights(MODEL_OPTIONS), tokens, new QueryAwarePolicy(budget), session.runner.chunkSize, question);
                assert.deepEqual(session.runner.heldInputIndices, reference.heldInputIndices, "native and reference query-aware keep the same tokens");
                assert.equal(reference.observationTokens, stats.observationTokens);
            } finally {
                await session.dispose();
            }
        } finally {
            await model.dispose();
        }
    });

    test("compaction packs the held cells after evictions; the next tokens' probabilities are unchanged", { timeout: 180_000 }, async (t) => {
        const budget = new KvBudget({ windowLength: 48, heavyHitters: 12 });
        await withNativeContext(t, budget.contextCells(24), async (context) => {
            const accumulator = AttentionAccumulator.enable(context);
            const sequence = context.getSequence();
            const prompt = tokensOf(300);
            const next = tokensOf(340).slice(300);
            const run = async (compact: boolean) => {
                await sequence.clearHistory();
                accumulator.reset(sequence);
                const runner = new KvPolicyRunner(sequence, new HeavyHitterPolicy(budget), { chunkSize: 24, accumulator, compact });
                await runner.evaluate(prompt);
                const packed = compact ? accumulator.compact(sequence) : undefined;
                const scores = accumulator.scoresByPosition(sequence, runner.stats.heldTokens);
                const probabilities = await nextLogProbs(sequence, next, [0, 10, 39]);
                return { packed, scores, probabilities, held: runner.heldInputIndices };
            };
            const spread = await run(false);
            const packed = await run(true);
            assert.ok(packed.packed!.cellsBefore > budget.windowLength, `cells spread before: ${packed.packed!.cellsBefore}`);
            assert.equal(packed.packed!.cellsAfter, budget.windowLength, "packed into the lowest cells");
            assert.deepEqual(packed.held, spread.held, "the same tokens are held");
            assert.deepEqual([...packed.scores], [...spread.scores], "scores stay with their positions");
            for (const at of [0, 10, 39]) {
                const a = packed.probabilities.get(at)!;
                const b = spread.probabilities.get(at)!;
                let worst = 0;
                for (const [token, logProb] of a) worst = Math.max(worst, Math.abs(logProb - b.get(token)!));
                assert.ok(worst < 1e-4, `token ${at}: log-probabilities differ by ${worst} after compaction`);
            }
        });
    });

    test("planted heavy hitters survive H2O eviction in node-llama-cpp; the budget holds", { timeout: 180_000 }, async (t) => {
        const h2o = await h2oLlamaOrSkip(t);
        if (h2o === undefined) return;
        const model = await h2o.loadModel({ modelPath: plantedPath });
        try {
            const { tokens, markerIndices } = plantedInput();
            const budget = new KvBudget({ windowLength: 48, heavyHitters: 12 });
            const session = await openKvPolicySession(model, { windowLength: 48, heavyHitters: 12, chunkSize: 16, threads: 1 });
            try {
                assert.equal(session.policy.name, "h2o", session.fallbackReason);
                await session.runner.evaluate(tokens);
                const stats = { ...session.runner.stats, heldInputIndices: session.runner.heldInputIndices };
                assertHeavyHittersRetained(stats, markerIndices, budget, 16);
                const held = session.accumulator!.read(session.sequence);
                assert.deepEqual([...held.positions], [...Array(48).keys()], "the KV cache holds exactly positions 0..47");

                // the same run on the reference keeps the same tokens
                const reference = await runOnReference(plantedWeights(), tokens, new HeavyHitterPolicy(budget), 16);
                assert.deepEqual(stats.heldInputIndices, reference.heldInputIndices, "native and reference H2O keep the same tokens");

                // generated tokens accumulate scores too and the budget holds while generating
                let count = 0;
                for await (const _token of session.runner.generate([tokens[tokens.length - 1]!], { maxTokens: 30 })) count++;
                assert.equal(count, 30);
                const after = session.runner.stats;
                assert.ok(after.kvPeakCells <= budget.windowLength + 16, `peak ${after.kvPeakCells}`);
                assert.ok(after.heldTokens <= budget.windowLength + budget.generationSlack);
                const heldAfter = new Set(session.runner.heldInputIndices);
                for (const m of markerIndices) assert.ok(heldAfter.has(m), `marker ${m} still held after generation`);
                const scores = session.accumulator!.read(session.sequence);
                assert.ok(scores.scores[scores.scores.length - 2]! > 0, "generated tokens have scores");
            } finally {
                await session.dispose();
            }
        } finally {
            await model.dispose();
        }
    });
});

// ---------------------------------------------------------------------------------------------------------------

let h2oLlama: Promise<Llama | string> | undefined;
after(async () => {
    const llama = await h2oLlama;
    if (llama !== undefined && typeof llama !== "string") await llama.dispose();
});

/** The accumulator build, or undefined after marking the test skipped with the reason. */
async function h2oLlamaOrSkip(t: TestContext): Promise<Llama | undefined> {
    h2oLlama ??= (async () => {
        const { LlamaLogLevel } = await import("node-llama-cpp");
        try {
            return (await loadH2oLlama({ logLevel: LlamaLogLevel.error })).llama;
        } catch (err) {
            if (err instanceof H2oBuildMissingError) return err.message;
            throw err;
        }
    })();
    const llama = await h2oLlama;
    if (typeof llama === "string") {
        t.skip(llama);
        return undefined;
    }
    return llama;
}

/**
 * A context of `cells` on the accumulator build (F32 KV cache, one thread) for the tiny model, disposed with its model
 * after `work`; the test is skipped with the reason when the build is missing.
 */
async function withNativeContext(t: TestContext, cells: number, work: (context: LlamaContext) => Promise<void>): Promise<void> {
    const h2o = await h2oLlamaOrSkip(t);
    if (h2o === undefined) return;
    const model = await h2o.loadModel({ modelPath });
    const context = await model.createContext({ ...testContextOptions(cells), threads: 1 });
    try {
        await work(context);
    } finally {
        await context.dispose();
        await model.dispose();
    }
}

/** F32 KV cache so the comparison measures the accumulator, not f16 rounding of keys; flash attention off. */
function testContextOptions(contextSize: number) {
    return { ...h2oContextOptions(contextSize), experimentalKvCacheKeyType: "F32" as const, experimentalKvCacheValueType: "F32" as const };
}

/** BOS + the byte tokens of TEXT (repeated), `count` tokens in all. */
function tokensOf(count: number): Token[] {
    const { config } = makeTinyModelWeights(MODEL_OPTIONS);
    const out: Token[] = [config.bosId as Token];
    for (let i = 0; out.length < count; i++) {
        const c = TEXT.charCodeAt(i % TEXT.length);
        out.push((c === 0x20 ? config.spaceId : config.byteTokenOffset + c) as Token);
    }
    return out;
}

async function readFileBytes(path: string): Promise<Uint8Array> {
    return new Uint8Array(await import("node:fs/promises").then((fs) => fs.readFile(path)));
}

/** Evaluates tokens with controlledEvaluate and returns log-probabilities of the next token after the given indices. */
async function nextLogProbs(sequence: LlamaContextSequence, tokens: Token[], at: number[]): Promise<Map<number, Map<number, number>>> {
    const input = tokens.map((token, i) => (at.includes(i) ? ([token, { generateNext: { probabilities: true } }] as const) : token));
    const output = await sequence.controlledEvaluate(input as Parameters<LlamaContextSequence["controlledEvaluate"]>[0]);
    const result = new Map<number, Map<number, number>>();
    for (const i of at) {
        const probabilities = output[i]?.next.probabilities;
        assert.ok(probabilities !== undefined, `probabilities for index ${i}`);
        result.set(i, new Map([...probabilities].map(([token, p]) => [token, Math.log(p)])));
    }
    return result;
}

function assertLogProbsClose(actual: Map<number, number>, logits: Float64Array, label: string): void {
    const max = Math.max(...logits);
    const logSumExp = max + Math.log(logits.reduce((sum, l) => sum + Math.exp(l - max), 0));
    assert.equal(actual.size, logits.length, `${label}: a probability for every vocabulary token`);
    let worst = 0;
    for (const [token, logProb] of actual) {
        worst = Math.max(worst, Math.abs(logProb - (logits[token]! - logSumExp)));
    }
    assert.ok(worst < 1e-3, `${label}: log-probabilities differ by up to ${worst}`);
}

function assertMassClose(accumulator: AttentionAccumulator, sequence: LlamaContextSequence, session: ReferenceSession, label: string): void {
    const native = accumulator.read(sequence, { perLayer: true });
    const expected: ReferenceAttentionMass = session.attentionMass();
    assert.deepEqual([...native.positions], expected.positions, `${label}: held positions`);
    let worst = 0;
    let worstAt = "";
    const check = (actual: number, wanted: number, where: string): void => {
        const rel = Math.abs(actual - wanted) / Math.max(Math.abs(wanted), 1e-12);
        if (rel > worst) {
            worst = rel;
            worstAt = `${where}: native ${actual} vs reference ${wanted}`;
        }
    };
    for (let i = 0; i < expected.positions.length; i++) {
        check(native.scores[i]!, expected.total[i]!, `position ${expected.positions[i]} total`);
        for (let l = 0; l < native.layers; l++) {
            check(native.layerScores![i * native.layers + l]!, expected.perLayer[l]![i]!, `position ${expected.positions[i]} layer ${l}`);
        }
    }
    assert.ok(worst <= MASS_REL_TOL, `${label}: worst relative difference ${worst} (${worstAt})`);
}

/**
 * The tiny model with heavy hitters built in (layer 0): every token's embedding gets a constant component c in dim 0,
 * the marker token a large component in dim 1; Wq maps dim 0 and Wk dim 1 onto the lowest-frequency RoPE pair of
 * each head (rotating < 0.05 rad over these prompts), so every query scores the marker's key high, whatever the
 * distance, and ordinary keys near 0.
 */
function plantedWeights(): TinyModelWeights {
    const base = makeTinyModelWeights(MODEL_OPTIONS);
    const { config } = base;
    const tensors = new Map<string, TinyModelTensor>();
    for (const [name, tensor] of base.tensors) tensors.set(name, { ...tensor, data: tensor.data.slice() });
    const embd = tensors.get("token_embd.weight")!.data;
    for (let token = 0; token < config.vocabSize; token++) {
        embd[token * config.embd + 0] = 3;
        embd[token * config.embd + 1] = token === config.byteTokenOffset + MARKER_BYTE ? 8 : 0;
    }
    const slow = config.headDim - 2; // first component of the last (slowest) RoPE pair
    const wq = tensors.get("blk.0.attn_q.weight")!.data.fill(0);
    for (let h = 0; h < config.heads; h++) wq[(h * config.headDim + slow) * config.embd + 0] = 1.5;
    const wk = tensors.get("blk.0.attn_k.weight")!.data.fill(0);
    for (let h = 0; h < config.kvHeads; h++) wk[(h * config.headDim + slow) * config.embd + 1] = 1.5;
    return { ...base, tensors };
}

function plantedInput(): { tokens: Token[]; markerIndices: number[] } {
    const { config } = makeTinyModelWeights(MODEL_OPTIONS);
    const tokens = tokensOf(300);
    const markerIndices = [30, 95, 150, 205];
    for (const i of markerIndices) tokens[i] = (config.byteTokenOffset + MARKER_BYTE) as Token;
    return { tokens, markerIndices };
}

function assertHeavyHittersRetained(
    run: { kvPeakCells: number; evictedTokens: number; heldTokens: number; heldInputIndices: readonly number[]; policy: string },
    markerIndices: number[],
    budget: KvBudget,
    chunkSize: number,
): void {
    assert.equal(run.policy, "h2o");
    assert.ok(run.kvPeakCells <= budget.windowLength + chunkSize, `peak ${run.kvPeakCells} within windowLength + chunk`);
    assert.equal(run.heldTokens, budget.windowLength);
    assert.equal(run.evictedTokens, 300 - budget.windowLength);
    const held = new Set(run.heldInputIndices);
    assert.ok(held.has(0), "the BOS sink is kept");
    for (const m of markerIndices) assert.ok(held.has(m), `planted heavy hitter at ${m} was evicted; held ${[...held].join(",")}`);
    const recentStart = 300 - budget.recentTokens;
    const oldOrdinary = [...held].filter((i) => i !== 0 && i < recentStart && !markerIndices.includes(i));
    assert.ok(oldOrdinary.length <= budget.scoredHeavyHitters - markerIndices.length, `old ordinary tokens kept: ${oldOrdinary.join(",")}`);
    for (let i = recentStart; i < 300; i++) assert.ok(held.has(i), `recent token ${i} kept`);
}

/** Runs the policy loop (KvPolicyRunner) on the reference model: the sequence and the scores both come from it. */
async function runOnReference(weights: TinyModelWeights, tokens: Token[], policy: KvEvictionPolicy, chunkSize: number, observation?: Token[]) {
    const session = ReferenceModel.fromTinyModelWeights(weights).createSession();
    const sequence: PolicySequence = {
        contextSize: policy.budget.contextCells(chunkSize),
        get nextTokenIndex() {
            return session.nextPosition;
        },
        evaluateWithoutGeneratingNewTokens: async (chunk: Token[]) => {
            session.evaluate(chunk);
        },
        eraseContextTokenRanges: async (ranges: PositionRange[]) => {
            session.eraseRanges(ranges);
        },
        evaluate: () => {
            throw new Error("not used");
        },
    } as unknown as PolicySequence;
    const scores = {
        scoresByPosition: (_sequence: PolicySequence, length: number) => {
            const mass = session.attentionMass();
            assert.deepEqual(mass.positions, [...Array(length).keys()]);
            return mass.total;
        },
        setObserving: (on: boolean) => session.setObserving(on),
        observationByPosition: (_sequence: PolicySequence, length: number) => {
            const observed = session.observationMass();
            return Float64Array.from({ length }, (_, p) => observed.get(p) ?? 0);
        },
    };
    return evaluateWithPolicy(sequence, tokens, policy, { chunkSize, accumulator: scores, ...(observation === undefined ? {} : { observation }) });
}

/** Writes weights the way makeTinyModel does (same metadata), for models with edited tensors. */
async function writeWeightsGguf(path: string, weights: TinyModelWeights): Promise<void> {
    await writeFile(path, tinyModelGguf(weights, { name: `${weights.config.name}-planted` }));
}

