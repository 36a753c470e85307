import { GgufFormatError } from "./ggufErrors";
import { GgufValueType } from "./ggufFormat";

/** The GGUF value types whose encoding has one size; strings and arrays carry their own length. */
type FixedSizeValueType = Exclude<GgufValueType, GgufValueType.String | GgufValueType.Array>;

/** 64-bit integers stay bigint because they need not fit a JS number; `size` is the checked way to get one as a number. */
type FixedSizeValue<T extends FixedSizeValueType> = T extends GgufValueType.Uint64 | GgufValueType.Int64 ? bigint : number;

interface FixedSizeLayout {
    readonly bytes: number;
    readonly get: (view: DataView, offset: number) => number | bigint;
}

// Bool reads as its raw byte so that the parser, not the cursor, decides what a byte other than 0 or 1 means.
const FIXED_SIZE_LAYOUTS: Readonly<Record<FixedSizeValueType, FixedSizeLayout>> = {
    [GgufValueType.Uint8]: { bytes: 1, get: (view, offset) => view.getUint8(offset) },
    [GgufValueType.Int8]: { bytes: 1, get: (view, offset) => view.getInt8(offset) },
    [GgufValueType.Bool]: { bytes: 1, get: (view, offset) => view.getUint8(offset) },
    [GgufValueType.Uint16]: { bytes: 2, get: (view, offset) => view.getUint16(offset, true) },
    [GgufValueType.Int16]: { bytes: 2, get: (view, offset) => view.getInt16(offset, true) },
    [GgufValueType.Uint32]: { bytes: 4, get: (view, offset) => view.getUint32(offset, true) },
    [GgufValueType.Int32]: { bytes: 4, get: (view, offset) => view.getInt32(offset, true) },
    [GgufValueType.Float32]: { bytes: 4, get: (view, offset) => view.getFloat32(offset, true) },
    [GgufValueType.Uint64]: { bytes: 8, get: (view, offset) => view.getBigUint64(offset, true) },
    [GgufValueType.Int64]: { bytes: 8, get: (view, offset) => view.getBigInt64(offset, true) },
    [GgufValueType.Float64]: { bytes: 8, get: (view, offset) => view.getFloat64(offset, true) },
};

/** Type ids come from the file as any uint32, so the parser must ask before reading one. */
export function isFixedSizeValueType(type: number): type is FixedSizeValueType {
    return Object.hasOwn(FIXED_SIZE_LAYOUTS, type);
}

export function fixedValueBytes(type: FixedSizeValueType): number {
    return FIXED_SIZE_LAYOUTS[type].bytes;
}

/**
 * Bounds-checked little-endian reader over GGUF bytes: running off the end is a "truncated" GgufFormatError, never
 * a RangeError, so a partly downloaded model and a hostile one fail the same way.
 */
export class GgufCursor {
    private readonly view: DataView;
    offset = 0;

    constructor(
        private readonly bytes: Uint8Array,
        private readonly path: string | undefined,
    ) {
        this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    }

    /** `what` names the value in the error, e.g. "dim 2 of tensor blk.0.attn_q.weight". */
    need(count: number, what: string): void {
        if (this.offset + count > this.bytes.length) {
            throw new GgufFormatError(
                "truncated",
                `truncated GGUF: ${what} needs ${count} bytes at offset ${this.offset} but the data ends at byte ${this.bytes.length}`,
                this.path,
            );
        }
    }

    read<T extends FixedSizeValueType>(type: T, what: string): FixedSizeValue<T> {
        const { bytes, get } = FIXED_SIZE_LAYOUTS[type];
        this.need(bytes, what);
        const value = get(this.view, this.offset);
        this.offset += bytes;
        return value as FixedSizeValue<T>;
    }

    /** A uint64 that must fit a JS number (counts, lengths, dims, offsets). */
    size(what: string): number {
        const value = this.read(GgufValueType.Uint64, what);
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
