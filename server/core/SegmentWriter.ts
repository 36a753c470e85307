import { countTerms, rankedChunkText, type TermTable } from "./termCounts";
import { DocumentTableWriter } from "./documentTable";
import type { Chunk, DocumentRecord } from "./types";

// A segment is an immutable slice of an index, one binary file (`<id>.seg`): its documents' metadata (a table, see
// documentTable.ts), what search needs — a sorted term dictionary, postings (chunk ids and term frequencies,
// varint/delta coded), per-chunk lengths and locations — and the chunk texts, read only for the hits shown.
//
// .seg layout (little-endian): "LHSEG003", u32 length of a JSON header, the header ({ chunks, terms, sections }),
// then each section at the offset the header names, 8-byte aligned.

export const segmentMagic = "LHSEG003";

/**
 * Per chunk, in the chunk table: start, end, page, line, endLine (0 = none), text offset and bytes. The BM25 lengths
 * are a section of their own: opening a segment reads them (4 bytes a chunk), and a chunk's row only when it is shown.
 */
export const chunkFields = 7;

export type SectionName = "documents" | "chunks" | "lengths" | "termOffsets" | "termCounts" | "terms" | "postings" | "text";

export interface SegmentHeader {
    chunks: number;
    terms: number;
    sections: Record<SectionName, [offset: number, length: number]>;
}

/** A built segment, not yet anywhere: written by the store, or kept in memory when the cache cannot be written. */
export interface SegmentData {
    /** The .seg file's bytes, in order. */
    parts: Uint8Array[];
    bytes: number;
}

/** The text BM25 sees for a chunk: the first chunk also carries the title and file name, for queries that name the document. */
export function rankedText(document: DocumentRecord, chunk: Chunk, position: number): string {
    return rankedChunkText(document.title, document.path, chunk.text, position);
}

function grow(array: Uint32Array, size: number): Uint32Array {
    const grown = new Uint32Array(size);
    grown.set(array);
    return grown;
}

/**
 * Builds a segment one document at a time (so the work is spread over the indexing run, not done in one block) and
 * finish()es it into bytes. Term ids come from the index's TermTable; documents whose terms the extraction worker
 * already counted (ChunkTerms) cost only the posting appends here.
 */
export class SegmentBuilder {
    private readonly encoder = new TextEncoder();
    private table: Uint32Array = new Uint32Array(1024 * chunkFields);
    private lengths: Uint32Array = new Uint32Array(1024);
    /** Each added document's (term id, frequency) pairs and the chunk id of its first chunk; inverted at finish(). */
    private readonly counted: { pairs: Uint32Array; ends: Uint32Array; firstChunk: number }[] = [];
    private readonly texts: Uint8Array[] = [];
    private readonly documents = new DocumentTableWriter();
    private chunks = 0;
    /** UTF-8 bytes of chunk text so far. */
    textBytes = 0;

    constructor(private readonly terms: TermTable) {}

    get documentCount(): number {
        return this.documents.count;
    }

    /** Adds a document; `counted` are its chunks' terms with the TermTable's ids, when the worker counted them. */
    add(document: DocumentRecord, counted?: { pairs: Uint32Array; ends: Uint32Array }): void {
        this.documents.add(document, this.chunks, document.chunks.length);
        const { pairs, ends } = counted ?? countTerms(this.terms, document.chunks.map((chunk, position) => rankedText(document, chunk, position)));
        this.counted.push({ pairs, ends, firstChunk: this.chunks });
        let from = 0;
        document.chunks.forEach((chunk, position) => {
            const id = this.chunks++;
            let length = 0;
            for (let p = from; p < ends[position]; p++) length += pairs[2 * p + 1];
            from = ends[position];
            const text = this.encoder.encode(chunk.text);
            this.texts.push(text);
            if ((id + 1) * chunkFields > this.table.length) this.table = grow(this.table, this.table.length * 2);
            if (id + 1 > this.lengths.length) this.lengths = grow(this.lengths, this.lengths.length * 2);
            const at = id * chunkFields;
            const table = this.table;
            table[at] = chunk.start;
            table[at + 1] = chunk.end;
            table[at + 2] = chunk.page ?? 0;
            table[at + 3] = chunk.line ?? 0;
            table[at + 4] = chunk.endLine ?? 0;
            table[at + 5] = this.textBytes;
            table[at + 6] = text.length;
            this.lengths[id] = length;
            this.textBytes += text.length;
        });
    }

