// The extractive engine on the sample workspace: cited answers to the sample questions, honest "not found",
// and summaries built from the document's own sentences.
import assert from "node:assert/strict";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import type { ChatTurn } from "../shared/protocol";
import { Assistant } from "../server/assist/Assistant";
import { definedTerm, definitionPattern } from "../server/core/definitions";
import { extractiveSummary } from "../server/assist/extractiveSummary";
import { llmAnswer } from "../server/assist/llmAnswer";
import { splitSentences } from "../server/assist/sentences";
import type { TextGenerator } from "../server/assist/TextGenerator";
import { notFoundAnswer, type Passage } from "../server/assist/types";
import { HybridSearch } from "../server/core/HybridSearch";
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
    // Measured 12/12 (11/12 before definition lists and light stems); below 11 means the answerer got worse.
    assert.ok(wrong.length <= 1, `${questions.length - wrong.length}/${questions.length} correct; wrong:\n${wrong.join("\n")}`);
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
    // A passage may run on into the next chunk (answers are read across a chunk's edge, on to the next page); it cites
    // the page it starts on.
    const chunks = index.getDocument(passage.path)!.chunks;
    const first = chunks.findIndex((c) => c.start <= passage.offset! && passage.offset! < c.end);
    assert.ok(first >= 0, `in an indexed chunk: ${label}`);
    const end = passage.offset! + passage.length!;
    let last = first;
    while (chunks[last]!.end < end && chunks[last + 1] && chunks[last + 1]!.start < end) last++;
    const span = chunks.slice(first, last + 1);
    assert.ok(passage.length! > 0 && end <= span[span.length - 1]!.end, `within the chunks it cites: ${label}`);
    const chunk = span[0]!;
    assert.ok(span.length > 1 || passage.length! < chunk.text.length || chunk.text.length < 500, `a passage, not the whole chunk: ${label}`);
    // the chunks' text laid out at their offsets (the whitespace between them as line breaks)
    const text = span.reduce((joined, c) => joined + "\n".repeat(c.start - chunk.start - joined.length) + c.text, "");
    const from = passage.offset! - chunk.start;
    const cited = text.slice(from, from + passage.length!);
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

test("a follow-up is answered from its conversation's subject: alone it finds the wrong document or nothing, with the history the right one", async (t) => {
    const index = await sampleIndex(t);
    const assistant = new Assistant();
    // The turns as the chat view keeps them: each question with the answer it got.
    const turn = async (question: string): Promise<ChatTurn> => ({ question, answer: (await assistant.ask(index, question, 5)).answer });
    const pipe = await turn("What pipe was used for the new water main?");
    const cost = await turn("How much did the irrigation project cost in the end?");

    // "it" is the water main: alone, the question's own words find a wire mesh buried "thirty centimetres deep" in the minutes
    const alone = await assistant.ask(index, "How deep was it laid?", 5);
    assert.doesNotMatch(alone.answer, /75 centimetres/);
    assert.ok(!alone.citations.some((c) => c.path === "notes/irrigation-project.md"), JSON.stringify(alone.citations));
    const deep = await assistant.ask(index, "How deep was it laid?", 5, { history: [pipe] });
    assert.equal(deep.found, true);
    assert.match(deep.answer, /laid at a depth of at least 75 centimetres/);
    assert.equal(deep.citations[0]?.path, "notes/irrigation-project.md");
    assert.equal(deep.passages?.[0]?.path, "notes/irrigation-project.md");
    assert.notEqual(deep.answer, pipe.answer, "a new answer, not the previous one again");

    // "that" names nothing at all: alone not found; after the cost question, the date the project was completed
    assert.equal((await assistant.ask(index, "When was that?", 5)).found, false);
    const when = await assistant.ask(index, "When was that?", 5, { history: [cost] });
    assert.equal(when.found, true);
    assert.match(when.answer, /completed on 23 August 2024/);
    assert.deepEqual(when.citations.map(({ path, page }) => ({ path, page })), [{ path: "reports/annual-report-2024.pdf", page: 3 }]);

    // the subject is the last questions': an older, unrelated turn does not take over
    const mongolia: ChatTurn = { question: "What is the capital of Mongolia?", answer: notFoundAnswer };
    assert.match((await assistant.ask(index, "How deep was it laid?", 5, { history: [mongolia, pipe] })).answer, /75 centimetres/);
    // a question that names its own subject is answered as it would be without the conversation
    const hens = "How many hens may be kept on one allotment plot?";
    assert.deepEqual(
        (await assistant.ask(index, hens, 5, { history: [pipe, cost] })).citations,
        (await assistant.ask(index, hens, 5)).citations,
    );
});

