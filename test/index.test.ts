// The index on a workspace of real files in every format, good and bad: nothing bad takes anything else down.
import assert from "node:assert/strict";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import PDFDocument from "pdfkit";
import { Bm25Index } from "../server/core/Bm25Index";
import { DocumentTableWriter, documentInfo, readDocumentTable } from "../server/core/documentTable";
import { chunkFields, rankedText } from "../server/core/SegmentWriter";
import { adjacencyScorer, nameOnlyScorer } from "../server/core/rerank";
import { compoundParts, tokenize } from "../server/core/tokenize";
import { WorkspaceIndex, type IndexReport } from "../server/core/WorkspaceIndex";
import { makeFixtures, type FixtureSet } from "./fixtures/makeFixtures";

async function fixtureWorkspace(t: { after: (fn: () => Promise<void>) => void }): Promise<{ fx: FixtureSet; cache: string; base: string }> {
    const base = await fs.mkdtemp(path.join(os.tmpdir(), "llamahome-index-"));
    t.after(() => fs.rm(base, { recursive: true, force: true }));
    const fx = await makeFixtures(path.join(base, "ws"));
    return { fx, cache: path.join(base, "cache"), base };
}

/**
 * An index of a folder of these Markdown files and six notes on something else (`misc(i)`, the note's text), so that
 * each query word's idf means something.
 */
async function notesIndex(
    t: { after: (fn: () => Promise<void>) => void },
    name: string,
    files: Record<string, string>,
    misc = (i: number) => `A note on the weather, the garden and the roof, number ${i}.`,
): Promise<WorkspaceIndex> {
    const root = await fs.mkdtemp(path.join(os.tmpdir(), `llamahome-${name}-`));
    t.after(() => fs.rm(root, { recursive: true, force: true }));
    for (const [file, text] of Object.entries(files)) await fs.writeFile(path.join(root, file), text);
    for (let i = 0; i < 6; i++) await fs.writeFile(path.join(root, `misc-${i}.md`), `# Misc ${i}\n\n${misc(i)}\n`);
    const index = await WorkspaceIndex.open(root, { cacheDir: path.join(root, ".cache") });
    t.after(() => index.dispose());
    await index.update();
    return index;
}

function reasonOf(report: IndexReport, rel: string): string | undefined {
    return report.failed.find((f) => f.path === rel)?.error ?? report.skipped.find((s) => s.path === rel)?.reason;
}

test("every format is indexed and searchable; every bad file gets its own clear reason", async (t) => {
    const { fx, cache } = await fixtureWorkspace(t);
    const index = await WorkspaceIndex.open(fx.root, { cacheDir: cache });
    t.after(() => index.dispose());
    const report = await index.update();

    for (const [format, rel] of Object.entries(fx.good)) {
        assert.ok(index.getDocument(rel), `${format} (${rel}) indexed; report: ${JSON.stringify(reasonOf(report, rel))}`);
        const marker = fx.markers[rel];
        const hits = index.search(marker, 3);
        assert.equal(hits[0]?.path, rel, `marker of ${rel} found in it`);
    }
    assert.deepEqual(report.formats, { text: 1, markdown: 1, code: 1, json: 1, csv: 1, html: 1, docx: 1, pdf: 1, pptx: 1, xlsx: 1, odt: 1, rtf: 1, epub: 1 });
    assert.deepEqual(index.search(fx.htmlHiddenMarker, 3), [], "script/style text is not indexed");
    fx.pdfPageMarkers.forEach((marker, i) => assert.equal(index.search(marker, 1)[0]?.chunk.page, i + 1, `PDF marker ${i} cites page ${i + 1}`));
    assert.equal(index.search(fx.markers[fx.good.txt], 1)[0].chunk.line! >= 1, true, "text chunks cite lines");

    const expected: [string, RegExp][] = [
        [fx.bad.emptyPdf, /empty file/],
        [fx.bad.emptyDocx, /empty file/],
        [fx.bad.truncatedPdf, /corrupt or truncated PDF/],
        [fx.bad.garbagePdf, /not a PDF|corrupt/],
        [fx.bad.truncatedDocx, /truncated DOCX|corrupt DOCX/],
        [fx.bad.garbageDocx, /not a valid DOCX/],
        [fx.bad.encryptedPdf, /^encrypted PDF: password required$/],
        [fx.bad.imageOnlyPdf, /^no text layer: needs OCR/],
        [fx.bad.binaryTxt, /binary content/],
    ];
    for (const [rel, pattern] of expected) {
        assert.ok(!index.getDocument(rel), `${rel} is not indexed`);
        assert.match(reasonOf(report, rel) ?? "(no entry)", pattern, rel);
    }
    assert.equal(report.failed.length + report.skipped.filter((s) => /binary|empty/.test(s.reason)).length >= expected.length, true);

    for (const rel of [fx.excluded.ignoredFile, fx.excluded.nodeModulesFile]) assert.ok(!index.getDocument(rel), `${rel} excluded`);
    assert.match(reasonOf(report, "node_modules") ?? "", /never indexed/);
    if (fx.links.created) {
        assert.match(reasonOf(report, fx.links.fileOutside) ?? "", /outside the workspace/);
        assert.match(reasonOf(report, fx.links.dirOutside) ?? "", /outside the workspace/);
        assert.ok(!index.listDocuments().some((d) => d.path.startsWith(`${fx.links.loop}/`)), "the loop symlink is not walked");
    }
});

