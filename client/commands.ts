// Every command the extension registers, as one table. Each handler takes the parts of the extension it uses
// first (see commandContext.ts), then the command's arguments (an Explorer context menu passes the clicked file's Uri).
import * as path from "node:path";
import * as vscode from "vscode";
import {
    AskDocumentRequest,
    AskRequest,
    ReindexRequest,
    SearchRequest,
    SummarizeRequest,
    type AskDocumentResult,
    type AskResult,
    type CitationLocation,
    type IndexStatus,
    type SearchHit,
    type SearchResult,
    type SummarizeParams,
    type SummarizeResult,
} from "../shared/protocol";
import { maxContextChars } from "../shared/chatMessages";
import type { RequestRecord } from "../shared/webviewMessages";
import type { CommandContext, CommandTable, ResultDisplay, StreamConsumer } from "./commandContext";
import { runBenchmark, runNeedleTest } from "./evaluationCommands";
import { retrievalLabel, searchDetail } from "./searchDetail";
import { selectModel } from "./selectModel";
import { withServerProgressToken } from "./serverProgress";
import { errorMessage } from "../shared/errorMessage";

export const commandTable: CommandTable = {
    "llamahome.indexWorkspace": indexWorkspace,
    "llamahome.search": (ctx, query) => search(ctx, query),
    "llamahome.summarizeDocument": (ctx, uri) => summarizeDocument(ctx, uri),
    "llamahome.summarizeSelection": summarizeSelection,
    "llamahome.ask": (ctx, question) => ask(ctx, question),
    "llamahome.askDocument": (ctx, uri, question) => askDocument(ctx, uri, question),
    "llamahome.openCitation": (ctx, citation) => openCitation(ctx, citation),
    "llamahome.selectModel": selectModel,
    "llamahome.openDashboard": ({ dashboard }) => dashboard.show(),
    "llamahome.runBenchmark": (ctx, options) => runBenchmark(ctx, options),
    "llamahome.runNeedleTest": (ctx, options) => runNeedleTest(ctx, options),
    "llamahome.restartServer": ({ server }) => server.restart(),
    "llamahome.showLogs": ({ log }) => log.show(),
    "llamahome.setEndpointApiKey": (ctx, apiKey) => setEndpointApiKey(ctx, apiKey),
    "llamahome.askAboutSelection": askAboutSelection,
    "llamahome.clearChat": ({ chat }) => chat.clear(),
    // For tests and other extensions: asks through the chat view (not in the command palette).
    "llamahome.chat.ask": ({ chat }, question, context) => (typeof question === "string" ? chat.ask(question, typeof context === "string" ? context : undefined) : undefined),
    "llamahome.chat.reloadFromState": ({ chat }) => chat.reloadFromState(),
};

/** Formats whose indexed text is not the file's own text (server/core/formats.ts: the containers, and HTML). */
const extractedFormats = new Set([".pdf", ".docx", ".pptx", ".xlsx", ".odt", ".odp", ".ods", ".rtf", ".epub", ".html", ".htm", ".xhtml"]);

/** What Summarize and the Ask commands use: the server, the result panel, the dashboard's request history, the log. */
type AnswerContext = Pick<CommandContext, "server" | "resultPanel" | "dashboard" | "log">;


async function indexWorkspace({ server, log }: Pick<CommandContext, "server" | "log">): Promise<IndexStatus | undefined> {
    const status = await server.request(ReindexRequest);
    if (!status) return undefined;
    if (status.state === "failed") {
        log.reportError("LlamaHome: indexing failed.", status.message);
    } else if (status.state === "indexed") {
        const problems = [status.failed ? `${status.failed} failed` : "", status.skipped ? `${status.skipped} skipped` : ""].filter(Boolean).join(", ");
        void vscode.window
            .showInformationMessage(`LlamaHome: ${status.documents} documents indexed (${status.chunks} chunks)${problems ? `; ${problems}` : ""}.`, ...(status.failed ? ["Show Logs"] : []))
            .then((choice) => choice === "Show Logs" && log.show());
    }
    return status;
}

