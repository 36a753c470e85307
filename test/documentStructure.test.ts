// Summaries that use a document's structure: titles from metadata (PDF info, EPUB OPF, DOCX core properties), outlines
// (PDF bookmarks, EPUB navigation, headings), kept in the index, and extractive leads that never quote changelogs or
// contents lines. Real files, made here.
import assert from "node:assert/strict";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { test } from "node:test";
import PDFDocument from "pdfkit";
import { Assistant } from "../server/assist/Assistant";
import { extractiveSummary } from "../server/assist/extractiveSummary";
import { summaryLead } from "../server/assist/structuredSummary";
import { extractDocument } from "../server/core/extract/extractDocument";
import { htmlHeadings } from "../server/core/extract/htmlText";
import { boundedOutline, maxOutlineEntries, metadataTitle } from "../server/core/extract/outline";
import { WorkspaceIndex } from "../server/core/WorkspaceIndex";
import { buildDocx, xmlEscape, zipDeterministic } from "../tools/make-samples";
import { parseJson, runCli } from "./helpers/cli";
import { tempWorkspace } from "./helpers/workspace";

/** A PDF with an info Title, one page per chapter, and bookmarks: chapters with their sections under them. */
async function bookmarkedPdf(): Promise<Buffer> {
    const doc = new PDFDocument({ autoFirstPage: false, info: { Title: "Orchard Keeping Handbook" } });
    const chunks: Buffer[] = [];
    doc.on("data", (chunk: Buffer) => chunks.push(chunk));
    const done = new Promise<Buffer>((resolve) => doc.on("end", () => resolve(Buffer.concat(chunks))));
    const chapters = [
        { title: "Planting", sections: ["Choosing rootstock", "Spacing the rows"], text: "Young apple trees are planted in late autumn when the soil is still warm." },
        { title: "Pruning", sections: ["Winter pruning"], text: "Pruning in winter shapes the tree and lets light reach the fruiting spurs." },
        { title: "Harvest", sections: [], text: "Apples are ready to pick when they come away from the spur with a gentle twist." },
    ];
    for (const chapter of chapters) {
        doc.addPage();
        doc.fontSize(16).text(chapter.title);
        doc.fontSize(10).text(chapter.text);
        const bookmark = doc.outline.addItem(chapter.title);
        for (const section of chapter.sections) bookmark.addItem(section);
    }
    doc.end();
    return done;
}

/** An EPUB 3 with a dc:title and a nested nav table of contents (and an NCX that says something else, unused). */
async function navEpub(): Promise<Buffer> {
    const page = (title: string, body: string) =>
        `<?xml version="1.0" encoding="UTF-8"?>\n<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops"><head><title>${xmlEscape(title)}</title></head><body>${body}</body></html>`;
    const nav = page(
        "Contents",
        '<nav epub:type="landmarks"><ol><li><a href="c1.xhtml">Begin reading</a></li></ol></nav>' +
            '<nav epub:type="toc"><h1>Contents</h1><ol>' +
            '<li><a href="c1.xhtml">The River <em>Path</em></a><ol><li><a href="c1.xhtml#ford">The Ford</a></li><li><span>Unlinked Bend</span></li></ol></li>' +
            '<li><a href="c2.xhtml">The Mill</a></li>' +
            "</ol></nav>",
    );
    const opf =
        '<?xml version="1.0" encoding="UTF-8"?>\n<package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="id">' +
        '<metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:identifier id="id">urn:uuid:1</dc:identifier><dc:title>A Walk by the River &amp; Mill</dc:title><dc:language>en</dc:language></metadata>' +
        '<manifest><item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" properties="nav"/><item id="ncx" href="toc.ncx" media-type="application/x-dtbncx+xml"/>' +
        '<item id="c1" href="c1.xhtml" media-type="application/xhtml+xml"/><item id="c2" href="c2.xhtml" media-type="application/xhtml+xml"/></manifest>' +
        '<spine toc="ncx"><itemref idref="c1"/><itemref idref="c2"/></spine></package>';
    const ncx = '<?xml version="1.0"?><ncx xmlns="http://www.daisy.org/z3986/2005/ncx/"><navMap><navPoint id="n"><navLabel><text>Not this one</text></navLabel></navPoint></navMap></ncx>';
    return zipDeterministic([
        { name: "mimetype", data: "application/epub+zip", store: true },
        { name: "META-INF/container.xml", data: '<?xml version="1.0"?><container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles><rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/></rootfiles></container>' },
        { name: "OEBPS/content.opf", data: opf },
        { name: "OEBPS/nav.xhtml", data: nav },
        { name: "OEBPS/toc.ncx", data: ncx },
        { name: "OEBPS/c1.xhtml", data: page("The River Path", "<h1>The River Path</h1><p>The path follows the river from the old bridge to the ford.</p>") },
        { name: "OEBPS/c2.xhtml", data: page("The Mill", "<h1>The Mill</h1><p>The mill ground flour for the village until the flood of 1911.</p>") },
    ]);
}

