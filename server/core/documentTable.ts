import { documentFormats, outlineOf } from "./indexRecords";
import type { DocumentFormat, DocumentInfo, DocumentRecord, OutlineEntry } from "./types";

// A segment's documents as one binary table (the .seg file's "documents" section), read at every open of the index:
// columns of numbers and one UTF-8 string holding every document's path, hash, format, title and outline. Reading it
// is one decode and a slice per string, where JSON rows cost a parse that allocates every array, number and string
// (100,000 documents: 16 MB of JSON, measured in the README).
//
// Layout (little-endian; the section starts 8-byte aligned):
//   u32 count n, u32 length of the joined string in UTF-16 units
//   f64 size[n], f64 mtimeMs[n]
//   u32 chars[n], u32 pages[n], u32 firstChunk[n], u32 chunkCount[n], u32 stringEnds[5n] (path, hash, format, title, outline)
//   u8 flags[n] (1: has a title, 2: has pages, 4: has an outline)
//   UTF-8 of the joined strings, to the end of the section

const hasTitle = 1;
const hasPages = 2;
const hasOutline = 4;
const stringsPerDocument = 5;

/**
 * A segment's document, as the index holds it in memory: a row of the table whose strings but its path are read from
 * the decoded text when asked for. Slicing every row's hash and format, and parsing its outline, at open was ~30 ms of
 * opening 20,000 notes (medians of 15–21 interleaved runs), for values an unchanged file never needs.
 */
export interface SegmentDocument {
    readonly path: string;
    readonly size: number;
    readonly mtimeMs: number;
    readonly hash: string;
    readonly format: DocumentFormat;
    readonly chars: number;
    readonly chunkCount: number;
    readonly firstChunk: number;
    readonly title?: string;
    readonly pages?: number;
    /** The outline as stored; parsed by documentInfo. */
    readonly outlineJson?: string;
}

/** The document as the rest of LlamaHome sees it: no chunk range, the outline parsed (left out if it does not parse). */
export function documentInfo(document: SegmentDocument): DocumentInfo {
    const { path, size, mtimeMs, hash, format, chars, chunkCount, title, pages, outlineJson } = document;
    const info: DocumentInfo = { path, size, mtimeMs, hash, format, chars, chunkCount };
    if (title !== undefined) info.title = title;
    if (pages !== undefined) info.pages = pages;
    const outline = outlineJson === undefined ? undefined : parsedOutline(outlineJson);
    if (outline) info.outline = outline;
    return info;
}

/** One table's text and the columns its rows read lazily (copied out, so the section's bytes are not kept). */
class TableStrings {
    constructor(
        private readonly text: string,
        private readonly ends: Uint32Array,
        readonly flags: Uint8Array,
        readonly pages: Uint32Array,
    ) {}

    /** String k (0 path, 1 hash, 2 format, 3 title, 4 outline) of a row. */
    string(row: number, k: number): string {
        const at = row * stringsPerDocument + k;
        return this.text.slice(at === 0 ? 0 : this.ends[at - 1], this.ends[at]);
    }
}

class TableRow implements SegmentDocument {
    constructor(
        readonly path: string,
        readonly size: number,
        readonly mtimeMs: number,
        readonly format: DocumentFormat,
        readonly chars: number,
        readonly chunkCount: number,
        readonly firstChunk: number,
        private readonly strings: TableStrings,
        private readonly row: number,
    ) {}

    get hash(): string {
        return this.strings.string(this.row, 1);
    }

    get title(): string | undefined {
        return this.strings.flags[this.row] & hasTitle ? this.strings.string(this.row, 3) : undefined;
    }

    get pages(): number | undefined {
        return this.strings.flags[this.row] & hasPages ? this.strings.pages[this.row] : undefined;
    }

    get outlineJson(): string | undefined {
        return this.strings.flags[this.row] & hasOutline ? this.strings.string(this.row, 4) : undefined;
    }
}

/** The format named by text[from, to), found without making the string; undefined if none is. */
function formatAt(text: string, from: number, to: number): DocumentFormat | undefined {
    for (const format of documentFormats) if (format.length === to - from && text.startsWith(format, from)) return format;
    return undefined;
}

export class DocumentTableError extends Error {}

/** Collects documents in segment order and lays them out as the table. */
export class DocumentTableWriter {
    private readonly numbers: number[][] = [[], [], [], [], [], []];
    private readonly flags: number[] = [];
    private readonly strings: string[] = [];
    private readonly ends: number[] = [];
    private stringLength = 0;

    get count(): number {
        return this.flags.length;
    }

