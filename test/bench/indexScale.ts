// The index at workspace scale (part of `npm run bench:index`): a folder of N Markdown notes of ~5 KB of prose drawn
// from a Zipf-distributed 20,000-word vocabulary (as real text is), indexed by the CLI in fresh processes and served by
// the language server; every figure printed next to ripgrep on the same files in the same run.
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { SearchRequest } from "../../shared/protocol";
import { percentile } from "../../server/eval/benchCorpus";
import { startServer } from "../../server/eval/LspServerProbe";

const cli = path.join(__dirname, "..", "..", "dist", "cli.js");

function vocabulary(size: number): string[] {
    const syllables = "ba be bi bo bu ca ce co da de di do fa fe fi ga go ha he hi ka ke ki la le li lo lu ma me mi mo na ne ni no pa pe pi po ra re ri ro sa se si so ta te ti to va ve vi wa we ya yo za".split(" ");
    let state = 12345;
    const next = () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32;
    const words = new Set<string>();
    while (words.size < size) {
        const count = 1 + Math.floor(next() * 4);
        words.add(Array.from({ length: count }, () => syllables[Math.floor(next() * syllables.length)]).join(""));
    }
    return [...words];
}

/** Deterministic notes whose word frequencies follow Zipf's law (rank r drawn with probability ∝ 1/r). */
export function makeNoteWriter(): (seed: number, bytes: number) => string {
    const words = vocabulary(20_000);
    const cumulative = new Float64Array(words.length);
    let sum = 0;
    for (let r = 0; r < words.length; r++) cumulative[r] = sum += 1 / (r + 1);
    const pick = (u: number) => {
        let low = 0;
        let high = words.length - 1;
        const target = u * sum;
        while (low < high) {
            const mid = (low + high) >> 1;
            if (cumulative[mid] < target) low = mid + 1;
            else high = mid;
        }
        return words[low];
    };
    return (seed, bytes) => {
        let state = (Math.imul(seed, 2654435761) + 1) >>> 0;
        const next = () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32;
        let text = `# Note ${seed}\n\n`;
        while (text.length < bytes) {
            const length = 6 + Math.floor(next() * 14);
            const sentence = Array.from({ length }, () => pick(next())).join(" ");
            text += sentence[0].toUpperCase() + sentence.slice(1) + (next() < 0.15 ? ".\n\n" : ". ");
        }
        return text;
    };
}

interface Timed {
    ms: number;
    code: number | null;
    stdout: string;
    peakMb: number;
}

/** Runs the CLI in a fresh process; peak RSS from /proc while it runs (VmHWM). */
function runCli(args: string[]): Promise<Timed> {
    return new Promise((resolve) => {
        const started = performance.now();
        const child = spawn(process.execPath, [cli, ...args], { stdio: ["ignore", "pipe", "inherit"] });
        let stdout = "";
        let peakKb = 0;
        child.stdout.on("data", (data: Buffer) => (stdout += data.toString()));
        const poll = setInterval(() => {
            void fs.readFile(`/proc/${child.pid}/status`, "utf8").then(
                (status) => (peakKb = Math.max(peakKb, Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0))),
                () => undefined,
            );
        }, 50);
        child.on("close", (code) => {
            clearInterval(poll);
            resolve({ ms: performance.now() - started, code, stdout, peakMb: peakKb / 1024 });
        });
    });
}

function ripgrep(): string | undefined {
    const bundled = path.join(__dirname, "..", "vscode", "code-server", "node_modules", "code-server", "lib", "vscode", "node_modules", "@vscode", "ripgrep", "bin", "rg");
    if (spawnSync("rg", ["--version"]).status === 0) return "rg";
    return existsSync(bundled) ? bundled : undefined;
}

function timeRipgrep(rg: string, pattern: string, dir: string): number {
    const started = performance.now();
    spawnSync(rg, ["-l", "-i", pattern, dir], { stdio: "ignore" });
    return performance.now() - started;
}

