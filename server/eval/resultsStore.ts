import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import type { LatestResults, ResultKind, ResultTypes, SavedResult } from "../../shared/results";
import { isObject } from "../../shared/isObject";

export type { ResultKind };

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

/**
 * The latest saved run of a kind, or undefined when there is none or its file does not hold a result of that kind's
 * shape (a truncated file, or one from an incompatible version): `problem` hears why, once per call.
 */
export async function loadLatestResult<K extends ResultKind>(kind: K, problem?: (message: string) => void): Promise<SavedResult<ResultTypes[K]> | undefined> {
    const file = path.join(resultsDir(), `latest-${kind}.json`);
    const text = await fs.readFile(file, "utf8").catch(() => undefined);
    if (!text) return undefined;
    let saved: unknown;
    try {
        saved = JSON.parse(text);
    } catch {
        problem?.(`${file} is not valid JSON; ignoring it.`);
        return undefined;
    }
    if (!isObject(saved) || typeof saved.savedAt !== "string" || !isObject(saved.result) || !shapes[kind](saved.result)) {
        problem?.(`${file} does not hold a ${kind} result this version understands; ignoring it.`);
        return undefined;
    }
    return { savedAt: saved.savedAt, result: saved.result as unknown as ResultTypes[K] };
}

/** The latest saved run of every kind (read in parallel). */
export async function loadLatestResults(problem?: (message: string) => void): Promise<LatestResults> {
    const [bench, needle, rouge, retrieval] = await Promise.all([
        loadLatestResult("bench", problem), loadLatestResult("needle", problem), loadLatestResult("rouge", problem), loadLatestResult("retrieval", problem),
    ]);
    return { ...(bench ? { bench } : {}), ...(needle ? { needle } : {}), ...(rouge ? { rouge } : {}), ...(retrieval ? { retrieval } : {}) };
}

/** What the dashboard relies on in each kind of result; optional fields it checks where it uses them. */
const shapes: Record<ResultKind, (result: Record<string, unknown>) => boolean> = {
    bench: (r) => Array.isArray(r.documents) && r.documents.every(isObject) && isObject(r.lsp) && typeof r.ms === "number",
    needle: (r) => Array.isArray(r.cells) && r.cells.every((cell) => isObject(cell) && typeof cell.length === "number" && typeof cell.depth === "number" && typeof cell.policy === "string") && Array.isArray(r.lengths) && Array.isArray(r.depths),
    rouge: (r) => Array.isArray(r.pairs) && r.pairs.every(isObject) && isObject(r.aggregate),
    retrieval: (r) => isObject(r.overall) && isObject(r.overall.document) && isObject(r.overall.place) && Array.isArray(r.questions) && isObject(r.byKind),
};

