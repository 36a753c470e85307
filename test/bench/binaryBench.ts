// `npm run bench:binary`: generation speed of node-llama-cpp's prebuilt CPU binary against the H2O accumulator build
// (accumulator off, so only the binary differs), on the tiny model of bench:h2o (4 layers, d=256), 1 thread and all
// cores. Each run is its own process (one llama.cpp binding per process), alternating binaries, BENCH_ROUNDS rounds
// (default 3) of 5 repetitions; prints the median tok/s of each and the ratio. Figures, not assertions.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { writeTinyModel } from "../../server/llm/gguf/tinyModel";
import { loadH2oLlama } from "../../server/llm/h2o/h2oBuild";

type Binary = "prebuilt" | "h2o";
const GENERATED = 300;
const CONTEXT = 1024;

/** One measurement in this process: median generation tok/s over 5 repetitions. */
async function measure(binary: Binary, threads: number, model: string): Promise<number> {
    const { getLlama, LlamaLogLevel } = await import("node-llama-cpp");
    const llama = binary === "h2o" ? (await loadH2oLlama({ gpu: false, maxThreads: 0 })).llama : await getLlama({ gpu: false, build: "never", maxThreads: 0, logLevel: LlamaLogLevel.warn });
    const loaded = await llama.loadModel({ modelPath: model, gpuLayers: 0 });
    const context = await loaded.createContext({ contextSize: CONTEXT, threads, flashAttention: false });
    const sequence = context.getSequence();
    const prompt = loaded.tokenize("The allotment committee met in the greenhouse to plan the rainwater tanks. ".repeat(3));
    const rates: number[] = [];
    for (let rep = 0; rep < 5; rep++) {
        await sequence.clearHistory();
        let generated = 0;
        let started = 0;
        for await (const _token of sequence.evaluate(prompt, { temperature: 0 })) {
            // The first token comes with the prompt's evaluation: time generation from there.
            if (generated === 0) started = performance.now();
            if (++generated > GENERATED) break;
        }
        rates.push((GENERATED * 1000) / (performance.now() - started));
    }
    await context.dispose();
    await loaded.dispose();
    await llama.dispose();
    return median(rates);
}

function median(values: number[]): number {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)]!;
}

async function main(): Promise<void> {
    const [, , mode, binary, threads, model] = process.argv;
    if (mode === "--measure") {
        process.stdout.write(`${await measure(binary as Binary, Number(threads), model!)}\n`);
        return;
    }
    const built = spawnSync(process.execPath, [join(__dirname, "..", "..", "tools", "build-h2o.mjs"), "--check"]).status === 0;
    if (!built) throw new Error("no H2O accumulator build for the current patches: run `npm run build:h2o` first");
    const dir = mkdtempSync(join(tmpdir(), "llamahome-binary-bench-"));
    try {
        const file = join(dir, "tiny.gguf");
        await writeTinyModel(file, { layers: 4, embd: 256, ctx: 4096, seed: 3 });
        const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
        const threadCounts = [...new Set([1, availableParallelism()])];
        console.log(`generation tok/s, ${GENERATED} tokens after a short prompt, ${CONTEXT}-cell context, median of ${rounds} rounds × 5`);
        for (const threads of threadCounts) {
            const results: Record<Binary, number[]> = { prebuilt: [], h2o: [] };
            for (let round = 0; round < rounds; round++) {
                for (const binary of ["prebuilt", "h2o"] as const) {
                    const run = spawnSync(process.execPath, ["--import", "tsx", __filename, "--measure", binary, String(threads), file], { encoding: "utf8" });
                    if (run.status !== 0) throw new Error(`${binary} run failed: ${run.stderr}`);
                    results[binary].push(Number(run.stdout.trim().split("\n").pop()));
                }
            }
            const prebuilt = median(results.prebuilt);
            const h2o = median(results.h2o);
            console.log(`${threads} thread(s): prebuilt ${prebuilt.toFixed(0)}, H2O build ${h2o.toFixed(0)} (ratio ${(h2o / prebuilt).toFixed(2)})`);
        }
    } finally {
        rmSync(dir, { recursive: true, force: true });
    }
}

main().catch((error: Error) => {
    console.error(error.message);
    process.exit(1);
});
