import * as fs from "node:fs";
import * as path from "node:path";
import { DocumentTableError, readDocumentTable, type SegmentDocument } from "./documentTable";
import { chunkFields, segmentMagic, type SectionName, type SegmentData, type SegmentHeader } from "./SegmentWriter";
import type { Chunk } from "./types";

export type { SegmentDocument } from "./documentTable";

/** The chunks of one segment that contain a term, and how often: `count` varint pairs (chunk id delta, frequency). */
export interface EncodedPostings {
    bytes: Uint8Array;
    count: number;
}

export class SegmentFormatError extends Error {}

const decoder = new TextDecoder();

/**
 * An open, immutable segment (see SegmentWriter for the layout). Opening reads the document rows and the chunks' BM25
 * lengths; the term dictionary is read on the first search, postings and a chunk's row and text on each use (reading
 * the whole chunk table at open was ~25 ms of opening 20,000 notes, for the ten rows a search shows). Deleting a document
 * only marks its chunks dead here; the store records it as a tombstone until a merge rewrites the segment.
 */
export class Segment {
    readonly documents: (SegmentDocument | undefined)[];
    /** 1 for a chunk search may return, per local chunk id. */
    readonly live: Uint8Array;
    /** Document index of each chunk (-1: none, its row was damaged). */
    readonly chunkDocument: Int32Array;
    liveChunks = 0;
    /** Sum of the BM25 lengths of the live chunks. */
    liveLength = 0;
    /** Document indexes deleted since the segment was written. */
    readonly deleted = new Set<number>();
    /** Paths of rows that were not what the writer writes: left out, so those files are read again. */
    readonly damaged: string[];
    private dictionary?: TermDictionary;
    private readonly header: SegmentHeader;
    /** BM25 length of each chunk. */
    private readonly lengths: Uint32Array;
    /** Reused between searches: BM25 scores by local chunk id. */
    scratch?: Float64Array;
    private norms?: { averageLength: number; values: Float64Array };
    private denseSearches = 0;

    private constructor(
        readonly id: string,
        private readonly read: (offset: number, length: number) => Uint8Array,
        private readonly onClose: () => void,
        readonly bytes: number,
    ) {
        const magic = decoder.decode(read(0, segmentMagic.length + 4).subarray(0, segmentMagic.length));
        if (magic !== segmentMagic) throw new SegmentFormatError(`segment ${id} is not a LlamaHome segment`);
        const headerLength = new DataView(read(segmentMagic.length, 4).slice().buffer).getUint32(0, true);
        this.header = parseHeader(decoder.decode(read(segmentMagic.length + 4, headerLength)), bytes, id);
        const chunks = this.header.chunks;
        if (this.header.sections.chunks[1] !== chunks * chunkFields * 4) throw new SegmentFormatError(`segment ${id}: chunk table size`);
        this.lengths = uint32View(this.section("lengths"), id);
        if (this.lengths.length !== chunks) throw new SegmentFormatError(`segment ${id}: chunk lengths size`);
        this.live = new Uint8Array(chunks);
        this.chunkDocument = new Int32Array(chunks).fill(-1);
        let table;
        try {
            table = readDocumentTable(this.section("documents"), chunks);
        } catch (error) {
            if (error instanceof DocumentTableError) throw new SegmentFormatError(`segment ${id}: ${error.message}`);
            throw error;
        }
        this.documents = table.documents;
        this.damaged = table.damaged;
        // The writer lays documents' chunks out one after another: a range that overlaps the one before cannot be right.
        const lengths = this.lengths;
        let liveLength = 0;
        let liveChunks = 0;
        let end = 0;
        for (let doc = 0; doc < this.documents.length; doc++) {
            const document = this.documents[doc];
            if (!document) continue;
            const first = document.firstChunk;
            if (first < end) {
                this.damaged.push(document.path);
                this.documents[doc] = undefined;
                continue;
            }
            end = first + document.chunkCount;
            this.chunkDocument.fill(doc, first, end);
            this.live.fill(1, first, end);
            liveChunks += document.chunkCount;
            for (let c = first; c < end; c++) liveLength += lengths[c];
        }
        this.liveChunks = liveChunks;
        this.liveLength = liveLength;
    }

    /** Opens `<id>.seg` in `directory`. The file stays open until close(). */
    static open(directory: string, id: string): Segment {
        const fd = fs.openSync(path.join(directory, `${id}.seg`), "r");
        try {
            const bytes = fs.fstatSync(fd).size;
            const read = (offset: number, length: number) => {
                if (offset + length > bytes) throw new SegmentFormatError(`segment ${id} is truncated`);
                const buffer = new Uint8Array(length);
                let done = 0;
                while (done < length) {
                    const n = fs.readSync(fd, buffer, done, length - done, offset + done);
                    if (n === 0) throw new SegmentFormatError(`segment ${id} is truncated`);
                    done += n;
                }
                return buffer;
            };
            return new Segment(id, read, () => fs.closeSync(fd), bytes);
        } catch (error) {
            fs.closeSync(fd);
            throw error;
        }
    }

