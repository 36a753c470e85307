/** A sentence of a document with its character offset, so an answer built from it can cite a line. */
export interface Sentence {
    text: string;
    start: number;
}

/**
 * Splits prose into sentences. Line breaks that end a heading, a list item or a table row also end a
 * sentence, so Markdown structure does not glue unrelated text together.
 */
export function splitSentences(text: string): Sentence[] {
    const sentences: Sentence[] = [];
    const blocks = /[^\n]+(?:\n(?![ \t]*(?:[-*+#>|]|\d+[.)]\s|\n))[^\n]+)*/g;
    for (const block of text.matchAll(blocks)) {
        const boundary = /[.!?…]+["')\]”’]*\s+(?=["'(\[“‘]?[\p{Lu}\p{N}])/gu;
        let start = 0;
        const add = (end: number) => {
            const raw = block[0].slice(start, end);
            const trimmed = raw.trim();
            if (trimmed) sentences.push({ text: trimmed.replace(/\s+/g, " "), start: block.index + start + (raw.length - raw.trimStart().length) });
        };
        const ends: number[] = [];
        for (const match of block[0].matchAll(boundary)) {
            if (!isAbbreviation(block[0].slice(Math.max(0, match.index - 4), match.index + 1))) ends.push(match.index + match[0].length);
        }
        // A short line without closing punctuation before a capitalised one is a heading (PDF and DOCX text keep
        // headings as plain lines): it ends there rather than opening the next sentence.
        for (const match of block[0].matchAll(/(?<=^|\n)([^\n]{1,60})\n(?=[\p{Lu}])/gu)) {
            if (!/[.,;:!?…"”’)\]-]\s*$/.test(match[1])) ends.push(match.index + match[0].length);
        }
        for (const end of [...new Set(ends)].sort((a, b) => a - b)) {
            add(end);
            start = end;
        }
        add(block[0].length);
    }
    return sentences;
}

function isAbbreviation(tail: string): boolean {
    return /\b(?:Mr|Mrs|Ms|Dr|St|No|vs|etc|e\.g|i\.e|approx|p|pp)\.$/i.test(tail.trim());
}

/** Strips Markdown decoration so extracted sentences read as prose. */
export function plainSentence(text: string): string {
    return text
        .replace(/^\s*(?:#+|[-*+>]|\d+[.)])\s+/, "")
        .replace(/\[([^\]]+)\]\([^)]*\)/g, "$1")
        .replace(/[*_`]{1,3}([^*_`]+)[*_`]{1,3}/g, "$1")
        .trim();
}
