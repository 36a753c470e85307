import { createHash } from "node:crypto";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import type { Segment } from "./Segment";
import { VectorArena } from "./vectorKernel";

/** The embedding model the vectors came from: another id (other weights) makes every stored vector stale. */
export interface VectorModel {
    readonly id: string;
    readonly dimension: number;
}

/** A chunk found by its vector, before its text is read. */
export interface NearChunk {
    segment: Segment;
    chunk: number;
    /** Cosine similarity to the query (vectors are unit length). */
    similarity: number;
}

const magic = "LLHVEC01";
const fileName = "vectors.bin";
const hashBytes = 16;
/** A chunk with no vector yet. */
const none = -1;

/**
 * The embedding of every chunk of an index, kept beside its segments (vectors.bin) and keyed by the hash of the text
 * that was embedded: a chunk that did not change is never embedded again, even when a merge moves it to another
 * segment or its file is renamed. Each segment has an address table (chunk → vector record), so a search needs no
 * chunk text and no hashing. The file is rewritten whole (temporary file, renamed), with only the vectors live
 * segments use; it holds one model's vectors, and vectors of another model are dropped on load.
 */
export class ChunkVectors {
    /** Record → its text's hash, hashBytes each. */
    private hashes: Buffer;
    /**
     * Hash → record, made when first needed (embedding needs it, search does not): keyed by the hash's first 32 bits,
     * the rest compared in `hashes`. Building 57,000 hex-string keys took a second at every load.
     */
    private lookup?: Map<number, number | number[]>;
    private readonly addresses = new Map<string, Int32Array>();
    /** The vectors, record after record, in WebAssembly memory (see vectorKernel.ts). */
    private readonly arena: VectorArena;
    private count = 0;
    /** Set when something changed since the file was written. */
    private dirty = false;

    private constructor(
        private readonly directory: string | undefined,
        readonly model: VectorModel,
    ) {
        this.arena = new VectorArena(model.dimension);
        this.hashes = Buffer.alloc(64 * hashBytes);
    }

    /**
     * The vectors saved in `directory` for `model`; none when there are none, when they are another model's, or when
     * the file is damaged (said through `log`). Without a directory they live in memory only.
     */
    static async load(directory: string | undefined, model: VectorModel, log?: (message: string) => void): Promise<ChunkVectors> {
        const store = new ChunkVectors(directory, model);
        if (!directory) return store;
        const handle = await fs.open(path.join(directory, fileName), "r").catch(() => undefined);
        if (!handle) return store;
        try {
            const dropped = await store.read(handle);
            if (dropped) log?.(`The saved chunk vectors were made by another embedding model (${dropped}); every chunk is embedded again with ${model.id}.`);
        } catch (error) {
            store.lookup = undefined;
            store.addresses.clear();
            store.count = 0;
            log?.(`The saved chunk vectors in ${directory} could not be read (${(error as Error).message}); every chunk is embedded again.`);
        } finally {
            await handle.close();
        }
        return store;
    }

    /** The hash a chunk's embedded text is kept under (the first 128 bits of its SHA-256). */
    static hashOf(text: string): Buffer {
        return createHash("sha256").update(text).digest().subarray(0, hashBytes);
    }

    /** How many stored vectors there are (live or not). */
    get size(): number {
        return this.count;
    }

    /** The segment's chunk → record table, made (all "none") on first use. */
    addressesOf(segment: Segment): Int32Array {
        let table = this.addresses.get(segment.id);
        if (!table || table.length !== segment.chunkCount) {
            table = new Int32Array(segment.chunkCount).fill(none);
            this.addresses.set(segment.id, table);
        }
        return table;
    }

    /** The record already holding the vector of this text, if any. */
    recordOf(hash: Buffer): number | undefined {
        const found = this.lookupTable().get(hash.readUInt32LE(0));
        if (found === undefined) return undefined;
        for (const record of typeof found === "number" ? [found] : found) {
            if (this.hashes.compare(hash, 0, hashBytes, record * hashBytes, (record + 1) * hashBytes) === 0) return record;
        }
        return undefined;
    }

    /** Stores a (unit-length) vector for a text hash and returns its record. */
    add(hash: Buffer, vector: Float32Array): number {
        if (vector.length !== this.model.dimension) {
            throw new RangeError(`the embedding model returned ${vector.length} numbers, not ${this.model.dimension}`);
        }
        const known = this.recordOf(hash);
        if (known !== undefined) return known;
        const dimension = this.model.dimension;
        this.arena.reserve(this.count + 1);
        if ((this.count + 1) * hashBytes > this.hashes.length) {
            const grown = Buffer.alloc(Math.max(this.hashes.length * 2, (this.count + 1) * hashBytes));
            this.hashes.copy(grown, 0, 0, this.count * hashBytes);
            this.hashes = grown;
        }
        this.arena.vectors.set(vector, this.count * dimension);
        hash.copy(this.hashes, this.count * hashBytes, 0, hashBytes);
        this.remember(this.count);
        this.dirty = true;
        return this.count++;
    }

