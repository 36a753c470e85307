import type { Chunk, ExtractedText } from "./types";

export interface ChunkOptions {
    /** Preferred chunk length in characters. Defaults to 1000. */
    targetChars?: number;
    /** Hard upper bound; a chunk is cut at whitespace (or mid-word) past this. Defaults to 1.5 × target. */
    maxChars?: number;
}

// Formats whose extracted text is the file's own text, so a line number opens the right place.
const lineAddressable = new Set(["text", "markdown", "code", "json", "csv"]);

/**
 * Splits extracted text into chunks at the best boundary near the target length: a blank line,
 * then a sentence end, then whitespace. Chunks never cross a page start, so each cites one page.
 */
export function chunkText(doc: ExtractedText, options: ChunkOptions = {}): Chunk[] {
    const target = options.targetChars ?? 1000;
    const max = options.maxChars ?? Math.floor(target * 1.5);
    const { text } = doc;
    const pageStarts = doc.pageStarts ?? [];
    const withLines = lineAddressable.has(doc.format);
    const chunks: Chunk[] = [];
    let line = 1;
    let lineCountedTo = 0;
    let pageIndex = 0;
    let start = skipWhitespace(text, 0);
    while (start < text.length) {
        while (pageIndex + 1 < pageStarts.length && pageStarts[pageIndex + 1] <= start) pageIndex++;
        const pageEnd = pageIndex + 1 < pageStarts.length ? pageStarts[pageIndex + 1] : text.length;
        const end = findBoundary(text, start, Math.min(pageEnd, start + max), target, doc.format === "markdown");
        const chunkBody = text.slice(start, end).trimEnd();
        if (chunkBody.length > 0) {
            const chunk: Chunk = { start, end: start + chunkBody.length, text: chunkBody };
            if (pageStarts.length) chunk.page = pageIndex + 1;
            if (withLines) {
                line += countNewlines(text, lineCountedTo, start);
                lineCountedTo = start;
                chunk.line = line;
                chunk.endLine = line + countNewlines(text, start, chunk.end);
            }
            chunks.push(chunk);
        }
        start = skipWhitespace(text, end);
    }
    return chunks;
}

function findBoundary(text: string, start: number, limit: number, target: number, markdown: boolean): number {
    if (limit - start <= target) return limit;
    const window = text.slice(start, limit);
    const minimum = Math.floor(target * 0.5);
    let paragraph = window.lastIndexOf("\n\n", target + Math.floor(target * 0.25));
    // A Markdown heading opens the chunk of its section, never ends the one before: that chunk would rank for the
    // section's name with none of its text.
    while (markdown && paragraph >= minimum) {
        const before = window.lastIndexOf("\n\n", paragraph - 1);
        if (before < minimum || !/^#{1,6}\s[^\n]*$/.test(window.slice(before + 2, paragraph))) break;
        paragraph = before;
    }
    if (paragraph >= minimum) return start + paragraph;
    const sentence = lastMatchBefore(window, /[.!?。][)"'’”]?\s/g, target);
    if (sentence >= minimum) return start + sentence;
    const newline = window.lastIndexOf("\n", target);
    if (newline >= minimum) return start + newline;
    const space = window.lastIndexOf(" ", target);
    if (space >= minimum) return start + space;
    return limit;
}

function lastMatchBefore(window: string, pattern: RegExp, before: number): number {
    let best = -1;
    for (const match of window.matchAll(pattern)) {
        const end = match.index + match[0].length;
        if (end > before) break;
        best = end;
    }
    return best;
}

function skipWhitespace(text: string, index: number): number {
    while (index < text.length && /\s/.test(text[index])) index++;
    return index;
}

/** Newlines in text[from, to): looks at those characters only (indexOf would scan to the end of a line-less text). */
function countNewlines(text: string, from: number, to: number): number {
    let count = 0;
    for (let i = from; i < to; i++) if (text.charCodeAt(i) === 10) count++;
    return count;
}
