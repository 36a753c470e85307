import { statSync, type Dirent, type Stats } from "node:fs";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import ignore, { type Ignore } from "ignore";
import { readableFileName, utf8FileName } from "./fileNameText";
import type { SkippedFile } from "./types";
import { overSizeCap } from "./sizeCap";

export interface DiscoverOptions {
    /** Extra gitignore-style patterns, relative to the root. Defaults to none. */
    exclude?: readonly string[];
    /** Files larger than this are skipped. Defaults to 50 MB. */
    maxFileSizeBytes?: number;
    /** Absolute directories never to enter (e.g. an index cache placed inside the root). */
    excludeDirs?: readonly string[];
    signal?: AbortSignal;
}

export interface DiscoveredFile {
    /** Relative to the root, forward slashes. */
    path: string;
    absolutePath: string;
    size: number;
    mtimeMs: number;
}

export interface DiscoverResult {
    files: DiscoveredFile[];
    skipped: SkippedFile[];
}

export const defaultMaxFileSizeBytes = 50 * 1024 * 1024;
const alwaysSkipped = new Set(["node_modules", ".git", ".hg", ".svn"]);

interface IgnoreScope {
    /** Directory (relative to root, "" for the root) whose .gitignore this is. */
    base: string;
    rules: Ignore;
    /** No patterns at all (only blank lines and comments). */
    empty: boolean;
}

/**
 * Lists the files under `root` that the index should read. Honours .gitignore files at every level and
 * the exclude list, never enters node_modules/.git, and never follows a symlink that leaves the root.
 */
export async function discoverFiles(root: string, options: DiscoverOptions = {}): Promise<DiscoverResult> {
    const rootReal = await fs.realpath(root);
    const maxSize = options.maxFileSizeBytes ?? defaultMaxFileSizeBytes;
    const excludeDirs = new Set((options.excludeDirs ?? []).map((dir) => path.resolve(dir)));
    const files: DiscoveredFile[] = [];
    const skipped: SkippedFile[] = [];
    const userRules: IgnoreScope = { base: "", rules: ignore().add([...(options.exclude ?? [])]), empty: !hasPatterns((options.exclude ?? []).join("\n")) };
    const visitedDirs = new Set<string>([rootReal]);

    const isIgnored = (rel: string, isDir: boolean, scopes: IgnoreScope[]): string | undefined => {
        for (const scope of scopes) {
            // an empty rule set still costs a path normalisation per file in `ignore`: a third of opening a big index
            if (scope.empty) continue;
            const local = scope.base === "" ? rel : rel.slice(scope.base.length + 1);
            if (scope.rules.ignores(isDir ? `${local}/` : local)) {
                return scope === userRules ? "excluded by settings" : `ignored by ${scope.base ? scope.base + "/" : ""}.gitignore`;
            }
        }
        return undefined;
    };

    const walk = async (dirAbs: string, dirRel: string, scopes: IgnoreScope[]): Promise<void> => {
        options.signal?.throwIfAborted();
        let entries: NamedEntry[];
        try {
            entries = await readEntries(dirAbs);
        } catch (error) {
            skipped.push({ path: dirRel || ".", reason: `unreadable directory: ${(error as Error).message}` });
            return;
        }
        const gitignore = entries.find((entry) => entry.name === ".gitignore" && entry.dirent.isFile());
        if (gitignore) {
            const text = await fs.readFile(path.join(dirAbs, ".gitignore"), "utf8").catch(() => "");
            scopes = [...scopes, { base: dirRel, rules: ignore().add(text), empty: !hasPatterns(text) }];
        }
        entries.sort((a, b) => (a.label < b.label ? -1 : a.label > b.label ? 1 : 0));
        const active = [userRules, ...scopes].filter((scope) => !scope.empty);
        const stats = await statFiles(dirAbs, entries.filter(({ name, dirent }) => (
            name !== undefined && name !== ".gitignore" && dirent.isFile() && !isIgnored(dirRel ? `${dirRel}/${name}` : name, false, active)
        )).map(({ name }) => name!));
        for (const { name, label, dirent: entry } of entries) {
            if (name === undefined) {
                // Decoded, its name would be a different one that opens nothing (it was reported as vanished).
                const rel = dirRel ? `${dirRel}/${label}` : label;
                const ignoredBy = isIgnored(rel, entry.isDirectory(), active);
                skipped.push({ path: rel, reason: ignoredBy ?? `${entry.isDirectory() ? "folder" : "file"} name is not valid UTF-8 (rename it to index it)` });
                continue;
            }
            // dirAbs is already normal and a name holds no separator: path.join would only normalise again, per file
            const abs = dirAbs.endsWith(path.sep) ? dirAbs + name : `${dirAbs}${path.sep}${name}`;
            const rel = dirRel ? `${dirRel}/${name}` : name;
            if (alwaysSkipped.has(name)) {
                skipped.push({ path: rel, reason: `${name} is never indexed` });
                continue;
            }
            let isDir = entry.isDirectory();
            let isFile = entry.isFile();
            let target = abs;
            if (entry.isSymbolicLink()) {
                const resolved = await fs.realpath(abs).catch(() => undefined);
                if (!resolved) {
                    skipped.push({ path: rel, reason: "broken symlink" });
                    continue;
                }
                if (resolved !== rootReal && !resolved.startsWith(rootReal + path.sep)) {
                    skipped.push({ path: rel, reason: "symlink points outside the workspace" });
                    continue;
                }
                const stat = await fs.stat(resolved);
                isDir = stat.isDirectory();
                isFile = stat.isFile();
                target = resolved;
            }
            const ignoredBy = isIgnored(rel, isDir, active);
            if (ignoredBy) {
                skipped.push({ path: rel, reason: ignoredBy });
                continue;
            }
            if (isDir) {
                const real = await fs.realpath(target).catch(() => target);
                if (excludeDirs.has(real) || excludeDirs.has(abs)) continue;
                // A symlink back into the tree would otherwise loop forever.
                if (visitedDirs.has(real)) continue;
                visitedDirs.add(real);
                await walk(abs, rel, scopes);
            } else if (isFile) {
                if (name === ".gitignore") continue;
                const stat = target === abs && stats.has(name) ? stats.get(name) : await fs.stat(target).catch(() => undefined);
                if (!stat) {
                    skipped.push({ path: rel, reason: "vanished while indexing" });
                } else if (stat.size === 0) {
                    skipped.push({ path: rel, reason: "empty file (0 bytes)" });
                } else if (stat.size > maxSize) {
                    skipped.push({ path: rel, reason: overSizeCap(stat.size, maxSize) });
                } else {
                    files.push({ path: rel, absolutePath: abs, size: stat.size, mtimeMs: stat.mtimeMs });
                }
            } else {
                skipped.push({ path: rel, reason: "not a regular file" });
            }
        }
    };

    await walk(rootReal, "", []);
    return { files, skipped };
}

