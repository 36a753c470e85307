// Messages between the extension and its webviews (the dashboard and the result panel), each a union tagged
// by `type`. Plain data only: they cross postMessage, which structured-clones them.
import type { AskResult, CitationLocation, EngineName, IndexStatus, KvRunFigures, MetricsParams, SummarizeResult } from "./protocol";
import type { LatestResults, NeedleReference } from "./results";

/** One finished Summarize or Ask request, as the client measured it. */
export interface RequestRecord {
    /** When it finished, in milliseconds since the Unix epoch. */
    time: number;
    kind: "summarize" | "ask";
    engine: EngineName;
    /** Time the server reported for the request. */
    ms: number;
    /** Tokens generated (LLM engine only). */
    tokens?: number;
    model?: string;
    /** What was asked, or what was summarized (cut to 200 characters). */
    subject?: string;
    /** Why the configured model did not answer (it failed to load), when it did not. */
    warning?: string;
}

/** The model as configured, and what the server last said it runs. */
export interface ModelState {
    /** The llamahome.model setting; "" means no model (the extractive engine answers). */
    setting: string;
    /** The model named by the last metrics sample or answer, when one was. */
    loaded?: string;
    /** Why the configured model is not answering (the last request's warning), until a request or a change of setting says otherwise. */
    unavailable?: string;
    gpu: string;
    /** 0 = the model's training context, at most 4096. */
    contextSize: number;
    h2o: { enabled: boolean; windowLength: number; heavyHitters: number };
}

export interface ServerState {
    running: boolean;
    /** The client is starting the server (not yet initialized): not running, but not stopped either. */
    starting?: boolean;
    /** Times the client restarted the server after it stopped unexpectedly, this session. */
    crashRestarts: number;
}

/** The latest benchmark, ROUGE and needle-in-a-haystack results (empty until the server reports them), and the run in progress. */
export interface EvaluationState {
    latest: LatestResults;
    /** A Run Benchmark or Run Needle Test in progress, started from this window. */
    running?: "bench" | "needle";
    /** The needle table measured by the project on its own model (absent if the file is missing or unreadable). */
    reference?: NeedleReference;
}

/** Everything the dashboard shows. The extension owns it; the webview keeps the last one (getState/setState). */
export interface DashboardSnapshot {
    index?: IndexStatus;
    server: ServerState;
    model: ModelState;
    /** Oldest first, at most 300 samples. */
    metrics: MetricsParams[];
    /** Oldest first, at most 50 records. */
    requests: RequestRecord[];
    evaluation: EvaluationState;
}

/** Commands the dashboard's buttons may run; nothing else is accepted from the webview. */
export type DashboardCommand =
    | "llamahome.indexWorkspace"
    | "llamahome.ask"
    | "llamahome.selectModel"
    | "llamahome.restartServer"
    | "llamahome.showLogs"
    | "llamahome.runBenchmark"
    | "llamahome.runNeedleTest";

export type ExtensionToDashboardMessage =
    | { type: "snapshot"; snapshot: DashboardSnapshot }
    | { type: "indexStatus"; status: IndexStatus }
    | { type: "server"; server: ServerState }
    | { type: "model"; model: ModelState }
    | { type: "metrics"; sample: MetricsParams }
    | { type: "request"; record: RequestRecord }
    | { type: "evaluation"; evaluation: EvaluationState };

export type DashboardToExtensionMessage =
    | { type: "ready" }
    | { type: "runCommand"; command: DashboardCommand };

/** What the result panel shows: a request in progress (with streamed text), a summary or an answer. */
export type ResultView =
    | { kind: "pending"; title: string; text: string }
    | { kind: "summary"; title: string; source: CitationLocation; result: SummarizeResult }
    | { kind: "answer"; question: string; result: AskResult & { kv?: KvRunFigures } }
    | { kind: "error"; title: string; message: string };

export type ExtensionToResultMessage =
    | { type: "show"; view: ResultView }
    /** Text generated since the last message, appended to a pending view. */
    | { type: "stream"; text: string };

export type ResultToExtensionMessage =
    | { type: "ready" }
    | { type: "openCitation"; citation: CitationLocation };
