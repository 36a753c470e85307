// A float64 re-implementation of llama.cpp's llama-architecture forward pass (f32 weights), with a KV cache that
// mirrors node-llama-cpp's `eraseContextTokenRanges` (erase + roll positions left), and the per-position attention
// mass H2O needs: for every cached position, the softmax weight it received, summed over query rows and heads, per
// layer. It exists to check the native accumulator and llama.cpp itself on small test models, not to run real models
// (it is O(tokens² · d) in plain JS).
//
// Computation, as in llama.cpp's `llm_build_llama` + `build_attn_mha` (non-flash path):
//   x = token_embd[token]
//   per layer: n = rmsnorm(x)·attn_norm; q,k,v = Wq n, Wk n, Wv n; RoPE(q, k) at the token's position in the
//   "normal" layout (rotate adjacent pairs (x[2i], x[2i+1]) by pos·base^(-2i/headDim)); per head h (kv head
//   h / (heads/kvHeads)): a = softmax(q·k / sqrt(headDim)) over the cached positions up to and including the token;
//   x += Wo concat_h(a·v); n = rmsnorm(x)·ffn_norm; x += Wdown(silu(Wgate n) ⊙ Wup n)
//   logits = Woutput (rmsnorm(x)·output_norm)  (token_embd when there is no output tensor)

import type { GgufFile } from "../../server/llm/gguf/ggufTypes";
import type { LlamaShape, TinyModelWeights } from "../../server/llm/gguf/tinyModel";
import { mergeRanges, type PositionRange } from "../../server/llm/h2o/positionRanges";

interface LayerWeights {
    attnNorm: Float64Array;
    wq: Float64Array;
    wk: Float64Array;
    wv: Float64Array;
    wo: Float64Array;
    ffnNorm: Float64Array;
    wGate: Float64Array;
    wUp: Float64Array;
    wDown: Float64Array;
}


export interface ReferenceAttentionMass {
    /** Positions held in the cache, ascending. */
    readonly positions: number[];
    /** Accumulated attention mass of positions[i], summed over layers. */
    readonly total: Float64Array;
    /** perLayer[layer][i]: the same for one layer. */
    readonly perLayer: Float64Array[];
}

export class ReferenceModel {
    private readonly tokenEmbd: Float64Array;
    private readonly layers: LayerWeights[];
    private readonly outputNorm: Float64Array;
    private readonly output: Float64Array;

    private constructor(readonly config: LlamaShape, tensor: (name: string) => Float32Array | undefined) {
        const need = (name: string, size: number): Float64Array => {
            const data = tensor(name);
            if (data === undefined) {
                throw new Error(`reference model: missing tensor ${name}`);
            }
            if (data.length !== size) {
                throw new Error(`reference model: tensor ${name} has ${data.length} values, expected ${size}`);
            }
            return Float64Array.from(data);
        };
        const { embd, heads, kvHeads, headDim, ffn, vocabSize } = config;
        this.tokenEmbd = need("token_embd.weight", embd * vocabSize);
        this.layers = [];
        for (let l = 0; l < config.layers; l++) {
            const blk = `blk.${l}`;
            this.layers.push({
                attnNorm: need(`${blk}.attn_norm.weight`, embd),
                wq: need(`${blk}.attn_q.weight`, embd * heads * headDim),
                wk: need(`${blk}.attn_k.weight`, embd * kvHeads * headDim),
                wv: need(`${blk}.attn_v.weight`, embd * kvHeads * headDim),
                wo: need(`${blk}.attn_output.weight`, heads * headDim * embd),
                ffnNorm: need(`${blk}.ffn_norm.weight`, embd),
                wGate: need(`${blk}.ffn_gate.weight`, embd * ffn),
                wUp: need(`${blk}.ffn_up.weight`, embd * ffn),
                wDown: need(`${blk}.ffn_down.weight`, ffn * embd),
            });
        }
        this.outputNorm = need("output_norm.weight", embd);
        this.output = tensor("output.weight") === undefined ? this.tokenEmbd : need("output.weight", embd * vocabSize);
    }

