/// <reference types="mocha" />
import * as assert from "node:assert/strict";
import * as vscode from "vscode";
import type { LlamaHomeApi } from "../../../client/api";
import type { AskResult } from "../../../shared/protocol";
import { modelSuiteHooks, updateSetting, waitFor } from "./helpers";

const question = "When will the 2025 annual general meeting be held?";
// Underscores would be escaped in the tooltip's Markdown; this name has none.
const offlineModel = "hf:llamahome-test/Offline-GGUF/offline-model-q4.gguf";

suite("An hf: model whose host cannot be reached (the runner points HF_ENDPOINT at a local port that refuses)", () => {
    let api: LlamaHomeApi;
    const tinyModel = modelSuiteHooks((activated) => (api = activated));

    test("choosing it fails within 30 s naming the host, in a notification, the status bar and the log; extractive answers go on; the tiny model restores it", async function () {
        this.timeout(90_000);
        assert.ok(process.env.HF_ENDPOINT, "the runner sets HF_ENDPOINT");
        const host = new URL(process.env.HF_ENDPOINT).host;
        const noticesBefore = api.modelNotices.length;
        const started = Date.now();
        await updateSetting("model", offlineModel);
        // No question asked: choosing a model loads it, so the user learns at once that it cannot be used.
        const notice = await waitFor(() => api.modelNotices[noticesBefore], "the notification that the model is unavailable", 30_000);
        assert.ok(Date.now() - started < 30_000, `${Date.now() - started} ms`);
        assert.match(notice, new RegExp(`cannot reach ${host.replace(/\./g, "\\.")}`), notice);
        await waitFor(() => (/offline-model-q4 unavailable/.test(api.statusBarText) ? true : undefined), `"unavailable" in the status bar, not "${api.statusBarText}"`, 5_000);
        assert.match(api.statusBarTooltip, new RegExp(`Unavailable \\| .*cannot reach ${host.replace(/\./g, "\\.")}`), api.statusBarTooltip);
        assert.doesNotMatch(api.statusBarTooltip, /\| Loaded \|/, "no model is named as loaded");
        const logged = api.logLines.find((line) => line.includes("Model unavailable") && line.includes(`cannot reach ${host}`));
        assert.match(logged ?? "", /^\[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\] /, `a timestamped line in the log, in:\n${api.logLines.slice(-10).join("\n")}`);

        // Answers still come, from the extractive engine, saying why; the user is not told again at every question.
        const answer = await vscode.commands.executeCommand<AskResult>("llamahome.ask", question);
        assert.equal(answer?.engine, "extractive");
        assert.match(answer.answer, /15 March 2025/);
        assert.match(answer.warning ?? "", new RegExp(`cannot reach ${host.replace(/\./g, "\\.")}`));
        assert.equal(api.modelNotices.length, noticesBefore + 1, "one notification per choice");
        assert.match(api.statusBarText, /offline-model-q4 unavailable/);

        // Choosing a model that is here brings the model back, with no reload.
        await updateSetting("model", tinyModel);
        // Loaded, it is named by its own name: neither "(not loaded)" nor "unavailable".
        await waitFor(() => (/\$\(hubot\) (?!.*(unavailable|not loaded|extractive))/.test(api.statusBarText) ? true : undefined), "the tiny model to load (named by its own name in the status bar)", 30_000);
        assert.doesNotMatch(api.statusBarTooltip, /Unavailable/);
        const restored = await vscode.commands.executeCommand<AskResult>("llamahome.ask", question);
        assert.equal(restored?.engine, "llm");
        assert.equal(restored.warning, undefined);
    });
});
