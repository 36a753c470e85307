import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import * as readline from "node:readline";
import { isDocumentRecord, isRememberedFailure } from "./indexRecords";
import type { DocumentRecord, FailedFile } from "./types";

const formatVersion = 1;

/** A file the index tried and could not use; remembered so unchanged bad files are not retried every run. */
export interface RememberedFailure extends FailedFile {
    outcome: "failed" | "skipped";
}

export interface IndexSnapshot {
    documents: DocumentRecord[];
    failures: RememberedFailure[];
    /** Paths (or "?") of records that were not what the index writes: left out, so those files are read again. */
    invalid?: string[];
}

export type LoadResult =
    | { kind: "loaded"; snapshot: IndexSnapshot }
    | { kind: "missing" }
    | { kind: "unreadable"; reason: string };

/** Where an index for `root` lives when the user names no cache directory: outside the workspace, per workspace. */
export function defaultCacheRoot(): string {
    const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache");
    return path.join(base, "llamahome", "indexes");
}

/**
 * Persists one workspace's index as JSON lines: a header, one line per document or failure, and a
 * trailer with the counts. Writes go to a temporary file that is fsynced and renamed over the old
 * one, so a kill -9 at any moment leaves either the last good index or the new one, never a mix.
 */
export class IndexStore {
    readonly directory: string;
    readonly file: string;

    constructor(root: string, cacheRoot: string = defaultCacheRoot()) {
        const resolved = path.resolve(root);
        const key = `${path.basename(resolved) || "root"}-${createHash("sha256").update(resolved).digest("hex").slice(0, 12)}`;
        this.directory = path.join(cacheRoot, key);
        this.file = path.join(this.directory, "index.jsonl");
    }

    async load(): Promise<LoadResult> {
        try {
            await fs.access(this.file);
        } catch {
            return { kind: "missing" };
        }
        try {
            return { kind: "loaded", snapshot: await this.read() };
        } catch (error) {
            return { kind: "unreadable", reason: (error as Error).message };
        }
    }

    async save(snapshot: IndexSnapshot): Promise<void> {
        await fs.mkdir(this.directory, { recursive: true });
        const temporary = `${this.file}.${process.pid}.${Date.now()}.tmp`;
        const handle = await fs.open(temporary, "w");
        let written = false;
        try {
            let buffer = JSON.stringify({ llamahomeIndex: formatVersion }) + "\n";
            const flushAt = 1 << 20;
            for (const document of snapshot.documents) {
                buffer += JSON.stringify({ document }) + "\n";
                if (buffer.length > flushAt) {
                    await handle.write(buffer);
                    buffer = "";
                }
            }
            for (const failure of snapshot.failures) buffer += JSON.stringify({ failure }) + "\n";
            buffer += JSON.stringify({ end: { documents: snapshot.documents.length, failures: snapshot.failures.length } }) + "\n";
            await handle.write(buffer);
            await handle.sync();
            written = true;
        } finally {
            await handle.close();
            // a full disk (or any failed write) leaves the last good index and no half-written temporary behind
            if (!written) await fs.rm(temporary, { force: true });
        }
        await fs.rename(temporary, this.file);
        await syncDirectory(this.directory);
        await this.removeAbandonedTemporaries();
    }

    /** A writer killed mid-save leaves its temporary file behind; one older than an hour has no live writer. */
    private async removeAbandonedTemporaries(): Promise<void> {
        const prefix = `${path.basename(this.file)}.`;
        for (const name of await fs.readdir(this.directory).catch(() => [] as string[])) {
            if (!name.startsWith(prefix) || !name.endsWith(".tmp")) continue;
            const file = path.join(this.directory, name);
            const stat = await fs.stat(file).catch(() => undefined);
            if (stat && Date.now() - stat.mtimeMs > 3_600_000) await fs.rm(file, { force: true });
        }
    }

    async clear(): Promise<void> {
        await fs.rm(this.directory, { recursive: true, force: true });
    }

    private async read(): Promise<IndexSnapshot> {
        const lines = readline.createInterface({ input: createReadStream(this.file, "utf8"), crlfDelay: Infinity });
        const snapshot: IndexSnapshot = { documents: [], failures: [] };
        let header = false;
        let end: { documents: number; failures: number } | undefined;
        let documents = 0;
        let failures = 0;
        const invalid: string[] = [];
        for await (const line of lines) {
            if (!line) continue;
            if (end) throw new Error("data after the end marker");
            const record = JSON.parse(line) as { llamahomeIndex?: number; document?: unknown; failure?: unknown; end?: typeof end };
            if (typeof record !== "object" || record === null) throw new Error("a record is not an object");
            if (!header) {
                if (record.llamahomeIndex !== formatVersion) throw new Error(`unsupported index format ${String(record.llamahomeIndex)}`);
                header = true;
            } else if (record.document !== undefined) {
                documents++;
                if (isDocumentRecord(record.document)) snapshot.documents.push(record.document);
                else invalid.push(pathOf(record.document));
            } else if (record.failure !== undefined) {
                failures++;
                if (isRememberedFailure(record.failure)) snapshot.failures.push(record.failure);
                else invalid.push(pathOf(record.failure));
            } else if (record.end) end = record.end;
            else throw new Error("unrecognised record");
        }
        if (!end || end.documents !== documents || end.failures !== failures) {
            throw new Error("index file is incomplete");
        }
        return invalid.length > 0 ? { ...snapshot, invalid } : snapshot;
    }
}

function pathOf(value: unknown): string {
    return typeof value === "object" && value !== null && typeof (value as { path?: unknown }).path === "string" ? (value as { path: string }).path : "?";
}

async function syncDirectory(directory: string): Promise<void> {
    const handle = await fs.open(directory, "r").catch(() => undefined);
    if (!handle) return;
    await handle.sync().catch(() => undefined);
    await handle.close();
}
