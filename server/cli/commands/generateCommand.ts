import * as fs from "node:fs/promises";
import { intOption, stringOption, UsageError, type Command } from "../Command";
import { inferenceFromArgs, modelFromArgs, modelOptions, modelOptionsHelp } from "../generatorFromArgs";

export const generateCommand: Command = {
    name: "generate",
    summary: "Raw completion of a prompt with a local model, with token counts and speeds",
    usage: `llamahome generate --model M --prompt P | --prompt-file F [--max-tokens N] [--temperature T] [--json]

  Streams the completion to stdout. --json prints {"text","promptTokens","generatedTokens",
  "promptTokensPerSecond","generatedTokensPerSecond","timeToFirstTokenMs","stopReason","ms"}.
  ${modelOptionsHelp}`,
    options: { ...modelOptions, prompt: { type: "string" }, "prompt-file": { type: "string" }, "max-tokens": { type: "string" }, temperature: { type: "string" }, json: { type: "boolean" } },
    positionals: [0, 0],
    async run(args) {
        const model = modelFromArgs(args);
        if (!model) throw new UsageError("generate needs a model: --model <path.gguf | hf:… | https://…> or LLAMAHOME_MODEL");
        const promptFile = stringOption(args, "prompt-file");
        let prompt = stringOption(args, "prompt");
        if ((prompt === undefined) === (promptFile === undefined)) throw new UsageError("give exactly one of --prompt and --prompt-file");
        if (promptFile) prompt = await fs.readFile(promptFile, "utf8").catch((error: Error) => { throw new UsageError(`cannot read --prompt-file: ${error.message}`); });
        const maxTokens = intOption(args, "max-tokens", 256);
        const temperature = args.values.temperature === undefined ? 0 : Number(args.values.temperature);
        if (!Number.isFinite(temperature) || temperature < 0) throw new UsageError(`--temperature must be a number ≥ 0 (got ${String(args.values.temperature)})`);

        const controller = new AbortController();
        const interrupt = () => controller.abort();
        process.once("SIGINT", interrupt);
        const inference = inferenceFromArgs(args, model);
        try {
            await inference.load(controller.signal);
            const started = performance.now();
            const result = await inference.generate({
                prompt: prompt!, maxTokens, temperature, signal: controller.signal,
                onText: args.values.json ? undefined : (text) => process.stdout.write(text),
            });
            const ms = Math.round(performance.now() - started);
            if (args.values.json) {
                process.stdout.write(JSON.stringify({
                    text: result.text, promptTokens: result.promptTokens, generatedTokens: result.generatedTokens,
                    promptTokensPerSecond: round(result.promptTokensPerSecond), generatedTokensPerSecond: round(result.generationTokensPerSecond),
                    timeToFirstTokenMs: round(result.timeToFirstTokenMs), stopReason: result.stopReason, ms,
                }) + "\n");
            } else {
                process.stdout.write(`\n[${result.promptTokens} prompt tokens at ${round(result.promptTokensPerSecond)} tok/s, ${result.generatedTokens} generated at ${round(result.generationTokensPerSecond)} tok/s, ${result.stopReason}, ${ms} ms]\n`);
            }
            return result.stopReason === "cancelled" ? 130 : 0;
        } finally {
            process.off("SIGINT", interrupt);
            await inference.dispose();
        }
    },
};

function round(value: number): number {
    return Math.round(value * 10) / 10;
}
