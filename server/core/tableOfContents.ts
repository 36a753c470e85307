// Tables of contents: lines like "3.2 Getting started ........ 17". They repeat every heading of a document, so a
// contents page matched any query about the document better than the section that answers it, and its lines made
// summaries of nothing but titles and page numbers.

/** Four or more leader dots (or spaced dots, ellipses, middle dots) — what a contents line has and prose does not. */
const leaders = /(?:\.\s?){4,}|…{2,}|(?:·\s?){4,}/;
/** A contents line: leaders, then a page number or reference at the end. */
const contentsLine = /(?:(?:\.\s?){4,}|…{2,}|(?:·\s?){4,})\s*[\divxlcIVXLC]+\s*$/;

export function hasDotLeaders(text: string): boolean {
    return leaders.test(text);
}

/** The text without its contents lines; the same string when it has none (the common case costs one scan). */
export function withoutContentsLines(text: string): string {
    if (!hasDotLeaders(text)) return text;
    return text.split("\n").filter((line) => !contentsLine.test(line)).join("\n");
}
