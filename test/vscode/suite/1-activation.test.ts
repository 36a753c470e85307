/// <reference types="mocha" />
import * as assert from "node:assert/strict";
import * as vscode from "vscode";
import type { LlamaHomeApi } from "../../../client/api";
import { activate, waitForIndex } from "./helpers";

suite("Activation and indexing", () => {
    let api: LlamaHomeApi;

    suiteSetup(async () => {
        api = await activate();
    });

    test("activates and registers its commands", async () => {
        const commands = await vscode.commands.getCommands(true);
        for (const id of [
            "llamahome.indexWorkspace",
            "llamahome.summarizeDocument",
            "llamahome.summarizeSelection",
            "llamahome.ask",
            "llamahome.selectModel",
            "llamahome.openDashboard",
            "llamahome.runBenchmark",
            "llamahome.runNeedleTest",
            "llamahome.restartServer",
            "llamahome.showLogs",
            "llamahome.setEndpointApiKey",
            "llamahome.clearChat",
            "llamahome.askAboutSelection",
        ]) {
            assert.ok(commands.includes(id), `${id} is registered`);
        }
    });

    test("the server indexes the fixture workspace (txt, md, csv, py, docx, pdf, pptx)", async () => {
        const status = await waitForIndex(api, (s) => s.state === "indexed", 'the index state "indexed"');
        assert.equal(status.documents, 12, JSON.stringify(status));
        assert.equal(status.failed, 0, JSON.stringify(status));
        assert.ok(status.chunks > status.documents, JSON.stringify(status));
    });

    test("the status bar shows the indexed count", () => {
        assert.match(api.statusBarText, /LlamaHome: 12 docs/);
        assert.match(api.statusBarText, /extractive/);
    });

    test("Index Workspace re-indexes and reports the status", async () => {
        const status = await vscode.commands.executeCommand<{ state: string; documents: number }>("llamahome.indexWorkspace");
        assert.equal(status?.state, "indexed");
        assert.equal(status?.documents, 12);
    });
});
