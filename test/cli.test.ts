// The CLI contract other tools rely on: JSON shapes, exit codes, help, incremental runs, crash safety.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { cliPath, parseJson, runCli } from "./helpers/cli";

interface IndexJson {
    documents: number;
    chunks: number;
    failed: { path: string; error: string }[];
    skipped: { path: string; reason: string }[];
    formats: Record<string, number>;
    ms: number;
    extracted: number;
    reused: number;
}

async function tempWorkspace(t: { after: (fn: () => Promise<void>) => void }, files: Record<string, string>): Promise<{ root: string; cache: string }> {
    const base = await fs.mkdtemp(path.join(os.tmpdir(), "llamahome-cli-"));
    t.after(() => fs.rm(base, { recursive: true, force: true }));
    const root = path.join(base, "ws");
    for (const [rel, content] of Object.entries(files)) {
        await fs.mkdir(path.dirname(path.join(root, rel)), { recursive: true });
        await fs.writeFile(path.join(root, rel), content);
    }
    return { root, cache: path.join(base, "cache") };
}

test("--help works on every command; usage errors exit 2 with one line and no stack", async () => {
    const overview = await runCli(["--help"]);
    assert.equal(overview.code, 0);
    for (const command of ["index", "search", "demo"]) {
        assert.match(overview.stdout, new RegExp(`\\b${command}\\b`));
        const help = await runCli([command, "--help"]);
        assert.equal(help.code, 0, command);
        assert.match(help.stdout, new RegExp(`^llamahome ${command}`));
    }
    for (const args of [["frobnicate"], ["index"], ["index", "/definitely/not/here"], ["search", ".", "q", "--top", "zero"], ["index", ".", "--bogus"]]) {
        const run = await runCli(args);
        assert.equal(run.code, 2, args.join(" "));
        assert.equal(run.stderr.trim().split("\n").length, 1, `one line: ${run.stderr}`);
        assert.doesNotMatch(run.stderr, /\bat .*\.js:\d+/);
        assert.equal(run.stdout, "");
    }
});

test("index --json reports documents, chunks, formats; the second run reuses everything; edits are re-read", async (t) => {
    const { root, cache } = await tempWorkspace(t, {
        "a.txt": "The greenhouse heater failed in January.\n",
        "b.md": "# Bees\n\nThe hives produced forty jars of honey.\n",
        "src/tool.py": "# Counts seed packets\nprint(len(packets))\n",
        "data.json": '{"plots": 52}\n',
    });
    const first = parseJson<IndexJson>(await runCli(["index", root, "--cache-dir", cache, "--json"]));
    assert.deepEqual(
        { documents: first.documents, failed: first.failed, formats: first.formats, extracted: first.extracted },
        { documents: 4, failed: [], formats: { text: 1, markdown: 1, code: 1, json: 1 }, extracted: 4 },
    );
    assert.ok(first.chunks >= 4 && typeof first.ms === "number");

    const second = parseJson<IndexJson>(await runCli(["index", root, "--cache-dir", cache, "--json"]));
    assert.equal(second.extracted, 0);
    assert.equal(second.reused, 4);

    // Same bytes, new mtime: hashed, found unchanged, not re-extracted.
    const later = new Date(Date.now() + 5000);
    await fs.utimes(path.join(root, "a.txt"), later, later);
    // Different bytes: re-extracted.
    await fs.writeFile(path.join(root, "b.md"), "# Bees\n\nThe hives produced sixty jars of honey this year.\n");
    const third = parseJson<IndexJson>(await runCli(["index", root, "--cache-dir", cache, "--json"]));
    assert.equal(third.extracted, 1);
    assert.equal(third.documents, 4);

    const search = parseJson<{ results: { path: string; line?: number; snippet: string }[] }>(await runCli(["search", root, "honey jars", "--cache-dir", cache, "--json"]));
    assert.equal(search.results[0].path, "b.md");
    assert.match(search.results[0].snippet, /sixty jars/);
    assert.equal(search.results[0].line, 1);

    await fs.rm(path.join(root, "b.md"));
    const fourth = parseJson<IndexJson>(await runCli(["index", root, "--cache-dir", cache, "--json"]));
    assert.equal(fourth.documents, 3);
    const gone = parseJson<{ results: unknown[] }>(await runCli(["search", root, "honey", "--cache-dir", cache, "--json"]));
    assert.deepEqual(gone.results, []);
});

test("search indexes first when there is no index yet, and honours --top", async (t) => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 12; i++) files[`note-${i}.txt`] = `Note ${i}: the rhubarb bed needs mulch.\n`;
    const { root, cache } = await tempWorkspace(t, files);
    const run = await runCli(["search", root, "rhubarb", "--top", "5", "--cache-dir", cache, "--json"]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(parseJson<{ results: unknown[] }>(run).results.length, 5);
});

test("a fatal error (unwritable cache) exits 1 with a one-line message", async (t) => {
    const { root, cache } = await tempWorkspace(t, { "a.txt": "text\n" });
    await fs.writeFile(cache, "a file where the cache directory should be");
    const run = await runCli(["index", root, "--cache-dir", cache, "--json"]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /^llamahome: .*(ENOTDIR|EEXIST|not a directory)/);
});

