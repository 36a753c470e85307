import { randomUUID } from "node:crypto";
import * as vscode from "vscode";
import { maxContextChars, type ChatAttachment, type ChatCommand, type ChatToExtensionMessage, type ChatTurnRecord, type ExtensionToChatMessage } from "../shared/chatMessages";
import { errorMessage } from "../shared/errorMessage";
import { isObject } from "../shared/isObject";
import { AskRequest, type AskParams, type AskResult, type ChatTurn, type CitationLocation, type PassageLocation } from "../shared/protocol";
import type { ChatControl, CommandLog, DashboardControl, ServerControl } from "./commandContext";
import { webviewHtml, webviewOptions } from "./webviewHtml";

export const chatViewType = "llamahome.chat";
/** Where the conversation is kept: the workspace's state, so each workspace has its own and it survives a reload. */
export const chatHistoryKey = "llamahome.chatHistory";
/** Turns kept; older ones are dropped. */
export const maxChatTurns = 100;
/** Found answers sent with a question as the conversation so far (the server reads the last 3). */
const followUpTurns = 3;
/** How long a question waits for a server that is still starting. */
const serverStartWaitMs = 60_000;

/** What the chat view needs of the server connection: requests with streamed text, and whether it runs or starts. */
export interface ChatServer extends Pick<ServerControl, "request" | "openStream"> {
    readonly running: boolean;
    readonly state: { readonly starting?: boolean };
    readonly onDidChangeState: vscode.Event<void>;
}

const commands: readonly ChatCommand[] = ["llamahome.restartServer", "llamahome.showLogs"];

const body = `<main id="chat" class="chat">
<div id="turns" class="turns" role="log" aria-live="polite" aria-label="Conversation"></div>
<form id="composer" class="composer">
<div id="attachment" class="attachment" hidden></div>
<div class="composer-row">
<textarea id="question" rows="2" placeholder="Ask about your documents" aria-label="Question"></textarea>
<button type="submit" id="send" title="Ask (Enter)">Ask</button>
<button type="button" id="stop" class="secondary" title="Stop this answer" hidden>Stop</button>
</div>
<p class="hint">Enter asks · Shift+Enter starts a new line</p>
</form>
</main>`;

/**
 * The Chat view in the LlamaHome activity bar container: the workspace's conversation (kept in the workspace state,
 * the last 100 turns), asked from its input box or from an editor selection. Each question goes with the last found
 * answers, so that a follow-up is read in their light; its answer streams in, can be stopped, and shows which engine
 * wrote it and the sources it cites. The webview keeps nothing it cannot lose (no retainContextWhenHidden): the
 * conversation is here, sent again whenever the webview says it is ready.
 */
export class ChatView implements vscode.WebviewViewProvider, ChatControl, vscode.Disposable {
    private view: vscode.WebviewView | undefined;
    private ready = false;
    private turns: ChatTurnRecord[];
    private attachment: ChatAttachment | undefined;
    /** Focus the input once the webview is ready (Ask About Selection revealed the view). */
    private focusWhenReady = false;
    private running: { id: string; cancel: vscode.CancellationTokenSource } | undefined;
    private lastParams: Readonly<AskParams> | undefined;
    private readonly registration: vscode.Disposable;
    private readonly viewDisposables: vscode.Disposable[] = [];

    constructor(
        private readonly extensionUri: vscode.Uri,
        private readonly state: vscode.Memento,
        private readonly server: ChatServer,
        private readonly dashboard: Pick<DashboardControl, "recordRequest">,
        private readonly log: Pick<CommandLog, "line">,
    ) {
        this.turns = restoreTurns(state.get(chatHistoryKey));
        this.registration = vscode.window.registerWebviewViewProvider(chatViewType, this, { webviewOptions: { retainContextWhenHidden: false } });
    }

    /** The conversation, oldest first, a question in progress included. */
    get history(): readonly ChatTurnRecord[] {
        return this.turns;
    }

    /** Whether the view's webview is loaded and has said it is ready (its script ran under the page's CSP). */
    get viewReady(): boolean {
        return this.ready;
    }

    /** What the last question sent to the server (its question, conversation and context); undefined before one. */
    get lastAskParams(): Readonly<AskParams> | undefined {
        return this.lastParams;
    }

