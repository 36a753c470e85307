// Chunk vectors live in WebAssembly memory so that a query's dot products with all of them run as 128-bit SIMD
// (four floats an instruction, four sums in flight): brute force over 57,000 × 384 floats is the cost of every hybrid
// search (measured in the README). The module is a dozen instructions, assembled here rather than shipped as a binary.
// Where WebAssembly SIMD is missing (WebAssembly itself is not), or the width is not a multiple of four, the same sums
// run in JavaScript over the same memory.

const pageBytes = 65536;

// The part of the WebAssembly API used here (this project's TypeScript libraries do not declare it).
interface WasmMemory {
    readonly buffer: ArrayBuffer;
    grow(pages: number): number;
}
interface WasmModule {
    readonly kind?: "module";
}
interface WasmApi {
    validate(bytes: Uint8Array): boolean;
    Module: new (bytes: Uint8Array) => WasmModule;
    Instance: new (module: WasmModule, imports: object) => { exports: Record<string, unknown> };
    Memory: new (descriptor: { initial: number }) => WasmMemory;
}
const wasm = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

/** dots(query, vectors, rows, dimension, out): out[r] = Σ query[i] · vectors[r·dimension + i], byte addresses. */
function kernelModule(): Uint8Array {
    const [q, v, rows, dim, out, rowBytes, i, acc0, acc1, acc2, acc3] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    const get = (local: number) => [0x20, local];
    const set = (local: number) => [0x21, local];
    const i32 = (value: number) => [0x41, ...signedLeb(value)];
    const simd = (op: number, ...immediates: number[]) => [0xfd, ...unsignedLeb(op), ...immediates];
    const load = (base: number, offset: number) => [...get(base), ...get(i), 0x6a, ...simd(0x00, 2, ...unsignedLeb(offset))];
    // acc += load(q + i + offset) * load(v + i + offset)
    const step = (acc: number, offset: number) => [...get(acc), ...load(q, offset), ...load(v, offset), ...simd(0xe6), ...simd(0xe4), ...set(acc)];
    const zero = simd(0x0c, ...new Array(16).fill(0));
    const lane = (n: number) => [...get(acc0), ...simd(0x1f, n)];
    const body = [
        ...get(dim), ...i32(2), 0x74, ...set(rowBytes),
        0x02, 0x40, // block: the rows are done
        0x03, 0x40, // loop over rows
        ...get(rows), 0x45, 0x0d, 1, // no rows left: out
        ...zero, ...set(acc0), ...zero, ...set(acc1), ...zero, ...set(acc2), ...zero, ...set(acc3),
        ...i32(0), ...set(i),
        0x02, 0x40, 0x03, 0x40, // sixteen floats a turn, four sums
        ...get(i), ...i32(64), 0x6a, ...get(rowBytes), 0x4b, 0x0d, 1,
        ...step(acc0, 0), ...step(acc1, 16), ...step(acc2, 32), ...step(acc3, 48),
        ...get(i), ...i32(64), 0x6a, ...set(i), 0x0c, 0,
        0x0b, 0x0b,
        0x02, 0x40, 0x03, 0x40, // then four at a time
        ...get(i), ...i32(16), 0x6a, ...get(rowBytes), 0x4b, 0x0d, 1,
        ...step(acc0, 0),
        ...get(i), ...i32(16), 0x6a, ...set(i), 0x0c, 0,
        0x0b, 0x0b,
        ...get(acc0), ...get(acc1), ...simd(0xe4), ...get(acc2), ...get(acc3), ...simd(0xe4), ...simd(0xe4), ...set(acc0),
        ...get(out), ...lane(0), ...lane(1), 0x92, ...lane(2), ...lane(3), 0x92, 0x92, 0x38, 2, 0,
        ...get(out), ...i32(4), 0x6a, ...set(out),
        ...get(v), ...get(rowBytes), 0x6a, ...set(v),
        ...get(rows), ...i32(1), 0x6b, ...set(rows),
        0x0c, 0, // next row
        0x0b, 0x0b,
        0x0b,
    ];
    const locals = [2, 2, 0x7f, 4, 0x7b]; // two i32 (rowBytes, i), four v128
    const code = [...locals, ...body];
    const section = (id: number, content: number[]) => [id, ...unsignedLeb(content.length), ...content];
    const name = (text: string) => [text.length, ...[...text].map((c) => c.charCodeAt(0))];
    return Uint8Array.from([
        0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
        ...section(1, [1, 0x60, 5, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0]),
        ...section(2, [1, ...name("e"), ...name("m"), 0x02, 0x00, 0x00]),
        ...section(3, [1, 0]),
        ...section(7, [1, ...name("dots"), 0x00, 0]),
        ...section(10, [1, ...unsignedLeb(code.length), ...code]),
    ]);
}

