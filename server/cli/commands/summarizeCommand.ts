import * as path from "node:path";
import { Assistant } from "../../assist/Assistant";
import { DocumentReadError, readWholeDocument } from "../../core/readWholeDocument";
import { UsageError, type Command } from "../Command";
import { h2oOptions, h2oOptionsHelp, modelOptions, modelOptionsHelp, withGenerator } from "../generatorFromArgs";
import { streamToTerminal } from "../terminalText";

export const summarizeCommand: Command = {
    name: "summarize",
    summary: "Summarize one document (any indexed format) with a local model, or extractively without one",
    usage: `llamahome summarize <file> [--model M] [--enable-h2o [--window-length N] [--heavy-hitters K]] [--json] [model options]

  Without --model (or LLAMAHOME_MODEL) the extractive engine picks the document's central sentences.
  With a model, long documents are summarized part by part and the parts summarized again (map-reduce);
  with --enable-h2o, in one pass through a bounded KV cache.
  The summary is the document's title, a short lead and its sections (bookmarks, table of contents or headings).
  Prints the summary as it streams; --json prints {"summary","engine","title"?,"outline"?,"model"?,"tokens"?,"ms","policy"?,"fallbackReason"?}
  ("policy": "full", "h2o" or "sink-window" when a model ran).
  ${modelOptionsHelp}
  ${h2oOptionsHelp}`,
    options: { ...modelOptions, ...h2oOptions, json: { type: "boolean" } },
    positionals: [1, 1],
    async run(args) {
        const given = args.positionals[0]!;
        const file = path.resolve(given);
        // the same bounded, non-blocking read and extraction as ask --document
        const extracted = await readWholeDocument(file, given).catch((error: unknown) => {
            if (error instanceof DocumentReadError && error.missing) throw new UsageError(`no such file: ${given}`);
            throw error;
        });
        return withGenerator(args, async (generator, signal) => {
            const streaming = !args.values.json;
            const result = await new Assistant(generator).summarize(extracted.text, {
                title: extracted.title ?? path.basename(file),
                ...(extracted.record.outline ? { outline: extracted.record.outline } : {}),
                signal,
                ...streamToTerminal(!streaming),
            });
            if (streaming) process.stdout.write("\n");
            else {
                const kv = generator?.boundedKv;
                const policy = generator === undefined ? {} : { policy: result.endpoint ? "server" : kv?.policy ?? "full", ...(kv?.fallbackReason === undefined ? {} : { fallbackReason: kv.fallbackReason }) };
                process.stdout.write(JSON.stringify({ ...result, ...policy }) + "\n");
            }
            return signal.aborted ? 130 : 0;
        });
    },
};
