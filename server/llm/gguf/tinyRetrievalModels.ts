import { seededRandom } from "../../../shared/seededRandom";
import { makeTinyModelWeights, tinyModelGguf, type TinyModelWeights } from "./tinyModel";

/**
 * Words the tiny embedding model knows, in groups of synonyms: the words of a group share one vector, so a query in
 * one word finds a passage written with another ("automobile" finds "car"), which BM25 cannot. Every other word is
 * invisible to it.
 */
export const tinySynonymGroups: readonly (readonly string[])[] = [
    ["car", "automobile", "vehicle"],
    ["buy", "purchase", "acquire"],
    ["doctor", "physician", "medic"],
    ["begin", "start", "commence"],
    ["error", "fault", "failure"],
    ["holiday", "vacation", "leave"],
    ["money", "cash", "funds"],
    ["big", "large", "huge"],
    ["house", "home", "dwelling"],
    ["fix", "repair", "mend"],
    ["quick", "fast", "rapid"],
    ["child", "kid", "youngster"],
    ["shop", "store", "retailer"],
    ["road", "street", "highway"],
    ["rubbish", "garbage", "waste"],
    ["picture", "photo", "image"],
    ["meal", "dinner", "supper"],
    ["boat", "ship", "vessel"],
];

export interface TinyEmbeddingModelOptions {
    /** Vector width. Defaults to 64. */
    embd?: number;
    /** Seed of the group vectors; another seed is another model (another id). Defaults to 1. */
    seed?: number;
}

export interface TinyRerankerModelOptions {
    embd?: number;
    seed?: number;
}

const SPM_SPACE = "\u2581";
/** Passages and queries are short, and their words are split the SentencePiece way: a space before the first. */
const retrievalModelShape = { contextLength: 512, addSpacePrefix: true };
const TOKEN_TYPE_NORMAL = 1;

/**
 * A llama-architecture GGUF that embeds text as the mean of its known words' group vectors (llama.pooling_type =
 * mean). The vocabulary is the tiny model's bytes plus "▁w", "▁wo", … "▁word" for every word (SentencePiece merges
 * only through pieces that exist, so every prefix is there; longer pieces score higher); only whole words have a
 * non-zero embedding row. Every block's attention output and FFN down projection are zero, so the residual stream
 * is the token's embedding, and the output norm (weights 1) makes each word's vector unit RMS: the pooled vector is
 * the mean of the words' vectors, a byte or a prefix adding zero. A word is found at the start of a longer one too
 * ("cart" holds "car"): this is a test model, not a good one.
 */
export function makeTinyEmbeddingModel(options: TinyEmbeddingModelOptions = {}): Buffer {
    const embd = options.embd ?? 64;
    const weights = makeTinyModelWeights({ embd, heads: 4, layers: 1, ffn: embd, seed: options.seed ?? 1 });
    const { tokens, scores, tokenTypes, wordGroup } = wordVocabulary(weights);
    if (embd < tinySynonymGroups.length) throw new Error(`A tiny embedding model needs at least ${tinySynonymGroups.length} dimensions, one per synonym group.`);
    // one axis per group, chosen and signed by the seed: groups are exactly orthogonal, so an unrelated passage scores 0
    const random = seededRandom(options.seed ?? 1);
    const axes = Array.from({ length: embd }, (_, i) => i);
    for (let i = embd - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [axes[i], axes[j]] = [axes[j], axes[i]];
    }
    const groupVectors = tinySynonymGroups.map((_, group) => {
        const vector = new Float32Array(embd);
        vector[axes[group]] = random() < 0.5 ? -1 : 1;
        return vector;
    });
    const embeddings = new Float32Array(embd * tokens.length);
    wordGroup.forEach((group, token) => {
        if (group >= 0) embeddings.set(groupVectors[group], token * embd);
    });
    const tensors = new Map(weights.tensors);
    tensors.set("token_embd.weight", { name: "token_embd.weight", dims: [embd, tokens.length], data: embeddings });
    // the output layer is never used for embeddings, but llama.cpp requires it: zero
    tensors.set("output.weight", { name: "output.weight", dims: [embd, tokens.length], data: new Float32Array(embd * tokens.length) });
    for (const [name, tensor] of tensors) {
        if (name.endsWith("attn_output.weight") || name.endsWith("ffn_down.weight")) tensors.set(name, { ...tensor, data: new Float32Array(tensor.data.length) });
        if (name.endsWith("norm.weight")) tensors.set(name, { ...tensor, data: new Float32Array(tensor.data.length).fill(1) });
    }
    return tinyModelGguf({ ...weights, vocab: { tokens, scores, tokenTypes }, tensors }, {
        name: `llamahome-tiny-embedding-${embd}d-seed${options.seed ?? 1}`,
        ...retrievalModelShape,
        extra: (writer) => writer.addUint32("llama.pooling_type", 1),
    });
}

