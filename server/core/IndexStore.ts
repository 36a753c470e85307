import { createHash, randomBytes } from "node:crypto";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { isRememberedFailure } from "./indexRecords";
import { Segment } from "./Segment";
import type { SegmentData } from "./SegmentWriter";
import type { RememberedFailure } from "./types";

/**
 * 7: a Markdown chunk never ends with a heading (the heading opens its section's chunk); 6: a dotted number ("4.5.0",
 * "172.16.0.0") is a term as well as its parts; 5: the chunks' BM25 lengths are a section of their own, read at open
 * instead of the whole chunk table; 4: the document rows are a binary table inside the segment (no `<id>.docs.json`);
 * 3: rows carry the outline, and titles come from metadata. An index of an earlier version is rebuilt once.
 */
const formatVersion = 7;
const manifestName = "manifest.json";
/** What format 1 wrote: one JSON-lines file, re-tokenized at every open. */
const formatOneFile = "index.jsonl";

export type LoadResult =
    | { kind: "loaded"; segments: Segment[]; failures: RememberedFailure[]; damaged: string[] }
    | { kind: "missing" }
    | { kind: "outdated" }
    | { kind: "unreadable"; reason: string };

interface Manifest {
    llamahomeIndex: number;
    /** In search order; `deleted` are the tombstoned document rows of that segment. */
    segments: { id: string; deleted: number[] }[];
    failures: unknown[];
}

/** Where an index for `root` lives when the user names no cache directory: outside the workspace, per workspace. */
export function defaultCacheRoot(): string {
    const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache");
    return path.join(base, "llamahome", "indexes");
}

/**
 * Persists one workspace's index as immutable segments plus a small manifest naming them and their tombstones. A
 * change writes a new segment and a new manifest (temporary file, fsynced, renamed), so a kill -9 at any moment leaves
 * the last good index or the new one; files the manifest does not name are removed once they are old enough not to
 * belong to a writer still at work.
 */
export class IndexStore {
    readonly directory: string;
    readonly manifestFile: string;

    constructor(root: string, cacheRoot: string = defaultCacheRoot()) {
        const resolved = path.resolve(root);
        const key = `${path.basename(resolved) || "root"}-${createHash("sha256").update(resolved).digest("hex").slice(0, 12)}`;
        this.directory = path.join(cacheRoot, key);
        this.manifestFile = path.join(this.directory, manifestName);
    }

    async load(): Promise<LoadResult> {
        let text: string;
        try {
            text = await fs.readFile(this.manifestFile, "utf8");
        } catch {
            const old = await fs.access(path.join(this.directory, formatOneFile)).then(() => true, () => false);
            return old ? { kind: "outdated" } : { kind: "missing" };
        }
        const segments: Segment[] = [];
        try {
            const manifest = JSON.parse(text) as Manifest;
            const version = manifest?.llamahomeIndex;
            if (typeof version === "number" && Number.isInteger(version) && version >= 1 && version < formatVersion) return { kind: "outdated" };
            if (version !== formatVersion) throw new Error(`unsupported index format ${String(manifest?.llamahomeIndex)}`);
            if (!Array.isArray(manifest.segments) || !Array.isArray(manifest.failures)) throw new Error("the manifest is damaged");
            const damaged: string[] = [];
            for (const entry of manifest.segments) {
                if (typeof entry?.id !== "string" || !/^[\w-]+$/.test(entry.id) || !Array.isArray(entry.deleted)) throw new Error("the manifest is damaged");
                const segment = Segment.open(this.directory, entry.id);
                segments.push(segment);
                for (const doc of entry.deleted) if (Number.isInteger(doc)) segment.deleteDocument(doc);
                damaged.push(...segment.damaged);
            }
            const failures: RememberedFailure[] = [];
            for (const failure of manifest.failures) {
                if (isRememberedFailure(failure)) failures.push(failure);
                else damaged.push(typeof (failure as { path?: unknown })?.path === "string" ? (failure as { path: string }).path : "?");
            }
            return { kind: "loaded", segments, failures, damaged };
        } catch (error) {
            for (const segment of segments) segment.close();
            return { kind: "unreadable", reason: (error as Error).message };
        }
    }

