import * as path from "node:path";
import type { Command } from "../Command";
import { cacheDirOption, openIndex } from "../openIndex";
import { formatHit, formatIndexReport } from "../report";

const sampleQueries = ["irrigation project cost", "annual general meeting date", "water usage policy"];

export const demoCommand: Command = {
    name: "demo",
    summary: "Index the bundled sample workspace and show what LlamaHome finds (what `npm start` runs)",
    usage: `llamahome demo [dir] [--cache-dir D]

  Indexes [dir] (default samples/workspace), prints what was indexed and the top hits for sample queries.`,
    options: { ...cacheDirOption },
    positionals: [0, 1],
    async run(args) {
        const dir = args.positionals[0] ?? path.join(__dirname, "..", "samples", "workspace");
        const index = await openIndex(dir, args);
        try {
            const report = await index.update();
            process.stdout.write(`LlamaHome — ${path.resolve(dir)}\n${formatIndexReport(report)}\n`);
            for (const document of index.listDocuments().sort((a, b) => a.path.localeCompare(b.path))) {
                const extent = document.pages ? `${document.pages} pages` : `${document.chars} chars`;
                process.stdout.write(`  ${document.format.padEnd(8)} ${document.path} — ${document.title ?? "(untitled)"}, ${extent}, ${document.chunks.length} chunks\n`);
            }
            for (const query of sampleQueries) {
                process.stdout.write(`\nSearch: "${query}"\n`);
                const hits = index.search(query, 3);
                process.stdout.write(hits.length ? hits.map((hit, i) => formatHit(hit, i + 1)).join("\n") + "\n" : "No matches.\n");
            }
            return 0;
        } finally {
            await index.dispose();
        }
    },
};
