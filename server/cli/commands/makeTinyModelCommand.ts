import * as fs from "node:fs/promises";
import * as path from "node:path";
import { resolveTinyModelConfig, writeTinyModel, type TinyModelOptions } from "../../llm/gguf/tinyModel";
import { makeTinyEmbeddingModel, makeTinyRerankerModel, tinySynonymGroups } from "../../llm/gguf/tinyRetrievalModels";
import { intOption, UsageError, type Command, type ParsedArgs } from "../Command";

export const makeTinyModelCommand: Command = {
    name: "make-tiny-model",
    summary: "Write a tiny random llama GGUF (byte tokenizer, f32) for tests and benchmarks",
    usage: `llamahome make-tiny-model <out.gguf> [--layers n --embd n --heads n --kv-heads n --ctx n --seed n]
       llamahome make-tiny-model <out.gguf> --embedding | --reranker [--embd n --seed n]

  Deterministic from --seed. Defaults: 2 layers, embd 64, 4 heads, kv-heads = heads, ctx 4096, seed 1.
  The model is untrained: it produces noise, at real llama.cpp speed.
  --embedding: an embedding model (for --embedding-model / llamahome.embeddingModel) whose vector of a text is the
  mean of its known words' vectors, synonyms sharing one ("car", "automobile", "vehicle"…), so tests see search find
  a passage by meaning; --reranker: a reranking model (qwen3 with a classification head) with random scores.`,
    options: {
        layers: { type: "string" }, embd: { type: "string" }, heads: { type: "string" }, "kv-heads": { type: "string" },
        ctx: { type: "string" }, seed: { type: "string" }, json: { type: "boolean" }, embedding: { type: "boolean" }, reranker: { type: "boolean" },
    },
    positionals: [1, 1],
    async run(args) {
        if (args.values.embedding || args.values.reranker) return writeRetrievalModel(args);
        const options: TinyModelOptions = {};
        if (args.values.layers !== undefined) options.layers = intOption(args, "layers", 2);
        if (args.values.embd !== undefined) options.embd = intOption(args, "embd", 64);
        if (args.values.heads !== undefined) options.heads = intOption(args, "heads", 4);
        if (args.values["kv-heads"] !== undefined) options.kvHeads = intOption(args, "kv-heads", 4);
        if (args.values.ctx !== undefined) options.ctx = intOption(args, "ctx", 4096, 16);
        if (args.values.seed !== undefined) options.seed = intOption(args, "seed", 1, 0);
        let config;
        try {
            config = resolveTinyModelConfig(options);
        } catch (error) {
            throw new UsageError((error as Error).message);
        }
        const out = path.resolve(args.positionals[0]);
        await fs.mkdir(path.dirname(out), { recursive: true });
        await writeTinyModel(out, options);
        const { size } = await fs.stat(out);
        const summary = { path: out, bytes: size, layers: config.layers, embd: config.embd, heads: config.heads, kvHeads: config.kvHeads, ctx: config.ctx, seed: config.seed };
        process.stdout.write(args.values.json ? JSON.stringify(summary) + "\n" : `Wrote ${out} (${(size / 1024).toFixed(0)} KB): ${config.layers} layers, embd ${config.embd}, ${config.heads} heads (${config.kvHeads} kv), ctx ${config.ctx}, seed ${config.seed}\n`);
        return 0;
    },
};

async function writeRetrievalModel(args: ParsedArgs): Promise<number> {
    if (args.values.embedding && args.values.reranker) throw new UsageError("give --embedding or --reranker, not both");
    const stray = (["layers", "heads", "kv-heads", "ctx"] as const).filter((name) => args.values[name] !== undefined);
    if (stray.length) throw new UsageError(`${stray.map((name) => `--${name}`).join(", ")} do not apply to --embedding / --reranker`);
    const options = { embd: intOption(args, "embd", 64, 4), seed: intOption(args, "seed", 1, 0) };
    if (options.embd % 4 !== 0) throw new UsageError(`--embd must be a multiple of 4 (4 heads), got ${options.embd}`);
    const kind = args.values.embedding ? "embedding" : "reranker";
    const bytes = kind === "embedding" ? makeTinyEmbeddingModel(options) : makeTinyRerankerModel(options);
    const out = path.resolve(args.positionals[0]);
    await fs.mkdir(path.dirname(out), { recursive: true });
    await fs.writeFile(out, bytes);
    const summary = { path: out, bytes: bytes.length, kind, embd: options.embd, seed: options.seed, ...(kind === "embedding" ? { synonymGroups: tinySynonymGroups.length } : {}) };
    process.stdout.write(args.values.json ? JSON.stringify(summary) + "\n" : `Wrote ${out} (${(bytes.length / 1024).toFixed(0)} KB): a tiny ${kind} model, ${options.embd} wide, seed ${options.seed}${kind === "embedding" ? `, ${tinySynonymGroups.length} groups of synonyms` : ""}\n`);
    return 0;
}