    /** A segment that lives only in memory (the cache directory could not be written). */
    static fromMemory(id: string, data: SegmentData): Segment {
        const bytes = new Uint8Array(data.bytes);
        let at = 0;
        for (const part of data.parts) {
            bytes.set(part, at);
            at += part.length;
        }
        return new Segment(id, (offset, length) => bytes.subarray(offset, offset + length), () => undefined, data.bytes);
    }

    get chunkCount(): number {
        return this.header.chunks;
    }

    /** Documents still live, with their indexes. */
    *liveDocuments(): Generator<[number, SegmentDocument]> {
        for (let doc = 0; doc < this.documents.length; doc++) {
            const document = this.documents[doc];
            if (document && !this.deleted.has(doc)) yield [doc, document];
        }
    }

    deleteDocument(doc: number): void {
        const document = this.documents[doc];
        if (!document || this.deleted.has(doc)) return;
        this.deleted.add(doc);
        for (let c = document.firstChunk; c < document.firstChunk + document.chunkCount; c++) {
            this.live[c] = 0;
            this.liveChunks--;
            this.liveLength -= this.lengths[c];
        }
    }

    /** BM25's length normalisation of one chunk, as lengthNorms has it. */
    lengthNorm(local: number, k1: number, b: number, averageLength: number): number {
        return k1 * (1 - b + (b * this.lengths[local]) / averageLength);
    }

    /**
     * BM25's length normalisation k1·(1 − b + b·length/average) per chunk, kept while the average stays the same; made
     * only when a segment is searched densely a second time (undefined the first time: the caller computes the norms
     * of the chunks it scores), so a one-query process never fills an array per chunk (~7 ms at 20,000 notes).
     */
    lengthNorms(k1: number, b: number, averageLength: number): Float64Array | undefined {
        if (this.norms?.averageLength === averageLength) return this.norms.values;
        if (++this.denseSearches < 2) return undefined;
        const values = new Float64Array(this.header.chunks);
        for (let c = 0; c < values.length; c++) values[c] = this.lengthNorm(c, k1, b, averageLength);
        this.norms = { averageLength, values };
        return values;
    }

    /** A term's postings as stored: varint pairs (chunk id delta, frequency), `count` of them; decoded by the caller. */
    encodedPostings(term: string): EncodedPostings | undefined {
        const dictionary = (this.dictionary ??= this.readDictionary());
        const t = dictionary.find(term);
        if (t < 0) return undefined;
        const start = dictionary.offsets[t];
        return { bytes: this.read(this.header.sections.postings[0] + start, dictionary.offsets[t + 1] - start), count: dictionary.counts[t] };
    }

    chunk(local: number): Chunk {
        return this.chunkAt(this.rows(local, local + 1), 0);
    }

    /**
     * The chunks either side of the document's chunk that starts at `start`: its rows are read once and searched here
     * (a binary search reading one row per probe made a read call each).
     */
    adjacentChunks(document: SegmentDocument, start: number): { before?: Chunk; after?: Chunk } {
        if (document.chunkCount === 0) return {};
        const rows = this.rows(document.firstChunk, document.firstChunk + document.chunkCount);
        let low = 0;
        let high = document.chunkCount - 1;
        while (low <= high) {
            const mid = (low + high) >> 1;
            const at = rows[mid * chunkFields];
            if (at === start) {
                return {
                    ...(mid > 0 ? { before: this.chunkAt(rows, mid - 1) } : {}),
                    ...(mid < document.chunkCount - 1 ? { after: this.chunkAt(rows, mid + 1) } : {}),
                };
            }
            if (at < start) low = mid + 1;
            else high = mid - 1;
        }
        return {};
    }

    /** A document's chunks with their texts, read in one go. */
    documentChunks(document: SegmentDocument): Chunk[] {
        if (document.chunkCount === 0) return [];
        const rows = this.rows(document.firstChunk, document.firstChunk + document.chunkCount);
        const base = rows[5];
        const last = rows.length - chunkFields;
        const bytes = this.read(this.header.sections.text[0] + base, rows[last + 5] + rows[last + 6] - base);
        const chunks: Chunk[] = [];
        for (let at = 0; at < rows.length; at += chunkFields) {
            // the writer stores a document's chunk texts one after another
            if (at > 0 && rows[at + 5] !== rows[at - chunkFields + 5] + rows[at - chunkFields + 6]) throw this.damagedRows();
            const offset = rows[at + 5] - base;
            chunks.push(chunkOf(rows, at, decoder.decode(bytes.subarray(offset, offset + rows[at + 6]))));
        }
        return chunks;
    }

    close(): void {
        this.onClose();
    }

    /** The chunk table's rows [first, end), checked: each chunk's span in order, its text inside the text section. */
    private rows(first: number, end: number): Uint32Array {
        if (first < 0 || end > this.header.chunks || first >= end) throw new RangeError(`segment ${this.id} has no chunks ${first}–${end}`);
        const rows = uint32View(this.read(this.header.sections.chunks[0] + first * chunkFields * 4, (end - first) * chunkFields * 4), this.id);
        const textLength = this.header.sections.text[1];
        for (let at = 0; at < rows.length; at += chunkFields) {
            if (rows[at] > rows[at + 1] || rows[at + 5] + rows[at + 6] > textLength) throw this.damagedRows();
        }
        return rows;
    }

