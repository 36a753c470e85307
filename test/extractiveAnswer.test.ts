// The extractive engine on kinds of answer that a sentence-by-sentence reading misses: an answer just past the edge of
// the chunk that matched, a list whose items are long, a field's line and the paragraph it heads, and a sentence that
// holds the question's words side by side rather than scattered over its neighbours. Real files, a real index.
import assert from "node:assert/strict";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { withAdjacentText } from "../server/assist/adjacentText";
import { citationFor } from "../server/assist/extractiveAnswer";
import { benchPdf } from "../server/eval/benchDocuments";
import { Assistant } from "../server/assist/Assistant";
import { lightStem } from "../server/assist/matching";
import { rowText, tableRows } from "../server/assist/tableRows";
import type { Chunk } from "../server/core/types";
import { WorkspaceIndex, type IndexHit } from "../server/core/WorkspaceIndex";

async function indexOf(t: { after: (fn: () => Promise<void>) => void }, files: Record<string, string | Buffer>): Promise<WorkspaceIndex> {
    const root = await fs.mkdtemp(path.join(os.tmpdir(), "llamahome-answer-"));
    t.after(() => fs.rm(root, { recursive: true, force: true }));
    for (const [name, text] of Object.entries(files)) await fs.writeFile(path.join(root, name), text);
    const index = await WorkspaceIndex.open(root, { cacheDir: path.join(root, ".cache") });
    t.after(() => index.dispose());
    await index.update();
    return index;
}

/** Six notes on something else, each `sentence` and its number (from `first`): they make the question's other words known. */
const otherNotes = (sentence: string, first = 20) =>
    Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`note-${i}.md`, `# Note ${i}\n\n${sentence}, number ${i + first}.\n`]));

const filler = (topic: string, sentences: number) =>
    Array.from({ length: sentences }, (_, i) => `Note ${i + 1} on ${topic} describes one more detail of how the terminal behaves for ordinary users.`).join(" ");

test("an answer that runs on past the edge of its chunk is read from the next chunk, cited where it is", async (t) => {
    const lead = `${filler("terminals", 12)} From the command line you can switch to virtual console 3 with the following command:`;
    const command = "    chvt 3\n    (Alt-F3 does the same on a text console; in a graphical session press Ctrl-Alt-F3 to reach tty3.)";
    const index = await indexOf(t, { "consoles.md": `${lead}\n\n${command}\n\n${filler("keyboards", 9)}\n` });
    const chunks = index.getDocument("consoles.md")!.chunks;
    assert.ok(chunks.length >= 2 && !chunks[0]!.text.includes("chvt"), "the command starts the second chunk");
    const [hit] = index.search("switch virtual console 3 command line", 1);
    assert.deepEqual(index.adjacentChunks(hit!).after?.start, chunks[1]!.start);
    assert.equal(index.adjacentChunks(hit!).before, undefined);

    const result = await new Assistant().ask(index, "Which command switches to virtual console 3 from the command line?", 1);
    assert.equal(result.found, true);
    assert.match(result.answer, /following command: chvt 3/);
    const citation = result.citations[0]!;
    const text = await fs.readFile(path.join(index.root, "consoles.md"), "utf8");
    assert.match(text.slice(citation.offset!, citation.offset! + citation.length!), /^From the command line.*\n\n\s+chvt 3\n/s);
    assert.equal(citation.line, 1);

    // once the file changed, a hit found before reads no neighbours from the new version
    await fs.writeFile(path.join(index.root, "consoles.md"), `${text}\n${filler("mice", 20)}\n`);
    await index.update();
    assert.deepEqual(index.adjacentChunks(hit!), {});
});