test("a 200 MB file is skipped by the size cap; a pathological PDF times out alone; the rest is indexed", async (t) => {
    const { fx, cache } = await fixtureWorkspace(t);
    const huge = path.join(fx.root, "huge.txt");
    await fs.writeFile(huge, "");
    await fs.truncate(huge, 200 * 1024 * 1024);
    // A PDF that takes far longer to parse than the per-file limit allows: 3,000 pages parse in ~8 s here (1,500 took
    // ~4.3 s, so a quiet machine could finish them inside the 4 s limit).
    const slow = new PDFDocument({ autoFirstPage: false, compress: false });
    const chunks: Buffer[] = [];
    slow.on("data", (chunk: Buffer) => chunks.push(chunk));
    const ended = new Promise((resolve) => slow.on("end", resolve));
    for (let page = 0; page < 3000; page++) slow.addPage().text(`Page ${page} `.repeat(200));
    slow.end();
    await ended;
    await fs.writeFile(path.join(fx.root, "slow.pdf"), Buffer.concat(chunks));

    const index = await WorkspaceIndex.open(fx.root, { cacheDir: cache, pool: { timeoutMs: 4000 } });
    t.after(() => index.dispose());
    const started = Date.now();
    const report = await index.update();
    assert.match(reasonOf(report, "huge.txt") ?? "", /larger than the 50 MB size cap \(200 MB\)/);
    assert.match(reasonOf(report, "slow.pdf") ?? "", /timed out after 4 s/);
    assert.ok(Date.now() - started < 30_000, "the slow file did not stall the run");
    for (const rel of Object.values(fx.good)) assert.ok(index.getDocument(rel), `${rel} still indexed (${reasonOf(report, rel)})`);
    // The worker that was killed for the timeout was replaced: the pool still works.
    await fs.writeFile(path.join(fx.root, "after.txt"), "Written after the timeout, about parsnips.\n");
    const secondStarted = Date.now();
    const second = await index.update();
    assert.equal(index.search("parsnips", 1)[0]?.path, "after.txt");
    // The timed-out file is remembered by size + mtime: not tried again (and waited for) until it changes.
    assert.equal(second.extracted, 1, "only the new file was extracted");
    assert.match(reasonOf(second, "slow.pdf") ?? "", /timed out after 4 s/);
    assert.ok(Date.now() - secondStarted < 3_000, `the second run took ${Date.now() - secondStarted} ms`);
});

