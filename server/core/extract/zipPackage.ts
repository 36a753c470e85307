import { inflateRawSync } from "node:zlib";
import { ExtractionError } from "./ExtractionError";
import { formatBytes } from "../../../shared/formatBytes";

export interface ZipLimits {
    /** All entries together, uncompressed. Defaults to 100 MB: far past any real document's XML. */
    maxUncompressedBytes?: number;
    /** Defaults to 20,000. */
    maxEntries?: number;
}

/** A checked package's parts, read on demand: for the metadata and tables of contents the parsers do not give. */
export interface ZipPackage {
    /** The part's text (UTF-8), or undefined when it is absent, larger than `maxBytes` or does not inflate. */
    text(name: string, maxBytes?: number): string | undefined;
}

interface EntryLocation {
    method: number;
    start: number;
    compressedSize: number;
}

/** Metadata parts and tables of contents are small; a larger one is not read. */
const DEFAULT_MAX_PART_BYTES = 4 * 1024 * 1024;
const DEFAULT_MAX_UNCOMPRESSED = 100 * 1024 * 1024;
const DEFAULT_MAX_ENTRIES = 20_000;

/**
 * Office Open XML and ODF files are zip packages. Checking the container first turns a library's
 * "can't find end of central directory" into a cause the user can act on, and keeps zip bombs away from the XML
 * parsers: the declared sizes and the entry count are checked, then every entry is inflated with a byte budget (so a
 * size the package lies about is caught too) before mammoth or officeparser sees the package. The XML parts the parsers
 * read are also refused when they declare entities ("billion laughs": nested definitions that expand to gigabytes):
 * Office Open XML forbids DTDs, ODF and EPUB content never needs entities of its own, and neither parser's XML reader
 * should be trusted to bound their expansion.
 */
export function checkZipPackage(bytes: Buffer, label: string, limits: ZipLimits = {}): ZipPackage {
    // Password-protected Office files are stored as an OLE compound file, not a zip.
    if (bytes.length >= 8 && bytes.readUInt32BE(0) === 0xd0cf11e0 && bytes.readUInt32BE(4) === 0xa1b11ae1) {
        throw new ExtractionError(`encrypted ${label}: password required (or a legacy binary Office file renamed)`);
    }
    if (bytes.length < 4 || bytes.readUInt32BE(0) !== 0x504b0304) {
        throw new ExtractionError(`not a valid ${label}: the file is not a zip package (corrupt or mislabelled)`);
    }
    // The end-of-central-directory record sits in the last 64 KiB; without it the package is truncated.
    const tail = Math.max(0, bytes.length - 65_557);
    const found = bytes.subarray(tail).lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
    if (found < 0 || tail + found + 22 > bytes.length) {
        throw new ExtractionError(`truncated ${label}: the zip package is incomplete`);
    }
    const entries = checkEntries(bytes, tail + found, label, limits);
    return {
        text(name, maxBytes = DEFAULT_MAX_PART_BYTES) {
            const entry = entries.get(name);
            if (!entry) return undefined;
            const data = bytes.subarray(entry.start, entry.start + entry.compressedSize);
            try {
                const content = entry.method === 8 ? inflateRawSync(data, { maxOutputLength: maxBytes }) : data;
                return content.length <= maxBytes ? content.toString("utf8") : undefined;
            } catch {
                return undefined;
            }
        },
    };
}

function checkEntries(bytes: Buffer, eocd: number, label: string, limits: ZipLimits): Map<string, EntryLocation> {
    const maxBytes = limits.maxUncompressedBytes ?? DEFAULT_MAX_UNCOMPRESSED;
    const maxEntries = limits.maxEntries ?? DEFAULT_MAX_ENTRIES;
    const corrupt = (what: string): never => {
        throw new ExtractionError(`corrupt ${label}: ${what}`);
    };
    const tooLarge = (bytesOut?: number): never => {
        throw new ExtractionError(`${label} too large when uncompressed (${bytesOut === undefined ? "more than" : `${formatBytes(bytesOut)} >`} ${formatBytes(maxBytes)} cap)`);
    };
    const entries = bytes.readUInt16LE(eocd + 10);
    const directoryOffset = bytes.readUInt32LE(eocd + 16);
    if (entries === 0xffff || directoryOffset === 0xffffffff) {
        throw new ExtractionError(`${label} is a zip64 package (over 65,535 entries or 4 GB): too large to read`);
    }
    if (entries > maxEntries) throw new ExtractionError(`${label} has ${entries.toLocaleString("en")} entries (cap ${maxEntries.toLocaleString("en")})`);

    const located = new Map<string, EntryLocation>();
    let declared = 0;
    let inflated = 0;
    let at = directoryOffset;
    for (let i = 0; i < entries; i++) {
        if (at + 46 > bytes.length || bytes.readUInt32LE(at) !== 0x02014b50) corrupt("the zip directory is damaged");
        const method = bytes.readUInt16LE(at + 10);
        const compressedSize = bytes.readUInt32LE(at + 20);
        const size = bytes.readUInt32LE(at + 24);
        const nameLength = bytes.readUInt16LE(at + 28);
        const extraLength = bytes.readUInt16LE(at + 30);
        const commentLength = bytes.readUInt16LE(at + 32);
        const localOffset = bytes.readUInt32LE(at + 42);
        const name = bytes.toString("utf8", at + 46, at + 46 + nameLength);
        at += 46 + nameLength + extraLength + commentLength;
        if (size === 0xffffffff || compressedSize === 0xffffffff || localOffset === 0xffffffff) {
            throw new ExtractionError(`${label} has a zip64 entry (4 GB or more): too large to read`);
        }
        declared += size;
        if (declared > maxBytes) tooLarge(declared);

        if (localOffset + 30 > bytes.length || bytes.readUInt32LE(localOffset) !== 0x04034b50) corrupt("a zip entry is missing");
        const dataStart = localOffset + 30 + bytes.readUInt16LE(localOffset + 26) + bytes.readUInt16LE(localOffset + 28);
        if (dataStart + compressedSize > bytes.length) corrupt("a zip entry is truncated");
        const data = bytes.subarray(dataStart, dataStart + compressedSize);
        let content: Buffer = data;
        if (method === 8) {
            // What the entry really inflates to, never more than the budget left (a lying header is caught here).
            const budget = maxBytes - inflated;
            try {
                content = inflateRawSync(data, { maxOutputLength: Math.max(1, budget) });
            } catch (error) {
                if ((error as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE" || error instanceof RangeError) tooLarge();
                corrupt(`a zip entry does not inflate (${(error as Error).message})`);
            }
        } else if (method !== 0) {
            corrupt(`a zip entry uses compression method ${method}, which Office and ODF files do not`);
        }
        inflated += content.length;
        if (inflated > maxBytes) tooLarge(inflated);
        if (parsedAsXml.test(name) && entityDeclarations.some((declaration) => content.includes(declaration))) {
            throw new ExtractionError(`${label} declares XML entities in ${name.slice(0, 120)} (a DTD, which ${label} files never need): refused, as entity expansion can take all memory`);
        }
        located.set(name, { method, start: dataStart, compressedSize });
    }
    return located;
}

// The parts mammoth and officeparser read as XML. Images (an SVG may declare entities harmlessly) are not parsed.
const parsedAsXml = /\.(xml|rels|xhtml|html?|opf|ncx)$/i;
// XML may be UTF-8 or UTF-16.
const entityDeclarations = [Buffer.from("<!ENTITY"), Buffer.from("<!ENTITY", "utf16le"), Buffer.from("<!ENTITY", "utf16le").swap16()];

