import * as path from "node:path";
import { Assistant } from "../../assist/Assistant";
import { answerFromDocument, DocumentTooLongError, kvFigures, type DocumentAnswer } from "../../assist/documentAnswer";
import type { AnswerResult } from "../../assist/types";
import { DocumentReadError, readWholeDocument } from "../../core/readWholeDocument";
import { intOption, stringOption, UsageError, type Command, type ParsedArgs } from "../Command";
import { h2oOptions, h2oOptionsHelp, modelOptions, modelOptionsHelp, withGenerator } from "../generatorFromArgs";
import { cacheDirOption, openIndex } from "../openIndex";
import { formatCitation } from "../report";
import { openRetrieval, retrievalOptions, retrievalOptionsHelp } from "../retrievalFromArgs";
import { streamToTerminal, terminalLine } from "../terminalText";

export const askCommand: Command = {
    name: "ask",
    summary: "Answer a question from a folder's documents, or from one whole document, with citations",
    usage: `llamahome ask <dir> <question> [--model M] [--top K] [--cache-dir D] [--json] [model options]
       llamahome ask --document FILE <question> [--model M] [--enable-h2o [--window-length N] [--heavy-hitters K]] [--json]

  Retrieves the top K chunks (default 5) and answers from them only, citing document and page/line.
  Says so when the documents do not contain the answer. Without a model the extractive engine answers.
  --document reads the whole FILE (any indexed format) instead and answers from it, citing it (and the page when
  the answer comes from one). With --enable-h2o the document goes through a bounded KV cache with question-aware
  eviction (policy "query-aware": the question is evaluated after each chunk and what it attends to stays), so
  any length fits; without it a document longer than the context is refused (exit 2), never cut.
  --json prints {"answer","engine","found","citations":[{"path","page"?,"line"?}],"model"?,"endpoint"?,"tokens"?,"ms"}
  (the extractive engine adds "passages": the 2–3 quoted passages behind the answer, each with its path and place)
  (--document with a model adds "policy","kvBudget","kvPeakCells","evictedTokens","observationTokens"?).
  ${modelOptionsHelp}
  ${h2oOptionsHelp}
  ${retrievalOptionsHelp}`,
    options: { ...modelOptions, ...h2oOptions, ...retrievalOptions, ...cacheDirOption, top: { type: "string" }, document: { type: "string" }, json: { type: "boolean" } },
    positionals: [1, 2],
    async run(args) {
        if (stringOption(args, "document") !== undefined) return askDocument(args);
        if (args.positionals.length !== 2) throw new UsageError("ask needs a folder and a question: llamahome ask <dir> <question> (or --document FILE <question>)");
        const top = intOption(args, "top", 5);
        const index = await openIndex(args.positionals[0], args);
        try {
            await index.update();
            const retrieval = await openRetrieval(index, args, { progress: !args.values.json });
            if (retrieval.embedError) process.stderr.write(`${terminalLine(`Embedding failed: ${retrieval.embedError}`)}\n`);
            let ran: string | undefined;
            const retriever = retrieval.search.retriever({
                onOutcome: (outcome) => {
                    if (outcome.warning && !retrieval.embedError) process.stderr.write(`${terminalLine(outcome.warning)}\n`);
                    ran = outcome.retrieval;
                },
            });
            try {
                return await withGenerator(args, async (generator, signal) => {
                    const result = await new Assistant(generator).ask(retriever, args.positionals[1], top, { signal, ...streamToTerminal(args.values.json === true) });
                    printAnswer(args, result, ran && ran !== "bm25" ? { retrieval: ran } : {});
                    return signal.aborted ? 130 : 0;
                });
            } finally {
                await retrieval.dispose();
            }
        } finally {
            await index.dispose();
        }
    },
};

async function askDocument(args: ParsedArgs): Promise<number> {
    if (args.positionals.length !== 1) throw new UsageError("ask --document FILE takes the question only: llamahome ask --document FILE <question>");
    if (args.values.top !== undefined) throw new UsageError("--top does not apply to --document: the whole document is read");
    const question = args.positionals[0]!;
    if (!question.trim()) throw new UsageError("the question is empty");
    const given = stringOption(args, "document")!;
    const doc = await readWholeDocument(path.resolve(given), given).catch((error: unknown) => {
        if (error instanceof DocumentReadError && error.missing) throw new UsageError(error.message);
        throw error;
    });
    return withGenerator(
        args,
        async (generator, signal) => {
            let result: DocumentAnswer;
            try {
                result = await answerFromDocument(generator, doc, question, { signal, ...streamToTerminal(args.values.json === true) });
            } catch (error) {
                if (error instanceof DocumentTooLongError) throw new UsageError(error.message);
                throw error;
            }
            const { kv, ...answer } = result;
            printAnswer(args, answer, kv === undefined ? {} : { ...kvFigures(kv) });
            return signal.aborted ? 130 : 0;
        },
        "query-aware",
    );
}

function printAnswer(args: ParsedArgs, result: AnswerResult, extra: Record<string, unknown> = {}): void {
    if (args.values.json) {
        process.stdout.write(JSON.stringify({ ...result, ...(result.endpoint && extra.policy === undefined ? { policy: "server" } : {}), ...extra }) + "\n");
        return;
    }
    const sources = result.citations.map((citation) => `  ${formatCitation(citation)}`);
    // an extractive answer is a sentence quoted from the documents: the passages it came from show what they say around it
    const passages = (result.passages ?? []).map((passage, i) => `  ${i + 1}. "${terminalLine(passage.text)}"\n     ${formatCitation(passage)}`);
    const quoted = passages.length ? `\nExtractive answer, quoted from your documents (no model). Passages:\n${passages.join("\n")}\n` : "";
    const kv = typeof extra.policy === "string" ? `, KV ${extra.policy}: budget ${extra.kvBudget}, peak ${extra.kvPeakCells} cells, ${extra.evictedTokens} evicted` : "";
    const retrieval = typeof extra.retrieval === "string" ? `, ${extra.retrieval} retrieval` : "";
    process.stdout.write(`\n${quoted}${sources.length ? `Sources:\n${sources.join("\n")}\n` : ""}(${result.engine} engine${result.endpoint ? ` on ${result.endpoint}` : ""}${kv}${retrieval}, ${result.ms} ms)\n`);
    if (extra.fallbackReason) process.stderr.write(`warning: query-aware eviction unavailable (${String(extra.fallbackReason)}); ran sink-window\n`);
}
