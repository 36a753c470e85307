/**
 * Prints, as JSON, the ids node-llama-cpp gives each string read as a JSON array from stdin: BOS, then
 * model.tokenize(text), exactly what a prompt evaluation sees. Used by test_tokenizer.py.
 *
 *   echo '["a b", "£"]' | node --import tsx tools/needle-model/dumpTokens.ts [model.gguf = a tiny model with the same tokenizer]
 */
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeTinyModel } from "../../server/llm/gguf/tinyModel";

async function main(): Promise<void> {
    const texts = JSON.parse(readFileSync(0, "utf8")) as string[];
    const dir = await mkdtemp(join(tmpdir(), "llamahome-needle-tokens-"));
    try {
        let modelPath = process.argv[2];
        if (modelPath === undefined) {
            modelPath = join(dir, "tiny.gguf");
            await writeTinyModel(modelPath, { layers: 1, embd: 8, heads: 2, ffn: 8 });
        }
        const { getLlama, LlamaLogLevel } = await import("node-llama-cpp");
        const llama = await getLlama({ gpu: false, logLevel: LlamaLogLevel.error });
        const model = await llama.loadModel({ modelPath });
        console.log(JSON.stringify(texts.map((text) => [model.tokens.bos, ...model.tokenize(text)])));
        await model.dispose();
        await llama.dispose();
    } finally {
        await rm(dir, { recursive: true, force: true });
    }
}

main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
});
