// `llamahome eval retrieval`: the figures on a workspace whose answers are known, the dataset's errors, and the
// benchmark's small slice of real Debian manuals (PDF, EPUB, HTML), fetched with apt-get download.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import type { RetrievalResult } from "../shared/results";
import { containsPhrase } from "../server/eval/evaluateRetrieval";
import { parseJson, runCli } from "./helpers/cli";

async function scratch(t: { after: (fn: () => Promise<void>) => void }): Promise<{ base: string; env: NodeJS.ProcessEnv }> {
    const base = await fs.mkdtemp(path.join(os.tmpdir(), "llamahome-retrieval-"));
    t.after(() => fs.rm(base, { recursive: true, force: true }));
    return { base, env: { LLAMAHOME_RESULTS_DIR: path.join(base, "results"), XDG_CACHE_HOME: path.join(base, "xdg") } };
}

const line = (record: Record<string, unknown>) => JSON.stringify(record);

/** A folder "docs" under `base` with the notes on hens and the seed store's key that the questions ask about, and `more`. */
async function allotmentNotes(base: string, more: Record<string, string> = {}): Promise<string> {
    const root = path.join(base, "docs");
    await fs.mkdir(root);
    const notes = {
        "hens.md": "# Poultry\n\nNo more than six hens may be kept on one plot. Cockerels are not allowed.\n",
        "keys.txt": "The key to the seed store is kept at the lodge. The lodge opens on Saturdays.\n",
        ...more,
    };
    for (const [name, text] of Object.entries(notes)) await fs.writeFile(path.join(root, name), text);
    return root;
}

test("eval retrieval ranks each question's document and answer, and computes recall, MRR, nDCG and answer-contains", async (t) => {
    const { base, env } = await scratch(t);
    const root = await allotmentNotes(base, { "fires.md": "# Bonfires\n\nBonfires may be lit only in November, after dusk, and never near the hedges.\n" });
    const dataset = path.join(base, "questions.jsonl");
    await fs.writeFile(dataset, [
        line({ root: "docs", question: "How many hens can a plot have?", path: "hens.md", answer: "six hens", kind: "number" }),
        line({ root: "docs", question: "Where is the seed store key kept?", path: "keys.txt", answer: "at the lodge", kind: "definition" }),
        "",
        // a question whose answer is elsewhere than the dataset says: it counts as a miss at every k
        line({ root: "docs", question: "In which month may bonfires be lit?", path: "keys.txt", answer: "December", kind: "date" }),
    ].join("\n"));

    const run = await runCli(["eval", "retrieval", "--dataset", dataset, "--cache-dir", path.join(base, "cache"), "--json"], { env });
    const result = parseJson<RetrievalResult>(run);
    assert.equal(result.retrieval, "bm25");
    assert.equal(result.engine, "extractive");
    assert.deepEqual(result.roots.map((r) => [path.basename(r.root), r.documents, r.failed]), [["docs", 3, 0]]);
    assert.deepEqual(result.questions.map((q) => [q.line, q.rankDocument, q.rankPlace, q.contains]), [[1, 1, 1, true], [2, 1, 1, true], [4, undefined, undefined, false]]);
    assert.deepEqual(result.questions[2].top, { path: "fires.md" });
    const { overall } = result;
    assert.equal(overall.questions, 3);
    assert.deepEqual(overall.document, { recallAt1: 0.6667, recallAt5: 0.6667, mrr: 0.6667, ndcgAt10: 0.6667 });
    assert.equal(overall.answerContains, 0.6667);
    assert.ok(overall.searchP95Ms >= overall.searchP50Ms && overall.searchP50Ms >= 0);
    assert.deepEqual(Object.keys(result.byKind), ["date", "definition", "number"]);
    assert.equal(result.byKind.date.document.recallAt1, 0);
    assert.equal(result.byKind.number.answerContains, 1);

    // saved for the dashboard; the table names what missed
    const saved = JSON.parse(await fs.readFile(path.join(base, "results", "latest-retrieval.json"), "utf8")) as { kind: string; result: RetrievalResult };
    assert.equal(saved.kind, "retrieval");
    assert.equal(saved.result.questions.length, 3);
    const table = await runCli(["eval", "retrieval", "--dataset", dataset, "--cache-dir", path.join(base, "cache")], { env });
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^all\s+3\s+66\.7\s+66\.7 0\.667 0\.667/m);
    assert.match(table.stdout, /line 4: In which month may bonfires be lit\? → want keys\.txt, top fires\.md/);

    // --compare names what changed since an earlier run, question by question
    const before = path.join(base, "before.json");
    await fs.writeFile(before, run.stdout);
    await fs.writeFile(path.join(root, "hens.md"), "# Poultry\n\nNo more than seven hens may be kept on one plot. Cockerels are not allowed.\n");
    const compared = await runCli(["eval", "retrieval", "--dataset", dataset, "--cache-dir", path.join(base, "cache"), "--compare", before], { env });
    assert.equal(compared.code, 0, compared.stderr);
    assert.match(compared.stdout, /Compared with .*before\.json \(3 questions in both\):\n {2}answer holds the phrase {2}\+0 −1; lost lines 1\n {2}right document first {5}\+0 −0\n/);
    const comparedJson = parseJson<RetrievalResult & { comparison: unknown }>(await runCli(["eval", "retrieval", "--dataset", dataset, "--cache-dir", path.join(base, "cache"), "--compare", path.join(base, "results", "latest-retrieval.json"), "--json"], { env }));
    assert.deepEqual(comparedJson.comparison, { questions: 3, answers: { gained: [], lost: [] }, documentAt1: { gained: [], lost: [] }, placeAt1: { gained: [], lost: [] }, refused: { gained: [], lost: [] }, unmatched: 0 });
    await fs.writeFile(path.join(base, "not-results.json"), "{}");
    const refused = await runCli(["eval", "retrieval", "--dataset", dataset, "--compare", path.join(base, "not-results.json")], { env });
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /--compare: .*not-results\.json holds no retrieval results; give the output of an earlier `eval retrieval --json`/);
});

