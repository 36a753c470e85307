const wordPattern = /[\p{L}\p{N}]+/gu;

// Very common English words carry no ranking signal in BM25 but cost a posting per chunk.
const stopWords = new Set(
    "a an and are as at be but by for from has have he her his i in is it its of on or our she that the their them they this to was we were what when where which who will with you your".split(" "),
);

/**
 * Search terms of a text: lowercase letter/digit runs, stop words dropped, plurals folded
 * ("costs" → "cost", "policies" → "policy") so a question matches the document's wording.
 */
export function tokenize(text: string): string[] {
    const terms: string[] = [];
    for (const match of text.toLowerCase().matchAll(wordPattern)) {
        const word = match[0];
        if (stopWords.has(word) || word.length > 40) continue;
        terms.push(foldPlural(word));
    }
    return terms;
}

function foldPlural(word: string): string {
    if (word.length > 4 && word.endsWith("ies")) return word.slice(0, -3) + "y";
    if (word.length > 3 && word.endsWith("s") && !word.endsWith("ss") && !word.endsWith("us") && !word.endsWith("is")) {
        return word.slice(0, -1);
    }
    return word;
}
