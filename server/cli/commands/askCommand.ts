import { Assistant } from "../../assist/Assistant";
import { intOption, type Command } from "../Command";
import { h2oOptions, h2oOptionsHelp, modelOptions, modelOptionsHelp, withGenerator } from "../generatorFromArgs";
import { cacheDirOption, openIndex } from "../openIndex";

export const askCommand: Command = {
    name: "ask",
    summary: "Answer a question from a folder's documents, with citations",
    usage: `llamahome ask <dir> <question> [--model M] [--top K] [--cache-dir D] [--json] [model options]

  Retrieves the top K chunks (default 5) and answers from them only, citing document and page/line.
  Says so when the documents do not contain the answer. Without a model the extractive engine answers.
  --json prints {"answer","engine","found","citations":[{"path","page"?,"line"?}],"model"?,"tokens"?,"ms"}.
  ${modelOptionsHelp}
  ${h2oOptionsHelp}`,
    options: { ...modelOptions, ...h2oOptions, ...cacheDirOption, top: { type: "string" }, json: { type: "boolean" } },
    positionals: [2, 2],
    async run(args) {
        const top = intOption(args, "top", 5);
        const index = await openIndex(args.positionals[0], args);
        try {
            await index.update();
            return await withGenerator(args, async (generator, signal) => {
                const streaming = !args.values.json;
                const result = await new Assistant(generator).ask(index, args.positionals[1], top, {
                    signal,
                    onText: streaming ? (text) => process.stdout.write(text) : undefined,
                });
                if (streaming) {
                    const sources = result.citations.map((c) => `  ${c.path}${c.page ? ` p.${c.page}` : c.line ? `:${c.line}` : ""}`);
                    process.stdout.write(`\n${sources.length ? `Sources:\n${sources.join("\n")}\n` : ""}(${result.engine} engine, ${result.ms} ms)\n`);
                } else {
                    process.stdout.write(JSON.stringify(result) + "\n");
                }
                return signal.aborted ? 130 : 0;
            });
        } finally {
            await index.dispose();
        }
    },
};