test("a follow-up on a subject the documents lack is still not found, whatever its own words match", async (t) => {
    const index = await sampleIndex(t);
    const assistant = new Assistant();
    const mongolia: ChatTurn = { question: "What is the capital of Mongolia?", answer: notFoundAnswer };
    // "How deep was it laid?" alone answers (wrongly) from the minutes, "Who paid for it?" from the rent rules: their
    // own words are in the documents, but what "it" is is not
    for (const question of ["How deep was it laid?", "Who paid for it?", "When was that?", "When was it finished?"]) {
        const result = await assistant.ask(index, question, 5, { history: [mongolia] });
        assert.equal(result.found, false, question);
        assert.deepEqual(result.citations, [], question);
        assert.equal(result.passages, undefined, question);
    }
    // nor does a carried subject the documents have stand in for one a new question names and they lack
    const fence: ChatTurn = { question: "How much has the 2025 budget set aside for replacing the east boundary fence?", answer: "£2,400" };
    assert.equal((await assistant.ask(index, "What is the capital of Mongolia?", 5, { history: [fence] })).found, false);
    assert.equal((await assistant.ask(index, "What is the capital of Mongolia?", 5, { context: "The Trading Hut made a surplus of £573 on sales of £2,315" })).found, false);
});

test("selected text gives a question without a subject its subject", async (t) => {
    const index = await sampleIndex(t);
    const assistant = new Assistant();
    assert.equal((await assistant.ask(index, "Who is he?", 5)).found, false);
    const he = await assistant.ask(index, "Who is he?", 5, { context: "Colin Pritchard" });
    assert.equal(he.found, true);
    assert.match(he.answer, /independent examiner, Colin Pritchard/);
    assert.deepEqual(he.citations.map(({ path, page }) => ({ path, page })), [{ path: "reports/annual-report-2024.pdf", page: 3 }]);
    // a longer selection: its most characteristic terms carry the subject
    const culvert = await assistant.ask(index, "Where was it found?", 5, { context: "Most of the delay came from the discovery of a forgotten brick culvert." });
    assert.equal(culvert.found, true);
    assert.match(culvert.answer, /under the main path/);
    assert.equal(culvert.citations[0]?.path, "notes/irrigation-project.md");
});

