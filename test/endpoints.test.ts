// Remote engines: real llama.cpp servers (built from the llama.cpp node-llama-cpp ships) on 127.0.0.1, spoken to by the
// CLI and the language server; hostile servers that hang, send garbage, fail or close mid-answer; and llama.cpp's RPC
// backend spreading one model over two rpc-server processes.
import assert from "node:assert/strict";
import * as fs from "node:fs/promises";
import { spawn } from "node:child_process";
import * as http from "node:http";
import type { Socket } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, test } from "node:test";
import { pathToFileURL } from "node:url";
import { AskRequest, MetricsNotification, type MetricsParams, type StreamParams } from "../shared/protocol";
import { startServer } from "../server/eval/LspServerProbe";
import { EndpointPool } from "../server/llm/remote/EndpointPool";
import { RemoteTextGenerator } from "../server/llm/remote/RemoteTextGenerator";
import { makeTinyModel } from "../server/llm/gguf/tinyModel";
import { runCli } from "./helpers/cli";
import { freePort, llamaServerBinaries, startLlamaServer, startRpcServer, type RunningServer } from "./helpers/llamaServer";

const { binaries, skip } = llamaServerBinaries();

interface GenerateJson {
    text: string;
    generatedTokens: number;
    endpoint: string;
    model: string;
    policy: string;
    stopReason: string;
}

let base: string;
let model: string;

before(async () => {
    base = await fs.mkdtemp(path.join(os.tmpdir(), "llamahome-endpoints-"));
    model = path.join(base, "tiny.gguf");
    await fs.writeFile(model, makeTinyModel({ textOnly: true }));
});
after(() => fs.rm(base, { recursive: true, force: true }));

/** The completion one server gives for a prompt, asked directly (greedy, so every server gives the same). */
async function direct(url: string, prompt: string, maxTokens: number): Promise<string> {
    const response = await fetch(`${url}/completion`, { method: "POST", body: JSON.stringify({ prompt, n_predict: maxTokens, temperature: 0, top_k: 1, cache_prompt: true }) });
    return ((await response.json()) as { content: string }).content;
}

async function generate(endpoints: string[], prompt: string, maxTokens: number, extra: string[] = []) {
    return runCli(["generate", "--endpoint", endpoints.join(","), "--prompt", prompt, "--max-tokens", String(maxTokens), "--json", ...extra], { timeoutMs: 60_000 });
}

