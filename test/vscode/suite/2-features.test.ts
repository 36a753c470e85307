/// <reference types="mocha" />
import * as assert from "node:assert/strict";
import * as vscode from "vscode";
import type { AskResult, SummarizeResult } from "../../../shared/protocol";
import type { LlamaHomeApi } from "../../../client/api";
import { zipOf } from "../../helpers/zip";
import { activateIndexed, fixture, hoverText, waitFor, waitForIndex } from "./helpers";

suite("Hovers, summaries and answers (extractive engine)", () => {
    let api: LlamaHomeApi;

    suiteSetup(async () => {
        api = await activateIndexed();
    });

    teardown(async () => {
        await vscode.commands.executeCommand("workbench.action.closeAllEditors");
    });

    test("hovering a Markdown link to a PDF shows the PDF's summary, title, format and pages", async () => {
        const readme = await vscode.workspace.openTextDocument(fixture("README.md"));
        await vscode.window.showTextDocument(readme);
        const line = readme.getText().split("\n").findIndex((text) => text.includes("(reports/annual-report-2024.pdf)"));
        assert.ok(line >= 0, "README links to the annual report");
        const character = readme.lineAt(line).text.indexOf("reports/annual-report-2024.pdf") + 5;
        const hovers = await vscode.commands.executeCommand<vscode.Hover[]>("vscode.executeHoverProvider", readme.uri, new vscode.Position(line, character));
        const text = hoverText(hovers);
        assert.match(text, /Annual Report 2024/);
        assert.match(text, /PDF · [\d.]+ KB · 5 pages/);
        assert.match(text, /Treasurer|reserves|tenancies|allotment|Society/, "the hover has the summary");
        assert.match(text, /extractive summary/);
        // its "Summarize…" link runs Summarize Document on the PDF, with the URI string the link carries
        const link = /command:llamahome\.summarizeDocument\?([^\s)]+)/.exec(text);
        assert.ok(link, `a Summarize… link in the hover: ${text}`);
        const [uri] = JSON.parse(decodeURIComponent(link[1]!)) as [string];
        const summary = await vscode.commands.executeCommand<{ engine: string; summary: string }>("llamahome.summarizeDocument", uri);
        assert.equal(summary?.engine, "extractive");
        assert.ok((summary?.summary.length ?? 0) > 0);
    });

    test("hovering a Markdown heading summarizes its section", async () => {
        const readme = await vscode.workspace.openTextDocument(fixture("README.md"));
        const line = readme.getText().split("\n").findIndex((text) => text === "## About the site");
        const hovers = await vscode.commands.executeCommand<vscode.Hover[]>("vscode.executeHoverProvider", readme.uri, new vscode.Position(line, 5));
        const text = hoverText(hovers);
        assert.match(text, /About the site/);
        assert.match(text, /section summary/);
        assert.match(text, /plots|Mill Lane/);
    });

    test("Summarize Document summarizes a PDF given as from the Explorer's context menu", async () => {
        const result = await vscode.commands.executeCommand<SummarizeResult>("llamahome.summarizeDocument", fixture("reports/annual-report-2024.pdf"));
        assert.ok(result, "a summary came back");
        assert.equal(result.engine, "extractive");
        // Sentences of the report itself (its running header is not prose and is dropped).
        assert.match(result.summary, /the Society had 63 tenancies/);
        assert.ok(result.summary.length > 200);
    });

    test("Summarize Document uses the active editor when given nothing (DOCX via the explorer, Markdown here)", async () => {
        await vscode.window.showTextDocument(fixture("notes/irrigation-project.md"));
        const result = await vscode.commands.executeCommand<SummarizeResult>("llamahome.summarizeDocument");
        assert.match(result?.summary ?? "", /tap|water|irrigation/i);
        const docx = await vscode.commands.executeCommand<SummarizeResult>("llamahome.summarizeDocument", fixture("docs/plot-holder-handbook.docx"));
        assert.match(docx?.summary ?? "", /plot|tenan/i);
        assert.notEqual(docx?.summary, result?.summary, "each document gets its own summary");
    });

    test("Summarize Selection summarizes only the selected lines", async () => {
        const editor = await vscode.window.showTextDocument(fixture("minutes/2025-01-14-committee-minutes.txt"));
        const lines = editor.document.getText().split("\n");
        const start = lines.findIndex((text) => text.includes("2.1 Date and venue"));
        assert.ok(start >= 0);
        editor.selection = new vscode.Selection(start, 0, start + 4, 0);
        const result = await vscode.commands.executeCommand<SummarizeResult>("llamahome.summarizeSelection");
        assert.ok(result, "a summary came back");
        assert.match(result.summary, /15 March 2025|St Anne's Church Hall/);
        assert.doesNotMatch(result.summary, /Apologies|Present:/, "only the selection is summarized");
    });

    test("Ask a Question answers with citations to the document and line", async () => {
        const result = await vscode.commands.executeCommand<AskResult>("llamahome.ask", "When will the 2025 annual general meeting be held?");
        assert.ok(result, "an answer came back");
        assert.equal(result.found, true);
        assert.match(result.answer, /15 March 2025/);
        const minutes = result.citations.find((c) => c.path === "minutes/2025-01-14-committee-minutes.txt");
        assert.ok(minutes, `the minutes are cited: ${JSON.stringify(result.citations)}`);
        assert.ok(minutes.line && minutes.line > 1, "with a line");
        assert.equal(vscode.Uri.parse(minutes.uri).fsPath, fixture(minutes.path).fsPath);
    });

    test("Ask a Question cites PDF pages", async () => {
        const result = await vscode.commands.executeCommand<AskResult>("llamahome.ask", "What was the total cost of the irrigation project?");
        assert.ok(result?.found, JSON.stringify(result));
        assert.match(result.answer, /18,420/);
        const pdf = result.citations.find((c) => c.path === "reports/annual-report-2024.pdf");
        assert.ok(pdf, `the annual report is cited: ${JSON.stringify(result.citations)}`);
        assert.equal(pdf.page, 3);
    });

    test("Ask a Question says when the documents do not contain the answer", async () => {
        const result = await vscode.commands.executeCommand<AskResult>("llamahome.ask", "What is the airspeed velocity of an unladen swallow?");
        assert.ok(result);
        assert.equal(result.found, false);
    });

    test("a citation opens its document at the cited line", async () => {
        const result = await vscode.commands.executeCommand<AskResult>("llamahome.ask", "When will the 2025 annual general meeting be held?");
        const citation = result?.citations.find((c) => c.line);
        assert.ok(citation);
        await vscode.commands.executeCommand("llamahome.openCitation", citation);
        const editor = await waitFor(
            () => (vscode.window.activeTextEditor?.document.uri.fsPath === vscode.Uri.parse(citation.uri).fsPath ? vscode.window.activeTextEditor : undefined),
            `an editor on ${citation.path}`,
        );
        assert.equal(editor.selection.active.line, citation.line! - 1);
    });

    test("a PDF citation opens the readable text of its page beside the editor, the cited sentence selected", async () => {
        const result = await vscode.commands.executeCommand<AskResult>("llamahome.ask", "What was the total cost of the irrigation project?");
        const citation = result?.citations.find((c) => c.path === "reports/annual-report-2024.pdf");
        assert.ok(citation?.page, JSON.stringify(result?.citations));
        await vscode.commands.executeCommand("llamahome.openCitation", citation);
        const editor = await waitFor(
            () => (vscode.window.activeTextEditor?.document.uri.scheme === "llamahome-source" ? vscode.window.activeTextEditor : undefined),
            "a readable view of the PDF",
        );
        assert.equal(decodeURIComponent(editor.document.uri.path), `/annual-report-2024.pdf — page ${citation.page}`);
        assert.match(editor.document.getText(editor.selection), /18,420/);
        assert.ok(editor.document.getText().length > editor.document.getText(editor.selection).length);
        assert.equal(editor.viewColumn, vscode.ViewColumn.Two, "beside the editor");
    });

    test("a DOCX source opens as its extracted text, not as a binary file, with the passage selected", async () => {
        const docx = fixture("docs/plot-holder-handbook.docx");
        await vscode.commands.executeCommand("llamahome.openCitation", { uri: docx.toString(), path: "docs/plot-holder-handbook.docx", offset: 0, length: 12 });
        const editor = await waitFor(
            () => (vscode.window.activeTextEditor?.document.uri.path.includes("plot-holder-handbook.docx") ? vscode.window.activeTextEditor : undefined),
            "a readable view of the DOCX",
        );
        assert.equal(editor.document.uri.scheme, "llamahome-source");
        assert.match(editor.document.getText(), /plot/i);
        assert.equal(editor.document.getText(editor.selection).length, 12);
    });

    test("EPUB and HTML sources open as their extracted text with the cited passage selected", async () => {
        // Written into the workspace for this test and removed after it: the other suites count 12 documents.
        const folder = vscode.Uri.joinPath(fixture("."), "manuals");
        const page = (body: string) => `<?xml version="1.0" encoding="UTF-8"?>\n<html xmlns="http://www.w3.org/1999/xhtml"><head><title>t</title></head><body>${body}</body></html>`;
        const epub = zipOf([
            { name: "mimetype", data: Buffer.from("application/epub+zip") },
            { name: "META-INF/container.xml", data: Buffer.from('<container><rootfiles><rootfile full-path="OEBPS/content.opf"/></rootfiles></container>') },
            { name: "OEBPS/content.opf", data: Buffer.from('<package xmlns="http://www.idpf.org/2007/opf" version="3.0"><metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>Beekeeping on the Site</dc:title></metadata><manifest><item id="c1" href="c1.xhtml" media-type="application/xhtml+xml"/><item id="c2" href="c2.xhtml" media-type="application/xhtml+xml"/></manifest><spine><itemref idref="c1"/><itemref idref="c2"/></spine></package>') },
            { name: "OEBPS/c1.xhtml", data: Buffer.from(page("<h1>Hives</h1><p>Hives must stand at least <em>five metres</em> from any path.</p>")) },
            { name: "OEBPS/c2.xhtml", data: Buffer.from(page("<h1>Swarms</h1><p>Report a swarm to the <a href='#'>Bee Officer</a> on the same day.</p>")) },
        ]);
        await vscode.workspace.fs.writeFile(vscode.Uri.joinPath(folder, "beekeeping.epub"), epub);
        await vscode.workspace.fs.writeFile(vscode.Uri.joinPath(folder, "bonfire-rules.html"), Buffer.from("<html><head><title>Bonfire rules</title></head><body><h1>Bonfires</h1><p>Garden waste may be burnt in the incinerator bin on the first Sunday of each month.</p></body></html>"));
        try {
            await waitForIndex(api, (status) => status.documents === 14, "the two manuals indexed");
            for (const [question, file, quoted] of [
                ["How far from a path must hives stand?", "beekeeping.epub", /five metres/],
                ["When may garden waste be burnt in the incinerator bin?", "bonfire-rules.html", /first Sunday of each month/],
            ] as const) {
                const result = await vscode.commands.executeCommand<AskResult>("llamahome.ask", question);
                const citation = result?.citations.find((c) => c.path === `manuals/${file}`);
                assert.ok(citation, `${question}: ${JSON.stringify(result)}`);
                await vscode.commands.executeCommand("llamahome.openCitation", citation);
                const editor = await waitFor(
                    () => (vscode.window.activeTextEditor?.document.uri.path.includes(file) ? vscode.window.activeTextEditor : undefined),
                    `a readable view of ${file}`,
                );
                assert.equal(editor.document.uri.scheme, "llamahome-source");
                assert.match(editor.document.getText(editor.selection), quoted);
                assert.doesNotMatch(editor.document.getText(), /<p>|<em>/, "extracted text, not markup");
            }
        } finally {
            await vscode.workspace.fs.delete(folder, { recursive: true });
            await waitForIndex(api, (status) => status.documents === 12, "the manuals gone from the index");
        }
    });

    test("results and the dashboard open as webview panels", async () => {
        await vscode.commands.executeCommand("llamahome.openDashboard");
        const viewTypes = () => vscode.window.tabGroups.all.flatMap((group) => group.tabs).map((tab) => (tab.input instanceof vscode.TabInputWebview ? tab.input.viewType : ""));
        await waitFor(() => (viewTypes().some((type) => type.endsWith("llamahome.dashboard")) ? true : undefined), "the dashboard tab");
        await vscode.commands.executeCommand("llamahome.ask", "Who is the Treasurer?");
        await waitFor(() => (viewTypes().some((type) => type.endsWith("llamahome.result")) ? true : undefined), "the result tab");
    });
});
