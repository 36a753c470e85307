// Pure core: chunking, tokenizing, BM25 and file discovery, on real files in a temp folder.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { Bm25Index } from "../server/core/Bm25Index";
import { chunkText } from "../server/core/chunk";
import { discoverFiles } from "../server/core/discover";
import { readableFileName } from "../server/core/fileNameText";
import { sourceView } from "../server/core/sourceView";
import { htmlToText } from "../server/core/extract/htmlText";
import { withoutRunningHeaders } from "../server/core/extract/pdfExtractor";
import { looksLikeText } from "../server/core/formats";
import { checkZipPackage } from "../server/core/extract/zipPackage";
import { FileReadError, readRegularFile } from "../server/core/readRegularFile";
import { tokenize } from "../server/core/tokenize";
import { zipOf } from "./helpers/zip";

test("chunks cover the text in order, respect the length cap and carry line numbers", () => {
    const paragraphs = Array.from({ length: 40 }, (_, i) => `Paragraph ${i} says something about topic ${i}. It has a second sentence here.\nAnd a second line.`);
    const text = paragraphs.join("\n\n");
    const chunks = chunkText({ format: "text", text }, { targetChars: 300 });
    assert.ok(chunks.length > 5);
    let previousEnd = 0;
    for (const chunk of chunks) {
        assert.ok(chunk.start >= previousEnd, "chunks do not overlap or go backwards");
        assert.equal(chunk.text, text.slice(chunk.start, chunk.end));
        assert.ok(chunk.text.length <= 450, `chunk length ${chunk.text.length} within 1.5 × target`);
        assert.equal(chunk.line, text.slice(0, chunk.start).split("\n").length, "line is the 1-based line of the chunk start");
        assert.equal(chunk.endLine, text.slice(0, chunk.end).split("\n").length);
        previousEnd = chunk.end;
    }
    // Nothing but whitespace is lost between chunks.
    const rebuilt = chunks.map((chunk) => chunk.text).join("");
    assert.equal(rebuilt.replace(/\s/g, ""), text.replace(/\s/g, ""));
});

test("chunks never cross a page boundary and cite their page", () => {
    const pages = ["First page text. ".repeat(30), "Second page. ".repeat(5), "Third page words. ".repeat(50)];
    const pageStarts: number[] = [];
    let text = "";
    for (const page of pages) {
        pageStarts.push(text.length);
        text += page + "\n\n";
    }
    const chunks = chunkText({ format: "pdf", text, pageStarts }, { targetChars: 200 });
    for (const chunk of chunks) {
        const page = chunk.page!;
        assert.ok(chunk.start >= pageStarts[page - 1]);
        assert.ok(page === pages.length || chunk.end <= pageStarts[page]);
        assert.equal(chunk.line, undefined, "PDF chunks cite pages, not lines");
    }
    assert.deepEqual([...new Set(chunks.map((chunk) => chunk.page))], [1, 2, 3]);
    assert.ok(chunks.find((chunk) => chunk.page === 2)!.text.startsWith("Second page"));
});