/**
 * Search as you type: each pause in typing (200 ms) asks the server again, the previous request cancelled; a hit opens
 * at its line, or as the readable text of its page or passage.
 */
/** Resolves, once the list closes, with the last results it showed (undefined when it showed none). */
async function search(ctx: Pick<CommandContext, "server" | "sources" | "log">, initial?: unknown): Promise<SearchResult | undefined> {
    const { server } = ctx;
    let reported = "";
    let shown: SearchResult | undefined;
    type HitItem = vscode.QuickPickItem & { hit: SearchHit };
    const pick = vscode.window.createQuickPick<HitItem>();
    pick.title = "LlamaHome: Search Documents";
    pick.placeholder = "Search the workspace's documents";
    // The server ranks, and the list keeps its order: VS Code moves items whose label matches the typed text to the
    // top (QuickPick.sortByLabel is proposed API), so the label is only an icon and the path is the description.
    // With matchOnDescription/matchOnDetail VS Code highlights the typed text where it occurs whole in the path or
    // the snippet (one range, the whole query: a multi-word query is highlighted only where it occurs as typed;
    // per-item highlight ranges are not stable API). alwaysShow keeps the hits where it occurs nowhere.
    pick.matchOnDescription = true;
    pick.matchOnDetail = true;
    let timer: NodeJS.Timeout | undefined;
    let running: vscode.CancellationTokenSource | undefined;
    const run = async (query: string) => {
        running?.cancel();
        if (!query.trim()) {
            pick.items = [];
            pick.busy = false;
            return;
        }
        const request = (running = new vscode.CancellationTokenSource());
        pick.busy = true;
        try {
            const result = await server.request(SearchRequest, { query, top: 20 }, request.token);
            if (!result || request.token.isCancellationRequested) return;
            shown = result;
            pick.items = result.results.map((hit) => ({
                label: "$(file)",
                description: [hit.path, locationText(hit)].filter(Boolean).join(" · "),
                detail: searchDetail(hit.snippet, query),
                alwaysShow: true,
                hit,
            }));
            pick.placeholder = result.results.length ? `${result.results.length} results` : `Nothing matches "${query}"`;
            // which retrieval ran, so a user who set an embedding model sees it work (or why it did not)
            pick.title = `LlamaHome: Search Documents · ${retrievalLabel(result.retrieval)}${result.warning ? ` · ${result.warning}` : ""}`;
            // the log says which retrieval ran (once, and again when that changes), and why a model was left out
            const report = `Search: ${retrievalLabel(result.retrieval)}${result.warning ? `. ${result.warning}` : ""}`;
            if (report !== reported) ctx.log.line((reported = report));
        } finally {
            if (running === request) pick.busy = false;
            request.dispose();
        }
    };
    const disposables = [
        pick.onDidChangeValue((value) => {
            clearTimeout(timer);
            timer = setTimeout(() => void run(value), 200);
        }),
        pick.onDidAccept(() => {
            const chosen = pick.selectedItems[0];
            pick.hide();
            if (chosen) void openCitation(ctx, chosen.hit);
        }),
    ];
    const closed = new Promise<void>((resolve) => disposables.push(pick.onDidHide(() => resolve())));
    if (typeof initial === "string" && initial.trim()) {
        pick.value = initial;
        void run(initial);
    }
    pick.show();
    await closed;
    clearTimeout(timer);
    running?.cancel();
    for (const disposable of disposables) disposable.dispose();
    pick.dispose();
    return shown;
}

/** Summarizes a file: the one given (Explorer context menu), else the active editor's (text or custom editor, e.g. a PDF). */
async function summarizeDocument(ctx: AnswerContext, target?: unknown): Promise<SummarizeResult | undefined> {
    // A Uri from a menu; a URI string from a hover's "Summarize…" link.
    const uri = target instanceof vscode.Uri ? target : typeof target === "string" && /^file:/.test(target) ? vscode.Uri.parse(target) : activeDocumentUri();
    if (!uri) {
        void vscode.window.showInformationMessage("LlamaHome: open a document, or right-click one in the Explorer, to summarize it.");
        return undefined;
    }
    const relative = vscode.workspace.asRelativePath(uri, false);
    return summarize(ctx, { uri: uri.toString() }, path.basename(uri.path), { uri: uri.toString(), path: relative });
}