test("the document table reads back what was written: titles, pages and outlines where present, any script in paths; damage is caught", () => {
    const documents = [
        { path: "notes/😀 émoji.md", size: 12, mtimeMs: 1733212800123.5, hash: "a".repeat(64), format: "markdown" as const, chars: 10, title: "Ünïcode 𝔱itle" },
        { path: "scan.pdf", size: 2 ** 40, mtimeMs: 0, hash: "b".repeat(64), format: "pdf" as const, chars: 0, pages: 0, title: "", outline: [{ title: "One", level: 1 as const, page: 1 }, { title: "Two", level: 2 as const }] },
        { path: "plain.txt", size: 0, mtimeMs: -5, hash: "", format: "text" as const, chars: 3 },
    ];
    const writer = new DocumentTableWriter();
    documents.forEach((document, i) => writer.add(document, i * 2, 2));
    const bytes = writer.encode();
    const { documents: read, damaged } = readDocumentTable(bytes, 6);
    assert.deepEqual(damaged, []);
    const asInfo = read.map((document) => document && { ...documentInfo(document), firstChunk: document.firstChunk });
    assert.deepEqual(asInfo, documents.map((document, i) => ({ ...document, firstChunk: i * 2, chunkCount: 2 })));
    assert.deepEqual(readDocumentTable(new DocumentTableWriter().encode(), 0).documents, []);
    // a chunk range past the segment: that document alone; a cut table or wrong offsets: the whole table
    assert.deepEqual(readDocumentTable(bytes, 5).damaged, ["plain.txt"]);
    assert.throws(() => readDocumentTable(bytes.subarray(0, bytes.length - 3), 6), /damaged/);
    assert.throws(() => readDocumentTable(bytes.subarray(0, 20), 6), /truncated/);
    const shuffled = bytes.slice();
    new DataView(shuffled.buffer).setUint32(8 + 16 * 3 + 4 * 4 * 3, 999, true);
    assert.throws(() => readDocumentTable(shuffled, 6), /offsets are damaged/);
});

test("a chunk row found damaged when a hit is shown fails that search with what to do, and the next index reads the segment's files again", async (t) => {
    const { fx, cache } = await fixtureWorkspace(t);
    const first = await WorkspaceIndex.open(fx.root, { cacheDir: cache });
    await first.update();
    const directory = first.cacheDirectory;
    const [hit] = first.search(fx.markers[fx.good.txt]!, 1);
    const chunk = first.rankChunks(fx.markers[fx.good.txt]!, 1)[0]!.chunk;
    await first.dispose();
    assert.equal(hit?.path, fx.good.txt);
    // That chunk's row (layout in server/core/SegmentWriter.ts): its start after its end.
    const [segmentFile] = (await fs.readdir(directory)).filter((name) => name.endsWith(".seg"));
    const file = path.join(directory, segmentFile!);
    const bytes = await fs.readFile(file);
    const header = JSON.parse(bytes.toString("utf8", 12, 12 + bytes.readUInt32LE(8))) as { sections: Record<string, [number, number]> };
    bytes.writeUInt32LE(0xfffffff0, header.sections.chunks![0] + chunk * chunkFields * 4);
    await fs.writeFile(file, bytes);

    const reopened = await WorkspaceIndex.open(fx.root, { cacheDir: cache });
    t.after(() => reopened.dispose());
    assert.throws(() => reopened.search(fx.markers[fx.good.txt]!, 1), /chunk table is damaged: its documents are read again at the next index/);
    const report = await reopened.update();
    assert.ok(report.extracted >= 1, `the segment's files were read again (${report.extracted})`);
    assert.equal(reopened.search(fx.markers[fx.good.txt]!, 1)[0]?.path, fx.good.txt);
    assert.equal(reopened.search(fx.markers[fx.good.md]!, 1)[0]?.path, fx.good.md);
    assert.equal(reopened.segmentCount, 1, "the damaged segment was dropped");
});