test("a question no document answers counts apart: refused, or answered wrongly, and never ranked", async (t) => {
    const { base, env } = await scratch(t);
    const root = await allotmentNotes(base);
    const dataset = path.join(base, "questions.jsonl");
    await fs.writeFile(dataset, [
        line({ root: "docs", question: "How many hens can a plot have?", path: "hens.md", answer: "six hens", kind: "number" }),
        line({ root: "docs", question: "What is the capital of Mongolia?", unanswerable: true, kind: "unanswerable" }),
        line({ root: "docs", question: "What colour is the seed store key?", unanswerable: true, kind: "unanswerable" }),
    ].join("\n"));
    const cache = path.join(base, "cache");
    const run = await runCli(["eval", "retrieval", "--dataset", dataset, "--cache-dir", cache, "--json"], { env });
    const result = parseJson<RetrievalResult>(run);
    assert.equal(result.overall.questions, 1, "the ranks and answers are those of the questions a document answers");
    assert.deepEqual(Object.keys(result.byKind), ["number"]);
    assert.deepEqual(result.unanswerable, { questions: 2, refused: 0.5 });
    assert.deepEqual(result.questions.map((q) => [q.line, q.refused, q.rankDocument, q.contains]), [[1, undefined, 1, true], [2, true, undefined, undefined], [3, false, undefined, undefined]]);
    const table = await runCli(["eval", "retrieval", "--dataset", dataset, "--cache-dir", cache], { env });
    assert.match(table.stdout, /Questions no document answers: 2, refused 50\.0%/);
    assert.match(table.stdout, /Answered, though no document answers them \(1\):\n {2}line 3: What colour is the seed store key\? → "The key to the seed store is kept at the lodge\./);
    assert.doesNotMatch(table.stdout, /line 2: What is the capital/);
    // the key's sentence gone, that question is refused too: --compare says so
    const before = path.join(base, "before.json");
    await fs.writeFile(before, run.stdout);
    await fs.writeFile(path.join(root, "keys.txt"), "The lodge opens on Saturdays.\n");
    const compared = parseJson<RetrievalResult & { comparison: { refused: unknown } }>(await runCli(["eval", "retrieval", "--dataset", dataset, "--cache-dir", cache, "--compare", before, "--json"], { env }));
    assert.deepEqual(compared.comparison.refused, { gained: [3], lost: [] });
    // such a question names no place and no phrase
    await fs.writeFile(path.join(base, "bad.jsonl"), line({ root: "docs", question: "q", unanswerable: true, path: "hens.md" }));
    const bad = await runCli(["eval", "retrieval", "--dataset", path.join(base, "bad.jsonl")], { env });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /line 1: a question no document answers has no "path", "page", "alsoIn" or "answer"/);
});

