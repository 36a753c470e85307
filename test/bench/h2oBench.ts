// `npm run bench:h2o`: a 32K-token prompt on a tiny model (4 layers, d=256, trained context 32768), through LlamaHome's
// path (InferenceProcess: its own child process per configuration), with a full 32K context and with bounded KV caches.
// Prints, per configuration: prompt and generation tok/s, KV cells held at the peak, tokens evicted, context memory
// (node-llama-cpp's estimate, and llama.cpp's state size at the end), the child's RSS (now and peak), with ratios to the
// full context. Then H2O's own cost on generation at equal KV size, in process on the accumulator build: the same
// bounded cache and eviction schedule with attention scoring (h2o) and without (sink-window, accumulator off), and a
// sequence evicting nothing that holds as many cells.
// Figures, not assertions. BENCH_PROMPT_TOKENS (default 32000), BENCH_GENERATED (128), BENCH_THREADS, BENCH_REPS (5).
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Llama, LlamaContextSequence, LlamaModel, Token } from "node-llama-cpp" with { "resolution-mode": "import" };
import type { KvCacheMode } from "../../shared/inferenceMessages";
import { writeTinyModel } from "../../server/llm/gguf/tinyModel";
import { AttentionAccumulator, h2oContextOptions } from "../../server/llm/h2o/AttentionAccumulator";
import { loadH2oLlama } from "../../server/llm/h2o/h2oBuild";
import { HeavyHitterPolicy } from "../../server/llm/h2o/HeavyHitterPolicy";
import { KvBudget } from "../../server/llm/h2o/KvBudget";
import type { KvEvictionPolicy } from "../../server/llm/h2o/KvEvictionPolicy";
import { KvPolicyRunner } from "../../server/llm/h2o/KvPolicyRunner";
import { SinkWindowPolicy } from "../../server/llm/h2o/SinkWindowPolicy";
import { InferenceProcess, type GenerateResult, type InferenceMetrics } from "../../server/llm/InferenceProcess";
import { defaultThreads } from "../../server/llm/LlamaEngine";

const PROMPT_TOKENS = Number(process.env.BENCH_PROMPT_TOKENS ?? 32_000);
const GENERATED = Number(process.env.BENCH_GENERATED ?? 128);
const THREADS = process.env.BENCH_THREADS === undefined ? defaultThreads() : Number(process.env.BENCH_THREADS);
const REPS = Number(process.env.BENCH_REPS ?? 5);
const MODEL_OPTIONS = { layers: 4, embd: 256, ctx: 32_768, seed: 3 };
const FULL_CONTEXT = 32_768;
const H2O = { windowLength: 512, heavyHitters: 128 };
const H2O_LARGE = { windowLength: 4096, heavyHitters: 1024 };
const MiB = 1024 * 1024;

const TEXT =
    "The allotment committee met in the greenhouse to plan the rainwater tanks, the compost bays and the rota for the summer. " +
    "Minutes were taken by the secretary; the treasurer reported that the seed fund had grown to 412 pounds after the plant sale. ";
/** The tiny model tokenizes one byte (or the space token) per character: PROMPT_TOKENS - 1 characters + BOS. */
const PROMPT = TEXT.repeat(Math.ceil(PROMPT_TOKENS / TEXT.length)).slice(0, PROMPT_TOKENS - 1);

/** What the query-aware run asks (its observation window); the other runs get the same prompt without it. */
const QUESTION = "\n\nQuestion: How much had the seed fund grown to after the plant sale?\nAnswer:";

interface Configuration {
    label: string;
    kv?: KvCacheMode;
    contextSize?: number;
    question?: string;
}

interface Measured {
    label: string;
    result: GenerateResult;
    metrics: InferenceMetrics;
    peakRssBytes?: number;
    contextSize: number;
}

/** The child's peak resident set (VmHWM), where /proc has it. */
function peakRss(pid: number | undefined): number | undefined {
    if (pid === undefined) return undefined;
    try {
        const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
        return match ? Number(match[1]) * 1024 : undefined;
    } catch {
        return undefined;
    }
}

async function measure(modelPath: string, configuration: Configuration): Promise<Measured> {
    const inference = new InferenceProcess({
        model: modelPath,
        gpu: false,
        threads: THREADS,
        ...(configuration.contextSize === undefined ? {} : { contextSize: configuration.contextSize }),
        ...(configuration.kv === undefined ? {} : { kv: configuration.kv }),
    });
    try {
        const info = await inference.load();
        const result = await inference.generate({ prompt: PROMPT, maxTokens: GENERATED, ...(configuration.question === undefined ? {} : { question: configuration.question }) });
        const metrics = await inference.metrics();
        return { label: configuration.label, result, metrics, peakRssBytes: peakRss(inference.pid), contextSize: info.contextSize };
    } finally {
        await inference.dispose();
    }
}