    add(document: Omit<DocumentRecord, "chunks">, firstChunk: number, chunkCount: number): void {
        const [sizes, mtimes, chars, pages, firsts, counts] = this.numbers;
        sizes.push(document.size);
        mtimes.push(document.mtimeMs);
        chars.push(document.chars);
        pages.push(document.pages ?? 0);
        firsts.push(firstChunk);
        counts.push(chunkCount);
        const outline = document.outline?.length ? JSON.stringify(document.outline.map(({ title, level, page }) => (page === undefined ? [title, level] : [title, level, page]))) : "";
        this.flags.push((document.title !== undefined ? hasTitle : 0) | (document.pages !== undefined ? hasPages : 0) | (outline ? hasOutline : 0));
        for (const text of [document.path, document.hash, document.format, document.title ?? "", outline]) {
            this.strings.push(text);
            this.stringLength += text.length;
            this.ends.push(this.stringLength);
        }
    }

    encode(): Uint8Array {
        const n = this.count;
        const text = new TextEncoder().encode(this.strings.join(""));
        const stringsAt = 8 + 53 * n;
        const bytes = new Uint8Array(stringsAt + text.length);
        const view = new DataView(bytes.buffer);
        view.setUint32(0, n, true);
        view.setUint32(4, this.stringLength, true);
        const [sizes, mtimes, chars, pages, firsts, counts] = this.numbers;
        new Float64Array(bytes.buffer, 8, 2 * n).set([...sizes, ...mtimes]);
        const table = new Uint32Array(bytes.buffer, 8 + 16 * n, 9 * n);
        table.set(chars, 0);
        table.set(pages, n);
        table.set(firsts, 2 * n);
        table.set(counts, 3 * n);
        table.set(this.ends, 4 * n);
        bytes.set(this.flags, 8 + 52 * n);
        bytes.set(text, stringsAt);
        return bytes;
    }
}

/**
 * The documents of a table whose segment has `chunks` chunks. A document whose values cannot be right (a chunk range
 * past the segment, an unknown format) is undefined, its path in `damaged`, so that
 * file is read again; a table that is not whole throws.
 */
export function readDocumentTable(bytes: Uint8Array, chunks: number): { documents: (SegmentDocument | undefined)[]; damaged: string[] } {
    if (bytes.length < 8) throw new DocumentTableError("the document table is truncated");
    const aligned = bytes.byteOffset % 8 === 0 ? bytes : bytes.slice();
    const view = new DataView(aligned.buffer, aligned.byteOffset, aligned.byteLength);
    const n = view.getUint32(0, true);
    const stringsAt = 8 + 53 * n;
    if (stringsAt > aligned.length) throw new DocumentTableError("the document table is truncated");
    const text = new TextDecoder().decode(aligned.subarray(stringsAt));
    if (text.length !== view.getUint32(4, true)) throw new DocumentTableError("the document table's text is damaged");
    const numbers = new Float64Array(aligned.buffer, aligned.byteOffset + 8, 2 * n);
    const table = new Uint32Array(aligned.buffer, aligned.byteOffset + 8 + 16 * n, 9 * n);
    const flags = aligned.subarray(8 + 52 * n, stringsAt);
    const documents: (SegmentDocument | undefined)[] = new Array(n);
    const damaged: string[] = [];
    const ends = table.subarray(4 * n);
    if (n > 0) {
        // offsets only grow, and the last is the text's end: then every slice below is in range and in order
        for (let k = 1; k < ends.length; k++) if (ends[k] < ends[k - 1]) throw new DocumentTableError("the document table's string offsets are damaged");
        if (ends[ends.length - 1] !== text.length) throw new DocumentTableError("the document table's string offsets are damaged");
    }
    const strings = new TableStrings(text, ends.slice(), flags.slice(), table.slice(n, 2 * n));
    for (let i = 0, at = 0; i < n; i++, at += stringsPerDocument) {
        const path = text.slice(at === 0 ? 0 : ends[at - 1], ends[at]);
        const format = formatAt(text, ends[at + 1], ends[at + 2]);
        const size = numbers[i];
        const mtimeMs = numbers[n + i];
        const firstChunk = table[2 * n + i];
        const chunkCount = table[3 * n + i];
        const sound = path.length > 0 && Number.isSafeInteger(size) && size >= 0 && Number.isFinite(mtimeMs) && format !== undefined && firstChunk + chunkCount <= chunks && flags[i] < 8;
        if (!sound) {
            documents[i] = undefined;
            damaged.push(path || "?");
            continue;
        }
        documents[i] = new TableRow(path, size, mtimeMs, format, table[i], chunkCount, firstChunk, strings, i);
    }
    return { documents, damaged };
}

function parsedOutline(json: string): OutlineEntry[] | undefined {
    try {
        return outlineOf(JSON.parse(json));
    } catch {
        return undefined;
    }
}
