import {
    GGML_MAX_DIMS,
    GGML_MAX_NAME_BYTES,
    GGUF_ALIGNMENT_KEY,
    GGUF_DEFAULT_ALIGNMENT,
    GGUF_MAGIC,
    GGUF_VERSION,
    GgmlType,
    GgufValueType,
    swap32IfBigEndian,
} from "./ggufFormat";

export interface GgufWriterOptions {
    /** Byte alignment of the tensor data section and of every tensor in it; a power of two. Defaults to 32. */
    alignment?: number;
}

interface EncodedEntry {
    readonly type: GgufValueType;
    /** The value as it follows the type tag in the file (for arrays: item type, count, items). */
    readonly payload: Buffer;
}

interface PendingTensor {
    readonly name: string;
    readonly dims: readonly number[];
    readonly data: Float32Array;
}

const UINT32_MAX = 0xffff_ffff;
const INT32_MIN = -0x8000_0000;
const INT32_MAX = 0x7fff_ffff;

/**
 * Builds a GGUF v3 file in memory: metadata key/values and f32 tensors, little-endian.
 *
 * Tensor dims are ggml's `ne`, innermost first: a weight W used as y = W x (x of size n_in, y of size n_out) is
 * `dims = [n_in, n_out]` with `data` row-major over n_out rows of n_in values.
 *
 * @example
 *   const gguf = new GgufWriter().addString("general.architecture", "llama").addTensor("w", [2, 3], data).toBuffer();
 */
export class GgufWriter {
    readonly alignment: number;
    private readonly entries = new Map<string, EncodedEntry>();
    private readonly tensors: PendingTensor[] = [];
    private readonly tensorNames = new Set<string>();

    constructor(options: GgufWriterOptions = {}) {
        const alignment = options.alignment ?? GGUF_DEFAULT_ALIGNMENT;
        // llama.cpp rejects alignments that are not powers of two; below 4 the f32 data could not be read in place.
        if (!Number.isInteger(alignment) || alignment < 4 || alignment > UINT32_MAX || (alignment & (alignment - 1)) !== 0) {
            throw new RangeError(`GGUF alignment must be a power of two >= 4, got ${alignment}`);
        }
        this.alignment = alignment;
        // Written even when it is the default, so readers never have to guess.
        this.addUint32(GGUF_ALIGNMENT_KEY, alignment);
    }

    addUint32(key: string, value: number): this {
        checkInteger(key, value, 0, UINT32_MAX, "uint32");
        const payload = Buffer.alloc(4);
        payload.writeUInt32LE(value);
        return this.addEntry(key, GgufValueType.Uint32, payload);
    }

    addInt32(key: string, value: number): this {
        checkInteger(key, value, INT32_MIN, INT32_MAX, "int32");
        const payload = Buffer.alloc(4);
        payload.writeInt32LE(value);
        return this.addEntry(key, GgufValueType.Int32, payload);
    }

    /** The value is rounded to the nearest float32. */
    addFloat32(key: string, value: number): this {
        checkNumber(key, value);
        const payload = Buffer.alloc(4);
        payload.writeFloatLE(value);
        return this.addEntry(key, GgufValueType.Float32, payload);
    }

    addBool(key: string, value: boolean): this {
        return this.addEntry(key, GgufValueType.Bool, Buffer.from([value ? 1 : 0]));
    }

    addString(key: string, value: string): this {
        return this.addEntry(key, GgufValueType.String, encodeString(value));
    }

    addStringArray(key: string, values: readonly string[]): this {
        const parts = values.map(encodeString);
        return this.addEntry(key, GgufValueType.Array, Buffer.concat([arrayPrefix(GgufValueType.String, values.length), ...parts]));
    }

    addInt32Array(key: string, values: ArrayLike<number>): this {
        const items = Buffer.alloc(values.length * 4);
        for (let i = 0; i < values.length; i++) {
            const value = values[i]!;
            checkInteger(`${key}[${i}]`, value, INT32_MIN, INT32_MAX, "int32");
            items.writeInt32LE(value, i * 4);
        }
        return this.addEntry(key, GgufValueType.Array, Buffer.concat([arrayPrefix(GgufValueType.Int32, values.length), items]));
    }

    /** Values are rounded to the nearest float32. */
    addFloat32Array(key: string, values: ArrayLike<number>): this {
        const items = Buffer.alloc(values.length * 4);
        for (let i = 0; i < values.length; i++) {
            const value = values[i]!;
            checkNumber(`${key}[${i}]`, value);
            items.writeFloatLE(value, i * 4);
        }
        return this.addEntry(key, GgufValueType.Array, Buffer.concat([arrayPrefix(GgufValueType.Float32, values.length), items]));
    }

