import * as path from "node:path";
import { Assistant } from "../../assist/Assistant";
import type { Command } from "../Command";
import { cacheDirOption, openIndex } from "../openIndex";
import { formatCitation, formatHit, formatIndexReport } from "../report";
import { terminalLine } from "../terminalText";

const sampleQueries = ["irrigation project cost", "annual general meeting date", "water usage policy"];
const sampleQuestions = ["When and where is the 2025 annual general meeting?", "How much did the irrigation project cost in the end?", "What is the capital of Mongolia?"];
const summarized = ["reports/annual-report-2024.pdf", "docs/plot-holder-handbook.docx"];

export const demoCommand: Command = {
    name: "demo",
    summary: "Index the bundled sample workspace and show what LlamaHome finds (what `npm start` runs)",
    usage: `llamahome demo [dir] [--cache-dir D]

  Indexes [dir] (default samples/workspace), prints what was indexed, the top hits for sample queries,
  summaries of two documents and answers to sample questions (extractive engine).`,
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
                process.stdout.write(`  ${document.format.padEnd(8)} ${terminalLine(document.path)} — ${terminalLine(document.title ?? "(untitled)")}, ${extent}, ${document.chunkCount} chunks\n`);
            }
            for (const query of sampleQueries) {
                process.stdout.write(`\nSearch: "${query}"\n`);
                const hits = index.search(query, 3);
                process.stdout.write(hits.length ? hits.map((hit, i) => formatHit(hit, i + 1)).join("\n") + "\n" : "No matches.\n");
            }
            const assistant = new Assistant();
            for (const file of summarized) {
                const text = index.documentText(file);
                if (!text) continue;
                const result = await assistant.summarize(text);
                process.stdout.write(`\nSummary of ${file} (${result.engine} engine, ${result.ms} ms):\n${wrap(result.summary)}\n`);
            }
            for (const question of sampleQuestions) {
                const result = await assistant.ask(index, question, 5);
                const sources = result.citations.map(formatCitation).join(", ");
                process.stdout.write(`\nQ: ${question}\nA: ${wrap(result.answer).trimStart()}\n   [${result.engine} engine${sources ? `; sources: ${sources}` : ""}]\n`);
            }
            return 0;
        } finally {
            await index.dispose();
        }
    },
};

/** Document-derived text re-flowed to `width` columns, indented, with its control characters made inert. */
function wrap(text: string, width = 110): string {
    const lines: string[] = [];
    let line = "";
    for (const word of terminalLine(text).split(/\s+/)) {
        if (line && line.length + word.length + 1 > width) {
            lines.push(line);
            line = "";
        }
        line = line ? `${line} ${word}` : word;
    }
    if (line) lines.push(line);
    return lines.map((l) => `   ${l}`).join("\n");
}
