/// <reference types="mocha" />
import * as assert from "node:assert/strict";
import * as vscode from "vscode";
import type { LlamaHomeApi } from "../../../client/api";
import type { AskResult } from "../../../shared/protocol";
import { activateIndexed, fixture, waitFor } from "./helpers";

const costQuestion = "What was the total cost of the irrigation project?";
const followUp = "Who paid for it?";

suite("Chat view (extractive engine)", () => {
    let api: LlamaHomeApi;

    suiteSetup(async () => {
        api = await activateIndexed();
        await vscode.commands.executeCommand("llamahome.clearChat");
    });

    suiteTeardown(async () => {
        await vscode.commands.executeCommand("llamahome.clearChat");
        await vscode.commands.executeCommand("workbench.action.closeAllEditors");
    });

    test("the Chat view opens in the LlamaHome activity bar container and its page starts under the CSP", async () => {
        await vscode.commands.executeCommand("llamahome.chat.focus");
        // chat.js says "ready" as its last statement: the page loaded, its nonce'd scripts ran, and it got the conversation.
        await waitFor(() => (api.chatViewReady ? true : undefined), "the chat webview to say it is ready");
        assert.deepEqual(api.chatHistory, [], "the suite starts with an empty conversation");
    });

    test("a question asked in the chat is answered, quoted from the documents, with its sources", async () => {
        const result = await vscode.commands.executeCommand<AskResult>("llamahome.chat.ask", costQuestion);
        assert.ok(result?.found, JSON.stringify(result));
        assert.equal(result.engine, "extractive");
        assert.match(result.answer, /18,420/);
        assert.deepEqual(api.chatLastAskParams?.history, [], "the first question has no conversation before it");
        assert.equal(api.chatHistory.length, 1);
        const turn = api.chatHistory[0]!;
        assert.equal(turn.question, costQuestion);
        assert.equal(turn.status, "done");
        assert.equal(turn.engine, "extractive");
        assert.equal(turn.found, true);
        assert.equal(turn.answer, result.answer);
        assert.ok(turn.ms >= 0 && turn.time <= Date.now());
        const pdf = turn.citations.find((citation) => citation.path === "reports/annual-report-2024.pdf");
        assert.ok(pdf, `the annual report is cited: ${JSON.stringify(turn.citations)}`);
        assert.equal(pdf.page, 3);
        assert.equal(vscode.Uri.parse(pdf.uri).fsPath, fixture(pdf.path).fsPath);
        // Extractive: the top 2–3 passages, not one sentence stated as fact; each opens like a citation.
        assert.ok(turn.passages && turn.passages.length >= 2 && turn.passages.length <= 3, JSON.stringify(turn.passages));
        for (const passage of turn.passages) assert.ok(passage.uri && passage.text, JSON.stringify(passage));
    });

    test("a follow-up goes with the conversation so far", async () => {
        const first = api.chatHistory[0]!;
        const result = await vscode.commands.executeCommand<AskResult>("llamahome.chat.ask", followUp);
        assert.ok(result, "an answer came back");
        assert.deepEqual(api.chatLastAskParams?.history, [{ question: costQuestion, answer: first.answer }]);
        assert.equal(api.chatHistory.length, 2);
        const turn = api.chatHistory[1]!;
        assert.equal(turn.question, followUp);
        assert.equal(turn.status, "done");
        assert.equal(turn.engine, result.engine);
        assert.equal(turn.answer, result.answer);
        assert.deepEqual(turn.citations, result.citations);
    });

    test("Ask About Selection attaches the editor selection to the next question", async () => {
        const editor = await vscode.window.showTextDocument(fixture("minutes/2025-01-14-committee-minutes.txt"));
        const lines = editor.document.getText().split("\n");
        const start = lines.findIndex((text) => text.includes("2.1 Date and venue"));
        assert.ok(start >= 0);
        editor.selection = new vscode.Selection(start, 0, start + 3, 0);
        const selected = editor.document.getText(editor.selection);
        await vscode.commands.executeCommand("llamahome.askAboutSelection");
        await waitFor(() => (api.chatViewReady ? true : undefined), "the chat view, revealed");
        const result = await vscode.commands.executeCommand<AskResult>("llamahome.chat.ask", "Where is it held?");
        assert.ok(result, "an answer came back");
        assert.equal(api.chatLastAskParams?.context, selected);
        const turn = api.chatHistory.at(-1)!;
        assert.equal(turn.context, selected);
        assert.equal(turn.contextLabel, `2025-01-14-committee-minutes.txt, lines ${start + 1}–${start + 3}`);
        // The selection went with that question only; the conversation is the last 3 found answers at most.
        const found = api.chatHistory.filter((t) => t.status === "done" && t.found).map(({ question, answer }) => ({ question, answer }));
        await vscode.commands.executeCommand<AskResult>("llamahome.chat.ask", costQuestion);
        assert.equal(api.chatLastAskParams?.context, undefined);
        assert.deepEqual(api.chatLastAskParams?.history, found.slice(-3));
    });

    test("the conversation is kept in the workspace state, and read back from it as a reloaded window does", async () => {
        const before = api.chatHistory;
        assert.equal(before.length, 4);
        const reloaded = await vscode.commands.executeCommand<readonly unknown[]>("llamahome.chat.reloadFromState");
        assert.notEqual(api.chatHistory, before, "a fresh conversation, read from the workspace state");
        assert.deepEqual(reloaded, api.chatHistory);
        assert.deepEqual(JSON.parse(JSON.stringify(api.chatHistory)), JSON.parse(JSON.stringify(before)));
        assert.equal(api.chatHistory[0]!.engine, "extractive");
        assert.ok(api.chatHistory[0]!.citations.length > 0);
        // The view shows the conversation read back (it gets it when its page says it is ready).
        await vscode.commands.executeCommand("llamahome.chat.focus");
        await waitFor(() => (api.chatViewReady ? true : undefined), "the chat webview to say it is ready");
    });

    test("Clear Chat History empties the conversation, in the workspace state too", async () => {
        await vscode.commands.executeCommand("llamahome.clearChat");
        assert.deepEqual(api.chatHistory, []);
        await vscode.commands.executeCommand("llamahome.chat.reloadFromState");
        assert.deepEqual(api.chatHistory, []);
    });
});
