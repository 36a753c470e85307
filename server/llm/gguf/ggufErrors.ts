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
