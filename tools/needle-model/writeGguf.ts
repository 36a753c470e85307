/**
 * Turns the weights export.py dumped (weights.json + weights.bin) into the committed GGUF, through the project's
 * one GGUF writer and with exactly the byte-level tokenizer of server/llm/gguf/tinyModel.ts.
 *
 *   node --import tsx tools/needle-model/writeGguf.ts [work dir = /tmp/llamahome-needle] [out = models/needle/llamahome-needle-2L128.gguf]
 */
import { readFile, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { GgufWriter } from "../../server/llm/gguf/GgufWriter";
import { validateLlamaGguf } from "../../server/llm/gguf/llamaValidation";
import { makeTinyModelWeights } from "../../server/llm/gguf/tinyModel";

interface ExportedTensor {
    name: string;
    dims: number[];
    offset: number;
    bytes: number;
}

interface ExportedWeights {
    metadata: Record<string, string | number>;
    tensors: ExportedTensor[];
}

const UINT32_KEYS = [
    "llama.context_length",
    "llama.embedding_length",
    "llama.block_count",
    "llama.feed_forward_length",
    "llama.attention.head_count",
    "llama.attention.head_count_kv",
    "llama.rope.dimension_count",
    "llama.vocab_size",
] as const;

async function main(): Promise<void> {
    const workDir = resolve(process.argv[2] ?? "/tmp/llamahome-needle");
    const outPath = resolve(process.argv[3] ?? "models/needle/llamahome-needle-2L128.gguf");
    const exported = JSON.parse(await readFile(join(workDir, "weights.json"), "utf8")) as ExportedWeights;
    const blob = await readFile(join(workDir, "weights.bin"));
    const meta = exported.metadata;

    // The tokenizer is the tiny model's (any size of it has the same vocabulary), so the two can never drift.
    const tiny = makeTinyModelWeights({ layers: 1, embd: 8, heads: 2, ffn: 8 });
    if (tiny.config.vocabSize !== meta["llama.vocab_size"]) {
        throw new Error(`vocab size ${String(meta["llama.vocab_size"])} does not match the tiny model tokenizer (${tiny.config.vocabSize})`);
    }

    const writer = new GgufWriter()
        .addString("general.architecture", "llama")
        .addString("general.name", String(meta["general.name"]))
        .addUint32("general.file_type", 0); // LLAMA_FTYPE_ALL_F32
    for (const key of UINT32_KEYS) {
        writer.addUint32(key, Number(meta[key]));
    }
    writer
        .addFloat32("llama.attention.layer_norm_rms_epsilon", Number(meta["llama.attention.layer_norm_rms_epsilon"]))
        .addFloat32("llama.rope.freq_base", Number(meta["llama.rope.freq_base"]))
        .addString("tokenizer.ggml.model", "llama")
        .addStringArray("tokenizer.ggml.tokens", tiny.vocab.tokens)
        .addFloat32Array("tokenizer.ggml.scores", tiny.vocab.scores)
        .addInt32Array("tokenizer.ggml.token_type", tiny.vocab.tokenTypes)
        .addUint32("tokenizer.ggml.unknown_token_id", tiny.config.unkId)
        .addUint32("tokenizer.ggml.bos_token_id", tiny.config.bosId)
        .addUint32("tokenizer.ggml.eos_token_id", tiny.config.eosId)
        .addBool("tokenizer.ggml.add_bos_token", true)
        .addBool("tokenizer.ggml.add_eos_token", false)
        .addBool("tokenizer.ggml.add_space_prefix", false);
    for (const tensor of exported.tensors) {
        const count = tensor.dims.reduce((a, b) => a * b, 1);
        if (count * 4 !== tensor.bytes || tensor.offset + tensor.bytes > blob.length) {
            throw new Error(`tensor ${tensor.name} [${tensor.dims.join(", ")}] does not fit weights.bin`);
        }
        // Copy into an aligned buffer: a Float32Array view needs a 4-byte-aligned offset.
        const data = new Float32Array(count);
        new Uint8Array(data.buffer).set(blob.subarray(tensor.offset, tensor.offset + tensor.bytes));
        writer.addTensor(tensor.name, tensor.dims, data);
    }
    await writeFile(outPath, writer.toBuffer());
    await validateLlamaGguf(outPath);
    console.log(`wrote ${outPath} (${exported.tensors.length} tensors)`);
}

main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
});
