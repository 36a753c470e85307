import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { LlamaModel } from "node-llama-cpp" with { "resolution-mode": "import" };
import { GgufWriter } from "../server/llm/gguf/GgufWriter";
import { GgufValueType } from "../server/llm/gguf/ggufFormat";
import { GgufFormatError } from "../server/llm/gguf/ggufErrors";
import { readGguf } from "../server/llm/gguf/ggufParser";
import { validateLlamaGguf, validateLlamaMetadata } from "../server/llm/gguf/llamaValidation";
import { readGgufFileHeader } from "../server/llm/gguf/readGgufFileHeader";
import { makeTinyModel, makeTinyModelWeights, writeTinyModel } from "../server/llm/gguf/tinyModel";

let dir: string;
before(async () => {
    dir = await mkdtemp(join(tmpdir(), "llamahome-gguf-"));
});
after(async () => {
    await rm(dir, { recursive: true, force: true });
});

function bytesOf(data: Float32Array): Buffer {
    return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/** Asserts that `action` throws a GgufFormatError with this code and a message matching `message`. */
async function assertGgufError(action: () => unknown, code: GgufFormatError["code"], message: RegExp): Promise<void> {
    await assert.rejects(
        async () => action(),
        (error: unknown) => {
            assert.ok(error instanceof GgufFormatError, `expected GgufFormatError, got ${String(error)}`);
            assert.equal(error.code, code, error.message);
            assert.match(error.message, message);
            return true;
        },
    );
}

/**
 * Re-encodes a GGUF with some metadata changed, to build files that are broken in exactly one way: a key mapped to
 * undefined is left out, one mapped to a number is written as that uint32.
 */
function rewrite(source: Buffer, overrides: Readonly<Record<string, number | undefined>>): Buffer {
    const file = readGguf(source);
    const writer = new GgufWriter({ alignment: file.alignment });
    for (const [key, entry] of file.metadata) {
        if (key === "general.alignment") {
            continue; // the writer adds it itself
        }
        if (key in overrides) {
            const value = overrides[key];
            if (value !== undefined) {
                writer.addUint32(key, value);
            }
            continue;
        }
        switch (entry.type) {
            case GgufValueType.Uint32:
                writer.addUint32(key, file.requireNumber(key));
                break;
            case GgufValueType.Int32:
                writer.addInt32(key, file.requireNumber(key));
                break;
            case GgufValueType.Float32:
                writer.addFloat32(key, file.requireNumber(key));
                break;
            case GgufValueType.Bool:
                writer.addBool(key, file.requireBool(key));
                break;
            case GgufValueType.String:
                writer.addString(key, file.requireString(key));
                break;
            case GgufValueType.Array:
                if (entry.itemType === GgufValueType.String) {
                    writer.addStringArray(key, file.requireStringArray(key));
                } else if (entry.itemType === GgufValueType.Int32) {
                    writer.addInt32Array(key, file.requireNumberArray(key));
                } else {
                    writer.addFloat32Array(key, file.requireNumberArray(key));
                }
                break;
            default:
                throw new Error(`unexpected type ${entry.type} of ${key}`);
        }
    }
    for (const [name, data] of file.tensorsF32()) {
        writer.addTensor(name, file.tensorInfo(name).dims, data);
    }
    return writer.toBuffer();
}

describe("GgufWriter + ggufParser", () => {
    test("round-trips every metadata type and f32 tensors bit for bit", () => {
        const special = new Float32Array([0, -0, 1.5, -2.25, Infinity, -Infinity, Number.MIN_VALUE, 3.4e38]);
        // A NaN with a payload: only a byte-level copy preserves it.
        new Uint32Array(special.buffer)[0] = 0x7fc0_1234;
        const matrix = Float32Array.from({ length: 3 * 5 }, (_, i) => i / 7);
        const cube = Float32Array.from({ length: 2 * 3 * 4 * 1 }, (_, i) => -i);
        const buffer = new GgufWriter()
            .addUint32("t.u32", 4_000_000_000)
            .addInt32("t.i32", -123_456)
            .addFloat32("t.f32", 0.1)
            .addBool("t.true", true)
            .addBool("t.false", false)
            .addString("t.str", "héllo — wörld 😀")
            .addString("t.empty", "")
            .addStringArray("t.strs", ["a", "", "▁", "<0xFF>"])
            .addInt32Array("t.i32s", [0, -1, 2_147_483_647, -2_147_483_648])
            .addFloat32Array("t.f32s", [1e-5, -3, 0.5])
            .addStringArray("t.noStrs", [])
            .addTensor("special", [special.length], special)
            .addTensor("matrix", [5, 3], matrix)
            .addTensor("cube", [2, 3, 4, 1], cube)
            .toBuffer();

        const file = readGguf(buffer);
        assert.equal(file.version, 3);
        assert.equal(file.alignment, 32);
        assert.equal(file.requireNumber("general.alignment"), 32);
        assert.equal(file.requireNumber("t.u32"), 4_000_000_000);
        assert.equal(file.get("t.u32")?.type, GgufValueType.Uint32);
        assert.equal(file.requireNumber("t.i32"), -123_456);
        assert.equal(file.get("t.i32")?.type, GgufValueType.Int32);
        assert.equal(file.requireNumber("t.f32"), Math.fround(0.1));
        assert.equal(file.get("t.f32")?.type, GgufValueType.Float32);
        assert.equal(file.requireBool("t.true"), true);
        assert.equal(file.requireBool("t.false"), false);
        assert.equal(file.requireString("t.str"), "héllo — wörld 😀");
        assert.equal(file.requireString("t.empty"), "");
        assert.deepEqual(file.requireStringArray("t.strs"), ["a", "", "▁", "<0xFF>"]);
        assert.deepEqual(file.requireNumberArray("t.i32s"), [0, -1, 2_147_483_647, -2_147_483_648]);
        assert.equal(file.get("t.i32s")?.itemType, GgufValueType.Int32);
        assert.deepEqual(file.requireNumberArray("t.f32s"), [Math.fround(1e-5), -3, 0.5]);
        assert.equal(file.get("t.f32s")?.itemType, GgufValueType.Float32);
        assert.deepEqual(file.requireStringArray("t.noStrs"), []);
        assert.deepEqual(
            [...file.metadata.keys()],
            ["general.alignment", "t.u32", "t.i32", "t.f32", "t.true", "t.false", "t.str", "t.empty", "t.strs", "t.i32s", "t.f32s", "t.noStrs"],
        );

        assert.deepEqual(
            file.tensorInfos.map((t) => [t.name, t.dims, t.type]),
            [
                ["special", [8], 0],
                ["matrix", [5, 3], 0],
                ["cube", [2, 3, 4, 1], 0],
            ],
        );
        assert.equal(file.dataOffset % 32, 0);
        for (const info of file.tensorInfos) {
            assert.equal(info.offset % 32, 0, `${info.name} offset ${info.offset}`);
        }
        assert.deepEqual(bytesOf(file.tensorF32("special")), bytesOf(special));
        assert.deepEqual(bytesOf(file.tensorF32("matrix")), bytesOf(matrix));
        assert.deepEqual(bytesOf(file.tensorF32("cube")), bytesOf(cube));
        assert.equal(buffer.length, file.dataOffset + 32 + 64 + 96, "each tensor is padded to the alignment");
    });

    test("honours a non-default alignment", () => {
        const data = Float32Array.from([1, 2, 3]);
        const file = readGguf(new GgufWriter({ alignment: 64 }).addTensor("a", [3], data).addTensor("b", [3], data).toBuffer());
        assert.equal(file.alignment, 64);
        assert.equal(file.dataOffset % 64, 0);
        assert.deepEqual(file.tensorInfos.map((t) => t.offset), [0, 64]);
        assert.deepEqual(file.tensorF32("b"), data);
    });

    test("rejects invalid writer input", () => {
        assert.throws(() => new GgufWriter({ alignment: 24 }), RangeError);
        assert.throws(() => new GgufWriter().addUint32("k", -1), RangeError);
        assert.throws(() => new GgufWriter().addInt32("k", 2 ** 31), RangeError);
        assert.throws(() => new GgufWriter().addUint32("k", 1).addUint32("k", 2), /added twice/);
        assert.throws(() => new GgufWriter().addTensor("t", [2, 2], new Float32Array(3)), /hold 4 values but data has 3/);
        assert.throws(() => new GgufWriter().addTensor("t", [1, 1, 1, 1, 1], new Float32Array(1)), RangeError);
        assert.throws(() => new GgufWriter().addTensor("x".repeat(64), [1], new Float32Array(1)), RangeError);
    });

    test("reads a header bigger than its first read chunk from disk", async () => {
        // ~2 MiB of vocabulary forces readGgufFileHeader past its initial 1 MiB read.
        const tokens = Array.from({ length: 60_000 }, (_, i) => `token-${i}-${"x".repeat(20)}`);
        const path = join(dir, "big-header.gguf");
        await writeFile(path, new GgufWriter().addStringArray("tokenizer.ggml.tokens", tokens).addTensor("t", [4], new Float32Array(4)).toBuffer());
        const file = await readGgufFileHeader(path);
        assert.equal(file.requireStringArray("tokenizer.ggml.tokens").length, tokens.length);
        assert.ok(file.dataOffset > 1 << 20, `header is only ${file.dataOffset} bytes`);
        assert.equal(file.tensorInfo("t").byteSize, 16);
        assert.throws(() => file.tensorF32("t"), /header-only/);
    });
});

describe("tiny llama model", () => {
    test("is deterministic in its seed", () => {
        const first = makeTinyModel({ seed: 1 });
        assert.ok(first.equals(makeTinyModel({ seed: 1 })), "same seed, same bytes");
        assert.ok(first.equals(makeTinyModel()), "seed defaults to 1");
        const other = makeTinyModel({ seed: 2 });
        assert.equal(other.length, first.length);
        assert.ok(!first.equals(other), "another seed changes the weights");
        assert.ok(first.length < 1024 * 1024, `tiny model is ${first.length} bytes`);
    });

    test("reads back exactly the weights and metadata it was written from", () => {
        const options = { layers: 3, embd: 32, heads: 4, kvHeads: 2, ffn: 48, ctx: 1024, seed: 7, ropeFreqBase: 1e6 };
        const weights = makeTinyModelWeights(options);
        const file = readGguf(makeTinyModel(options));
        const { config } = weights;
        assert.equal(config.headDim, 8);
        assert.equal(file.requireString("general.architecture"), "llama");
        assert.equal(file.requireString("general.name"), config.name);
        assert.equal(file.requireNumber("llama.context_length"), 1024);
        assert.equal(file.requireNumber("llama.embedding_length"), 32);
        assert.equal(file.requireNumber("llama.block_count"), 3);
        assert.equal(file.requireNumber("llama.feed_forward_length"), 48);
        assert.equal(file.requireNumber("llama.attention.head_count"), 4);
        assert.equal(file.requireNumber("llama.attention.head_count_kv"), 2);
        assert.equal(file.requireNumber("llama.attention.layer_norm_rms_epsilon"), Math.fround(1e-5));
        assert.equal(file.requireNumber("llama.rope.freq_base"), 1e6);
        assert.equal(file.requireNumber("llama.rope.dimension_count"), 8);
        assert.equal(file.requireNumber("llama.vocab_size"), config.vocabSize);
        assert.equal(file.requireString("tokenizer.ggml.model"), "llama");
        assert.deepEqual(file.requireStringArray("tokenizer.ggml.tokens"), weights.vocab.tokens);
        assert.deepEqual(file.requireNumberArray("tokenizer.ggml.token_type"), weights.vocab.tokenTypes);
        assert.deepEqual(file.requireNumberArray("tokenizer.ggml.scores"), weights.vocab.scores);
        assert.equal(file.requireNumber("tokenizer.ggml.bos_token_id"), 1);
        assert.equal(file.requireNumber("tokenizer.ggml.eos_token_id"), 2);
        assert.equal(file.requireNumber("tokenizer.ggml.unknown_token_id"), 0);
        assert.equal(file.requireBool("tokenizer.ggml.add_bos_token"), true);
        assert.equal(weights.vocab.tokens[config.byteTokenOffset + 0x41], "<0x41>");

        assert.deepEqual(
            file.tensorInfos.map((t) => t.name),
            [...weights.tensors.keys()],
        );
        assert.equal(file.tensorInfos.length, 2 + 9 * 3 + 1);
        assert.deepEqual(file.tensorInfo("blk.2.attn_k.weight").dims, [32, 16]);
        assert.deepEqual(file.tensorInfo("blk.0.ffn_down.weight").dims, [48, 32]);
        assert.deepEqual(file.tensorInfo("output.weight").dims, [32, config.vocabSize]);
        for (const tensor of weights.tensors.values()) {
            assert.deepEqual(file.tensorInfo(tensor.name).dims, tensor.dims, tensor.name);
            assert.ok(bytesOf(file.tensorF32(tensor.name)).equals(bytesOf(tensor.data)), `${tensor.name} bytes differ`);
        }
        validateLlamaMetadata(file);
    });

    test("rejects options llama.cpp could not load", () => {
        assert.throws(() => makeTinyModel({ embd: 60, heads: 8 }), RangeError);
        assert.throws(() => makeTinyModel({ heads: 4, kvHeads: 3 }), RangeError);
        assert.throws(() => makeTinyModel({ layers: 0 }), RangeError);
    });
});

describe("GGUF reading errors", () => {
    const model = makeTinyModel();

    test("a non-GGUF file", async () => {
        await assertGgufError(() => readGguf(Buffer.from("PK\u0003\u0004 this is a zip, not a model")), "bad-magic", /^not a GGUF file \(bad magic\)$/);
        await assertGgufError(() => readGguf(Buffer.alloc(0)), "bad-magic", /bad magic/);
        const path = join(dir, "notes.gguf");
        await writeFile(path, "just some text\n");
        await assertGgufError(() => validateLlamaGguf(path), "bad-magic", new RegExp(`bad magic.*${path}`));
    });

    test("arrays nested deeper than any model's metadata", async () => {
        // 200,000 levels of one-item arrays used to overflow the stack (a RangeError, not a format error).
        const parts: Buffer[] = [Buffer.from("GGUF")];
        const u32 = (value: number) => { const b = Buffer.alloc(4); b.writeUInt32LE(value); parts.push(b); };
        const u64 = (value: number) => { const b = Buffer.alloc(8); b.writeBigUInt64LE(BigInt(value)); parts.push(b); };
        u32(3); u64(0); u64(1);
        u64(4); parts.push(Buffer.from("deep"));
        u32(GgufValueType.Array);
        for (let level = 0; level < 200_000; level++) { u32(GgufValueType.Array); u64(1); }
        u32(GgufValueType.Uint32); u64(0);
        await assertGgufError(() => readGguf(Buffer.concat(parts)), "malformed", /deep.* nests arrays more than 32 deep/);
    });

    test("an unsupported version", async () => {
        const copy = Buffer.from(model);
        copy.writeUInt32LE(1, 4);
        await assertGgufError(() => readGguf(copy), "unsupported-version", /unsupported GGUF version 1/);
    });

    test("a truncated file", async () => {
        // Inside the fixed header, inside the metadata, inside the tensor infos, inside the tensor data.
        const tensorInfoStart = model.indexOf("token_embd.weight");
        for (const cut of [10, 200, tensorInfoStart + 4, model.length - 100]) {
            await assertGgufError(() => readGguf(model.subarray(0, cut)), "truncated", /^truncated GGUF: /);
        }
        const path = join(dir, "partial.gguf");
        await writeFile(path, model.subarray(0, Math.floor(model.length / 2)));
        await assertGgufError(() => validateLlamaGguf(path), "truncated", /^truncated GGUF: tensor .* ends at byte \d+ but the file has \d+ bytes/);
    });

    test("a file missing a key llama.cpp needs", async () => {
        await validateLlamaGguf(await writeModelFile("complete.gguf", model));
        for (const key of ["llama.feed_forward_length", "llama.attention.head_count", "general.architecture", "tokenizer.ggml.tokens"]) {
            const path = await writeModelFile(`no-${key}.gguf`, rewrite(model, { [key]: undefined }));
            await assertGgufError(() => validateLlamaGguf(path), "missing-key", new RegExp(`^missing key ${key.replace(/\./g, "\\.")} \\(in `));
        }
    });

    test("a key with an impossible value", async () => {
        // A head count that does not divide the embedding width would give llama.cpp a fractional head size.
        const path = await writeModelFile("bad-heads.gguf", rewrite(model, { "llama.attention.head_count": 5 }));
        await assertGgufError(() => validateLlamaGguf(path), "invalid-value", /llama\.attention\.head_count must be a positive divisor/);
    });

    async function writeModelFile(name: string, bytes: Buffer): Promise<string> {
        const path = join(dir, name);
        await writeFile(path, bytes);
        return path;
    }
});

describe("node-llama-cpp runs the tiny model", () => {
    test("tokenizes, detokenizes and generates deterministically", { timeout: 60_000 }, async () => {
        const { getLlama, LlamaLogLevel } = await import("node-llama-cpp");
        const modelPath = join(dir, "tiny-seed1.gguf");
        const twinPath = join(dir, "tiny-seed1-twin.gguf");
        const otherPath = join(dir, "tiny-seed2.gguf");
        await writeTinyModel(modelPath, { seed: 1 });
        await writeTinyModel(twinPath, { seed: 1 });
        await writeTinyModel(otherPath, { seed: 2 });
        await validateLlamaGguf(modelPath);

        const llama = await getLlama({ gpu: false, logLevel: LlamaLogLevel.error });
        try {
            const model = await llama.loadModel({ modelPath });
            try {
                for (const text of ["Hello world", "café — naïve\n\ttabs  and  double spaces ", " leading space", "日本語 😀"]) {
                    const tokens = model.tokenize(text);
                    assert.equal(model.detokenize(tokens), text, `round trip of ${JSON.stringify(text)}`);
                }
                const { config } = makeTinyModelWeights({ seed: 1 });
                const hello = model.tokenize("Hello world");
                assert.deepEqual(
                    [...hello],
                    [..."Hello world"].map((c) => (c === " " ? config.spaceId : config.byteTokenOffset + c.charCodeAt(0))),
                    "one token per byte, spaces as ▁",
                );
                assert.deepEqual([...model.tokenize("é")], [0xc3, 0xa9].map((b) => config.byteTokenOffset + b));
                assert.equal(model.tokens.bos, config.bosId);
                assert.equal(model.tokens.eos, config.eosId);

                const first = await generateGreedy(model, 16);
                const second = await generateGreedy(model, 16);
                assert.equal(first.length, 16);
                assert.deepEqual(second, first, "same model, same prompt: same greedy tokens");
                assert.ok(new Set(first).size > 1, `generation is degenerate: ${first.join(",")}`);
            } finally {
                await model.dispose();
            }

            const expected = await withModel(twinPath, (model) => generateGreedy(model, 16));
            const fromOtherSeed = await withModel(otherPath, (model) => generateGreedy(model, 16));
            const again = await withModel(modelPath, (model) => generateGreedy(model, 16));
            assert.deepEqual(expected, again, "a model rewritten from the same seed generates the same tokens");
            assert.notDeepEqual(fromOtherSeed, again, "another seed generates different tokens");
        } finally {
            await llama.dispose();
        }

        async function withModel<T>(path: string, use: (model: LlamaModel) => Promise<T>): Promise<T> {
            const model = await llama.loadModel({ modelPath: path });
            try {
                return await use(model);
            } finally {
                await model.dispose();
            }
        }

        async function generateGreedy(model: LlamaModel, count: number): Promise<number[]> {
            // One thread: the default (4) oversubscribes small CI hosts and makes each token ~100x slower.
            const context = await model.createContext({ contextSize: 512, threads: 1 });
            try {
                const sequence = context.getSequence();
                const bos = model.tokens.bos;
                assert.ok(bos !== null);
                const generated: number[] = [];
                // Reading sequence.evaluate directly (not LlamaCompletion) so an EOS pick cannot end generation early.
                for await (const token of sequence.evaluate([bos, ...model.tokenize("Hello world")], { temperature: 0 })) {
                    generated.push(token);
                    if (generated.length >= count) {
                        break;
                    }
                }
                assert.equal(sequence.nextTokenIndex, 1 + 11 + count - 1, "prompt plus all but the last generated token evaluated");
                return generated;
            } finally {
                await context.dispose();
            }
        }
    });
});
