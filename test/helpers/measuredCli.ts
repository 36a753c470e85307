import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { cliPath, type CliRun } from "./cli";

export interface MeasuredRun extends CliRun {
    ms: number;
    /**
     * The most memory the CLI process held at once, in bytes: the kernel's high-water mark of its resident set
     * (VmHWM in /proc/PID/status, which covers its worker threads), read until it exits. Undefined where /proc is not.
     */
    peakRssBytes?: number;
}

export interface MeasuredCli {
    /** Resolves when the CLI has exited. */
    done: Promise<MeasuredRun>;
    pid: number | undefined;
}

/** Starts the built CLI and follows its peak memory while it runs; kills it after `timeoutMs`. */
export function measuredCli(args: string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): MeasuredCli {
    const started = performance.now();
    const child = spawn(process.execPath, [cliPath, ...args], { env: { ...process.env, ...options.env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (data: Buffer) => (stdout += data.toString()));
    child.stderr.on("data", (data: Buffer) => (stderr += data.toString()));
    let peak: number | undefined;
    const sample = () => {
        try {
            const kb = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"))?.[1];
            if (kb !== undefined) peak = Math.max(peak ?? 0, Number(kb) * 1024);
        } catch {
            // gone, or no /proc here
        }
    };
    // VmHWM only grows, so a sample now and then loses nothing but the last few milliseconds before exit.
    const sampler = setInterval(sample, 25);
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 300_000);
    const done = new Promise<MeasuredRun>((resolve, reject) => {
        child.on("error", reject);
        child.on("exit", () => sample());
        child.on("close", (code, signal) => {
            clearInterval(sampler);
            clearTimeout(timer);
            resolve({ code, signal, stdout, stderr, ms: performance.now() - started, peakRssBytes: peak });
        });
    });
    return { done, pid: child.pid };
}
