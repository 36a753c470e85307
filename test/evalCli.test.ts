// The model-facing CLI contract on a generated tiny model: make-tiny-model, generate, summarize, ask,
// needle and bench. The tiny model is untrained, so these check shapes, counts and honesty, not quality.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { insertNeedle, makeNeedle, needlePrompt, scoreNeedle } from "../server/eval/needle";
import { parseJson, runCli } from "./helpers/cli";

const samples = path.join(__dirname, "..", "samples", "workspace");

async function workspace(t: { after: (fn: () => Promise<void>) => void }): Promise<{ base: string; model: string; env: NodeJS.ProcessEnv }> {
    const base = await fs.mkdtemp(path.join(os.tmpdir(), "llamahome-evalcli-"));
    t.after(() => fs.rm(base, { recursive: true, force: true }));
    const model = path.join(base, "tiny.gguf");
    const made = await runCli(["make-tiny-model", model, "--ctx", "1024", "--seed", "5", "--json"]);
    assert.equal(made.code, 0, made.stderr);
    assert.equal(parseJson<{ ctx: number; layers: number }>(made).ctx, 1024);
    return { base, model, env: { LLAMAHOME_RESULTS_DIR: path.join(base, "results"), XDG_CACHE_HOME: path.join(base, "xdg") } };
}

test("needles are deterministic, sit on sentence boundaries at the requested depth, and score without a judge", () => {
    assert.deepEqual(makeNeedle(42), makeNeedle(42));
    assert.notEqual(makeNeedle(42).code, makeNeedle(43).code);
    const needle = makeNeedle(7);
    assert.match(needle.sentence, /^The secret code of [A-Z][a-z]+ is [A-Z0-9]{6}\.$/);
    const sentences = Array.from({ length: 10 }, (_, i) => `Sentence number ${i} is here.`);
    for (const depth of [0, 10, 50, 90, 100]) {
        const text = insertNeedle(sentences, needle, depth);
        const at = text.indexOf(needle.sentence);
        assert.ok(Math.abs(at / text.length - depth / 100) < 0.12, `depth ${depth}: at ${(at / text.length).toFixed(2)}`);
        assert.ok(at === 0 || text[at - 2] === ".", "inserted between sentences");
    }
    assert.ok(needlePrompt("Hay.", needle).endsWith(`\n\nQuestion: ${needle.question}\nAnswer: The secret code of ${needle.name} is`));
    assert.deepEqual(scoreNeedle(` ${needle.code}.`, needle), { exact: 1, overlap: 1 });
    assert.equal(scoreNeedle(` ${needle.code.slice(0, 3)}XYZ.`, needle).exact, 0);
    assert.equal(scoreNeedle(` ${needle.code.slice(0, 3)}`, needle).overlap, 0.5);
    assert.deepEqual(scoreNeedle("", needle), { exact: 0, overlap: 0 });
});

test("generate, summarize and ask print the documented JSON on a tiny model", async (t) => {
    const { base, model, env } = await workspace(t);
    const generated = parseJson<Record<string, unknown>>(await runCli(["generate", "--model", model, "--prompt", "Once upon a time", "--max-tokens", "24", "--json"], { env }));
    for (const key of ["text", "promptTokens", "generatedTokens", "promptTokensPerSecond", "generatedTokensPerSecond", "ms"]) assert.ok(key in generated, key);
    // An untrained model may sample end-of-sequence early; otherwise it generates exactly what was asked.
    assert.ok(generated.generatedTokens === 24 || (generated.stopReason === "eos" && (generated.generatedTokens as number) < 24), JSON.stringify(generated));
    assert.equal(generated.promptTokens, 17, "BOS + 16 bytes");

    const summary = parseJson<{ summary: string; engine: string; model: string; tokens: number; ms: number }>(
        await runCli(["summarize", path.join(samples, "notes", "composting-guide.md"), "--model", model, "--json"], { env }),
    );
    assert.equal(summary.engine, "llm");
    assert.ok(summary.tokens > 0 && typeof summary.model === "string");
    const extractive = parseJson<{ summary: string; engine: string }>(await runCli(["summarize", path.join(samples, "reports", "annual-report-2024.pdf"), "--json"], { env }));
    assert.equal(extractive.engine, "extractive");
    assert.match(extractive.summary, /Riverside|allotment|Society/i);

    const cache = path.join(base, "cache");
    const answer = parseJson<{ answer: string; engine: string; citations: { path: string; page?: number }[] }>(
        await runCli(["ask", samples, "How much did the irrigation project cost in the end?", "--model", model, "--context-size", "1024", "--cache-dir", cache, "--json"], { env }),
    );
    assert.equal(answer.engine, "llm");
    assert.ok(answer.citations.length > 0, "the model's answer cites the passages it was given");
    const noModel = parseJson<{ answer: string; engine: string; found: boolean; citations: unknown[] }>(
        await runCli(["ask", samples, "What is the capital of Mongolia?", "--cache-dir", cache, "--json"], { env }),
    );
    assert.deepEqual([noModel.engine, noModel.found, noModel.citations.length], ["extractive", false, 0]);

    const missing = await runCli(["generate", "--prompt", "x"], { env: { ...env, LLAMAHOME_MODEL: "" } });
    assert.equal(missing.code, 2);
    const bad = await runCli(["generate", "--model", path.join(base, "nope.gguf"), "--prompt", "x"], { env });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^llamahome: .*nope\.gguf/);
    assert.equal(bad.stderr.trim().split("\n").length, 1);
});