test("a place is a page: a PDF question counts at page level only when the hit is on that page", async (t) => {
    const { base, env } = await scratch(t);
    const samples = path.join(__dirname, "..", "samples", "workspace");
    const dataset = path.join(base, "pdf.jsonl");
    await fs.writeFile(dataset, [
        line({ root: samples, question: "What was the total cost of the irrigation project?", path: "reports/annual-report-2024.pdf", page: 3, answer: "18,420" }),
        line({ root: samples, question: "What was the total cost of the irrigation project?", path: "reports/annual-report-2024.pdf", page: 1 }),
    ].join("\n"));
    const result = parseJson<RetrievalResult>(await runCli(["eval", "retrieval", "--dataset", dataset, "--cache-dir", path.join(base, "cache"), "--json"], { env }));
    const [right, wrong] = result.questions;
    assert.equal(right.rankDocument, 1);
    assert.equal(right.rankPlace, 1);
    assert.equal(right.contains, true);
    assert.equal(wrong.rankDocument, 1);
    assert.notEqual(wrong.rankPlace, 1, "page 1 does not state the cost");
    assert.equal(wrong.contains, undefined, "no phrase, no answer check");
    assert.equal(result.overall.answered, 1);
});

test("eval retrieval: a bad dataset line is named, a missing root says how to fetch it, --dataset is required", async (t) => {
    const { base, env } = await scratch(t);
    await fs.mkdir(path.join(base, "docs"));
    const cases: [string, RegExp][] = [
        [`${line({ root: "docs", question: "q", path: "a.md" })}\n{oops`, /bad\.jsonl line 2: not valid JSON/],
        [line({ root: "docs", question: "q", path: "a.md", page: 0 }), /line 1: "page" must be a whole number ≥ 1/],
        [line({ root: "docs", path: "a.md" }), /line 1: "question" must be a non-empty string/],
        [line({ root: "nowhere", question: "q", path: "a.md" }), /line 1: root .*nowhere is not a folder \(see the dataset's README/],
        ["\n\n", /has no questions/],
    ];
    for (const [text, message] of cases) {
        await fs.writeFile(path.join(base, "bad.jsonl"), text);
        const run = await runCli(["eval", "retrieval", "--dataset", path.join(base, "bad.jsonl")], { env });
        assert.equal(run.code, 2, run.stderr);
        assert.match(run.stderr, message);
    }
    const missing = await runCli(["eval", "retrieval"], { env });
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--dataset F\.jsonl is required/);
});

test("an answer contains the phrase whatever its case, spacing, quotes and dashes", () => {
    assert.ok(containsPhrase("The field is  OPTIONAL.", "optional"));
    assert.ok(containsPhrase("runs every 15\nminutes", "15 minutes"));
    assert.ok(containsPhrase("the “Maintainer” field – required", '"maintainer" field - required'));
    assert.ok(!containsPhrase("six hen", "six hens"));
});

test("the benchmark's slice of real Debian manuals (PDF, EPUB, HTML): figures stay at what was measured", { timeout: 600_000 }, async (t) => {
    const { base, env } = await scratch(t);
    const fetched = spawnSync(process.execPath, [path.join(__dirname, "..", "tools", "fetch-debian-docs.mjs"), "--slice"], { encoding: "utf8", timeout: 400_000 });
    assert.equal(fetched.status, 0, `fetching the Debian documentation packages failed: ${fetched.stderr}`);
    const dataset = path.join(__dirname, "fixtures", "retrieval", "debian-slice.jsonl");
    const result = parseJson<RetrievalResult>(await runCli(["eval", "retrieval", "--dataset", dataset, "--cache-dir", path.join(base, "cache"), "--json"], { env, timeoutMs: 400_000 }));
    assert.equal(result.roots[0].failed, 0);
    assert.equal(result.roots[0].documents, 3);
    const { overall } = result;
    const report = JSON.stringify(overall);
    // Floors a little under this slice's measured figures (README): a change that loses ranking or answers fails here.
    assert.ok(overall.document.recallAt1 >= SLICE_FLOORS.documentAt1, report);
    assert.ok(overall.place.recallAt1 >= SLICE_FLOORS.placeAt1, report);
    assert.ok((overall.answerContains ?? 0) >= SLICE_FLOORS.answerContains, report);
    assert.ok((result.unanswerable?.refused ?? 0) >= SLICE_FLOORS.refused, JSON.stringify(result.unanswerable));
});

// Measured: 13/14 right document first, 12/14 right page first, 8/14 answers with the phrase, 6 of the 8 questions no
// document answers refused; each floor allows one loss.
const SLICE_FLOORS = { documentAt1: 0.85, placeAt1: 0.78, answerContains: 0.5, refused: 0.62 };
