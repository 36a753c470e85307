import type { ExtractedText } from "../types";
import { ExtractionError } from "./ExtractionError";
import { errorMessage } from "../../../shared/errorMessage";

/** PDF text per page with pdf-parse, so every chunk can cite the page it came from. */
export async function extractPdf(bytes: Buffer): Promise<ExtractedText> {
    if (bytes.subarray(0, 1024).indexOf("%PDF-") < 0) throw new ExtractionError("not a PDF (no %PDF header): the file is corrupt or mislabelled");
    const { PDFParse } = await import("pdf-parse");
    const parser = new PDFParse({ data: new Uint8Array(bytes), verbosity: 0 });
    try {
        const result = await parser.getText({ pageJoiner: "" });
        const pageStarts: number[] = [];
        let text = "";
        for (const page of withoutRunningHeaders(result.pages.map((p) => p.text))) {
            pageStarts.push(text.length);
            text += page.trim() + "\n\n";
        }
        if (text.replace(/\s+/g, "").length < 8) {
            throw new ExtractionError(`no text layer: needs OCR (${result.pages.length} page${result.pages.length === 1 ? "" : "s"}, no extractable text)`);
        }
        const info = await parser.getInfo().catch(() => undefined);
        const title = typeof info?.info?.Title === "string" && info.info.Title.trim() ? info.info.Title.trim() : undefined;
        return { format: "pdf", text, pageStarts, title };
    } catch (error) {
        throw pdfError(error);
    } finally {
        await parser.destroy().catch(() => undefined);
    }
}

function pdfError(error: unknown): Error {
    if (error instanceof ExtractionError) return error;
    const name = (error as { name?: string })?.name ?? "";
    const message = errorMessage(error);
    if (name === "PasswordException" || /password/i.test(message)) return new ExtractionError("encrypted PDF: password required");
    if (name === "InvalidPDFException" || /invalid pdf|invalid xref|bad xref/i.test(message)) {
        return new ExtractionError(`corrupt or truncated PDF: ${message}`);
    }
    return new ExtractionError(`unreadable PDF: ${message}`);
}

/**
 * Drops running headers and footers ("Annual Report 2024 - page 3 of 5"): a first or last line that recurs, digits
 * aside, on most pages. They would otherwise open every chunk, summary and snippet of a long PDF.
 */
export function withoutRunningHeaders(pages: string[]): string[] {
    if (pages.length < 3) return pages;
    const key = (line: string) => line.trim().replace(/\d+/g, "#");
    const edges = (page: string) => {
        const lines = page.split("\n").filter((line) => line.trim());
        return [...new Set([lines[0], lines.at(-1)].filter((line): line is string => line !== undefined).map(key))];
    };
    const counts = new Map<string, number>();
    for (const page of pages) for (const edge of edges(page)) counts.set(edge, (counts.get(edge) ?? 0) + 1);
    const running = new Set([...counts].filter(([edge, count]) => edge && count >= Math.ceil(pages.length * 0.6)).map(([edge]) => edge));
    if (running.size === 0) return pages;
    return pages.map((page) => {
        const lines = page.split("\n");
        const first = lines.findIndex((line) => line.trim());
        if (first >= 0 && running.has(key(lines[first]))) lines.splice(first, 1);
        let last = lines.length - 1;
        while (last >= 0 && !lines[last].trim()) last--;
        if (last >= 0 && running.has(key(lines[last]))) lines.splice(last, 1);
        return lines.join("\n");
    });
}
