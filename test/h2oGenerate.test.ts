// Bounded KV cache generation end to end on a tiny model this test writes: InferenceProcess (a real child process) and
// the built CLI (`node dist/cli.js generate|summarize --enable-h2o …`). Run `node esbuild.mjs` first (npm test does).
// The "h2o" expectations need the accumulator build (`npm run build:h2o`, which npm test runs); without it they are
// skipped, and the sink-window fallback is tested either way (LLAMAHOME_H2O_DISABLE=1 turns the build off).
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { KvCacheMode } from "../shared/inferenceMessages";
import { llmSummary } from "../server/assist/llmSummary";
import { writeTinyModel } from "../server/llm/gguf/tinyModel";
import { H2O_DISABLE_ENV } from "../server/llm/h2o/h2oBuild";
import { InferenceError } from "../server/llm/inferenceErrors";
import { InferenceProcess, type GenerateResult, type KvCacheReport } from "../server/llm/InferenceProcess";
import { ProcessTextGenerator } from "../server/llm/ProcessTextGenerator";
import { cliPath, parseJson, runCli } from "./helpers/cli";

const WINDOW = 256;
const HEAVY = 64;
const KV: KvCacheMode = { mode: "h2o", windowLength: WINDOW, heavyHitters: HEAVY };
/** The default chunk: min(512, windowLength), one token less so the context stays at 512 cells (openKvPolicySession). */
const CHUNK = WINDOW - 1;
const TEXT =
    "The allotment committee met in the greenhouse to plan the rainwater tanks, the compost bays and the rota. " +
    "Heavy hitters are the few tokens that receive most of the attention; the rest of a long document can go. ";
/** ~3000 tokens: the tiny model tokenizes one byte (or the space token) per character, plus BOS. */
const LONG_PROMPT = TEXT.repeat(Math.ceil(3000 / TEXT.length)).slice(0, 3000);
const SHORT_PROMPT = TEXT.slice(0, 60);

/** Whether `npm run build:h2o` installed the accumulator build for the current patches. */
const h2oBuilt = spawnSync(process.execPath, [join(__dirname, "..", "tools", "build-h2o.mjs"), "--check"], { stdio: "ignore" }).status === 0;
const needsBuild = h2oBuilt ? false : "the H2O accumulator build is missing (npm run build:h2o)";

let dir: string;
let modelPath: string;
let promptFile: string;

before(async () => {
    dir = await mkdtemp(join(tmpdir(), "llamahome-h2o-generate-"));
    modelPath = join(dir, "tiny.gguf");
    promptFile = join(dir, "long-prompt.txt");
    await writeTinyModel(modelPath, {});
    await writeFile(promptFile, LONG_PROMPT);
});

after(async () => {
    await rm(dir, { recursive: true, force: true });
});

/** Starts an InferenceProcess with the accumulator build turned off by LLAMAHOME_H2O_DISABLE (its child inherits the env). */
async function loadWithoutH2oBuild(kv: KvCacheMode): Promise<InferenceProcess> {
    const saved = process.env[H2O_DISABLE_ENV];
    process.env[H2O_DISABLE_ENV] = "1";
    const inference = new InferenceProcess({ model: modelPath, gpu: false, kv });
    try {
        await inference.load();
    } finally {
        if (saved === undefined) delete process.env[H2O_DISABLE_ENV];
        else process.env[H2O_DISABLE_ENV] = saved;
    }
    return inference;
}

function assertBounded(kv: KvCacheReport | undefined, policy: "h2o" | "sink-window", promptTokens: number): asserts kv is KvCacheReport {
    assert.ok(kv, "the result reports its KV cache");
    assert.equal(kv.policy, policy);
    assert.equal(kv.kvBudget, WINDOW);
    assert.ok(kv.kvPeakCells <= WINDOW + CHUNK, `peak ${kv.kvPeakCells} > windowLength + chunk = ${WINDOW + CHUNK}`);
    assert.ok(kv.kvPeakCells > WINDOW, `the prompt filled the window and a chunk: peak ${kv.kvPeakCells}`);
    // everything but what the cache holds at the end (at most the window + one generation batch) was evicted
    assert.ok(kv.evictedTokens >= promptTokens - (WINDOW + CHUNK), `evicted ${kv.evictedTokens} of ${promptTokens}`);
    assert.ok(kv.contextMemoryBytes > 0);
}

