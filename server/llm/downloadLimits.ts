// How much a model download may bring in. A server that sends no Content-Length (or more than it announced) would
// otherwise fill the disk: the cap holds whatever the headers say, checked as the bytes arrive.

const DEFAULT_MAX_GB = 256; // past the largest GGUF models people run locally (a 405B model at Q4 is ~230 GB)
const BYTES_PER_GB = 1e9;

/** The most bytes one download may bring in: `maxBytes` if given, else $LLAMAHOME_DOWNLOAD_MAX_GB, else 256 GB. */
export function downloadByteCap(maxBytes?: number): number {
    if (maxBytes !== undefined) return maxBytes;
    const fromEnv = Number(process.env.LLAMAHOME_DOWNLOAD_MAX_GB);
    return (Number.isFinite(fromEnv) && fromEnv > 0 ? fromEnv : DEFAULT_MAX_GB) * BYTES_PER_GB;
}

/**
 * Why a download must stop now, or undefined while it is within bounds: more than the cap received, more than the
 * server announced (`announcedBytes` 0: nothing announced), or an announced size over the cap (fails before the bytes
 * come).
 */
export function downloadOverrun(receivedBytes: number, announcedBytes: number, capBytes: number): string | undefined {
    const cap = `${gigabytes(capBytes)} GB`;
    if (announcedBytes > capBytes) return `the server announces ${gigabytes(announcedBytes)} GB, more than the ${cap} cap (LLAMAHOME_DOWNLOAD_MAX_GB sets it)`;
    if (receivedBytes > capBytes) return `more than ${cap} received (LLAMAHOME_DOWNLOAD_MAX_GB sets the cap)`;
    if (announcedBytes > 0 && receivedBytes > announcedBytes) {
        return `more than the ${announcedBytes.toLocaleString("en")} bytes the server announced received`;
    }
    return undefined;
}

function gigabytes(bytes: number): string {
    return String(Number((bytes / BYTES_PER_GB).toPrecision(3)));
}
