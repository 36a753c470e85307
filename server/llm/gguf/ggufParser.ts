import { GgufCursor, fixedValueBytes, isFixedSizeValueType } from "./GgufCursor";
import { GgufFormatError } from "./ggufErrors";
import {
    GGML_MAX_DIMS,
    GGML_TYPE_BLOCK_LAYOUT,
    GGUF_ALIGNMENT_KEY,
    GGUF_DEFAULT_ALIGNMENT,
    GGUF_MAGIC,
    GgufValueType,
} from "./ggufFormat";
import { GgufFile, type GgufMetadataEntry, type GgufTensorInfo, type GgufValue } from "./ggufTypes";

/** Everything before the tensor data: what a header-only read of a large file needs to hold. */
export interface GgufHeader {
    readonly version: number;
    readonly alignment: number;
    readonly metadata: Map<string, GgufMetadataEntry>;
    readonly tensorInfos: GgufTensorInfo[];
    readonly dataOffset: number;
}

type MalformedError = (message: string) => GgufFormatError;

/** Parses a whole GGUF held in memory; throws GgufFormatError if it is not a well-formed GGUF. */
export function readGguf(bytes: Uint8Array): GgufFile {
    const header = parseGgufHeader(bytes, undefined);
    checkTensorBounds(header, bytes.length, undefined);
    return new GgufFile(header.version, header.alignment, header.metadata, header.tensorInfos, header.dataOffset, bytes.length, bytes);
}

/** Throws a "truncated" GgufFormatError when `bytes` ends inside the header, so a caller can read more and retry. */
export function parseGgufHeader(bytes: Uint8Array, path: string | undefined): GgufHeader {
    const cursor = new GgufCursor(bytes, path);
    const malformed: MalformedError = (message) => new GgufFormatError("malformed", `malformed GGUF: ${message}`, path);

    if (bytes.length < 4 || cursor.read(GgufValueType.Uint32, "magic") !== GGUF_MAGIC) {
        throw new GgufFormatError("bad-magic", "not a GGUF file (bad magic)", path);
    }
    const version = cursor.read(GgufValueType.Uint32, "version");
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
        const type = cursor.read(GgufValueType.Uint32, `type of ${key}`);
        if (type === GgufValueType.Array) {
            const itemType = cursor.read(GgufValueType.Uint32, `item type of ${key}`);
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
        const nDims = cursor.read(GgufValueType.Uint32, `dim count of tensor ${name}`);
        if (nDims > GGML_MAX_DIMS) {
            throw malformed(`tensor ${name} has ${nDims} dims (at most ${GGML_MAX_DIMS})`);
        }
        const dims: number[] = [];
        for (let d = 0; d < nDims; d++) {
            dims.push(cursor.size(`dim ${d} of tensor ${name}`));
        }
        const type = cursor.read(GgufValueType.Uint32, `type of tensor ${name}`);
        const offset = cursor.size(`offset of tensor ${name}`);
        if (offset % alignment !== 0) {
            throw malformed(`tensor ${name} offset ${offset} is not a multiple of the alignment ${alignment}`);
        }
        tensorInfos.push({ name, dims, type, offset, byteSize: tensorByteSize(dims, type) });
    }

    const dataOffset = tensorCount > 0 ? Math.ceil(cursor.offset / alignment) * alignment : cursor.offset;
    return { version, alignment, metadata, tensorInfos, dataOffset };
}

/** Kept apart from parseGgufHeader: a tensor running past the end of the file is not cured by reading more header. */
export function checkTensorBounds(header: GgufHeader, fileSize: number, path: string | undefined): void {
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

function readScalar(
    cursor: GgufCursor,
    type: number,
    what: string,
    malformed: MalformedError,
): number | bigint | boolean | string {
    if (type === GgufValueType.String) {
        return cursor.string(what);
    }
    if (!isFixedSizeValueType(type)) {
        throw malformed(`${what} has unknown value type ${type}`);
    }
    const value = cursor.read(type, what);
    if (type !== GgufValueType.Bool) {
        return value;
    }
    if (value > 1) {
        throw malformed(`bool ${what} has byte value ${value}`);
    }
    return value === 1;
}

/** Smallest encoded size of one item, so a corrupt count fails fast as "truncated" instead of looping for ages. */
function minItemBytes(type: number): number {
    if (isFixedSizeValueType(type)) {
        return fixedValueBytes(type);
    }
    // A nested array is at least its item type (uint32) and count (uint64); a string at least its uint64 length (an
    // unknown type fails on its first item anyway).
    return type === GgufValueType.Array ? 12 : 8;
}

/**
 * Arrays of arrays deeper than this are refused: llama.cpp's metadata nests at most two levels, and a hostile file of
 * 200,000 nested one-item arrays (2.4 MB) would otherwise overflow the stack instead of failing as malformed.
 */
const maxArrayNesting = 32;

function readArray(cursor: GgufCursor, itemType: number, what: string, malformed: MalformedError, depth = 1): GgufValue[] {
    if (depth > maxArrayNesting) throw malformed(`${what} nests arrays more than ${maxArrayNesting} deep`);
    const count = cursor.size(`item count of ${what}`);
    cursor.need(count * minItemBytes(itemType), `${count} items of ${what}`);
    const items: GgufValue[] = new Array<GgufValue>(count);
    for (let i = 0; i < count; i++) {
        if (itemType === GgufValueType.Array) {
            const nestedType = cursor.read(GgufValueType.Uint32, `item type of ${what}[${i}]`);
            items[i] = readArray(cursor, nestedType, `${what}[${i}]`, malformed, depth + 1);
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