function median(values: number[]): number {
    const sorted = [...values].sort((a, b) => a - b);
    const middle = Math.floor(sorted.length / 2);
    return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function mib(bytes: number | undefined): string {
    return bytes === undefined ? "n/a" : (bytes / MiB).toFixed(1);
}

function table(header: string[], rows: string[][]): string {
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
    return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

interface Rate {
    /** Generated tokens per second of wall time. */
    wall: number;
    /** Per second of the process's CPU time (all threads): steadier than wall time on a busy host. */
    cpu: number;
    /** Average KV cells the sequence held while generating. */
    held: number;
    /** Tokens generated (fewer than asked when the bounded runs meet an end-of-generation token). */
    count: number;
}

function cpuMs(): number {
    const { user, system } = process.cpuUsage();
    return (user + system) / 1000;
}

/** Times the tokens after the first (the prompt's evaluation ends at the first). */
async function rateOf(tokens: AsyncIterable<Token>, held: () => number, limit: number): Promise<Rate> {
    let count = 0;
    let wallStart = 0;
    let cpuStart = 0;
    let heldSum = 0;
    for await (const _token of tokens) {
        if (count++ === 0) {
            wallStart = performance.now();
            cpuStart = cpuMs();
        }
        heldSum += held();
        if (count >= limit) break;
    }
    return { wall: ((count - 1) * 1000) / (performance.now() - wallStart), cpu: ((count - 1) * 1000) / (cpuMs() - cpuStart), held: heldSum / count, count };
}

/**
 * H2O's own cost on generation at equal KV size, in process on the accumulator build and one context (flash attention
 * off, windowLength + chunk + 1 cells): the bounded cache with attention scoring (h2o) and without (sink-window: the
 * same cells, the same evictions, the accumulator off), and a sequence that evicts nothing, holding as many cells on
 * average, with the accumulator on and off.
 */
async function equalKvOverhead(llama: Llama, modelPath: string): Promise<void> {
    const model: LlamaModel = await llama.loadModel({ modelPath });
    const budget = new KvBudget(H2O);
    const chunkSize = 511;
    const context = await model.createContext({ ...h2oContextOptions(budget.contextCells(chunkSize)), threads: THREADS });
    const generated = 512;
    const promptLength = 2048;
    const tokens = (count: number): Token[] => [model.tokens.bos!, ...model.tokenize(PROMPT.slice(0, count - 1))];
    try {
        const sequence: LlamaContextSequence = context.getSequence();
        let accumulator: AttentionAccumulator | undefined;
        // Off, the accumulator's callback returns at once: the graph computes in one piece, as on a prebuilt binary.
        const scoring = (on: boolean): void => {
            accumulator?.disable();
            accumulator = on ? AttentionAccumulator.enable(context) : undefined; // enable zeroes the scores
        };
        // A prompt longer than the window leaves the held tokens spread over all windowLength + chunk cells, and
        // llama.cpp attends over every cell up to the highest one in use; one within the window keeps them packed.
        const bounded = async (policy: KvEvictionPolicy, prompt = promptLength, compact = true): Promise<Rate> => {
            scoring(policy.needsScores);
            await sequence.clearHistory();
            const runner = new KvPolicyRunner(sequence, policy, { chunkSize, compact, ...(accumulator === undefined ? {} : { accumulator }) });
            return rateOf(runner.generate(tokens(prompt), { maxTokens: generated }), () => runner.stats.heldTokens, generated);
        };
        // no eviction: a prompt such that prompt + generated / 2 = the bounded cache's average
        const plain = async (scores: boolean, averageHeld: number): Promise<Rate> => {
            scoring(scores);
            await sequence.clearHistory();
            const prompt = tokens(Math.round(averageHeld - generated / 2));
            // past an end-of-generation token too, so that it holds as many cells as planned
            return rateOf(sequence.evaluate(prompt, { temperature: 0, yieldEogToken: true }), () => sequence.nextTokenIndex, generated);
        };
        const h2o = new HeavyHitterPolicy(budget);
        const window = new SinkWindowPolicy(budget);
        const warm = await bounded(h2o); // also allocates the compute buffers
        const kinds = ["h2o", "h2o, cells not packed", "sink-window", "sink-window, cells packed", "no eviction, scores on", "no eviction, scores off"] as const;
        const samples = new Map<(typeof kinds)[number], Rate[]>(kinds.map((kind) => [kind, []]));
        for (let rep = 0; rep < REPS; rep++) {
            // rotate the order so drift on a busy host favours no one
            for (let i = 0; i < kinds.length; i++) {
                const kind = kinds[(rep + i) % kinds.length]!;
                const rate =
                    kind === "h2o"
                        ? await bounded(h2o)
                        : kind === "h2o, cells not packed"
                          ? await bounded(h2o, promptLength, false)
                          : kind === "sink-window"
                          ? await bounded(window)
                          : kind === "sink-window, cells packed"
                            ? await bounded(window, budget.windowLength)
                            : await plain(kind === "no eviction, scores on", warm.held);
                samples.get(kind)!.push(rate);
            }
        }
        const medians = new Map(
            kinds.map((kind) => {
                const list = samples.get(kind)!;
                const rate: Rate = {
                    wall: median(list.map((r) => r.wall)),
                    cpu: median(list.map((r) => r.cpu)),
                    held: median(list.map((r) => r.held)),
                    count: median(list.map((r) => r.count)),
                };
                return [kind, rate] as const;
            }),
        );
        const h2oRate = medians.get("h2o")!;
        console.log(
            `\nH2O's cost on generation at equal KV size (accumulator build, in process, window ${budget.windowLength}/${budget.heavyHitters}, ` +
                `${budget.contextCells(chunkSize)}-cell context, ${promptLength}-token prompt, ${generated} generated, evictions every ` +
                `${budget.generationSlack} tokens; median of ${REPS}):`,
        );
        console.log(
            table(
                ["", "gen tok/s (wall)", "gen tok/s (CPU time)", "generated", "avg cells held", "h2o / this (CPU)"],
                kinds.map((kind) => {
                    const rate = medians.get(kind)!;
                    return [kind, rate.wall.toFixed(0), rate.cpu.toFixed(0), rate.count.toFixed(0), rate.held.toFixed(0), (h2oRate.cpu / rate.cpu).toFixed(3)];
                }),
            ),
        );
        const cost = (a: (typeof kinds)[number], b: (typeof kinds)[number]): string => `${((1 - medians.get(a)!.cpu / medians.get(b)!.cpu) * 100).toFixed(1)}%`;
        // the same comparison rep by rep (each rep runs every kind once, back to back): its spread
        const perRep = samples.get("h2o")!.map((rate, i) => (1 - rate.cpu / samples.get("no eviction, scores off")![i]!.cpu) * 100).sort((a, b) => a - b);
        console.log(
            `h2o (cells packed after the prompt) vs no eviction at equal cells, per rep (CPU time): ${perRep.map((v) => `${v.toFixed(1)}%`).join(", ")} ` +
                `(median ${median(perRep).toFixed(1)}%, min ${perRep[0]!.toFixed(1)}%, max ${perRep[perRep.length - 1]!.toFixed(1)}%; goal <= 10%)`,
        );
        console.log(
            `scoring (h2o vs sink-window, same cells and evictions): ${cost("h2o", "sink-window")}; ` +
                `scoring without eviction: ${cost("no eviction, scores on", "no eviction, scores off")}; ` +
                `eviction itself (sink-window vs no eviction): ${cost("sink-window", "no eviction, scores off")}, of which ` +
                `erase + position roll (cells packed vs no eviction) ${cost("sink-window, cells packed", "no eviction, scores off")} and ` +
                `cells spread by the long prompt (sink-window vs cells packed) ${cost("sink-window", "sink-window, cells packed")}; ` +
                `leaving the cells spread instead (h2o, cells not packed vs h2o) would cost ${cost("h2o, cells not packed", "h2o")}; ` +
                `h2o vs no H2O at all: ${cost("h2o", "no eviction, scores off")} (CPU-time rates)`,
        );
    } finally {
        await context.dispose();
        await model.dispose();
    }
}

async function main(): Promise<void> {
    const built = spawnSync(process.execPath, [join(__dirname, "..", "..", "tools", "build-h2o.mjs"), "--check"], { stdio: "ignore" }).status === 0;
    const dir = await mkdtemp(join(tmpdir(), "llamahome-h2o-bench-"));
    const modelPath = join(dir, "bench.gguf");
    try {
        await writeTinyModel(modelPath, MODEL_OPTIONS);
        console.log(
            `tiny model ${MODEL_OPTIONS.layers} layers, d=${MODEL_OPTIONS.embd}, trained context ${MODEL_OPTIONS.ctx}; CPU, ${THREADS} thread(s); ` +
                `prompt ${PROMPT_TOKENS} tokens, ${GENERATED} generated (greedy); H2O build ${built ? "installed" : "MISSING (h2o rows run sink-window)"}`,
        );
        const configurations: Configuration[] = [
            { label: `full ${FULL_CONTEXT} context`, contextSize: FULL_CONTEXT },
            { label: `H2O ${H2O.windowLength}/${H2O.heavyHitters}`, kv: { mode: "h2o", ...H2O } },
            { label: `query-aware ${H2O.windowLength}/${H2O.heavyHitters}`, kv: { mode: "query-aware", ...H2O }, question: QUESTION },
            { label: `H2O ${H2O_LARGE.windowLength}/${H2O_LARGE.heavyHitters}`, kv: { mode: "h2o", ...H2O_LARGE } },
            { label: `sink-window ${H2O.windowLength}/${H2O.heavyHitters}`, kv: { mode: "sink-window", ...H2O } },
        ];
        const measured: Measured[] = [];
        for (const configuration of configurations) {
            const started = performance.now();
            measured.push(await measure(modelPath, configuration));
            console.log(`  ${configuration.label}: ${((performance.now() - started) / 1000).toFixed(1)} s`);
        }
        const full = measured[0]!;
        const fullMemory = full.result.kv!.contextMemoryBytes;
        console.log();
        console.log(
            table(
                ["", "policy", "context", "prompt tok/s", "gen tok/s", "generated", "kvPeakCells", "evicted", "ctx mem MiB", "state MiB", "RSS MiB", "peak RSS MiB"],
                measured.map(({ label, result, metrics, peakRssBytes, contextSize }) => [
                    label,
                    result.kv!.policy,
                    String(contextSize),
                    result.promptTokensPerSecond.toFixed(0),
                    result.generationTokensPerSecond.toFixed(0),
                    String(result.generatedTokens),
                    String(result.kv!.kvPeakCells),
                    String(result.kv!.evictedTokens),
                    mib(result.kv!.contextMemoryBytes),
                    mib(metrics.stateSizeBytes),
                    mib(metrics.rssBytes),
                    mib(peakRssBytes),
                ]),
            ),
        );
        console.log("\nratios to the full context (x = this / full):");
        console.log(
            table(
                ["", "prompt tok/s", "gen tok/s", "kvPeakCells", "ctx mem", "ctx mem saved", "state", "RSS", "peak RSS"],
                measured.slice(1).map(({ label, result, metrics, peakRssBytes }) => {
                    const ratio = (a: number | undefined, b: number | undefined): string => (a === undefined || b === undefined ? "n/a" : (a / b).toFixed(3));
                    return [
                        label,
                        ratio(result.promptTokensPerSecond, full.result.promptTokensPerSecond),
                        ratio(result.generationTokensPerSecond, full.result.generationTokensPerSecond),
                        ratio(result.kv!.kvPeakCells, full.result.kv!.kvPeakCells),
                        ratio(result.kv!.contextMemoryBytes, fullMemory),
                        `${((1 - result.kv!.contextMemoryBytes / fullMemory) * 100).toFixed(1)}%`,
                        ratio(metrics.stateSizeBytes, full.metrics.stateSizeBytes),
                        ratio(metrics.rssBytes, full.metrics.rssBytes),
                        ratio(peakRssBytes, full.peakRssBytes),
                    ];
                }),
            ),
        );
        for (const { label, result } of measured) {
            if (result.kv?.fallbackReason) console.log(`${label}: ${result.kv.fallbackReason}`);
        }
        const promptSeconds = (m: Measured): number => m.result.promptTokens / m.result.promptTokensPerSecond;
        const [h2oRun, queryAwareRun] = [measured[1]!, measured[2]!];
        console.log(
            `\nquery-aware vs h2o at the same budget: prompt time ${promptSeconds(queryAwareRun).toFixed(2)} s vs ${promptSeconds(h2oRun).toFixed(2)} s ` +
                `= ${(promptSeconds(queryAwareRun) / promptSeconds(h2oRun)).toFixed(3)}x (target <= 1.25x); the question (${queryAwareRun.result.kv!.observationTokens ?? 0} ` +
                `observation tokens in all) is evaluated after each prompt chunk and erased again`,
        );
        if (built) {
            const { LlamaLogLevel } = await import("node-llama-cpp");
            const { llama } = await loadH2oLlama({ logLevel: LlamaLogLevel.error, maxThreads: 0 });
            try {
                await equalKvOverhead(llama, modelPath);
            } finally {
                await llama.dispose();
            }
        } else {
            console.log("\nH2O's cost at equal KV size: skipped, the accumulator build is missing (npm run build:h2o)");
        }
    } finally {
        await rm(dir, { recursive: true, force: true });
    }
}

main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
});
