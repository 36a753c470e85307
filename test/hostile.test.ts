// Hostile input, end to end: the real CLI indexes a folder of zip bombs, entity bombs, looping and nesting PDFs, a
// FIFO and links out of the folder, and must index every ordinary file beside them, refuse or bound each hostile one
// with a reason, never read what lies outside the folder, and stay within time and memory. Every file is built here.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs/promises";
import { readdirSync, readlinkSync } from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { parseJson, runCli, type IndexJson } from "./helpers/cli";
import {
    billionLaughsDocx, bombDocumentXml, cyclicPageTreePdf, deepPageTreePdf, nestedXObjectsPdf, plainDocx, selfReferencingXObjectPdf, zipBombDocx,
} from "./helpers/hostileFiles";
import { measuredCli } from "./helpers/measuredCli";
import { tempWorkspace } from "./helpers/workspace";

const MB = 1024 * 1024;
/** Written only outside the workspace: it must never be read into the index. */
const SECRET = "zqoutsidesecretheron";
const WALL_LIMIT_MS = 120_000;
const RSS_LIMIT_BYTES = 1.5 * 1024 * MB;

const ordinaryFiles = (count: number): Record<string, string> =>
    Object.fromEntries(
        Array.from({ length: count }, (_, i) => [
            i % 2 ? `notes/note-${i}.txt` : `notes/note-${i}.md`,
            `${i % 2 ? "" : `# Allotment note ${i}\n\n`}Allotment note ${i} records marker zqordinary${i} and the compost rota.\n`,
        ]),
    );

interface SearchJson {
    results: { path: string; snippet: string }[];
}

/** Every file under `dir` (the index cache), read whole. */
async function filesUnder(dir: string): Promise<Buffer[]> {
    const found: Buffer[] = [];
    for (const entry of await fs.readdir(dir, { withFileTypes: true, recursive: true })) {
        if (entry.isFile()) found.push(await fs.readFile(path.join(entry.parentPath, entry.name)));
    }
    return found;
}

async function assertSecretNeverRead(root: string, cache: string): Promise<void> {
    const search = await runCli(["search", root, SECRET, "--cache-dir", cache, "--json"]);
    assert.equal(search.code, 0, search.stderr);
    assert.deepEqual(parseJson<SearchJson>(search).results, [], "the secret outside the folder is not searchable");
    const cached = await filesUnder(cache);
    assert.ok(cached.length > 0, "the index was saved");
    assert.ok(cached.every((bytes) => !bytes.includes(SECRET)), "the secret is nowhere in the index cache");
}

