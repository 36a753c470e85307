import type * as vscode from "vscode";
import type { ChatTurnRecord } from "../shared/chatMessages";
import type { AskParams, EndpointStatus, IndexStatus } from "../shared/protocol";
import type { LatestResults, NeedleReference } from "../shared/results";

/**
 * What the extension exports from activate(): a read-only view of its state, for the integration tests and for
 * other extensions. Commands are the way to make it do things.
 */
export interface LlamaHomeApi {
    /** The last index status the server reported; undefined until it reports one. */
    readonly indexStatus: IndexStatus | undefined;
    readonly onDidChangeIndexStatus: vscode.Event<IndexStatus>;
    /** The running server's process id. */
    readonly serverPid: number | undefined;
    /** Server processes started this session (the first start included). */
    readonly serverStarts: number;
    /** Restarts after the server stopped unexpectedly. */
    readonly serverCrashRestarts: number;
    /** Messages shown to the user about the server stopping unexpectedly. */
    readonly serverCrashNotices: number;
    /** The status bar item's current text. */
    readonly statusBarText: string;
    /** The status bar item's tooltip, as Markdown. */
    readonly statusBarTooltip: string;
    /** The LlamaHome output channel's last lines written by the client (each begins with its ISO timestamp), oldest first. */
    readonly logLines: readonly string[];
    /** Error notifications shown about the local model (why it cannot be used), oldest first. */
    readonly modelNotices: readonly string[];
    /** The llama.cpp servers of llamahome.endpoints as the dashboard shows them; undefined when none is listed. */
    readonly endpoints: readonly EndpointStatus[] | undefined;
    /** The latest saved benchmark, needle and ROUGE results, as the dashboard shows them. */
    readonly latestResults: LatestResults;
    /** The needle table the project measured on its own model and ships, shown in the dashboard beside the user's runs. */
    readonly needleReference: NeedleReference | undefined;
    /**
     * The chat view's conversation, oldest first, a question in progress included: each turn's question, answer,
     * engine (absent when none answered: stopped early or failed), model, endpoint, citations, passages, status.
     */
    readonly chatHistory: readonly Readonly<ChatTurnRecord>[];
    /** Whether the chat view's webview is shown and its script has started (said it is ready). */
    readonly chatViewReady: boolean;
    /** What the chat view's last question sent the server: the question, the conversation before it, the context. */
    readonly chatLastAskParams: Readonly<AskParams> | undefined;
}
