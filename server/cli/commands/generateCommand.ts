import * as fs from "node:fs/promises";
import { intOption, stringOption, UsageError, type Command } from "../Command";
import type { GenerateResult, KvCacheReport, ModelInfo } from "../../llm/InferenceProcess";
import { endpointsFromArgs, h2oOptions, h2oOptionsHelp, inferenceFromArgs, kvModeFromArgs, modelFromArgs, modelOptions, modelOptionsHelp, withGenerator } from "../generatorFromArgs";
import { streamToTerminal, terminalText } from "../terminalText";

export const generateCommand: Command = {
    name: "generate",
    summary: "Raw completion of a prompt with a local model, with token counts and speeds",
    usage: `llamahome generate --model M --prompt P | --prompt-file F [--max-tokens N] [--temperature T]
                   [--enable-h2o [--window-length N] [--heavy-hitters K]] [--json]

  Streams the completion to stdout. --json prints {"text","promptTokens","generatedTokens",
  "promptTokensPerSecond","generatedTokensPerSecond","timeToFirstTokenMs","stopReason","ms",
  "policy","kvBudget","kvPeakCells","evictedTokens","contextMemoryBytes","fallbackReason"?}: the KV cache policy
  that ran ("full", "h2o", or "sink-window" with the reason H2O could not), its budget in tokens (the context size
  for "full"), the most KV cells held, the tokens evicted and the context's memory estimate in bytes.
  With --enable-h2o the prompt may be longer than any context. With --endpoint the JSON has "policy": "server",
  "endpoint" (the server that answered) and "model" instead of the KV cache figures.
  ${modelOptionsHelp}
  ${h2oOptionsHelp}`,
    options: {
        ...modelOptions,
        ...h2oOptions,
        prompt: { type: "string" },
        "prompt-file": { type: "string" },
        "max-tokens": { type: "string" },
        temperature: { type: "string" },
        json: { type: "boolean" },
    },
    positionals: [0, 0],
    async run(args) {
        const remote = endpointsFromArgs(args);
        const model = modelFromArgs(args);
        if (!model && !remote) throw new UsageError("generate needs a model: --model <path.gguf | hf:… | https://…> or LLAMAHOME_MODEL");
        const promptFile = stringOption(args, "prompt-file");
        let prompt = stringOption(args, "prompt");
        if ((prompt === undefined) === (promptFile === undefined)) throw new UsageError("give exactly one of --prompt and --prompt-file");
        const kv = kvModeFromArgs(args);
        if (promptFile) prompt = await fs.readFile(promptFile, "utf8").catch((error: Error) => { throw new UsageError(`cannot read --prompt-file: ${error.message}`); });
        const maxTokens = intOption(args, "max-tokens", 256);
        const temperature = args.values.temperature === undefined ? 0 : Number(args.values.temperature);
        if (!Number.isFinite(temperature) || temperature < 0) throw new UsageError(`--temperature must be a number ≥ 0 (got ${String(args.values.temperature)})`);

        if (remote) return generateOnEndpoints(args, prompt!, maxTokens, temperature);

        const controller = new AbortController();
        const interrupt = () => controller.abort();
        process.once("SIGINT", interrupt);
        const inference = inferenceFromArgs(args, model!, { kv });
        try {
            const info = await inference.load(controller.signal);
            if (info.kv?.fallbackReason !== undefined) process.stderr.write(`llamahome: running sink-window, not H2O: ${info.kv.fallbackReason}\n`);
            const started = performance.now();
            const result = await inference.generate({
                prompt: prompt!, maxTokens, temperature, signal: controller.signal,
                // a prompt file can steer the model into printing escape sequences: shown inert (--json has the exact text)
                onText: args.values.json ? undefined : (text) => process.stdout.write(terminalText(text)),
            });
            const ms = Math.round(performance.now() - started);
            const kvReport = kvOf(result, info);
            if (args.values.json) {
                process.stdout.write(JSON.stringify({
                    text: result.text, promptTokens: result.promptTokens, generatedTokens: result.generatedTokens,
                    promptTokensPerSecond: round(result.promptTokensPerSecond), generatedTokensPerSecond: round(result.generationTokensPerSecond),
                    timeToFirstTokenMs: round(result.timeToFirstTokenMs), stopReason: result.stopReason, ms,
                    ...kvReport,
                }) + "\n");
            } else {
                process.stdout.write(`\n[${result.promptTokens} prompt tokens at ${round(result.promptTokensPerSecond)} tok/s, ${result.generatedTokens} generated at ${round(result.generationTokensPerSecond)} tok/s, ${result.stopReason}, ${ms} ms; KV ${kvReport.policy}: peak ${kvReport.kvPeakCells} of ${kvReport.kvBudget} cells, ${kvReport.evictedTokens} evicted, ${(kvReport.contextMemoryBytes / 2 ** 20).toFixed(1)} MiB context]\n`);
            }
            return result.stopReason === "cancelled" ? 130 : 0;
        } finally {
            process.off("SIGINT", interrupt);
            await inference.dispose();
        }
    },
};

/** generate on llama.cpp servers: the server keeps its own KV cache, so the report names the endpoint instead. */
function generateOnEndpoints(args: Parameters<Command["run"]>[0], prompt: string, maxTokens: number, temperature: number): Promise<number> {
    return withGenerator(args, async (generator, signal) => {
        const started = performance.now();
        const outcome = await generator!.generate({ prompt, maxTokens, temperature, signal, ...streamToTerminal(args.values.json === true) });
        const ms = Math.round(performance.now() - started);
        const stopReason = outcome.stopReason ?? (outcome.cancelled ? "cancelled" : "eos");
        if (args.values.json) {
            process.stdout.write(JSON.stringify({
                text: outcome.text, promptTokens: outcome.promptTokens, generatedTokens: outcome.generatedTokens,
                ...(outcome.tokensPerSecond ? { generatedTokensPerSecond: round(outcome.tokensPerSecond) } : {}),
                stopReason, ms, policy: "server", endpoint: outcome.endpoint, model: generator!.modelName,
            }) + "\n");
        } else {
            process.stdout.write(`\n[${outcome.promptTokens} prompt tokens, ${outcome.generatedTokens} generated${outcome.tokensPerSecond ? ` at ${round(outcome.tokensPerSecond)} tok/s` : ""}, ${stopReason}, ${ms} ms on ${terminalText(outcome.endpoint ?? "")}]\n`);
        }
        return outcome.cancelled ? 130 : 0;
    });
}

/** The result's KV report; a request cancelled before the child answered has none, so the load's policy with zeros. */
function kvOf(result: GenerateResult, info: ModelInfo): KvCacheReport {
    if (result.kv) return result.kv;
    return {
        policy: info.kv?.policy ?? "full",
        kvBudget: info.kv?.windowLength ?? info.contextSize,
        kvPeakCells: 0,
        evictedTokens: 0,
        contextMemoryBytes: 0,
        ...(info.kv?.fallbackReason === undefined ? {} : { fallbackReason: info.kv.fallbackReason }),
    };
}

function round(value: number): number {
    return Math.round(value * 10) / 10;
}
