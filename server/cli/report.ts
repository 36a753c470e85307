import type { IndexHit, IndexReport } from "../core/WorkspaceIndex";

export function formatIndexReport(report: IndexReport): string {
    const formats = Object.entries(report.formats).map(([format, count]) => `${format} ${count}`).join(", ");
    const lines = [
        `Indexed ${report.documents} document${report.documents === 1 ? "" : "s"} (${report.chunks} chunks) in ${report.ms} ms` +
            ` — ${report.extracted} read, ${report.reused} unchanged${formats ? `; ${formats}` : ""}`,
    ];
    for (const failure of report.failed) lines.push(`  failed  ${failure.path}: ${failure.error}`);
    for (const skip of report.skipped) lines.push(`  skipped ${skip.path}: ${skip.reason}`);
    return lines.join("\n");
}

export function formatHit(hit: IndexHit, rank: number): string {
    const where = hit.chunk.page ? ` p.${hit.chunk.page}` : hit.chunk.line ? `:${hit.chunk.line}` : "";
    return `${rank}. ${hit.path}${where}  (score ${hit.score.toFixed(2)})\n   ${hit.snippet}`;
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