test("a PDF's title comes from its info dictionary and its outline from its bookmarks, with pages", async () => {
    const extracted = await extractDocument(await bookmarkedPdf(), "pdf");
    assert.equal(extracted.title, "Orchard Keeping Handbook");
    assert.deepEqual(extracted.outline, [
        { title: "Planting", level: 1, page: 1 },
        { title: "Choosing rootstock", level: 2, page: 1 },
        { title: "Spacing the rows", level: 2, page: 1 },
        { title: "Pruning", level: 1, page: 2 },
        { title: "Winter pruning", level: 2, page: 2 },
        { title: "Harvest", level: 1, page: 3 },
    ]);
});

test("an EPUB's title comes from its OPF and its outline from the nav table of contents", async () => {
    const extracted = await extractDocument(await navEpub(), "epub");
    assert.equal(extracted.title, "A Walk by the River & Mill");
    assert.deepEqual(extracted.outline, [
        { title: "The River Path", level: 1 },
        { title: "The Ford", level: 2 },
        { title: "Unlinked Bend", level: 2 },
        { title: "The Mill", level: 1 },
    ]);
});

test("an EPUB's text follows its spine, chapter by chapter, with inline elements inside their sentences", async () => {
    const page = (body: string) => `<?xml version="1.0" encoding="UTF-8"?>\n<html xmlns="http://www.w3.org/1999/xhtml"><head><title>t</title></head><body>${body}</body></html>`;
    const epub = await zipDeterministic([
        { name: "mimetype", data: "application/epub+zip", store: true },
        { name: "META-INF/container.xml", data: '<container><rootfiles><rootfile full-path="book/content.opf"/></rootfiles></container>' },
        {
            name: "book/content.opf",
            data:
                '<package xmlns="http://www.idpf.org/2007/opf" version="3.0"><metadata/><manifest>' +
                '<item id="a" href="text/first.xhtml" media-type="application/xhtml+xml"/><item id="b" href="text/second.xhtml" media-type="application/xhtml+xml"/>' +
                '<item id="css" href="style.css" media-type="text/css"/></manifest><spine><itemref idref="b"/><itemref idref="a"/><itemref idref="css"/></spine></package>',
        },
        { name: "book/text/first.xhtml", data: page('<p>Write to <a href="mailto:x">debian-devel@<em>lists</em>.debian.org</a> before you <code>upload</code>.</p>') },
        { name: "book/text/second.xhtml", data: page("<h1>Opening</h1><ul><li>One item.</li><li>Another item.</li></ul>") },
        { name: "book/style.css", data: "p { color: red }" },
    ]);
    const { text } = await extractDocument(epub, "epub");
    assert.equal(text, "Opening\nOne item.\nAnother item.\n\nWrite to debian-devel@lists.debian.org before you upload.");
});

test("a DOCX's title comes from its core properties and its outline from its headings, not the Title paragraph", async () => {
    const docx = await buildDocx(
        [
            { kind: "title", text: "Styled Title Paragraph" },
            { kind: "heading1", text: "Membership" },
            { kind: "paragraph", text: "Members pay an annual fee of forty pounds." },
            { kind: "heading2", text: "Fees" },
            { kind: "heading3", text: "Too deep to list" },
            { kind: "heading1", text: "Meetings" },
            { kind: "paragraph", text: "The committee meets on the first Monday of every month." },
        ],
        { title: "Allotment Society Rules", author: "The Committee" },
    );
    const extracted = await extractDocument(docx, "docx");
    assert.equal(extracted.title, "Allotment Society Rules");
    assert.deepEqual(extracted.outline, [
        { title: "Membership", level: 1 },
        { title: "Fees", level: 2 },
        { title: "Meetings", level: 1 },
    ]);
    // without core properties, the Title-styled paragraph names the document, as before
    const untitled = await buildDocx([{ kind: "title", text: "Styled Title Paragraph" }, { kind: "paragraph", text: "Some text here." }], { title: "", author: "" });
    assert.equal((await extractDocument(untitled, "docx")).title, "Styled Title Paragraph");
});

