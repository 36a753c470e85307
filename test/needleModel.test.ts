// The committed needle-retrieval model (models/needle/, trained by tools/needle-model/) in node-llama-cpp: the
// tokenizer is the one training used, the logits match PyTorch's, and `llamahome needle` finds its needles at the
// trained length.
// Needs no Python: PyTorch's logits are stored in models/needle/reference-logits.json at export time.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { Llama, LlamaModel, Token } from "node-llama-cpp" with { "resolution-mode": "import" };
import type { NeedleResult } from "../shared/results";
import { parseJson, runCli } from "./helpers/cli";

const ROOT = join(__dirname, "..");
const MODEL_DIR = join(ROOT, "models", "needle");
const BYTE_OFFSET = 3;
const SPACE_ID = 259;
/** PyTorch vs llama.cpp, per logit (compared as log-softmax: node-llama-cpp exposes probabilities, not raw logits). */
const PARITY_TOLERANCE = 1e-3;
const EXACT_MATCH_THRESHOLD = 0.95;
/** A held-out seed: training seeds are < 1e9; the reference table (tools/needle-reference.ts) uses 9,100,000. */
const SEED_BASE = 3_000_000_000;

interface ReferenceLogits {
    text: string;
    ids: number[];
    greedy: number[];
    logits: number[][];
    model: string;
}

const reference = JSON.parse(readFileSync(join(MODEL_DIR, "reference-logits.json"), "utf8")) as ReferenceLogits;

let llama: Llama;
let model: LlamaModel;

before(async () => {
    const { getLlama, LlamaLogLevel } = await import("node-llama-cpp");
    llama = await getLlama({ gpu: false, logLevel: LlamaLogLevel.error });
    model = await llama.loadModel({ modelPath: join(MODEL_DIR, reference.model) });
});

after(async () => {
    await model?.dispose();
    await llama?.dispose();
});

/** What tools/needle-model/tokenizer.py does: one token per UTF-8 byte, spaces as "▁" (no BOS here). */
function byteTokens(text: string): number[] {
    return [...Buffer.from(text, "utf8")].map((byte) => (byte === 0x20 ? SPACE_ID : BYTE_OFFSET + byte));
}

function logSoftmax(logits: readonly number[]): number[] {
    const max = Math.max(...logits);
    const lse = max + Math.log(logits.reduce((sum, x) => sum + Math.exp(x - max), 0));
    return logits.map((x) => x - lse);
}

describe("needle model tokenizer", () => {
    test("node-llama-cpp tokenizes exactly like the Python training tokenizer", () => {
        assert.ok(model.tokens.bos === 1 && model.tokens.eos === 2, "BOS 1, EOS 2");
        for (const text of ["The secret code of Ottilie is K7Q2ZD.", "Rent is £56 — a year", "  two  spaces\n\nQuestion:", "Wójcik 😀"]) {
            assert.deepEqual([...model.tokenize(text)], byteTokens(text), JSON.stringify(text));
        }
        // ids that Python's tokenizer produced at export time (the text holds "£" and "—").
        assert.deepEqual([model.tokens.bos, ...model.tokenize(reference.text)], reference.ids);
    });
});

