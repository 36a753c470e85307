// `npm run bench:inference`: one tiny model (4 layers, d=256) and one prompt, run through LlamaHome's path
// (InferenceProcess: child process, IPC, streamed text) and through a bare in-process node-llama-cpp loop with the same
// backend, threads, context and batch size. Prints medians over interleaved repetitions and LlamaHome/bare ratios,
// plus a second bare instance as the noise floor (two identical instances can differ by several % on a busy host).
// Figures, not assertions. BENCH_REPS (default 7) and BENCH_GPU ("auto", "false", "cuda", …) tune it.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { LlamaContextSequence, LlamaModel, Token } from "node-llama-cpp" with { "resolution-mode": "import" };
import type { InferenceGpu } from "../../shared/inferenceMessages";
import { writeTinyModel } from "../../server/llm/gguf/tinyModel";
import { InferenceProcess } from "../../server/llm/InferenceProcess";

const REPS = Number(process.env.BENCH_REPS ?? 7);
const GPU: InferenceGpu = process.env.BENCH_GPU === undefined || process.env.BENCH_GPU === "auto" ? "auto" : process.env.BENCH_GPU === "false" ? false : (process.env.BENCH_GPU as InferenceGpu);
const GENERATED = 256;
/** ~1000 byte tokens: two 512-token batches. */
const LONG_PROMPT = "The allotment committee met in the greenhouse to plan the rainwater tanks, the compost bays and the rota. ".repeat(10).slice(0, 1000);

interface Sample {
    promptTokensPerSecond: number;
    generationTokensPerSecond: number;
    timeToFirstTokenMs: number;
}

/** Throughput seen by the caller: prompt tok/s over the whole maxTokens 1 request; generation from first text to the end. */
interface Runner {
    prompt(): Promise<{ tokens: number; ms: number }>;
    generate(prompt: string): Promise<{ generated: number; firstMs: number; endMs: number }>;
}

