// Words a sentence may use for a question's verb or adjective ("on vacation" for "going on holiday", "tagged" for
// "marked"): WordNet's most common sense of each (synonyms.txt, made by tools/build-synonyms.mjs). Read once, on the
// first question that needs it.
import * as fs from "node:fs";
import * as path from "node:path";

/** The table's text and where each of its lines starts; lines are sorted by their word, so a word is found by bisection. */
let table: { text: string; lines: number[] } | undefined;

/**
 * The synonym table: beside the bundle that runs (esbuild copies it into dist/), or beside this file (tests, tsx).
 * Only the lines' starts are found at load (a few ms for 15,000 lines; a Map of them took 18–50 ms).
 */
function synonymTable(): NonNullable<typeof table> {
    if (table) return table;
    const file = path.join(__dirname, "synonyms.txt");
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch (error) {
        throw new Error(`The extractive engine's synonym table is missing (${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}); rebuild LlamaHome with \`npm run build\`, which copies it beside the bundles.`);
    }
    const lines: number[] = [];
    for (let at = 0; at < text.length; ) {
        const end = text.indexOf("\n", at);
        const next = end < 0 ? text.length : end + 1;
        if (text.charCodeAt(at) !== 35 /* # */ && next - at > 1) lines.push(at);
        at = next;
    }
    table = { text, lines };
    return table;
}

/** A word's synonyms, or undefined when the table has no line for it. */
function lookUp(word: string): string[] | undefined {
    const { text, lines } = synonymTable();
    let low = 0;
    let high = lines.length - 1;
    while (low <= high) {
        const mid = (low + high) >> 1;
        const start = lines[mid]!;
        const space = text.indexOf(" ", start);
        const key = text.slice(start, space);
        if (key === word) {
            const end = text.indexOf("\n", space);
            return text.slice(space + 1, end < 0 ? text.length : end).split(" ");
        }
        if (key < word) low = mid + 1;
        else high = mid - 1;
    }
    return undefined;
}

// Lemmas of the terms seen so far: the words of a document's sentences repeat, and each costs up to seven bisections.
const lemmaCache = new Map<string, string[]>();

/** The dictionary forms a search term may be of ("tagged" → "tag", "going" → "go"), those the table has. */
export function lemmasOf(term: string): string[] {
    let lemmas = lemmaCache.get(term);
    if (lemmas) return lemmas;
    if (lemmaCache.size >= 100_000) lemmaCache.clear();
    lemmas = dictionaryForms(term);
    lemmaCache.set(term, lemmas);
    return lemmas;
}

function dictionaryForms(term: string): string[] {
    const forms = [term];
    const undoubled = (stem: string) => (stem.length > 2 && stem[stem.length - 1] === stem[stem.length - 2] ? stem.slice(0, -1) : stem);
    if (term.endsWith("ing")) forms.push(term.slice(0, -3), `${term.slice(0, -3)}e`, undoubled(term.slice(0, -3)));
    if (term.endsWith("ed")) forms.push(term.slice(0, -2), term.slice(0, -1), undoubled(term.slice(0, -2)));
    if (term.endsWith("ied")) forms.push(`${term.slice(0, -3)}y`);
    if (term.endsWith("es")) forms.push(term.slice(0, -2));
    else if (term.endsWith("s")) forms.push(term.slice(0, -1));
    return [...new Set(forms)].filter((form) => form.length >= 3 && lookUp(form) !== undefined);
}

/** The synonyms of a term's dictionary forms. */
export function synonymsOf(term: string): Set<string> {
    const synonyms = new Set<string>();
    for (const lemma of lemmasOf(term)) for (const other of lookUp(lemma) ?? []) synonyms.add(other);
    return synonyms;
}
