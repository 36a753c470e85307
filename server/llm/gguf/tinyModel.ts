import { writeFile } from "node:fs/promises";
import { seededRandom } from "../../../shared/seededRandom";
import { GgufWriter } from "./GgufWriter";

export interface TinyModelOptions {
    /** Transformer blocks. Defaults to 2. */
    layers?: number;
    /** Embedding (residual stream) width. Defaults to 64. */
    embd?: number;
    /** Attention (query) heads; must divide embd into an even head size. Defaults to 4. */
    heads?: number;
    /** Key/value heads (grouped-query attention); must divide heads. Defaults to heads. */
    kvHeads?: number;
    /** SwiGLU hidden width. Defaults to 4 * embd. */
    ffn?: number;
    /** Trained context length written to llama.context_length. Defaults to 4096. */
    ctx?: number;
    /** Seed of the weights; the same options always give the same bytes. Defaults to 1. */
    seed?: number;
    /** RoPE base frequency. Defaults to 10000 (llama.cpp's default for llama). */
    ropeFreqBase?: number;
    /** A Jinja chat template for tokenizer.chat_template, to test the instruct path. Defaults to none. */
    chatTemplate?: string;
    /**
     * Greedy output is printable ASCII and never the end token: the output rows of every other token are zero, so a
     * random model writes valid UTF-8 (as llama-server's output parser requires) until maxTokens, which makes
     * generation lengths exact for benchmarks and for tests that kill a server mid-answer. Defaults to false.
     */
    textOnly?: boolean;
}

/** The hyperparameters of a llama-architecture model that its forward pass depends on. */
export interface LlamaShape {
    readonly layers: number;
    readonly embd: number;
    readonly heads: number;
    readonly kvHeads: number;
    /** embd / heads; also the RoPE dimension count (llama rotates whole heads, adjacent pairs). */
    readonly headDim: number;
    readonly ffn: number;
    readonly vocabSize: number;
    readonly ropeFreqBase: number;
    readonly rmsNormEps: number;
}

/** Everything a reference forward pass needs to reproduce llama.cpp's computation on the tiny model. */
export interface TinyModelConfig extends LlamaShape {
    readonly name: string;
    readonly ctx: number;
    readonly seed: number;
    readonly unkId: number;
    readonly bosId: number;
    readonly eosId: number;
    /** Byte b (other than a space) tokenizes to byteTokenOffset + b. */
    readonly byteTokenOffset: number;
    /** The normal token "▁" that SPM maps every space to. */
    readonly spaceId: number;
}

export interface TinyModelVocab {
    readonly tokens: readonly string[];
    readonly scores: readonly number[];
    /** llama.cpp token types: 1 normal, 2 unknown, 3 control, 6 byte. */
    readonly tokenTypes: readonly number[];
}

export interface TinyModelTensor {
    readonly name: string;
    /** ggml ne, innermost first: a matrix used as y = W x is [x size, y size], data row-major over y. */
    readonly dims: readonly number[];
    readonly data: Float32Array;
}

export interface TinyModelWeights {
    readonly config: TinyModelConfig;
    readonly vocab: TinyModelVocab;
    /** In file order: token_embd, blk.0.* … blk.N.*, output_norm, output. */
    readonly tensors: ReadonlyMap<string, TinyModelTensor>;
}

const TOKEN_TYPE_NORMAL = 1;
const TOKEN_TYPE_UNKNOWN = 2;
const TOKEN_TYPE_CONTROL = 3;
const TOKEN_TYPE_BYTE = 6;
/** SentencePiece's whitespace marker (U+2581). */
const SPM_SPACE = "\u2581";
const RMS_NORM_EPS = 1e-5;

/** Fills in defaults and rejects shapes llama.cpp would refuse (or abort on). */
export function resolveTinyModelConfig(options: TinyModelOptions = {}): TinyModelConfig {
    const layers = positiveInteger("layers", options.layers ?? 2);
    const embd = positiveInteger("embd", options.embd ?? 64);
    const heads = positiveInteger("heads", options.heads ?? 4);
    const kvHeads = positiveInteger("kvHeads", options.kvHeads ?? heads);
    const ffn = positiveInteger("ffn", options.ffn ?? 4 * embd);
    const ctx = positiveInteger("ctx", options.ctx ?? 4096);
    const seed = options.seed ?? 1;
    const ropeFreqBase = options.ropeFreqBase ?? 10000;
    if (!Number.isInteger(seed)) {
        throw new RangeError(`tiny model seed must be an integer, got ${seed}`);
    }
    if (embd % heads !== 0 || (embd / heads) % 2 !== 0) {
        throw new RangeError(`tiny model embd ${embd} must split into ${heads} heads of even size (RoPE rotates pairs)`);
    }
    if (heads % kvHeads !== 0) {
        throw new RangeError(`tiny model kvHeads ${kvHeads} must divide heads ${heads}`);
    }
    if (!(ropeFreqBase > 0)) {
        throw new RangeError(`tiny model ropeFreqBase must be positive, got ${ropeFreqBase}`);
    }
    const byteTokenOffset = 3;
    return {
        name: `llamahome-tiny-${layers}L-${embd}d-seed${seed}`,
        layers,
        embd,
        heads,
        kvHeads,
        headDim: embd / heads,
        ffn,
        ctx,
        seed,
        ropeFreqBase,
        rmsNormEps: RMS_NORM_EPS,
        vocabSize: byteTokenOffset + 256 + 1,
        unkId: 0,
        bosId: 1,
        eosId: 2,
        byteTokenOffset,
        spaceId: byteTokenOffset + 256,
    };
}