describe("InferenceProcess with a bounded KV cache", () => {
    let h2o: InferenceProcess;
    let reference: GenerateResult;
    before(async () => {
        h2o = new InferenceProcess({ model: modelPath, gpu: false, kv: KV });
    });
    after(async () => {
        await h2o.dispose();
    });

    test("H2O runs a 3000-token prompt in a 256-token budget: streamed, counted, within windowLength + chunk", { skip: needsBuild }, async () => {
        const info = await h2o.load();
        assert.deepEqual(info.kv, { policy: "h2o", windowLength: WINDOW, heavyHitters: HEAVY, chunkSize: CHUNK });
        assert.equal(info.contextSize, 512, "windowLength + chunk + the cell node-llama-cpp keeps free, padded to 256");
        const chunks: string[] = [];
        reference = await h2o.generate({ prompt: LONG_PROMPT, maxTokens: 32, onText: (text) => chunks.push(text) });
        assert.equal(reference.promptTokens, LONG_PROMPT.length + 1, "BOS + one token per character: far more than the context");
        assert.ok(reference.promptTokens > info.contextSize);
        assert.deepEqual([reference.stopReason, reference.generatedTokens], ["maxTokens", 32]);
        assert.equal(chunks.join(""), reference.text);
        assert.ok(reference.promptTokensPerSecond > 0 && reference.generationTokensPerSecond > 0);
        assert.ok(reference.timeToFirstTokenMs > 0 && reference.timeToFirstTokenMs <= reference.ms);
        assertBounded(reference.kv, "h2o", reference.promptTokens);
        assert.equal(reference.kv.fallbackReason, undefined);

        const read: [number, number][] = [];
        const again = await h2o.generate({ prompt: LONG_PROMPT, maxTokens: 32, onPromptProgress: (evaluated, total) => read.push([evaluated, total]) });
        assert.equal(again.text, reference.text, "each request starts from an empty cache with zeroed scores: greedy runs repeat");
        assert.deepEqual(again.kv, reference.kv);
        assert.ok(read.length >= Math.floor(LONG_PROMPT.length / CHUNK), `prompt progress after every chunk: ${read.length} reports`);
        assert.ok(read.every(([evaluated], i) => i === 0 || evaluated > read[i - 1]![0]), "progress only goes up");
        assert.deepEqual(read.at(-1), [LONG_PROMPT.length, LONG_PROMPT.length], "all but the last prompt token (the one generation starts from) read before the first word");

        const metrics = await h2o.metrics();
        assert.equal(metrics.contextSize, info.contextSize);
    });

    test("the budget holds during generation: 600 tokens after a short prompt", { skip: needsBuild }, async () => {
        const result = await h2o.generate({ prompt: SHORT_PROMPT, maxTokens: 600 });
        assert.deepEqual([result.stopReason, result.generatedTokens], ["maxTokens", 600]);
        const kv = result.kv!;
        // generation evicts in batches of windowLength / 4 tokens, so it stays below windowLength + chunk
        assert.ok(kv.kvPeakCells <= WINDOW + WINDOW / 4 + 1, `peak ${kv.kvPeakCells}`);
        assert.ok(kv.kvPeakCells < WINDOW + CHUNK, `peak ${kv.kvPeakCells}`);
        assert.ok(kv.evictedTokens >= result.promptTokens + 600 - (WINDOW + WINDOW / 4 + 1), `evicted ${kv.evictedTokens}`);
    });

    test("stop strings and cancellation work as on a full context", { skip: needsBuild }, async () => {
        const start = Math.floor(reference.text.length / 2);
        const stop = reference.text.slice(start, start + 2);
        const stopped = await h2o.generate({ prompt: LONG_PROMPT, maxTokens: 32, stop: [stop] });
        assert.equal(stopped.stopReason, "stop");
        assert.equal(stopped.text, reference.text.slice(0, reference.text.indexOf(stop)));

        // cancelled while a 12000-token prompt is evaluated chunk by chunk
        const duringPrompt = new AbortController();
        const cancelling = h2o.generate({ prompt: LONG_PROMPT.repeat(4), maxTokens: 32, signal: duringPrompt.signal });
        setTimeout(() => duringPrompt.abort(), 30);
        const cancelled = await cancelling;
        assert.deepEqual([cancelled.stopReason, cancelled.generatedTokens], ["cancelled", 0]);

        // cancelled while generating
        const duringGeneration = new AbortController();
        let armed = false;
        const generating = await h2o.generate({
            prompt: SHORT_PROMPT,
            maxTokens: 100_000,
            signal: duringGeneration.signal,
            onText: () => {
                if (!armed) {
                    armed = true;
                    setTimeout(() => duringGeneration.abort(), 50);
                }
            },
        });
        assert.equal(generating.stopReason, "cancelled");
        assert.ok(generating.generatedTokens > 0 && generating.generatedTokens < 100_000);

        const next = await h2o.generate({ prompt: LONG_PROMPT, maxTokens: 32 });
        assert.equal(next.text, reference.text, "a cancelled request leaves nothing behind");
    });

    test("without the accumulator build it runs sink-window and says why, never h2o", async () => {
        await using fallback = await loadWithoutH2oBuild(KV);
        const info = fallback.modelInfo!;
        assert.equal(info.kv?.policy, "sink-window");
        assert.match(info.kv?.fallbackReason ?? "", /LLAMAHOME_H2O_DISABLE/);
        const result = await fallback.generate({ prompt: LONG_PROMPT, maxTokens: 32 });
        assert.deepEqual([result.stopReason, result.generatedTokens], ["maxTokens", 32]);
        assertBounded(result.kv, "sink-window", result.promptTokens);
        assert.match(result.kv.fallbackReason ?? "", /disabled by LLAMAHOME_H2O_DISABLE=1/);
    });

    test("an impossible budget fails the load as an invalid request", async () => {
        await using bad = new InferenceProcess({ model: modelPath, gpu: false, kv: { mode: "h2o", windowLength: 64, heavyHitters: 64 } });
        await assert.rejects(bad.load(), (error: unknown) => {
            assert.ok(error instanceof InferenceError, String(error));
            assert.equal(error.code, "invalid-request");
            assert.match(error.message, /heavyHitters must be .*\[0, 64\), got 64/);
            return true;
        });
    });
});

