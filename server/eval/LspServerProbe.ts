// A real LSP client connection to the built server over stdio: for integration tests and `llamahome bench`.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import * as path from "node:path";
import {
    createProtocolConnection,
    type ProtocolConnection,
    StreamMessageReader,
    StreamMessageWriter,
    type ProgressToken,
    type WorkDoneProgressBegin,
    type WorkDoneProgressEnd,
    type WorkDoneProgressReport,
} from "vscode-languageserver-protocol/node";
import { IndexStatusNotification, type IndexStatus } from "../../shared/protocol";

/** The built server: beside this bundle (dist/), or in dist/ when running from sources. */
function serverScript(): string {
    const bundled = path.join(__dirname, "server.js");
    return existsSync(bundled) ? bundled : path.join(__dirname, "..", "..", "dist", "server.js");
}

export type ProgressEvent = WorkDoneProgressBegin | WorkDoneProgressReport | WorkDoneProgressEnd;

export interface ServerUnderTest {
    process: ChildProcess;
    connection: ProtocolConnection;
    progress: ProgressEvent[];
    statuses: IndexStatus[];
    stderr: () => string;
    /** Resolves with the first status notification that satisfies `predicate` (already received ones count). */
    waitForStatus(predicate: (status: IndexStatus) => boolean, timeoutMs?: number): Promise<IndexStatus>;
    stop(): Promise<void>;
}

/** Starts the server; `settings` answer its workspace/configuration requests, `env` is added to its environment. */
export function startServer(settings: Record<string, unknown> = {}, env: NodeJS.ProcessEnv = {}): ServerUnderTest {
    const child = spawn(process.execPath, [serverScript(), "--stdio"], { stdio: ["pipe", "pipe", "pipe"], env: { ...process.env, ...env } });
    let stderr = "";
    child.stderr!.on("data", (data: Buffer) => (stderr += data.toString()));
    const connection = createProtocolConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
    const progress: ProgressEvent[] = [];
    const statuses: IndexStatus[] = [];
    const waiters: { predicate: (status: IndexStatus) => boolean; resolve: (status: IndexStatus) => void }[] = [];
    const progressTokens = new Set<ProgressToken>();
    connection.onRequest("window/workDoneProgress/create", (params: { token: ProgressToken }) => {
        progressTokens.add(params.token);
        return null;
    });
    connection.onRequest("client/registerCapability", () => null);
    connection.onRequest("workspace/configuration", (params: { items: { section?: string }[] }) => params.items.map(() => settings));
    connection.onNotification("$/progress", (params: { token: ProgressToken; value: ProgressEvent }) => {
        if (progressTokens.has(params.token)) progress.push(params.value);
    });
    connection.onNotification("window/showMessage", () => undefined);
    connection.onNotification("window/logMessage", () => undefined);
    connection.onNotification(IndexStatusNotification, (status) => {
        statuses.push(status);
        for (const waiter of waiters.splice(0)) {
            if (waiter.predicate(status)) waiter.resolve(status);
            else waiters.push(waiter);
        }
    });
    connection.listen();
    return {
        process: child,
        connection,
        progress,
        statuses,
        stderr: () => stderr,
        waitForStatus(predicate, timeoutMs = 60_000) {
            const seen = statuses.find(predicate);
            if (seen) return Promise.resolve(seen);
            return new Promise((resolve, reject) => {
                const timer = setTimeout(() => reject(new Error(`no matching index status within ${timeoutMs} ms; got ${JSON.stringify(statuses)}; stderr: ${stderr}`)), timeoutMs);
                waiters.push({ predicate, resolve: (status) => (clearTimeout(timer), resolve(status)) });
            });
        },
        async stop() {
            if (child.exitCode === null) {
                await connection.sendRequest("shutdown").catch(() => undefined);
                await connection.sendNotification("exit").catch(() => undefined);
                await new Promise<void>((resolve) => {
                    const timer = setTimeout(() => (child.kill("SIGKILL"), resolve()), 5000);
                    child.once("exit", () => (clearTimeout(timer), resolve()));
                });
            }
            connection.dispose();
        },
    };
}