async function summarizeSelection(ctx: AnswerContext): Promise<SummarizeResult | undefined> {
    const editor = vscode.window.activeTextEditor;
    if (!editor || editor.selection.isEmpty) {
        void vscode.window.showInformationMessage("LlamaHome: select some text to summarize first.");
        return undefined;
    }
    const { document, selection } = editor;
    const relative = vscode.workspace.asRelativePath(document.uri, false);
    const lines = selection.start.line === selection.end.line ? `line ${selection.start.line + 1}` : `lines ${selection.start.line + 1}–${selection.end.line + 1}`;
    return summarize(
        ctx,
        {
            uri: document.uri.toString(),
            range: { start: { line: selection.start.line, character: selection.start.character }, end: { line: selection.end.line, character: selection.end.character } },
        },
        `${path.basename(document.uri.path)}, ${lines}`,
        { uri: document.uri.toString(), path: relative, line: selection.start.line + 1 },
    );
}

async function summarize({ server, resultPanel, dashboard, log }: AnswerContext, params: SummarizeParams, title: string, source: CitationLocation): Promise<SummarizeResult | undefined> {
    if (!(await server.ensureRunning())) return undefined;
    const stream = server.openStream(streamTo(resultPanel, log));
    resultPanel.show({ kind: "pending", title: `Summarizing ${title}`, text: "" });
    try {
        const result = await vscode.window.withProgress(
            { location: vscode.ProgressLocation.Notification, title: `LlamaHome: summarizing ${title}…`, cancellable: true },
            (_progress, token) => server.request(SummarizeRequest, { ...params, streamId: stream.streamId }, token),
        );
        if (!result) {
            resultPanel.show({ kind: "error", title, message: "Cancelled." });
            return undefined;
        }
        resultPanel.show({ kind: "summary", title, source, result });
        dashboard.recordRequest(requestRecord("summarize", title, result));
        return result;
    } catch (error) {
        resultPanel.show({ kind: "error", title, message: errorMessage(error) });
        log.reportError(`LlamaHome: could not summarize ${title}.`, error);
        return undefined;
    } finally {
        stream.dispose();
    }
}

async function ask({ server, resultPanel, dashboard, log }: AnswerContext, given?: unknown): Promise<AskResult | undefined> {
    const question = typeof given === "string"
        ? given
        : await vscode.window.showInputBox({
            title: "LlamaHome: Ask a Question",
            prompt: "Ask about the workspace's documents; the answer cites where it comes from.",
            placeHolder: "e.g. When is the annual general meeting?",
            ignoreFocusOut: true,
        });
    if (!question?.trim()) return undefined;
    if (!(await server.ensureRunning())) return undefined;
    const stream = server.openStream(streamTo(resultPanel, log));
    resultPanel.show({ kind: "pending", title: question, text: "" });
    try {
        const result = await vscode.window.withProgress(
            { location: vscode.ProgressLocation.Notification, title: "LlamaHome: answering…", cancellable: true },
            (_progress, token) => server.request(AskRequest, { question, streamId: stream.streamId }, token),
        );
        if (!result) {
            resultPanel.show({ kind: "error", title: question, message: "Cancelled." });
            return undefined;
        }
        resultPanel.show({ kind: "answer", question, result });
        dashboard.recordRequest(requestRecord("ask", question, result));
        return result;
    } catch (error) {
        resultPanel.show({ kind: "error", title: question, message: errorMessage(error) });
        log.reportError("LlamaHome: could not answer.", error);
        return undefined;
    } finally {
        stream.dispose();
    }
}

/**
 * Asks about one whole document: the one given (Explorer context menu), else the active editor's. With H2O on the
 * server reads it through the bounded KV cache with question-aware eviction; the panel shows the cache's figures.
 */