    resolveWebviewView(view: vscode.WebviewView): void {
        this.releaseView();
        this.view = view;
        this.ready = false;
        view.webview.options = webviewOptions(this.extensionUri);
        view.webview.html = webviewHtml(view.webview, this.extensionUri, { title: "LlamaHome Chat", scripts: ["dom.js", "chat.js"], styles: ["webview.css", "chat.css"], body });
        this.viewDisposables.push(
            view.webview.onDidReceiveMessage((message: unknown) => {
                if (isChatMessage(message)) this.message(message);
            }),
            // Hidden, the webview's page is gone (no retainContextWhenHidden); shown again, it loads and says "ready".
            view.onDidChangeVisibility(() => {
                if (!view.visible) this.ready = false;
            }),
            view.onDidDispose(() => {
                if (this.view === view) this.releaseView();
            }),
        );
    }

    async ask(question: string, context?: string): Promise<AskResult | undefined> {
        const text = question.trim();
        if (!text) return undefined;
        if (this.running) {
            void vscode.window.showInformationMessage("LlamaHome: an answer is on its way; wait for it, or stop it, before asking again.");
            return undefined;
        }
        let attachment: ChatAttachment | undefined;
        if (context !== undefined) {
            attachment = context.trim() ? { text: context.slice(0, maxContextChars), label: "Context" } : undefined;
        } else if (this.attachment) {
            attachment = this.attachment;
            this.attachment = undefined;
            this.post({ type: "attachment" });
        }
        const params: AskParams = { question: text, history: this.conversation(), ...(attachment ? { context: attachment.text } : {}) };
        this.lastParams = params;
        const turn: ChatTurnRecord = {
            id: randomUUID(),
            question: text,
            ...(attachment ? { context: attachment.text, contextLabel: attachment.label } : {}),
            answer: "",
            found: false,
            citations: [],
            ms: 0,
            time: Date.now(),
            status: "pending",
        };
        this.add(turn);
        const cancel = new vscode.CancellationTokenSource();
        this.running = { id: turn.id, cancel };
        const stream = this.server.openStream({
            onText: (piece) => {
                const current = this.pendingTurn(turn.id);
                if (!current) return;
                current.answer += piece;
                this.post({ type: "stream", id: turn.id, text: piece });
            },
            onRestart: (reason) => {
                const current = this.pendingTurn(turn.id);
                if (!current) return;
                this.log.line(`The chat answer starts over: ${reason}`);
                current.answer = "";
                this.post({ type: "restart", id: turn.id, reason });
            },
        });
        try {
            return await vscode.window.withProgress({ location: { viewId: chatViewType } }, () => this.answer(turn.id, params, stream.streamId, cancel.token));
        } catch (error) {
            this.log.line(`The chat could not answer: ${errorMessage(error)}`);
            this.settle(turn.id, { status: "error", errorKind: "failed", error: `The question could not be answered: ${errorMessage(error)}` });
            return undefined;
        } finally {
            stream.dispose();
            cancel.dispose();
            if (this.running?.id === turn.id) this.running = undefined;
        }
    }

    /** Stops the question in progress: the request is cancelled, and its turn keeps what had streamed, marked stopped. */
    stop(): void {
        const running = this.running;
        if (!running) return;
        this.running = undefined;
        running.cancel.cancel();
        this.settle(running.id, { status: "stopped" });
    }

    async attach(attachment: ChatAttachment): Promise<void> {
        this.attachment = { text: attachment.text.slice(0, maxContextChars), label: attachment.label };
        this.focusWhenReady = true;
        if (this.ready) this.post({ type: "attachment", attachment: this.attachment, focusInput: true });
        // Reveals the view (resolving it the first time); a ready webview gets the focus with it.
        await vscode.commands.executeCommand(`${chatViewType}.focus`);
        if (this.ready) {
            this.focusWhenReady = false;
            this.post({ type: "attachment", attachment: this.attachment, focusInput: true });
        }
    }

    async clear(): Promise<void> {
        this.stop();
        this.turns = [];
        this.postSnapshot();
        await this.state.update(chatHistoryKey, []);
    }

    reloadFromState(): readonly ChatTurnRecord[] {
        this.stop();
        this.turns = restoreTurns(this.state.get(chatHistoryKey));
        this.postSnapshot();
        return this.turns;
    }

    dispose(): void {
        this.stop();
        this.releaseView();
        this.registration.dispose();
    }

    // ---- answering ------------------------------------------------------------------------------------------