    /**
     * Adds an f32 tensor. `dims` is ggml's ne (innermost first); `data` is not copied until toBuffer(), so do not
     * mutate it in between.
     */
    addTensor(name: string, dims: readonly number[], data: Float32Array): this {
        const nameBytes = Buffer.byteLength(name, "utf8");
        if (nameBytes === 0 || nameBytes > GGML_MAX_NAME_BYTES) {
            throw new RangeError(`GGUF tensor name must be 1..${GGML_MAX_NAME_BYTES} bytes, got ${nameBytes} for "${name}"`);
        }
        if (this.tensorNames.has(name)) {
            throw new Error(`GGUF tensor "${name}" added twice`);
        }
        if (dims.length === 0 || dims.length > GGML_MAX_DIMS) {
            throw new RangeError(`GGUF tensor "${name}" must have 1..${GGML_MAX_DIMS} dims, got ${dims.length}`);
        }
        let elements = 1;
        for (const dim of dims) {
            if (!Number.isSafeInteger(dim) || dim < 1) {
                throw new RangeError(`GGUF tensor "${name}" has an invalid dim ${dim} in [${dims.join(", ")}]`);
            }
            elements *= dim;
        }
        if (elements !== data.length) {
            throw new RangeError(`GGUF tensor "${name}" dims [${dims.join(", ")}] hold ${elements} values but data has ${data.length}`);
        }
        this.tensorNames.add(name);
        this.tensors.push({ name, dims: [...dims], data });
        return this;
    }

    /** Serializes everything added so far; the writer stays usable. */
    toBuffer(): Buffer {
        const header: Buffer[] = [];
        const fixed = Buffer.alloc(24);
        fixed.writeUInt32LE(GGUF_MAGIC, 0);
        fixed.writeUInt32LE(GGUF_VERSION, 4);
        fixed.writeBigUInt64LE(BigInt(this.tensors.length), 8);
        fixed.writeBigUInt64LE(BigInt(this.entries.size), 16);
        header.push(fixed);

        for (const [key, entry] of this.entries) {
            const typeTag = Buffer.alloc(4);
            typeTag.writeUInt32LE(entry.type);
            header.push(encodeString(key), typeTag, entry.payload);
        }

        // llama.cpp requires each tensor's offset to equal the padded end of the previous one.
        let dataSize = 0;
        for (const tensor of this.tensors) {
            const info = Buffer.alloc(4 + tensor.dims.length * 8 + 4 + 8);
            let at = info.writeUInt32LE(tensor.dims.length, 0);
            for (const dim of tensor.dims) {
                at = info.writeBigUInt64LE(BigInt(dim), at);
            }
            at = info.writeUInt32LE(GgmlType.F32, at);
            info.writeBigUInt64LE(BigInt(dataSize), at);
            header.push(encodeString(tensor.name), info);
            dataSize += this.padded(tensor.data.byteLength);
        }

        const headerSize = header.reduce((sum, part) => sum + part.length, 0);
        const dataStart = this.tensors.length > 0 ? this.padded(headerSize) : headerSize;
        const out = Buffer.alloc(dataStart + dataSize); // zero-filled, so the padding needs no explicit writes
        let at = 0;
        for (const part of header) {
            at += part.copy(out, at);
        }
        at = dataStart;
        for (const tensor of this.tensors) {
            copyFloat32LE(tensor.data, out, at);
            at += this.padded(tensor.data.byteLength);
        }
        return out;
    }

    private addEntry(key: string, type: GgufValueType, payload: Buffer): this {
        if (key.length === 0) {
            throw new RangeError("GGUF metadata key must not be empty");
        }
        if (this.entries.has(key)) {
            throw new Error(`GGUF metadata key "${key}" added twice`);
        }
        this.entries.set(key, { type, payload });
        return this;
    }

    private padded(size: number): number {
        return Math.ceil(size / this.alignment) * this.alignment;
    }
}

function encodeString(value: string): Buffer {
    const bytes = Buffer.from(value, "utf8");
    const out = Buffer.alloc(8 + bytes.length);
    out.writeBigUInt64LE(BigInt(bytes.length), 0);
    bytes.copy(out, 8);
    return out;
}

function arrayPrefix(itemType: GgufValueType, count: number): Buffer {
    const prefix = Buffer.alloc(12);
    prefix.writeUInt32LE(itemType, 0);
    prefix.writeBigUInt64LE(BigInt(count), 4);
    return prefix;
}

/** Copies raw bytes rather than going through numbers so every bit (NaN payloads included) survives. */
function copyFloat32LE(data: Float32Array, out: Buffer, at: number): void {
    out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), at);
    swap32IfBigEndian(out.subarray(at, at + data.byteLength));
}

function checkInteger(key: string, value: number, min: number, max: number, typeName: string): void {
    if (!Number.isInteger(value) || value < min || value > max) {
        throw new RangeError(`GGUF ${typeName} value for "${key}" out of range: ${value}`);
    }
}

function checkNumber(key: string, value: number): void {
    if (typeof value !== "number") {
        throw new TypeError(`GGUF float32 value for "${key}" is not a number: ${String(value)}`);
    }
}
