import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";

export type ResultKind = "bench" | "needle" | "rouge";

/** Where benchmark, needle and ROUGE runs are saved for the dashboard. Defaults to ~/.cache/llamahome/results. */
export function resultsDir(): string {
    return process.env.LLAMAHOME_RESULTS_DIR || path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache"), "llamahome", "results");
}

/** Saves a run as <kind>-<timestamp>.json and as latest-<kind>.json (atomically), returning the dated file. */
export async function saveResult(kind: ResultKind, result: unknown): Promise<string> {
    const dir = resultsDir();
    await fs.mkdir(dir, { recursive: true });
    const body = JSON.stringify({ kind, savedAt: new Date().toISOString(), result }, null, 1);
    const dated = path.join(dir, `${kind}-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
    await fs.writeFile(dated, body);
    const temporary = path.join(dir, `.latest-${kind}.${process.pid}.tmp`);
    await fs.writeFile(temporary, body);
    await fs.rename(temporary, path.join(dir, `latest-${kind}.json`));
    return dated;
}

/** The latest saved run of a kind, or undefined. */
export async function loadLatestResult<T>(kind: ResultKind): Promise<{ savedAt: string; result: T } | undefined> {
    const text = await fs.readFile(path.join(resultsDir(), `latest-${kind}.json`), "utf8").catch(() => undefined);
    if (!text) return undefined;
    try {
        return JSON.parse(text) as { savedAt: string; result: T };
    } catch {
        return undefined;
    }
}