    private async answer(id: string, params: AskParams, streamId: string, token: vscode.CancellationToken): Promise<AskResult | undefined> {
        if (!(await this.serverReady(token))) {
            if (!token.isCancellationRequested) {
                this.settle(id, { status: "error", errorKind: "notRunning", error: "The LlamaHome server is not running, so the question could not be asked." });
            }
            return undefined;
        }
        const result = await this.server.request(AskRequest, { ...params, streamId }, token);
        // Stopped: the turn was settled when Stop was pressed, and whatever came since is dropped.
        if (token.isCancellationRequested || !this.pendingTurn(id)) return undefined;
        if (!result) {
            this.settle(id, { status: "error", errorKind: "notRunning", error: "The LlamaHome server stopped before it answered." });
            return undefined;
        }
        this.settle(id, {
            status: "done",
            answer: result.answer,
            engine: result.engine,
            found: result.found,
            citations: result.citations,
            ms: result.ms,
            ...(result.passages?.length ? { passages: result.passages } : {}),
            ...(result.model ? { model: result.model } : {}),
            ...(result.endpoint ? { endpoint: result.endpoint } : {}),
            ...(result.tokens ? { tokens: result.tokens } : {}),
            ...(result.warning ? { warning: result.warning } : {}),
        });
        this.dashboard.recordRequest({
            time: Date.now(), kind: "ask", engine: result.engine, ms: result.ms, subject: params.question.slice(0, 200),
            ...(result.tokens ? { tokens: result.tokens } : {}),
            ...(result.model ? { model: result.model } : {}),
            ...(result.warning ? { warning: result.warning } : {}),
        });
        return result;
    }

    /** True once the server runs; a server still starting is waited for (until it runs, fails, or the turn is stopped). */
    private serverReady(token: vscode.CancellationToken): Promise<boolean> {
        if (this.server.running) return Promise.resolve(true);
        if (!this.server.state.starting) return Promise.resolve(false);
        return new Promise<boolean>((resolve) => {
            const subscriptions: vscode.Disposable[] = [];
            const timer = setTimeout(() => done(false), serverStartWaitMs);
            const done = (value: boolean) => {
                clearTimeout(timer);
                for (const subscription of subscriptions.splice(0)) subscription.dispose();
                resolve(value);
            };
            subscriptions.push(
                this.server.onDidChangeState(() => {
                    if (this.server.running) done(true);
                    else if (!this.server.state.starting) done(false);
                }),
                token.onCancellationRequested(() => done(false)),
            );
        });
    }

    /** The last found answers before the new question, oldest first: the conversation the server reads it in. */
    private conversation(): ChatTurn[] {
        return this.turns
            .filter((turn) => turn.status === "done" && turn.found && turn.answer.trim())
            .slice(-followUpTurns)
            .map(({ question, answer }) => ({ question, answer }));
    }

    // ---- the conversation -----------------------------------------------------------------------------------

    private pendingTurn(id: string): ChatTurnRecord | undefined {
        return this.turns.find((turn) => turn.id === id && turn.status === "pending");
    }

    private add(turn: ChatTurnRecord): void {
        this.turns.push(turn);
        if (this.turns.length > maxChatTurns) {
            this.turns.splice(0, this.turns.length - maxChatTurns);
            this.postSnapshot();
        } else {
            this.post({ type: "turn", turn });
        }
        void this.persist();
    }

    /** Ends a pending turn with `changes`, shows it, and saves the conversation. A turn no longer pending is left as it is. */
    private settle(id: string, changes: Partial<ChatTurnRecord>): void {
        const index = this.turns.findIndex((turn) => turn.id === id && turn.status === "pending");
        if (index < 0) return;
        const turn: ChatTurnRecord = { ...this.turns[index]!, ...changes };
        this.turns[index] = turn;
        this.post({ type: "turn", turn });
        void this.persist();
    }

    /**
     * Saves the conversation, the last 100 turns. A turn in progress is saved as stopped, with no answer yet: that is
     * what a window closed before it was answered shows afterwards. It is saved again once it ends.
     */
    private async persist(): Promise<void> {
        const saved = this.turns.slice(-maxChatTurns).map((turn): ChatTurnRecord => (turn.status === "pending" ? { ...turn, answer: "", status: "stopped" } : turn));
        try {
            await this.state.update(chatHistoryKey, saved);
        } catch (error) {
            this.log.line(`The chat history could not be saved: ${errorMessage(error)}`);
        }
    }

    // ---- the webview ----------------------------------------------------------------------------------------

    private message(message: ChatToExtensionMessage): void {
        switch (message.type) {
            case "ready":
                this.ready = true;
                this.postSnapshot(this.focusWhenReady);
                this.focusWhenReady = false;
                break;
            case "ask":
                void this.ask(message.question);
                break;
            case "stop":
                this.stop();
                break;
            case "removeAttachment":
                this.attachment = undefined;
                this.post({ type: "attachment" });
                break;
            case "openCitation":
                void vscode.commands.executeCommand("llamahome.openCitation", message.citation);
                break;
            case "copy":
                void this.copy(message.id);
                break;
            case "runCommand":
                void vscode.commands.executeCommand(message.command);
                break;
        }
    }

