const wordPattern = /[\p{L}\p{N}]+/gu;
const wordCharacter = /^[\p{L}\p{N}]$/u;

// Very common English words carry no ranking signal in BM25 but cost a posting per chunk.
const stopWords = new Set(
    "a an and are as at be but by for from has have he her his i in is it its of on or our she that the their them they this to was we were what when where which who will with you your".split(" "),
);

// 1: lowercase ASCII letter or digit, 2: uppercase ASCII letter, 0: not a word character.
const asciiClass = new Uint8Array(128);
for (let c = 48; c <= 57; c++) asciiClass[c] = 1;
for (let c = 97; c <= 122; c++) asciiClass[c] = 1;
for (let c = 65; c <= 90; c++) asciiClass[c] = 2;

// Whether a BMP code unit is a letter or digit, filled on first sight: 0 unknown, 1 yes, 2 no.
const bmpWordCharacter = new Uint8Array(65536);

function isWordCharacterAt(text: string, at: number, code: number): boolean {
    if (code >= 0xd800 && code <= 0xdbff) return wordCharacter.test(text.slice(at, at + 2));
    let known = bmpWordCharacter[code];
    if (known === 0) bmpWordCharacter[code] = known = wordCharacter.test(String.fromCharCode(code)) ? 1 : 2;
    return known === 1;
}

/**
 * Search terms of a text: lowercase letter/digit runs, stop words dropped (but for a few common acronyms
 * written in capitals: "IT", "ITS", "WHO"), plurals folded ("costs" → "cost", "policies" → "policy") so a question matches the document's wording.
 */
export function tokenize(text: string): string[] {
    const terms: string[] = [];
    forEachTerm(text, (term) => terms.push(term));
    return terms;
}

/**
 * Calls `visit` with each search term of `text`, in order. The same terms as lowercasing the whole text and matching
 * /[\p{L}\p{N}]+/gu, but on char codes: indexing spends most of its time here, and the regex allocated a match per word.
 */
export function forEachTerm(text: string, visit: (term: string) => void): void {
    const length = text.length;
    let at = 0;
    while (at < length) {
        let code = text.charCodeAt(at);
        // skip to the next word character
        while (code < 128 ? asciiClass[code] === 0 : !isWordCharacterAt(text, at, code)) {
            at += code >= 0xd800 && code <= 0xdbff ? 2 : 1;
            if (at >= length) return;
            code = text.charCodeAt(at);
        }
        const start = at;
        let plain = true; // only lowercase ASCII letters and digits
        let ascii = true;
        while (at < length) {
            code = text.charCodeAt(at);
            if (code < 128) {
                const kind = asciiClass[code];
                if (kind === 0) break;
                if (kind === 2) plain = false;
                at++;
            } else {
                if (!isWordCharacterAt(text, at, code)) break;
                plain = ascii = false;
                at += code >= 0xd800 && code <= 0xdbff ? 2 : 1;
            }
        }
        const word = text.slice(start, at);
        if (plain) {
            emit(word, visit);
            // "4.5.0", "172.16.0.0": a version or an address is one term too, after its first number
            if (text.charCodeAt(at) === 46 && isDigit(text.charCodeAt(at + 1)) && isDigit(text.charCodeAt(start)) && text.charCodeAt(start - 1) !== 46) {
                const end = dottedNumberEnd(text, start);
                if (end > at) emit(text.slice(start, end), visit);
            }
        } else if (ascii) emitCapitalized(word, visit);
        // Lowercasing outside ASCII can change length or split a word ("İ" → "i" + a combining dot): split again.
        else for (const match of word.toLowerCase().matchAll(wordPattern)) emit(match[0], visit);
    }
}

function isDigit(code: number): boolean {
    return code >= 48 && code <= 57;
}

/** The end of the dotted number ("4.5.0") that starts at `start`, or where its first number ends when it has letters. */
function dottedNumberEnd(text: string, start: number): number {
    let at = start;
    while (isDigit(text.charCodeAt(at))) at++;
    const first = at;
    while (text.charCodeAt(at) === 46 && isDigit(text.charCodeAt(at + 1))) {
        at++;
        while (isDigit(text.charCodeAt(at))) at++;
    }
    // "2.0a", "1.5rc": a version with letters is matched by its parts
    if (at >= text.length) return at;
    const next = text.charCodeAt(at);
    return next < 128 ? (asciiClass[next] === 0 ? at : first) : isWordCharacterAt(text, at, next) ? first : at;
}

// Stop words that are also common acronyms: written in capitals ("ITS", "IT", "WHO", "OR", "AS"), they are kept.
const acronyms = new Set(["it", "its", "who", "or", "as", "at", "be", "he"]);

/**
 * A word with capitals, lowercased. "ITS" (Intend to Salvage), "IT" or "WHO" is what a question asks about, where
 * "its", "it" and "who" are not: a stop word that is a common acronym stays a term when written in capitals (an
 * all-caps sentence keeps "THE" and "IS" out as before).
 */
function emitCapitalized(word: string, visit: (term: string) => void): void {
    const lower = word.toLowerCase();
    if (acronyms.has(lower) && word === word.toUpperCase()) visit(lower);
    else emit(lower, visit);
}

function emit(word: string, visit: (term: string) => void): void {
    if (word.length > 40 || stopWords.has(word)) return;
    visit(foldPlural(word));
}

function foldPlural(word: string): string {
    const n = word.length;
    if (n <= 3 || word.charCodeAt(n - 1) !== 115 /* s */) return word;
    const before = word.charCodeAt(n - 2);
    if (n > 4 && before === 101 /* e */ && word.charCodeAt(n - 3) === 105 /* i */) return word.slice(0, -3) + "y";
    if (before === 115 /* s */ || before === 117 /* u */ || before === 105 /* i */) return word;
    return word.slice(0, -1);
}

/**
 * Each pair of neighbouring terms (letters only, three or more each) as the one word a document may write instead:
 * "time zone" → "timezone", "file name" → "filename". Search adds those the index has; answers count one as both words.
 */
export function compoundParts(terms: readonly string[]): Map<string, [string, string]> {
    const present = new Set(terms);
    const compounds = new Map<string, [string, string]>();
    // a pasted page as a query makes no more than this many: each is looked up in every segment
    for (let i = 1; i < terms.length && compounds.size < maxCompounds; i++) {
        const [a, b] = [terms[i - 1]!, terms[i]!];
        if (/^[a-z]{3,}$/.test(a) && /^[a-z]{3,}$/.test(b) && !present.has(a + b)) compounds.set(a + b, [a, b]);
    }
    return compounds;
}

const maxCompounds = 32;