test("a saved index with document records that cannot be right is not fatal: those documents are read again, with a notice", async (t) => {
    const { fx, cache } = await fixtureWorkspace(t);
    const first = await WorkspaceIndex.open(fx.root, { cacheDir: cache });
    await first.update();
    const directory = first.cacheDirectory;
    await first.dispose();
    // In the segment's document table (layout in server/core/documentTable.ts): a chunk range past the segment for
    // the text file, flags no writer writes for the Markdown file.
    const [segmentFile] = (await fs.readdir(directory)).filter((name) => name.endsWith(".seg"));
    const file = path.join(directory, segmentFile!);
    const bytes = await fs.readFile(file);
    const headerLength = bytes.readUInt32LE(8);
    const header = JSON.parse(bytes.toString("utf8", 12, 12 + headerLength)) as { chunks: number; sections: Record<string, [number, number]> };
    const [at, length] = header.sections.documents!;
    const { documents } = readDocumentTable(bytes.subarray(at, at + length), header.chunks);
    const n = bytes.readUInt32LE(at);
    const doc = (relative: string) => documents.findIndex((document) => document?.path === relative);
    assert.ok(doc(fx.good.txt) >= 0 && doc(fx.good.md) >= 0);
    bytes.writeUInt32LE(0xfffffff0, at + 8 + 16 * n + 4 * (2 * n + doc(fx.good.txt)));
    bytes[at + 8 + 52 * n + doc(fx.good.md)] = 0xff;
    await fs.writeFile(file, bytes);

    const notices: string[] = [];
    const reopened = await WorkspaceIndex.open(fx.root, { cacheDir: cache, log: (message) => notices.push(message) });
    t.after(() => reopened.dispose());
    assert.equal(notices.length, 1, notices.join("\n"));
    assert.match(notices[0]!, /had 2 damaged record\(s\).*those files are read again/);
    assert.equal(reopened.getDocument(fx.good.txt), undefined, "the damaged record was left out");
    const report = await reopened.update();
    assert.equal(report.extracted, 2, "exactly the two damaged documents were read again");
    assert.equal(reopened.search(fx.markers[fx.good.txt]!, 1)[0]?.path, fx.good.txt);
    assert.equal(reopened.search(fx.markers[fx.good.md]!, 1)[0]?.path, fx.good.md);
});

test("search over segments, tombstones and merges scores exactly as BM25 over the live chunks; reopening changes nothing", async (t) => {
    const base = await fs.mkdtemp(path.join(os.tmpdir(), "llamahome-segments-"));
    t.after(() => fs.rm(base, { recursive: true, force: true }));
    const root = path.join(base, "ws");
    const cache = path.join(base, "cache");
    await fs.mkdir(root);
    const words = "soil compost mulch seed bean squash kale leek onion garlic frost spring harvest water shade clay loam worm beetle slug".split(" ");
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const note = (i: number, version: number) =>
        `# Note ${i} v${version}\n\n` + Array.from({ length: 40 + Math.floor(random() * 400) }, () => words[Math.floor(random() * words.length)]).join(" ") + "\n";
    for (let i = 0; i < 60; i++) await fs.writeFile(path.join(root, `n${i}.md`), note(i, 0));
    const index = await WorkspaceIndex.open(root, { cacheDir: cache, pool: { size: 1 } });
    t.after(() => index.dispose());
    await index.update();
    // common words (every chunk scanned) and rare ones (only the chunks they touch: the sparse path)
    const queries = ["compost mulch", "frost leek garlic", "note 7", "slug beetle worm water", "n12.md", "v3 harvest", "v7", "12"];
    const check = async (label: string, subject: WorkspaceIndex) => {
        const reference = new Bm25Index();
        const ids: { path: string; position: number }[] = [];
        for (const info of subject.listDocuments().sort((x, y) => x.path.localeCompare(y.path))) {
            const document = subject.getDocument(info.path)!;
            document.chunks.forEach((chunk, position) => {
                reference.add(ids.length, rankedText(document, chunk, position));
                ids.push({ path: document.path, position });
            });
        }
        assert.equal(subject.chunkCount, ids.length, `${label}: live chunks`);
        for (const query of queries) {
            const expected = reference.search(query, 1000).map((match) => ({ ...ids[match.id]!, score: match.score }));
            const actual = subject.search(query, 1000);
            assert.equal(actual.length, expected.length, `${label} "${query}": hit count`);
            const byKey = new Map(expected.map((hit) => [`${hit.path}#${hit.position}`, hit.score]));
            for (const hit of actual) {
                const document = subject.getDocument(hit.path)!;
                const position = document.chunks.findIndex((chunk) => chunk.start === hit.chunk.start);
                const score = byKey.get(`${hit.path}#${position}`);
                assert.ok(score !== undefined && Math.abs(score - hit.bm25) < 1e-9, `${label} "${query}": ${hit.path}#${position} scored ${hit.bm25}, BM25 ${score}`);
                assert.ok(hit.score >= hit.bm25, "the name bonus only adds");
                assert.equal(hit.chunk.text, document.chunks[position]!.text);
            }
            for (let i = 1; i < actual.length; i++) assert.ok(actual[i - 1]!.score >= actual[i]!.score, "best first");
        }
    };
    await check("first build", index);
    let maxSegments = index.segmentCount;
    for (let round = 1; round <= 16; round++) {
        // edits, deletions and new files in every round: one new segment each, tombstones in the old ones
        for (let k = 0; k < 4; k++) await fs.writeFile(path.join(root, `n${Math.floor(random() * 60)}.md`), note(round, round));
        if (round % 3 === 0) await fs.rm(path.join(root, `n${round}.md`), { force: true });
        await fs.writeFile(path.join(root, `new${round}.md`), note(100 + round, round));
        const report = await index.update();
        assert.deepEqual(report.failed, []);
        maxSegments = Math.max(maxSegments, index.segmentCount);
        if (round % 4 === 0) await check(`round ${round}`, index);
    }
    assert.ok(index.segmentCount <= 12, `merges keep the segment count bounded (${index.segmentCount})`);
    assert.ok(maxSegments > 1, "updates wrote segments of their own");
    await check("after the edits", index);
    const reopened = await WorkspaceIndex.open(root, { cacheDir: cache });
    t.after(() => reopened.dispose());
    assert.equal(reopened.documentCount, index.documentCount);
    await check("reopened", reopened);
    const again = await reopened.update();
    assert.equal(again.extracted, 0, "nothing is read again after a reopen");
});