describe("needle model parity with PyTorch", () => {
    interface Parity {
        positions: number;
        compared: number;
        maxDiff: number;
        greedy: number[];
    }

    /** Evaluates the reference input, then its greedy continuation one token at a time (the KV-cache path). */
    async function parity(options: Parameters<LlamaModel["createContext"]>[0]): Promise<Parity> {
        const context = await model.createContext({ contextSize: 512, threads: 1, ...options });
        try {
            const sequence = context.getSequence();
            const result: Parity = { positions: 0, compared: 0, maxDiff: 0, greedy: [] };
            for await (const output of sequence.evaluateWithMetadata(reference.ids as Token[], { probabilities: true }, { temperature: 0, yieldEogToken: true })) {
                const expected = logSoftmax(reference.logits[result.positions]!);
                assert.equal(output.probabilities.size, expected.length, "a probability for every token in the vocabulary");
                for (const [token, probability] of output.probabilities) {
                    // float32 probabilities underflow below ~1e-38; above 1e-30 they carry the logits to ~1e-7.
                    if (probability < 1e-30) {
                        assert.ok(expected[token]! < Math.log(1e-28), `token ${token}: PyTorch log-probability ${expected[token]} but p=${probability}`);
                        continue;
                    }
                    result.maxDiff = Math.max(result.maxDiff, Math.abs(Math.log(probability) - expected[token]!));
                    result.compared++;
                }
                result.greedy.push(output.token);
                result.positions++;
                if (result.positions === reference.logits.length || output.token === model.tokens.eos) {
                    break;
                }
            }
            return result;
        } finally {
            await context.dispose();
        }
    }

    // f32 KV cache, no flash attention: llama.cpp computes what PyTorch computes (catches RoPE/layout/norm mistakes).
    test(`next-token log-probabilities match within ${PARITY_TOLERANCE} (f32 KV cache)`, { timeout: 30_000 }, async () => {
        const exact = await parity({ flashAttention: false, experimentalKvCacheKeyType: "F32", experimentalKvCacheValueType: "F32" });
        console.log(`parity, f32 KV: ${exact.positions} positions, ${exact.compared} log-probabilities, max |diff| ${exact.maxDiff.toExponential(2)}`);
        assert.deepEqual(exact.greedy, reference.greedy.slice(0, exact.positions), "greedy tokens");
        const eosAt = reference.greedy.indexOf(model.tokens.eos!);
        assert.equal(exact.positions, eosAt >= 0 ? eosAt + 1 : reference.logits.length, "every reference position compared");
        assert.ok(exact.maxDiff <= PARITY_TOLERANCE, `max |log p diff| ${exact.maxDiff} > ${PARITY_TOLERANCE}`);
    });

    // llama.cpp's defaults (f16 KV cache, flash attention "auto") round K/V (and Q on the flash path) to f16: the
    // numbers move by up to ~1e-2, the greedy answer must not.
    test("the default context (f16 KV cache) decodes the same greedy tokens", { timeout: 30_000 }, async () => {
        const fast = await parity({});
        console.log(`parity, default context: ${fast.positions} positions, max |diff| ${fast.maxDiff.toExponential(2)}`);
        assert.deepEqual(fast.greedy, reference.greedy.slice(0, fast.positions), "greedy tokens");
    });
});

// ------------------------------------------------------------------------------------------------ through the CLI

describe("needle retrieval at the trained length, through `llamahome needle`", () => {
    // Prompts of 1,000 tokens (the model was trained on up to 1,024, answer included), 20 needles per depth, each in
    // its own haystack; the seed is held out from training (< 1e9, Python's generator) and from the reference table.
    const trials = 20;

    test(`the full cache finds >= ${EXACT_MATCH_THRESHOLD * 100}% of the needles at each depth`, { timeout: 180_000 }, async (t) => {
        const results = mkdtempSync(join(tmpdir(), "llamahome-needle-model-"));
        t.after(() => rmSync(results, { recursive: true, force: true }));
        const run = await runCli(
            ["needle", "--model", join(MODEL_DIR, reference.model), "--lengths", "1000", "--depths", "10,50,90", "--trials", String(trials), "--seed", String(SEED_BASE), "--json"],
            { env: { LLAMAHOME_RESULTS_DIR: results }, timeoutMs: 170_000 },
        );
        assert.equal(run.code, 0, run.stderr);
        const result = parseJson<NeedleResult>(run);
        const rows = result.cells.map((cell) => `depth ${cell.depth}%: ${Math.round(cell.score * trials)}/${trials}, ${cell.promptTokens} prompt tokens, first answer ${JSON.stringify(cell.answer)}`);
        console.log(`needle exact match at 1,000 tokens (full cache):\n${rows.join("\n")}`);
        assert.deepEqual(result.cells.map((cell) => [cell.policy, cell.depth, cell.trials, cell.skipped]), [10, 50, 90].map((depth) => ["full", depth, trials, undefined]));
        for (const cell of result.cells) {
            assert.ok(cell.promptTokens! <= 1000 && cell.promptTokens! > 900, `a prompt of ${cell.promptTokens} tokens for 1,000`);
            assert.ok(cell.score >= EXACT_MATCH_THRESHOLD, `depth ${cell.depth}%: exact match ${cell.score} < ${EXACT_MATCH_THRESHOLD}`);
        }
    });
});