    private lookupTable(): Map<number, number | number[]> {
        if (!this.lookup) {
            this.lookup = new Map();
            for (let record = 0; record < this.count; record++) this.remember(record);
        }
        return this.lookup;
    }

    private remember(record: number): void {
        const table = this.lookupTable();
        const key = this.hashes.readUInt32LE(record * hashBytes);
        const known = table.get(key);
        table.set(key, known === undefined ? record : typeof known === "number" ? [known, record] : [...known, record]);
    }

    /** Marks a change to an address table (made through addressesOf), so save() writes it. */
    touch(): void {
        this.dirty = true;
    }

    /** Live chunks of `segments` that have a vector, and live chunks in all. */
    coverage(segments: readonly Segment[]): { embedded: number; live: number } {
        let embedded = 0;
        let live = 0;
        for (const segment of segments) {
            const table = this.addresses.get(segment.id);
            const alive = segment.live;
            for (let c = 0; c < alive.length; c++) {
                if (!alive[c]) continue;
                live++;
                if (table && table.length === alive.length && table[c] !== none) embedded++;
            }
        }
        return { embedded, live };
    }

    /**
     * The `k` live chunks of `segments` whose vectors are nearest the (unit-length) query, by cosine similarity, best
     * first. Brute force over typed arrays: 10,000 documents are ~50,000 dot products (measured in the README).
     */
    nearest(query: Float32Array, segments: readonly Segment[], k: number): NearChunk[] {
        const dimension = this.model.dimension;
        if (query.length !== dimension || k <= 0) return [];
        // every record's similarity at once (dead records too: few, and dropped at the next save)
        const scores = this.arena.scores(query, this.count);
        const best: NearChunk[] = [];
        let floor = -Infinity;
        for (const segment of segments) {
            const table = this.addresses.get(segment.id);
            if (!table || table.length !== segment.chunkCount) continue;
            const live = segment.live;
            for (let c = 0; c < table.length; c++) {
                const record = table[c];
                if (record === none || !live[c]) continue;
                const dot = scores[record];
                if (best.length === k && dot <= floor) continue;
                let at = best.length;
                if (at === k) best.pop();
                at = best.length;
                while (at > 0 && best[at - 1].similarity < dot) at--;
                best.splice(at, 0, { segment, chunk: c, similarity: dot });
                if (best.length === k) floor = best[k - 1].similarity;
            }
        }
        return best;
    }

    /**
     * Writes the vectors `segments` use (and their address tables) if anything changed, dropping the rest; in memory
     * only without a directory. Atomic: a kill leaves the previous file.
     */
    async save(segments: readonly Segment[]): Promise<void> {
        if (!this.dirty) return;
        this.compact(segments);
        this.dirty = false;
        if (!this.directory) return;
        const dimension = this.model.dimension;
        const tables = segments.map((segment) => ({ id: segment.id, table: this.addressesOf(segment) }));
        const header = Buffer.from(JSON.stringify({ model: this.model.id, dimension, records: this.count, segments: tables.map(({ id, table }) => ({ id, chunks: table.length })) }));
        // The vectors start on a 4-byte boundary, so loading can view them as floats.
        const headerLength = Math.ceil((magic.length + 4 + header.length) / 4) * 4 - magic.length - 4;
        const start = Buffer.alloc(magic.length + 4 + headerLength, 0x20);
        start.write(magic, 0, "latin1");
        start.writeUInt32LE(headerLength, magic.length);
        header.copy(start, magic.length + 4);
        const hashPart = this.hashes.subarray(0, this.count * hashBytes);
        const vectorPart = Buffer.from(this.arena.vectors.buffer, this.arena.vectors.byteOffset, this.count * dimension * 4);
        const tableParts = tables.map(({ table }) => Buffer.from(table.buffer, table.byteOffset, table.byteLength));
        await fs.mkdir(this.directory, { recursive: true });
        const file = path.join(this.directory, fileName);
        const temporary = `${file}.${process.pid}.${Date.now()}.tmp`;
        const handle = await fs.open(temporary, "w");
        try {
            for (const part of [start, vectorPart, hashPart, ...tableParts]) await handle.write(part);
            await handle.sync();
        } finally {
            await handle.close();
        }
        await fs.rename(temporary, file);
    }