test("a table of contents does not outrank the section it lists, and is still indexed as text", async (t) => {
    const root = await fs.mkdtemp(path.join(os.tmpdir(), "llamahome-contents-"));
    t.after(() => fs.rm(root, { recursive: true, force: true }));
    const headings = ["Site rules", "Water supply and meters", "Compost bins and heaps", "Sheds and greenhouses", "Bonfires", "Pests and diseases",
        "Trees and hedges", "Paths and boundaries", "Livestock and bees", "Rent and deposits", "Plot inspections", "Leaving your plot"];
    const contents = ["# Plot holder's manual", "", "Contents", "", ...headings.map((heading, i) => `${i + 1}. ${heading} ${".".repeat(60 - heading.length)} ${4 + 3 * i}`)].join("\n");
    const section = "## Compost bins and heaps\n\n" + [
        "Every plot may have up to three compost containers, placed at the back of the plot away from the paths.",
        "Open heaps must be edged with boards so that they do not spread onto a neighbour's ground.",
        "Do not add cooked food, meat or dairy, which attract rats; report any sign of rats to the committee at once.",
        "The society sells bins made from recycled plastic at cost from the trading hut on Saturday mornings.",
        "Turn each heap at least twice a year and use the finished compost on your own plot.",
    ].join(" ");
    const filler = (topic: string) => `## ${topic}\n\n` + `The rules for ${topic.toLowerCase()} are set by the committee and reviewed each year at the annual meeting. `.repeat(8);
    await fs.writeFile(path.join(root, "manual.md"), [contents, filler("Site rules"), filler("Water supply"), section, filler("Sheds")].join("\n\n"));
    const index = await WorkspaceIndex.open(root, { cacheDir: path.join(root, ".cache") });
    t.after(() => index.dispose());
    await index.update();
    const [top] = index.search("compost bins", 3);
    assert.ok(top && !top.chunk.text.includes("Contents"), `the section ranks first, not the contents: ${top?.chunk.text.slice(0, 80)}`);
    assert.match(top.chunk.text, /three compost containers/);
    // the contents chunk is still found by words it has outside its contents lines
    assert.ok(index.search("plot holder's manual contents", 5).some((hit) => hit.chunk.text.includes("Contents")));
});

test("a chunk that has the query's words side by side outranks one that only repeats them apart", async (t) => {
    const index = await notesIndex(t, "adjacent", {
        "archive.md": "# Archive\n\nThe archive holds around 30000 source packages and a few other files.\n",
        "builds.md": "# Builds\n\nEach build reads the source tree, then packages it. The source decides which packages are built, "
            + "and the packages name their source.\n",
    });
    const hits = index.search("how many source packages are there", 2);
    assert.deepEqual(hits.map((hit) => hit.path), ["archive.md", "builds.md"]);
    // without the pair side by side, BM25 alone prefers the chunk that repeats the words
    assert.ok(hits[1]!.bm25 > hits[0]!.bm25, `bm25 ${hits[0]!.bm25} / ${hits[1]!.bm25}`);

    const idf = (term: string) => ({ debian: 1, released: 3, time: 2, zone: 4 })[term] ?? 0.5;
    const score = adjacencyScorer(tokenize("Debian 2.0 released"), idf)!;
    // "Debian 2.0" is one pair (its number's parts are none), worth its rarer word once, however often it is said
    assert.equal(score("Debian 2.0 shipped in 1998; Debian 2.0 was then released again."), 0.5);
    assert.equal(score("Debian shipped 2.0 and then released it"), 0);
    // a pair the text writes as one word counts ("timezone" for "time zone"); stop words between are skipped
    assert.equal(adjacencyScorer(tokenize("time zone"), idf)!("The timezone file"), 2);
    assert.equal(adjacencyScorer(tokenize("time zone"), idf)!("the time of the zone"), 2);
    assert.equal(adjacencyScorer(tokenize("time"), idf), undefined);
});