describe("summaries with a bounded KV cache", () => {
    test("summarize a document longer than the context in one pass with H2O, map-reduce without", async () => {
        await using bounded = new InferenceProcess({ model: modelPath, gpu: false, kv: KV });
        const boundedGenerator = new ProcessTextGenerator(bounded, await bounded.load());
        const expected = h2oBuilt ? "h2o" : "sink-window";
        assert.deepEqual(boundedGenerator.boundedKv?.policy, expected);
        let plannedParts = 0;
        const onePass = await llmSummary(boundedGenerator, LONG_PROMPT, { maxTokens: 16, onPlan: (parts) => (plannedParts = parts) });
        assert.ok((await boundedGenerator.countTokens(LONG_PROMPT)) > boundedGenerator.contextSize, "the document is longer than the context");
        assert.deepEqual([onePass.passes, onePass.kvPolicy, onePass.tokens, plannedParts], [1, expected, 16, 0]);

        await using full = new InferenceProcess({ model: modelPath, gpu: false, contextSize: 512 });
        const fullGenerator = new ProcessTextGenerator(full, await full.load());
        assert.equal(fullGenerator.boundedKv, undefined);
        const mapReduce = await llmSummary(fullGenerator, LONG_PROMPT, { maxTokens: 16, onPlan: (parts) => (plannedParts = parts) });
        assert.equal(mapReduce.kvPolicy, "full");
        assert.ok(plannedParts > 1 && mapReduce.passes > 1, `${plannedParts} parts, ${mapReduce.passes} passes`);
    });
});

