// The inference layer end to end on tiny GGUF models this test writes: a real child process running node-llama-cpp,
// a real HTTP server on 127.0.0.1 for downloads. Run `node esbuild.mjs` first (npm test does): the child is the bundle.
import assert from "node:assert/strict";
import { fork } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { DisposedError } from "../server/core/DisposedError";
import { CancelledError, InferenceError, InferenceProcessExitedError, ModelLoadError } from "../server/llm/inferenceErrors";
import { CompletionTextStream } from "../server/llm/CompletionTextStream";
import { GgufWriter } from "../server/llm/gguf/GgufWriter";
import { GgufValueType } from "../server/llm/gguf/ggufFormat";
import { readGguf } from "../server/llm/gguf/ggufParser";
import { makeTinyModel, writeTinyModel } from "../server/llm/gguf/tinyModel";
import { InferenceProcess, type GenerateResult } from "../server/llm/InferenceProcess";
import { defaultThreads } from "../server/llm/LlamaEngine";
import { resolveModelSource, type DownloadProgress } from "../server/llm/resolveModelSource";

const childScript = join(__dirname, "..", "dist", "inferenceChild.js");
const PROMPT = "Hello world";
const MiB = 1024 * 1024;

let dir: string;
let modelPath: string;
let engine: InferenceProcess;
/** Greedy output for PROMPT with maxTokens 32, from the first generation. */
let reference: GenerateResult;

before(async () => {
    dir = await mkdtemp(join(tmpdir(), "llamahome-inference-"));
    modelPath = join(dir, "tiny.gguf");
    await writeFile(modelPath, makeTinyModel());
    engine = new InferenceProcess({ model: modelPath });
});

after(async () => {
    await engine.dispose();
    await rm(dir, { recursive: true, force: true });
});

function isAlive(pid: number): boolean {
    try {
        process.kill(pid, 0);
        return true;
    } catch {
        return false;
    }
}

