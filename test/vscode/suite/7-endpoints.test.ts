/// <reference types="mocha" />
import * as assert from "node:assert/strict";
import * as vscode from "vscode";
import type { LlamaHomeApi } from "../../../client/api";
import type { AskResult } from "../../../shared/protocol";
import { activateIndexed, nextIndexStatus, updateSetting, waitFor } from "./helpers";

// Two real llama-servers the runner started on 127.0.0.1 (test/helpers/llamaServer.ts); skipped, with the reason, only
// where llama-server cannot be built.
const endpoints = (process.env.LLAMAHOME_TEST_ENDPOINTS ?? "").split(",").filter(Boolean);

suite("llama.cpp servers as the engine (llamahome.endpoints)", function () {
    let api: LlamaHomeApi;
    suiteSetup(async function () {
        if (endpoints.length < 2) {
            console.log(`skipped: ${process.env.LLAMAHOME_TEST_ENDPOINTS_SKIP ?? "the runner started no llama-server"}`);
            this.skip();
        }
        api = await activateIndexed();
    });
    suiteTeardown(async () => {
        if (endpoints.length >= 2) await updateSetting("endpoints", undefined);
    });

    test("two endpoints: answers name the server that generated them; the status bar tooltip and the dashboard list both, up", async () => {
        const applied = nextIndexStatus(api, (s) => s.state === "indexed", "the re-index after the endpoints change");
        await updateSetting("endpoints", endpoints);
        await applied;
        assert.match(api.statusBarText, /2 endpoints/, "the status bar counts the listed servers before they answered");
        const answer = await vscode.commands.executeCommand<AskResult>("llamahome.ask", "When will the 2025 annual general meeting be held?");
        assert.ok(answer, "an answer came back");
        assert.equal(answer.engine, "llm", JSON.stringify({ ...answer, answer: answer.answer.slice(0, 80) }));
        assert.ok(answer.endpoint && endpoints.includes(answer.endpoint), `answered by ${answer.endpoint}`);
        const shown = await waitFor(() => (api.endpoints?.length === 2 && api.endpoints.every((e) => e.state === "up") ? api.endpoints : undefined), "both endpoints up on the dashboard");
        assert.deepEqual(shown.map((e) => e.url).sort(), [...endpoints].sort());
        assert.ok(shown.every((e) => e.slotsTotal === 1), "each server's slots are shown");
        assert.match(api.statusBarText, /2\/2 endpoints up/);
        for (const url of endpoints) assert.ok(api.statusBarTooltip.includes(url), `the tooltip lists ${url}`);
    });

    test("clearing llamahome.endpoints goes back to the extractive engine", async () => {
        const applied = nextIndexStatus(api, (s) => s.state === "indexed", "the re-index after the endpoints change");
        await updateSetting("endpoints", undefined);
        await applied;
        const answer = await vscode.commands.executeCommand<AskResult>("llamahome.ask", "When will the 2025 annual general meeting be held?");
        assert.equal(answer?.engine, "extractive");
        assert.equal(api.endpoints, undefined);
        assert.doesNotMatch(api.statusBarText, /endpoints/);
    });
});
