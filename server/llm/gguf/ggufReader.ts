import { constants } from "node:fs";
import { open } from "node:fs/promises";
import { endianness } from "node:os";
import {
    GGML_MAX_DIMS,
    GGML_TYPE_BLOCK_LAYOUT,
    GGUF_ALIGNMENT_KEY,
    GGUF_DEFAULT_ALIGNMENT,
    GGUF_MAGIC,
    GgmlType,
    GgufValueType,
} from "./ggufFormat";

export type GgufFormatErrorCode =
    | "bad-magic"
    | "unsupported-version"
    | "truncated"
    | "malformed"
    | "missing-key"
    | "wrong-type"
    | "invalid-value"
    | "missing-tensor"
    | "unsupported-tensor-type";

/** Why a file is not a GGUF this project can use; thrown instead of letting llama.cpp see (and maybe abort on) it. */
export class GgufFormatError extends Error {
    override readonly name = "GgufFormatError";

    constructor(
        readonly code: GgufFormatErrorCode,
        message: string,
        /** The file the error is about, when it was read from disk. */
        readonly path?: string,
    ) {
        super(path === undefined ? message : `${message} (in ${path})`);
    }
}

/** uint64/int64 values come back as bigint; every other number type as number. */
export type GgufValue = number | bigint | boolean | string | readonly GgufValue[];

export interface GgufMetadataEntry {
    readonly type: GgufValueType;
    /** Element type, for arrays only. */
    readonly itemType?: GgufValueType;
    readonly value: GgufValue;
}

export interface GgufTensorInfo {
    readonly name: string;
    /** ggml ne, innermost first. */
    readonly dims: readonly number[];
    /** ggml type id (0 = F32). */
    readonly type: number;
    /** Byte offset inside the tensor data section. */
    readonly offset: number;
    /** Size of the data in bytes; undefined for ggml types this reader does not know. */
    readonly byteSize: number | undefined;
}

/**
 * A parsed GGUF: metadata, tensor infos and (unless it was read header-only) the bytes to decode f32 tensors from.
 */
export class GgufFile {
    constructor(
        readonly version: number,
        readonly alignment: number,
        readonly metadata: ReadonlyMap<string, GgufMetadataEntry>,
        readonly tensorInfos: readonly GgufTensorInfo[],
        /** Absolute file offset where the tensor data section starts. */
        readonly dataOffset: number,
        /** Size of the whole file; larger than the held bytes when only the header was read. */
        readonly fileSize: number,
        private readonly bytes: Uint8Array,
        /** The file it was read from, if any; GgufFormatErrors about it name this path. */
        readonly path?: string,
    ) {}

    get(key: string): GgufMetadataEntry | undefined {
        return this.metadata.get(key);
    }

    has(key: string): boolean {
        return this.metadata.has(key);
    }

    /** Any scalar number type; 64-bit integers must fit in a JS number. */
    requireNumber(key: string): number {
        return this.toNumber(key, this.require(key).value);
    }

    requireString(key: string): string {
        const { value } = this.require(key);
        if (typeof value !== "string") {
            throw this.error("wrong-type", `key ${key} is not a string`);
        }
        return value;
    }

    requireBool(key: string): boolean {
        const { value } = this.require(key);
        if (typeof value !== "boolean") {
            throw this.error("wrong-type", `key ${key} is not a bool`);
        }
        return value;
    }

    requireStringArray(key: string): string[] {
        const entry = this.require(key);
        if (entry.type !== GgufValueType.Array || entry.itemType !== GgufValueType.String) {
            throw this.error("wrong-type", `key ${key} is not an array of strings`);
        }
        return [...(entry.value as readonly string[])];
    }

    requireNumberArray(key: string): number[] {
        const entry = this.require(key);
        if (entry.type !== GgufValueType.Array || !Array.isArray(entry.value)) {
            throw this.error("wrong-type", `key ${key} is not an array`);
        }
        return (entry.value as readonly GgufValue[]).map((item, i) => this.toNumber(`${key}[${i}]`, item));
    }

    tensorInfo(name: string): GgufTensorInfo {
        const info = this.tensorInfos.find((t) => t.name === name);
        if (info === undefined) {
            throw this.error("missing-tensor", `missing tensor ${name}`);
        }
        return info;
    }

