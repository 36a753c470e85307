import { spawn } from "node:child_process";
import * as path from "node:path";

export const cliPath = path.join(__dirname, "..", "..", "dist", "cli.js");

/** What `llamahome index --json` prints. */
export interface IndexJson {
    documents: number;
    chunks: number;
    failed: { path: string; error: string }[];
    skipped: { path: string; reason: string }[];
    formats: Record<string, number>;
    ms: number;
    extracted: number;
    reused: number;
}

export interface CliRun {
    code: number | null;
    signal: NodeJS.Signals | null;
    stdout: string;
    stderr: string;
}

/** Runs the built CLI as a user would (a separate node process) and collects its output. */
export function runCli(args: string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<CliRun> {
    return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [cliPath, ...args], { env: { ...process.env, ...options.env }, stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (data: Buffer) => (stdout += data.toString()));
        child.stderr.on("data", (data: Buffer) => (stderr += data.toString()));
        const timer = setTimeout(() => {
            child.kill("SIGKILL");
            reject(new Error(`llamahome ${args.join(" ")} did not finish in ${options.timeoutMs ?? 120_000} ms; stderr: ${stderr}`));
        }, options.timeoutMs ?? 120_000);
        child.on("error", reject);
        child.on("close", (code, signal) => {
            clearTimeout(timer);
            resolve({ code, signal, stdout, stderr });
        });
    });
}

export function parseJson<T>(run: CliRun): T {
    try {
        return JSON.parse(run.stdout) as T;
    } catch {
        throw new Error(`expected JSON on stdout (exit ${run.code}); stdout: ${run.stdout}\nstderr: ${run.stderr}`);
    }
}