test("a folder of hostile files: ordinary files indexed, each hostile one refused or bounded with a reason, within time and memory", { timeout: 300_000 }, async (t) => {
    const ordinary = ordinaryFiles(20);
    const { base, root, cache } = await tempWorkspace(t, ordinary);
    const outside = path.join(base, "outside");
    await fs.mkdir(path.join(outside, "dir"), { recursive: true });
    await fs.writeFile(path.join(outside, "secret.txt"), `The ${SECRET} lives outside the workspace.\n`);
    await fs.writeFile(path.join(outside, "dir", "inside.txt"), `Also ${SECRET}.\n`);

    const bomb = await bombDocumentXml(300 * MB); // 300 MB of XML, ~300 KB deflated
    const hostile: Record<string, Buffer> = {
        "bombs/honest-sizes.docx": zipBombDocx(bomb, "honest"),
        "bombs/central-directory-lies.docx": zipBombDocx(bomb, "central lies"),
        "bombs/local-header-lies.docx": zipBombDocx(bomb, "local lies"),
        "bombs/both-headers-lie.docx": zipBombDocx(bomb, "both lie"),
        "bombs/billion-laughs.docx": await billionLaughsDocx(10),
        "pdf/cyclic-page-tree.pdf": cyclicPageTreePdf("cyclic page marker"),
        "pdf/deep-page-tree.pdf": deepPageTreePdf("deep page marker", 100_000), // 10 MB; its root claims 2^31 - 1 pages
        "pdf/self-drawing-form.pdf": selfReferencingXObjectPdf("self drawing marker"),
        "pdf/nested-forms.pdf": nestedXObjectsPdf("nested forms marker", 5_000),
        "pdf/fan-out-forms.pdf": nestedXObjectsPdf("fan out marker", 12, 10), // 10^12 draws of the innermost text
    };
    for (const [rel, bytes] of Object.entries(hostile)) {
        await fs.mkdir(path.dirname(path.join(root, rel)), { recursive: true });
        await fs.writeFile(path.join(root, rel), bytes);
    }
    await fs.writeFile(path.join(root, "ordinary.docx"), await plainDocx("An ordinary DOCX about the allotment shed."));
    await fs.mkdir(path.join(root, "special"));
    execFileSync("mkfifo", [path.join(root, "special", "pipe.txt")]);
    await fs.symlink(path.join(outside, "secret.txt"), path.join(root, "special", "secret-link.txt"));
    await fs.symlink(path.join(outside, "dir"), path.join(root, "special", "outside-dir"));

    const run = await measuredCli(["index", root, "--cache-dir", cache, "--json"], { timeoutMs: 200_000 }).done;
    t.diagnostic(`hostile folder: ${Math.round(run.ms)} ms, peak RSS ${run.peakRssBytes === undefined ? "not measured" : `${Math.round(run.peakRssBytes / MB)} MB`}`);
    assert.equal(run.code, 0, run.stderr);
    const report = parseJson<IndexJson>(run);
    const failed = new Map(report.failed.map((failure) => [failure.path, failure.error]));
    const skipped = new Map(report.skipped.map((skip) => [skip.path, skip.reason]));

    for (const rel of [...Object.keys(ordinary), "ordinary.docx"]) assert.ok(!failed.has(rel) && !skipped.has(rel), `${rel} is indexed`);
    const found = parseJson<SearchJson>(await runCli(["search", root, "allotment", "--top", "50", "--cache-dir", cache, "--json"]));
    assert.deepEqual(new Set(found.results.map((hit) => hit.path)), new Set([...Object.keys(ordinary), "ordinary.docx"]), "every ordinary file is searchable");

    const refused: [string, Map<string, string>, RegExp][] = [
        ["bombs/honest-sizes.docx", failed, /^DOCX too large when uncompressed \(300 MB > 100 MB cap\)$/],
        ["bombs/central-directory-lies.docx", failed, /^DOCX too large when uncompressed \(more than 100 MB cap\)$/],
        ["bombs/local-header-lies.docx", failed, /^DOCX too large when uncompressed \(300 MB > 100 MB cap\)$/],
        ["bombs/both-headers-lie.docx", failed, /^DOCX too large when uncompressed \(more than 100 MB cap\)$/],
        ["bombs/billion-laughs.docx", failed, /^DOCX declares XML entities in word\/document\.xml/],
        ["special/pipe.txt", skipped, /^not a regular file$/],
        ["special/secret-link.txt", skipped, /^symlink points outside the workspace$/],
        ["special/outside-dir", skipped, /^symlink points outside the workspace$/],
    ];
    for (const [rel, where, reason] of refused) assert.match(where.get(rel) ?? "(not reported)", reason, rel);

    // The PDFs may be read in part (pdf.js stops at a loop or a nesting it cannot follow), or refused with a reason.
    const pdfs = Object.keys(hostile).filter((rel) => rel.endsWith(".pdf"));
    const indexedPdfs = pdfs.filter((rel) => !failed.has(rel));
    for (const rel of pdfs) {
        if (failed.has(rel)) assert.match(failed.get(rel)!, /^(corrupt or truncated PDF|unreadable PDF|timed out after 60 s|extractor crashed: .*memory)\b.{0,300}$/, rel);
    }
    t.diagnostic(`PDFs indexed in part: ${indexedPdfs.join(", ") || "none"}; failed: ${pdfs.filter((rel) => failed.has(rel)).map((rel) => `${rel} (${failed.get(rel)})`).join(", ")}`);
    assert.equal(report.documents, Object.keys(ordinary).length + 1 + indexedPdfs.length);
    // Bounded text: the ordinary files are a chunk each, a hostile PDF read in part a few at most.
    assert.ok(report.chunks <= Object.keys(ordinary).length + 1 + 3 * indexedPdfs.length, `${report.chunks} chunks`);

    await assertSecretNeverRead(root, cache);
    assert.ok(run.ms < WALL_LIMIT_MS, `indexed in ${Math.round(run.ms)} ms`);
    if (process.platform === "linux") assert.ok(run.peakRssBytes !== undefined, "peak RSS measured from /proc");
    if (run.peakRssBytes !== undefined) assert.ok(run.peakRssBytes < RSS_LIMIT_BYTES, `peak RSS ${Math.round(run.peakRssBytes / MB)} MB`);
});