    /** Decodes one F32 tensor into a fresh Float32Array (row-major, ne[0] fastest). */
    tensorF32(name: string): Float32Array {
        const info = this.tensorInfo(name);
        if (info.type !== GgmlType.F32 || info.byteSize === undefined) {
            throw this.error("unsupported-tensor-type", `tensor ${name} has ggml type ${info.type}; only F32 (0) can be decoded`);
        }
        const start = this.dataOffset + info.offset;
        const end = start + info.byteSize;
        if (end > this.bytes.length) {
            if (this.bytes.length < this.fileSize) {
                throw new Error(`tensor data of ${name} was not loaded: this GgufFile was read header-only`);
            }
            throw this.error("truncated", `truncated GGUF: tensor ${name} needs bytes ${start}..${end} but the file has ${this.fileSize}`);
        }
        const out = new Float32Array(info.byteSize / 4);
        const outBytes = new Uint8Array(out.buffer);
        // Copying bytes (not numbers) keeps every bit, which is what the writer/reader round-trip test relies on.
        outBytes.set(this.bytes.subarray(start, end));
        if (endianness() === "BE") {
            swap32InPlace(outBytes);
        }
        return out;
    }

    /** All tensors, decoded, in file order; every tensor must be F32. */
    tensorsF32(): Map<string, Float32Array> {
        return new Map(this.tensorInfos.map((info) => [info.name, this.tensorF32(info.name)]));
    }

    private require(key: string): GgufMetadataEntry {
        const entry = this.metadata.get(key);
        if (entry === undefined) {
            throw this.error("missing-key", `missing key ${key}`);
        }
        return entry;
    }

    private toNumber(key: string, value: GgufValue): number {
        if (typeof value === "number") {
            return value;
        }
        if (typeof value === "bigint" && value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)) {
            return Number(value);
        }
        throw this.error("wrong-type", `key ${key} is not a number`);
    }

    private error(code: GgufFormatErrorCode, message: string): GgufFormatError {
        return new GgufFormatError(code, message, this.path);
    }
}

/** Parses a whole GGUF held in memory; throws GgufFormatError if it is not a well-formed GGUF. */
export function readGguf(bytes: Uint8Array): GgufFile {
    const header = parseHeader(bytes, undefined);
    checkTensorBounds(header, bytes.length, undefined);
    return new GgufFile(header.version, header.alignment, header.metadata, header.tensorInfos, header.dataOffset, bytes.length, bytes);
}

/**
 * Reads only as much of a (possibly multi-GB) file as its header needs: metadata and tensor infos, plus a check that
 * every tensor of a known type lies inside the file. Tensor data is not available from the result.
 */
export async function readGgufFileHeader(path: string): Promise<GgufFile> {
    // O_NONBLOCK: a FIFO (or device) named as a model opens at once and is refused below, instead of hanging the open
    const handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
    try {
        const stat = await handle.stat();
        if (stat.isDirectory()) throw Object.assign(new Error("it is a directory, not a GGUF file"), { code: "EISDIR" });
        if (!stat.isFile()) throw new Error("not a regular file (a FIFO, device or socket cannot be a model)");
        const fileSize = stat.size;
        // Real models carry vocabularies of a few MB in the header, so start at 1 MiB and double.
        let length = Math.min(fileSize, 1 << 20);
        for (;;) {
            const bytes = Buffer.alloc(length);
            const { bytesRead } = await handle.read(bytes, 0, length, 0);
            const held = bytes.subarray(0, bytesRead);
            let header: ParsedHeader;
            try {
                header = parseHeader(held, path);
            } catch (error) {
                if (error instanceof GgufFormatError && error.code === "truncated" && bytesRead < fileSize) {
                    length = Math.min(fileSize, length * 2);
                    continue;
                }
                throw error;
            }
            checkTensorBounds(header, fileSize, path);
            return new GgufFile(
                header.version,
                header.alignment,
                header.metadata,
                header.tensorInfos,
                header.dataOffset,
                fileSize,
                // Keep only the header, so tensorF32 reports header-only reads consistently however much was read.
                held.subarray(0, header.dataOffset),
                path,
            );
        }
    } finally {
        await handle.close();
    }
}

/**
 * Checks, before llama.cpp sees the file, that a GGUF carries the metadata llama.cpp needs: some missing keys (e.g.
 * llama.feed_forward_length, llama.attention.head_count) hit a GGML_ASSERT that aborts the whole process.
 */
export async function validateLlamaGguf(path: string): Promise<void> {
    validateLlamaMetadata(await readGgufFileHeader(path));
}

/** Universal keys llama.cpp reads for every architecture (llama_model::load_hparams). */
const UNIVERSAL_ARCH_KEYS = ["context_length", "embedding_length", "block_count"] as const;