/**
 * The vocabulary: <unk>, <s>, </s>, the 256 byte tokens <0x00>..<0xFF>, then "▁".
 * SPM falls back to byte tokens for any character not in the vocabulary, so every string is encodable. The one
 * normal token is needed because SPM rewrites spaces to "▁" before tokenizing and only *normal* tokens get "▁"
 * turned back into a space on detokenization; as bytes it would come back as the literal "▁".
 */
function makeVocab(config: TinyModelConfig): TinyModelVocab {
    const tokens = ["<unk>", "<s>", "</s>"];
    const tokenTypes = [TOKEN_TYPE_UNKNOWN, TOKEN_TYPE_CONTROL, TOKEN_TYPE_CONTROL];
    for (let byte = 0; byte < 256; byte++) {
        tokens.push(`<0x${byte.toString(16).toUpperCase().padStart(2, "0")}>`);
        tokenTypes.push(TOKEN_TYPE_BYTE);
    }
    tokens.push(SPM_SPACE);
    tokenTypes.push(TOKEN_TYPE_NORMAL);
    if (tokens.length !== config.vocabSize || tokens[config.spaceId] !== SPM_SPACE) {
        throw new Error("tiny model vocabulary layout drifted from TinyModelConfig");
    }
    // SPM uses scores only to rank merges of multi-character pieces, and this vocabulary has none.
    return { tokens, scores: tokens.map(() => 0), tokenTypes };
}

/** The config, vocabulary and named f32 tensors that makeTinyModel writes, for reading back in tests. */
export function makeTinyModelWeights(options: TinyModelOptions = {}): TinyModelWeights {
    const config = resolveTinyModelConfig(options);
    const vocab = makeVocab(config);
    const random = new SeededNormal(config.seed);
    const tensors = new Map<string, TinyModelTensor>();
    const { embd, ffn, vocabSize } = config;
    const qDim = config.heads * config.headDim;
    const kvDim = config.kvHeads * config.headDim;

    // Untrained weights at the usual N(0, 0.02) give near-uniform logits, where greedy picks hinge on float noise.
    // Variance-preserving N(0, 1/n_in) keeps every block's contribution O(1) so the output depends on the whole
    // prompt, and the output layer is scaled up so logits spread over a few units.
    const matrix = (name: string, nIn: number, nOut: number, scale = 1): void => {
        tensors.set(name, { name, dims: [nIn, nOut], data: random.fill(nIn * nOut, 0, scale / Math.sqrt(nIn)) });
    };
    // Norm gains near 1 but not exactly 1, so a reference pass that forgets to apply them is caught.
    const norm = (name: string): void => {
        tensors.set(name, { name, dims: [embd], data: random.fill(embd, 1, 0.1) });
    };

    tensors.set("token_embd.weight", { name: "token_embd.weight", dims: [embd, vocabSize], data: random.fill(embd * vocabSize, 0, 1) });
    for (let layer = 0; layer < config.layers; layer++) {
        const blk = `blk.${layer}`;
        norm(`${blk}.attn_norm.weight`);
        matrix(`${blk}.attn_q.weight`, embd, qDim);
        matrix(`${blk}.attn_k.weight`, embd, kvDim);
        matrix(`${blk}.attn_v.weight`, embd, kvDim);
        matrix(`${blk}.attn_output.weight`, qDim, embd);
        norm(`${blk}.ffn_norm.weight`);
        matrix(`${blk}.ffn_gate.weight`, embd, ffn);
        matrix(`${blk}.ffn_up.weight`, embd, ffn);
        matrix(`${blk}.ffn_down.weight`, ffn, embd);
    }
    norm("output_norm.weight");
    matrix("output.weight", embd, vocabSize, 2);
    if (options.textOnly) {
        const output = tensors.get("output.weight")!.data;
        for (let token = 0; token < vocabSize; token++) {
            const byte = token - config.byteTokenOffset;
            const printable = token === config.spaceId || (byte >= 0x20 && byte < 0x7f) || byte === 0x0a;
            if (!printable) output.fill(0, token * embd, (token + 1) * embd);
        }
    }
    return { config, vocab, tensors };
}