    /** The exact weights makeTinyModelWeights / writeTinyModel produce. */
    static fromTinyModelWeights(weights: TinyModelWeights): ReferenceModel {
        const { config, tensors } = weights;
        return new ReferenceModel(config, (name) => tensors.get(name)?.data);
    }

    /** A llama-architecture GGUF with F32 tensors, read whole (readGguf). */
    static fromGguf(file: GgufFile): ReferenceModel {
        const embd = file.requireNumber("llama.embedding_length");
        const heads = file.requireNumber("llama.attention.head_count");
        const kvHeads = file.has("llama.attention.head_count_kv") ? file.requireNumber("llama.attention.head_count_kv") : heads;
        const headDim = embd / heads;
        const ropeDims = file.has("llama.rope.dimension_count") ? file.requireNumber("llama.rope.dimension_count") : headDim;
        if (ropeDims !== headDim) {
            throw new Error(`reference model: partial RoPE (${ropeDims} of ${headDim} dims) is not supported`);
        }
        const tokenEmbd = file.tensorInfo("token_embd.weight");
        const names = new Set(file.tensorInfos.map((t) => t.name));
        return new ReferenceModel(
            {
                layers: file.requireNumber("llama.block_count"),
                embd,
                heads,
                kvHeads,
                headDim,
                ffn: file.requireNumber("llama.feed_forward_length"),
                vocabSize: tokenEmbd.dims[1] ?? 0,
                ropeFreqBase: file.has("llama.rope.freq_base") ? file.requireNumber("llama.rope.freq_base") : 10000,
                rmsNormEps: file.requireNumber("llama.attention.layer_norm_rms_epsilon"),
            },
            (name) => (names.has(name) ? file.tensorF32(name) : undefined),
        );
    }

    createSession(): ReferenceSession {
        return new ReferenceSession(this);
    }

    /** @internal one token through every layer, appending its K/V to `cache`; returns the logits. */
    forwardToken(cache: ReferenceKvCache, token: number, pos: number): Float64Array {
        const { embd, heads, kvHeads, headDim, ffn, vocabSize, rmsNormEps } = this.config;
        if (!Number.isInteger(token) || token < 0 || token >= vocabSize) {
            throw new RangeError(`reference model: token ${token} outside the vocabulary (${vocabSize})`);
        }
        const x = this.tokenEmbd.slice(token * embd, (token + 1) * embd);
        const group = heads / kvHeads;
        const scale = 1 / Math.sqrt(headDim);
        const entryIndex = cache.pushEntry(pos);
        for (let l = 0; l < this.layers.length; l++) {
            const w = this.layers[l];
            const n = rmsNorm(x, w.attnNorm, rmsNormEps);
            const q = matVec(w.wq, n, embd, heads * headDim);
            const k = matVec(w.wk, n, embd, kvHeads * headDim);
            const v = matVec(w.wv, n, embd, kvHeads * headDim);
            cache.setLayer(entryIndex, l, k, v);
            ropeInPlace(q, heads, headDim, pos, this.config.ropeFreqBase);

            const attnOut = new Float64Array(heads * headDim);
            const n_entries = cache.size;
            const logits = new Float64Array(n_entries);
            for (let h = 0; h < heads; h++) {
                const kvh = Math.floor(h / group);
                let max = -Infinity;
                for (let e = 0; e < n_entries; e++) {
                    const ke = cache.rotatedK(e, l); // RoPE'd at the entry's current position
                    let dot = 0;
                    for (let d = 0; d < headDim; d++) {
                        dot += q[h * headDim + d] * ke[kvh * headDim + d];
                    }
                    logits[e] = dot * scale;
                    if (logits[e] > max) max = logits[e];
                }
                let sum = 0;
                for (let e = 0; e < n_entries; e++) {
                    logits[e] = Math.exp(logits[e] - max);
                    sum += logits[e];
                }
                for (let e = 0; e < n_entries; e++) {
                    const p = logits[e] / sum;
                    cache.addMass(e, l, p);
                    const ve = cache.v(e, l);
                    for (let d = 0; d < headDim; d++) {
                        attnOut[h * headDim + d] += p * ve[kvh * headDim + d];
                    }
                }
            }
            const o = matVec(w.wo, attnOut, heads * headDim, embd);
            for (let i = 0; i < embd; i++) x[i] += o[i];

            const m = rmsNorm(x, w.ffnNorm, rmsNormEps);
            const gate = matVec(w.wGate, m, embd, ffn);
            const up = matVec(w.wUp, m, embd, ffn);
            for (let i = 0; i < ffn; i++) {
                const g = gate[i];
                gate[i] = (g / (1 + Math.exp(-g))) * up[i];
            }
            const down = matVec(w.wDown, gate, ffn, embd);
            for (let i = 0; i < embd; i++) x[i] += down[i];
        }
        const out = rmsNorm(x, this.outputNorm, rmsNormEps);
        return matVec(this.output, out, embd, vocabSize);
    }
}