async function askDocument({ server, resultPanel, dashboard, log }: AnswerContext, target?: unknown, given?: unknown): Promise<AskDocumentResult | undefined> {
    const uri = target instanceof vscode.Uri ? target : activeDocumentUri();
    if (!uri) {
        void vscode.window.showInformationMessage("LlamaHome: open a document, or right-click one in the Explorer, to ask about it.");
        return undefined;
    }
    const name = path.basename(uri.path);
    const question = typeof given === "string"
        ? given
        : await vscode.window.showInputBox({
            title: `LlamaHome: Ask About ${name}`,
            prompt: "Ask about this whole document; with H2O on, any length fits in a small KV cache.",
            placeHolder: "e.g. What did the project cost in the end?",
            ignoreFocusOut: true,
        });
    if (!question?.trim()) return undefined;
    if (!(await server.ensureRunning())) return undefined;
    const title = `${question} — ${name}`;
    const stream = server.openStream(streamTo(resultPanel, log));
    resultPanel.show({ kind: "pending", title, text: "" });
    try {
        const result = await vscode.window.withProgress(
            { location: vscode.ProgressLocation.Notification, title: `LlamaHome: reading ${name}`, cancellable: true },
            // the server reports how much of the document the model has read
            (progress, token) =>
                withServerProgressToken(server, progress, (workDoneToken) => server.request(AskDocumentRequest, { uri: uri.toString(), question, streamId: stream.streamId, workDoneToken }, token)),
        );
        if (!result) {
            resultPanel.show({ kind: "error", title, message: "Cancelled." });
            return undefined;
        }
        resultPanel.show({ kind: "answer", question: title, result });
        dashboard.recordRequest(requestRecord("ask", title, result));
        return result;
    } catch (error) {
        resultPanel.show({ kind: "error", title, message: errorMessage(error) });
        log.reportError(`LlamaHome: could not answer from ${name}.`, error);
        return undefined;
    } finally {
        stream.dispose();
    }
}

/**
 * Ask About Selection (editor context menu): reveals the chat view with the selection attached to the next question
 * (the first 4,000 characters), its input focused.
 */
async function askAboutSelection({ chat }: Pick<CommandContext, "chat">): Promise<void> {
    const editor = vscode.window.activeTextEditor;
    const text = editor && !editor.selection.isEmpty ? editor.document.getText(editor.selection) : "";
    if (!editor || !text.trim()) {
        void vscode.window.showInformationMessage("LlamaHome: select some text to ask about first.");
        return;
    }
    const { document, selection } = editor;
    // A selection that ends at the start of a line does not include that line.
    const endLine = selection.end.character === 0 && selection.end.line > selection.start.line ? selection.end.line - 1 : selection.end.line;
    const lines = selection.start.line === endLine ? `line ${selection.start.line + 1}` : `lines ${selection.start.line + 1}–${endLine + 1}`;
    const cut = text.length > maxContextChars ? ` (first ${maxContextChars.toLocaleString("en")} characters)` : "";
    await chat.attach({ text: text.slice(0, maxContextChars), label: `${path.basename(document.uri.path)}, ${lines}${cut}` });
}

/**
 * Asks for the API key of the llama.cpp servers of llamahome.endpoints (hidden input; empty removes it), keeps it in
 * VS Code's SecretStorage, never in settings, and hands it to the running server. A string argument is the key, with
 * no prompt. Returns whether a key is set now; undefined when the prompt was dismissed or the key could not be stored.
 */