interface NamedEntry {
    /** The name as text; undefined when its bytes are not valid UTF-8. */
    name: string | undefined;
    /** The name for sorting and messages: `name`, or the bytes that are not UTF-8 shown as \xNN. */
    label: string;
    dirent: Pick<Dirent, "isFile" | "isDirectory" | "isSymbolicLink">;
}

/**
 * A folder's entries. Read as text first; only a folder where some name decoded to U+FFFD is read again as bytes, so a
 * name that is not UTF-8 is seen as such (the common case costs no Buffer per name).
 */
async function readEntries(directory: string): Promise<NamedEntry[]> {
    const dirents = await fs.readdir(directory, { withFileTypes: true });
    if (!dirents.some((dirent) => dirent.name.includes("\uFFFD"))) return dirents.map((dirent) => ({ name: dirent.name, label: dirent.name, dirent }));
    return namedEntries(await fs.readdir(directory, { withFileTypes: true, encoding: "buffer" }));
}

/** Directory entries read as bytes, so a name that is not UTF-8 is seen as such rather than silently replaced. */
function namedEntries(dirents: Dirent<Buffer>[]): NamedEntry[] {
    return dirents.map((dirent) => {
        const name = utf8FileName(dirent.name);
        return { name, label: name ?? readableFileName(dirent.name), dirent };
    });
}

/**
 * Stats of a folder's files. Blocking calls, a thousand at a time between yields to the event loop: awaiting them one
 * by one left a 20,000-file index run mostly waiting, and even batched promises cost twice the blocking calls.
 * Undefined for a file that vanished.
 */
async function statFiles(directory: string, names: string[]): Promise<Map<string, Stats | undefined>> {
    const stats = new Map<string, Stats | undefined>();
    for (let i = 0; i < names.length; i++) {
        if (i > 0 && i % 1000 === 0) await new Promise((resolve) => setImmediate(resolve));
        let stat: Stats | undefined;
        try {
            stat = statSync(directory.endsWith(path.sep) ? directory + names[i] : `${directory}${path.sep}${names[i]}`, { throwIfNoEntry: false });
        } catch {
            stat = undefined;
        }
        stats.set(names[i], stat);
    }
    return stats;
}

function hasPatterns(text: string): boolean {
    return text.split(/\r?\n/).some((line) => line.trim() !== "" && !line.startsWith("#"));
}