/**
 * A sequence with its own KV cache. Positions are contiguous token indices as in node-llama-cpp: `evaluate` appends
 * at `nextPosition`, `eraseRanges` drops cached positions and shifts every later one left (their K is re-rotated, as
 * llama.cpp's K-shift does), carrying the accumulated attention mass along.
 */
export class ReferenceSession {
    private readonly cache: ReferenceKvCache;

    constructor(private readonly model: ReferenceModel) {
        this.cache = new ReferenceKvCache(model.config);
    }

    get nextPosition(): number {
        return this.cache.nextPosition;
    }

    /** Evaluates tokens at the next positions; returns each token's logits. */
    evaluate(tokens: readonly number[]): Float64Array[] {
        const logits: Float64Array[] = [];
        for (const token of tokens) {
            logits.push(this.model.forwardToken(this.cache, token, this.cache.nextPosition));
        }
        return logits;
    }

    /** Same semantics as LlamaContextSequence.eraseContextTokenRanges (ranges may be unsorted/overlapping). */
    eraseRanges(ranges: readonly PositionRange[]): void {
        this.cache.erase(ranges);
    }

    attentionMass(): ReferenceAttentionMass {
        return this.cache.attentionMass();
    }

    /** Zeroes the accumulated attention mass (the cache is kept). */
    resetAttentionMass(): void {
        this.cache.resetMass();
    }

    /** The native accumulator's observation mode: mass gathered while on is kept apart (observationMass). */
    setObserving(on: boolean): void {
        this.cache.setObserving(on);
    }

    /** Mass by position gathered during the last observation, summed over layers. */
    observationMass(): ReadonlyMap<number, number> {
        return this.cache.observation;
    }
}

/** @internal */
export class ReferenceKvCache {
    private positions: number[] = [];
    private keys: Float64Array[][] = []; // [entry][layer] un-rotated K
    private values: Float64Array[][] = [];
    private rotated: (Float64Array | undefined)[][] = [];
    private mass: Float64Array[] = []; // [entry] per layer
    nextPosition = 0;

    constructor(private readonly config: LlamaShape) {}

    get size(): number {
        return this.positions.length;
    }

    pushEntry(pos: number): number {
        this.positions.push(pos);
        this.keys.push(new Array(this.config.layers));
        this.values.push(new Array(this.config.layers));
        this.rotated.push(new Array(this.config.layers).fill(undefined));
        this.mass.push(new Float64Array(this.config.layers));
        this.nextPosition = pos + 1;
        return this.positions.length - 1;
    }

    setLayer(entry: number, layer: number, k: Float64Array, v: Float64Array): void {
        this.keys[entry][layer] = k;
        this.values[entry][layer] = v;
        this.rotated[entry][layer] = undefined;
    }

    rotatedK(entry: number, layer: number): Float64Array {
        let k = this.rotated[entry][layer];
        if (k === undefined) {
            k = this.keys[entry][layer].slice();
            ropeInPlace(k, this.config.kvHeads, this.config.headDim, this.positions[entry], this.config.ropeFreqBase);
            this.rotated[entry][layer] = k;
        }
        return k;
    }

    v(entry: number, layer: number): Float64Array {
        return this.values[entry][layer];
    }

    addMass(entry: number, layer: number, p: number): void {
        this.mass[entry][layer] += p;
    }

