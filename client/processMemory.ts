import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";

/** Resident memory of a process in bytes, or undefined where this platform offers no cheap way to read it. */
export async function residentSetBytes(pid: number): Promise<number | undefined> {
    try {
        if (process.platform === "linux") {
            const status = await readFile(`/proc/${pid}/status`, "utf8");
            const kib = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1];
            return kib ? Number(kib) * 1024 : undefined;
        }
        if (process.platform === "darwin") {
            const stdout = await new Promise<string>((resolve, reject) =>
                execFile("ps", ["-o", "rss=", "-p", String(pid)], (error, out) => (error ? reject(error) : resolve(out))),
            );
            const kib = Number(stdout.trim());
            return Number.isFinite(kib) && kib > 0 ? kib * 1024 : undefined;
        }
    } catch {
        // The process is gone, or ps is missing: unknown.
    }
    return undefined;
}