test("outlines are bounded: a root bookmark and the title are not sections, a second level that does not fit is dropped", () => {
    const headings = [{ title: "The Book", depth: 1 }, ...Array.from({ length: 30 }, (_, i) => [{ title: `Chapter ${i}`, depth: 2 }, { title: `Section ${i}.1`, depth: 3 }]).flat()];
    const outline = boundedOutline(headings, "The Book");
    assert.equal(outline.length, 30, "60 entries do not fit: the chapters only");
    assert.ok(outline.every((entry) => entry.level === 1 && entry.title.startsWith("Chapter")));
    assert.equal(boundedOutline(Array.from({ length: 100 }, (_, i) => ({ title: `Part ${i}`, depth: 1 }))).length, maxOutlineEntries);
    assert.deepEqual(boundedOutline([{ title: "Contents", depth: 1 }, { title: "Intro", depth: 1 }, { title: "  Use\n  ", depth: 1 }]).map((entry) => entry.title), ["Intro", "Use"]);
    for (const junk of ["Microsoft Word - report.docx", "untitled", "annual-report", "slides.pptx", "", "   "]) assert.equal(metadataTitle(junk), undefined, junk);
    assert.equal(metadataTitle("Microsoft Word - Annual Report 2024"), "Annual Report 2024");
});

// A manual with what a summary must not quote: a dot-leader contents page and a changelog that repeats its key words.
const manual = `# Beekeeping Manual

## Contents

Introduction ........ 3
Hive inspections ........ 5
Honey harvest ........ 9
Changelog ........ 12

## Introduction

This manual explains how the apiary keeps its hives healthy through the seasons. Every beekeeper inspects the hives and records the health of each colony.

## Hive inspections

Hives are inspected every nine days from April to September. An inspection checks the brood, the queen and the stores of honey in each colony.

## Honey harvest

Honey is harvested in late summer once the frames are capped. The beekeeper leaves enough honey in each hive for the colony to survive the winter.

## Changelog

### Version 2.1.0 (2024-03-01)

Added a section on honey harvest for every hive and colony in the apiary. Clarified how the beekeeper inspects the hives and records the colony health.

### Version 2.0.0 (2023-03-01)

Rewrote the hive inspections section for the beekeeper and the colony. Changed the honey records kept for each hive of the apiary.

### Version 1.0.0 (2022-03-01)

First release of the manual on hives, honey, colonies and beekeepers.
`;