/** Cold runs are taken this many times each (ours and ripgrep's, interleaved) and the median reported: one run of either swings ±15% on this VM, and a median of 3 still moved a ratio by 0.3 from one run to the next. */
const coldRuns = 5;

function median(values: number[]): number {
    return percentile(values, 50);
}

/** How long node itself takes to start and exit here, as the environment has it and without NODE_EXTRA_CA_CERTS (which node reads at every start). */
function nodeStart(): { ms: number; withoutCaMs?: number } {
    const time = (env: NodeJS.ProcessEnv) => median(Array.from({ length: 5 }, () => {
        const started = performance.now();
        spawnSync(process.execPath, ["-e", "0"], { stdio: "ignore", env });
        return performance.now() - started;
    }));
    const { NODE_EXTRA_CA_CERTS: extraCa, ...rest } = process.env;
    return { ms: time(process.env), ...(extraCa ? { withoutCaMs: time(rest) } : {}) };
}

async function cacheBytesSince(dir: string, since: number): Promise<number> {
    let bytes = 0;
    for (const entry of await fs.readdir(dir, { recursive: true, withFileTypes: true })) {
        if (!entry.isFile()) continue;
        const stat = await fs.stat(path.join(entry.parentPath, entry.name));
        if (stat.mtimeMs >= since) bytes += stat.size;
    }
    return bytes;
}