    private async copy(id: string): Promise<void> {
        const turn = this.turns.find((candidate) => candidate.id === id);
        if (!turn) return;
        await vscode.env.clipboard.writeText(copyText(turn));
        this.post({ type: "copied", id });
    }

    private postSnapshot(focusInput = false): void {
        this.post({ type: "snapshot", snapshot: { turns: this.turns, ...(this.attachment ? { attachment: this.attachment } : {}) }, ...(focusInput ? { focusInput } : {}) });
    }

    /** Sends a message if the webview is ready for it; otherwise drops it (it gets a snapshot when it says it is ready). */
    private post(message: ExtensionToChatMessage): void {
        if (this.view && this.ready) void this.view.webview.postMessage(message);
    }

    private releaseView(): void {
        this.view = undefined;
        this.ready = false;
        for (const disposable of this.viewDisposables.splice(0)) disposable.dispose();
    }
}

/** The answer as text for the clipboard: a model's answer, or the passages an extractive one quotes, then its sources. */
export function copyText(turn: ChatTurnRecord): string {
    const where = (location: { path: string; page?: number; line?: number }) =>
        location.page ? `${location.path}, page ${location.page}` : location.line ? `${location.path}, line ${location.line}` : location.path;
    if (turn.engine === "extractive" && turn.passages?.length) {
        return turn.passages.map((passage) => `“${passage.text}” (${where(passage)})`).join("\n\n");
    }
    const sources = turn.found && turn.citations.length ? `\n\nSources:\n${turn.citations.map((citation) => `- ${where(citation)}`).join("\n")}` : "";
    return `${turn.answer.trim()}${sources}`;
}

/**
 * The conversation as the workspace state had it: the turns that have the fields a turn needs (the state is data
 * from an earlier version, or a hand-edited file, not trusted), the last 100. A turn with no known status counts
 * as stopped.
 */
export function restoreTurns(saved: unknown): ChatTurnRecord[] {
    if (!Array.isArray(saved)) return [];
    const turns: ChatTurnRecord[] = [];
    const ids = new Set<string>();
    for (const value of saved) {
        if (!isObject(value)) continue;
        const { id, question, answer, found, citations, passages, ms, time, status, context, contextLabel, engine, model, endpoint, warning, tokens, error, errorKind } = value;
        if (typeof question !== "string" || typeof answer !== "string" || typeof time !== "number") continue;
        const turn: ChatTurnRecord = {
            id: typeof id === "string" && id && !ids.has(id) ? id : randomUUID(),
            question,
            answer,
            found: found === true,
            citations: Array.isArray(citations) ? citations.filter(isCitation) : [],
            ms: typeof ms === "number" ? ms : 0,
            time,
            status: status === "done" || status === "error" || status === "stopped" ? status : "stopped",
            ...(typeof context === "string" ? { context } : {}),
            ...(typeof contextLabel === "string" ? { contextLabel } : {}),
            ...(engine === "llm" || engine === "extractive" ? { engine } : {}),
            ...(typeof model === "string" ? { model } : {}),
            ...(typeof endpoint === "string" ? { endpoint } : {}),
            ...(typeof warning === "string" ? { warning } : {}),
            ...(typeof tokens === "number" ? { tokens } : {}),
            ...(typeof error === "string" ? { error } : {}),
            ...(errorKind === "notRunning" || errorKind === "failed" ? { errorKind } : {}),
            ...(Array.isArray(passages) ? { passages: passages.filter(isPassage) } : {}),
        };
        ids.add(turn.id);
        turns.push(turn);
    }
    return turns.slice(-maxChatTurns);
}

function isLocation(value: unknown): value is Record<string, unknown> & { path: string } {
    return isObject(value) && typeof value.path === "string" && (value.page === undefined || typeof value.page === "number") && (value.line === undefined || typeof value.line === "number");
}

function isCitation(value: unknown): value is CitationLocation {
    return isLocation(value) && typeof value.uri === "string";
}

function isPassage(value: unknown): value is PassageLocation {
    return isCitation(value) && typeof (value as { text?: unknown }).text === "string";
}

/** A message from the webview, checked field by field (a webview is not trusted input); anything else is ignored. */
function isChatMessage(value: unknown): value is ChatToExtensionMessage {
    if (!isObject(value)) return false;
    switch (value.type) {
        case "ready":
        case "stop":
        case "removeAttachment":
            return true;
        case "ask":
            return typeof value.question === "string";
        case "copy":
            return typeof value.id === "string";
        case "openCitation":
            return isCitation(value.citation);
        case "runCommand":
            return commands.includes(value.command as ChatCommand);
        default:
            return false;
    }
}