test("an extractive summary is a title line, a short lead and the sections, never changelog or contents lines", async (t) => {
    const { root } = await tempWorkspace(t, { "manual.md": manual });
    const file = path.join(root, "manual.md");
    const extracted = await extractDocument(await fs.readFile(file), "markdown");
    assert.equal(extracted.title, "Beekeeping Manual");
    assert.deepEqual(extracted.outline?.filter((entry) => entry.level === 1).map((entry) => entry.title), ["Introduction", "Hive inspections", "Honey harvest", "Changelog"], "Contents is not a section");
    assert.equal(extracted.outline?.filter((entry) => entry.level === 2).length, 3, "the versions are the second level");
    const result = await new Assistant().summarize(extracted.text, { title: extracted.title, outline: extracted.outline });
    const [title, lead, sections, ...rest] = result.summary.split("\n\n");
    assert.equal(title, "Beekeeping Manual");
    assert.equal(sections, "Sections: Introduction · Hive inspections · Honey harvest · Changelog");
    assert.deepEqual(rest, []);
    assert.equal(result.title, "Beekeeping Manual");
    assert.equal(result.outline?.length, 7);
    assert.doesNotMatch(lead!, /Added|Clarified|Rewrote|Changed|First release|Version|\.{4}/);
    assert.match(lead!, /This manual explains/);
    assert.equal(summaryLead(result.summary, "Beekeeping Manual"), lead, "the hover shows the lead under its own title line");

    // Without an outline (plain text), a run of version headings is still found and left out.
    const plain = manual.replace(/^#+ /gm, "");
    const unstructured = extractiveSummary(plain, { sentences: 6 });
    assert.doesNotMatch(unstructured, /Added|Clarified|Rewrote|Changed the honey|First release|\.{4}/);
    // A document that is nothing but a changelog is still summarized from it.
    const changelogOnly = manual.slice(manual.indexOf("### Version 2.1.0"));
    assert.match(extractiveSummary(changelogOnly), /Added a section/);
});

test("the index keeps titles and outlines; an index written before outlines is rebuilt once, with a notice", async (t) => {
    const { root, cache } = await tempWorkspace(t, { "handbook.pdf": await bookmarkedPdf(), "walk.epub": await navEpub() });
    const first = await WorkspaceIndex.open(root, { cacheDir: cache, pool: { size: 1 } });
    await first.update();
    first.dispose();
    const notices: string[] = [];
    const reopened = await WorkspaceIndex.open(root, { cacheDir: cache, pool: { size: 1 }, log: (line) => notices.push(line) });
    t.after(() => reopened.dispose());
    assert.deepEqual(notices, []);
    const pdf = reopened.documentInfo("handbook.pdf");
    assert.equal(pdf?.title, "Orchard Keeping Handbook");
    assert.deepEqual(pdf?.outline?.[3], { title: "Pruning", level: 1, page: 2 });
    assert.equal(reopened.documentInfo("walk.epub")?.outline?.length, 4);

    const manifest = path.join(reopened.cacheDirectory, "manifest.json");
    const saved = JSON.parse(await fs.readFile(manifest, "utf8")) as { llamahomeIndex: number };
    await fs.writeFile(manifest, JSON.stringify({ ...saved, llamahomeIndex: 2 }));
    const older: string[] = [];
    const rebuilt = await WorkspaceIndex.open(root, { cacheDir: cache, pool: { size: 1 }, log: (line) => older.push(line) });
    t.after(() => rebuilt.dispose());
    assert.match(older.join("\n"), /written by an earlier LlamaHome; rebuilding it once/);
    assert.equal((await rebuilt.update()).extracted, 2);
    assert.equal(rebuilt.documentInfo("handbook.pdf")?.outline?.length, 6);
});

test("llamahome summarize --json reports the title and outline beside the summary", async (t) => {
    const { root } = await tempWorkspace(t, { "handbook.pdf": await bookmarkedPdf() });
    const run = await runCli(["summarize", path.join(root, "handbook.pdf"), "--json"]);
    assert.equal(run.code, 0, run.stderr);
    const result = parseJson<{ summary: string; engine: string; title: string; outline: { title: string; page?: number }[]; ms: number }>(run);
    assert.equal(result.engine, "extractive");
    assert.equal(result.title, "Orchard Keeping Handbook");
    assert.equal(result.outline[5]?.title, "Harvest");
    assert.match(result.summary, /^Orchard Keeping Handbook\n\n[\s\S]+\n\nSections: Planting · Pruning · Harvest$/);
});

test("malformed metadata and outlines never fail a file, and stay bounded in time", async () => {
    // an EPUB whose title is empty and whose navigation document is missing: no title, no outline, the text extracted
    const broken = await zipDeterministic([
        { name: "mimetype", data: "application/epub+zip", store: true },
        { name: "META-INF/container.xml", data: '<container><rootfiles><rootfile full-path="o.opf"/></rootfiles></container>' },
        {
            name: "o.opf",
            data:
                '<?xml version="1.0"?><package xmlns="http://www.idpf.org/2007/opf" version="3.0"><metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>  </dc:title></metadata>' +
                '<manifest><item id="n" href="missing%ZZnav.xhtml" media-type="application/xhtml+xml" properties="nav"/><item id="c" href="c1.xhtml" media-type="application/xhtml+xml"/></manifest><spine><itemref idref="c"/></spine></package>',
        },
        { name: "c1.xhtml", data: "<html><body><p>Only the text survives here.</p></body></html>" },
    ]);
    const extracted = await extractDocument(broken, "epub");
    assert.match(extracted.text, /Only the text survives/);
    assert.equal(extracted.title, undefined);
    assert.equal(extracted.outline, undefined);
    // a nav of 20,000 unclosed nested lists and links, and HTML with 200,000 unclosed headings
    const started = performance.now();
    const deepNav = `<nav epub:type="toc">${"<ol><li><a href='x'>".repeat(20_000)}`;
    const deep = await zipDeterministic([
        { name: "mimetype", data: "application/epub+zip", store: true },
        { name: "META-INF/container.xml", data: '<container><rootfiles><rootfile full-path="o.opf"/></rootfiles></container>' },
        {
            name: "o.opf",
            data:
                '<?xml version="1.0"?><package xmlns="http://www.idpf.org/2007/opf" version="3.0"><metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>Deep</dc:title></metadata>' +
                '<manifest><item id="n" href="n.xhtml" media-type="application/xhtml+xml" properties="nav"/><item id="c" href="c.xhtml" media-type="application/xhtml+xml"/></manifest><spine><itemref idref="c"/></spine></package>',
        },
        { name: "n.xhtml", data: deepNav },
        { name: "c.xhtml", data: "<html><body><p>Deep nesting does not hurt.</p></body></html>" },
    ]);
    const deepResult = await extractDocument(deep, "epub");
    assert.equal(deepResult.title, "Deep");
    assert.equal(htmlHeadings("<h1 ".repeat(200_000)).length, 0);
    assert.equal(htmlHeadings("<h2>x".repeat(100_000)).length, 0);
    assert.ok(performance.now() - started < 5_000, `took ${Math.round(performance.now() - started)} ms`);
});