test("an adverb the documents make of a query word counts as the word (\"periodically\" for \"periodic\")", async (t) => {
    const index = await notesIndex(t, "adverbs", {
        "anacron.md": "# Anacron\n\nOn a laptop that is often off, anacron runs your commands periodically.\n",
        "shell.md": "# Shell\n\nThe shell is the tool for the commands you type: commands, one after another, and more commands.\n",
    });
    // without the adverb, the chunk that repeats "commands" comes first
    assert.deepEqual(index.search("which tool runs periodic commands", 2).map((hit) => hit.path), ["anacron.md", "shell.md"]);
});

test("a query word that a chunk has only inside a name (sensible-browser) counts for little, unless the query writes the name", async (t) => {
    const index = await notesIndex(t, "names", {
        "naming.md": "# Naming\n\nIt is a good idea to keep the length of a package name within 30 characters.\n",
        "tools.md": "# Tools\n\nRun sensible-browser to open a page, sensible-editor to edit a package name at its maximum, sensible-pager to read.\n",
    });
    const hits = index.search("what is a sensible maximum length for a package name", 2);
    assert.deepEqual(hits.map((hit) => hit.path), ["naming.md", "tools.md"]);
    // BM25 alone prefers the chunk of names, for the rare "sensible"
    assert.ok(hits[1]!.bm25 > hits[0]!.bm25, `bm25 ${hits[0]!.bm25} / ${hits[1]!.bm25}`);
    // the query that writes the name finds it
    assert.equal(index.search("what does sensible-browser open", 1)[0]!.path, "tools.md");

    const idf = (term: string) => ({ sensible: 3, user: 1, id: 1 })[term] ?? 0.5;
    const loss = nameOnlyScorer("a sensible user ID", tokenize("a sensible user ID"), idf)!;
    assert.equal(loss("Run sensible-browser, then set user_ID."), 3 + 1 + 1);
    // a word said on its own somewhere in the text is no loss
    assert.equal(loss("A sensible choice: sensible-browser for the user, user_ID for the key."), 1);
    assert.equal(nameOnlyScorer("is doc-base recommended", tokenize("is doc-base recommended"), idf)!("Register manuals with doc-base."), 0);
});

test("two query words that the documents write as one are searched as that word too, weighing no more than the rarer of them", async (t) => {
    const index = await notesIndex(t, "compound", {
        "zones.md": "# Clocks\n\nThe timezone database lives in zoneinfo.\n",
        "keys.md": "# Keys\n\nType your pass phrase twice when you sign.\n",
        "agent.md": "# Agent\n\nThe agent caches the passphrase while you sign.\n",
    }, () => "A time to plant and a zone to sow; a phrase to pass on.");
    assert.equal(index.search("time zone", 1)[0]?.path, "zones.md");
    // the chunk that says it as the question does is not outranked by the one that writes it as one word
    const signing = index.search("pass phrase sign", 2).map((hit) => hit.path);
    assert.deepEqual(signing, ["keys.md", "agent.md"]);
    // numbers and words under three letters are never joined ("4.6" is no "46"), nor a pair the query already writes as
    // one word; search keeps only the compounds the index has
    assert.deepEqual([...compoundParts(["policy", "4", "6", "time", "zone", "ab", "cd", "file", "name", "filename"]).keys()], ["timezone", "namefilename"]);
    // a pasted page as a query: a bounded number, each looked up in every segment
    assert.equal(compoundParts(Array.from({ length: 5000 }, (_, i) => `word${"abcdefghij"[i % 10]}${"abcdefghij"[Math.floor(i / 10) % 10]}`)).size, 32);
});