describe("two llama-servers", { skip }, () => {
    let a: RunningServer;
    let b: RunningServer;
    before(async () => {
        [a, b] = await Promise.all([startLlamaServer(binaries!, model), startLlamaServer(binaries!, model)]);
    });
    after(async () => {
        await Promise.all([a?.kill(), b?.kill()]);
    });

    test("20 CLI requests are spread over both, each result names its server and says policy server", async () => {
        const expected = await direct(a.url, "The orchard", 24);
        const served = new Map<string, number>();
        for (let i = 0; i < 20; i++) {
            const run = await generate([a.url, b.url], "The orchard", 24);
            assert.equal(run.code, 0, run.stderr);
            const result = JSON.parse(run.stdout) as GenerateJson;
            assert.equal(result.text, expected, "the same greedy completion as asking the server directly");
            assert.equal(result.policy, "server");
            assert.equal(result.model, "tiny.gguf");
            served.set(result.endpoint, (served.get(result.endpoint) ?? 0) + 1);
        }
        assert.deepEqual([...served.keys()].sort(), [a.url, b.url].sort());
        for (const [url, count] of served) assert.ok(count >= 5, `${url} served ${count} of 20: ${JSON.stringify([...served])}`);
    });

    test("with every slot taken, an editor request goes ahead of queued background work", async () => {
        const pool = new EndpointPool([a.url]);
        try {
            const generator = new RemoteTextGenerator(pool, await pool.start());
            const background = generator.background();
            const finished: string[] = [];
            const run = (name: string, g: RemoteTextGenerator, onText?: () => void) =>
                g.generate({ prompt: `Request ${name}`, maxTokens: 200, onText }).then(() => finished.push(name));
            // Queue the rest while background 1 is streaming, so it surely holds the server's one slot (a fixed sleep
            // raced with the tiny model finishing first on a loaded machine).
            const queued: Promise<unknown>[] = [];
            const first = run("background 1", background, () => {
                if (queued.length > 0) return;
                queued.push(run("background 2", background), run("background 3", background), run("editor", generator));
            });
            await first;
            assert.equal(queued.length, 3, "background 1 streamed text");
            await Promise.all(queued);
            assert.deepEqual(finished, ["background 1", "editor", "background 2", "background 3"]);
        } finally {
            pool.dispose();
        }
    });

    test("cancelling a streamed generation closes the request and frees the server's slot", async () => {
        const pool = new EndpointPool([a.url]);
        try {
            const generator = new RemoteTextGenerator(pool, await pool.start());
            const controller = new AbortController();
            let streamed = "";
            const outcome = await generator.generate({ prompt: "Once upon a time", maxTokens: 1500, signal: controller.signal, onText: (text) => {
                streamed += text;
                controller.abort();
            } });
            assert.equal(outcome.cancelled, true);
            assert.equal(outcome.stopReason, "cancelled");
            assert.ok(streamed.length > 0 && streamed.length < 200, `stopped early (${streamed.length} characters)`);
            const deadline = Date.now() + 2000;
            let busy = true;
            while (busy && Date.now() < deadline) {
                busy = ((await (await fetch(`${a.url}/slots`)).json()) as { is_processing: boolean }[]).some((slot) => slot.is_processing);
                if (busy) await new Promise((resolve) => setTimeout(resolve, 50));
            }
            assert.equal(busy, false, "the server's slot is free again within 2 s");
        } finally {
            pool.dispose();
        }
    });

    test("kill -9 of the server that streams: the CLI's answer completes on the other, once", async () => {
        const prompt = "Once upon a time";
        const expected = await direct(a.url, prompt, 1500);
        const child = spawn(process.execPath, [path.join(__dirname, "..", "dist", "cli.js"), "generate", "--endpoint", `${a.url},${b.url}`, "--prompt", prompt, "--max-tokens", "1500"], { stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let killing: Promise<RunningServer> | undefined;
        const done = new Promise<number | null>((resolve) => child.on("close", resolve));
        child.stdout.on("data", (data: Buffer) => {
            stdout += data.toString();
            // the first words are out: kill whichever server is producing them
            killing ??= (async () => {
                const busy = await Promise.all([a, b].map(async (s) => ((await (await fetch(`${s.url}/slots`)).json()) as { is_processing: boolean }[]).some((slot) => slot.is_processing)));
                const victim = busy[0] ? a : b;
                await victim.kill();
                return victim;
            })();
        });
        const code = await done;
        assert.equal(code, 0);
        assert.ok(killing, "some text streamed");
        const killed = await killing;
        // 1500 tokens take the tiny model about a second on one thread; the kill lands within milliseconds of the first
        assert.equal(stdout.split("[the answer starts over:").length - 1, 1, `one restart notice: ${stdout.slice(0, 300)}`);
        // what came before the notice is void; after it, the survivor's whole answer, once
        const restartedText = stdout.slice(stdout.indexOf("]\n", stdout.indexOf("[the answer starts over:")) + 2);
        assert.ok(restartedText.startsWith(expected), "the survivor's answer follows the notice whole");
        assert.equal(restartedText.split(expected).length - 1, 1, "no duplicate text after the restart");
        // the killed one comes back on the same port and is used again
        const restarted = await startLlamaServer(binaries!, model, { port: killed.port });
        if (killed === a) a = restarted;
        else b = restarted;
        const again = await generate([a.url, b.url], "The orchard", 8);
        assert.equal(again.code, 0, again.stderr);
        assert.equal((JSON.parse(again.stdout) as GenerateJson).endpoint, restarted.url, "the restarted server (fewest tasks) takes the next request");
    });

    test("the language server spreads concurrent asks over both, streams a restart when a server dies mid-answer, and reports each endpoint", async () => {
        const hostile = await hostileServer("close-mid-event");
        const root = path.join(base, "ws");
        await fs.mkdir(root, { recursive: true });
        await fs.writeFile(path.join(root, "orchard.md"), "# Orchard\n\nThe quince trees were pruned in February by the volunteers of the orchard group.\n");
        const server = startServer({ endpoints: [hostile.url, a.url, b.url], endpointTimeout: 5 });
        try {
            const rootUri = pathToFileURL(root).toString();
            await server.connection.sendRequest("initialize", { processId: process.pid, rootUri, workspaceFolders: [{ uri: rootUri, name: "ws" }], capabilities: { workspace: { configuration: true } }, initializationOptions: { cacheDir: path.join(base, "cache") } });
            await server.connection.sendNotification("initialized", {});
            await server.waitForStatus((status) => status.state === "indexed");
            const streamed: StreamParams[] = [];
            server.connection.onNotification("llamahome/stream", (params: StreamParams) => streamed.push(params));
            const metrics: MetricsParams[] = [];
            server.connection.onNotification(MetricsNotification, (sample) => metrics.push(sample));

            // The hostile server has served nothing, so it is picked first: it sends half an event and hangs up.
            const first = (await server.connection.sendRequest(AskRequest, { question: "When were the quince trees pruned?", streamId: "r1" })) as { endpoint?: string; engine: string; answer: string };
            assert.equal(first.engine, "llm");
            assert.ok(first.endpoint === a.url || first.endpoint === b.url, `answered by a real server, not ${first.endpoint}`);
            const mine = streamed.filter((s) => s.streamId === "r1");
            const restartAt = mine.findIndex((s) => s.restart !== undefined);
            assert.ok(restartAt >= 0, "the client was told to start over");
            assert.equal(mine.slice(restartAt).map((s) => s.text).join("").trim(), first.answer, "after the restart, the answer streams once, whole");

            const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => server.connection.sendRequest(AskRequest, { question: i % 2 ? "When were the quince trees pruned?" : "Who pruned the quince trees?" }) as Promise<{ endpoint?: string }>));
            const served = new Map<string, number>();
            for (const answer of answers) served.set(answer.endpoint!, (served.get(answer.endpoint!) ?? 0) + 1);
            assert.equal(served.get(hostile.url), undefined, "the failed server is not used until a probe finds it well");
            assert.ok((served.get(a.url) ?? 0) >= 5 && (served.get(b.url) ?? 0) >= 5, JSON.stringify([...served]));

            const sample = [...metrics].reverse().find((m) => m.endpoints !== undefined);
            assert.ok(sample, "metrics carry the endpoints");
            const byUrl = new Map(sample.endpoints!.map((e) => [e.url, e] as const));
            assert.equal(byUrl.get(hostile.url)?.state, "down");
            assert.match(byUrl.get(hostile.url)?.reason ?? "", /closed/);
            assert.equal(byUrl.get(a.url)?.state, "up");
            assert.equal(byUrl.get(a.url)?.slotsTotal, 1);
        } finally {
            await server.stop();
            await hostile.close();
        }
    });
});

