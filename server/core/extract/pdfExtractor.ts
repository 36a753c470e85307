import type { ExtractedText, OutlineEntry } from "../types";
import { ExtractionError } from "./ExtractionError";
import { boundedOutline, maxHeadingsRead, metadataTitle, outlineEntries, type RawHeading } from "./outline";
import { errorMessage } from "../../../shared/errorMessage";

/** What pdf.js gives for a bookmark (OutlineNode), as far as the outline reads it. */
interface Bookmark {
    title?: unknown;
    dest?: unknown;
    items?: unknown;
}

/** The pdf.js document calls that turn a bookmark's destination into a page. */
interface PdfDestinations {
    getDestination(id: string): Promise<unknown[] | null>;
    getPageIndex(ref: unknown): Promise<number>;
}

/** Resolving bookmarks to pages is a nicety: it stops here rather than delay a file with odd destinations. */
const pageLookupMs = 2_000;

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
        // Metadata and bookmarks are extras: a malformed info dictionary or outline leaves them out, never fails the file.
        const info = await parser.getInfo().catch(() => undefined);
        // pdf.js's own order: the XMP dc:title, then the info dictionary's Title
        const title = metadataTitle(info?.metadata?.get("dc:title")) ?? metadataTitle(info?.info?.Title);
        const outline = await pdfOutline(parser, info?.outline, title, result.pages.length).catch(() => undefined);
        return { format: "pdf", text, pageStarts, ...(title === undefined ? {} : { title }), ...(outline === undefined ? {} : { outline }) };
    } catch (error) {
        throw pdfError(error);
    } finally {
        await parser.destroy().catch(() => undefined);
    }
}

/** The bookmarks' top two levels (bounded, see boundedOutline), each with its page when the destination resolves. */
async function pdfOutline(parser: object, bookmarks: unknown, title: string | undefined, pages: number): Promise<OutlineEntry[] | undefined> {
    const headings: (RawHeading & { dest: unknown })[] = [];
    // Three levels are read so that a single root bookmark (the book's title) can be dropped and two levels remain.
    const walk = (items: unknown, depth: number) => {
        if (!Array.isArray(items) || depth > 3) return;
        for (const item of items as Bookmark[]) {
            if (headings.length >= maxHeadingsRead) return;
            if (typeof item?.title === "string") headings.push({ title: item.title, depth, dest: item.dest });
            walk(item?.items, depth + 1);
        }
    };
    walk(bookmarks, 1);
    const chosen = boundedOutline(headings, title);
    // pdf-parse keeps pdf.js's document behind a private load(); it is only used here, and only when it is there.
    const load = (parser as { load?: () => Promise<PdfDestinations> }).load;
    const document = typeof load === "function" ? await load.call(parser) : undefined;
    const deadline = performance.now() + pageLookupMs;
    const withPages = [];
    for (const heading of chosen) {
        const page = document && performance.now() < deadline ? await destinationPage(document, heading.dest).catch(() => undefined) : undefined;
        withPages.push(page !== undefined && page >= 1 && page <= pages ? { ...heading, page } : heading);
    }
    return outlineEntries(withPages);
}

async function destinationPage(document: PdfDestinations, dest: unknown): Promise<number | undefined> {
    const explicit = typeof dest === "string" ? await document.getDestination(dest) : dest;
    if (!Array.isArray(explicit)) return undefined;
    const target: unknown = explicit[0];
    if (Number.isInteger(target)) return (target as number) + 1;
    if (typeof target !== "object" || target === null) return undefined;
    return (await document.getPageIndex(target)) + 1;
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