interface GenerateJson {
    text: string;
    promptTokens: number;
    generatedTokens: number;
    stopReason: string;
    policy: string;
    kvBudget: number;
    kvPeakCells: number;
    evictedTokens: number;
    contextMemoryBytes: number;
    fallbackReason?: string;
}

describe("llamahome generate / summarize --enable-h2o", () => {
    const h2oArgs = ["--enable-h2o", "--window-length", String(WINDOW), "--heavy-hitters", String(HEAVY)];

    test("reports policy h2o, the budget, the peak and the evictions", { skip: needsBuild }, async () => {
        const run = await runCli(["generate", "--model", modelPath, "--gpu", "cpu", ...h2oArgs, "--prompt-file", promptFile, "--max-tokens", "24", "--json"]);
        assert.equal(run.code, 0, run.stderr);
        const json = parseJson<GenerateJson>(run);
        assert.deepEqual([json.policy, json.kvBudget, json.generatedTokens, json.promptTokens], ["h2o", WINDOW, 24, LONG_PROMPT.length + 1]);
        assert.ok(json.kvPeakCells <= WINDOW + CHUNK && json.kvPeakCells > WINDOW, `peak ${json.kvPeakCells}`);
        assert.ok(json.evictedTokens > 0 && json.contextMemoryBytes > 0);
        assert.equal(json.fallbackReason, undefined);
        assert.equal(run.stderr, "");
    });

    test("without the build: policy sink-window with the reason, on stdout and stderr", async () => {
        const run = await runCli(["generate", "--model", modelPath, "--gpu", "cpu", ...h2oArgs, "--prompt-file", promptFile, "--max-tokens", "24", "--json"], {
            env: { [H2O_DISABLE_ENV]: "1" },
        });
        assert.equal(run.code, 0, run.stderr);
        const json = parseJson<GenerateJson>(run);
        assert.deepEqual([json.policy, json.kvBudget, json.generatedTokens], ["sink-window", WINDOW, 24]);
        assert.ok(json.kvPeakCells <= WINDOW + CHUNK && json.evictedTokens > 0);
        assert.match(json.fallbackReason ?? "", /LLAMAHOME_H2O_DISABLE/);
        assert.match(run.stderr, /running sink-window, not H2O/);
    });

    test("without --enable-h2o: policy full, the context as budget, nothing evicted", async () => {
        const run = await runCli(["generate", "--model", modelPath, "--gpu", "cpu", "--prompt-file", promptFile, "--max-tokens", "8", "--json"]);
        assert.equal(run.code, 0, run.stderr);
        const json = parseJson<GenerateJson>(run);
        assert.deepEqual(
            [json.policy, json.kvBudget, json.kvPeakCells, json.evictedTokens, json.generatedTokens],
            ["full", 4096, json.promptTokens + 7, 0, 8],
            "the last sampled token is never fed back",
        );
        assert.ok(json.contextMemoryBytes > 0);
    });

    test("flag mistakes are usage errors: exit 2, one line on stderr, nothing loaded", async () => {
        const cases: [string[], RegExp][] = [
            [["--enable-h2o", "--window-length", "256", "--heavy-hitters", "256"], /--heavy-hitters \(256\) must be less than --window-length \(256\)/],
            [["--enable-h2o", "--window-length", "256", "--heavy-hitters", "300"], /must be less than --window-length/],
            [["--enable-h2o", "--window-length", "1"], /--window-length must be an integer ≥ 2/],
            [["--enable-h2o", "--window-length", "lots"], /--window-length must be an integer/],
            [["--enable-h2o", "--heavy-hitters", "0"], /--heavy-hitters must be an integer ≥ 1/],
            [["--window-length", "256"], /--window-length needs --enable-h2o/],
            [["--heavy-hitters", "8", "--window-length", "64"], /--window-length and --heavy-hitters need --enable-h2o/],
            [["--enable-h2o", "--context-size", "2048"], /--context-size does not apply to a bounded KV cache \(--enable-h2o\)/],
        ];
        const runs = await Promise.all(cases.map(([flags]) => runCli(["generate", "--model", modelPath, "--prompt", "x", ...flags, "--json"])));
        runs.forEach((run, i) => {
            const [flags, message] = cases[i]!;
            assert.equal(run.code, 2, flags.join(" "));
            assert.equal(run.stdout, "");
            assert.equal(run.stderr.trim().split("\n").length, 1, `one line: ${run.stderr}`);
            assert.match(run.stderr, message);
        });
        const summarize = await runCli(["summarize", promptFile, "--enable-h2o", "--json"], { env: { LLAMAHOME_MODEL: "" } });
        assert.equal(summarize.code, 2);
        assert.match(summarize.stderr, /--enable-h2o needs a model/);
    });

    test("summarize --enable-h2o runs one bounded pass and reports the policy", async () => {
        const run = await runCli(["summarize", promptFile, "--model", modelPath, "--gpu", "cpu", ...h2oArgs, "--json"]);
        assert.equal(run.code, 0, run.stderr);
        const json = parseJson<{ summary: string; engine: string; tokens: number; policy: string }>(run);
        assert.deepEqual([json.engine, json.policy], ["llm", h2oBuilt ? "h2o" : "sink-window"]);
        assert.ok(json.tokens > 0 && json.tokens <= WINDOW / 2);
    });
});

