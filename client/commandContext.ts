// What the commands may use of the extension, part by part, and nothing more. Each command names the parts it
// needs (Pick<CommandContext, …>), so the command modules depend on these few interfaces, not on Context or the
// classes behind them, and Context can hand them its parts without an import circle.
import type * as vscode from "vscode";
import type {
    CancellationToken,
    RequestType,
    RequestType0,
    WorkDoneProgressBegin,
    WorkDoneProgressEnd,
    WorkDoneProgressReport,
} from "vscode-languageclient/node";
import type { ChatAttachment, ChatTurnRecord } from "../shared/chatMessages";
import type { AskResult, CitationLocation } from "../shared/protocol";
import type { EvaluationState, RequestRecord, ResultView } from "../shared/webviewMessages";
import type { Config } from "./config";

/** Who gets a request's streamed text (StreamNotification). */
export interface StreamConsumer {
    /** Text generated since the last piece. */
    onText(text: string): void;
    /**
     * The text streamed so far is void and the answer starts over (a llama.cpp server failed mid-answer and another
     * took the request); `reason` says why, in a few words. The new answer's text follows through onText.
     */
    onRestart(reason: string): void;
}

/** The server as commands use it: requests (with streamed text and progress), and a restart. */
export interface ServerControl {
    /** Undefined when the server does not run (the user has been told) or the request was cancelled. */
    request<P, R>(type: RequestType<P, R, void>, params: P, token?: CancellationToken): Promise<R | undefined>;
    request<R>(type: RequestType0<R, void>, params?: undefined, token?: CancellationToken): Promise<R | undefined>;
    /** False, after telling the user, when the server does not run. */
    ensureRunning(): Promise<boolean>;
    /** A stream id for a request's live text; `consumer` gets it until the returned object is disposed. */
    openStream(consumer: StreamConsumer): { streamId: string; dispose(): void };
    onWorkDoneProgress(token: string, onValue: (value: WorkDoneProgressBegin | WorkDoneProgressReport | WorkDoneProgressEnd) => void): vscode.Disposable;
    restart(): Promise<void>;
}

/** The panel that shows a summary, an answer, progress or an error. */
export interface ResultDisplay {
    show(view: ResultView): void;
    /** Appends streamed text to the request in progress. */
    appendText(text: string): void;
    /** Clears the streamed text of the request in progress: the answer starts over, for `reason`. */
    restartText(reason: string): void;
}

/** The API key for llamahome.endpoints, in VS Code's SecretStorage (never in settings), and handed to the server. */
export interface EndpointKeyControl {
    /** Whether a key is stored (as last read). */
    readonly isSet: boolean;
    /** Stores `apiKey` ("" removes it) and sends it to the running server. */
    set(apiKey: string): Promise<void>;
}

/** The dashboard as commands use it: opened, told of finished requests, and of the evaluation run in progress. */
export interface DashboardControl {
    show(): void;
    recordRequest(record: RequestRecord): void;
    evaluationRunning: EvaluationState["running"];
}

export interface CommandLog {
    line(message: string): void;
    /** Logs a failure and tells the user, with a way to the logs. */
    reportError(message: string, error?: unknown): void;
    show(): void;
}

/** Read-only views of cited sources the editor cannot show as text (SourceViews). */
export interface SourceDisplay {
    /** False when the server could not give the text (it has said why). */
    open(citation: CitationLocation): Promise<boolean>;
}

/** The chat view (ChatView) as commands use it. */
export interface ChatControl {
    /**
     * Asks in the chat view, with `context` (else the selection attached in the view, if any) and the last found
     * answers as the conversation so far. Undefined when the turn was stopped or failed (the turn says why).
     */
    ask(question: string, context?: string): Promise<AskResult | undefined>;
    /** Reveals the view with `attachment` going with the next question, and focuses its input. */
    attach(attachment: ChatAttachment): Promise<void>;
    /** Stops a question in progress and forgets the conversation, here and in the workspace state. */
    clear(): Promise<void>;
    /** Reads the conversation again from the workspace state, as a reloaded window does, and shows it. */
    reloadFromState(): readonly ChatTurnRecord[];
}

export interface CommandContext {
    readonly server: ServerControl;
    readonly sources: SourceDisplay;
    readonly resultPanel: ResultDisplay;
    readonly chat: ChatControl;
    readonly dashboard: DashboardControl;
    readonly log: CommandLog;
    readonly endpointKey: EndpointKeyControl;
    readonly config: Pick<Config, "model" | "setModel" | "endpoints">;
}

/** Command id → handler (commands.ts); extension.ts hands it to Context, which registers each with the parts. */
export type CommandTable = Record<string, (ctx: CommandContext, ...args: unknown[]) => unknown>;