async function waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
        if (Date.now() > deadline) {
            throw new Error(`timed out waiting for ${what}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 10));
    }
}

/** Resolves with the time from `abort()` to the generation's answer, once `afterMs` passed since its first text. */
function generateThenCancel(process: InferenceProcess, afterMs: number): Promise<{ result: GenerateResult; cancelMs: number }> {
    const controller = new AbortController();
    let abortedAt = 0;
    let armed = false;
    return process
        .generate({
            prompt: PROMPT,
            maxTokens: 100_000,
            signal: controller.signal,
            onText: () => {
                if (!armed) {
                    armed = true;
                    setTimeout(() => {
                        abortedAt = performance.now();
                        controller.abort();
                    }, afterMs);
                }
            },
        })
        .then((result) => ({ result, cancelMs: performance.now() - abortedAt }));
}

describe("InferenceProcess on a tiny model", () => {
    test("loads the model in a child process with resolved defaults", async () => {
        const info = await engine.load();
        assert.equal(info.path, modelPath);
        assert.equal(info.name, "llamahome-tiny-2L-64d-seed1");
        assert.equal(info.trainContextSize, 4096);
        assert.equal(info.contextSize, 4096, "min(training context, 4096)");
        assert.equal(info.threads, defaultThreads());
        assert.equal(info.gpu, false, "no GPU here: gpu auto falls back to the CPU");
        assert.ok(info.sizeBytes > 0);
        assert.ok(engine.pid !== undefined && engine.pid !== process.pid && isAlive(engine.pid));
        assert.deepEqual(await engine.load(), info, "a second load is the same load");
    });

    test("greedy generation is repeatable, counted and timed", async () => {
        reference = await engine.generate({ prompt: PROMPT, maxTokens: 32 });
        const again = await engine.generate({ prompt: PROMPT, maxTokens: 32 });
        assert.equal(again.text, reference.text);
        assert.ok(reference.text.length > 0);
        assert.equal(reference.stopReason, "maxTokens");
        assert.equal(reference.generatedTokens, 32, "no EOS from this model and prompt: exactly maxTokens tokens");
        assert.equal(reference.promptTokens, 1 + PROMPT.length, "BOS + one byte token per character");
        for (const result of [reference, again]) {
            assert.ok(result.promptTokensPerSecond > 0, `prompt tok/s ${result.promptTokensPerSecond}`);
            assert.ok(result.generationTokensPerSecond > 0, `generation tok/s ${result.generationTokensPerSecond}`);
            assert.ok(result.timeToFirstTokenMs > 0 && result.timeToFirstTokenMs <= result.ms);
        }
        assert.deepEqual(
            { ...reference.kv, contextMemoryBytes: undefined },
            // the last sampled token is never fed back
            { policy: "full", kvBudget: 4096, kvPeakCells: reference.promptTokens + 31, evictedTokens: 0, contextMemoryBytes: undefined },
        );
        assert.ok(reference.kv!.contextMemoryBytes > 0);
        const short = await engine.generate({ prompt: PROMPT, maxTokens: 5 });
        assert.equal(short.generatedTokens, 5);
        assert.ok(reference.text.startsWith(short.text), "a shorter greedy run is a prefix of the longer one");
    });

    test("streamed chunks concatenate to the final text", async () => {
        const chunks: string[] = [];
        const result = await engine.generate({ prompt: PROMPT, maxTokens: 32, onText: (text) => chunks.push(text) });
        assert.ok(chunks.length > 1, `only ${chunks.length} chunk(s)`);
        assert.equal(chunks.join(""), result.text);
        assert.equal(result.text, reference.text);
    });

    test("a stop string ends the generation before it, in the stream too", async () => {
        // A stop string taken from the middle of the reference text: generation must end at its first occurrence.
        const start = Math.floor(reference.text.length / 2);
        const stop = reference.text.slice(start, start + 2);
        const chunks: string[] = [];
        const result = await engine.generate({ prompt: PROMPT, maxTokens: 32, stop: [stop, "never produced 🦙"], onText: (text) => chunks.push(text) });
        assert.equal(result.stopReason, "stop");
        assert.equal(result.text, reference.text.slice(0, reference.text.indexOf(stop)));
        assert.equal(chunks.join(""), result.text);
        assert.ok(result.generatedTokens < 32);
    });

    test("counts tokens", async () => {
        assert.equal(await engine.countTokens(PROMPT), PROMPT.length);
        assert.equal(await engine.countTokens(""), 0);
        assert.equal(await engine.countTokens("é"), 2, "two UTF-8 bytes, two byte tokens");
    });

    test("reports metrics", async () => {
        const metrics = await engine.metrics();
        assert.equal(metrics.pid, engine.pid);
        assert.equal(metrics.contextSize, 4096);
        assert.ok(metrics.rssBytes > 10 * MiB, `rss ${metrics.rssBytes}`);
        assert.ok(metrics.stateSizeBytes > 0);
        assert.ok(metrics.lastGenerationTokensPerSecond > 0);
        assert.equal(metrics.vramTotalBytes, 0);
    });

    test("cancelling stops a long generation within 200 ms, and the next one starts clean", async (t) => {
        const { result, cancelMs } = await generateThenCancel(engine, 300);
        t.diagnostic(`cancelled after ${result.generatedTokens} tokens; the promise settled ${cancelMs.toFixed(1)} ms after abort()`);
        assert.equal(result.stopReason, "cancelled");
        assert.ok(cancelMs < 200, `cancel took ${cancelMs.toFixed(1)} ms`);
        assert.ok(result.generatedTokens > 0);
        if (result.generatedTokens >= reference.generatedTokens) {
            assert.ok(result.text.startsWith(reference.text));
        }
        const next = await engine.generate({ prompt: PROMPT, maxTokens: 32 });
        assert.equal(next.text, reference.text, "the sequence was cleared after the cancelled request");

        const early = new AbortController();
        early.abort();
        const notStarted = await engine.generate({ prompt: PROMPT, signal: early.signal });
        assert.deepEqual([notStarted.stopReason, notStarted.generatedTokens, notStarted.text], ["cancelled", 0, ""]);
    });

    test("serves interactive requests before queued background ones; a queued request can be cancelled", async () => {
        const finished: string[] = [];
        const blocker = new AbortController();
        let blockerStarted = false;
        const long = engine
            .generate({ prompt: PROMPT, maxTokens: 100_000, priority: "background", signal: blocker.signal, onText: () => (blockerStarted = true) })
            .then((result) => finished.push(`long:${result.stopReason}`));
        await waitFor(() => blockerStarted, 10_000, "the long generation to start");
        const background = engine.generate({ prompt: PROMPT, maxTokens: 4, priority: "background" }).then(() => finished.push("background"));
        const dropped = new AbortController();
        const droppedResult = engine.generate({ prompt: PROMPT, maxTokens: 4, priority: "background", signal: dropped.signal });
        const interactive = engine.generate({ prompt: PROMPT, maxTokens: 4 }).then(() => finished.push("interactive"));
        dropped.abort();
        const cancelled = await droppedResult;
        assert.deepEqual([cancelled.stopReason, cancelled.generatedTokens], ["cancelled", 0], "cancelled while still queued");
        blocker.abort();
        await Promise.all([long, background, interactive]);
        assert.deepEqual(finished, ["long:cancelled", "interactive", "background"]);
    });

    test("kill -9 during a generation fails that request clearly; queued and later requests restart the child", async () => {
        await engine.load();
        const oldPid = engine.pid!;
        let killed = false;
        const doomed = engine.generate({
            prompt: PROMPT,
            maxTokens: 100_000,
            onText: () => {
                if (!killed) {
                    killed = true;
                    process.kill(oldPid, "SIGKILL");
                }
            },
        });
        const queued = engine.generate({ prompt: PROMPT, maxTokens: 32 });
        await assert.rejects(doomed, (error: unknown) => {
            assert.ok(error instanceof InferenceProcessExitedError, String(error));
            assert.equal(error.message, "inference process exited unexpectedly (signal SIGKILL) while generating; it will be restarted on the next request");
            return true;
        });
        const recovered = await queued;
        assert.equal(recovered.text, reference.text, "the queued request ran on a restarted child");
        assert.ok(engine.pid !== undefined && engine.pid !== oldPid, `pid ${engine.pid} after ${oldPid}`);
        assert.ok(!isAlive(oldPid));
        assert.equal((await engine.generate({ prompt: PROMPT, maxTokens: 32 })).text, reference.text);
    });
});

describe("a small context", () => {
    test("rejects a prompt longer than the context, and generates past its end by shifting", async () => {
        await using small = new InferenceProcess({ model: modelPath, gpu: false, contextSize: 256 });
        assert.equal((await small.load()).contextSize, 256);
        await assert.rejects(small.generate({ prompt: "x".repeat(300) }), (error: unknown) => {
            assert.ok(error instanceof InferenceError, String(error));
            assert.equal(error.code, "prompt-too-long");
            assert.equal(error.message, "the prompt is 301 tokens but the context holds 256; shorten the prompt or raise contextSize");
            return true;
        });
        const long = await small.generate({ prompt: PROMPT, maxTokens: 600 });
        assert.deepEqual([long.stopReason, long.generatedTokens], ["maxTokens", 600]);
        // node-llama-cpp keeps a cell free and shifts 100 tokens (min(100, size / 2)) out when the context is full
        const kv = long.kv!;
        assert.deepEqual([kv.policy, kv.kvBudget], ["full", 256]);
        assert.ok(kv.kvPeakCells <= 255 && kv.kvPeakCells > 200, `peak ${kv.kvPeakCells}`);
        assert.equal(kv.evictedTokens % 100, 0, `whole shifts: ${kv.evictedTokens}`);
        assert.ok(kv.evictedTokens >= long.promptTokens + 599 - 255, `evicted ${kv.evictedTokens}`);
    });
});

describe("bad models", () => {
    test("each fails to load with a one-line error naming the file and the cause; a good model loads after", async () => {
        const model = makeTinyModel();
        const cases: [name: string, bytes: Buffer | undefined, cause: RegExp][] = [
            ["missing.gguf", undefined, /^missing file$/],
            ["truncated.gguf", model.subarray(0, Math.floor(model.length / 2)), /^truncated GGUF: tensor .* but the file has \d+ bytes$/],
            ["notes.gguf", Buffer.from("just some notes, not a model\n"), /^not a GGUF file \(bad magic\)$/],
            // Without this key llama.cpp hits a GGML_ASSERT that would abort the process.
            ["no-ffn.gguf", withKey(model, "llama.feed_forward_length", undefined), /^missing key llama\.feed_forward_length$/],
            // Passes the header check; llama.cpp's own tensor check refuses it, and its log line is the cause.
            [
                "wrong-ffn.gguf",
                withKey(model, "llama.feed_forward_length", 100),
                /^llama\.cpp could not load it: check_tensor_dims: tensor 'blk\.0\.ffn_gate\.weight' has wrong shape; expected 64, 100, got 64, 256, 1, 1$/,
            ],
        ];
        for (const [name, bytes, cause] of cases) {
            const file = join(dir, name);
            if (bytes) {
                await writeFile(file, bytes);
            }
            const bad = new InferenceProcess({ model: file, gpu: false });
            try {
                await assert.rejects(bad.load(), (error: unknown) => {
                    assert.ok(error instanceof ModelLoadError, `${name}: ${String(error)}`);
                    assert.equal(error.file, file);
                    assert.match(error.reason, cause);
                    assert.equal(error.message, `cannot load model ${file}: ${error.reason}`);
                    assert.ok(!error.message.includes("\n"));
                    return true;
                });
                assert.ok(bad.pid !== undefined && isAlive(bad.pid), `${name}: the child survived`);
                await assert.rejects(bad.generate({ prompt: PROMPT, maxTokens: 2 }), ModelLoadError, "later requests report the same problem");
            } finally {
                await bad.dispose();
            }
        }
        await using good = new InferenceProcess({ model: modelPath, gpu: false });
        assert.equal((await good.generate({ prompt: PROMPT, maxTokens: 32 })).text, reference.text);
    });
});

describe("GPU backends", () => {
    test("an explicit backend this machine lacks fails the load with what to do", { skip: process.platform === "darwin" && "Metal exists on macOS" }, async () => {
        await using metal = new InferenceProcess({ model: modelPath, gpu: "metal" });
        await assert.rejects(metal.load(), (error: unknown) => {
            assert.ok(error instanceof ModelLoadError, String(error));
            assert.match(error.reason, /^GPU backend metal is not available on this machine \(.*\); set gpu to "auto" or false$/);
            return true;
        });
    });
});

describe("model downloads", () => {
    const midModel = makeTinyModel({ layers: 2, embd: 256 }); // ~8.5 MiB: two of the downloader's 5 MiB resume chunks
    let server: ModelServer;
    let modelsDir: string;

    before(async () => {
        modelsDir = join(dir, "models");
        server = await startModelServer(
            new Map([
                ["/models/mid.gguf", midModel],
                ["/user/repo/resolve/main/mid.gguf", midModel],
                ["/files/notes.gguf", Buffer.from("<html>not a model</html>\n")],
            ]),
        );
    });

    after(async () => {
        const closed = new Promise<void>((resolve) => server.http.close(() => resolve()));
        // The stalled response of the interrupted download never ends on its own.
        server.http.closeAllConnections();
        await closed;
    });

    test("downloads with progress, resumes an interrupted download, then finds the file offline", async () => {
        const url = `${server.url}/models/mid.gguf`;
        const stallAt = 5.5 * MiB;
        server.stallAt = stallAt;
        const interrupted = new AbortController();
        let armed = false;
        await assert.rejects(
            resolveModelSource(url, {
                modelsDir,
                signal: interrupted.signal,
                onProgress: ({ downloadedBytes }) => {
                    if (downloadedBytes >= stallAt && !armed) {
                        armed = true;
                        // Give the downloader a moment to write its finished 5 MiB chunk and its resume record.
                        setTimeout(() => interrupted.abort(), 200);
                    }
                },
            }),
            CancelledError,
        );
        assert.ok(!existsSync(join(modelsDir, "mid.gguf")), "an interrupted download is not a model yet");

        server.stallAt = Infinity;
        server.requests.length = 0;
        const progress: DownloadProgress[] = [];
        const file = await resolveModelSource(url, { modelsDir, onProgress: (event) => progress.push(event) });
        assert.equal(file, join(modelsDir, "mid.gguf"));
        assert.ok((await readFile(file)).equals(midModel), "the resumed file is byte-identical");
        const ranged = server.requests.filter((request) => request.rangeStart !== undefined);
        assert.ok(ranged.length > 0 && ranged.every((request) => request.rangeStart! >= 5 * MiB), JSON.stringify(server.requests));
        assert.ok(progress.length > 0);
        assert.ok(progress[0]!.downloadedBytes >= 5 * MiB, `resumed at ${progress[0]!.downloadedBytes}`);
        assert.deepEqual(progress.at(-1), { downloadedBytes: midModel.length, totalBytes: midModel.length });
        for (let i = 1; i < progress.length; i++) {
            assert.ok(progress[i]!.downloadedBytes >= progress[i - 1]!.downloadedBytes, "progress never goes back");
        }

        server.requests.length = 0;
        const again: DownloadProgress[] = [];
        assert.equal(await resolveModelSource(url, { modelsDir, onProgress: (event) => again.push(event) }), file);
        assert.deepEqual(server.requests, [], "an existing download is used without touching the network");
        assert.deepEqual(again, []);
    });

    test("loads an hf: URI through InferenceProcess, reporting download progress", async () => {
        const progress: DownloadProgress[] = [];
        await using remote = new InferenceProcess({
            model: "hf:user/repo/mid.gguf",
            modelsDir,
            huggingFaceEndpoint: `${server.url}/`,
            gpu: false,
            onDownloadProgress: (event) => progress.push(event),
        });
        const info = await remote.load();
        assert.equal(info.path, join(modelsDir, "hf_user_repo_mid.gguf"));
        assert.deepEqual(progress.at(-1), { downloadedBytes: midModel.length, totalBytes: midModel.length });
        const result = await remote.generate({ prompt: PROMPT, maxTokens: 4 });
        assert.equal(result.promptTokens, 1 + PROMPT.length);
        // This model's greedy pick after the prompt may be EOS, which ends the generation early.
        assert.ok(result.stopReason === "maxTokens" || result.stopReason === "eos", result.stopReason);
    });

    test("a download that is not a GGUF is rejected and deleted", async () => {
        await assert.rejects(resolveModelSource(`${server.url}/files/notes.gguf`, { modelsDir }), (error: unknown) => {
            assert.ok(error instanceof ModelLoadError, String(error));
            assert.match(error.message, /not a usable model \(not a GGUF file \(bad magic\)\); it was deleted/);
            return true;
        });
        assert.ok(!existsSync(join(modelsDir, "notes.gguf")));
    });
});

describe("process lifetime", () => {
    test("the child exits when its IPC channel disconnects (no orphans)", async () => {
        const child = fork(childScript, [], { execArgv: [], stdio: ["ignore", "ignore", "ignore", "ipc"] });
        await new Promise((resolve) => child.once("spawn", resolve));
        const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
        child.disconnect();
        assert.equal(await exited, 0);
    });

    test("a child that dies while loading fails the load with a ModelLoadError; the next load starts a new child", async () => {
        await using fresh = new InferenceProcess({ model: modelPath, gpu: false });
        const loading = fresh.load();
        await waitFor(() => fresh.pid !== undefined, 5000, "the child to start");
        const pid = fresh.pid!;
        process.kill(pid, "SIGKILL");
        await assert.rejects(loading, (error: unknown) => {
            assert.ok(error instanceof ModelLoadError, String(error));
            assert.equal(error.message, `cannot load model ${modelPath}: the inference process crashed while loading it (signal SIGKILL)`);
            return true;
        });
        assert.equal((await fresh.load()).path, modelPath);
        assert.ok(fresh.pid !== undefined && fresh.pid !== pid);
    });

    test("dispose kills the child, is safe twice, and later use fails with DisposedError", async () => {
        await engine.load();
        const pid = engine.pid!;
        assert.ok(isAlive(pid));
        await engine.dispose();
        assert.ok(!isAlive(pid), "the child is gone once dispose resolves");
        assert.equal(engine.pid, undefined);
        await engine.dispose();
        await assert.rejects(engine.generate({ prompt: PROMPT }), DisposedError);
        await assert.rejects(engine.load(), DisposedError);
    });
});

describe("CompletionTextStream", () => {
    // Byte tokens, decoded like llama.cpp does: an incomplete UTF-8 sequence comes out as U+FFFD.
    const decode = (tokens: readonly number[]): string => Buffer.from(tokens).toString("utf8");
    const bytes = (text: string): number[] => [...Buffer.from(text, "utf8")];

    test("never releases half a character", () => {
        const stream = new CompletionTextStream(decode, []);
        const chunks = bytes("é😀a").map((token) => stream.push(token));
        chunks.push(stream.flush());
        assert.ok(chunks.every((chunk) => !chunk.includes("\uFFFD")), JSON.stringify(chunks));
        assert.equal(chunks.join(""), "é😀a");
    });

    test("holds back a possible stop string and drops a complete one", () => {
        const stream = new CompletionTextStream(decode, ["STOP", "\n\n"]);
        const chunks = bytes("abST").map((token) => stream.push(token));
        assert.equal(chunks.join(""), "ab", "ST might begin STOP");
        assert.equal(stream.push(bytes("x")[0]!), "STx", "it did not");
        assert.equal(bytes("yz\n").map((token) => stream.push(token)).join(""), "yz", "\\n might begin \\n\\n");
        assert.equal(stream.push(bytes("S")[0]!), "\n", "it did not, but S might begin STOP");
        assert.equal(bytes("TOP tail").map((token) => stream.push(token)).join(""), "");
        assert.ok(stream.stopped);
        assert.equal(stream.flush(), "");
    });
});

interface ModelServer {
    http: Server;
    url: string;
    /** Bytes of a file after which responses stop sending (the connection stays open): a stalled download. */
    stallAt: number;
    requests: { path: string; rangeStart?: number }[];
}

/** Serves files with Range support, like a model host; records every request. */
async function startModelServer(files: ReadonlyMap<string, Buffer>): Promise<ModelServer> {
    const state: Omit<ModelServer, "http" | "url"> = { stallAt: Infinity, requests: [] };
    const http = createServer((request, response) => {
        const path = new URL(request.url ?? "/", "http://localhost").pathname;
        const range = /^bytes=(\d+)-(\d*)$/.exec(request.headers.range ?? "");
        state.requests.push({ path, rangeStart: range ? Number(range[1]) : undefined });
        const data = files.get(path);
        if (!data) {
            response.writeHead(404).end("not found");
            return;
        }
        const start = range ? Number(range[1]) : 0;
        const end = range && range[2] ? Number(range[2]) : data.length - 1;
        const headers = { "content-length": String(end - start + 1), "accept-ranges": "bytes", "content-type": "application/octet-stream" };
        response.writeHead(range ? 206 : 200, range ? { ...headers, "content-range": `bytes ${start}-${end}/${data.length}` } : headers);
        if (request.method === "HEAD") {
            response.end();
            return;
        }
        const until = Math.min(end + 1, state.stallAt);
        if (start < until) {
            response.write(data.subarray(start, until));
        }
        if (until > end) {
            response.end();
        }
    });
    await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
    const server: ModelServer = Object.assign(state, { http, url: `http://127.0.0.1:${(http.address() as AddressInfo).port}` });
    return server;
}

/** Re-encodes a GGUF with one metadata key left out (undefined) or set to a uint32, for files broken one way. */
function withKey(source: Buffer, key: string, value: number | undefined): Buffer {
    const file = readGguf(source);
    const writer = new GgufWriter({ alignment: file.alignment });
    for (const [name, entry] of file.metadata) {
        if (name === "general.alignment") {
            continue;
        }
        if (name === key) {
            if (value !== undefined) {
                writer.addUint32(name, value);
            }
            continue;
        }
        switch (entry.type) {
            case GgufValueType.Uint32:
                writer.addUint32(name, file.requireNumber(name));
                break;
            case GgufValueType.Float32:
                writer.addFloat32(name, file.requireNumber(name));
                break;
            case GgufValueType.Bool:
                writer.addBool(name, file.requireBool(name));
                break;
            case GgufValueType.String:
                writer.addString(name, file.requireString(name));
                break;
            case GgufValueType.Array:
                if (entry.itemType === GgufValueType.String) {
                    writer.addStringArray(name, file.requireStringArray(name));
                } else if (entry.itemType === GgufValueType.Int32) {
                    writer.addInt32Array(name, file.requireNumberArray(name));
                } else {
                    writer.addFloat32Array(name, file.requireNumberArray(name));
                }
                break;
            default:
                throw new Error(`unexpected type ${entry.type} of ${name}`);
        }
    }
    for (const [name, data] of file.tensorsF32()) {
        writer.addTensor(name, file.tensorInfo(name).dims, data);
    }
    return writer.toBuffer();
}

test("instruction prompts go through the model's own chat template; models without one get the raw prompt", async (t) => {
    const dir = await mkdtemp(join(tmpdir(), "llamahome-chat-"));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const chatml = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
    const templated = join(dir, "chat.gguf");
    await writeTinyModel(templated, { seed: 4, chatTemplate: chatml });
    const plain = join(dir, "plain.gguf");
    await writeTinyModel(plain, { seed: 4 });
    const prompt = "Summarize: the hens laid well.";

    const withTemplate = new InferenceProcess({ model: templated, gpu: false, contextSize: 512 });
    t.after(() => withTemplate.dispose());
    const info = await withTemplate.load();
    assert.ok(info.chatTemplate, "the template was recognised");
    const raw = await withTemplate.generate({ prompt, maxTokens: 2 });
    const chat = await withTemplate.generate({ prompt, maxTokens: 2, instruction: true });
    // BOS + 30 bytes raw; the ChatML turn markers ("<|im_start|>user\n", "<|im_end|>", "<|im_start|>assistant\n") add bytes.
    assert.equal(raw.promptTokens, 31);
    assert.ok(chat.promptTokens > raw.promptTokens + 30, `${chat.promptTokens} tokens with the template`);

    const withoutTemplate = new InferenceProcess({ model: plain, gpu: false, contextSize: 512 });
    t.after(() => withoutTemplate.dispose());
    assert.equal((await withoutTemplate.load()).chatTemplate, undefined);
    assert.equal((await withoutTemplate.generate({ prompt, maxTokens: 2, instruction: true })).promptTokens, 31);
});