/** Keys the llama architecture needs on top of UNIVERSAL_ARCH_KEYS (missing ones abort or fail the load). */
const LLAMA_ARCH_KEYS = ["feed_forward_length", "attention.head_count", "attention.layer_norm_rms_epsilon"] as const;

/** llama.cpp's LLAMA_MAX_LAYERS; more layers trip a GGML_ASSERT. */
const LLAMA_MAX_LAYERS = 512;

/** The metadata checks of validateLlamaGguf, for a GgufFile already parsed (from disk or memory). */
export function validateLlamaMetadata(file: GgufFile): void {
    const arch = file.requireString("general.architecture");
    file.requireString("tokenizer.ggml.model");
    const vocabSize = file.requireStringArray("tokenizer.ggml.tokens").length;
    const fail = (message: string): never => {
        throw new GgufFormatError("invalid-value", message, file.path);
    };

    for (const key of UNIVERSAL_ARCH_KEYS) {
        file.requireNumber(`${arch}.${key}`);
    }
    const layers = file.requireNumber(`${arch}.block_count`);
    if (!Number.isInteger(layers) || layers < 1 || layers > LLAMA_MAX_LAYERS) {
        fail(`${arch}.block_count must be 1..${LLAMA_MAX_LAYERS}, got ${layers}`);
    }
    const embd = file.requireNumber(`${arch}.embedding_length`);
    if (!Number.isInteger(embd) || embd < 1) {
        fail(`${arch}.embedding_length must be a positive integer, got ${embd}`);
    }

    for (const key of ["tokenizer.ggml.bos_token_id", "tokenizer.ggml.eos_token_id", "tokenizer.ggml.unknown_token_id"]) {
        if (file.has(key)) {
            const id = file.requireNumber(key);
            if (!Number.isInteger(id) || id < 0 || id >= vocabSize) {
                fail(`${key} = ${id} is outside the vocabulary of ${vocabSize} tokens`);
            }
        }
    }

    if (arch !== "llama") {
        return;
    }
    for (const key of LLAMA_ARCH_KEYS) {
        file.requireNumber(`llama.${key}`);
    }
    const heads = file.requireNumber("llama.attention.head_count");
    if (!Number.isInteger(heads) || heads < 1 || embd % heads !== 0) {
        fail(`llama.attention.head_count must be a positive divisor of embedding_length ${embd}, got ${heads}`);
    }
    if (file.has("llama.attention.head_count_kv")) {
        const kvHeads = file.requireNumber("llama.attention.head_count_kv");
        if (!Number.isInteger(kvHeads) || kvHeads < 1 || heads % kvHeads !== 0) {
            fail(`llama.attention.head_count_kv must be a positive divisor of head_count ${heads}, got ${kvHeads}`);
        }
    }
    const ffn = file.requireNumber("llama.feed_forward_length");
    if (!Number.isInteger(ffn) || ffn < 1) {
        fail(`llama.feed_forward_length must be a positive integer, got ${ffn}`);
    }
    if (file.has("llama.rope.dimension_count")) {
        const rot = file.requireNumber("llama.rope.dimension_count");
        if (rot !== embd / heads) {
            fail(`llama.rope.dimension_count must equal the head size ${embd / heads}, got ${rot}`);
        }
    }
}

interface ParsedHeader {
    readonly version: number;
    readonly alignment: number;
    readonly metadata: Map<string, GgufMetadataEntry>;
    readonly tensorInfos: GgufTensorInfo[];
    readonly dataOffset: number;
}

/** Bounds-checked little-endian cursor: running off the end is a "truncated" error, never a RangeError. */
class ByteCursor {
    private readonly view: DataView;
    offset = 0;

    constructor(
        private readonly bytes: Uint8Array,
        private readonly path: string | undefined,
    ) {
        this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    }

    need(count: number, what: string): void {
        if (this.offset + count > this.bytes.length) {
            throw new GgufFormatError(
                "truncated",
                `truncated GGUF: ${what} needs ${count} bytes at offset ${this.offset} but the data ends at byte ${this.bytes.length}`,
                this.path,
            );
        }
    }

    u8(what: string): number {
        this.need(1, what);
        return this.view.getUint8(this.offset++);
    }

    i8(what: string): number {
        this.need(1, what);
        return this.view.getInt8(this.offset++);
    }

    u16(what: string): number {
        this.need(2, what);
        const value = this.view.getUint16(this.offset, true);
        this.offset += 2;
        return value;
    }

    i16(what: string): number {
        this.need(2, what);
        const value = this.view.getInt16(this.offset, true);
        this.offset += 2;
        return value;
    }