test("the model reads the conversation and the selection before the question; over budget the oldest turns go first, then the selection is shortened", async (t) => {
    const index = await sampleIndex(t);
    const [hit] = index.search("blue MDPE pipe laid depth 75 centimetres", 1);
    assert.ok(hit);
    const history: ChatTurn[] = [1, 2, 3].map((n) => ({ question: `Question number ${n} about the water main?`, answer: `Answer number ${n}: ${"the pipe runs along the main path. ".repeat(6)}` }));
    const context = `Selected: ${"About 620 metres of blue MDPE pipe were laid. ".repeat(20)}`;
    const question = "How deep was it laid?";
    const prompts: string[] = [];
    const stops: string[][] = [];
    // Counts a token a byte, as the tiny test models do; answers citing the first source.
    const generator = (contextSize: number): TextGenerator => ({
        modelName: "recording", contextSize,
        countTokens: (text) => Promise.resolve(Buffer.byteLength(text)),
        generate: (request) => {
            prompts.push(request.prompt);
            stops.push(request.stop ?? []);
            return Promise.resolve({ text: "At least 75 centimetres [1].", generatedTokens: 8, promptTokens: Buffer.byteLength(request.prompt), cancelled: false });
        },
    });
    const ask = async (contextSize: number, turns: ChatTurn[], selection?: string) => {
        const result = await llmAnswer(generator(contextSize), question, [hit], { history: turns, ...(selection === undefined ? {} : { context: selection }) });
        assert.equal(result.found, true);
        assert.deepEqual(result.citations.map((c) => c.path), [hit.path]);
        return prompts.at(-1)!;
    };

    const full = await ask(100_000, history, context);
    const at = (text: string) => full.indexOf(text);
    assert.ok(at(`Sources:\n[1] ${hit.path}`) > 0 && at(hit.chunk.text) > 0);
    const turns = history.map((turn) => `Q: ${turn.question}\nA: ${turn.answer}`).join("\n");
    assert.ok(at(hit.chunk.text) < at(`Conversation so far:\n${turns}\n`), "the conversation, oldest first, after the sources");
    assert.ok(at("Conversation so far:") < at(`Selected text:\n"""\n${context}\n"""`), "then the selection");
    assert.ok(at("Selected text:") < at(`Question: ${question}\nAnswer:`) && full.endsWith(`Question: ${question}\nAnswer:`), "then the question");
    assert.ok(stops.at(-1)!.includes("\nQ:"), "the model does not write the next turn");
    assert.doesNotMatch(await ask(100_000, []), /Conversation so far|Selected text/, "without them, the prompt is as before");

    // contextSize = prompt + 256 output tokens + 32 for the chat template: exactly the room for that prompt
    const room = async (turns: ChatTurn[], selection?: string) => Buffer.byteLength(await ask(100_000, turns, selection)) + 256 + 32;
    const lastTwo = await ask(await room(history.slice(1), context), history, context);
    assert.ok(!lastTwo.includes(history[0]!.question) && lastTwo.includes(history[1]!.question) && lastTwo.includes(history[2]!.question), "the oldest turn went first");
    assert.ok(lastTwo.includes(context), "the selection is whole while turns can go");
    const shortened = await ask((await room([], context)) - 300, history, context);
    assert.doesNotMatch(shortened, /Conversation so far/, "every turn went before the selection was cut");
    const selected = /Selected text:\n"""\n([^]*?)\n"""/.exec(shortened)?.[1];
    assert.ok(selected && selected.endsWith("…") && context.startsWith(selected.slice(0, -1)) && selected.length < context.length - 300, `shortened: ${selected?.length}`);
    assert.ok(shortened.includes(hit.chunk.text), "the source is whole");
    assert.ok(Buffer.byteLength(shortened) <= (await room([], context)) - 300 - 256 - 32, "within the budget");
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

test("a question that asks what a term means is answered from the place that defines it, not the passages that use it most", async (t) => {
    const root = await fs.mkdtemp(path.join(os.tmpdir(), "llamahome-definition-"));
    t.after(() => fs.rm(root, { recursive: true, force: true }));
    for (let i = 0; i < 8; i++) {
        await fs.writeFile(path.join(root, `visit-${i}.md`), `# Visit ${i}\n\nThe curator met us. The curator showed room ${i}, and the curator's assistant, also a curator, spoke of the museum's curator.\n`);
    }
    const glossary = ["archive: where records are kept.", "catalogue: the list of every object held.", "curator: the person who looks after a collection and decides what it keeps.", "loan: an object lent to another museum.", "provenance: the history of an object's owners."];
    await fs.writeFile(path.join(root, "glossary.md"), `# Words used here\n\n${glossary.join("\n")}\n`);
    const index = await WorkspaceIndex.open(root, { cacheDir: path.join(root, ".cache") });
    t.after(() => index.dispose());
    await index.update();
    const question = "What is a curator in this museum?";
    assert.ok(!index.search(question, 3).some((hit) => hit.path === "glossary.md"), "BM25 alone ranks the glossary below the visits");
    const result = await new Assistant().ask(index, question, 3);
    assert.equal(result.found, true);
    assert.match(result.answer, /looks after a collection/);
    assert.equal(result.citations[0]?.path, "glossary.md");
    // search, too, puts the passage that defines the term first (one folder's HybridSearch: the CLI's, the editor's)
    const searched = await new HybridSearch(index).search(question, 3);
    assert.equal(searched.hits[0]?.path, "glossary.md");
    assert.equal((await new HybridSearch(index).search("Who met us at the museum?", 3)).hits[0]?.path.startsWith("visit-"), true);

    assert.equal(definedTerm("How does the manual define the term upstream?"), "upstream");
    assert.equal(definedTerm("What does the abbreviation ITS stand for?"), "its");
    assert.equal(definedTerm("When does dinstall run?"), undefined);
    // how one thing differs from another: what the first is (its abbreviation left out; its qualifier kept)
    assert.equal(definedTerm("How does a Debian Maintainer (DM) differ from a Debian Developer when it comes to uploading?"), "debian maintainer");
    assert.equal(definedTerm("How do files in /var/tmp differ from those in /tmp?"), "files in /var/tmp");
    assert.ok(definitionPattern("debian maintainer").test("Debian Developer (DD): a member.\nDebian Maintainer (DM): a person with limited upload rights."));
    assert.ok(definitionPattern("its").test("Intend to Salvage (ITS)"));
    assert.ok(definitionPattern("virtual package").test("A virtual package is a name that several packages may provide."));
    assert.ok(!definitionPattern("curator").test("The curator met us."));
    // a word in brackets after a name is no abbreviation the name expands
    assert.ok(!definitionPattern("upstream").test("The latest version may be found on FHS (upstream)."));
    // what a thing is for defines it: the name without its generic noun, a numbered heading, "is reserved for"
    assert.equal(definedTerm("What is the /opt directory meant for?"), "/opt directory");
    assert.equal(definedTerm("What are hooks used for?"), "hooks");
    const opt = definitionPattern("/opt directory");
    assert.ok(opt.test("3.13. /opt : Add-on application software packages"));
    assert.ok(opt.test("/opt is reserved for the installation of add-on application software packages."));
    assert.ok(opt.test("The /opt directory is meant for add-ons."));
    assert.ok(!opt.test("/opt/bin is for local use.") && !opt.test("Programs in /usr/opt are rare."));
    // only a name loses its generic noun: a plain word does not ("virtual: New adventure virtual package…" is a changelog line)
    assert.ok(!definitionPattern("virtual package").test("virtual: New adventure virtual package for the game."));
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