function median(values: number[]): number {
    const sorted = [...values].sort((a, b) => a - b);
    const middle = Math.floor(sorted.length / 2);
    return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

async function sample(runner: Runner, generationPrompt: string): Promise<Sample> {
    const prompt = await runner.prompt();
    const generation = await runner.generate(generationPrompt);
    return {
        promptTokensPerSecond: (prompt.tokens * 1000) / prompt.ms,
        generationTokensPerSecond: ((generation.generated - 1) * 1000) / (generation.endMs - generation.firstMs),
        timeToFirstTokenMs: generation.firstMs,
    };
}

function homeRunner(home: InferenceProcess, childRates: { prompt: number[]; generation: number[] }): Runner {
    return {
        async prompt() {
            const started = performance.now();
            const result = await home.generate({ prompt: LONG_PROMPT, maxTokens: 1 });
            const ms = performance.now() - started;
            childRates.prompt.push(result.promptTokensPerSecond);
            return { tokens: result.promptTokens, ms };
        },
        async generate(prompt) {
            const started = performance.now();
            let firstMs: number | undefined;
            const result = await home.generate({ prompt, maxTokens: GENERATED, onText: () => (firstMs ??= performance.now() - started) });
            const endMs = performance.now() - started;
            childRates.generation.push(result.generationTokensPerSecond);
            return { generated: result.generatedTokens, firstMs: firstMs!, endMs };
        },
    };
}

/** What a user of node-llama-cpp would write: tokenize, clear, evaluate, detokenize each token. */
function bareRunner(model: LlamaModel, sequence: LlamaContextSequence): Runner {
    const input = (text: string): Token[] => [model.tokens.bos!, ...model.tokenize(text)];
    return {
        async prompt() {
            const started = performance.now();
            const tokens = input(LONG_PROMPT);
            await sequence.clearHistory();
            for await (const token of sequence.evaluate(tokens, { temperature: 0 })) {
                model.detokenize([token]);
                break;
            }
            return { tokens: tokens.length, ms: performance.now() - started };
        },
        async generate(prompt) {
            const started = performance.now();
            await sequence.clearHistory();
            let text = "";
            let generated = 0;
            let firstMs = 0;
            for await (const token of sequence.evaluate(input(prompt), { temperature: 0 })) {
                if (generated++ === 0) {
                    firstMs = performance.now() - started;
                }
                text += model.detokenize([token]);
                if (generated >= GENERATED) {
                    break;
                }
            }
            return { generated, firstMs, endMs: performance.now() - started };
        },
    };
}

/** A prompt after which greedy decoding runs GENERATED tokens without EOS, so both paths time full generations. */
async function findGenerationPrompt(model: LlamaModel, sequence: LlamaContextSequence): Promise<string> {
    for (let i = 0; i < 50; i++) {
        const prompt = `Story ${i}: once upon a time`;
        await sequence.clearHistory();
        let generated = 0;
        for await (const token of sequence.evaluate([model.tokens.bos!, ...model.tokenize(prompt)], { temperature: 0, yieldEogToken: true })) {
            if (model.isEogToken(token) || ++generated >= GENERATED) {
                break;
            }
        }
        if (generated >= GENERATED) {
            return prompt;
        }
    }
    throw new Error(`no prompt found that generates ${GENERATED} tokens without EOS`);
}

function row(label: string, values: Sample): string {
    return `${label.padEnd(22)}${values.promptTokensPerSecond.toFixed(0).padStart(12)}${values.generationTokensPerSecond.toFixed(0).padStart(14)}${values.timeToFirstTokenMs.toFixed(2).padStart(12)}`;
}

async function main(): Promise<void> {
    const dir = await mkdtemp(join(tmpdir(), "llamahome-inference-bench-"));
    const modelPath = join(dir, "bench.gguf");
    await writeTinyModel(modelPath, { layers: 4, embd: 256 });
    const home = new InferenceProcess({ model: modelPath, gpu: GPU });
    const { getLlama, LlamaLogLevel } = await import("node-llama-cpp");
    try {
        const info = await home.load();
        // The bare side copies every setting LlamaHome resolved, so only the path differs.
        const llama = await getLlama({ gpu: info.gpu, build: "never", maxThreads: 0, logLevel: LlamaLogLevel.error });
        const bareInstance = async (): Promise<{ model: LlamaModel; sequence: LlamaContextSequence }> => {
            const model = await llama.loadModel({ modelPath, gpuLayers: info.gpuLayers });
            const context = await model.createContext({ contextSize: info.contextSize, threads: info.threads, batchSize: info.batchSize });
            return { model, sequence: context.getSequence() };
        };
        const bare = await bareInstance();
        const control = await bareInstance();
        const generationPrompt = await findGenerationPrompt(bare.model, bare.sequence);
        console.log(
            `model ${info.name} (${(info.sizeBytes / 1024 / 1024).toFixed(1)} MiB), gpu ${info.gpu}, threads ${info.threads}, ` +
                `context ${info.contextSize}, batch ${info.batchSize}; prompt ${LONG_PROMPT.length + 1} tokens, ${GENERATED} generated, ${REPS} reps (median)`,
        );

        const childRates = { prompt: [] as number[], generation: [] as number[] };
        const runners = {
            home: homeRunner(home, childRates),
            bare: bareRunner(bare.model, bare.sequence),
            control: bareRunner(control.model, control.sequence),
        };
        const sides = ["home", "bare", "control"] as const;
        // Warm-up: first evaluations allocate compute buffers.
        for (const side of sides) {
            await sample(runners[side], generationPrompt);
        }
        childRates.prompt.length = 0;
        childRates.generation.length = 0;
        const samples = { home: [] as Sample[], bare: [] as Sample[], control: [] as Sample[] };
        for (let rep = 0; rep < REPS; rep++) {
            // Rotate who goes first, so drift on a busy host does not favour one side.
            for (let i = 0; i < sides.length; i++) {
                const side = sides[(rep + i) % sides.length]!;
                samples[side].push(await sample(runners[side], generationPrompt));
            }
        }
        const medians = (list: Sample[]): Sample => ({
            promptTokensPerSecond: median(list.map((s) => s.promptTokensPerSecond)),
            generationTokensPerSecond: median(list.map((s) => s.generationTokensPerSecond)),
            timeToFirstTokenMs: median(list.map((s) => s.timeToFirstTokenMs)),
        });
        const home50 = medians(samples.home);
        const bare50 = medians(samples.bare);
        const control50 = medians(samples.control);
        const ratio = (label: string, over: Sample): string =>
            `${label.padEnd(22)}${(over.promptTokensPerSecond / bare50.promptTokensPerSecond).toFixed(3).padStart(12)}` +
            `${(over.generationTokensPerSecond / bare50.generationTokensPerSecond).toFixed(3).padStart(14)}`;
        console.log(`${"".padEnd(22)}${"prompt tok/s".padStart(12)}${"gen tok/s".padStart(14)}${"TTFT ms".padStart(12)}`);
        console.log(row("LlamaHome (caller)", home50));
        console.log(row("bare node-llama-cpp", bare50));
        console.log(row("bare, 2nd instance", control50));
        console.log(ratio("ratio LlamaHome/bare", home50));
        console.log(ratio("noise: bare 2nd/bare", control50));
        console.log(
            `LlamaHome as measured inside the child: prompt ${median(childRates.prompt).toFixed(0)} tok/s, generation ${median(childRates.generation).toFixed(0)} tok/s`,
        );
        await llama.dispose();
    } finally {
        await home.dispose();
        await rm(dir, { recursive: true, force: true });
    }
}

main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
});