test("kill -9 while the index is being written leaves an index that opens (last good or rebuilt)", async (t) => {
    const files: Record<string, string> = {};
    const paragraph = "Seed swap volunteers catalogue heritage beans, squash and kale varieties for the spring market. ";
    for (let i = 0; i < 1500; i++) files[`d${i % 20}/doc-${i}.txt`] = `Document ${i}. ${paragraph.repeat(20)}\n`;
    const { root, cache } = await tempWorkspace(t, files);
    const killTimes = [150, 300, 450, 600, 800, 1100];
    let killed = 0;
    for (const delay of killTimes) {
        // Touch a slice of files so each run has real work and a save to interrupt.
        const stamp = new Date(Date.now() + delay * 1000);
        for (let i = 0; i < 1500; i += 7) await fs.utimes(path.join(root, `d${i % 20}/doc-${i}.txt`), stamp, stamp);
        const child = spawn(process.execPath, [cliPath, "index", root, "--cache-dir", cache, "--json"], { stdio: "ignore" });
        const closed = new Promise<NodeJS.Signals | null>((resolve) => child.once("close", (_code, signal) => resolve(signal)));
        await new Promise((resolve) => setTimeout(resolve, delay));
        child.kill("SIGKILL");
        if ((await closed) === "SIGKILL") killed++;
    }
    assert.ok(killed >= 3, `at least half the runs were killed mid-way (killed ${killed})`);
    const after = await runCli(["index", root, "--cache-dir", cache, "--json"]);
    assert.equal(after.code, 0, after.stderr);
    const report = parseJson<IndexJson>(after);
    assert.equal(report.documents, 1500);
    assert.deepEqual(report.failed, []);
});

test("a corrupt index file is rebuilt with a warning, not a crash", async (t) => {
    const { root, cache } = await tempWorkspace(t, { "a.txt": "Alpha document about leeks.\n", "b.txt": "Beta document about onions.\n" });
    assert.equal((await runCli(["index", root, "--cache-dir", cache, "--json"])).code, 0);
    const [dir] = await fs.readdir(cache);
    const file = path.join(cache, dir, "index.jsonl");
    const content = await fs.readFile(file, "utf8");
    await fs.writeFile(file, content.slice(0, Math.floor(content.length / 2)));
    const run = await runCli(["index", root, "--cache-dir", cache, "--json"]);
    assert.equal(run.code, 0);
    assert.match(run.stderr, /could not be read .*rebuilding/);
    const report = parseJson<IndexJson>(run);
    assert.equal(report.documents, 2);
    assert.equal(report.extracted, 2);
    await fs.writeFile(file, "garbage\u0000\u0001{{{");
    const again = parseJson<IndexJson>(await runCli(["index", root, "--cache-dir", cache, "--json"]));
    assert.equal(again.documents, 2);
});

test("model loads that could hang fail in one line: a refused download within its stall limit, a FIFO at once", async (t) => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "llamahome-cli-hang-"));
    t.after(() => fs.rm(dir, { recursive: true, force: true }));
    const { execFileSync } = await import("node:child_process");
    const fifo = path.join(dir, "model.gguf");
    execFileSync("mkfifo", [fifo]);
    const timed = async (args: string[], env: NodeJS.ProcessEnv = {}) => {
        const started = performance.now();
        const run = await runCli(args, { env, timeoutMs: 60_000 });
        return { ...run, ms: performance.now() - started };
    };
    const [refused, piped] = await Promise.all([
        timed(["generate", "--model", "http://127.0.0.1:1/nothing.gguf", "--models-dir", path.join(dir, "models"), "--prompt", "hi"], { LLAMAHOME_DOWNLOAD_STALL_SECONDS: "2" }),
        timed(["generate", "--model", fifo, "--prompt", "hi"]),
    ]);
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(refused.stderr, /^llamahome: cannot load model http:\/\/127\.0\.0\.1:1\/nothing\.gguf: download failed: nothing received for 2 s/);
    assert.equal(refused.stderr.trim().split("\n").length, 1);
    assert.ok(refused.ms < 20_000, `gave up after ${Math.round(refused.ms)} ms`);
    const [fileUrl, dotted] = await Promise.all([
        timed(["generate", "--model", "file:///nonexistent/llamahome/model.gguf", "--prompt", "hi"]),
        timed(["generate", "--model", "hf:someone/../../etc/passwd", "--models-dir", path.join(dir, "models"), "--prompt", "hi"]),
    ]);
    assert.equal(fileUrl.code, 1);
    assert.match(fileUrl.stderr, /cannot load model \/nonexistent\/llamahome\/model\.gguf: missing file/, "a file: URL names that file, not a path under the current folder");
    assert.equal(dotted.code, 1);
    assert.match(dotted.stderr, /an hf: URI may not contain '\.' or '\.\.' path segments/);
    assert.equal(piped.code, 1, piped.stderr);
    assert.match(piped.stderr, /not a regular file/);
    assert.ok(piped.ms < 15_000, `refused the FIFO after ${Math.round(piped.ms)} ms`);
});