    /** Writes a segment's file (fsynced); nothing refers to it until commit(). */
    async writeSegment(data: SegmentData): Promise<string> {
        await fs.mkdir(this.directory, { recursive: true });
        const id = `${Date.now().toString(36)}-${process.pid}-${randomBytes(4).toString("hex")}`;
        const file = path.join(this.directory, `${id}.seg`);
        try {
            await writeSynced(file, data.parts);
        } catch (error) {
            await fs.rm(file, { force: true });
            throw error;
        }
        return id;
    }

    /** Makes `segments` (with their tombstones) and `failures` the saved index, atomically. */
    async commit(segments: readonly Segment[], failures: readonly RememberedFailure[]): Promise<void> {
        const manifest: Manifest = {
            llamahomeIndex: formatVersion,
            segments: segments.map((segment) => ({ id: segment.id, deleted: [...segment.deleted].sort((a, b) => a - b) })),
            failures: [...failures],
        };
        await fs.mkdir(this.directory, { recursive: true });
        const temporary = `${this.manifestFile}.${process.pid}.${Date.now()}.tmp`;
        await writeSynced(temporary, [new TextEncoder().encode(JSON.stringify(manifest))]);
        await fs.rename(temporary, this.manifestFile);
        await syncDirectory(this.directory);
        await this.removeUnreferenced(new Set(segments.map((segment) => segment.id)));
    }

    async clear(): Promise<void> {
        await fs.rm(this.directory, { recursive: true, force: true });
    }

    /**
     * Removes segments the manifest no longer names and what format 1 left. A file younger than ten minutes may belong
     * to another writer (the CLI and the editor on one folder) that has not committed yet, so it is left for later.
     */
    private async removeUnreferenced(referenced: Set<string>): Promise<void> {
        for (const name of await fs.readdir(this.directory).catch(() => [] as string[])) {
            const id = /^([\w-]+)\.seg$/.exec(name)?.[1];
            // what earlier formats left: the JSON-lines index, and format 3's document rows beside each segment
            const earlierFormat = name === formatOneFile || name.startsWith(`${formatOneFile}.`) || name.endsWith(".docs.json");
            const temporary = name.endsWith(".tmp");
            if (earlierFormat || (id && !referenced.has(id)) || temporary) {
                const file = path.join(this.directory, name);
                const stat = await fs.stat(file).catch(() => undefined);
                if (stat && (earlierFormat || Date.now() - stat.mtimeMs > 600_000)) await fs.rm(file, { force: true }).catch(() => undefined);
            }
        }
    }
}

async function writeSynced(file: string, parts: readonly Uint8Array[]): Promise<void> {
    const handle = await fs.open(file, "w");
    let written = false;
    try {
        // Chunk texts are many small parts: copy them into large blocks rather than one write each.
        const block = Buffer.allocUnsafe(4 << 20);
        let used = 0;
        const drain = async () => {
            for (let done = 0; done < used; ) done += (await handle.write(block, done, used - done)).bytesWritten;
            used = 0;
        };
        for (const part of parts) {
            if (part.length >= block.length) {
                await drain();
                for (let done = 0; done < part.length; ) done += (await handle.write(part, done, part.length - done)).bytesWritten;
                continue;
            }
            if (used + part.length > block.length) await drain();
            block.set(part, used);
            used += part.length;
        }
        await drain();
        await handle.sync();
        written = true;
    } finally {
        await handle.close();
        // a full disk (or any failed write) leaves the last good index and no half-written file behind
        if (!written) await fs.rm(file, { force: true });
    }
}

async function syncDirectory(directory: string): Promise<void> {
    const handle = await fs.open(directory, "r").catch(() => undefined);
    if (!handle) return;
    await handle.sync().catch(() => undefined);
    await handle.close();
}
