// The extractive engine on the sample workspace: cited answers to the sample questions, honest "not found",
// and summaries built from the document's own sentences.
import assert from "node:assert/strict";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { Assistant } from "../server/assist/Assistant";
import { extractiveSummary } from "../server/assist/extractiveSummary";
import { splitSentences } from "../server/assist/sentences";
import type { Passage } from "../server/assist/types";
import { hasDotLeaders } from "../server/core/tableOfContents";
import { WorkspaceIndex } from "../server/core/WorkspaceIndex";

interface SampleQuestion {
    question: string;
    answerContains: string[];
    source: string;
    page?: number;
    alsoFoundIn?: string[];
}

const samples = path.join(__dirname, "..", "samples");

async function sampleIndex(t: { after: (fn: () => Promise<void>) => void }): Promise<WorkspaceIndex> {
    const cache = await fs.mkdtemp(path.join(os.tmpdir(), "llamahome-assist-"));
    const index = await WorkspaceIndex.open(path.join(samples, "workspace"), { cacheDir: cache });
    t.after(async () => {
        await index.dispose();
        await fs.rm(cache, { recursive: true, force: true });
    });
    await index.update();
    return index;
}

test("extractive answers: the sample questions are answered from, and cite, the right document", async (t) => {
    const index = await sampleIndex(t);
    const questions = JSON.parse(await fs.readFile(path.join(samples, "questions.json"), "utf8")) as SampleQuestion[];
    const assistant = new Assistant();
    const wrong: string[] = [];
    for (const q of questions) {
        const result = await assistant.ask(index, q.question, 5);
        assert.equal(result.engine, "extractive");
        const sources = [q.source, ...(q.alsoFoundIn ?? []).map((s) => s.split("#")[0])];
        const correct = result.found && q.answerContains.every((s) => result.answer.includes(s)) && result.citations.some((c) => sources.includes(c.path));
        if (!correct) wrong.push(`${q.question} → ${result.answer.slice(0, 120)}`);
        for (const citation of result.citations) {
            assert.ok(index.getDocument(citation.path), `citation points at an indexed document: ${citation.path}`);
            if (citation.path.endsWith(".pdf")) assert.ok(citation.page! >= 1 && citation.page! <= 5);
        }
    }
    // Measured 11/12 when written; a regression below 10 means the answerer got worse.
    assert.ok(wrong.length <= 2, `${questions.length - wrong.length}/${questions.length} correct; wrong:\n${wrong.join("\n")}`);
    const cost = await assistant.ask(index, "How much did the irrigation project cost in the end?", 5);
    const { offset, length, ...place } = cost.citations[0]!;
    assert.deepEqual(place, { path: "reports/annual-report-2024.pdf", page: 3 });
    // where the cited sentence is in the extracted text, for the readable view of the source
    const cited = index.getDocument(place.path)!.chunks.find((chunk) => chunk.start <= offset! && offset! < chunk.end)!;
    assert.match(cited.text.slice(offset! - cited.start, offset! - cited.start + length!), /18,420/);
});

