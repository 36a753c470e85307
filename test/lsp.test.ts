// The real server over stdio with a real LSP client: initialize → progress → search → file change → shutdown.
import assert from "node:assert/strict";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { test, type TestContext } from "node:test";
import { pathToFileURL } from "node:url";
import {
    AskDocumentRequest, AskRequest, IndexStatusRequest, MetricsNotification, SearchRequest, SourceTextRequest, SummarizeRequest, type AskResult, type ChatTurn, type MetricsParams,
} from "../shared/protocol";
import { writeTinyModel } from "../server/llm/gguf/tinyModel";
import { startServer } from "../server/eval/LspServerProbe";
import { codeSpan, escapeMarkdown } from "../server/lsp/markdown";

test("language server indexes on initialize with progress, answers search, follows file changes", async (t) => {
    const base = await fs.mkdtemp(path.join(os.tmpdir(), "llamahome-lsp-"));
    t.after(() => fs.rm(base, { recursive: true, force: true }));
    const root = path.join(base, "workspace");
    await fs.mkdir(path.join(root, "notes"), { recursive: true });
    await fs.writeFile(path.join(root, "notes", "orchard.md"), "# Orchard\n\nThe quince trees were pruned in February by the volunteers.\n");
    await fs.writeFile(path.join(root, "minutes.txt"), "Line one.\nThe treasurer reported a surplus of 412 pounds.\n");
    await fs.writeFile(path.join(root, "excluded.txt"), "The treasurer also keeps excluded notes.\n");

    const server = startServer({ index: { exclude: ["excluded.txt"] } });
    t.after(() => server.stop());
    const rootUri = pathToFileURL(root).toString();
    const init = await server.connection.sendRequest("initialize", {
        processId: process.pid,
        rootUri,
        workspaceFolders: [{ uri: rootUri, name: "workspace" }],
        capabilities: { window: { workDoneProgress: true }, workspace: { configuration: true, didChangeWatchedFiles: { dynamicRegistration: true } } },
        initializationOptions: { cacheDir: path.join(base, "cache") },
    });
    assert.equal((init as { serverInfo: { name: string } }).serverInfo.name, "llamahome");
    await server.connection.sendNotification("initialized", {});

    const indexed = await server.waitForStatus((status) => status.state === "indexed");
    assert.equal(indexed.documents, 2, "the excluded file stays out (settings read over workspace/configuration)");
    assert.equal(server.progress[0]?.kind, "begin");
    assert.equal(server.progress.at(-1)?.kind, "end");
    assert.ok(server.progress.some((event) => event.kind === "report"), "reports per-file progress");

    const result = await server.connection.sendRequest(SearchRequest, { query: "treasurer surplus", top: 5 });
    assert.equal(result.results.length, 1);
    const [hit] = result.results;
    assert.equal(hit.path, "minutes.txt");
    assert.equal(hit.uri, pathToFileURL(path.join(root, "minutes.txt")).toString());
    assert.equal(hit.line, 1);
    assert.deepEqual(hit.range?.start, { line: 0, character: 0 });
    assert.match(hit.snippet, /surplus of 412 pounds/);
    assert.ok(hit.score > 0);

    // A new file, announced the way VS Code's watcher does it, is indexed incrementally.
    await fs.writeFile(path.join(root, "harvest.txt"), "The harvest festival raised money for the new polytunnel.\n");
    const before = server.statuses.length;
    await server.connection.sendNotification("workspace/didChangeWatchedFiles", { changes: [{ uri: pathToFileURL(path.join(root, "harvest.txt")).toString(), type: 1 }] });
    await server.waitForStatus((status) => server.statuses.indexOf(status) >= before && status.state === "indexed" && status.documents === 3);
    const polytunnel = await server.connection.sendRequest(SearchRequest, { query: "polytunnel" });
    assert.deepEqual(polytunnel.results.map((r) => r.path), ["harvest.txt"]);

    const status = await server.connection.sendRequest(IndexStatusRequest);
    assert.equal(status.documents, 3);
    assert.equal(status.state, "indexed");

    await server.stop();
    assert.equal(server.process.exitCode, 0, `server exits cleanly after shutdown/exit; stderr: ${server.stderr()}`);
});

