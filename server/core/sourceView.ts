import type { Chunk } from "./types";

export interface TextPosition {
    line: number;
    character: number;
}

export interface SourceView {
    text: string;
    /** The passage asked for, in `text`; absent when none was asked for or it lies outside what is shown. */
    selection?: { start: TextPosition; end: TextPosition };
}

export interface SourceViewOptions {
    /** One page only (paginated formats). */
    page?: number;
    /** The passage: its offset and length in the document's extracted text, as chunks count them. */
    offset?: number;
    length?: number;
    /** At most this many characters of text, around the passage (a 50 MB text file stays a usable view). Defaults to 2,000,000. */
    maxChars?: number;
}

/**
 * A document's indexed text rebuilt from its chunks, in order — all of it or one page — with the cited passage located
 * in it. Chunks cover the extracted text but the whitespace between them (chunk.ts skips it); a blank line stands for
 * a gap of two characters or more (chunks end at blank lines first), a space for a single one (a cut inside a
 * paragraph, which stays one paragraph).
 */
export function sourceView(chunks: readonly Chunk[], options: SourceViewOptions = {}): SourceView {
    let shown = options.page === undefined ? [...chunks] : chunks.filter((chunk) => chunk.page === options.page);
    const maxChars = options.maxChars ?? 2_000_000;
    const { offset } = options;
    const around = offset === undefined ? 0 : Math.max(0, shown.findIndex((chunk) => offset < chunk.end));
    shown = window(shown, around, maxChars);

    const parts: string[] = [];
    const starts: number[] = [];
    let at = 0;
    shown.forEach((chunk, i) => {
        if (i > 0) {
            const gap = chunk.start - shown[i - 1]!.end;
            const separator = gap >= 2 ? "\n\n" : gap === 1 ? " " : "";
            parts.push(separator);
            at += separator.length;
        }
        starts.push(at);
        parts.push(chunk.text);
        at += chunk.text.length;
    });
    const text = parts.join("");
    if (offset === undefined) return { text };

    /**
     * Where an offset of the extracted text is in `text`: in a chunk, or in the whitespace before one (then at its start);
     * undefined when not shown.
     */
    const place = (target: number, last: boolean): number | undefined => {
        const i = shown.findIndex((chunk) => (last ? target <= chunk.end : target < chunk.end));
        if (i < 0 || (target < shown[i]!.start && i === 0 && shown[0] !== chunks[0])) return undefined;
        return starts[i]! + Math.max(0, Math.min(target - shown[i]!.start, shown[i]!.text.length));
    };
    const start = place(offset, false);
    if (start === undefined) return { text };
    const end = place(offset + Math.max(0, options.length ?? 0), true) ?? start;
    return { text, selection: { start: positionAt(text, start), end: positionAt(text, Math.max(start, end)) } };
}

/** Chunks around index `around` whose texts, with the blank lines between them, fit in `maxChars` (at least one chunk). */
function window(chunks: Chunk[], around: number, maxChars: number): Chunk[] {
    const size = (chunk: Chunk) => chunk.text.length + 2;
    let total = chunks.reduce((sum, chunk) => sum + size(chunk), 0);
    if (total <= maxChars) return chunks;
    let from = around;
    let to = around + 1;
    total = chunks[around] ? size(chunks[around]) : 0;
    // grow on the side with less text so far, so the passage stays near the middle
    let above = 0;
    let below = 0;
    for (;;) {
        const canAbove = from > 0 && total + size(chunks[from - 1]!) <= maxChars;
        const canBelow = to < chunks.length && total + size(chunks[to]!) <= maxChars;
        if (canAbove && (above <= below || !canBelow)) {
            above += size(chunks[--from]!);
            total += size(chunks[from]!);
        } else if (canBelow) {
            below += size(chunks[to]!);
            total += size(chunks[to++]!);
        } else {
            break;
        }
    }
    return chunks.slice(from, to);
}

function positionAt(text: string, index: number): TextPosition {
    let line = 0;
    let lineStart = 0;
    for (let i = text.indexOf("\n"); i >= 0 && i < index; i = text.indexOf("\n", i + 1)) {
        line++;
        lineStart = i + 1;
    }
    return { line, character: index - lineStart };
}
