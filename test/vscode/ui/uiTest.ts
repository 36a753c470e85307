// The end-to-end UI test: a user's path through the real workbench, driven with playwright-core. Every wait is on
// something visible (a status bar text, a widget, a webview element), never a fixed sleep.
import * as assert from "node:assert/strict";
import * as path from "node:path";
import type { Locator, Page } from "playwright-core";
import { palette, quickOpen, waitForText, webviewFrame } from "../workbench";

export interface UiTestOptions {
    /** Screenshots go here. */
    resultsDir: string;
    /** File name of the tiny test model in the models folder. */
    modelFile: string;
    log: (line: string) => void;
}

export async function runUiTest(page: Page, options: UiTestOptions): Promise<void> {
    const shot = async (name: string) => {
        await page.screenshot({ path: path.join(options.resultsDir, name) });
        options.log(`screenshot ${name}`);
    };
    // The dashboard re-renders a section when a live update arrives (metrics every few seconds): an element shot that
    // catches the swap is taken again of the new element, not failed.
    const elementShot = async (element: Locator, name: string) => {
        for (let attempt = 1; ; attempt++) {
            try {
                await element.screenshot({ path: path.join(options.resultsDir, name) });
                break;
            } catch (error) {
                if (attempt === 3 || !/not attached/.test((error as Error).message)) throw error;
            }
        }
        options.log(`screenshot ${name}`);
    };

    // The workbench is up and the extension reports the index in the status bar.
    await page.locator(".monaco-workbench").waitFor({ timeout: 60_000 });
    const status = page.locator(".statusbar-item", { hasText: /LlamaHome: \d+ docs/ });
    await status.waitFor({ timeout: 90_000 });
    const statusText = (await status.innerText()).replace(/\s+/g, " ");
    options.log(`status bar: "${statusText}"`);
    assert.match(statusText, /LlamaHome: 12 docs/);
    await shot("01-status-bar.png");

    // Hover summary in the editor: open README.md (Quick Open), hover the link to the annual report PDF.
    await quickOpen(page, "README.md");
    // A line renders as span > span per token; the link target is one token.
    const link = page.locator(".monaco-editor .view-line > span > span", { hasText: /^reports\/annual-report-2024\.pdf$/ }).first();
    await link.waitFor({ timeout: 30_000 });
    // Put the cursor in the link and ask for the hover with the keyboard (Ctrl+K Ctrl+I), as a mouse hover in a
    // headless browser depends on pointer timing.
    await link.click({ position: { x: 40, y: 5 } });
    await page.keyboard.press("Control+K");
    await page.keyboard.press("Control+I");
    const hover = page.locator(".monaco-hover", { hasText: "Annual Report 2024" });
    await hover.first().waitFor({ state: "visible", timeout: 30_000 });
    assert.match(await hover.first().innerText(), /5 pages/);
    await shot("02-hover-pdf-summary.png");
    await page.keyboard.press("Escape");

    // Ask a Question from the command palette; the answer panel shows the answer with clickable citations.
    await palette(page, "LlamaHome: Ask a Question");
    const input = page.locator(".quick-input-widget input");
    await input.waitFor({ state: "visible" });
    await input.fill("When will the 2025 annual general meeting be held?");
    await page.keyboard.press("Enter");
    const answer = await webviewFrame(page, "#citations");
    assert.match(await answer.locator("#result-text").innerText(), /15 March 2025/);
    assert.match(await answer.locator("#citations").innerText(), /minutes\/2025-01-14-committee-minutes\.txt, line \d+/);
    await page.locator(".notification-toast", { hasText: "answering" }).waitFor({ state: "hidden" });
    await shot("03-answer-panel.png");

    // A citation opens its document at the cited line.
    await answer.locator("#citations button").first().click();
    await page.locator(".tab.active", { hasText: "2025-01-14-committee-minutes.txt" }).waitFor();
    // The cursor position shows while the editor group has focus; the answer panel, still settling, can take it back
    // (one run in many): Ctrl+1 focuses the editor's group without moving its cursor.
    await page.keyboard.press("Control+1");
    const cursor = await page.locator(".statusbar-item", { hasText: /Ln \d+, Col \d+/ }).innerText();
    assert.match(cursor, /Ln 37,/);
    options.log(`citation opened the minutes at ${cursor.trim()}`);

    // Summarize Document from the Explorer's context menu, on the PDF.
    await page.locator(".explorer-folders-view .monaco-list-row", { hasText: /^reports$/ }).click();
    const pdf = page.locator(".explorer-folders-view .monaco-list-row", { hasText: "annual-report-2024.pdf" });
    await pdf.click({ button: "right" });
    // Chosen with the keyboard: a menu ignores a click that comes too soon after it opened.
    await page.locator(".monaco-menu .action-item", { hasText: "Summarize Document" }).hover();
    await page.locator(".monaco-menu .action-item.focused", { hasText: "Summarize Document" }).waitFor();
    await page.keyboard.press("Enter");
    const summary = await webviewFrame(page, "body.summary-view #result-text");
    assert.match(await summary.locator("h1").innerText(), /Summary of annual-report-2024\.pdf/);
    await page.locator(".notification-toast", { hasText: "summarizing" }).waitFor({ state: "hidden" });
    await shot("04-explorer-summary.png");

    // A PDF citation opens the readable text of the cited page beside the answer, the cited sentence selected.
    await palette(page, "LlamaHome: Ask a Question");
    await page.locator(".quick-input-widget input").fill("What was the total cost of the irrigation project?");
    await page.keyboard.press("Enter");
    const pdfAnswer = await webviewFrame(page, "body.answer-view #citations");
    const pdfCitation = pdfAnswer.locator("#citations button", { hasText: /annual-report-2024\.pdf, page 3/ });
    await pdfCitation.waitFor({ timeout: 30_000 });
    await page.locator(".notification-toast", { hasText: "answering" }).waitFor({ state: "hidden" });
    await pdfCitation.click();
    await page.locator(".tab.active", { hasText: "annual-report-2024.pdf — page 3" }).waitFor({ timeout: 30_000 });
    await page.locator(".monaco-editor .selected-text").first().waitFor({ timeout: 10_000 });
    await shot("04b-pdf-source-view.png");

    // Search as you type: the list follows the query without pressing Enter; each hit shows its page or line.
    await palette(page, "LlamaHome: Search Documents");
    const searchInput = page.locator(".quick-input-widget input");
    await searchInput.fill("compost");
    await page.locator(".quick-input-list .monaco-list-row", { hasText: "composting-guide.md" }).first().waitFor({ timeout: 30_000 });
    await searchInput.fill("irrigation project cost");
    // rows of the new query's hits (the compost hits list pages 2 and 5 of the report, not the cost on page 3)
    await page.locator(".quick-input-list .monaco-list-row", { hasText: /annual-report-2024\.pdf · page 3/ }).first().waitFor({ timeout: 30_000 });
    await page.locator(".quick-input-list .monaco-list-row", { hasText: "irrigation-project.md" }).first().waitFor({ timeout: 30_000 });
    await shot("04c-search-as-you-type.png");
    await page.keyboard.press("Escape");
    await searchInput.waitFor({ state: "hidden" });

    // The Chat view in the LlamaHome activity bar container: a question from its input box, answered extractively
    // (marked, with the passages it quotes and their source chips), then a follow-up; in both themes. A source chip
    // opens the readable view of the cited PDF page; the conversation is still there after the window reloads.
    await palette(page, "View: Close All Editors");
    await palette(page, "LlamaHome: Focus on Chat View");
    const chat = await webviewFrame(page, "#question");
    await chat.locator("#question").fill("What was the total cost of the irrigation project?");
    await chat.locator("#question").press("Enter");
    await chat.locator(".turn .passages").first().waitFor({ timeout: 30_000 });
    assert.match(await chat.locator(".turn .engine.extractive").first().innerText(), /Extractive — quoted from your documents/);
    assert.match(await chat.locator(".turn .passages").first().innerText(), /18,420/);
    await chat.locator("#question").fill("Who paid for it?");
    await chat.locator("#question").press("Enter");
    await waitForText(async () => String(await chat.locator(".turn .turn-foot").count()), /^2$/, "two answered turns");
    const sidebar = page.locator(".part.sidebar");
    const chatTheme = (await page.locator(".monaco-workbench.vs-dark").count()) > 0 ? "dark" : "light";
    await elementShot(sidebar, `04d-chat-${chatTheme}.png`);
    await palette(page, "Preferences: Toggle between Light/Dark Themes");
    await webviewFrame(page, chatTheme === "dark" ? "body.vscode-light #question" : "body.vscode-dark #question");
    await elementShot(sidebar, `04d-chat-${chatTheme === "dark" ? "light" : "dark"}.png`);
    await palette(page, "Preferences: Toggle between Light/Dark Themes");
    await webviewFrame(page, `body.vscode-${chatTheme} #question`);
    await chat.locator("button.chip", { hasText: "annual-report-2024.pdf · p. 3" }).first().click();
    await page.locator(".tab.active", { hasText: "annual-report-2024.pdf — page 3" }).waitFor({ timeout: 30_000 });
    options.log("a chat source chip opened the readable view of the PDF page");
    await page.reload();
    await page.locator(".statusbar-item", { hasText: /LlamaHome: \d+ docs/ }).waitFor({ timeout: 90_000 });
    await palette(page, "LlamaHome: Focus on Chat View");
    const restored = await webviewFrame(page, ".turn .passages");
    await waitForText(async () => String(await restored.locator(".turn .turn-foot").count()), /^2$/, "the conversation after a reload");
    options.log("the chat conversation was restored after the window reloaded");
    await palette(page, "View: Close All Editors");

    // Select Model: the quick pick lists the GGUFs of the workspace and the models folder, recommended hf: models,
    // a path/URI entry and "no model". Picking the tiny test model writes llamahome.model.
    await palette(page, "LlamaHome: Select Model");
    await page.locator(".quick-input-list .monaco-list-row", { hasText: options.modelFile }).waitFor();
    await shot("05-select-model.png");
    await page.locator(".quick-input-widget input").fill(options.modelFile.replace(/\.gguf$/, ""));
    await page.keyboard.press("Enter");
    await page.locator(".statusbar-item", { hasText: "llamahome-tiny" }).waitFor();

    // Now the model answers (a tiny untrained one: its words are noise, its tokens/s real).
    await palette(page, "LlamaHome: Ask a Question");
    await input.waitFor({ state: "visible" });
    await input.fill("What did the irrigation project cost?");
    await page.keyboard.press("Enter");
    await webviewFrame(page, "body.answer-view #citations", 60_000);
    await page.locator(".statusbar-item", { hasText: /tok\/s/ }).waitFor();
    options.log(`status bar: "${(await page.locator(".statusbar-item", { hasText: /LlamaHome: \d+ docs/ }).innerText()).replace(/\s+/g, " ")}"`);

    // Run Needle Test from the command palette on the tiny model: a custom grid whose longest prompt exceeds the
    // model's 4096-token training context, so the heatmap has skipped cells too. The progress notification goes, and
    // a "done" notification offers the dashboard.
    await palette(page, "LlamaHome: Run Needle Test");
    await page.locator(".quick-input-list .monaco-list-row", { hasText: "Custom…" }).waitFor();
    await input.fill("Custom");
    await page.keyboard.press("Enter");
    await page.locator(".quick-input-widget", { hasText: "Prompt lengths" }).waitFor();
    await input.fill("300,600,5000");
    await page.keyboard.press("Enter");
    await page.locator(".quick-input-widget", { hasText: "Needle depths" }).waitFor();
    await page.keyboard.press("Enter");
    await page.locator(".quick-input-widget", { hasText: "Needles per cell" }).waitFor();
    await page.keyboard.press("Enter");
    const done = page.locator(".notification-toast", { hasText: "needle test done" });
    await done.waitFor({ timeout: 60_000 });
    options.log(`notification: "${(await done.innerText()).replace(/\s+/g, " ").trim()}"`);
    await palette(page, "Notifications: Clear All Notifications");

    // The dashboard, from the command palette (F1), in the whole window (no side bar, no other editors).
    await palette(page, "View: Close All Editors");
    await palette(page, "View: Toggle Primary Side Bar Visibility");
    await page.setViewportSize({ width: 1440, height: 1500 });
    await palette(page, "LlamaHome: Open Dashboard");
    const dashboard = await webviewFrame(page, "#index-documents");
    assert.equal((await dashboard.locator("#index-documents").innerText()).trim(), "12");
    assert.equal((await dashboard.locator("#index-state").innerText()).trim(), "indexed");
    // The request just made is in the request history with its latency chart; memory is charted live.
    await dashboard.locator("#chart-latency svg").waitFor({ timeout: 30_000 });
    await dashboard.locator("#chart-memory svg").waitFor({ timeout: 30_000 });
    await dashboard.locator("#chart-speed svg").waitFor({ timeout: 30_000 });
    await shot("06-dashboard.png");

    // Benchmarks and evaluation: the benchmark the integration suite ran, the ROUGE and retrieval results the runner
    // saved with the CLI, and the needle heatmap just made (rows: lengths, columns: depths; the 5000-token row skipped, with why).
    const heatmap = dashboard.locator("#heatmap-full");
    await heatmap.waitFor({ timeout: 30_000 });
    assert.equal(await heatmap.locator("tbody td").count(), 9);
    assert.equal(await heatmap.locator("tbody td.skipped").count(), 3);
    assert.match((await heatmap.locator("tbody td.skipped").first().getAttribute("title")) ?? "", /exceeds the model's training context \(4096\)/);
    assert.match((await heatmap.locator("tbody td").first().getAttribute("title")) ?? "", /300 tokens, needle at 10%/);
    await dashboard.locator("#chart-bench-docs svg").waitFor();
    await dashboard.locator("#chart-bench-tokens svg").waitFor();
    assert.match(await dashboard.locator("#bench-formats").innerText(), /PDF/);
    assert.match(await dashboard.locator("#rouge-table tfoot").innerText(), /Mean/);
    assert.match(await dashboard.locator("#retrieval-table tfoot").innerText(), /^All\s+12\s/);
    assert.match(await dashboard.locator("#retrieval .meta").first().innerText(), /· BM25 search · extractive answers ·/, "which retrieval the saved run used");
    // The reference table the extension ships (the project's needle model): one heatmap per policy, several needles a cell.
    const reference = dashboard.locator("#heatmap-needle-reference-h2o");
    await reference.waitFor();
    assert.match(await reference.locator("tbody td").first().innerText(), /^\d+\/\d+/);
    assert.equal(await dashboard.locator("#needle-reference table.heatmap").count(), 4, "full, h2o, query-aware and sink-window");
    await elementShot(dashboard.locator("#evaluation"), "06b-dashboard-evaluation.png");

    // Theme colours: the same dashboard in the other (dark or light) theme.
    const dark = (await page.locator(".monaco-workbench.vs-dark").count()) > 0;
    await palette(page, "Preferences: Toggle between Light/Dark Themes");
    await page.locator(dark ? ".monaco-workbench.vs" : ".monaco-workbench.vs-dark").waitFor();
    await webviewFrame(page, dark ? "body.vscode-light #index-documents" : "body.vscode-dark #index-documents");
    await shot(dark ? "07-dashboard-light.png" : "07-dashboard-dark.png");
    const themed = await webviewFrame(page, "#heatmap-full");
    await elementShot(themed.locator("#evaluation"), dark ? "07b-dashboard-evaluation-light.png" : "07b-dashboard-evaluation-dark.png");

    // The status bar item opens the dashboard too.
    await palette(page, "View: Close All Editors");
    await page.locator(".statusbar-item", { hasText: /LlamaHome: \d+ docs/ }).click();
    await webviewFrame(page, "#index-documents");
    options.log("the status bar item opened the dashboard");
}
