// Words a sentence may use for a question's verb or adjective ("on vacation" for "going on holiday", "tagged" for
// "marked"): WordNet's most common sense of each (synonyms.txt, made by tools/build-synonyms.mjs). Read once, on the
// first question that needs it.
import * as fs from "node:fs";
import * as path from "node:path";

let table: Map<string, readonly string[]> | undefined;

/** The synonym table: beside the bundle that runs (esbuild copies it into dist/), or beside this file (tests, tsx). */
function synonymTable(): Map<string, readonly string[]> {
    if (table) return table;
    const file = path.join(__dirname, "synonyms.txt");
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch (error) {
        throw new Error(`The extractive engine's synonym table is missing (${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}); rebuild LlamaHome with \`npm run build\`, which copies it beside the bundles.`);
    }
    table = new Map();
    for (const line of text.split("\n")) {
        if (!line || line.startsWith("#")) continue;
        const [word, ...others] = line.split(" ");
        table.set(word!, others);
    }
    return table;
}

/** The dictionary forms a search term may be of ("tagged" → "tag", "going" → "go"), those the table has. */
export function lemmasOf(term: string): string[] {
    const known = synonymTable();
    const forms = [term];
    const undoubled = (stem: string) => (stem.length > 2 && stem[stem.length - 1] === stem[stem.length - 2] ? stem.slice(0, -1) : stem);
    if (term.endsWith("ing")) forms.push(term.slice(0, -3), `${term.slice(0, -3)}e`, undoubled(term.slice(0, -3)));
    if (term.endsWith("ed")) forms.push(term.slice(0, -2), term.slice(0, -1), undoubled(term.slice(0, -2)));
    if (term.endsWith("ied")) forms.push(`${term.slice(0, -3)}y`);
    if (term.endsWith("es")) forms.push(term.slice(0, -2));
    else if (term.endsWith("s")) forms.push(term.slice(0, -1));
    return [...new Set(forms)].filter((form) => form.length >= 3 && known.has(form));
}

/** The synonyms of a term's dictionary forms. */
export function synonymsOf(term: string): Set<string> {
    const known = synonymTable();
    const synonyms = new Set<string>();
    for (const lemma of lemmasOf(term)) for (const other of known.get(lemma) ?? []) synonyms.add(other);
    return synonyms;
}