test("a Markdown heading opens the chunk of its section rather than ending the one before", () => {
    const section = (name: string, sentences: number) => `## ${name}\n\n${`The ${name.toLowerCase()} rules are set each year. `.repeat(sentences)}`;
    const text = [section("Water", 25), section("Compost bins", 12), section("Sheds", 25)].join("\n\n");
    const markdown = chunkText({ format: "markdown", text });
    for (const chunk of markdown) assert.doesNotMatch(chunk.text, /\n#{1,6} [^\n]*$/, `a chunk ends with a heading: …${chunk.text.slice(-40)}`);
    assert.ok(markdown.some((chunk) => chunk.text.startsWith("## Compost bins\n\nThe compost bins rules")));
    // plain text has no marked headings: its paragraphs are cut where they fall (the same text ends a chunk with one)
    assert.ok(chunkText({ format: "text", text }).some((chunk) => /\n## Compost bins$/.test(chunk.text)));
});

test("a word longer than the cap is cut rather than looping", () => {
    const text = "x".repeat(5000);
    const chunks = chunkText({ format: "text", text }, { targetChars: 1000 });
    assert.equal(chunks.map((chunk) => chunk.text).join(""), text);
});

test("tokenize lowercases, drops stop words and folds plurals", () => {
    assert.deepEqual(tokenize("The Costs of the Irrigation Policies, 2024!"), ["cost", "irrigation", "policy", "2024"]);
    assert.deepEqual(tokenize("glass status analysis"), ["glass", "status", "analysis"]);
    // a stop word that is a common acronym stays a term in capitals; an all-caps sentence still loses its stop words
    assert.deepEqual(tokenize("Its ITS bug, the IT team, It is"), ["its", "bug", "it", "team"]);
    assert.deepEqual(tokenize("THE SOFTWARE IS PROVIDED AS IS"), ["software", "provided", "as"]);
    // a version or an address is a term of its own as well as its numbers; one with letters is only its parts
    assert.deepEqual(tokenize("Version 4.5.0, 172.16.0.0/12 or 1.5rc1."), ["version", "4", "4.5.0", "5", "0", "172", "172.16.0.0", "16", "0", "0", "12", "1", "5rc1"]);
});

test("BM25 ranks the chunk with the rarer, more frequent term first", () => {
    const index = new Bm25Index();
    index.add(0, "compost heaps need turning every few weeks");
    index.add(1, "the irrigation project replaced the leaking pipes; irrigation costs rose");
    index.add(2, "the committee met to discuss the pipes");
    const results = index.search("irrigation pipes", 3);
    assert.equal(results[0].id, 1);
    assert.equal(results[1].id, 2);
    assert.equal(results.length, 2, "chunks without any query term are not returned");
    assert.deepEqual(index.search("nothing matches this", 5), []);
});

test("BM25 removal leaves exactly the scores of an index built without the chunk", () => {
    const texts = ["alpha beta gamma", "beta beta delta", "gamma epsilon alpha alpha", "delta zeta", "beta gamma zeta eta"];
    const incremental = new Bm25Index();
    texts.forEach((text, id) => incremental.add(id, text));
    incremental.remove(1, texts[1]);
    incremental.remove(3, texts[3]);
    const fresh = new Bm25Index();
    texts.forEach((text, id) => id !== 1 && id !== 3 && fresh.add(id, text));
    for (const query of ["beta", "alpha gamma", "zeta delta", "eta"]) {
        assert.deepEqual(incremental.search(query, 10), fresh.search(query, 10), query);
    }
    assert.equal(incremental.size, 3);
});

test("binary sniffing: NUL bytes and control characters are binary, UTF-8 and UTF-16 text are not", () => {
    assert.equal(looksLikeText(Buffer.from("plain text with ünïcödé — dashes\n")), true);
    assert.equal(looksLikeText(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13])), false);
    assert.equal(looksLikeText(Buffer.from([0xff, 0xfe, 0x41, 0x00, 0x42, 0x00])), true);
    assert.equal(looksLikeText(Buffer.from(Array.from({ length: 100 }, (_, i) => (i % 3 === 0 ? 1 : 65)))), false);
});

test("discovery honours nested .gitignore and excludes, skips node_modules and large files, stays inside the root", async (t) => {
    const base = await fs.mkdtemp(path.join(os.tmpdir(), "llamahome-discover-"));
    t.after(() => fs.rm(base, { recursive: true, force: true }));
    const root = path.join(base, "root");
    const write = async (rel: string, content: string | Buffer) => {
        await fs.mkdir(path.dirname(path.join(root, rel)), { recursive: true });
        await fs.writeFile(path.join(root, rel), content);
    };
    await write("keep.txt", "keep");
    await write(".gitignore", "build/\n*.log\n");
    await write("build/out.txt", "ignored");
    await write("app.log", "ignored");
    await write("sub/.gitignore", "secret.md\n");
    await write("sub/secret.md", "ignored by nested gitignore");
    await write("sub/public.md", "kept");
    await write("drafts/a.txt", "excluded by option");
    await write("node_modules/pkg/index.js", "never");
    await write("big.txt", Buffer.alloc(2048, 65));
    await write("empty.txt", "");
    await fs.writeFile(path.join(base, "outside.txt"), "outside");
    await fs.mkdir(path.join(base, "outside-dir"));
    await fs.writeFile(path.join(base, "outside-dir", "x.txt"), "outside");
    await fs.symlink(path.join(base, "outside.txt"), path.join(root, "link-out.txt"));
    await fs.symlink(path.join(base, "outside-dir"), path.join(root, "dir-out"));
    await fs.symlink(root, path.join(root, "sub", "loop"));

    const result = await discoverFiles(root, { exclude: ["drafts/"], maxFileSizeBytes: 1024 });
    assert.deepEqual(result.files.map((file) => file.path), ["keep.txt", "sub/public.md"]);
    const reasons = Object.fromEntries(result.skipped.map((skip) => [skip.path, skip.reason]));
    assert.match(reasons["build"], /ignored by \.gitignore/);
    assert.match(reasons["app.log"], /ignored by \.gitignore/);
    assert.match(reasons["sub/secret.md"], /ignored by sub\/\.gitignore/);
    assert.match(reasons["drafts"], /excluded by settings/);
    assert.match(reasons["node_modules"], /never indexed/);
    assert.match(reasons["big.txt"], /size cap/);
    assert.match(reasons["empty.txt"], /empty file/);
    assert.match(reasons["link-out.txt"], /outside the workspace/);
    assert.match(reasons["dir-out"], /outside the workspace/);
});

test("a file or folder name that is not valid UTF-8 is skipped with a readable path and what to do; the rest is discovered", async (t) => {
    const base = await fs.mkdtemp(path.join(os.tmpdir(), "llamahome-utf8-"));
    t.after(() => fs.rm(base, { recursive: true, force: true }));
    const root = path.join(base, "root");
    const bytesPath = (...parts: Buffer[]) => Buffer.concat([Buffer.from(root + path.sep), ...parts]);
    await fs.mkdir(root);
    await fs.writeFile(path.join(root, "a.txt"), "first");
    await fs.writeFile(path.join(root, "z.txt"), "last");
    await fs.writeFile(path.join(root, "\uFFFD.txt"), "a valid name holding U+FFFD itself");
    await fs.writeFile(path.join(root, ".gitignore"), "*.log\n");
    await fs.writeFile(bytesPath(Buffer.from([0x67, 0xff, 0x2e, 0x6c, 0x6f, 0x67])), "ignored whatever its name");
    await fs.writeFile(bytesPath(Buffer.from([0x66, 0xff, 0x2e, 0x74, 0x78, 0x74])), "Latin-1 era name: f\xff.txt");
    await fs.mkdir(bytesPath(Buffer.from([0x64, 0xe9])));
    await fs.writeFile(bytesPath(Buffer.from([0x64, 0xe9, 0x2f]), Buffer.from("inner.txt")), "inside a folder whose name is not UTF-8");

    const result = await discoverFiles(root);
    assert.deepEqual(result.files.map((file) => file.path), ["a.txt", "z.txt", "\uFFFD.txt"]);
    assert.deepEqual(result.skipped, [
        { path: "d\\xe9", reason: "folder name is not valid UTF-8 (rename it to index it)" },
        { path: "f\\xff.txt", reason: "file name is not valid UTF-8 (rename it to index it)" },
        { path: "g\\xff.log", reason: "ignored by .gitignore" },
    ]);
    assert.equal(readableFileName(Buffer.from([0xc3, 0xa9, 0xed, 0xa0, 0x80, 0x41, 0xf0, 0x9f, 0x90])), "é\\xed\\xa0\\x80A\\xf0\\x9f\\x90", "a surrogate and a cut sequence are bytes");
});

test("HTML text keeps blocks apart and a definition list's term with its definition", () => {
    const { text, title } = htmlToText(
        "<html><head><title>Menu &amp; sections</title><style>p { color: red }</style></head><body><h1>Sections</h1>" +
            "<dl><dt>Games/Blocks</dt>\n<dd>Tetris-like games involving <em>falling</em> blocks.</dd><dt>upstream</dt><dd><p>The source of software.</p></dd><dt>0-99:</dt><dd>Globally allocated.</dd></dl>" +
            "<p>One<br>two</p><table><tr><th>Path</th><td>/opt</td></tr></table></body></html>",
    );
    assert.equal(title, "Menu & sections");
    assert.equal(text, "Sections\nGames/Blocks: Tetris-like games involving falling blocks.\nupstream: The source of software.\n\n0-99: Globally allocated.\n\nOne\ntwo\nPath\t/opt");
    // a heading's permalink mark (Sphinx, docutils) is no part of the heading
    assert.equal(htmlToText('<h2>10.7. Version 4.5.0<a class="headerlink" href="#version-4-5-0" title="Permalink">¶</a></h2><p>Released.</p>').text, "10.7. Version 4.5.0\nReleased.");
});

test("HTML text takes linear time on hostile shapes: long runs of spaces or '<', unclosed comments, scripts, titles and rules", () => {
    // Each of these took minutes at a megabyte (quadratic rescans: 13 s for 100,000 spaces) before the patterns were made linear.
    const n = 1_000_000;
    const shapes: Record<string, string> = {
        spaces: `<p>a${" ".repeat(n)}b</p>`,
        "less-than signs": "<".repeat(n),
        "unclosed comments": "<!--".repeat(n / 4),
        "unclosed scripts": "<script>".repeat(n / 8),
        "unclosed titles and headings": "<title><h1>".repeat(n / 11),
        "unclosed rules": "<hr ".repeat(n / 4),
        "definition terms": `${":".repeat(n)}</dt>`,
    };
    for (const [shape, html] of Object.entries(shapes)) {
        const started = performance.now();
        htmlToText(html);
        const ms = performance.now() - started;
        assert.ok(ms < 2_000, `${shape}: ${Math.round(ms)} ms`);
    }
});

test("running PDF headers and footers are dropped; a line that recurs only sometimes is kept", () => {
    const pages = [1, 2, 3, 4].map((n) => `Society Annual Report - page ${n} of 4\nBody text of page ${n}.\nMore on page ${n}.\nConfidential draft ${n}`);
    const cleaned = withoutRunningHeaders(pages);
    cleaned.forEach((page, i) => {
        assert.doesNotMatch(page, /Annual Report - page/);
        assert.doesNotMatch(page, /Confidential draft/);
        assert.match(page, new RegExp(`^Body text of page ${i + 1}\\.\\nMore on page ${i + 1}\\.$`));
    });
    const varied = ["Intro\nA", "Chapter one\nB", "Chapter two\nC", "Appendix\nD"];
    assert.deepEqual(withoutRunningHeaders(varied), varied);
    assert.deepEqual(withoutRunningHeaders(pages.slice(0, 2)), pages.slice(0, 2), "two pages are too few to tell");
});

test("readRegularFile never blocks on a FIFO, refuses links out of the folder and files over the cap, on the opened file", async (t) => {
    const join = path.join;
    const base = await fs.mkdtemp(join(os.tmpdir(), "llamahome-read-"));
    t.after(() => fs.rm(base, { recursive: true, force: true }));
    const root = join(base, "root");
    await fs.mkdir(root);
    await fs.writeFile(join(root, "ok.txt"), "inside");
    await fs.writeFile(join(base, "secret.txt"), "outside");
    await fs.symlink(join(base, "secret.txt"), join(root, "out.txt"));
    await fs.symlink(join(root, "ok.txt"), join(root, "in.txt"));
    execFileSync("mkfifo", [join(root, "pipe")]);

    assert.equal((await readRegularFile(join(root, "ok.txt"), { maxBytes: 100, within: root })).toString(), "inside");
    assert.equal((await readRegularFile(join(root, "in.txt"), { maxBytes: 100, within: root })).toString(), "inside", "a link that stays inside is fine");
    const started = performance.now();
    const refusals: [string, number, RegExp][] = [
        [join(root, "pipe"), 100, /not a regular file/],
        [join(root, "out.txt"), 100, /outside the workspace folder/],
        [join(root, "ok.txt"), 3, /larger than the/],
        [join(root, "missing.txt"), 100, /no such file/],
        [root, 100, /not a regular file/],
    ];
    for (const [file, maxBytes, reason] of refusals) {
        await assert.rejects(readRegularFile(file, { maxBytes, within: root }), (error: Error) => error instanceof FileReadError && reason.test(error.message), file);
    }
    assert.ok(performance.now() - started < 2_000, "no read blocked");
});

test("zip bombs and entity declarations are refused before any XML parser sees them: declared sizes, lying headers, entry counts, DTDs", () => {
    const small = zipOf([{ name: "word/document.xml", data: Buffer.from("<w:document>hello</w:document>") }]);
    assert.doesNotThrow(() => checkZipPackage(small, "DOCX"));
    const bomb = Buffer.alloc(8 * 1024 * 1024, 0x20); // 8 MB of spaces: ~8 KB deflated
    const declared = zipOf([{ name: "word/document.xml", data: bomb }]);
    assert.throws(() => checkZipPackage(declared, "DOCX", { maxUncompressedBytes: 4 * 1024 * 1024 }), /DOCX too large when uncompressed \(8 MB > 4 MB cap\)/);
    const lying = zipOf([{ name: "word/document.xml", data: bomb, declaredSize: 100 }]);
    assert.throws(() => checkZipPackage(lying, "DOCX", { maxUncompressedBytes: 4 * 1024 * 1024 }), /DOCX too large when uncompressed \(more than 4 MB cap\)/);
    const many = zipOf(Array.from({ length: 30 }, (_, i) => ({ name: `x/${i}.xml`, data: Buffer.from("<a/>") })));
    assert.throws(() => checkZipPackage(many, "XLSX", { maxEntries: 20 }), /XLSX has 30 entries \(cap 20\)/);
    const laughs = '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "ha"><!ENTITY b "&a;&a;">]><d>&b;</d>';
    assert.throws(() => checkZipPackage(zipOf([{ name: "word/document.xml", data: Buffer.from(laughs) }]), "DOCX"), /^ExtractionError: DOCX declares XML entities in word\/document\.xml \(a DTD, which DOCX files never need\): refused/);
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(laughs.replace('?xml version="1.0"?', '?xml version="1.0" encoding="UTF-16"?'), "utf16le")]);
    assert.throws(() => checkZipPackage(zipOf([{ name: "content.xml", data: utf16 }]), "ODT"), /ODT declares XML entities in content\.xml/, "in UTF-16 too");
    const illustratorSvg = '<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY ns_svg "http://www.w3.org/2000/svg">]><svg xmlns="&ns_svg;"/>';
    assert.doesNotThrow(() => checkZipPackage(zipOf([{ name: "OEBPS/cover.svg", data: Buffer.from(illustratorSvg) }]), "EPUB"), "an image the parsers never read may declare entities");
});