    /** The chunk of row `index` of `rows` (read by rows()), with its text. */
    private chunkAt(rows: Uint32Array, index: number): Chunk {
        const at = index * chunkFields;
        return chunkOf(rows, at, decoder.decode(this.read(this.header.sections.text[0] + rows[at + 5], rows[at + 6])));
    }

    private damagedRows(): SegmentFormatError {
        return new SegmentFormatError(`segment ${this.id}: the chunk table is damaged`);
    }

    private section(name: SectionName): Uint8Array {
        const [offset, length] = this.header.sections[name];
        return this.read(offset, length);
    }

    private readDictionary(): TermDictionary {
        const dictionary = new TermDictionary(this.section("terms"), uint32View(this.section("termOffsets"), this.id), uint32View(this.section("termCounts"), this.id), this.header.terms);
        const terms = this.header.terms;
        if (dictionary.size !== terms || dictionary.offsets.length !== terms + 1 || dictionary.counts.length !== terms) {
            throw new SegmentFormatError(`segment ${this.id}: term dictionary is damaged`);
        }
        return dictionary;
    }
}

function chunkOf(rows: Uint32Array, at: number, text: string): Chunk {
    return {
        start: rows[at], end: rows[at + 1], text,
        ...(rows[at + 2] ? { page: rows[at + 2] } : {}),
        ...(rows[at + 3] ? { line: rows[at + 3] } : {}),
        ...(rows[at + 4] ? { endLine: rows[at + 4] } : {}),
    };
}

/**
 * Little-endian u32s over bytes just read, without the copy that `.slice()` made: the chunk tables are 18 MB at 100,000
 * notes, and on this project's VM every freshly touched page is a costly fault (reading them: 263 → 115 ms, 8,000 →
 * 3,900 faults). Copied only when the bytes do not start on a 4-byte boundary (a subarray of an in-memory segment).
 */
function uint32View(bytes: Uint8Array, id: string): Uint32Array {
    if (bytes.length % 4 !== 0) throw new SegmentFormatError(`segment ${id}: a table is not whole 32-bit entries`);
    if (bytes.byteOffset % 4 === 0) return new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.length >> 2);
    return new Uint32Array(bytes.slice().buffer);
}

/**
 * A segment's sorted terms, one per line, searched as the UTF-8 bytes they are stored as: decoding and splitting every
 * term of both segments was ~9 ms of a cold search of 20,000 notes, for the one or two terms a query looks up.
 */
class TermDictionary {
    /** The terms with a newline before and after, so every term is found as "\n" + term + "\n". */
    private readonly lines: Buffer;
    /** Where each line's leading newline is in `lines`: term t is the one after newline t. */
    private readonly newlines: Uint32Array;
    readonly size: number;

    constructor(
        terms: Uint8Array,
        readonly offsets: Uint32Array,
        readonly counts: Uint32Array,
        expected: number,
    ) {
        this.lines = Buffer.allocUnsafe(terms.length + 2);
        this.lines[0] = 10;
        this.lines.set(terms, 1);
        this.lines[terms.length + 1] = 10;
        // one pass, into an array sized by the header: cold, this loop runs mostly before the JIT has compiled it
        this.newlines = new Uint32Array(expected + 1);
        let count = 0;
        for (let i = 0; i < this.lines.length; i++) {
            if (this.lines[i] !== 10) continue;
            if (count > expected) {
                count++;
                break;
            }
            this.newlines[count++] = i;
        }
        // "\n\n" for no terms at all; otherwise one newline per term and the closing one
        this.size = terms.length === 0 ? 0 : count - 1;
    }

    /** The term's index, or -1. */
    find(term: string): number {
        if (this.size === 0 || term.length === 0 || term.includes("\n")) return -1;
        const at = this.lines.indexOf(`\n${term}\n`, 0, "utf8");
        if (at < 0) return -1;
        let low = 0;
        let high = this.newlines.length - 1;
        while (low < high) {
            const mid = (low + high) >> 1;
            if (this.newlines[mid] < at) low = mid + 1;
            else high = mid;
        }
        return low;
    }
}

function parseHeader(json: string, bytes: number, id: string): SegmentHeader {
    const header = JSON.parse(json) as SegmentHeader;
    const names: SectionName[] = ["documents", "chunks", "lengths", "termOffsets", "termCounts", "terms", "postings", "text"];
    const sound =
        typeof header === "object" && header !== null && isCount(header.chunks) && isCount(header.terms) &&
        names.every((name) => {
            const section = header.sections?.[name];
            return Array.isArray(section) && isCount(section[0]) && isCount(section[1]) && section[0] % 8 === 0 && section[0] + section[1] <= bytes;
        });
    if (!sound) throw new SegmentFormatError(`segment ${id}: header is damaged`);
    return header;
}

const isCount = (value: unknown): value is number => typeof value === "number" && Number.isInteger(value) && value >= 0;