    u32(what: string): number {
        this.need(4, what);
        const value = this.view.getUint32(this.offset, true);
        this.offset += 4;
        return value;
    }

    i32(what: string): number {
        this.need(4, what);
        const value = this.view.getInt32(this.offset, true);
        this.offset += 4;
        return value;
    }

    f32(what: string): number {
        this.need(4, what);
        const value = this.view.getFloat32(this.offset, true);
        this.offset += 4;
        return value;
    }

    f64(what: string): number {
        this.need(8, what);
        const value = this.view.getFloat64(this.offset, true);
        this.offset += 8;
        return value;
    }

    u64(what: string): bigint {
        this.need(8, what);
        const value = this.view.getBigUint64(this.offset, true);
        this.offset += 8;
        return value;
    }

    i64(what: string): bigint {
        this.need(8, what);
        const value = this.view.getBigInt64(this.offset, true);
        this.offset += 8;
        return value;
    }

    /** A uint64 that must fit a JS number (counts, lengths, dims, offsets). */
    size(what: string): number {
        const value = this.u64(what);
        if (value > BigInt(Number.MAX_SAFE_INTEGER)) {
            throw new GgufFormatError("malformed", `malformed GGUF: ${what} is implausibly large (${value})`, this.path);
        }
        return Number(value);
    }

    string(what: string): string {
        const length = this.size(`length of ${what}`);
        this.need(length, what);
        const text = Buffer.from(this.bytes.buffer, this.bytes.byteOffset + this.offset, length).toString("utf8");
        this.offset += length;
        return text;
    }
}

function parseHeader(bytes: Uint8Array, path: string | undefined): ParsedHeader {
    const cursor = new ByteCursor(bytes, path);
    const malformed = (message: string): GgufFormatError => new GgufFormatError("malformed", `malformed GGUF: ${message}`, path);

    if (bytes.length < 4 || cursor.u32("magic") !== GGUF_MAGIC) {
        throw new GgufFormatError("bad-magic", "not a GGUF file (bad magic)", path);
    }
    const version = cursor.u32("version");
    // v2 differs from v3 only in being little-endian-only by convention; v1 used 32-bit lengths.
    if (version !== 2 && version !== 3) {
        const hint = version > 0xffff ? " (a big-endian GGUF?)" : "";
        throw new GgufFormatError("unsupported-version", `unsupported GGUF version ${version}${hint}`, path);
    }
    const tensorCount = cursor.size("tensor count");
    const kvCount = cursor.size("metadata count");

    const metadata = new Map<string, GgufMetadataEntry>();
    for (let i = 0; i < kvCount; i++) {
        const key = cursor.string(`metadata key #${i}`);
        if (metadata.has(key)) {
            throw malformed(`duplicate metadata key ${key}`);
        }
        const type = cursor.u32(`type of ${key}`);
        if (type === GgufValueType.Array) {
            const itemType = cursor.u32(`item type of ${key}`);
            metadata.set(key, { type, itemType, value: readArray(cursor, itemType, key, malformed) });
        } else {
            metadata.set(key, { type, value: readScalar(cursor, type, key, malformed) });
        }
    }

    let alignment = GGUF_DEFAULT_ALIGNMENT;
    const alignmentEntry = metadata.get(GGUF_ALIGNMENT_KEY);
    if (alignmentEntry !== undefined) {
        if (alignmentEntry.type !== GgufValueType.Uint32 || typeof alignmentEntry.value !== "number") {
            throw new GgufFormatError("wrong-type", `key ${GGUF_ALIGNMENT_KEY} is not a uint32`, path);
        }
        alignment = alignmentEntry.value;
        if (alignment === 0 || (alignment & (alignment - 1)) !== 0) {
            throw new GgufFormatError("invalid-value", `${GGUF_ALIGNMENT_KEY} must be a power of two, got ${alignment}`, path);
        }
    }

    const tensorInfos: GgufTensorInfo[] = [];
    const tensorNames = new Set<string>();
    for (let i = 0; i < tensorCount; i++) {
        const name = cursor.string(`name of tensor #${i}`);
        if (tensorNames.has(name)) {
            throw malformed(`duplicate tensor ${name}`);
        }
        tensorNames.add(name);
        const nDims = cursor.u32(`dim count of tensor ${name}`);
        if (nDims > GGML_MAX_DIMS) {
            throw malformed(`tensor ${name} has ${nDims} dims (at most ${GGML_MAX_DIMS})`);
        }
        const dims: number[] = [];
        for (let d = 0; d < nDims; d++) {
            dims.push(cursor.size(`dim ${d} of tensor ${name}`));
        }
        const type = cursor.u32(`type of tensor ${name}`);
        const offset = cursor.size(`offset of tensor ${name}`);
        if (offset % alignment !== 0) {
            throw malformed(`tensor ${name} offset ${offset} is not a multiple of the alignment ${alignment}`);
        }
        tensorInfos.push({ name, dims, type, offset, byteSize: tensorByteSize(dims, type) });
    }

    const dataOffset = tensorCount > 0 ? Math.ceil(cursor.offset / alignment) * alignment : cursor.offset;
    return { version, alignment, metadata, tensorInfos, dataOffset };
}