const fmt = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`);

/** Prints one scale row set for `count` notes under `base`. */
export async function scaleRun(base: string, count: number, write: (line: string) => void): Promise<void> {
    const root = path.join(base, `notes-${count}`);
    const cache = path.join(base, `cache-notes-${count}`);
    const note = makeNoteWriter();
    for (let i = 0; i < count; i += 1000) {
        const dir = path.join(root, `d${i / 1000}`);
        await fs.mkdir(dir, { recursive: true });
        await Promise.all(Array.from({ length: Math.min(1000, count - i) }, (_, k) => fs.writeFile(path.join(dir, `note-${i + k}.md`), note(i + k, 5000))));
    }
    const rg = ripgrep();
    write(`\n${count.toLocaleString("en")} Markdown notes (~5 KB each), CLI in fresh processes:\n`);

    const scratch = await runCli(["index", root, "--cache-dir", cache, "--json"]);
    if (scratch.code !== 0) throw new Error(`index failed: ${scratch.stdout}`);
    const documents = (JSON.parse(scratch.stdout) as { documents: number }).documents;
    write(`  index from scratch: ${fmt(scratch.ms)} = ${Math.round(documents / (scratch.ms / 60_000)).toLocaleString("en")} docs/min (peak RSS ${scratch.peakMb.toFixed(0)} MB)\n`);

    // Crash safety at this size: kill -9 a second run (its own cache) half-way, then let a third finish from what is left.
    const crashCache = `${cache}-crash`;
    const victim = spawn(process.execPath, [cli, "index", root, "--cache-dir", crashCache, "--json"], { stdio: "ignore" });
    await new Promise((resolve) => setTimeout(resolve, scratch.ms / 2));
    victim.kill("SIGKILL");
    await new Promise((resolve) => victim.once("close", resolve));
    const resumed = await runCli(["index", root, "--cache-dir", crashCache, "--json"]);
    const after = JSON.parse(resumed.stdout) as { documents: number; reused: number };
    write(`  kill -9 half-way through a run, then index again: exit ${resumed.code}, ${after.documents} documents (${after.reused} kept from before the kill), ${fmt(resumed.ms)}\n`);
    await fs.rm(crashCache, { recursive: true, force: true });

    const opens: Timed[] = [];
    for (let i = 0; i < coldRuns; i++) opens.push(await runCli(["index", root, "--cache-dir", cache, "--json"]));
    const start = nodeStart();
    write(`  open the index (index, nothing changed; median of ${coldRuns}): ${fmt(median(opens.map((run) => run.ms)))} (peak RSS ${Math.max(...opens.map((run) => run.peakMb)).toFixed(0)} MB); ` +
        `node itself starts and exits in ${fmt(start.ms)} here${start.withoutCaMs === undefined ? "" : ` (${fmt(start.withoutCaMs)} without the NODE_EXTRA_CA_CERTS this machine sets)`}\n`);

    // A rare word, and two words of middling frequency, from a note that is not in the folder
    const sample = note(count + 1, 2000).toLowerCase().match(/[a-z]+/g)!.filter((word) => word !== "note");
    const queries = [sample.reduce((x, y) => (y.length > x.length ? y : x)), `${sample[4]} ${sample[9]}`];
    for (const query of queries) {
        const ours: number[] = [];
        const theirs: number[] = [];
        let hits = 0;
        for (let i = 0; i < coldRuns; i++) {
            const search = await runCli(["search", root, query, "--cache-dir", cache, "--json"]);
            hits = (JSON.parse(search.stdout) as { results: unknown[] }).results.length;
            ours.push(search.ms);
            if (rg) theirs.push(timeRipgrep(rg, query.split(" ")[0], root));
        }
        const ms = median(ours);
        const rgMs = rg ? median(theirs) : NaN;
        write(`  search "${query}" (cold process, ${hits} hits; medians of ${coldRuns}): ${fmt(ms)}; rg -l: ${rg ? fmt(rgMs) : "not installed"}; ratio ${rg ? (ms / rgMs).toFixed(2) : "–"}\n`);
    }

    const editStarted = Date.now();
    for (let i = 0; i < 10; i++) {
        const file = path.join(root, `d${i}`, `note-${i * 1000 + 7}.md`);
        await fs.appendFile(file, `\nEdited ${i}: a fresh paragraph about tomatoes.\n`);
    }
    const edited = await runCli(["index", root, "--cache-dir", cache, "--json"]);
    const extracted = (JSON.parse(edited.stdout) as { extracted: number }).extracted;
    const written = await cacheBytesSince(cache, editStarted);
    write(`  re-index after editing 10 files: ${fmt(edited.ms)}, ${extracted} re-read, ${(written / 1e6).toFixed(2)} MB written to the cache\n`);

    const server = startServer();
    const uri = pathToFileURL(root).toString();
    await server.connection.sendRequest("initialize", { processId: process.pid, rootUri: uri, workspaceFolders: [{ uri, name: "scale" }], capabilities: {}, initializationOptions: { cacheDir: cache } });
    await server.connection.sendNotification("initialized", {});
    const ready = performance.now();
    await server.waitForStatus((s) => s.state === "indexed", 900_000);
    const openMs = performance.now() - ready;
    const latencies: number[] = [];
    const words = makeNoteWriter()(99_999, 3000).toLowerCase().match(/[a-z]+/g)!;
    for (let i = 0; i < 200; i++) {
        const query = `${words[(i * 7) % words.length]} ${words[(i * 13 + 5) % words.length]}`;
        const started = performance.now();
        await server.connection.sendRequest(SearchRequest, { query, top: 10 });
        latencies.push(performance.now() - started);
    }
    const status = await fs.readFile(`/proc/${server.process.pid}/status`, "utf8");
    const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) / 1024;
    await server.stop();
    write(`  language server: indexed state after ${fmt(openMs)}; search p50 ${percentile(latencies, 50).toFixed(1)} ms, p95 ${percentile(latencies, 95).toFixed(1)} ms (200 two-word queries, warm); RSS ${kb("VmRSS").toFixed(0)} MB (peak ${kb("VmHWM").toFixed(0)} MB)\n`);
    const indexBytes = await cacheBytesSince(cache, 0);
    write(`  index on disk: ${(indexBytes / 1e6).toFixed(1)} MB for ${(count * 5000 / 1e6).toFixed(0)} MB of notes\n`);
    await fs.rm(root, { recursive: true, force: true });
    await fs.rm(cache, { recursive: true, force: true });
}
