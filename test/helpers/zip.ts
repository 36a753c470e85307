// Zip packages built byte by byte, so a test can make the sizes in their headers say what it wants (a zip bomb may
// declare less than it inflates to, in its central directory, its local headers or both).
import { crc32, createDeflateRaw, deflateRawSync } from "node:zlib";

/** An entry's data, already deflated: how large zip bombs are made without holding them inflated. */
export interface DeflatedData {
    deflated: Buffer;
    crc: number;
    size: number;
}

export interface ZipBuildEntry {
    name: string;
    data: Buffer | DeflatedData;
    /** The uncompressed size the central directory declares. Defaults to the real size. */
    declaredSize?: number;
    /** The uncompressed size the local header declares. Defaults to `declaredSize`. */
    localDeclaredSize?: number;
}

/** A zip package of the given deflated entries, sizes as declared. */
export function zipOf(entries: ZipBuildEntry[]): Buffer {
    const locals: Buffer[] = [];
    const directory: Buffer[] = [];
    let offset = 0;
    for (const entry of entries) {
        const data = Buffer.isBuffer(entry.data) ? { deflated: deflateRawSync(entry.data, { level: 9 }), crc: crc32(entry.data), size: entry.data.length } : entry.data;
        const name = Buffer.from(entry.name);
        const size = entry.declaredSize ?? data.size;
        const local = Buffer.alloc(30);
        local.writeUInt32LE(0x04034b50, 0);
        local.writeUInt16LE(20, 4);
        local.writeUInt16LE(8, 8);
        local.writeUInt32LE(data.crc >>> 0, 14);
        local.writeUInt32LE(data.deflated.length, 18);
        local.writeUInt32LE(entry.localDeclaredSize ?? size, 22);
        local.writeUInt16LE(name.length, 26);
        const central = Buffer.alloc(46);
        central.writeUInt32LE(0x02014b50, 0);
        central.writeUInt16LE(20, 4);
        central.writeUInt16LE(20, 6);
        central.writeUInt16LE(8, 10);
        central.writeUInt32LE(data.crc >>> 0, 16);
        central.writeUInt32LE(data.deflated.length, 20);
        central.writeUInt32LE(size, 24);
        central.writeUInt16LE(name.length, 28);
        central.writeUInt32LE(offset, 42);
        locals.push(local, name, data.deflated);
        directory.push(central, name);
        offset += 30 + name.length + data.deflated.length;
    }
    const directoryBytes = Buffer.concat(directory);
    const end = Buffer.alloc(22);
    end.writeUInt32LE(0x06054b50, 0);
    end.writeUInt16LE(entries.length, 8);
    end.writeUInt16LE(entries.length, 10);
    end.writeUInt32LE(directoryBytes.length, 12);
    end.writeUInt32LE(offset, 16);
    return Buffer.concat([...locals, directoryBytes, end]);
}

/** `head`, `size` bytes of `piece` repeated, then `tail`, deflated a MiB at a time (a 300 MB entry never exists inflated). */
export async function deflatedRepeat(piece: string, size: number, head = "", tail = ""): Promise<DeflatedData> {
    const block = Buffer.alloc(1024 * 1024, piece);
    const deflater = createDeflateRaw({ level: 9 });
    const parts: Buffer[] = [];
    deflater.on("data", (part: Buffer) => parts.push(part));
    const done = new Promise<void>((resolve, reject) => {
        deflater.on("end", resolve);
        deflater.on("error", reject);
    });
    let crc = 0;
    const write = async (part: Buffer) => {
        crc = crc32(part, crc);
        if (!deflater.write(part)) await new Promise((resolve) => deflater.once("drain", resolve));
    };
    await write(Buffer.from(head));
    for (let written = 0; written < size; written += block.length) await write(block.subarray(0, Math.min(block.length, size - written)));
    await write(Buffer.from(tail));
    deflater.end();
    await done;
    return { deflated: Buffer.concat(parts), crc, size: Buffer.byteLength(head) + size + Buffer.byteLength(tail) };
}
