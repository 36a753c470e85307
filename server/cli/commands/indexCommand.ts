import type { Command } from "../Command";
import { cacheDirOption, openIndex } from "../openIndex";
import { formatIndexReport } from "../report";

export const indexCommand: Command = {
    name: "index",
    summary: "Index a folder's documents (incremental: unchanged files are not re-read)",
    usage: `llamahome index <dir> [--cache-dir D] [--json]

  Indexes text, Markdown, code, JSON/CSV/HTML, PDF, DOCX, PPTX, XLSX, ODT, RTF and EPUB files under <dir>,
  honouring .gitignore. The index is saved under --cache-dir (default ~/.cache/llamahome/indexes).
  Exit 0 when the run completed (even if some files failed), 2 on usage errors, 1 on fatal errors.`,
    options: { ...cacheDirOption, json: { type: "boolean" } },
    positionals: [1, 1],
    async run(args) {
        const index = await openIndex(args.positionals[0], args);
        try {
            const showProgress = !args.values.json && process.stderr.isTTY;
            const report = await index.update({
                onProgress: showProgress ? (done, total) => process.stderr.write(`\rindexing ${done}/${total}`) : undefined,
            });
            if (showProgress) process.stderr.write("\n");
            if (args.values.json) {
                const { documents, chunks, failed, skipped, formats, ms, extracted, reused } = report;
                process.stdout.write(JSON.stringify({ documents, chunks, failed, skipped, formats, ms, extracted, reused }) + "\n");
            } else {
                process.stdout.write(formatIndexReport(report) + "\n");
            }
            return 0;
        } finally {
            await index.dispose();
        }
    },
};
