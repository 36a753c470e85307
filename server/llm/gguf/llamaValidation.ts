import { GgufFormatError } from "./ggufErrors";
import type { GgufFile } from "./ggufTypes";
import { readGgufFileHeader } from "./readGgufFileHeader";

/**
 * Checks, before llama.cpp sees the file, that a GGUF carries the metadata llama.cpp needs: some missing keys (e.g.
 * llama.feed_forward_length, llama.attention.head_count) hit a GGML_ASSERT that aborts the whole process.
 */
export async function validateLlamaGguf(path: string): Promise<void> {
    validateLlamaMetadata(await readGgufFileHeader(path));
}

/** Universal keys llama.cpp reads for every architecture (llama_model::load_hparams). */
const UNIVERSAL_ARCH_KEYS = ["context_length", "embedding_length", "block_count"] as const;

/** Keys the llama architecture needs on top of UNIVERSAL_ARCH_KEYS (missing ones abort or fail the load). */
const LLAMA_ARCH_KEYS = ["feed_forward_length", "attention.head_count", "attention.layer_norm_rms_epsilon"] as const;

/** llama.cpp's LLAMA_MAX_LAYERS; more layers trip a GGML_ASSERT. */
const LLAMA_MAX_LAYERS = 512;

/** The metadata checks of validateLlamaGguf, for a GgufFile already parsed (from disk or memory). */
export function validateLlamaMetadata(file: GgufFile): void {
    const arch = file.requireString("general.architecture");
    file.requireString("tokenizer.ggml.model");
    const vocabSize = file.requireStringArray("tokenizer.ggml.tokens").length;
    const fail = (message: string): never => {
        throw new GgufFormatError("invalid-value", message, file.path);
    };

    for (const key of UNIVERSAL_ARCH_KEYS) {
        file.requireNumber(`${arch}.${key}`);
    }
    const layers = file.requireNumber(`${arch}.block_count`);
    if (!Number.isInteger(layers) || layers < 1 || layers > LLAMA_MAX_LAYERS) {
        fail(`${arch}.block_count must be 1..${LLAMA_MAX_LAYERS}, got ${layers}`);
    }
    const embd = file.requireNumber(`${arch}.embedding_length`);
    if (!Number.isInteger(embd) || embd < 1) {
        fail(`${arch}.embedding_length must be a positive integer, got ${embd}`);
    }

    for (const key of ["tokenizer.ggml.bos_token_id", "tokenizer.ggml.eos_token_id", "tokenizer.ggml.unknown_token_id"]) {
        if (file.has(key)) {
            const id = file.requireNumber(key);
            if (!Number.isInteger(id) || id < 0 || id >= vocabSize) {
                fail(`${key} = ${id} is outside the vocabulary of ${vocabSize} tokens`);
            }
        }
    }

    if (arch !== "llama") {
        return;
    }
    for (const key of LLAMA_ARCH_KEYS) {
        file.requireNumber(`llama.${key}`);
    }
    const heads = file.requireNumber("llama.attention.head_count");
    if (!Number.isInteger(heads) || heads < 1 || embd % heads !== 0) {
        fail(`llama.attention.head_count must be a positive divisor of embedding_length ${embd}, got ${heads}`);
    }
    if (file.has("llama.attention.head_count_kv")) {
        const kvHeads = file.requireNumber("llama.attention.head_count_kv");
        if (!Number.isInteger(kvHeads) || kvHeads < 1 || heads % kvHeads !== 0) {
            fail(`llama.attention.head_count_kv must be a positive divisor of head_count ${heads}, got ${kvHeads}`);
        }
    }
    const ffn = file.requireNumber("llama.feed_forward_length");
    if (!Number.isInteger(ffn) || ffn < 1) {
        fail(`llama.feed_forward_length must be a positive integer, got ${ffn}`);
    }
    if (file.has("llama.rope.dimension_count")) {
        const rot = file.requireNumber("llama.rope.dimension_count");
        if (rot !== embd / heads) {
            fail(`llama.rope.dimension_count must equal the head size ${embd / heads}, got ${rot}`);
        }
    }
}
