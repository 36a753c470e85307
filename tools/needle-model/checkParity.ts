/**
 * Prints, per position, the max |log p difference| between node-llama-cpp and PyTorch's reference-logits.json,
 * for an f32 KV cache without flash attention (what PyTorch computes) and for llama.cpp's default context (f16 KV
 * cache, flash attention "auto").
 *
 *   node --import tsx tools/needle-model/checkParity.ts [model dir = models/needle]
 */
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Token } from "node-llama-cpp" with { "resolution-mode": "import" };

async function main(): Promise<void> {
    const dir = resolve(process.argv[2] ?? "models/needle");
    const reference = JSON.parse(readFileSync(join(dir, "reference-logits.json"), "utf8")) as { ids: number[]; greedy: number[]; logits: number[][]; model: string };
    const { getLlama, LlamaLogLevel } = await import("node-llama-cpp");
    const llama = await getLlama({ gpu: false, logLevel: LlamaLogLevel.error });
    const model = await llama.loadModel({ modelPath: join(dir, reference.model) });
    const configs = {
        "f32 KV, no flash attention": { experimentalKvCacheKeyType: "F32", experimentalKvCacheValueType: "F32", flashAttention: false },
        "default context": {},
    } as const;
    for (const [label, options] of Object.entries(configs)) {
        const context = await model.createContext({ contextSize: 512, threads: 1, ...options });
        const sequence = context.getSequence();
        let step = 0;
        const rows: string[] = [];
        for await (const output of sequence.evaluateWithMetadata(reference.ids as Token[], { probabilities: true }, { temperature: 0, yieldEogToken: true })) {
            const logits = reference.logits[step]!;
            const max = Math.max(...logits);
            const lse = max + Math.log(logits.reduce((s, x) => s + Math.exp(x - max), 0));
            let worst = 0;
            let worstToken = -1;
            for (const [token, p] of output.probabilities) {
                if (p < 1e-30) continue;
                const diff = Math.abs(Math.log(p) - (logits[token]! - lse));
                if (diff > worst) [worst, worstToken] = [diff, token];
            }
            rows.push(`pos ${step}: token ${output.token} (ref ${reference.greedy[step]}) max |diff| ${worst.toExponential(2)} at ${worstToken}`);
            if (++step === reference.logits.length || output.token === model.tokens.eos) break;
        }
        console.log(`${label}\n  ${rows.join("\n  ")}`);
        await context.dispose();
    }
    await model.dispose();
    await llama.dispose();
}

main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
});