describe("llamahome ask --document", () => {
    const h2oArgs = ["--enable-h2o", "--window-length", String(WINDOW), "--heavy-hitters", String(HEAVY)];
    const QUESTION = "What did the allotment committee plan in the greenhouse?";
    interface AskJson {
        answer: string;
        engine: string;
        found: boolean;
        citations: { path: string; page?: number }[];
        policy?: string;
        kvBudget?: number;
        kvPeakCells?: number;
        evictedTokens?: number;
        observationTokens?: number;
        fallbackReason?: string;
    }

    test("reads the whole document in a bounded cache with query-aware eviction and cites it", { skip: needsBuild }, async () => {
        const run = await runCli(["ask", "--document", promptFile, QUESTION, "--model", modelPath, "--gpu", "cpu", ...h2oArgs, "--json"]);
        assert.equal(run.code, 0, run.stderr);
        const json = parseJson<AskJson>(run);
        assert.deepEqual([json.engine, json.policy, json.kvBudget], ["llm", "query-aware", WINDOW]);
        assert.ok(json.kvPeakCells! <= WINDOW + CHUNK && json.kvPeakCells! > WINDOW, `peak ${json.kvPeakCells} within windowLength + chunk, the question's window included`);
        assert.ok(json.evictedTokens! >= LONG_PROMPT.length - (WINDOW + CHUNK), `evicted ${json.evictedTokens}`);
        assert.ok(json.observationTokens! > 0, "the question was evaluated as an observation window");
        assert.equal(json.fallbackReason, undefined);
        if (json.found) assert.deepEqual(json.citations.map((c) => c.path), [promptFile]);
    });

    test("without the build: sink-window with the reason, never query-aware", async () => {
        const run = await runCli(["ask", "--document", promptFile, QUESTION, "--model", modelPath, "--gpu", "cpu", ...h2oArgs, "--json"], { env: { [H2O_DISABLE_ENV]: "1" } });
        assert.equal(run.code, 0, run.stderr);
        const json = parseJson<AskJson>(run);
        assert.equal(json.policy, "sink-window");
        assert.equal(json.observationTokens, undefined);
        assert.match(json.fallbackReason ?? "", /LLAMAHOME_H2O_DISABLE/);
    });

    test("a document longer than a full context is refused with the flag to use, not truncated (exit 2)", async () => {
        const longer = join(dir, "longer.txt");
        await writeFile(longer, TEXT.repeat(Math.ceil(5000 / TEXT.length)));
        const run = await runCli(["ask", "--document", longer, QUESTION, "--model", modelPath, "--gpu", "cpu", "--json"]);
        assert.equal(run.code, 2, run.stderr);
        assert.equal(run.stdout, "");
        assert.match(run.stderr, /tokens but the model's context holds 4096.*--enable-h2o/);
    });

    test("a question too long for the cache is refused with what to change", async () => {
        const run = await runCli(["ask", "--document", promptFile, QUESTION.repeat(8), "--model", modelPath, "--gpu", "cpu", "--enable-h2o", "--window-length", "64", "--heavy-hitters", "16", "--json"]);
        assert.equal(run.code, 1);
        assert.match(run.stderr, /the question is \d+ tokens, more than the \d+ this model's cache leaves for it/);
    });

    test("Ctrl-C while the document is being read ends the run with exit 130, within seconds", async () => {
        const huge = join(dir, "huge.txt");
        await writeFile(huge, TEXT.repeat(Math.ceil(400_000 / TEXT.length))); // ~400K tokens: far more than a few seconds
        const child = spawn(process.execPath, [cliPath, "ask", "--document", huge, QUESTION, "--model", modelPath, "--gpu", "cpu", ...h2oArgs], { stdio: ["ignore", "pipe", "pipe"] });
        let stderr = "";
        child.stderr.on("data", (data: Buffer) => (stderr += data.toString()));
        const exited = new Promise<{ code: number | null; at: number }>((resolve) => child.on("close", (code) => resolve({ code, at: performance.now() })));
        await new Promise((resolve) => setTimeout(resolve, 4_000)); // the model loads, the reading starts
        assert.equal(child.exitCode, null, `still reading after 4 s: ${stderr}`);
        const interrupted = performance.now();
        child.kill("SIGINT");
        const { code, at } = await exited;
        assert.equal(code, 130, stderr);
        assert.ok(at - interrupted < 10_000, `ended ${Math.round(at - interrupted)} ms after Ctrl-C`);
    });

    test("without a model the extractive engine answers from the document alone; bad input fails clearly", async () => {
        const run = await runCli(["ask", "--document", promptFile, "What are heavy hitters?", "--json"], { env: { LLAMAHOME_MODEL: "" } });
        assert.equal(run.code, 0, run.stderr);
        const json = parseJson<AskJson>(run);
        assert.deepEqual([json.engine, json.found, json.citations[0]?.path], ["extractive", true, promptFile]);
        assert.match(json.answer, /few tokens that receive most of the attention/);

        const corrupt = join(dir, "corrupt.pdf");
        await writeFile(corrupt, "%PDF-1.7\nthis is not a PDF body");
        const cases: [string[], number, RegExp][] = [
            [["ask", "--document", join(dir, "missing.pdf"), QUESTION], 2, /missing\.pdf: no such file/],
            [["ask", "--document", corrupt, QUESTION], 1, /corrupt\.pdf: corrupt or truncated PDF/],
            [["ask", "--document", promptFile, "  "], 2, /the question is empty/],
            [["ask", "--document", promptFile, QUESTION, "--top", "3"], 2, /--top does not apply to --document/],
            [["ask", "--document", promptFile], 2, /wrong number of arguments|takes the question only/],
        ];
        const runs = await Promise.all(cases.map(([args]) => runCli(args, { env: { LLAMAHOME_MODEL: "" } })));
        runs.forEach((failed, i) => {
            const [args, code, message] = cases[i]!;
            assert.equal(failed.code, code, `${args.join(" ")}: ${failed.stderr}`);
            assert.match(failed.stderr, message);
            assert.equal(failed.stderr.trim().split("\n").length, 1, `one line: ${failed.stderr}`);
        });
    });
});
