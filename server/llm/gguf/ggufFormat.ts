import { endianness } from "node:os";

/**
 * Constants of the GGUF v3 container format (and its byte-order swap), shared by GgufWriter and the reader.
 * Values mirror llama.cpp's ggml/include/gguf.h and gguf-py/gguf/constants.py (llama.cpp 80fb11a, the commit
 * bundled with node-llama-cpp 3.21.1).
 */

/** "GGUF" read as a little-endian uint32. */
export const GGUF_MAGIC = 0x46554747;
export const GGUF_VERSION = 3;
export const GGUF_DEFAULT_ALIGNMENT = 32;
export const GGUF_ALIGNMENT_KEY = "general.alignment";
/** ggml tensors have at most 4 dimensions (GGML_MAX_DIMS). */
export const GGML_MAX_DIMS = 4;
/** GGML_MAX_NAME is 64 bytes including the terminating NUL. */
export const GGML_MAX_NAME_BYTES = 63;

export enum GgufValueType {
    Uint8 = 0,
    Int8 = 1,
    Uint16 = 2,
    Int16 = 3,
    Uint32 = 4,
    Int32 = 5,
    Float32 = 6,
    Bool = 7,
    String = 8,
    Array = 9,
    Uint64 = 10,
    Int64 = 11,
    Float64 = 12,
}

/** The ggml tensor types this project writes or decodes; other type ids are still parsed as plain numbers. */
export enum GgmlType {
    F32 = 0,
    F16 = 1,
}

/**
 * [elements per block, bytes per block] for every ggml tensor type, so a reader can check that quantized tensors
 * of a real model fit inside the file (a partly downloaded model is the common case) without decoding them.
 */
export const GGML_TYPE_BLOCK_LAYOUT: ReadonlyMap<number, readonly [blockElements: number, blockBytes: number]> = new Map([
    [0, [1, 4]], // F32
    [1, [1, 2]], // F16
    [2, [32, 18]], // Q4_0
    [3, [32, 20]], // Q4_1
    [6, [32, 22]], // Q5_0
    [7, [32, 24]], // Q5_1
    [8, [32, 34]], // Q8_0
    [9, [32, 40]], // Q8_1
    [10, [256, 84]], // Q2_K
    [11, [256, 110]], // Q3_K
    [12, [256, 144]], // Q4_K
    [13, [256, 176]], // Q5_K
    [14, [256, 210]], // Q6_K
    [15, [256, 292]], // Q8_K
    [16, [256, 66]], // IQ2_XXS
    [17, [256, 74]], // IQ2_XS
    [18, [256, 98]], // IQ3_XXS
    [19, [256, 50]], // IQ1_S
    [20, [32, 18]], // IQ4_NL
    [21, [256, 110]], // IQ3_S
    [22, [256, 82]], // IQ2_S
    [23, [256, 136]], // IQ4_XS
    [24, [1, 1]], // I8
    [25, [1, 2]], // I16
    [26, [1, 4]], // I32
    [27, [1, 8]], // I64
    [28, [1, 8]], // F64
    [29, [256, 56]], // IQ1_M
    [30, [1, 2]], // BF16
    [34, [256, 54]], // TQ1_0
    [35, [256, 66]], // TQ2_0
    [39, [32, 17]], // MXFP4
    [40, [64, 36]], // NVFP4
    [41, [128, 18]], // Q1_0
    [42, [64, 18]], // Q2_0
]);

/**
 * Swaps 32-bit little-endian values (GGUF's byte order) to this machine's order in place, or back: the same swap
 * either way, and nothing to do on a little-endian machine. Bytes, not numbers, so every bit (NaN payloads included)
 * survives a write and a read.
 */
export function swap32IfBigEndian(bytes: Uint8Array): void {
    if (endianness() === "LE") return;
    for (let i = 0; i < bytes.length; i += 4) {
        const b0 = bytes[i]!;
        const b1 = bytes[i + 1]!;
        bytes[i] = bytes[i + 3]!;
        bytes[i + 1] = bytes[i + 2]!;
        bytes[i + 2] = b1;
        bytes[i + 3] = b0;
    }
}