test("files swapped for a FIFO or a link out of the folder while an index runs are refused, never followed", { timeout: 180_000 }, async (t) => {
    const paragraph = "The seed library lends heritage beans, squash and kale to members and records every return. ".repeat(20);
    const files: Record<string, string> = {};
    for (let i = 0; i < 2_000; i++) files[`docs/d${i % 20}/note-${String(i).padStart(4, "0")}.txt`] = `Note ${i}. ${paragraph}\n`;
    for (let i = 0; i < 20; i++) files[`zz-folder/entry-${i}.txt`] = `Folder entry ${i}. ${paragraph}\n`;
    const { base, root, cache } = await tempWorkspace(t, files);
    const outside = path.join(base, "outside");
    await fs.mkdir(outside);
    await fs.writeFile(path.join(outside, "secret.txt"), `The ${SECRET} lives outside the workspace.\n`);
    for (let i = 0; i < 20; i++) await fs.writeFile(path.join(outside, `entry-${i}.txt`), `Outside entry ${i}: ${SECRET}.\n`);
    // The last files in discovery order are extracted last: those are swapped, after discovery has listed them.
    const victims = Object.keys(files).filter((rel) => rel.startsWith("docs/d9/")).slice(-40);

    const cli = measuredCli(["index", root, "--cache-dir", cache, "--json"], { timeoutMs: 120_000 });
    const extracting = await openedFileUnder(cli.pid, root, 15_000);
    for (const [n, rel] of victims.entries()) {
        const file = path.join(root, rel);
        await fs.rm(file);
        if (n % 2) execFileSync("mkfifo", [file]);
        else await fs.symlink(path.join(outside, "secret.txt"), file);
    }
    await fs.rename(path.join(root, "zz-folder"), path.join(base, "zz-folder-moved"));
    await fs.symlink(outside, path.join(root, "zz-folder"));
    const run = await cli.done;

    assert.equal(run.code, 0, run.stderr);
    assert.ok(run.ms < 60_000, `finished in ${Math.round(run.ms)} ms`);
    const report = parseJson<IndexJson>(run);
    // A victim opened between its removal and its replacement is "no such file": also a refusal, and also fine; so is
    // an entry of the folder opened between the folder's move and the link that replaces it.
    const swapped = (rel: string) => victims.includes(rel) || rel.startsWith("zz-folder/");
    const refusedByWorker = report.failed.filter((failure) => /^(not a regular file|outside the workspace folder)/.test(failure.error) || (swapped(failure.path) && failure.error === "no such file"));
    t.diagnostic(`swap run: ${Math.round(run.ms)} ms; swapped after extraction began: ${extracting}; refused when opened: ${refusedByWorker.length}, skipped: ${report.skipped.length}`);
    assert.deepEqual(report.failed.filter((failure) => !refusedByWorker.includes(failure)), [], "nothing else failed");
    if (extracting) assert.ok(refusedByWorker.length > 0, "files swapped after discovery were refused when opened");
    assert.ok(report.documents >= 2_000 - victims.length, `${report.documents} documents`);

    await assertSecretNeverRead(root, cache);
});

/**
 * Waits until the CLI holds a file under `root` open (an extraction worker reading it: discovery is over), as seen
 * in /proc/PID/fd. False when that was not seen in time (or there is no /proc).
 */
async function openedFileUnder(pid: number | undefined, root: string, timeoutMs: number): Promise<boolean> {
    const deadline = performance.now() + timeoutMs;
    while (pid !== undefined && performance.now() < deadline) {
        try {
            for (const fd of readdirSync(`/proc/${pid}/fd`)) {
                const target = (() => {
                    try {
                        return readlinkSync(`/proc/${pid}/fd/${fd}`);
                    } catch {
                        return "";
                    }
                })();
                if (target.startsWith(root + path.sep) && target.endsWith(".txt")) return true;
            }
        } catch {
            return false;
        }
        await new Promise((resolve) => setTimeout(resolve, 2));
    }
    return false;
}
