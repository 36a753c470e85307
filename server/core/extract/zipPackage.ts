import { ExtractionError } from "./ExtractionError";

/**
 * Office Open XML and ODF files are zip packages. Checking the container first turns a library's
 * "can't find end of central directory" into a cause the user can act on.
 */
export function checkZipPackage(bytes: Buffer, label: string): void {
    // Password-protected Office files are stored as an OLE compound file, not a zip.
    if (bytes.length >= 8 && bytes.readUInt32BE(0) === 0xd0cf11e0 && bytes.readUInt32BE(4) === 0xa1b11ae1) {
        throw new ExtractionError(`encrypted ${label}: password required (or a legacy binary Office file renamed)`);
    }
    if (bytes.length < 4 || bytes.readUInt32BE(0) !== 0x504b0304) {
        throw new ExtractionError(`not a valid ${label}: the file is not a zip package (corrupt or mislabelled)`);
    }
    // The end-of-central-directory record sits in the last 64 KiB; without it the package is truncated.
    if (bytes.subarray(Math.max(0, bytes.length - 65_557)).lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06])) < 0) {
        throw new ExtractionError(`truncated ${label}: the zip package is incomplete`);
    }
}