test("the chunk before is read on the hit's page, the chunk after on its page or the next, each passage citing its own page", () => {
    const chunk = (start: number, text: string, page: number): Chunk => ({ start, end: start + text.length, text, page });
    const hit = { path: "a.pdf", score: 1, bm25: 1, snippet: "", chunk: chunk(10, "Middle.", 2), document: { path: "a.pdf" } } as IndexHit;
    const sameBefore = chunk(0, "Before.", 2);
    assert.equal(withAdjacentText(hit, { before: chunk(0, "Before.", 1), after: chunk(20, "After.", 4) }), hit);
    const widened = withAdjacentText(hit, { before: sameBefore, after: chunk(20, "After.", 4) });
    assert.deepEqual(widened.chunk, { start: 0, end: 17, text: "Before.\n\n Middle.", page: 2 });
    assert.equal(widened.chunk.text.indexOf("Middle."), hit.chunk.start - sameBefore.start);

    const onward = withAdjacentText(hit, { after: chunk(20, "After.", 3) });
    assert.equal(onward.chunk.text, "Middle.\n\n After.");
    assert.deepEqual(citationFor(onward, 0, 7), { path: "a.pdf", page: 2, offset: 10, length: 7 });
    assert.deepEqual(citationFor(onward, onward.chunk.text.indexOf("After."), 6), { path: "a.pdf", page: 3, offset: 20, length: 6 });
});

test("steps announced at the foot of a PDF page are read from the top of the next", async (t) => {
    const filler = (topic: string) => Array.from({ length: 6 }, (_, i) => `Paragraph ${i + 1} about ${topic} says a little more about how members of the project keep in touch with each other.`);
    const pdf = benchPdf("Developer's guide", [
        { heading: "Leaving the project", paragraphs: [...filler("membership"), "If you choose to leave the project, you should make sure you take the following steps:"] },
        { heading: "Retiring, continued", paragraphs: ["Orphan all your packages. Remove yourself from the uploaders of team packages. Ask for your key to be removed from the keyring.", ...filler("keyrings")] },
    ]);
    const index = await indexOf(t, { "guide.pdf": pdf });
    const pages = index.getDocument("guide.pdf")!.chunks;
    assert.ok(pages.some((c) => c.page === 1) && pages.some((c) => c.page === 2), "two pages");
    const result = await new Assistant().ask(index, "Which steps should you take when leaving the project?", 3);
    assert.match(result.answer, /following steps: .*Orphan all your packages/);
    assert.equal(result.citations[0]?.page, 1);
});

test("a list of long items is answered with the start of each item", async (t) => {
    const item = (label: string, what: string) => `${label}: Packages ${what}, described here at some length so that the item alone is a long paragraph of the list. Removing one may break the system in ways that are hard to repair.`;
    const index = await indexOf(t, {
        "priorities.md": [
            "# Priorities",
            "Each package has a priority. The following priority levels are recognized by the package tools.",
            item("required", "necessary for the proper functioning of the system"),
            item("important", "that one would expect to find on any Unix-like system"),
            item("standard", "that make up a reasonably small character-mode system"),
            item("optional", "that are all the rest of the archive"),
        ].join("\n\n"),
    });
    const result = await new Assistant().ask(index, "Which priority levels are recognized by the package tools?", 3);
    assert.equal(result.found, true);
    for (const label of ["required", "important", "standard", "optional"]) assert.match(result.answer, new RegExp(`${label}: Packages .*…`));
    assert.ok(result.answer.length < 700, result.answer);
});

test("a field's line with a short value is answered with the paragraph it heads", async (t) => {
    const index = await indexOf(t, {
        "tests.md": "# Test control\n\nTests are listed in the control file, one stanza per test.\n\nTest-Command: shell command\n\nGive one line here instead of a script. Quoting follows the usual rules. It will be run under bash -e.\n\nRestrictions: list of words\n\nEach restriction changes how the test is run.\n",
    });
    const result = await new Assistant().ask(index, "Under which shell is a Test-Command run?", 3);
    assert.match(result.answer, /^Test-Command: shell command Give one line .* bash -e\.$/);
});