/**
 * A qwen3-architecture GGUF with a classification head (cls.output, labels yes/no), the shape llama.cpp and
 * node-llama-cpp rank with: the last token's hidden state through the head, softmax, the "yes" probability. Its weights
 * are random, so its scores are deterministic and differ between passages but mean nothing: it tests the reranking
 * path, not its quality.
 */
export function makeTinyRerankerModel(options: TinyRerankerModelOptions = {}): Buffer {
    const embd = options.embd ?? 64;
    const seed = options.seed ?? 1;
    const weights = makeTinyModelWeights({ embd, heads: 4, layers: 2, seed });
    const { headDim } = weights.config;
    const random = seededRandom(seed + 7);
    const tensors = new Map<string, { name: string; dims: readonly number[]; data: Float32Array }>();
    for (const [name, tensor] of weights.tensors) {
        tensors.set(name, tensor);
        // qwen3 normalizes each head's queries and keys
        const attnNorm = /^blk\.(\d+)\.attn_norm\.weight$/.exec(name);
        if (attnNorm) {
            for (const which of ["q", "k"]) {
                const normName = `blk.${attnNorm[1]}.attn_${which}_norm.weight`;
                tensors.set(normName, { name: normName, dims: [headDim], data: new Float32Array(headDim).fill(1) });
            }
        }
    }
    tensors.set("cls.output.weight", { name: "cls.output.weight", dims: [embd, 2], data: Float32Array.from({ length: embd * 2 }, () => (random() * 2 - 1) * 0.1) });
    return tinyModelGguf({ ...weights, tensors }, {
        name: `llamahome-tiny-reranker-${embd}d-seed${seed}`,
        architecture: "qwen3",
        ...retrievalModelShape,
        extra: (writer) => writer.addStringArray("qwen3.classifier.output_labels", ["yes", "no"]),
    });
}

/** The tiny model's vocabulary plus every prefix of every listed word; wordGroup[token] is the group of a whole word, else -1. */
function wordVocabulary(weights: TinyModelWeights): { tokens: string[]; scores: number[]; tokenTypes: number[]; wordGroup: number[] } {
    const tokens = [...weights.vocab.tokens];
    const scores = [...weights.vocab.scores];
    const tokenTypes = [...weights.vocab.tokenTypes];
    const wordGroup = tokens.map(() => -1);
    const index = new Map(tokens.map((token, i) => [token, i]));
    tinySynonymGroups.forEach((group, g) => {
        // as written in a sentence, and at its start
        for (const word of group.flatMap((w) => [w, w[0].toUpperCase() + w.slice(1)])) {
            for (let length = 1; length <= word.length; length++) {
                const piece = SPM_SPACE + word.slice(0, length);
                let token = index.get(piece);
                if (token === undefined) {
                    token = tokens.length;
                    index.set(piece, token);
                    tokens.push(piece);
                    scores.push(length);
                    tokenTypes.push(TOKEN_TYPE_NORMAL);
                    wordGroup.push(-1);
                }
                if (length === word.length) wordGroup[token] = g;
            }
        }
    });
    return { tokens, scores, tokenTypes, wordGroup };
}