type HostileMode = "hang" | "garbage" | "http500" | "close-mid-event";

/**
 * A server that passes llama-server's probes (/health, /props, /slots) and then misbehaves on /completion in one way.
 * It reports no tasks served, so the pool tries it before a real server that has.
 */
async function hostileServer(mode: HostileMode): Promise<{ url: string; close(): Promise<void> }> {
    const sockets = new Set<Socket>();
    const server = http.createServer((request, response) => {
        const json = (value: unknown) => response.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify(value));
        const route = request.url ?? "";
        if (route === "/health") return json({ status: "ok" });
        if (route === "/props") return json({ default_generation_settings: { n_ctx: 2048 }, total_slots: 1, model_alias: "hostile" });
        if (route === "/slots") return json([{ id: 0, is_processing: false }]);
        if (route === "/metrics") return response.writeHead(501).end();
        let body = "";
        request.on("data", (d: Buffer) => (body += d.toString()));
        request.on("end", () => {
            if (route === "/tokenize") return json({ tokens: body.split(/\s+/) });
            if (route === "/apply-template") return json({ prompt: String((JSON.parse(body) as { messages: { content: string }[] }).messages[0]!.content) });
            if (route !== "/completion") return response.writeHead(404).end();
            if (mode === "hang") return; // never answers
            if (mode === "http500") return response.writeHead(500, { "Content-Type": "application/json" }).end(JSON.stringify({ error: { code: 500, message: "boom" } }));
            response.writeHead(200, { "Content-Type": "text/event-stream" });
            if (mode === "garbage") return response.end("data: this is not json\n\n");
            response.write('data: {"content":"Half an ans');
            setTimeout(() => response.socket?.destroy(), 20);
        });
    });
    server.on("connection", (socket) => {
        sockets.add(socket);
        socket.on("close", () => sockets.delete(socket));
    });
    const port = await freePort();
    await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
    return {
        url: `http://127.0.0.1:${port}`,
        close: () => new Promise<void>((resolve) => {
            for (const socket of sockets) socket.destroy();
            server.close(() => resolve());
        }),
    };
}

