import type { ExtractedText } from "../types";
import { ExtractionError } from "./ExtractionError";

/** PDF text per page with pdf-parse, so every chunk can cite the page it came from. */
export async function extractPdf(bytes: Buffer): Promise<ExtractedText> {
    if (bytes.subarray(0, 1024).indexOf("%PDF-") < 0) throw new ExtractionError("not a PDF (no %PDF header): the file is corrupt or mislabelled");
    const { PDFParse } = await import("pdf-parse");
    const parser = new PDFParse({ data: new Uint8Array(bytes), verbosity: 0 });
    try {
        const result = await parser.getText({ pageJoiner: "" });
        const pageStarts: number[] = [];
        let text = "";
        for (const page of result.pages) {
            pageStarts.push(text.length);
            text += page.text.trim() + "\n\n";
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
    const message = (error as Error)?.message ?? String(error);
    if (name === "PasswordException" || /password/i.test(message)) return new ExtractionError("encrypted PDF: password required");
    if (name === "InvalidPDFException" || /invalid pdf|invalid xref|bad xref/i.test(message)) {
        return new ExtractionError(`corrupt or truncated PDF: ${message}`);
    }
    return new ExtractionError(`unreadable PDF: ${message}`);
}
