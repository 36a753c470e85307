/// <reference types="mocha" />
import * as assert from "node:assert/strict";
import * as vscode from "vscode";
import type { LlamaHomeApi } from "../../../client/api";
import type { BenchResult, NeedleResult } from "../../../shared/results";
import { modelSuiteHooks, nextIndexStatus, updateSetting, waitFor, workspaceRoot } from "./helpers";

suite("Benchmarks and evaluation: Run Benchmark, Run Needle Test and the saved results", () => {
    let api: LlamaHomeApi;
    const model = modelSuiteHooks((activated) => (api = activated));

    test("a result saved by the CLI (ROUGE of the bundled dataset) reaches the client", async () => {
        const saved = await waitFor(() => api.latestResults.rouge, "the saved ROUGE result");
        assert.equal(saved.result.engine, "extractive");
        assert.ok(saved.result.pairs.length >= 5, `${saved.result.pairs.length} pairs`);
        for (const variant of ["rouge1", "rouge2", "rougeL", "rougeLsum"] as const) {
            const { low, mid, high } = saved.result.aggregate[variant];
            assert.ok(low.fmeasure <= mid.fmeasure && mid.fmeasure <= high.fmeasure && high.fmeasure <= 1, `${variant}: ${JSON.stringify(saved.result.aggregate[variant])}`);
        }
        assert.ok(!Number.isNaN(Date.parse(saved.savedAt)));
    });

    test("the extension ships the project's reference needle table (its own model: full, H2O, question-aware and sink + window)", () => {
        const reference = api.needleReference;
        assert.ok(reference, "media/needle-reference.json was read");
        assert.match(reference.command, /^llamahome needle /);
        const { cells, lengths, depths } = reference.result;
        assert.deepEqual([...new Set(cells.map((cell) => cell.policy))], ["full", "h2o", "query-aware", "sink-window"]);
        assert.equal(cells.length, 4 * lengths.length * depths.length);
        assert.ok(cells.every((cell) => cell.skipped !== undefined || (cell.trials ?? 1) > 1), "several needles per cell");
        // Measured on the model trained to 1,024 tokens: the shortest prompts fit its full cache.
        assert.ok(cells.some((cell) => cell.policy === "full" && cell.length <= 1024 && cell.skipped === undefined));
    });

    test("Run Needle Test without a model runs nothing (it offers Select Model)", async () => {
        assert.equal(vscode.workspace.getConfiguration("llamahome").get("model"), "");
        const result = await vscode.commands.executeCommand<NeedleResult | undefined>("llamahome.runNeedleTest", { lengths: [300], depths: [50] });
        assert.equal(result, undefined);
        assert.equal(api.latestResults.needle, undefined);
    });

    test("Run Needle Test runs the length × depth grid on the tiny model, skips what exceeds its context, and saves it", async () => {
        const applied = nextIndexStatus(api, (s) => s.state === "indexed", "the re-index after the model change");
        await updateSetting("model", model);
        await applied;
        const result = await vscode.commands.executeCommand<NeedleResult>("llamahome.runNeedleTest", { lengths: [300, 600, 5000], depths: [10, 50, 90], trials: 2 });
        assert.ok(result, "the needle test ran");
        assert.equal(result.haystack, workspaceRoot(), "the haystack is the workspace's documents");
        assert.equal(result.cells.length, 9);
        assert.equal(result.trials, 2);
        assert.ok(result.cells.every((cell) => cell.policy === "full"), "H2O is off: the full cache only");
        for (const cell of result.cells.filter((c) => c.length < 5000)) {
            assert.equal(cell.skipped, undefined, JSON.stringify(cell));
            assert.equal(cell.trials, 2, "two needles per cell");
            assert.ok([0, 0.5, 1].includes(cell.score), `score ${cell.score}`);
            assert.ok(cell.overlap >= 0 && cell.overlap <= 1);
            assert.ok(cell.promptTokens! <= cell.length && cell.promptTokens! > cell.length * 0.7, `a prompt of ${cell.promptTokens} tokens for ${cell.length}`);
        }
        // The tiny model's training context is 4096 tokens: a 5000-token prompt does not fit the full cache.
        for (const cell of result.cells.filter((c) => c.length === 5000)) assert.match(cell.skipped ?? "", /exceeds the model's training context \(4096\)/);
        assert.equal(result.summary.full?.skipped, 3);
        const saved = await waitFor(() => (api.latestResults.needle?.result.ms === result.ms ? api.latestResults.needle : undefined), "the saved needle result in the client");
        assert.deepEqual(saved.result.lengths, [300, 600, 5000]);
    });

    test("Run Benchmark measures documents/min, LSP latency and the tiny model's tokens/s, and saves it", async () => {
        const result = await vscode.commands.executeCommand<BenchResult>("llamahome.runBenchmark", { iterations: 5 });
        assert.ok(result, "the benchmark ran");
        assert.deepEqual(
            result.documents.map((f) => [f.format, f.documents]),
            [["text", 500], ["docx", 60], ["pdf", 30]],
        );
        assert.ok(result.documents.every((f) => f.docsPerMinute > 0 && f.p95MsPerDoc >= f.p50MsPerDoc), JSON.stringify(result.documents));
        assert.equal(result.lsp.iterations, 5);
        assert.ok(result.lsp.searchP50Ms > 0 && result.lsp.hoverP95Ms >= result.lsp.hoverP50Ms, JSON.stringify(result.lsp));
        assert.equal(result.inference?.length, 1, "the configured model was measured");
        assert.equal(result.inference[0].policy, "full");
        assert.ok(result.inference[0].generatedTokensPerSecond > 0);
        await waitFor(() => (api.latestResults.bench?.result.ms === result.ms ? true : undefined), "the saved benchmark in the client");
    }).timeout(180_000);
});