describe("question-aware eviction past the trained length, through `llamahome needle`", () => {
    // 8,000-token prompts in a 512-cell cache (128 heavy-hitter slots), 6 needles per depth, a seed held out from
    // training, from the reference table and from the test above. The full cache cannot hold 8,000 tokens for this
    // model (trained context 4,096) and collapses one step past the trained length: at 2,000 tokens it finds almost none.
    const trials = 6;

    test("query-aware finds the needles at 8,000 tokens where the full cache fails at 2,000", { timeout: 300_000 }, async (t) => {
        const results = mkdtempSync(join(tmpdir(), "llamahome-needle-query-aware-"));
        t.after(() => rmSync(results, { recursive: true, force: true }));
        const common = ["needle", "--model", join(MODEL_DIR, reference.model), "--depths", "10,50,90", "--trials", String(trials), "--seed", String(SEED_BASE + 1_000_000), "--json"];
        const [bounded, full] = await Promise.all([
            runCli([...common, "--lengths", "8000", "--policies", "query-aware", "--window-length", "512", "--heavy-hitters", "128"], { env: { LLAMAHOME_RESULTS_DIR: results }, timeoutMs: 280_000 }),
            runCli([...common, "--lengths", "2000,8000", "--policies", "full"], { env: { LLAMAHOME_RESULTS_DIR: results }, timeoutMs: 280_000 }),
        ]);
        assert.equal(bounded.code, 0, bounded.stderr);
        assert.equal(full.code, 0, full.stderr);
        const boundedCells = parseJson<NeedleResult>(bounded).cells;
        const fullCells = parseJson<NeedleResult>(full).cells;
        const row = (cells: NeedleResult["cells"]) => cells.map((cell) => `${cell.policy} ${cell.length} depth ${cell.depth}%: ${cell.skipped ? `skipped (${cell.skipped})` : `${Math.round(cell.score * trials)}/${trials}, peak ${cell.kvPeakCells} cells`}`);
        console.log([...row(boundedCells), ...row(fullCells)].join("\n"));
        const built = boundedCells.every((cell) => cell.policy === "query-aware");
        if (!built) {
            t.skip(`query-aware did not run (the H2O accumulator build is missing: ${boundedCells[0]?.policy} ran)`);
            return;
        }
        for (const cell of boundedCells) {
            assert.ok(cell.kvPeakCells! <= 1024, `depth ${cell.depth}%: ${cell.kvPeakCells} cells at the peak, within window + chunk`);
            assert.ok(cell.score >= 4 / trials, `depth ${cell.depth}%: query-aware found ${Math.round(cell.score * trials)}/${trials}`);
        }
        const mean = boundedCells.reduce((sum, cell) => sum + cell.score, 0) / boundedCells.length;
        assert.ok(mean >= 0.8, `query-aware found ${(mean * 100).toFixed(0)}% of the needles at 8,000 tokens`);
        assert.ok(fullCells.filter((cell) => cell.length === 8000).every((cell) => cell.skipped), "the full cache cannot hold 8,000 tokens");
        const fullAt2000 = fullCells.filter((cell) => cell.length === 2000);
        assert.ok(fullAt2000.reduce((sum, cell) => sum + cell.score, 0) / fullAt2000.length <= 0.25, "the full cache collapses past the trained length");
    });
});
