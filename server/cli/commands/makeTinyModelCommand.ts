import * as fs from "node:fs/promises";
import * as path from "node:path";
import { resolveTinyModelConfig, writeTinyModel, type TinyModelOptions } from "../../llm/gguf/tinyModel";
import { intOption, UsageError, type Command } from "../Command";

export const makeTinyModelCommand: Command = {
    name: "make-tiny-model",
    summary: "Write a tiny random llama GGUF (byte tokenizer, f32) for tests and benchmarks",
    usage: `llamahome make-tiny-model <out.gguf> [--layers n --embd n --heads n --kv-heads n --ctx n --seed n]

  Deterministic from --seed. Defaults: 2 layers, embd 64, 4 heads, kv-heads = heads, ctx 4096, seed 1.
  The model is untrained: it produces noise, at real llama.cpp speed.`,
    options: {
        layers: { type: "string" }, embd: { type: "string" }, heads: { type: "string" }, "kv-heads": { type: "string" },
        ctx: { type: "string" }, seed: { type: "string" }, json: { type: "boolean" },
    },
    positionals: [1, 1],
    async run(args) {
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