test("the line of the field a question names answers before prose that uses the same words", async (t) => {
    const index = await indexOf(t, { "control.md": "# Control fields\n\nA field for the homepage is not always needed.\n\nHomepage: optional.\n" });
    const result = await new Assistant().ask(index, "Is the Homepage field required?", 3);
    assert.match(result.answer, /^Homepage: optional\./);
});

test("a sentence with the question's words side by side answers before neighbours that hold them scattered", async (t) => {
    const index = await indexOf(t, {
        "dependencies.md": "# Dependencies\n\nEvery library that is shared must be declared by the package that uses it. Essential packages need no declared dependency; their control file has them marked.\n",
        "libraries.md": "# Libraries\n\nA shared library package must not be tagged essential, so that it can be removed once it is superseded.\n",
        // "marked" is used elsewhere too, so the sentence without it still covers most of the question
        "bugs.md": "# Bugs\n\nSome bugs are marked done, others are marked new.\n",
    });
    const result = await new Assistant().ask(index, "Can a shared library package be marked as essential?", 3);
    assert.match(result.answer, /^A shared library package must not be tagged essential/);
});

test("a table's row answers with its columns' names: HTML rows of tab-separated cells, DOCX rows of one cell a line", async (t) => {
    const index = await indexOf(t, {
        "split.html": "<html><body><h1>Multiarch</h1><p>A library source is split into packages as follows.</p><table>" +
            "<tr><th>Package</th><th>Architecture</th><th>Multi-Arch</th></tr>" +
            "<tr><td>libfoo1</td><td>any</td><td>same</td></tr>" +
            "<tr><td>libfoo-tools</td><td>any</td><td>foreign</td></tr>" +
            "<tr><td>libfoo-doc</td><td>all</td><td>foreign</td></tr></table></body></html>",
    });
    const result = await new Assistant().ask(index, "Which Multi-Arch does the libfoo-tools package have?", 3);
    assert.equal(result.answer, "Package: libfoo-tools; Architecture: any; Multi-Arch: foreign");
    const citation = result.citations[0]!;
    const text = index.documentText("split.html")!;
    assert.equal(text.slice(citation.offset!, citation.offset! + citation.length!), "libfoo-tools\tany\tforeign");
    assert.deepEqual(result.passages?.[0]?.text, result.answer);

    // what the DOCX extractor makes of a table (mammoth: a paragraph per cell), cut by a chunk's start or not
    const docx = "changed as follows:\n\nOld path\n\ti386 path\n\tamd64 path\n\n/lib/\n\t/lib/i386-linux-gnu/\n\t/lib/x86_64-linux-gnu/\n\n/usr/lib/\n\t/usr/lib/i386-linux-gnu/\n\t/usr/lib/x86_64-linux-gnu/";
    const rows = tableRows(docx);
    assert.deepEqual(rows.map(rowText), [
        "Old path: /lib/; i386 path: /lib/i386-linux-gnu/; amd64 path: /lib/x86_64-linux-gnu/",
        "Old path: /usr/lib/; i386 path: /usr/lib/i386-linux-gnu/; amd64 path: /usr/lib/x86_64-linux-gnu/",
    ]);
    assert.equal(docx.slice(rows[1]!.start, rows[1]!.end), "/usr/lib/\n\t/usr/lib/i386-linux-gnu/\n\t/usr/lib/x86_64-linux-gnu/");
    const cut = docx.slice(docx.indexOf("/lib/\n"));
    assert.deepEqual(tableRows(cut).map(rowText), ["/lib/ | /lib/i386-linux-gnu/ | /lib/x86_64-linux-gnu/", "/usr/lib/ | /usr/lib/i386-linux-gnu/ | /usr/lib/x86_64-linux-gnu/"]);
    // prose with a tab in it is no table
    assert.deepEqual(tableRows("One line\twith a tab.\nAnother line."), []);
});

