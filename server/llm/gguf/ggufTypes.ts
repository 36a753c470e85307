import { type GgufFormatErrorCode, GgufFormatError } from "./ggufErrors";
import { swap32IfBigEndian, GgmlType, GgufValueType } from "./ggufFormat";

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
        swap32IfBigEndian(outBytes);
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

