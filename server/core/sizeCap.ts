/** Why a file over the size cap is not read; discovery and the checked open say it the same way. */
export function overSizeCap(size: number, cap: number): string {
    return `larger than the ${megabytes(cap)} size cap (${megabytes(size)})`;
}

function megabytes(bytes: number): string {
    return `${(bytes / (1024 * 1024)).toFixed(bytes < 10 * 1024 * 1024 ? 1 : 0)} MB`;
}
