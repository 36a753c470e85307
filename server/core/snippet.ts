import { tokenize } from "./tokenize";

/** A short, single-line excerpt of `text` around the first place the query's terms occur. */
export function makeSnippet(text: string, query: string, width = 240): string {
    const terms = new Set(tokenize(query));
    let anchor = -1;
    for (const match of text.matchAll(/[\p{L}\p{N}]+/gu)) {
        if (terms.has(tokenize(match[0])[0] ?? "")) {
            anchor = match.index;
            break;
        }
    }
    let start = anchor < 0 ? 0 : Math.max(0, anchor - Math.floor(width / 3));
    if (start > 0) {
        const space = text.indexOf(" ", start);
        if (space >= 0 && space < anchor) start = space + 1;
    }
    const end = Math.min(text.length, start + width);
    const body = text.slice(start, end).replace(/\s+/g, " ").trim();
    return `${start > 0 ? "…" : ""}${body}${end < text.length ? "…" : ""}`;
}
