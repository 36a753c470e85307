import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { killTree } from "./processTree";

export interface VsCodeServerOptions {
    /** code-server's bundled VS Code: <code-server>/lib/vscode. */
    vscodeDir: string;
    /** Everything the server writes (user data, extensions, XDG dirs, TMPDIR, HOME) goes under this folder. */
    dataDir: string;
    /** Extra environment for the server and everything it starts (extension host, language server). */
    env?: NodeJS.ProcessEnv;
    /**
     * Written to the server's machine settings (they apply to every workbench that connects), on top of
     * quietWorkbenchSettings.
     */
    machineSettings?: Record<string, unknown>;
    /** Defaults to 60 s. */
    startTimeoutMs?: number;
}

/** No start page, tips, update checks, recommendations or telemetry: a workbench that only shows what a test opens. */
const quietWorkbenchSettings = {
    "workbench.startupEditor": "none",
    "workbench.tips.enabled": false,
    "extensions.autoCheckUpdates": false,
    "extensions.autoUpdate": false,
    "extensions.ignoreRecommendations": true,
    "telemetry.telemetryLevel": "off",
};

/**
 * The VS Code server that code-server ships, started directly (server-main.js) so the test hooks work:
 * no connection token, smoke-test driver on, every writable path inside `dataDir`, stopped by PID.
 */
export class VsCodeServer {
    private constructor(
        private readonly process: ChildProcess,
        readonly port: number,
        readonly logFile: string,
    ) {}

    static async start(options: VsCodeServerOptions): Promise<VsCodeServer> {
        const dirs = Object.fromEntries(
            ["user-data", "server-data", "extensions", "xdg-config", "xdg-data", "xdg-cache", "tmp", "home"].map((name) => [name, path.join(options.dataDir, name)]),
        );
        for (const dir of Object.values(dirs)) fs.mkdirSync(dir, { recursive: true });
        fs.mkdirSync(path.join(dirs["user-data"], "Machine"), { recursive: true });
        fs.writeFileSync(path.join(dirs["user-data"], "Machine", "settings.json"), JSON.stringify({ ...quietWorkbenchSettings, ...options.machineSettings }, null, 2));
        const logFile = path.join(options.dataDir, "server.log");
        const log = fs.openSync(logFile, "a");
        const child = spawn(
            process.execPath,
            [
                path.join(options.vscodeDir, "out", "server-main.js"),
                "--host", "127.0.0.1",
                "--port", "0",
                "--without-connection-token",
                "--accept-server-license-terms",
                "--user-data-dir", dirs["user-data"],
                "--server-data-dir", dirs["server-data"],
                "--extensions-dir", dirs.extensions,
                "--disable-telemetry",
                "--disable-workspace-trust",
                "--enable-smoke-test-driver",
                "--log", "info",
            ],
            {
                // Its own process group, so the whole tree (extension host, language server) can be signalled at once.
                detached: true,
                stdio: ["ignore", "pipe", log],
                env: {
                    ...process.env,
                    HOME: dirs.home,
                    TMPDIR: dirs.tmp,
                    XDG_CONFIG_HOME: dirs["xdg-config"],
                    XDG_DATA_HOME: dirs["xdg-data"],
                    XDG_CACHE_HOME: dirs["xdg-cache"],
                    VSCODE_AGENT_FOLDER: dirs["server-data"],
                    ...options.env,
                },
            },
        );
        fs.closeSync(log);
        const port = await new Promise<number>((resolve, reject) => {
            let output = "";
            const timer = setTimeout(() => fail(new Error(`the VS Code server did not start within ${(options.startTimeoutMs ?? 60_000) / 1000} s`)), options.startTimeoutMs ?? 60_000);
            const fail = (error: Error) => {
                clearTimeout(timer);
                void killTree(child.pid);
                reject(new Error(`${error.message}\n--- server output ---\n${output.slice(-4000)}`));
            };
            child.stdout!.on("data", (data: Buffer) => {
                fs.appendFileSync(logFile, data);
                output += data.toString();
                // The ready signal: the server prints this once it accepts connections.
                const match = /Extension host agent listening on (\d+)/.exec(output);
                if (match) {
                    clearTimeout(timer);
                    resolve(Number(match[1]));
                }
            });
            child.once("error", fail);
            child.once("exit", (code, signal) => fail(new Error(`the VS Code server exited during start (${signal ?? `code ${code}`})`)));
        });
        child.removeAllListeners("exit");
        child.stdout!.removeAllListeners("data");
        child.stdout!.on("data", (data: Buffer) => fs.appendFileSync(logFile, data));
        return new VsCodeServer(child, port, logFile);
    }

    get pid(): number | undefined {
        return this.process.pid;
    }

    get userDataDir(): string {
        return path.join(path.dirname(this.logFile), "user-data");
    }

    /** http://127.0.0.1:PORT/?folder=…&payload=… as @vscode/test-web builds it. */
    workbenchUrl(folder: string, payload: [string, string][]): string {
        const url = new URL(`http://127.0.0.1:${this.port}/`);
        url.searchParams.set("folder", folder);
        if (payload.length) url.searchParams.set("payload", JSON.stringify(payload));
        return url.toString();
    }

    /** A path on the server's machine, as the workbench addresses it (vscode-remote://host:port/abs/path). */
    remoteUri(absolutePath: string): string {
        return `vscode-remote://127.0.0.1:${this.port}${absolutePath.split(path.sep).join("/")}`;
    }

    /** SIGTERM to the server and every process below it, then SIGKILL to whatever is left after 5 s. */
    async stop(): Promise<void> {
        await killTree(this.process.pid);
    }
}
