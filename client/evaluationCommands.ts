// Run Benchmark and Run Needle Test: the server runs them (the same core as `llamahome bench` and `llamahome needle`)
// and saves the results; here they get a cancellable progress notification fed by the server's work-done progress.
// Each takes an optional options argument ({ iterations } / { lengths, depths }), for tests and keybindings.
import * as vscode from "vscode";
import { RunBenchmarkRequest, RunNeedleRequest } from "../shared/protocol";
import type { BenchResult, NeedleResult } from "../shared/results";
import type { CommandContext } from "./commandContext";
import { withServerProgressToken } from "./serverProgress";
import { isObject } from "../shared/isObject";

/** What a run uses: the server, the dashboard (to show the run in progress, and to offer it at the end), the log. */
type RunContext = Pick<CommandContext, "server" | "dashboard" | "log">;

type Kind = "bench" | "needle";

const names: Record<Kind, string> = { bench: "the benchmark", needle: "the needle test" };

export async function runBenchmark(ctx: RunContext, options?: unknown): Promise<BenchResult | undefined> {
    const iterations = isObject(options) && typeof options.iterations === "number" ? options.iterations : undefined;
    const result = await withServerProgress(ctx, "bench", "LlamaHome: benchmark", (workDoneToken, token) =>
        ctx.server.request(RunBenchmarkRequest, { ...(iterations === undefined ? {} : { iterations }), workDoneToken }, token),
    );
    if (!result) return undefined;
    const formats = result.documents.map((f) => `${f.format} ${f.docsPerMinute.toLocaleString("en")}`).join(", ");
    const speed = result.inference?.length ? `; ${result.inference.map((run) => `${run.policy} ${run.generatedTokensPerSecond} tokens/s`).join(", ")}` : "";
    offerDashboard(ctx, `LlamaHome: benchmark done in ${seconds(result.ms)}. Docs/min: ${formats}; search p50 ${result.lsp.searchP50Ms} ms${speed}.`);
    return result;
}

export async function runNeedleTest(ctx: RunContext & Pick<CommandContext, "config">, options?: unknown): Promise<NeedleResult | undefined> {
    if (!ctx.config.model) {
        void vscode.window
            .showWarningMessage("LlamaHome: the needle test runs on a model, and none is selected.", "Select Model")
            .then((choice) => choice && vscode.commands.executeCommand("llamahome.selectModel"));
        return undefined;
    }
    const grid = isObject(options)
        ? { lengths: numbers(options.lengths), depths: numbers(options.depths), trials: typeof options.trials === "number" ? options.trials : undefined }
        : await pickGrid();
    if (!grid) return undefined;
    const result = await withServerProgress(ctx, "needle", "LlamaHome: needle in a haystack", (workDoneToken, token) =>
        ctx.server.request(RunNeedleRequest, { ...grid, workDoneToken }, token),
    );
    if (!result) return undefined;
    const trials = result.trials ?? 1;
    const policies = Object.entries(result.summary).map(([policy, s]) => `${policy}: ${Math.round(s.exact * s.cells * trials)} of ${s.cells * trials} found${s.skipped ? `, ${s.skipped} cells skipped` : ""}`);
    offerDashboard(ctx, `LlamaHome: needle test done in ${seconds(result.ms)} (${policies.join("; ")}).`);
    return result;
}

/**
 * Sends a run request with a work-done token and shows the server's progress for it in a cancellable notification.
 * Cancelling cancels the request (the server stops the run and saves nothing); undefined then, or on a failure
 * (reported once, with the logs a click away).
 */
async function withServerProgress<R>(
    { server, dashboard, log }: RunContext,
    kind: Kind,
    title: string,
    send: (workDoneToken: string, token: vscode.CancellationToken) => Promise<R | undefined>,
): Promise<R | undefined> {
    if (!(await server.ensureRunning())) return undefined;
    if (dashboard.evaluationRunning) {
        void vscode.window.showInformationMessage(`LlamaHome: ${names[dashboard.evaluationRunning]} is running; wait for it to finish, or cancel it, first.`);
        return undefined;
    }
    dashboard.evaluationRunning = kind;
    try {
        const result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, (progress, token) =>
            withServerProgressToken(server, progress, (workDoneToken) => send(workDoneToken, token)),
        );
        if (result === undefined) vscode.window.setStatusBarMessage(`LlamaHome: ${names[kind]} was cancelled.`, 5_000);
        return result;
    } catch (error) {
        log.reportError("LlamaHome:", error);
        return undefined;
    } finally {
        dashboard.evaluationRunning = undefined;
    }
}

interface Grid {
    lengths?: number[];
    depths?: number[];
    trials?: number;
}

/** The grid to run: the CLI's default, a short one for small models, or lengths and depths typed in. */
async function pickGrid(): Promise<Grid | undefined> {
    const items: (vscode.QuickPickItem & { grid?: Grid })[] = [
        {
            label: "Standard",
            description: "2,000 · 8,000 · 32,000 tokens × needle at 10 · 50 · 90%",
            detail: "As `llamahome needle`. The full cache skips lengths beyond the model's training context; H2O (when enabled) runs them all.",
            grid: { lengths: [2000, 8000, 32000], depths: [10, 50, 90] },
        },
        {
            label: "Short",
            description: "500 · 1,000 · 2,000 tokens × needle at 10 · 50 · 90%, 4 needles each",
            detail: "A quick run that fits small models.",
            grid: { lengths: [500, 1000, 2000], depths: [10, 50, 90], trials: 4 },
        },
        { label: "Custom…", detail: "Type the prompt lengths and the needle depths." },
    ];
    const picked = await vscode.window.showQuickPick(items, {
        title: "LlamaHome: Run Needle Test",
        placeHolder: "Which prompt lengths and needle depths?",
        // A step of a wizard must not vanish when a webview (the answer, the chat) takes focus.
        ignoreFocusOut: true,
    });
    if (!picked) return undefined;
    if (picked.grid) return picked.grid;
    const lengths = await askNumbers("Prompt lengths, in tokens (comma-separated)", "2000,8000,32000", 64, 1_048_576);
    if (!lengths) return undefined;
    const depths = await askNumbers("Needle depths, in percent of the haystack (comma-separated)", "10,50,90", 0, 100);
    if (!depths) return undefined;
    const trials = await askNumbers("Needles per cell, each in its own haystack", "1", 1, 100);
    return trials ? { lengths, depths, trials: trials[0] } : undefined;
}

async function askNumbers(prompt: string, value: string, min: number, max: number): Promise<number[] | undefined> {
    const parse = (text: string) => text.split(",").map((part) => Number(part.trim()));
    const text = await vscode.window.showInputBox({
        title: "LlamaHome: Run Needle Test",
        prompt,
        value,
        ignoreFocusOut: true,
        validateInput: (input) => {
            const values = parse(input);
            return values.length >= 1 && values.length <= 32 && values.every((n) => Number.isInteger(n) && n >= min && n <= max)
                ? undefined
                : `Whole numbers from ${min} to ${max}, separated by commas.`;
        },
    });
    return text === undefined ? undefined : parse(text);
}

function offerDashboard({ dashboard }: Pick<CommandContext, "dashboard">, message: string): void {
    // Not awaited: the notification stays until dismissed, and the command's caller gets the result now.
    void vscode.window.showInformationMessage(message, "Open Dashboard").then((choice) => choice && dashboard.show());
}

function numbers(value: unknown): number[] | undefined {
    return Array.isArray(value) && value.every((item) => typeof item === "number") ? (value as number[]) : undefined;
}

function seconds(ms: number): string {
    return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}