test("hover on a link to a PDF shows its summary; hover on a heading summarizes the section; summarize and ask answer with citations", async (t) => {
    const { root, server } = await indexedSamples(t, "llamahome-lsp-samples-");

    const readme = pathToFileURL(path.join(root, "README.md")).toString();
    const readmeLines = (await fs.readFile(path.join(root, "README.md"), "utf8")).split("\n");
    const linkLine = readmeLines.findIndex((line) => line.includes("(reports/annual-report-2024.pdf)"));
    const character = readmeLines[linkLine].indexOf("reports/annual-report-2024.pdf") + 3;
    const hover = (await server.connection.sendRequest("textDocument/hover", { textDocument: { uri: readme }, position: { line: linkLine, character } })) as {
        contents: { kind: string; value: string };
        range: { start: { line: number } };
    };
    assert.equal(hover.contents.kind, "markdown");
    assert.match(hover.contents.value, /PDF · .*KB · 5 pages · `reports\/annual-report-2024\.pdf`/);
    assert.match(hover.contents.value, /extractive summary/);
    assert.ok(hover.contents.value.length > 200, "carries a real summary");
    // a glance, not the whole summary: a few lines, then a link that summarizes the document in the panel
    const glance = hover.contents.value.split("\n\n")[1]!;
    assert.ok(glance.length > 40 && glance.length <= 400, `a few lines of summary (${glance.length} characters)`);
    const link = /\[Summarize…\]\(command:llamahome\.summarizeDocument\?([^\s)]+) "/.exec(hover.contents.value);
    assert.ok(link, "a Summarize… link");
    assert.deepEqual(JSON.parse(decodeURIComponent(link[1]!)), [pathToFileURL(path.join(root, "reports", "annual-report-2024.pdf")).toString()]);
    assert.equal(hover.range.start.line, linkLine);
    // Plain prose, away from any link or heading: nothing.
    const proseLine = readmeLines.findIndex((line) => /^[A-Z][a-z]/.test(line) && !line.includes("](") && !/\.\w{2,4}\b/.test(line));
    assert.equal(await server.connection.sendRequest("textDocument/hover", { textDocument: { uri: readme }, position: { line: proseLine, character: 1 } }), null);

    const notes = pathToFileURL(path.join(root, "notes", "irrigation-project.md")).toString();
    const noteLines = (await fs.readFile(path.join(root, "notes", "irrigation-project.md"), "utf8")).split("\n");
    const fundingLine = noteLines.indexOf("## Funding");
    const section = (await server.connection.sendRequest("textDocument/hover", { textDocument: { uri: notes }, position: { line: fundingLine, character: 4 } })) as { contents: { value: string } };
    assert.match(section.contents.value, /^\*\*Funding\*\* — section summary/);
    const sectionText = noteLines.slice(fundingLine + 1, noteLines.findIndex((l, i) => i > fundingLine && l.startsWith("## "))).join(" ");
    // the hover escapes Markdown in document text; compare the text it stands for
    for (const sentence of section.contents.value.split("\n\n")[1].replace(/\\(.)/g, "$1").split(/(?<=\.) /)) {
        assert.ok(sectionText.replace(/[*_`]/g, "").replace(/\s+/g, " ").includes(sentence.slice(0, 30)), `section summary sentence comes from the section: ${sentence}`);
    }

    const streamed: string[] = [];
    server.connection.onNotification("llamahome/stream", (params: { streamId: string; text: string }) => params.streamId === "s1" && streamed.push(params.text));
    const summary = await server.connection.sendRequest(SummarizeRequest, { uri: pathToFileURL(path.join(root, "docs", "plot-holder-handbook.docx")).toString(), streamId: "s1" });
    assert.equal(summary.engine, "extractive");
    assert.ok(summary.summary.length > 100);
    assert.equal(streamed.join(""), summary.summary);

    const selection = await server.connection.sendRequest(SummarizeRequest, { uri: notes, range: { start: { line: fundingLine, character: 0 }, end: { line: fundingLine + 12, character: 0 } } });
    assert.ok(selection.summary.length > 0 && selection.summary.length < summary.summary.length * 3);

    const answer = await server.connection.sendRequest(AskRequest, { question: "How much did the irrigation project cost in the end?" });
    assert.equal(answer.found, true);
    assert.match(answer.answer, /£18,420/);
    const { offset, length, ...place } = answer.citations[0]!;
    assert.deepEqual(place, { path: "reports/annual-report-2024.pdf", page: 3, uri: pathToFileURL(path.join(root, "reports", "annual-report-2024.pdf")).toString() });
    assert.ok(offset! >= 0 && length! > 0);
    // the readable view of that source: the cited page's extracted text, the answer's sentence selected in it
    const source = await server.connection.sendRequest(SourceTextRequest, { uri: place.uri, page: 3, offset, length });
    assert.equal(source.title, "annual-report-2024.pdf — page 3");
    const lines = source.text.split("\n");
    const { start, end } = source.selection!;
    const selected = start.line === end.line ? lines[start.line]!.slice(start.character, end.character) : [lines[start.line]!.slice(start.character), ...lines.slice(start.line + 1, end.line), lines[end.line]!.slice(0, end.character)].join("\n");
    assert.match(selected, /18,420/);
    const whole = await server.connection.sendRequest(SourceTextRequest, { uri: place.uri });
    assert.equal(whole.title, "annual-report-2024.pdf — text");
    assert.ok(whole.text.length > source.text.length && whole.text.includes(source.text.slice(0, 200)));
    await assert.rejects(server.connection.sendRequest(SourceTextRequest, { uri: pathToFileURL(path.join(os.tmpdir(), "elsewhere.pdf")).toString() }), /not in a workspace folder/);
    await assert.rejects(server.connection.sendRequest(SourceTextRequest, { uri: pathToFileURL(path.join(root, "no-such-file.pdf")).toString() }), /not indexed/);

    const unknown = await server.connection.sendRequest(AskRequest, { question: "What is the population of Ulaanbaatar?" });
    assert.equal(unknown.found, false);
    assert.deepEqual(unknown.citations, []);
    assert.match(unknown.answer, /do not appear to contain/);
});

test("follow-up questions over the protocol: the history carries the subject, a subject the documents lack stays not found, malformed history and context are ignored, a selection gives the subject", async (t) => {
    const { root, server } = await indexedSamples(t, "llamahome-lsp-followup-");
    const ask = (params: Record<string, unknown>) => server.connection.sendRequest("llamahome/ask", params) as Promise<AskResult>;
    const notes = pathToFileURL(path.join(root, "notes", "irrigation-project.md")).toString();

    const first = await server.connection.sendRequest(AskRequest, { question: "What pipe was used for the new water main?" });
    const pipe: ChatTurn = { question: "What pipe was used for the new water main?", answer: first.answer };
    const followUp = "How deep was it laid?";
    // alone, "it" is whatever its words match: a wire mesh buried thirty centimetres deep, in the minutes
    const alone = await ask({ question: followUp });
    assert.doesNotMatch(alone.answer, /75 centimetres/);
    assert.ok(!alone.citations.some((c) => c.uri === notes), JSON.stringify(alone.citations));
    // with the conversation, the water main
    const streamed: string[] = [];
    server.connection.onNotification("llamahome/stream", (params: { streamId: string; text: string }) => params.streamId === "f1" && streamed.push(params.text));
    const answered = await server.connection.sendRequest(AskRequest, { question: followUp, history: [pipe], streamId: "f1" });
    assert.equal(answered.found, true);
    assert.match(answered.answer, /laid at a depth of at least 75 centimetres/);
    assert.deepEqual([answered.citations[0]?.path, answered.citations[0]?.uri], ["notes/irrigation-project.md", notes]);
    assert.equal(answered.passages?.[0]?.uri, notes);
    assert.equal(streamed.join(""), answered.answer);
    // turns that point back themselves pass the subject on, within the last 3 turns: the water main 3 turns back counts, 4 back is forgotten
    const chatter = { question: "And what about it?", answer: "The indexed documents do not appear to contain the answer to this question." };
    assert.match((await ask({ question: followUp, history: [pipe, chatter, chatter] })).answer, /75 centimetres/);
    assert.deepEqual((await ask({ question: followUp, history: [pipe, chatter, chatter, chatter] })).citations, alone.citations);

    // the same follow-up about something the documents lack
    const lacking = await ask({ question: followUp, history: [{ question: "What is the capital of Mongolia?", answer: "Ulaanbaatar." }] });
    assert.equal(lacking.found, false);
    assert.deepEqual(lacking.citations, []);
    assert.match(lacking.answer, /do not appear to contain/);

    // malformed history and context: left out, the question answered as if they were not sent
    const plain = { found: alone.found, citations: alone.citations };
    const malformed: Record<string, unknown>[] = [
        { history: "What pipe was used for the new water main?" },
        { history: { question: pipe.question, answer: pipe.answer } },
        { history: [null, 7, "text", [pipe.question], { question: 1, answer: "a" }, { question: pipe.question }, { answer: pipe.answer }, { question: pipe.question, answer: null }] },
        { history: null, context: 42 },
        { context: { text: "the water main" } },
        { context: ["the water main"], history: [{}] },
        { context: "   \n  " },
    ];
    for (const extra of malformed) {
        const result = await ask({ question: followUp, ...extra });
        assert.deepEqual({ found: result.found, citations: result.citations }, plain, JSON.stringify(extra));
    }
    // well-formed turns among malformed ones still count, and oversized ones are cut, not refused
    const mixed = await ask({ question: followUp, history: [null, { question: 5 }, { question: `${pipe.question} ${"x".repeat(50_000)}`, answer: "y".repeat(100_000) }, "?"], context: 12 });
    assert.match(mixed.answer, /75 centimetres/);
    // a question that is not text is refused as such, and the server keeps answering
    await assert.rejects(ask({ question: { text: followUp } }), /question must be text/);
    assert.equal((await ask({ question: followUp, history: [pipe] })).found, true);

    // selected text as the subject of a question without one
    assert.equal((await ask({ question: "Who is he?" })).found, false);
    const selected = await ask({ question: "Who is he?", context: `Colin Pritchard${" ".repeat(10)}${"and so on ".repeat(1_000)}` });
    assert.equal(selected.found, true);
    assert.match(selected.answer, /independent examiner, Colin Pritchard/);
    assert.deepEqual([selected.citations[0]?.path, selected.citations[0]?.page], ["reports/annual-report-2024.pdf", 3]);
});

test("with a model configured, summarize and ask run on it and report metrics; a model set or cleared while running applies to the next request; a bad model degrades to extractive with a warning", async (t) => {
    const base = await fs.mkdtemp(path.join(os.tmpdir(), "llamahome-lsp-model-"));
    t.after(() => fs.rm(base, { recursive: true, force: true }));
    const root = path.join(base, "ws");
    await fs.mkdir(root);
    await fs.writeFile(path.join(root, "orchard.md"), "# Orchard\n\nThe quince trees were pruned in February by the volunteers. The pears cropped well.\n");
    const model = path.join(base, "tiny.gguf");
    await writeTinyModel(model, { seed: 3 });

    const start = async (settings: Record<string, unknown>) => {
        const server = startServer(settings);
        t.after(() => server.stop());
        const rootUri = pathToFileURL(root).toString();
        await server.connection.sendRequest("initialize", {
            processId: process.pid, rootUri, workspaceFolders: [{ uri: rootUri, name: "ws" }], capabilities: { workspace: { configuration: true } },
            initializationOptions: { cacheDir: path.join(base, "cache") },
        });
        await server.connection.sendNotification("initialized", {});
        await server.waitForStatus((status) => status.state === "indexed");
        return server;
    };

    const server = await start({ model, gpu: "cpu", contextSize: 1024 });
    const metrics: MetricsParams[] = [];
    server.connection.onNotification(MetricsNotification, (sample) => metrics.push(sample));
    const uri = pathToFileURL(path.join(root, "orchard.md")).toString();
    const summary = await server.connection.sendRequest(SummarizeRequest, { uri });
    assert.equal(summary.engine, "llm");
    assert.equal(summary.warning, undefined);
    assert.ok((summary.tokens ?? 0) > 0);
    const answer = await server.connection.sendRequest(AskRequest, { question: "When were the quince trees pruned?" });
    assert.equal(answer.engine, "llm");
    assert.ok(answer.citations.length > 0 && answer.citations.every((c) => c.path === "orchard.md"));
    // a follow-up: alone it names nothing, so the model is not asked; with the conversation (and a selection) it is
    const bare = await server.connection.sendRequest(AskRequest, { question: "Who did that?" });
    assert.deepEqual([bare.engine, bare.found, bare.tokens], ["llm", false, 0]);
    const followed = await server.connection.sendRequest(AskRequest, {
        question: "Who did that?", history: [{ question: "When were the quince trees pruned?", answer: answer.answer }], context: "The pears cropped well.",
    });
    assert.equal(followed.engine, "llm");
    assert.ok((followed.tokens ?? 0) > 0, "the model answered");
    assert.ok(followed.citations.length > 0 && followed.citations.every((c) => c.path === "orchard.md"));
    while (!metrics.some((m) => m.inferenceRssBytes)) await new Promise((resolve) => setTimeout(resolve, 50));
    assert.ok(metrics.some((m) => (m.inferenceRssBytes ?? 0) > 0 && (m.serverRssBytes ?? 0) > 0 && m.gpu === "cpu"), JSON.stringify(metrics));
    await server.stop();

    // A model chosen while the server runs answers the very next request (no waiting for the re-index it triggers),
    // and clearing it goes back to the extractive engine just as fast.
    // startServer answers workspace/configuration from this object, so changing it changes the client's settings.
    const settings: Record<string, unknown> = {};
    const switching = await start(settings);
    const question = { question: "When were the quince trees pruned?" };
    assert.equal((await switching.connection.sendRequest(AskRequest, question)).engine, "extractive");
    Object.assign(settings, { model, gpu: "cpu", contextSize: 1024 });
    await switching.connection.sendNotification("workspace/didChangeConfiguration", { settings: null });
    assert.equal((await switching.connection.sendRequest(AskRequest, question)).engine, "llm");
    delete settings.model;
    await switching.connection.sendNotification("workspace/didChangeConfiguration", { settings: null });
    assert.equal((await switching.connection.sendRequest(AskRequest, question)).engine, "extractive");
    await switching.stop();

    const broken = path.join(base, "broken.gguf");
    await fs.writeFile(broken, (await fs.readFile(model)).subarray(0, 4096));
    const degraded = await start({ model: broken });
    const fallback = await degraded.connection.sendRequest(SummarizeRequest, { uri });
    assert.equal(fallback.engine, "extractive");
    assert.match(fallback.warning ?? "", /could not be loaded.*broken\.gguf/);
    const search = await degraded.connection.sendRequest(SearchRequest, { query: "quince" });
    assert.equal(search.results[0]?.path, "orchard.md", "the server keeps serving search");
    assert.equal(degraded.process.exitCode, null, "the server is still running");
});

test("a model URI is downloaded with work-done progress, then answers", async (t) => {
    const base = await fs.mkdtemp(path.join(os.tmpdir(), "llamahome-lsp-download-"));
    t.after(() => fs.rm(base, { recursive: true, force: true }));
    const root = path.join(base, "ws");
    await fs.mkdir(root);
    await fs.writeFile(path.join(root, "notes.md"), "# Notes\n\nThe beehives were inspected in May by the apiary volunteers.\n");
    const model = await fs.readFile(await (async () => {
        const file = path.join(base, "tiny.gguf");
        await writeTinyModel(file, { seed: 9, layers: 4, embd: 128 });
        return file;
    })());
    const http = await import("node:http");
    const served = http.createServer((_request, response) => {
        response.writeHead(200, { "content-type": "application/octet-stream", "content-length": model.length });
        response.end(model);
    });
    await new Promise<void>((resolve) => served.listen(0, "127.0.0.1", resolve));
    t.after(() => served.close());
    const url = `http://127.0.0.1:${(served.address() as { port: number }).port}/tiny.gguf`;

    const server = startServer({ model: url, gpu: "cpu", contextSize: 1024 }, { XDG_CACHE_HOME: path.join(base, "xdg") });
    t.after(() => server.stop());
    const rootUri = pathToFileURL(root).toString();
    await server.connection.sendRequest("initialize", {
        processId: process.pid, rootUri, workspaceFolders: [{ uri: rootUri, name: "ws" }],
        capabilities: { window: { workDoneProgress: true }, workspace: { configuration: true } }, initializationOptions: { cacheDir: path.join(base, "cache") },
    });
    await server.connection.sendNotification("initialized", {});
    await server.waitForStatus((status) => status.state === "indexed");
    const summary = await server.connection.sendRequest(SummarizeRequest, { uri: pathToFileURL(path.join(root, "notes.md")).toString() });
    assert.equal(summary.engine, "llm", summary.warning);
    const download = server.progress.filter((event) => event.kind === "begin" && /downloading the model/.test(event.title));
    assert.equal(download.length, 1, JSON.stringify(server.progress));
    assert.equal(server.progress.at(-1)?.kind, "end");
    await fs.access(path.join(base, "xdg", "llamahome", "models"));
});

test("ask about one whole document: answers from it with its page; refuses files outside the workspace, through links too", async (t) => {
    const base = await fs.mkdtemp(path.join(os.tmpdir(), "llamahome-lsp-askdoc-"));
    t.after(() => fs.rm(base, { recursive: true, force: true }));
    const root = path.join(base, "workspace");
    await fs.mkdir(root, { recursive: true });
    await fs.cp(path.join(__dirname, "..", "samples", "workspace", "reports"), path.join(root, "reports"), { recursive: true });
    await fs.writeFile(path.join(base, "secret.txt"), "The vault combination is 4-8-15-16-23-42.\n");
    await fs.symlink(path.join(base, "secret.txt"), path.join(root, "linked-secret.txt"));
    const server = startServer();
    t.after(() => server.stop());
    const rootUri = pathToFileURL(root).toString();
    await server.connection.sendRequest("initialize", {
        processId: process.pid, rootUri, workspaceFolders: [{ uri: rootUri, name: "workspace" }], capabilities: {},
        initializationOptions: { cacheDir: path.join(base, "cache") },
    });
    await server.connection.sendNotification("initialized", {});
    await server.waitForStatus((status) => status.state === "indexed");

    const report = pathToFileURL(path.join(root, "reports", "annual-report-2024.pdf")).toString();
    const streamed: string[] = [];
    server.connection.onNotification("llamahome/stream", (params: { streamId: string; text: string }) => params.streamId === "d1" && streamed.push(params.text));
    const answer = await server.connection.sendRequest(AskDocumentRequest, { uri: report, question: "How much did the irrigation project cost in the end?", streamId: "d1" });
    assert.deepEqual([answer.engine, answer.found, answer.kv], ["extractive", true, undefined]);
    assert.match(answer.answer, /£18,420/);
    assert.deepEqual(answer.citations.map(({ offset, length, ...place }) => (assert.ok(offset! >= 0 && length! > 0), place)), [{ path: "reports/annual-report-2024.pdf", page: 3, uri: report }]);
    assert.equal(streamed.join(""), answer.answer);

    const refusals: [string, string, RegExp][] = [
        [pathToFileURL(path.join(base, "secret.txt")).toString(), "What is the vault combination?", /not in a workspace folder/],
        [`${rootUri}/..%2fsecret.txt`, "What is the vault combination?", /not in a workspace folder|no such file|outside/],
        [pathToFileURL(path.join(root, "linked-secret.txt")).toString(), "What is the vault combination?", /linked-secret\.txt: outside the workspace folder \(through a link\)/],
        [pathToFileURL(path.join(root, "missing.pdf")).toString(), "Anything?", /missing\.pdf: no such file/],
        [report, "   ", /question is empty/],
    ];
    for (const [uri, question, message] of refusals) {
        await assert.rejects(server.connection.sendRequest(AskDocumentRequest, { uri, question }), (error: Error) => {
            assert.match(error.message, message, uri);
            assert.doesNotMatch(error.message, /4-8-15/);
            return true;
        });
    }
});

test("the server reads nothing outside the workspace (links and encoded paths included), never blocks on a FIFO, and keeps the LSP lifecycle", async (t) => {
    const base = await fs.mkdtemp(path.join(os.tmpdir(), "llamahome-lsp-hostile-"));
    t.after(() => fs.rm(base, { recursive: true, force: true }));
    const root = path.join(base, "workspace");
    await fs.mkdir(path.join(root, "notes"), { recursive: true });
    await fs.writeFile(path.join(root, "notes", "plan.md"), "# Plan\n\nThe greenhouse gets a new roof in April.\n");
    await fs.writeFile(path.join(base, "secret.txt"), "The vault combination is 4-8-15-16-23-42.\n");
    await fs.symlink(path.join(base, "secret.txt"), path.join(root, "link-out.txt"));
    const { execFileSync } = await import("node:child_process");
    execFileSync("mkfifo", [path.join(root, "pipe.txt")]);

    const server = startServer();
    t.after(() => server.stop());
    // before initialize: the LSP spec's ServerNotInitialized
    await assert.rejects(server.connection.sendRequest(SearchRequest, { query: "greenhouse" }), (error: { code?: number }) => error.code === -32002);

    const rootUri = pathToFileURL(root).toString();
    await server.connection.sendRequest("initialize", {
        processId: process.pid, rootUri, workspaceFolders: [{ uri: rootUri, name: "workspace" }], capabilities: {},
        initializationOptions: { cacheDir: path.join(base, "cache") },
    });
    await server.connection.sendNotification("initialized", {});
    const indexed = await server.waitForStatus((status) => status.state === "indexed");
    assert.equal(indexed.documents, 1, "the FIFO and the link out of the folder are not indexed");

    const range = { start: { line: 0, character: 0 }, end: { line: 1, character: 0 } };
    const outside = [
        pathToFileURL(path.join(base, "secret.txt")).toString(),
        `${rootUri}/..%2fsecret.txt`,
        `${rootUri}/%2e%2e/secret.txt`,
        pathToFileURL(path.join(root, "link-out.txt")).toString(),
        "file:///etc/passwd",
    ];
    for (const uri of outside) {
        await assert.rejects(server.connection.sendRequest(SummarizeRequest, { uri, range }), (error: Error) => !/4-8-15|root:/.test(error.message), uri);
        const hover = await server.connection.sendRequest("textDocument/hover", { textDocument: { uri }, position: { line: 0, character: 1 } });
        assert.equal(hover, null, `hover on ${uri}`);
    }
    // A FIFO inside the workspace: refused at once, four times over, and the server still shuts down.
    const fifo = pathToFileURL(path.join(root, "pipe.txt")).toString();
    const started = performance.now();
    const hovers = await Promise.all([0, 1, 2, 3].map(() => server.connection.sendRequest("textDocument/hover", { textDocument: { uri: fifo }, position: { line: 0, character: 0 } })));
    assert.deepEqual(hovers, [null, null, null, null]);
    await assert.rejects(server.connection.sendRequest(SummarizeRequest, { uri: fifo, range }));
    assert.ok(performance.now() - started < 5_000, "the FIFO never blocked a read");
    const inside = await server.connection.sendRequest(SummarizeRequest, { uri: pathToFileURL(path.join(root, "notes", "plan.md")).toString(), range: { start: { line: 2, character: 0 }, end: { line: 3, character: 0 } } });
    assert.match(inside.summary, /greenhouse/, "a workspace file is still read");

    await server.connection.sendRequest("shutdown");
    await assert.rejects(server.connection.sendRequest(SearchRequest, { query: "greenhouse" }), (error: { code?: number }) => error.code === -32600);
    await server.stop();
    assert.equal(server.process.exitCode, 0, server.stderr());
});

test("document text in hovers is literal Markdown: links, images, HTML, code spans and headings stay text", () => {
    const hostile = "Report [click](https://evil.example) ![x](y) <img src=x onerror=alert(1)> `code` *bold*\n# Heading\u0007";
    const escaped = escapeMarkdown(hostile);
    for (const inert of ["\\[click\\]\\(", "\\!\\[x\\]", "\\<img", "\\`code\\`", "\\*bold\\*", "\n\\# "]) assert.ok(escaped.includes(inert), `${inert} in ${escaped}`);
    assert.equal(escaped.replace(/\\(.)/g, "$1"), hostile.replace("\u0007", ""), "nothing but the escapes (and control characters) changes");
    assert.equal(codeSpan("notes/plan.md"), "`notes/plan.md`");
    assert.equal(codeSpan("a`b.md"), "a\\`b.md");
});

/** A language server over the bundled sample workspace (its index in a temporary cache), indexed; stopped after `t`. */
async function indexedSamples(t: TestContext, prefix: string): Promise<{ root: string; server: ReturnType<typeof startServer> }> {
    const base = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
    t.after(() => fs.rm(base, { recursive: true, force: true }));
    const root = path.join(__dirname, "..", "samples", "workspace");
    const server = startServer();
    t.after(() => server.stop());
    const rootUri = pathToFileURL(root).toString();
    await server.connection.sendRequest("initialize", {
        processId: process.pid, rootUri, workspaceFolders: [{ uri: rootUri, name: "samples" }], capabilities: {},
        initializationOptions: { cacheDir: path.join(base, "cache") },
    });
    await server.connection.sendNotification("initialized", {});
    await server.waitForStatus((status) => status.state === "indexed");
    return { root, server };
}