test("a sentence that writes two of the question's words as one counts as having both", async (t) => {
    const index = await indexOf(t, {
        "clocks.md": "# Clocks\n\nThe system clock keeps UTC. The timezone database is kept in /usr/share/zoneinfo, one file per region.\n",
        "misc.md": "# Misc\n\nThere is a time for everything. Each zone of the garden is kept apart.\n",
    });
    const result = await new Assistant().ask(index, "Where is the time zone database kept?", 3);
    assert.match(result.answer, /^The timezone database is kept in \/usr\/share\/zoneinfo/);
});

test("a version in the question is matched whole, and a section's heading says what its sentences are about", async (t) => {
    const index = await indexOf(t, {
        "checklist.md": [
            "Upgrading checklist",
            "10.6. Version 4.6.0\n\nReleased May, 2022.\n\nPackages may install files into /usr/lib64 again.\n\nThe doc-base registration is now recommended for manuals.",
            "10.7. Version 4.5.0\n\nReleased January, 2020.\n\nThe menu system is deprecated.\n\nThe doc-base registration is now optional, from being recommended.",
            "10.8. Version 4.0.5\n\nReleased April, 2017.\n\nDesktop files replace menu entries.\n\nThe doc-base registration is required for HTML manuals.",
        ].join("\n\n"),
    });
    const released = await new Assistant().ask(index, "When was version 4.5.0 released?", 3);
    // a short answer reads with the heading it sits under
    assert.equal(released.answer, "10.7. Version 4.5.0 Released January, 2020.");
    const optional = await new Assistant().ask(index, "What changed about doc-base registration in version 4.5.0?", 3);
    assert.match(optional.answer, /doc-base registration is now optional/);
});

test("a question that names the kind of its answer gets a passage of that kind: a version string, a length with its unit", async (t) => {
    const index = await indexOf(t, {
        "versions.md": "# Local builds\n\nBefore the official 1.0.1-1 upload you may make a local experimental build to test the packaging. For smoother upgrades, give that local build a version string such as 1.0.1-1~rc1. The official 1.0.1-1 upload then replaces the local experimental build.\n",
        "synopsis.md": "# Descriptions\n\nThe description of a package has two parts, the single line synopsis and the long description. The single line synopsis should be kept brief, certainly under 80 characters.\n",
    });
    const version = await new Assistant().ask(index, "What version string is suggested for a local experimental build made before the official 1.0.1-1 upload?", 3);
    assert.match(version.answer, /1\.0\.1-1~rc1/);
    const length = await new Assistant().ask(index, "How long may the single line synopsis of a package description be?", 3);
    assert.match(length.answer, /under 80 characters/);
});

test("a question for a level, a priority or an ID gets a passage with a number that the question does not say", async (t) => {
    const index = await indexOf(t, {
        "managers.md": "# Window managers\n\nSince version 4.6 each window manager registers an alternative with a priority, and that priority "
            + "decides which window manager the alternative uses by default. New window managers start at a priority of 40.\n",
    });
    const result = await new Assistant().ask(index, "What priority should a new window manager alternative use since version 4.6?", 3);
    assert.match(result.answer, /priority of 40/);
});

test("a question for the allowed values or keywords gets a passage that lists some", async (t) => {
    const index = await indexOf(t, {
        "uploads.md": "# Uploads\n\nThe urgency of an upload is the value of the Urgency field in its changes file; the values allowed there are separated by commas.\n",
        "checklist.md": "# Checklist\n\nSince version 3.9 the Urgency field of a changes file allows low, medium, high, critical or emergency.\n",
        ...otherNotes("Each value in this note is a plain value for the garden", 0),
    });
    const result = await new Assistant().ask(index, "Which values are allowed in the Urgency field of a changes file?", 3);
    assert.match(result.answer, /low, medium, high, critical or emergency/);
});

