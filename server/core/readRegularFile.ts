import { closeSync, constants, fstatSync, openSync, readlinkSync, readSync, realpathSync, type Stats } from "node:fs";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { overSizeCap } from "./sizeCap";

/** Why a file was not read: not there, not a regular file, too large, or outside the folder it must stay in. */
export class FileReadError extends Error {
    override readonly name = "FileReadError";
    constructor(
        readonly reason: string,
        /** The file is not there (ENOENT). */
        readonly missing = false,
    ) {
        super(reason);
    }
}

export interface ReadRegularFileOptions {
    /** Larger files are refused before a byte is read. */
    maxBytes: number;
    /** When set, the opened file's real path must lie inside this folder's real path (links resolved at open time). */
    within?: string;
}

/**
 * Reads a regular file without ever blocking on it: opened with O_NONBLOCK (a FIFO or a device returns at once instead
 * of wedging a libuv thread in open()), then the *opened descriptor* is checked — a regular file, at most maxBytes,
 * and, with `within`, really inside that folder (the descriptor's path, so a file swapped for a link after a check is
 * caught). Reads on regular files do not block.
 */
export async function readRegularFile(file: string, options: ReadRegularFileOptions): Promise<Buffer> {
    let handle: fs.FileHandle;
    try {
        handle = await fs.open(file, constants.O_RDONLY | constants.O_NONBLOCK);
    } catch (error) {
        throw openFailed(error);
    }
    try {
        const stat = await handle.stat();
        checkOpened(stat, options);
        if (options.within !== undefined) {
            const opened = await openedPath(handle.fd, file);
            checkWithin(opened, await fs.realpath(options.within).catch(() => path.resolve(options.within!)));
        }
        // A file that grew since the stat is cut at the cap, not read on.
        const buffer = Buffer.alloc(Math.min(stat.size, options.maxBytes));
        let filled = 0;
        while (filled < buffer.length) {
            const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, filled);
            if (bytesRead === 0) break;
            filled += bytesRead;
        }
        return filled === buffer.length ? buffer : buffer.subarray(0, filled);
    } finally {
        await handle.close();
    }
}

/**
 * readRegularFile with blocking calls, for extraction workers: a worker thread may block, and going through the shared
 * libuv pool cost six round trips per file (most of an index run was spent waiting on them).
 */
export function readRegularFileSync(file: string, options: ReadRegularFileOptions): Buffer {
    let fd: number;
    try {
        fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
    } catch (error) {
        throw openFailed(error);
    }
    try {
        const stat = fstatSync(fd);
        checkOpened(stat, options);
        if (options.within !== undefined) {
            let opened: string;
            try {
                opened = readlinkSync(`/proc/self/fd/${fd}`);
            } catch {
                opened = realpathSync(file);
            }
            let root: string;
            try {
                root = realpathSync(options.within);
            } catch {
                root = path.resolve(options.within);
            }
            checkWithin(opened, root);
        }
        const buffer = Buffer.alloc(Math.min(stat.size, options.maxBytes));
        let filled = 0;
        while (filled < buffer.length) {
            const bytesRead = readSync(fd, buffer, filled, buffer.length - filled, filled);
            if (bytesRead === 0) break;
            filled += bytesRead;
        }
        return filled === buffer.length ? buffer : buffer.subarray(0, filled);
    } finally {
        closeSync(fd);
    }
}

function openFailed(error: unknown): FileReadError {
    const code = (error as NodeJS.ErrnoException).code;
    return new FileReadError(code === "ENOENT" ? "no such file" : `cannot open it: ${(error as Error).message}`, code === "ENOENT");
}

function checkOpened(stat: Stats, options: ReadRegularFileOptions): void {
    if (!stat.isFile()) throw new FileReadError("not a regular file (a FIFO, device, socket or folder is never read)");
    if (stat.size > options.maxBytes) throw new FileReadError(overSizeCap(stat.size, options.maxBytes));
}

function checkWithin(opened: string, root: string): void {
    const relative = path.relative(root, opened);
    if (relative === "" || relative.startsWith("..") || path.isAbsolute(relative)) throw new FileReadError("outside the workspace folder (through a link)");
}

/** The real path of an open descriptor (Linux: /proc/self/fd), else the path's real path. */
async function openedPath(fd: number, file: string): Promise<string> {
    const viaProc = await fs.readlink(`/proc/self/fd/${fd}`).catch(() => undefined);
    return viaProc ?? (await fs.realpath(file));
}