/** The words of a text, in order: what a quoted passage and the extracted text it cites must share (Markdown link targets aside). */
function words(text: string): string[] {
    return text.replace(/\]\([^)]*\)/g, "]").replace(/(?:^|\n)[ \t]*(?:[-*+>#]+|\d+[.)])[ \t]+/g, "\n").match(/[\p{L}\p{N}]+/gu) ?? [];
}

/** Checks a passage against the index: where it says it is, the extracted text says what it quotes. */
async function assertQuotes(index: WorkspaceIndex, root: string, passage: Passage): Promise<void> {
    const label = `${passage.path}@${passage.offset}: ${passage.text.slice(0, 80)}`;
    assert.ok(!/\?["'”’)\]]*(?:\s|$)/.test(passage.text), `not a question: ${label}`);
    assert.ok(!hasDotLeaders(passage.text), `not a contents line: ${label}`);
    const chunk = index.getDocument(passage.path)!.chunks.find((c) => c.start <= passage.offset! && passage.offset! < c.end);
    assert.ok(chunk, `in an indexed chunk: ${label}`);
    const from = passage.offset! - chunk.start;
    assert.ok(passage.length! > 0 && from + passage.length! <= chunk.text.length, `within its chunk: ${label}`);
    assert.ok(passage.length! < chunk.text.length || chunk.text.length < 500, `a passage, not the whole chunk: ${label}`);
    const cited = chunk.text.slice(from, from + passage.length!);
    assert.deepEqual(words(passage.text), words(cited), `the cited text is the passage: ${label}`);
    assert.equal(passage.page, chunk.page, label);
    if (passage.line !== undefined) {
        // a text file: the cited line of the file is where the passage starts
        const lines = (await fs.readFile(path.join(root, passage.path), "utf8")).split(/\r?\n/);
        assert.ok(lines[passage.line - 1]!.includes(cited.split("\n")[0]!.trim()), `line ${passage.line}: ${label}`);
    }
}

test("extractive answers quote the top 2–3 passages from distinct places, each cited where it is", async (t) => {
    const index = await sampleIndex(t);
    const root = path.join(samples, "workspace");
    const questions = JSON.parse(await fs.readFile(path.join(samples, "questions.json"), "utf8")) as SampleQuestion[];
    let several = 0;
    for (const q of questions) {
        const result = await new Assistant().ask(index, q.question, 5);
        assert.equal(result.found, true, q.question);
        const passages = result.passages ?? [];
        assert.ok(passages.length >= 1 && passages.length <= 3, `${q.question}: ${passages.length} passages`);
        if (passages.length >= 2) several++;
        // the answer's own place comes first
        const [own] = passages;
        const [citation] = result.citations;
        assert.equal(own!.path, citation!.path, q.question);
        assert.ok(own!.offset! < citation!.offset! + citation!.length! && citation!.offset! < own!.offset! + own!.length!, `${q.question}: the first passage is the answer's`);
        for (const passage of passages) await assertQuotes(index, root, passage);
        // distinct places: other documents, or well apart in the same one
        for (const [i, a] of passages.entries()) {
            for (const b of passages.slice(i + 1)) {
                if (a.path !== b.path) continue;
                const gap = Math.max(a.offset!, b.offset!) - Math.min(a.offset! + a.length!, b.offset! + b.length!);
                assert.ok(gap >= 200, `${q.question}: ${a.path} quoted twice ${gap} characters apart`);
            }
        }
    }
    // Measured 9/12 when written: the shed, the water main and the plot register have one place among the retrieved
    // chunks that covers the question, and a passage that does not is never quoted to make up the number.
    assert.ok(several >= 8, `${several}/${questions.length} answers quote two or more passages`);
});

test("an answer's passages leave out questions and tables of contents, even where those match the question best", async (t) => {
    const root = await fs.mkdtemp(path.join(os.tmpdir(), "llamahome-passages-"));
    t.after(() => fs.rm(root, { recursive: true, force: true }));
    await fs.writeFile(path.join(root, "handbook.md"), [
        "# Contents", "", "1. Water meters and the water charge per cubic metre ........ 3", "2. Compost bins and what may be composted ........ 7", "",
        "# Water", "", "Each plot has its own water meter, read by the Water Officer every October.",
        "The water charge is £1.20 per cubic metre, added to the next rent invoice.", "",
    ].join("\n"));
    await fs.writeFile(path.join(root, "faq.md"), "# Questions\n\nWhat is the water charge per cubic metre for a water meter?\n\nThe water charge for a metered plot went up in 2024; the Treasurer has the meter readings.\n");
    await fs.writeFile(path.join(root, "minutes.txt"), "Water. The committee agreed that the water charge stays at £1.20 per cubic metre of water used, as read from each plot's meter.\n");
    const index = await WorkspaceIndex.open(root, { cacheDir: path.join(root, ".cache") });
    t.after(() => index.dispose());
    await index.update();
    const result = await new Assistant().ask(index, "What is the water charge per cubic metre for a water meter?", 5);
    assert.equal(result.found, true);
    const passages = result.passages ?? [];
    assert.ok(passages.length >= 2, JSON.stringify(passages));
    for (const passage of passages) await assertQuotes(index, root, passage);
    assert.ok(passages.some((p) => p.path === "minutes.txt" && /£1\.20/.test(p.text)), JSON.stringify(passages));
    assert.ok(passages.some((p) => p.path === "handbook.md" && /£1\.20/.test(p.text)), JSON.stringify(passages));
});

test("extractive answers say so when the documents do not contain the answer", async (t) => {
    const index = await sampleIndex(t);
    for (const question of ["What is the capital of Mongolia?", "Who won the 1998 football world cup?", "How do I configure a Kubernetes ingress?", "What?"]) {
        const result = await new Assistant().ask(index, question, 5);
        assert.equal(result.found, false, question);
        assert.deepEqual(result.citations, []);
        assert.equal(result.passages, undefined, "nothing quoted when nothing answers");
        assert.match(result.answer, /do not appear to contain the answer/);
    }
});

test("a question written in the documents (a FAQ, one's own notes) is never given as the answer to it", async (t) => {
    const root = await fs.mkdtemp(path.join(os.tmpdir(), "llamahome-question-"));
    t.after(() => fs.rm(root, { recursive: true, force: true }));
    await fs.writeFile(path.join(root, "todo.md"), "# Things to find out\n\nWhen does dinstall run?\n\nAsk the ftpmasters about the archive.\n");
    await fs.writeFile(path.join(root, "archive.md"), "# The archive\n\nThe dinstall job runs four times a day, at 01:52, 07:52, 13:52 and 19:52 UTC.\n");
    const index = await WorkspaceIndex.open(root, { cacheDir: path.join(root, ".cache") });
    t.after(() => index.dispose());
    await index.update();
    const result = await new Assistant().ask(index, "When does dinstall run?", 5);
    assert.equal(result.found, true);
    assert.doesNotMatch(result.answer, /\?/);
    assert.match(result.answer, /four times a day/);
    assert.equal(result.citations[0]?.path, "archive.md");
    // nor quoted as a passage
    assert.ok(result.passages?.length, "found answers quote passages");
    for (const passage of result.passages!) assert.doesNotMatch(passage.text, /\?/);
    assert.equal(result.passages![0]!.path, "archive.md");
});

test("extractive summaries are made of the document's own sentences, in order, without near-duplicates", async () => {
    const text = await fs.readFile(path.join(samples, "workspace", "notes", "irrigation-project.md"), "utf8");
    const summary = extractiveSummary(text);
    const flattened = text.replace(/[*_`]/g, "").replace(/\s+/g, " ");
    const sentences = splitSentences(summary).map((s) => s.text);
    assert.ok(sentences.length >= 3 && sentences.length <= 10, `${sentences.length} sentences`);
    let last = -1;
    for (const sentence of sentences) {
        const at = flattened.indexOf(sentence.slice(0, 40));
        assert.ok(at >= 0, `from the document: ${sentence}`);
        assert.ok(at > last, "in document order");
        last = at;
    }
    assert.ok(summary.length < text.length / 3);
    assert.equal(extractiveSummary(text), summary, "deterministic");
    assert.equal(extractiveSummary("Short note without much in it"), "Short note without much in it");
});

test("extractive summaries never quote a table of contents", () => {
    const contents = ["Contents", "1. Introduction to the allotment society and its rules ............ 3", "2. Water supply, meters and the charges for each plot ............ 7",
        "3. Compost bins, heaps and what may be composted on site ............ 12", "4. Sheds, greenhouses and polytunnels on the plots ............ 15"].join("\n");
    const prose = Array.from({ length: 12 }, (_, i) => `The society keeps plot ${i + 1} under the rules that the committee sets for every plot holder each year.`).join(" ");
    const summary = extractiveSummary(`${contents}\n\n${prose}`);
    assert.doesNotMatch(summary, /\.{4}/);
    assert.match(summary, /plot/);
});
