// `npm run bench:endpoints`: llama.cpp servers as LlamaHome's engine. 32 concurrent generations through the endpoint
// pool (the code the language server and the CLI run: routing by free slots, streaming, failover bookkeeping) on one
// llama-server and on two, against the same requests sent straight to the two servers (the routing overhead), and the
// local engine (the inference child, one generation at a time). Each server runs one thread, pinned to its own core
// with taskset when there is one, so two servers can be twice one on 2 cores. Prints medians over BENCH_REPS
// (default 3) interleaved rounds, as figures and ratios; no assertions.
import { spawnSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeTinyModel } from "../../server/llm/gguf/tinyModel";
import { InferenceProcess } from "../../server/llm/InferenceProcess";
import { EndpointPool } from "../../server/llm/remote/EndpointPool";
import { RemoteTextGenerator } from "../../server/llm/remote/RemoteTextGenerator";
import { percentile } from "../../server/eval/percentile";
import { llamaServerBinaries, startLlamaServer, type RunningServer } from "../helpers/llamaServer";

const REPS = Number(process.env.BENCH_REPS ?? 3);
const REQUESTS = 32;
const MAX_TOKENS = 64;
const SLOTS = 4;
/** A model big enough that the servers, not the client on the same 2 cores, do most of the work. */
const LAYERS = Number(process.env.BENCH_LAYERS ?? 8);
const EMBD = Number(process.env.BENCH_EMBD ?? 512);

interface Round {
    wallMs: number;
    latencies: number[];
    tokens: number;
}

const prompts = Array.from({ length: REQUESTS }, (_, i) => `Request ${i}: the allotment committee met in the greenhouse to plan the rainwater tanks and the compost bays.`);

async function concurrently(run: (prompt: string) => Promise<number>): Promise<Round> {
    const started = performance.now();
    const latencies: number[] = [];
    let tokens = 0;
    await Promise.all(prompts.map(async (prompt) => {
        const t0 = performance.now();
        const generated = await run(prompt);
        tokens += generated;
        latencies.push(performance.now() - t0);
    }));
    return { wallMs: performance.now() - started, latencies, tokens };
}

async function viaPool(urls: string[]): Promise<Round> {
    const pool = new EndpointPool(urls);
    try {
        const generator = new RemoteTextGenerator(pool, await pool.start());
        return await concurrently(async (prompt) => (await generator.generate({ prompt, maxTokens: MAX_TOKENS })).generatedTokens);
    } finally {
        pool.dispose();
    }
}

/** The same streamed /completion requests, split evenly over the servers by hand: what LlamaHome's routing costs. */
async function direct(urls: string[]): Promise<Round> {
    let next = 0;
    return concurrently(async (prompt) => {
        const url = urls[next++ % urls.length];
        const response = await fetch(`${url}/completion`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ prompt, n_predict: MAX_TOKENS, temperature: 0, top_k: 1, stream: true, cache_prompt: true }) });
        const text = await response.text();
        const last = text.trim().split("\n").filter((line) => line.startsWith("data: ")).at(-1)!;
        return (JSON.parse(last.slice(6)) as { tokens_predicted: number }).tokens_predicted;
    });
}

async function local(modelPath: string): Promise<Round> {
    const inference = new InferenceProcess({ model: modelPath, gpu: false, threads: 1, contextSize: 2048 });
    try {
        await inference.load();
        return await concurrently(async (prompt) => (await inference.generate({ prompt, maxTokens: MAX_TOKENS })).generatedTokens);
    } finally {
        await inference.dispose();
    }
}

function median(values: number[]): number {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)]!;
}

async function main(): Promise<void> {
    const { binaries, skip } = llamaServerBinaries();
    if (!binaries) throw new Error(skip);
    const dir = await mkdtemp(join(tmpdir(), "llamahome-bench-endpoints-"));
    const modelPath = join(dir, "bench.gguf");
    await writeFile(modelPath, makeTinyModel({ layers: LAYERS, embd: EMBD, textOnly: true }));
    const pinned = spawnSync("taskset", ["--version"]).status === 0;
    const servers: RunningServer[] = [];
    try {
        for (const core of [0, 1]) {
            const server = await startLlamaServer(binaries, modelPath, { slots: SLOTS, contextSize: 2048 * SLOTS, extraArgs: ["--log-disable"] });
            if (pinned) spawnSync("taskset", ["-a", "-p", "-c", String(core), String(server.process.pid)]);
            servers.push(server);
        }
        const [a, b] = servers.map((s) => s.url) as [string, string];
        const configs: Record<string, () => Promise<Round>> = {
            "one endpoint (pool)": () => viaPool([a]),
            "two endpoints (pool)": () => viaPool([a, b]),
            "two endpoints (direct, no LlamaHome)": () => direct([a, b]),
            "local engine (1 thread)": () => local(modelPath),
        };
        const rounds = new Map<string, Round[]>(Object.keys(configs).map((name) => [name, []]));
        await viaPool([a, b]); // warm both servers' prompt caches and the code paths
        for (let rep = 0; rep < REPS; rep++) for (const [name, run] of Object.entries(configs)) rounds.get(name)!.push(await run());

        const figures = new Map([...rounds].map(([name, list]) => {
            const wall = median(list.map((r) => r.wallMs));
            const tokens = median(list.map((r) => r.tokens));
            const latencies = list.flatMap((r) => r.latencies);
            return [name, { requestsPerSecond: (REQUESTS * 1000) / wall, tokensPerSecond: (tokens * 1000) / wall, p50: percentile(latencies, 50), p95: percentile(latencies, 95) }];
        }));
        process.stdout.write(`${REQUESTS} concurrent requests of ${MAX_TOKENS} tokens, tiny model (${LAYERS} layers, d=${EMBD}), ${SLOTS} slots and 1 thread per server${pinned ? ", each server pinned to its own core" : " (taskset missing: not pinned)"}; medians of ${REPS} rounds\n\n`);
        process.stdout.write("| configuration | requests/s | tokens/s | p50 ms | p95 ms |\n|---|---|---|---|---|\n");
        for (const [name, f] of figures) process.stdout.write(`| ${name} | ${f.requestsPerSecond.toFixed(2)} | ${f.tokensPerSecond.toFixed(0)} | ${f.p50.toFixed(0)} | ${f.p95.toFixed(0)} |\n`);
        const one = figures.get("one endpoint (pool)")!;
        const two = figures.get("two endpoints (pool)")!;
        const bare = figures.get("two endpoints (direct, no LlamaHome)")!;
        const localFigures = figures.get("local engine (1 thread)")!;
        process.stdout.write(`\ntwo endpoints / one: ${(two.requestsPerSecond / one.requestsPerSecond).toFixed(2)}× requests/s (goal ≥ 1.6×); the same requests sent straight to two servers: ${(bare.requestsPerSecond / one.requestsPerSecond).toFixed(2)}× (what this machine allows)\n`);
        process.stdout.write(`LlamaHome routing overhead vs direct: ${((bare.requestsPerSecond / two.requestsPerSecond - 1) * 100).toFixed(1)}% (goal ≤ 5%)\n`);
        process.stdout.write(`two endpoints / local engine: ${(two.requestsPerSecond / localFigures.requestsPerSecond).toFixed(2)}× requests/s\n`);
    } finally {
        await Promise.all(servers.map((s) => s.kill()));
        await rm(dir, { recursive: true, force: true });
    }
}

main().catch((error: unknown) => {
    process.stderr.write(`bench:endpoints: ${(error as Error).message}\n`);
    process.exit(1);
});