    /** Keeps only the records live chunks point at, renumbered in order, and the tables of live segments. */
    private compact(segments: readonly Segment[]): void {
        const dimension = this.model.dimension;
        const keep = new Int32Array(this.count).fill(none);
        const liveIds = new Set(segments.map((segment) => segment.id));
        for (const id of [...this.addresses.keys()]) if (!liveIds.has(id)) this.addresses.delete(id);
        // a deleted document's chunks stay in their segment until it is merged: their vectors go now
        for (const segment of segments) {
            const table = this.addresses.get(segment.id);
            if (!table) continue;
            for (let c = 0; c < table.length; c++) if (!segment.live[c]) table[c] = none;
        }
        let kept = 0;
        for (const table of this.addresses.values()) {
            for (const record of table) if (record !== none && keep[record] === none) keep[record] = kept++;
        }
        if (kept === this.count && keep.every((to, from) => to === from)) return;
        // records move to places others may still hold: from a copy
        const vectors = this.arena.vectors;
        const before = vectors.slice(0, this.count * dimension);
        const hashes = Buffer.alloc(Math.max(kept, 64) * hashBytes);
        for (let record = 0; record < this.count; record++) {
            const to = keep[record];
            if (to === none) continue;
            vectors.set(before.subarray(record * dimension, (record + 1) * dimension), to * dimension);
            this.hashes.copy(hashes, to * hashBytes, record * hashBytes, (record + 1) * hashBytes);
        }
        this.lookup = undefined;
        this.hashes = hashes;
        for (const table of this.addresses.values()) {
            for (let c = 0; c < table.length; c++) if (table[c] !== none) table[c] = keep[table[c]];
        }
        this.count = kept;
    }

    /**
     * Loads a saved file; returns the other model's id when the file is another model's (and loads nothing). The
     * vectors are read straight into the arena's memory: reading the file whole and copying them there touched twice
     * the memory (84 MB of vectors: loading took 644 ms instead of ~300).
     */
    private async read(handle: fs.FileHandle): Promise<string | undefined> {
        const size = (await handle.stat()).size;
        const readInto = async (target: Uint8Array, position: number) => {
            for (let done = 0; done < target.length; ) {
                const { bytesRead } = await handle.read(target, done, target.length - done, position + done);
                if (bytesRead === 0) throw new Error("truncated file");
                done += bytesRead;
            }
            return target;
        };
        const start = magic.length + 4;
        if (size < start) throw new Error("not a vectors file");
        const prefix = Buffer.from(await readInto(new Uint8Array(start), 0));
        if (prefix.toString("latin1", 0, magic.length) !== magic) throw new Error("not a vectors file");
        const headerLength = prefix.readUInt32LE(magic.length);
        const headerEnd = start + headerLength;
        if (headerEnd > size) throw new Error("truncated header");
        const header = JSON.parse(Buffer.from(await readInto(new Uint8Array(headerLength), start)).toString("utf8")) as { model: unknown; dimension: unknown; records: unknown; segments: unknown };
        if (header.model !== this.model.id || header.dimension !== this.model.dimension) return String(header.model);
        const records = header.records;
        const segments = header.segments;
        if (!Number.isInteger(records) || (records as number) < 0 || !Array.isArray(segments)) throw new Error("bad header");
        const dimension = this.model.dimension;
        const count = records as number;
        const vectorBytes = count * dimension * 4;
        const hashEnd = headerEnd + vectorBytes + count * hashBytes;
        if (hashEnd > size) throw new Error("truncated vectors");
        // the hashes and the address tables, after the vectors
        const rest = Buffer.from(await readInto(new Uint8Array(size - headerEnd - vectorBytes), headerEnd + vectorBytes));
        const hashes = rest.subarray(0, count * hashBytes);
        let at = count * hashBytes;
        const tables = new Map<string, Int32Array>();
        for (const entry of segments as { id: unknown; chunks: unknown }[]) {
            if (typeof entry?.id !== "string" || !Number.isInteger(entry.chunks) || (entry.chunks as number) < 0) throw new Error("bad segment entry");
            const length = (entry.chunks as number) * 4;
            if (at + length > rest.length) throw new Error("truncated address table");
            const table = new Int32Array(rest.buffer.slice(rest.byteOffset + at, rest.byteOffset + at + length));
            if (table.some((record) => record < none || record >= count)) throw new Error("address out of range");
            tables.set(entry.id, table);
            at += length;
        }
        if (at !== rest.length) throw new Error("trailing bytes");
        this.arena.reserve(count);
        await readInto(new Uint8Array(this.arena.vectors.buffer, 0, vectorBytes), headerEnd);
        for (const [id, table] of tables) this.addresses.set(id, table);
        this.hashes = hashes;
        this.count = count;
        return undefined;
    }
}

/** The file the vectors of an index are kept in, for tests and the README. */
export const chunkVectorsFile = fileName;