async function setEndpointApiKey({ endpointKey, config, log }: Pick<CommandContext, "endpointKey" | "config" | "log">, given?: unknown): Promise<boolean | undefined> {
    const listed = config.endpoints.length > 0;
    const apiKey = typeof given === "string"
        ? given
        : await vscode.window.showInputBox({
            title: "LlamaHome: Set Endpoint API Key",
            prompt: `The API key the llama.cpp servers of llamahome.endpoints expect (llama-server --api-key)${listed ? "" : "; none is listed yet"}. ${
                endpointKey.isSet ? "A key is set: enter a new one, or leave this empty to remove it." : "Leave it empty for none."
            } It is kept in the editor's secret storage, not in settings.`,
            placeHolder: endpointKey.isSet ? "A key is set (hidden); empty removes it" : "API key",
            password: true,
            ignoreFocusOut: true,
        });
    if (apiKey === undefined) return undefined;
    const key = apiKey.trim();
    try {
        await endpointKey.set(key);
    } catch (error) {
        log.reportError("LlamaHome: the endpoint API key could not be stored in the secret storage.", error);
        return undefined;
    }
    log.line(key ? "The endpoint API key was set." : "The endpoint API key was removed.");
    void vscode.window.showInformationMessage(
        key
            ? `LlamaHome: endpoint API key saved${listed ? "; the llama.cpp servers get it from the next request." : ". List llama.cpp servers in llamahome.endpoints to use it."}`
            : "LlamaHome: endpoint API key removed.",
    );
    return key !== "";
}

/** Streamed text into the result panel; a restart (another llama.cpp server took over) clears what was shown. */
function streamTo(resultPanel: ResultDisplay, log: AnswerContext["log"]): StreamConsumer {
    return {
        onText: (text) => resultPanel.appendText(text),
        onRestart: (reason) => {
            log.line(`The answer starts over: ${reason}`);
            resultPanel.restartText(reason);
        },
    };
}

/**
 * Opens a cited document: a text file at the cited line; any other format (PDF, Office, EPUB, HTML: no line of the
 * file to go to) as the readable text LlamaHome extracted from it, at the cited page and passage.
 */
async function openCitation({ sources }: Pick<CommandContext, "sources">, citation: unknown): Promise<void> {
    if (!isCitation(citation)) return;
    const uri = vscode.Uri.parse(citation.uri);
    // Citations come from the server, which cites workspace files only; anything else is not opened.
    if (uri.scheme !== "file" || vscode.workspace.getWorkspaceFolder(uri) === undefined) {
        void vscode.window.showWarningMessage(`LlamaHome: not opening ${citation.path}: it is not a file in the workspace.`);
        return;
    }
    if (citation.line === undefined && (citation.page !== undefined || extractedFormats.has(path.extname(uri.path).toLowerCase()))) {
        await sources.open(citation);
        return;
    }
    const line = Math.max(0, (citation.line ?? 1) - 1);
    try {
        await vscode.window.showTextDocument(uri, { selection: new vscode.Range(line, 0, line, 0), viewColumn: vscode.ViewColumn.One, preview: true });
    } catch {
        await vscode.commands.executeCommand("vscode.open", uri, { viewColumn: vscode.ViewColumn.One });
    }
}

/** The request history's record of a finished request: what was asked or summarized, by which engine, and why not by the model. */
function requestRecord(kind: RequestRecord["kind"], subject: string, result: SummarizeResult | AskResult): RequestRecord {
    return {
        time: Date.now(), kind, engine: result.engine, ms: result.ms, subject: subject.slice(0, 200),
        ...(result.tokens ? { tokens: result.tokens } : {}),
        ...(result.model ? { model: result.model } : {}),
        ...(result.warning ? { warning: result.warning } : {}),
    };
}

/** The document in the active editor: a text editor's, or a custom/binary editor's (e.g. a PDF viewer). */
function activeDocumentUri(): vscode.Uri | undefined {
    const editor = vscode.window.activeTextEditor;
    if (editor) return editor.document.uri;
    const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
    if (input instanceof vscode.TabInputText || input instanceof vscode.TabInputCustom) return input.uri;
    return undefined;
}

function locationText(location: { page?: number; line?: number }): string {
    return location.page ? `page ${location.page}` : location.line ? `line ${location.line}` : "";
}

function isCitation(value: unknown): value is CitationLocation {
    if (typeof value !== "object" || value === null) return false;
    const candidate = value as Record<string, unknown>;
    return typeof candidate.uri === "string" && typeof candidate.path === "string";
}