    /**
     * Inverts the (chunk → terms) pairs into postings with a counting sort on term id — sequential passes over flat
     * arrays rather than an append into one growable list per term — then codes each list as varint deltas.
     */
    finish(): SegmentData {
        const termCount = this.terms.terms.length;
        const df = new Uint32Array(termCount + 1);
        let total = 0;
        for (const { pairs } of this.counted) {
            for (let p = 0; p < pairs.length; p += 2) df[pairs[p]]++;
            total += pairs.length / 2;
        }
        const start = new Uint32Array(termCount + 1);
        for (let t = 0, at = 0; t < termCount; t++) {
            start[t] = at;
            at += df[t];
        }
        start[termCount] = total;
        const cursor = start.slice();
        const ids = new Uint32Array(total);
        const tfs = new Uint32Array(total);
        for (const { pairs, ends, firstChunk } of this.counted) {
            let p = 0;
            for (let c = 0; c < ends.length; c++) {
                const chunk = firstChunk + c;
                for (; p < ends[c]; p++) {
                    const at = cursor[pairs[2 * p]]++;
                    ids[at] = chunk;
                    tfs[at] = pairs[2 * p + 1];
                }
            }
        }
        const names = this.terms.terms;
        const present: number[] = [];
        for (let t = 0; t < termCount; t++) if (df[t] > 0) present.push(t);
        present.sort((x, y) => (names[x] < names[y] ? -1 : names[x] > names[y] ? 1 : 0));
        const termOffsets = new Uint32Array(present.length + 1);
        const termCounts = new Uint32Array(present.length);
        // A varint takes at most 5 bytes; two per posting.
        const postings = new Uint8Array(total * 10);
        let length = 0;
        const varint = (value: number) => {
            while (value >= 0x80) {
                postings[length++] = (value & 0x7f) | 0x80;
                value >>>= 7;
            }
            postings[length++] = value;
        };
        present.forEach((term, t) => {
            termOffsets[t] = length;
            termCounts[t] = df[term];
            let previous = 0;
            for (let i = start[term]; i < start[term + 1]; i++) {
                varint(ids[i] - previous);
                varint(tfs[i]);
                previous = ids[i];
            }
        });
        termOffsets[present.length] = length;
        const sections: [SectionName, Uint8Array[]][] = [
            ["documents", [this.documents.encode()]],
            ["chunks", [bytesOf(this.table.subarray(0, this.chunks * chunkFields))]],
            ["lengths", [bytesOf(this.lengths.subarray(0, this.chunks))]],
            ["termOffsets", [bytesOf(termOffsets)]],
            ["termCounts", [bytesOf(termCounts)]],
            // Terms are letter/digit runs, so a newline cannot occur in one.
            ["terms", [this.encoder.encode(present.map((term) => names[term]).join("\n"))]],
            ["postings", [postings.slice(0, length)]],
            ["text", this.texts],
        ];
        return layOut(this.chunks, present.length, sections);
    }
}

function bytesOf(array: Uint32Array): Uint8Array {
    return new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
}

function layOut(chunks: number, terms: number, sections: [SectionName, Uint8Array[]][]): SegmentData {
    const lengths = sections.map(([, parts]) => parts.reduce((sum, part) => sum + part.length, 0));
    // The header's own length depends on the offsets it holds: lay out with a generous fixed header size.
    const headerRoom = 1024;
    const placed = {} as Record<SectionName, [number, number]>;
    let offset = align(segmentMagic.length + 4 + headerRoom);
    sections.forEach(([name], i) => {
        placed[name] = [offset, lengths[i]];
        offset = align(offset + lengths[i]);
    });
    const header = new TextEncoder().encode(JSON.stringify({ chunks, terms, sections: placed } satisfies SegmentHeader));
    if (header.length > headerRoom) throw new Error("segment header too large");
    const prefix = new Uint8Array(align(segmentMagic.length + 4 + headerRoom));
    prefix.set(new TextEncoder().encode(segmentMagic));
    new DataView(prefix.buffer).setUint32(segmentMagic.length, header.length, true);
    prefix.set(header, segmentMagic.length + 4);
    const parts: Uint8Array[] = [prefix];
    let at = prefix.length;
    sections.forEach(([, sectionParts], i) => {
        parts.push(...sectionParts);
        at += lengths[i];
        const padding = align(at) - at;
        if (padding) parts.push(new Uint8Array(padding));
        at += padding;
    });
    return { parts, bytes: at };
}

function align(offset: number): number {
    return Math.ceil(offset / 8) * 8;
}