test("the needle grid runs end to end on the tiny model (full and bounded cache), reports skipped cells honestly, and is saved", async (t) => {
    const { model, env } = await workspace(t);
    const run = await runCli(["needle", "--model", model, "--lengths", "300,600,2000", "--depths", "10,50,90", "--enable-h2o", "--window-length", "128", "--heavy-hitters", "32", "--json"], { env, timeoutMs: 300_000 });
    assert.equal(run.code, 0, run.stderr);
    type Cell = { length: number; depth: number; policy: string; score: number; overlap: number; ms: number; skipped?: string; kvBudget?: number; kvPeakCells?: number; evictedTokens?: number };
    const result = parseJson<{ cells: Cell[]; summary: Record<string, { cells: number; exact: number }> }>(run);
    const full = result.cells.filter((c) => c.policy === "full");
    const bounded = result.cells.filter((c) => c.policy !== "full");
    assert.equal(full.length, 9);
    assert.equal(bounded.length, 9);
    for (const cell of [...full.filter((c) => c.length < 2000), ...bounded]) {
        assert.equal(cell.skipped, undefined);
        assert.ok(cell.score === 0 || cell.score === 1);
        assert.ok(cell.overlap >= 0 && cell.overlap <= 1 && cell.ms > 0);
    }
    // 2000 tokens do not fit a 1024-token model with the full cache: reported, not guessed.
    for (const cell of full.filter((c) => c.length === 2000)) assert.match(cell.skipped ?? "", /exceeds the model's training context \(1024\)/);
    // The bounded cache runs every length within its budget, and says which policy ran.
    const built = spawnSync(process.execPath, [path.join(__dirname, "..", "tools", "build-h2o.mjs"), "--check"]).status === 0;
    for (const cell of bounded) {
        assert.equal(cell.policy, built && !process.env.LLAMAHOME_H2O_DISABLE ? "h2o" : "sink-window");
        assert.equal(cell.kvBudget, 128);
        assert.ok((cell.kvPeakCells ?? Infinity) <= 128 + 128, `peak ${cell.kvPeakCells}`);
        if (cell.length >= 600) assert.ok((cell.evictedTokens ?? 0) > 0);
    }
    assert.equal(result.summary.full.cells, 6);
    const saved = JSON.parse(await fs.readFile(path.join(env.LLAMAHOME_RESULTS_DIR!, "latest-needle.json"), "utf8")) as { kind: string; result: { cells: unknown[] } };
    assert.equal(saved.kind, "needle");
    assert.equal(saved.result.cells.length, 18);
});

test("needle --policies runs the policies asked for, in order, with --trials needles per cell; bad policy lists are usage errors", async (t) => {
    const { model, env } = await workspace(t);
    const run = await runCli(["needle", "--model", model, "--lengths", "300,600", "--depths", "50", "--trials", "3", "--policies", "sink-window,full", "--window-length", "128", "--json"], { env, timeoutMs: 120_000 });
    assert.equal(run.code, 0, run.stderr);
    type Cell = { length: number; policy: string; score: number; trials?: number; promptTokens?: number; kvBudget?: number; skipped?: string };
    const result = parseJson<{ trials: number; cells: Cell[] }>(run);
    assert.equal(result.trials, 3);
    // sink-window is asked for by name: it runs whether or not the H2O build exists.
    assert.deepEqual(result.cells.map((c) => [c.policy, c.length, c.trials]), [["sink-window", 300, 3], ["sink-window", 600, 3], ["full", 300, 3], ["full", 600, 3]]);
    for (const cell of result.cells) {
        assert.equal(cell.skipped, undefined);
        assert.ok([0, 1 / 3, 2 / 3, 1].some((share) => Math.abs(share - cell.score) < 1e-3), `score ${cell.score} of 3 needles`);
        // The length is the whole prompt's: haystack, needle and question.
        assert.ok(cell.promptTokens! <= cell.length && cell.promptTokens! > cell.length * 0.7, `${cell.promptTokens} prompt tokens for ${cell.length}`);
    }
    for (const cell of result.cells) assert.ok(cell.policy === "full" ? cell.kvBudget! >= cell.length : cell.kvBudget === 128, `${cell.policy}: KV budget ${cell.kvBudget}`);
    for (const [args, message] of [
        [["--policies", "full,fast"], /--policies takes a comma-separated list of full, h2o, query-aware, sink-window/],
        [["--policies", "h2o", "--enable-h2o"], /--policies or --enable-h2o, not both/],
        [["--window-length", "64"], /--window-length needs --enable-h2o/],
        [["--trials", "0"], /--trials/],
    ] as const) {
        const bad = await runCli(["needle", "--model", model, ...args], { env });
        assert.equal(bad.code, 2, `${args.join(" ")}: ${bad.stderr}`);
        assert.match(bad.stderr, message);
    }
});

test("bench prints document, LSP and inference figures and saves them", async (t) => {
    const { model, env } = await workspace(t);
    const run = await runCli(["bench", "--corpus", "small", "--iterations", "5", "--model", model, "--json"], { env, timeoutMs: 300_000 });
    assert.equal(run.code, 0, run.stderr);
    const result = parseJson<{ documents: { format: string; documents: number; docsPerMinute: number; p95MsPerDoc: number }[]; lsp: { searchP50Ms: number; hoverP95Ms: number; serverRssBytes: number }; inference: { generatedTokensPerSecond: number; inferenceRssBytes: number }[]; environment: { cores: number } }>(run);
    assert.deepEqual(result.documents.map((d) => [d.format, d.documents]), [["text", 500], ["docx", 60], ["pdf", 30]]);
    for (const figures of result.documents) assert.ok(figures.docsPerMinute > 0 && figures.p95MsPerDoc > 0);
    assert.ok(result.lsp.searchP50Ms > 0 && result.lsp.hoverP95Ms > 0 && result.lsp.serverRssBytes > 0);
    assert.ok(result.inference[0].generatedTokensPerSecond > 0 && result.inference[0].inferenceRssBytes > 0);
    assert.ok(result.environment.cores >= 1);
    await fs.access(path.join(env.LLAMAHOME_RESULTS_DIR!, "latest-bench.json"));
});

test("eval summaries scores the bundled dataset with the extractive engine; bad lines are named", async (t) => {
    const { base, env } = await workspace(t);
    const dataset = path.join(__dirname, "..", "samples", "eval", "summaries.jsonl");
    const run = await runCli(["eval", "summaries", "--dataset", dataset, "--json"], { env });
    assert.equal(run.code, 0, run.stderr);
    const result = parseJson<{ engine: string; pairs: { path: string; rouge1: { fmeasure: number } }[]; aggregate: Record<string, { low: { fmeasure: number }; mid: { fmeasure: number }; high: { fmeasure: number } }> }>(run);
    assert.equal(result.engine, "extractive");
    const lines = (await fs.readFile(dataset, "utf8")).trim().split("\n").length;
    assert.equal(result.pairs.length, lines);
    for (const pair of result.pairs) assert.ok(pair.rouge1.fmeasure > 0.1, `${pair.path} shares words with its reference`);
    for (const type of ["rouge1", "rouge2", "rougeL", "rougeLsum"]) {
        const { low, mid, high } = result.aggregate[type];
        assert.ok(low.fmeasure <= mid.fmeasure && mid.fmeasure <= high.fmeasure, type);
    }
    const bad = path.join(base, "bad.jsonl");
    await fs.writeFile(bad, '{"document": "Some text here.", "reference": "Text."}\n{"path": "missing.md"}\n');
    const failed = await runCli(["eval", "summaries", "--dataset", bad], { env });
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, /bad\.jsonl line 2: missing "reference"/);
});
