import type { ExtractedText } from "../types";
import { ExtractionError } from "./ExtractionError";
import { htmlToText } from "./htmlText";
import { extractOffice, packageStructure } from "./officeExtractor";
import { epubSpine } from "./packageMetadata";
import { checkZipPackage } from "./zipPackage";

/** A chapter (one spine document) larger than this is not read; the package's total is capped by checkZipPackage. */
const maxChapterBytes = 16 * 1024 * 1024;

/**
 * An EPUB's text, chapter by chapter in the spine's reading order, each XHTML document read like an HTML file: its
 * paragraphs and list items stay lines, and inline elements (links, emphasis, code) stay inside their sentence —
 * officeparser broke the text at every inline element ("lists. debian. org"). A package without a readable spine
 * falls back to officeparser.
 */
export async function extractEpub(bytes: Buffer): Promise<ExtractedText> {
    const zip = checkZipPackage(bytes, "EPUB");
    const spine = epubSpine(zip);
    if (!spine?.length) return extractOffice(bytes, "epub");
    const chapters: string[] = [];
    for (const part of spine) {
        const xhtml = zip.text(part, maxChapterBytes);
        const text = xhtml === undefined ? "" : htmlToText(xhtml).text;
        if (text) chapters.push(text);
    }
    if (chapters.length === 0) return extractOffice(bytes, "epub");
    const text = chapters.join("\n\n");
    if (!text.trim()) throw new ExtractionError("no text in EPUB");
    return { format: "epub", text, ...packageStructure(zip, "epub") };
}