/** A complete llama-architecture GGUF (f32, byte-level SPM tokenizer), deterministic in the options. */
export function makeTinyModel(options: TinyModelOptions = {}): Buffer {
    return tinyModelGguf(makeTinyModelWeights(options), options);
}

/**
 * The GGUF for a set of tiny-model weights, possibly edited after makeTinyModelWeights (tests plant attention
 * patterns that way; the tiny retrieval models swap the vocabulary and add tensors). `name` replaces general.name;
 * `architecture` names the metadata keys (llama, or qwen3 for a reranker); `extra` adds keys after the tokenizer's.
 */
export function tinyModelGguf(
    weights: TinyModelWeights,
    options: { name?: string; chatTemplate?: string; architecture?: "llama" | "qwen3"; contextLength?: number; addSpacePrefix?: boolean; extra?: (writer: GgufWriter) => void } = {},
): Buffer {
    const { config, vocab, tensors } = weights;
    const architecture = options.architecture ?? "llama";
    const key = (suffix: string) => `${architecture}.${suffix}`;
    const writer = new GgufWriter()
        .addString("general.architecture", architecture)
        .addString("general.name", options.name ?? config.name)
        .addUint32("general.file_type", 0) // LLAMA_FTYPE_ALL_F32
        .addUint32(key("context_length"), options.contextLength ?? config.ctx)
        .addUint32(key("embedding_length"), config.embd)
        .addUint32(key("block_count"), config.layers)
        .addUint32(key("feed_forward_length"), config.ffn)
        .addUint32(key("attention.head_count"), config.heads)
        .addUint32(key("attention.head_count_kv"), config.kvHeads)
        .addFloat32(key("attention.layer_norm_rms_epsilon"), config.rmsNormEps)
        .addFloat32(key("rope.freq_base"), config.ropeFreqBase)
        .addUint32(key("rope.dimension_count"), config.headDim)
        .addUint32(key("vocab_size"), vocab.tokens.length)
        .addString("tokenizer.ggml.model", "llama")
        .addStringArray("tokenizer.ggml.tokens", vocab.tokens)
        .addFloat32Array("tokenizer.ggml.scores", vocab.scores)
        .addInt32Array("tokenizer.ggml.token_type", vocab.tokenTypes)
        .addUint32("tokenizer.ggml.unknown_token_id", config.unkId)
        .addUint32("tokenizer.ggml.bos_token_id", config.bosId)
        .addUint32("tokenizer.ggml.eos_token_id", config.eosId)
        .addBool("tokenizer.ggml.add_bos_token", true)
        .addBool("tokenizer.ggml.add_eos_token", false)
        // SPM would otherwise prepend a space to every text it tokenizes and strip one when detokenizing,
        // which breaks exact round trips of text that does not start with a space.
        .addBool("tokenizer.ggml.add_space_prefix", options.addSpacePrefix ?? false);
    if (options.chatTemplate !== undefined) writer.addString("tokenizer.chat_template", options.chatTemplate);
    options.extra?.(writer);
    for (const tensor of tensors.values()) {
        writer.addTensor(tensor.name, tensor.dims, tensor.data);
    }
    return writer.toBuffer();
}

export async function writeTinyModel(path: string, options: TinyModelOptions = {}): Promise<void> {
    await writeFile(path, makeTinyModel(options));
}

function positiveInteger(name: string, value: number): number {
    if (!Number.isInteger(value) || value < 1) {
        throw new RangeError(`tiny model ${name} must be a positive integer, got ${value}`);
    }
    return value;
}

/**
 * seededRandom (mulberry32) + Box-Muller normals: bit-for-bit reproducible everywhere (V8's Math.log/cos/sqrt are
 * deterministic ports of fdlibm), unlike Math.random.
 */
class SeededNormal {
    private readonly uniform: () => number;
    private spare: number | undefined;

    constructor(seed: number) {
        this.uniform = seededRandom(seed);
    }

    fill(count: number, mean: number, std: number): Float32Array {
        const out = new Float32Array(count);
        for (let i = 0; i < count; i++) {
            out[i] = mean + std * this.normal();
        }
        return out;
    }

    private normal(): number {
        if (this.spare !== undefined) {
            const value = this.spare;
            this.spare = undefined;
            return value;
        }
        const u1 = 1 - this.uniform(); // (0, 1]: keeps log() finite
        const u2 = this.uniform();
        const radius = Math.sqrt(-2 * Math.log(u1));
        this.spare = radius * Math.sin(2 * Math.PI * u2);
        return radius * Math.cos(2 * Math.PI * u2);
    }
}
