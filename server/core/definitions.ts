// "What is a sponsor?", "How does the manual define the term upstream?", "What does ITS stand for?": a question that
// asks what a term means is answered by the place that defines it — a glossary's "sponsor: a person who…", a
// sentence "A sponsor is…", an expansion "Intend to Salvage (ITS)" — which BM25 ranks below passages that merely use
// the term often. These find the term asked about and recognise text that defines it.

const qualifier = /\s+(?:in|for|within|according to|as used in|as defined in)\s+.*$/i;

/** The term a question asks to be defined (lower case), when it asks that; at most four words. */
export function definedTerm(question: string): string | undefined {
    const q = question.trim().replace(/[?？]+$/, "").trim();
    const quoted = /["“'‘]([^"”'’]{2,40})["”'’]/.exec(q)?.[1];
    const match =
        // "What is the /opt directory meant for?", "What are hooks used for?": what a thing is for defines it too
        /^what\s+(?:is|are)\s+(?:an?\s+|the\s+)?(.+?)\s+(?:meant|used|intended|reserved|designed|there)\s+for$/i.exec(q) ??
        /\bdefines?\s+(?:the\s+)?(?:term|word|phrase|notion|concept)?\s*(.+)$/i.exec(q) ??
        /^what\s+(?:does|do)\s+(?:the\s+)?(?:abbreviation|acronym|term|word|phrase)?\s*(.+?)\s+(?:mean|stand\s+for)\b/i.exec(q) ??
        /^what\s+(?:is|are)\s+(?:meant\s+by\s+)?(?:an?\s+|the\s+)?(.+)$/i.exec(q) ??
        /^(?:define|explain)\s+(?:the\s+)?(?:term\s+)?(.+)$/i.exec(q);
    // "How does a Debian Maintainer (DM) differ from a Debian Developer…?": what the first is says how ("files in /var/tmp"
    // is no "files": the words after it are kept)
    const differs = /^how\s+(?:does|do|is|are)\s+(?:an?\s+|the\s+)?(.+?)\s+(?:differ|different)\s+from\b/i.exec(q)?.[1];
    const term = (quoted ?? differs ?? match?.[1]?.replace(qualifier, ""))?.replace(/\s*\([^)]{1,20}\)/g, "").replace(/["“”'‘’]/g, "").trim().toLowerCase();
    if (!term || term.split(/\s+/).length > 4 || !/\p{L}/u.test(term)) return undefined;
    return term;
}

function escaped(text: string): string {
    return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/\s+/g, "\\s+");
}

/**
 * Text that defines `term`: a glossary or field line "term: …", "term — …", a sentence "A term is/are/means/refers
 * to …", "… is called a term", or an abbreviation's expansion "… (TERM)", "TERM is shorthand for …". Plurals count
 * ("sponsors are").
 */
export function definitionPattern(term: string): RegExp {
    // "the /opt directory" is defined where "/opt" is: a generic noun after a name (a path, a file or field name: not a
    // plain word, or "virtual package" would be defined wherever "virtual:" opens a line) may be left out
    const named = /^(\S*[^\p{L}\s]\S*)\s+(?:directory|folder|file|field|package|command|option|variable|section|tag|value)$/iu.exec(term)?.[1];
    const t = `${named ? `${escaped(named)}(?:\\s+${escaped(term.slice(named.length).trim())})?` : escaped(term)}s?`;
    // \b before a name that starts with a word character; "/opt" starts with none
    const start = /^\w/.test(term) ? "\\b" : "(?<![\\w/])";
    return new RegExp(
        [
            `(?:^|\\n|[.;]\\s)\\s*(?:[\\d.]+\\s+)?(?:[-*•]\\s*)?(?:an?\\s+|the\\s+)?${t}\\s*(?:\\([^)\\n]{1,20}\\)\\s*)?(?::|—|–|\\s-\\s)\\s*\\S`,
            `${start}${t}\\s+(?:is|are|means|refers\\s+to|denotes|stands\\s+for)\\s+(?:an?|the|any|one|those|that|when|software|where)\\b`,
            `${start}${t}\\s+(?:is|are|was)\\s+(?:short(?:hand)?\\s+for|an?\\s+(?:abbreviation|acronym)\\s+(?:for|of))\\b`,
            `${start}${t}\\s+(?:is|are)\\s+(?:(?:only|mainly|primarily)\\s+)?(?:reserved|used|meant|intended|designed)\\s+for\\b`,
            `\\b(?:is|are)\\s+called\\s+(?:an?\\s+|the\\s+)?${t}(?![\\w/])`,
            // an abbreviation's expansion, "Intend to Salvage (ITS)": a word in brackets after a name is no abbreviation
            // ("… may be found on FHS (upstream)")
            ...(/^[\p{L}\p{N}]{1,6}$/u.test(term) ? [`\\w[\\w\\s-]{3,60}\\(\\s*${t}\\s*\\)`] : []),
        ].join("|"),
        "i",
    );
}

/**
 * Definitions are looked for this deep in a ranking, and at most this many moved first. A term a manual uses everywhere
 * has its definition far down: the Policy's "upstream: The source of software…" is BM25's 55th for "How does the Policy
 * Manual define the term upstream?" (80 instead of 40: +1 answer on the Debian benchmark, none lost).
 */
export const definitionDepth = 80;
const definitionsMoved = 2;

/**
 * A ranking with, when the query asks what a term means, the best two of its first `definitionDepth` items whose text
 * defines the term (a glossary line, "X is a…", an expansion) moved first: BM25 ranks them below passages that use the
 * term more often. Any other query's ranking is returned as it is.
 */
export function definitionsFirst<T>(query: string, ranked: readonly T[], textOf: (item: T) => string): readonly T[] {
    const term = definedTerm(query);
    if (!term) return ranked;
    const defines = definitionPattern(term);
    const definers: T[] = [];
    for (const item of ranked.slice(0, definitionDepth)) {
        if (defines.test(textOf(item))) definers.push(item);
        if (definers.length === definitionsMoved) break;
    }
    return definers.length === 0 ? ranked : [...definers, ...ranked.filter((item) => !definers.includes(item))];
}
