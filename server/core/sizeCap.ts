import { formatBytes } from "../../shared/formatBytes";

/** Why a file over the size cap is not read; discovery and the checked open say it the same way. */
export function overSizeCap(size: number, cap: number): string {
    return `larger than the ${formatBytes(cap)} size cap (${formatBytes(size)})`;
}