function readScalar(
    cursor: ByteCursor,
    type: number,
    what: string,
    malformed: (message: string) => GgufFormatError,
): number | bigint | boolean | string {
    switch (type) {
        case GgufValueType.Uint8:
            return cursor.u8(what);
        case GgufValueType.Int8:
            return cursor.i8(what);
        case GgufValueType.Uint16:
            return cursor.u16(what);
        case GgufValueType.Int16:
            return cursor.i16(what);
        case GgufValueType.Uint32:
            return cursor.u32(what);
        case GgufValueType.Int32:
            return cursor.i32(what);
        case GgufValueType.Float32:
            return cursor.f32(what);
        case GgufValueType.Bool: {
            const byte = cursor.u8(what);
            if (byte > 1) {
                throw malformed(`bool ${what} has byte value ${byte}`);
            }
            return byte === 1;
        }
        case GgufValueType.String:
            return cursor.string(what);
        case GgufValueType.Uint64:
            return cursor.u64(what);
        case GgufValueType.Int64:
            return cursor.i64(what);
        case GgufValueType.Float64:
            return cursor.f64(what);
        default:
            throw malformed(`${what} has unknown value type ${type}`);
    }
}

/** Smallest encoded size of one item, so a corrupt count fails fast as "truncated" instead of looping for ages. */
function minItemBytes(type: number): number {
    switch (type) {
        case GgufValueType.Uint8:
        case GgufValueType.Int8:
        case GgufValueType.Bool:
            return 1;
        case GgufValueType.Uint16:
        case GgufValueType.Int16:
            return 2;
        case GgufValueType.Uint32:
        case GgufValueType.Int32:
        case GgufValueType.Float32:
            return 4;
        case GgufValueType.Array:
            return 12;
        default:
            return 8;
    }
}

function readArray(
    cursor: ByteCursor,
    itemType: number,
    what: string,
    malformed: (message: string) => GgufFormatError,
): GgufValue[] {
    const count = cursor.size(`item count of ${what}`);
    cursor.need(count * minItemBytes(itemType), `${count} items of ${what}`);
    const items: GgufValue[] = new Array<GgufValue>(count);
    for (let i = 0; i < count; i++) {
        if (itemType === GgufValueType.Array) {
            const nestedType = cursor.u32(`item type of ${what}[${i}]`);
            items[i] = readArray(cursor, nestedType, `${what}[${i}]`, malformed);
        } else {
            items[i] = readScalar(cursor, itemType, `${what}[${i}]`, malformed);
        }
    }
    return items;
}

function tensorByteSize(dims: readonly number[], type: number): number | undefined {
    const layout = GGML_TYPE_BLOCK_LAYOUT.get(type);
    if (layout === undefined) {
        return undefined;
    }
    const [blockElements, blockBytes] = layout;
    const elements = dims.reduce((product, dim) => product * dim, 1);
    return Math.ceil(elements / blockElements) * blockBytes;
}

function checkTensorBounds(header: ParsedHeader, fileSize: number, path: string | undefined): void {
    for (const info of header.tensorInfos) {
        if (info.byteSize === undefined) {
            continue;
        }
        const end = header.dataOffset + info.offset + info.byteSize;
        if (end > fileSize) {
            throw new GgufFormatError(
                "truncated",
                `truncated GGUF: tensor ${info.name} ends at byte ${end} but the file has ${fileSize} bytes`,
                path,
            );
        }
    }
}

function swap32InPlace(bytes: Uint8Array): void {
    for (let i = 0; i < bytes.length; i += 4) {
        const b0 = bytes[i]!;
        const b1 = bytes[i + 1]!;
        bytes[i] = bytes[i + 3]!;
        bytes[i + 1] = bytes[i + 2]!;
        bytes[i + 2] = b1;
        bytes[i + 3] = b0;
    }
}