describe("hostile endpoints", () => {
    for (const mode of ["hang", "garbage", "http500", "close-mid-event"] as const) {
        test(`a server that ${mode === "hang" ? "never answers" : mode === "garbage" ? "sends garbage" : mode === "http500" ? "fails with HTTP 500" : "closes mid-event"}: a clear error within the timeout`, async () => {
            const hostile = await hostileServer(mode);
            try {
                const started = Date.now();
                const run = await generate([hostile.url], "Hello", 16, ["--endpoint-timeout", "2"]);
                const seconds = (Date.now() - started) / 1000;
                assert.notEqual(run.code, 0);
                assert.match(run.stderr, /no llama\.cpp server answers: http:\/\/127\.0\.0\.1:\d+ \(/);
                assert.match(run.stderr, mode === "hang" ? /no reply for 2 s/ : mode === "garbage" ? /not JSON/ : mode === "http500" ? /HTTP 500/ : /closed/);
                assert.ok(seconds < 10, `gave up in ${seconds} s`);
                assert.ok(!run.stdout.includes("Half an ans"), "no half answer on stdout with --json");
            } finally {
                await hostile.close();
            }
        });
    }

    test("a server that never answers fails over to a real one", { skip }, async () => {
        const hostile = await hostileServer("hang");
        const real = await startLlamaServer(binaries!, model);
        try {
            const expected = await direct(real.url, "Hello", 16);
            const run = await generate([hostile.url, real.url], "Hello", 16, ["--endpoint-timeout", "2"]);
            assert.equal(run.code, 0, run.stderr);
            const result = JSON.parse(run.stdout) as GenerateJson;
            assert.equal(result.endpoint, real.url);
            assert.equal(result.text, expected);
            assert.match(run.stderr, /is down: no reply for 2 s/);
        } finally {
            await Promise.all([hostile.close(), real.kill()]);
        }
    });

    test("every endpoint down: one error naming them, and the extractive engine still answers ask", async () => {
        const [p1, p2] = [await freePort(), await freePort()];
        const root = path.join(base, "down");
        await fs.mkdir(root, { recursive: true });
        await fs.writeFile(path.join(root, "minutes.txt"), "The treasurer reported a surplus of 412 pounds.\n");
        const run = await runCli(["ask", root, "What surplus did the treasurer report?", "--endpoint", `127.0.0.1:${p1},http://127.0.0.1:${p2}`, "--json", "--cache-dir", path.join(base, "cache-down")], { timeoutMs: 30_000 });
        assert.notEqual(run.code, 0);
        assert.match(run.stderr, new RegExp(`no llama\\.cpp server answers: http://127\\.0\\.0\\.1:${p1} \\(connection refused.*http://127\\.0\\.0\\.1:${p2} \\(connection refused`));
        const search = await runCli(["search", root, "surplus", "--json", "--cache-dir", path.join(base, "cache-down")]);
        assert.equal(search.code, 0, "search does not need a server");
    });
});

describe("llama.cpp RPC", { skip }, () => {
    test("llama-server over two rpc-servers serves the model, and LlamaHome answers through it", async () => {
        const workers = [await startRpcServer(binaries!), await startRpcServer(binaries!)];
        let front: RunningServer | undefined;
        try {
            front = await startLlamaServer(binaries!, model, { extraArgs: ["--rpc", workers.map((w) => `127.0.0.1:${w.port}`).join(","), "-ngl", "99", "-lv", "4"] });
            const run = await generate([front.url], "The orchard", 16);
            assert.equal(run.code, 0, run.stderr);
            const result = JSON.parse(run.stdout) as GenerateJson;
            assert.equal(result.endpoint, front.url);
            assert.ok(result.generatedTokens > 0);
            const log = front.log();
            for (const w of workers) {
                const at = `127\\.0\\.0\\.1:${w.port}`;
                assert.match(log, new RegExp(`using device RPC\\d+ \\(${at}\\)`), `the server uses RPC device 127.0.0.1:${w.port}`);
                assert.match(log, new RegExp(`\\[${at}\\] model buffer size`), `model weights live on 127.0.0.1:${w.port}`);
            }
        } finally {
            await front?.kill();
            await Promise.all(workers.map((w) => w.kill()));
        }
    });
});
