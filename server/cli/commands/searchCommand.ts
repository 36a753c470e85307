import { intOption, type Command } from "../Command";
import { cacheDirOption, openIndex } from "../openIndex";
import { formatHit, hitJson } from "../report";
import { openRetrieval, retrievalOptions, retrievalOptionsHelp } from "../retrievalFromArgs";
import { terminalLine } from "../terminalText";

export const searchCommand: Command = {
    name: "search",
    summary: "Search a folder's documents (indexes first when needed)",
    usage: `llamahome search <dir> <query> [--top K] [--cache-dir D] [--embedding-model E] [--reranker R] [--json]

  Ranks chunks with BM25 (fused with an embedding model's similarity, and reranked, when those are given) and prints
  the best K (default 10) with their page (PDF) or line (text), and which retrieval ran.

${retrievalOptionsHelp}`,
    options: { ...cacheDirOption, ...retrievalOptions, top: { type: "string" }, json: { type: "boolean" } },
    positionals: [2, 2],
    async run(args) {
        const top = intOption(args, "top", 10);
        const index = await openIndex(args.positionals[0], args);
        try {
            await index.update();
            const retrieval = await openRetrieval(index, args, { progress: !args.values.json });
            try {
                const { hits, retrieval: kind, warning } = await retrieval.search.search(args.positionals[1], top);
                const why = [retrieval.embedError === undefined ? undefined : `Embedding failed: ${retrieval.embedError}`, warning].filter(Boolean).join(" ");
                if (args.values.json) {
                    const embedded = retrieval.embedded;
                    const embedding = embedded && { model: embedded.model, chunks: embedded.chunks, embedded: embedded.embedded, reused: embedded.reused, chunksPerSecond: embedded.chunksPerSecond };
                    process.stdout.write(JSON.stringify({ retrieval: kind, results: hits.map(hitJson), ...(embedding ? { embedding } : {}), ...(why ? { warning: why } : {}) }) + "\n");
                } else {
                    if (why) process.stderr.write(`${terminalLine(why)}\n`);
                    process.stdout.write(hits.length === 0 ? `No matches (${kind}).\n` : `Retrieval: ${kind}\n` + hits.map((hit, i) => formatHit(hit, i + 1)).join("\n") + "\n");
                }
                return 0;
            } finally {
                await retrieval.dispose();
            }
        } finally {
            await index.dispose();
        }
    },
};
