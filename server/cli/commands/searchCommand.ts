import { intOption, type Command } from "../Command";
import { cacheDirOption, openIndex } from "../openIndex";
import { formatHit, hitJson } from "../report";

export const searchCommand: Command = {
    name: "search",
    summary: "Search a folder's documents (indexes first when needed)",
    usage: `llamahome search <dir> <query> [--top K] [--cache-dir D] [--json]

  Ranks chunks with BM25 and prints the best K (default 10) with their page (PDF) or line (text).`,
    options: { ...cacheDirOption, top: { type: "string" }, json: { type: "boolean" } },
    positionals: [2, 2],
    async run(args) {
        const top = intOption(args, "top", 10);
        const index = await openIndex(args.positionals[0], args);
        try {
            await index.update();
            const hits = index.search(args.positionals[1], top);
            if (args.values.json) {
                process.stdout.write(JSON.stringify({ results: hits.map(hitJson) }) + "\n");
            } else if (hits.length === 0) {
                process.stdout.write("No matches.\n");
            } else {
                process.stdout.write(hits.map((hit, i) => formatHit(hit, i + 1)).join("\n") + "\n");
            }
            return 0;
        } finally {
            await index.dispose();
        }
    },
};