test("a table's row is read with the sentence that introduces its table", async (t) => {
    const table = (rows: string[][]) => rows.map((cells) => cells.join("\t")).join("\n");
    const index = await indexOf(t, {
        "multiarch.html": `<html><body><p>The old layout kept every tool in one package, as in this example:</p><table>${table([["Package", "Multi-Arch:"], ["libfoo-tools", "same"], ["libfoo-doc", "same"]]).split("\n").map((row) => `<tr>${row.split("\t").map((cell) => `<td>${cell}</td>`).join("")}</tr>`).join("")}</table><p>Here are some typical multiarch package split scenario examples, with the Multi-Arch value each package gets:</p><table>${table([["Package", "Multi-Arch:"], ["libfoo-tools", "foreign"], ["libfoo-doc", "foreign"]]).split("\n").map((row) => `<tr>${row.split("\t").map((cell) => `<td>${cell}</td>`).join("")}</tr>`).join("")}</table></body></html>`,
    });
    const result = await new Assistant().ask(index, "In the multiarch package split example, what Multi-Arch value does libfoo-tools get?", 3);
    assert.match(result.answer, /Multi-Arch: foreign/);
});

test("a number the question says alone is not matched by a section number that starts with it", async (t) => {
    const index = await indexOf(t, {
        "upgrading.md": "# Upgrading checklist\n\n11.8.5: Font packages for the X Window System must now declare a dependency on xutils.\n\n"
            + "11.5: The desktop menu entries moved to the menu package.\n",
        ...otherNotes("How to change the plan for the garden"),
    });
    const result = await new Assistant().ask(index, "How do I change the desktop wallpaper in Windows 11?", 3);
    assert.equal(result.found, false, result.answer);
});

test("a PDF table's line is a row of its own, read with its column names and the caption under it", async (t) => {
    // as pdf.js leaves a DocBook manual's table: no cells, the column names first, the caption last
    const index = await indexOf(t, {
        "network.txt": "5.1.3 The network address range for the LAN\n\nThese address ranges are kept for local networks, by class.\n"
            + "Class network addresses net mask\nA 10.x.x.x 255.0.0.0\nB 172.16.x.x 255.255.0.0\nC 192.168.0.x 255.255.255.0\n"
            + "Table 5.2: List of private network address ranges\n\nNote that IPv6 addresses are written with colons.\n",
    });
    const result = await new Assistant().ask(index, "Which private address range is kept for class B networks?", 3);
    assert.match(result.answer, /^B 172\.16\.x\.x 255\.255\.0\.0 \(List of private network address ranges\)$/);
    assert.equal(lightStem("gathering"), lightStem("gather"));
});

test("a sentence that says the question's verb in other words, or its word in another form, still answers it", async (t) => {
    const index = await indexOf(t, {
        "away.md": "# Being away\n\nWhen you travel to a conference, mail the travel list before going. When you will be on vacation, mail the private list with [VAC] in the subject.\n",
        "manuals.md": "# History\n\nRegistering manuals by hand in the documentation index was the old way.\n\n# Manuals today\n\nThe registration of manuals with the documentation index is optional now.\n",
    });
    const away = await new Assistant().ask(index, "Which list do I mail when going on holiday?", 3);
    assert.match(away.answer, /\[VAC\]/);
    const manuals = await new Assistant().ask(index, "Is registering manuals with the documentation index still required?", 3);
    assert.match(manuals.answer, /is optional now/);
});

test("an answer ends where its section does: the next section's heading is left out", async (t) => {
    const index = await indexOf(t, {
        "consoles.md": "Virtual consoles\n\nThere are six consoles on the host. You can change to console 3 from the shell.\n\n$ chvt 3\n\nLeaving the shell\n\nType exit and press Enter to close it.\n",
    });
    const result = await new Assistant().ask(index, "Which command changes to console 3 from the shell?", 3);
    assert.match(result.answer, /chvt 3/);
    assert.doesNotMatch(result.answer, /Leaving the shell/);
});

test("a sentence read with its neighbours is read under its section's heading too", async (t) => {
    const index = await indexOf(t, {
        "maintainers.md": "# Team handbook\n\n## Gathering information on inactive maintainers\n\nPeople are sometimes away for a while. If no reply comes within four weeks, "
            + "a response will probably not happen. Then you should start to gather what you can about them.\n",
        ...otherNotes("A long wait for the garden plan"),
    });
    const result = await new Assistant().ask(index, "How long should you wait for an inactive maintainer before you start gathering information about them?", 3);
    assert.match(result.answer, /four weeks/);
});