    resetMass(): void {
        for (const m of this.mass) m.fill(0);
    }

    private snapshot: Float64Array[] | undefined;
    /** position → mass gathered while observing (summed over layers). */
    observation = new Map<number, number>();

    setObserving(on: boolean): void {
        if (on) {
            this.snapshot = this.mass.map((m) => m.slice());
            return;
        }
        const before = this.snapshot;
        if (before === undefined) return;
        this.snapshot = undefined;
        this.observation = new Map();
        this.mass.forEach((m, e) => {
            const old = before[e];
            let total = 0;
            for (let l = 0; l < m.length; l++) total += m[l] - (old?.[l] ?? 0);
            this.observation.set(this.positions[e], total);
            if (old !== undefined) m.set(old); // the accumulated scores stay as they were
        });
    }

    erase(ranges: readonly PositionRange[]): void {
        const merged = mergeRanges(ranges.filter((r) => r.end > r.start && r.start < this.nextPosition));
        if (merged.length === 0) return;
        const keep: number[] = [];
        for (let e = 0; e < this.positions.length; e++) {
            const pos = this.positions[e];
            if (!merged.some((r) => pos >= r.start && pos < r.end)) keep.push(e);
        }
        const shiftOf = (pos: number): number => {
            let removed = 0;
            for (const r of merged) {
                if (r.end <= pos) removed += r.end - r.start;
            }
            return removed;
        };
        const pick = <T>(array: T[]): T[] => keep.map((e) => array[e]);
        this.positions = keep.map((e) => this.positions[e] - shiftOf(this.positions[e]));
        this.keys = pick(this.keys);
        this.values = pick(this.values);
        this.mass = pick(this.mass);
        this.rotated = keep.map(() => new Array(this.config.layers).fill(undefined));
        const removedTotal = merged.reduce((sum, r) => sum + Math.min(r.end, this.nextPosition) - r.start, 0);
        this.nextPosition -= removedTotal;
    }

    attentionMass(): ReferenceAttentionMass {
        const order = this.positions.map((_, e) => e).sort((a, b) => this.positions[a] - this.positions[b]);
        const total = new Float64Array(order.length);
        const perLayer = Array.from({ length: this.config.layers }, () => new Float64Array(order.length));
        order.forEach((e, i) => {
            for (let l = 0; l < this.config.layers; l++) {
                const m = this.mass[e][l];
                perLayer[l][i] = m;
                total[i] += m;
            }
        });
        return { positions: order.map((e) => this.positions[e]), total, perLayer };
    }
}

function rmsNorm(x: Float64Array, gain: Float64Array, eps: number): Float64Array {
    let sum = 0;
    for (let i = 0; i < x.length; i++) sum += x[i] * x[i];
    const inv = 1 / Math.sqrt(sum / x.length + eps);
    const out = new Float64Array(x.length);
    for (let i = 0; i < x.length; i++) out[i] = x[i] * inv * gain[i];
    return out;
}

/** y = W x for a ggml matrix with ne = [nIn, nOut] (row o holds the weights of output o). */
function matVec(w: Float64Array, x: Float64Array, nIn: number, nOut: number): Float64Array {
    const y = new Float64Array(nOut);
    for (let o = 0; o < nOut; o++) {
        let sum = 0;
        const row = o * nIn;
        for (let i = 0; i < nIn; i++) sum += w[row + i] * x[i];
        y[o] = sum;
    }
    return y;
}

/** llama.cpp's normal RoPE: rotate adjacent pairs (x[2i], x[2i+1]) of each head by pos · base^(-2i/headDim). */
function ropeInPlace(x: Float64Array, heads: number, headDim: number, pos: number, base: number): void {
    for (let h = 0; h < heads; h++) {
        const off = h * headDim;
        for (let i = 0; i < headDim / 2; i++) {
            const theta = pos * Math.pow(base, (-2 * i) / headDim);
            const c = Math.cos(theta);
            const s = Math.sin(theta);
            const a = x[off + 2 * i];
            const b = x[off + 2 * i + 1];
            x[off + 2 * i] = a * c - b * s;
            x[off + 2 * i + 1] = a * s + b * c;
        }
    }
}
