// Measures the needle table the extension ships (media/needle-reference.json; README "Needle in a haystack"): the
// project's trained needle model through `llamahome needle`, full cache vs H2O vs question-aware H2O vs sink + window
// at one KV budget. Run with `npm run needle:reference` (about 20 minutes on 2 cores). The seed is held out from
// training and from the needle tests in `npm test`.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import type { NeedleReference, NeedleResult } from "../shared/results";

const ROOT = join(__dirname, "..");
const MODEL = "models/needle/llamahome-needle-2L128.gguf";
const ARGS = [
    "needle", "--model", MODEL,
    "--lengths", "1000,2000,4000,8000,16000,32000", "--depths", "10,50,90", "--trials", "20",
    "--policies", "full,h2o,query-aware,sink-window", "--window-length", "512", "--heavy-hitters", "128",
    "--seed", "9100000",
];


// Its own results folder: the user's latest needle run stays the latest.
const results = mkdtempSync(join(tmpdir(), "llamahome-needle-reference-"));
try {
    const needle = (args: string[]): NeedleResult => {
        const run = spawnSync(process.execPath, [join(ROOT, "dist", "cli.js"), ...args, "--json"], {
            cwd: ROOT,
            env: { ...process.env, LLAMAHOME_RESULTS_DIR: results },
            encoding: "utf8",
            maxBuffer: 64 * 1024 * 1024,
            stdio: ["ignore", "pipe", "inherit"],
        });
        if (run.status !== 0) throw new Error(`llamahome needle exited with ${run.status ?? run.signal}`);
        return JSON.parse(run.stdout) as NeedleResult;
    };
    const result = needle(ARGS);
    if (!result.cells.some((cell) => cell.policy === "h2o") || !result.cells.some((cell) => cell.policy === "query-aware")) {
        throw new Error("H2O did not run (no accumulator build?): build it with `npm run build:h2o` first; a table without it says nothing");
    }

    const reference: NeedleReference = {
        savedAt: new Date().toISOString(),
        title: "Reference: the project's needle model, standard vs H2O vs question-aware H2O vs sink + window",
        about:
            "Measured by the project on its own 2-layer model (trained on prompts of up to 1,024 tokens; models/needle/), " +
            "20 needles per cell, each in its own haystack from the sample workspace. The bounded caches hold 512 tokens of " +
            "KV cache at every length (H2O: 128 of them heavy hitters; question-aware: 3/4 of those 128 chosen by the question's " +
            "own attention, evaluated after each chunk); the standard cache holds the whole prompt.",
        command: `llamahome ${ARGS.join(" ")}`,
        result: { ...result, model: MODEL, haystack: relative(ROOT, result.haystack) || "." },
    };
    writeFileSync(join(ROOT, "media", "needle-reference.json"), JSON.stringify(reference, null, 1) + "\n");
    for (const [policy, summary] of Object.entries(result.summary)) {
        console.log(`${policy}: exact ${(summary.exact * 100).toFixed(1)}% over ${summary.cells} cells (${summary.skipped} skipped)`);
    }
    console.log("wrote media/needle-reference.json");
} finally {
    rmSync(results, { recursive: true, force: true });
}