test("a question that says \"when\" inside a clause asks for no date", async (t) => {
    const index = await indexOf(t, {
        "roles.md": "# Roles\n\nDebian Maintainer (DM): a person with limited upload rights to the archive.\n",
        "history.md": "# History\n\nOn 5 May 2007 the project decided that a Debian Developer may upload any package, and a Debian Maintainer uploads after review.\n",
        ...otherNotes("What comes of the garden plan may differ"),
    });
    const result = await new Assistant().ask(index, "How does a Debian Maintainer (DM) differ from a Debian Developer when it comes to uploading?", 3);
    assert.match(result.answer, /limited upload rights/);
    const dated = await new Assistant().ask(index, "When was it decided that a Debian Developer may upload any package?", 3);
    assert.match(dated.answer, /5 May 2007/);
});

test("a table's row is read with the last two sentences of the paragraph before its table", async (t) => {
    const index = await indexOf(t, {
        "network.txt": "Let us recall the IPv4 address ranges in each class reserved for use on the local area networks (LANs) by rfc1918.\n"
            + "These addresses never conflict with any on the Internet.\n\n"
            + "Class network addresses net mask\nA 10.x.x.x 255.0.0.0\nB 172.16.x.x 255.255.0.0\nC 192.168.0.x 255.255.255.0\n"
            + "Table 5.2: List of network address ranges\n",
        ...otherNotes("A private note on the garden plan"),
    });
    const result = await new Assistant().ask(index, "Which private IPv4 address range is reserved for class B local networks?", 3);
    assert.match(result.answer, /^B 172\.16\.x\.x 255\.255\.0\.0 \(List of network address ranges\)$/);
});

test("a question for a date prefers a whole date, with its year, to a day and month alone", async (t) => {
    const index = await indexOf(t, {
        "history.md": "# History\n\nThe garden plan came out in its version 2.0 on February 14, after the committee had met twice.\n",
        "versions.md": "# Versions\n\nThe plan's version 2.0 was released on 19 March 2015.\n",
        ...otherNotes("A note on the hedges, of no date"),
    });
    const result = await new Assistant().ask(index, "On what date was version 2.0 of the garden plan released?", 3);
    assert.match(result.answer, /19 March 2015/);
});

test("a line's tag in the question ('prefixed with I:') is matched, and an inflected word is known when its base form is", async (t) => {
    const index = await indexOf(t, {
        "checks.md": "# Using lintian\n\nRun lintian on your changes file. The output of the lintian command uses these flags:\n\n"
            + "E: for error; a sure policy violation or packaging error.\n"
            + "W: for warning; a possible policy violation or packaging error.\n"
            + "I: for info; information on certain aspects of packaging.\n\n"
            + "When you see warnings, tune the package to avoid them.\n",
        ...otherNotes("What this note may signify for the garden plan, by the prefix of its message"),
    });
    const result = await new Assistant().ask(index, "What does a lintian message prefixed with I: signify in its output?", 3);
    assert.match(result.answer, /^I: for info; information on certain aspects of packaging/);
});

test("a question for when something is mandatory gets the condition that makes it so, said with 'must'", async (t) => {
    const index = await indexOf(t, {
        "fields.md": "# Fields\n\nThe format of each entry is the same as for the Maintainer field. This is normally an optional field, but if the Maintainer "
            + "field names a group of people, the Uploaders field must be present.\n",
        "changes.md": "# Changes in 4.0\n\nThe comma separating entries in Uploaders is now must rather than should.\n",
        ...otherNotes("What may become of the garden plan"),
    });
    const result = await new Assistant().ask(index, "When does the Uploaders field become mandatory rather than optional?", 3);
    assert.match(result.answer, /if the Maintainer field names a group of people, the Uploaders field must be present/);
});