function unsignedLeb(value: number): number[] {
    const bytes: number[] = [];
    do {
        let byte = value & 0x7f;
        value >>>= 7;
        if (value !== 0) byte |= 0x80;
        bytes.push(byte);
    } while (value !== 0);
    return bytes;
}

function signedLeb(value: number): number[] {
    const bytes: number[] = [];
    for (;;) {
        const byte = value & 0x7f;
        value >>= 7;
        if ((value === 0 && (byte & 0x40) === 0) || (value === -1 && (byte & 0x40) !== 0)) {
            bytes.push(byte);
            return bytes;
        }
        bytes.push(byte | 0x80);
    }
}

let compiled: WasmModule | null | undefined;

/** The compiled kernel, or null where this runtime has no WebAssembly SIMD. */
function kernel(): WasmModule | null {
    if (compiled === undefined) {
        const bytes = kernelModule();
        compiled = wasm?.validate(bytes) ? new wasm.Module(bytes) : null;
    }
    return compiled;
}

/**
 * Room for `rows` vectors of `dimension` floats at the start of a WebAssembly memory (grown on demand, contents kept),
 * and their dot products with a query: the query and the results go after the vectors' room.
 */
export class VectorArena {
    readonly simd: boolean;
    private readonly memory: WasmMemory;
    private readonly dots?: (query: number, vectors: number, rows: number, dimension: number, out: number) => void;
    private rows = 0;
    private view = new Float32Array(0);

    constructor(readonly dimension: number, rows = 64, useSimd = true) {
        if (!wasm) throw new Error("this JavaScript runtime has no WebAssembly, which chunk vectors are kept in");
        this.memory = new wasm.Memory({ initial: 1 });
        const module = useSimd && dimension % 4 === 0 ? kernel() : null;
        if (module) this.dots = new wasm.Instance(module, { e: { m: this.memory } }).exports.dots as VectorArena["dots"];
        this.simd = this.dots !== undefined;
        this.reserve(rows);
    }

    /** The vectors' room: `rows × dimension` floats (a new view after the memory grows: do not keep it). */
    get vectors(): Float32Array {
        return this.view;
    }

    /** Makes room for at least `rows` vectors, keeping those held. */
    reserve(rows: number): void {
        if (rows <= this.rows) return;
        this.rows = Math.max(rows, this.rows * 2);
        this.ensureBytes(this.rows * this.dimension * 4);
        this.view = new Float32Array(this.memory.buffer, 0, this.rows * this.dimension);
    }

    /** The dot product of `query` with each of the first `count` vectors (a view, valid until the next call). */
    scores(query: Float32Array, count: number): Float32Array {
        const dimension = this.dimension;
        const queryAt = this.rows * dimension * 4;
        const outAt = queryAt + dimension * 4;
        this.ensureBytes(outAt + count * 4);
        const memory = this.memory.buffer;
        new Float32Array(memory, queryAt, dimension).set(query);
        const out = new Float32Array(memory, outAt, count);
        if (this.dots) {
            this.dots(queryAt, 0, count, dimension, outAt);
            return out;
        }
        const vectors = new Float32Array(memory, 0, count * dimension);
        for (let r = 0, base = 0; r < count; r++, base += dimension) {
            // four sums: independent additions run in parallel
            let s0 = 0;
            let s1 = 0;
            let s2 = 0;
            let s3 = 0;
            let i = 0;
            for (; i + 3 < dimension; i += 4) {
                s0 += query[i] * vectors[base + i];
                s1 += query[i + 1] * vectors[base + i + 1];
                s2 += query[i + 2] * vectors[base + i + 2];
                s3 += query[i + 3] * vectors[base + i + 3];
            }
            for (; i < dimension; i++) s0 += query[i] * vectors[base + i];
            out[r] = s0 + s1 + s2 + s3;
        }
        return out;
    }

    private ensureBytes(bytes: number): void {
        const have = this.memory.buffer.byteLength;
        if (bytes > have) this.memory.grow(Math.ceil((bytes - have) / pageBytes));
        // a grown memory has a new buffer: the view moves with it
        if (this.view.buffer !== this.memory.buffer) this.view = new Float32Array(this.memory.buffer, 0, this.rows * this.dimension);
    }
}

