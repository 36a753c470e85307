import type { Citation } from "../assist/types";
import type { IndexHit, IndexReport } from "../core/WorkspaceIndex";
import { terminalLine } from "./terminalText";

export function formatIndexReport(report: IndexReport): string {
    const formats = Object.entries(report.formats).map(([format, count]) => `${format} ${count}`).join(", ");
    const lines = [
        `Indexed ${report.documents} document${report.documents === 1 ? "" : "s"} (${report.chunks} chunks) in ${report.ms} ms` +
            ` — ${report.extracted} read, ${report.reused} unchanged${formats ? `; ${formats}` : ""}`,
    ];
    // Paths and reasons come from the folder (file names, parser messages quoting the document): printed inert.
    for (const failure of report.failed) lines.push(`  failed  ${terminalLine(failure.path)}: ${terminalLine(failure.error)}`);
    for (const skip of report.skipped) lines.push(`  skipped ${terminalLine(skip.path)}: ${terminalLine(skip.reason)}`);
    return lines.join("\n");
}

export function formatHit(hit: IndexHit, rank: number): string {
    const where = hit.chunk.page ? ` p.${hit.chunk.page}` : hit.chunk.line ? `:${hit.chunk.line}` : "";
    return `${rank}. ${terminalLine(hit.path)}${where}  (score ${hit.score.toFixed(2)})\n   ${terminalLine(hit.snippet)}`;
}

/** A citation as a person reads it: `reports/a.pdf p.3`, `notes.md:12`. */
export function formatCitation(citation: Citation): string {
    return `${terminalLine(citation.path)}${citation.page ? ` p.${citation.page}` : citation.line ? `:${citation.line}` : ""}`;
}

/** The JSON shape of a hit on the CLI: path, score, snippet and page or line. */
export function hitJson(hit: IndexHit): { path: string; score: number; snippet: string; page?: number; line?: number } {
    return {
        path: hit.path,
        score: Math.round(hit.score * 1e4) / 1e4,
        snippet: hit.snippet,
        ...(hit.chunk.page ? { page: hit.chunk.page } : {}),
        ...(hit.chunk.line ? { line: hit.chunk.line } : {}),
    };
}
