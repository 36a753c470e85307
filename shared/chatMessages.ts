// The chat view's conversation and the messages between the extension and its webview (media/chat.js), each a
// union tagged by `type`. Plain data only: they cross postMessage (structured clone) and the workspace state (JSON).
import type { CitationLocation, EngineName, PassageLocation } from "./protocol";

/** Characters of an editor selection that go with a question (the server reads at most this many). */
export const maxContextChars = 4_000;

/**
 * Where a turn stands: answering (text streams in), answered, stopped by the user (what had streamed stays), or
 * failed (`error` says why).
 */
export type ChatTurnStatus = "pending" | "done" | "stopped" | "error";

/** Why a turn failed: the server was not running (a restart may help), or the request itself failed (see the logs). */
export type ChatErrorKind = "notRunning" | "failed";

/** One question of the conversation and what it got, as the chat view shows it and the workspace state keeps it. */
export interface ChatTurnRecord {
    /** Unique in the conversation. */
    id: string;
    question: string;
    /** Editor text the question was asked about (the selection attached to it), at most 4,000 characters. */
    context?: string;
    /** Where `context` came from: "notes.md, lines 3–9". */
    contextLabel?: string;
    /** The answer; while pending, the text streamed so far; when stopped, what had streamed. */
    answer: string;
    /** Which engine answered; absent until an answer came (pending, stopped early, failed). */
    engine?: EngineName;
    /** False when the documents do not contain the answer (and while there is none). */
    found: boolean;
    model?: string;
    /** The llama.cpp server (a llamahome.endpoints URL) that generated it. */
    endpoint?: string;
    citations: CitationLocation[];
    /** Found extractive answers: the 2–3 passages quoted, each with the `uri` that opens it when it could be resolved. */
    passages?: PassageLocation[];
    /** Why the configured model did not answer, when it did not. */
    warning?: string;
    tokens?: number;
    /** Time the server reported for the answer (0 until it answered). */
    ms: number;
    /** When the question was asked, in milliseconds since the Unix epoch. */
    time: number;
    status: ChatTurnStatus;
    /** The failure, for status "error". */
    error?: string;
    errorKind?: ChatErrorKind;
}

/** The editor selection waiting to go with the next question. */
export interface ChatAttachment {
    text: string;
    /** "notes.md, lines 3–9". */
    label: string;
}

/** Everything the chat view shows: the conversation (oldest first) and the attached selection. */
export interface ChatSnapshot {
    turns: ChatTurnRecord[];
    attachment?: ChatAttachment;
}

/** Commands an error turn's buttons may run; nothing else is accepted from the webview. */
export type ChatCommand = "llamahome.restartServer" | "llamahome.showLogs";

export type ExtensionToChatMessage =
    | { type: "snapshot"; snapshot: ChatSnapshot; focusInput?: boolean }
    /** A turn added or changed (replaces the one with its id, else goes last). */
    | { type: "turn"; turn: ChatTurnRecord }
    /** Text generated since the last message, appended to the pending turn `id`. */
    | { type: "stream"; id: string; text: string }
    /** The pending turn's streamed text is void (another llama.cpp server took the request): it is cleared. */
    | { type: "restart"; id: string; reason: string }
    | { type: "attachment"; attachment?: ChatAttachment; focusInput?: boolean }
    /** The answer of turn `id` is on the clipboard. */
    | { type: "copied"; id: string };

export type ChatToExtensionMessage =
    | { type: "ready" }
    /** Asks `question` with the attached selection, if any. */
    | { type: "ask"; question: string }
    | { type: "stop" }
    | { type: "removeAttachment" }
    | { type: "openCitation"; citation: CitationLocation }
    /** Copies the answer of turn `id` (with its sources) to the clipboard. */
    | { type: "copy"; id: string }
    | { type: "runCommand"; command: ChatCommand };
