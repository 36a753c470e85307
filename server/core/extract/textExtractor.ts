import { looksLikeText } from "../formats";
import type { DocumentFormat, ExtractedText } from "../types";
import { ExtractionError } from "./ExtractionError";
import { boundedOutline, markdownHeadings, outlineEntries } from "./outline";

/** Plain text, Markdown, code, JSON and CSV: decoded as they are, so offsets map to lines in the file. */
export function extractText(bytes: Buffer, format: DocumentFormat): ExtractedText {
    if (!looksLikeText(bytes.subarray(0, 8192))) throw new ExtractionError("binary content, not text", "skipped");
    const text = decodeText(bytes);
    if (format !== "markdown") return { format, text };
    const title = markdownTitle(text);
    const outline = outlineEntries(boundedOutline(markdownHeadings(text), title));
    return { format, text, ...(title === undefined ? {} : { title }), ...(outline ? { outline } : {}) };
}

export function decodeText(bytes: Buffer): string {
    if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder("utf-16le").decode(bytes.subarray(2));
    if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder("utf-16be").decode(bytes.subarray(2));
    const text = bytes.toString("utf8");
    return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

function markdownTitle(text: string): string | undefined {
    return /^#\s+(.+)$/m.exec(text)?.[1]?.trim();
}
