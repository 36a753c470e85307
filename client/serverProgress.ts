import { randomUUID } from "node:crypto";
import type * as vscode from "vscode";
import type { ServerControl } from "./commandContext";

/**
 * Runs `send` with a fresh work-done token whose progress from the server (percentages, messages) goes to a VS Code
 * progress notification, turned into the increments it expects.
 */
export async function withServerProgressToken<R>(
    server: Pick<ServerControl, "onWorkDoneProgress">,
    progress: vscode.Progress<{ message?: string; increment?: number }>,
    send: (workDoneToken: string) => Promise<R>,
): Promise<R> {
    const workDoneToken = randomUUID();
    let percentage = 0;
    const subscription = server.onWorkDoneProgress(workDoneToken, (value) => {
        if (value.kind === "end") return;
        const increment = value.percentage === undefined ? undefined : Math.max(0, value.percentage - percentage);
        if (value.percentage !== undefined) percentage = Math.max(percentage, value.percentage);
        progress.report({ message: value.message, increment });
    });
    try {
        return await send(workDoneToken);
    } finally {
        subscription.dispose();
    }
}