test("chunk line numbers cost linear time: a 45 MB text without a newline chunks in seconds, not a minute", () => {
    const text = "word ".repeat(9 * 1024 * 1024);
    const started = performance.now();
    const chunks = chunkText({ text, format: "text" });
    const ms = performance.now() - started;
    assert.ok(chunks.length > 40_000);
    assert.ok(chunks.every((chunk) => chunk.line === 1 && chunk.endLine === 1));
    assert.ok(ms < 10_000, `chunked in ${Math.round(ms)} ms`);
});

test("a source's readable view: its chunks rebuilt in order, one page of them, the cited passage located, long texts windowed", () => {
    const text = "Title\n\nFirst page text. It says hello.\fSecond page: the answer is 42. The end.";
    const secondPage = text.indexOf("Second");
    const chunks = chunkText({ format: "pdf", text, pageStarts: [0, secondPage] }, { targetChars: 20, maxChars: 30 });
    const all = sourceView(chunks);
    for (const chunk of chunks) assert.ok(all.text.includes(chunk.text));
    const passage = text.indexOf("the answer is 42");
    const page = sourceView(chunks, { page: 2, offset: passage, length: "the answer is 42".length });
    assert.ok(!page.text.includes("hello") && page.text.includes("42"));
    const lines = page.text.split("\n");
    const { start, end } = page.selection!;
    assert.equal(start.line, end.line);
    assert.equal(lines[start.line]!.slice(start.character, end.character), "the answer is 42");
    // a passage on another page than the one shown: no selection, the page still shown
    assert.equal(sourceView(chunks, { page: 1, offset: passage, length: 5 }).selection, undefined);
    // a text far longer than the view: the part around the passage
    const long = Array.from({ length: 2000 }, (_, i) => `Paragraph ${i} of filler text.`).join("\n\n");
    const longChunks = chunkText({ format: "html", text: long }, { targetChars: 100 });
    const target = long.indexOf("Paragraph 1500 ");
    const windowed = sourceView(longChunks, { offset: target, length: 14, maxChars: 2000 });
    assert.ok(windowed.text.length <= 2000 && windowed.text.includes("Paragraph 1500 ") && !windowed.text.includes("Paragraph 10 "));
    const at = windowed.selection!.start;
    assert.equal(windowed.text.split("\n")[at.line]!.slice(at.character, at.character + 14), "Paragraph 1500");
    const lineCount = windowed.text.split("\n").length;
    assert.ok(at.line > lineCount * 0.3 && at.line < lineCount * 0.7, `the passage sits near the middle (line ${at.line} of ${lineCount})`);
});
