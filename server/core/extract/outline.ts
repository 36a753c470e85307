import type { OutlineEntry } from "../types";

// Titles and outlines, whatever format they come from: cleaned, bounded and cut to the top two levels here, so every
// extractor hands the index the same small shape.

export const maxOutlineEntries = 40;
const maxTitleChars = 120;
/** Headings read from a document before the rest are ignored: a bound on work for hostile files, far past real ones. */
export const maxHeadingsRead = 5_000;

/** A heading as a format gives it: any depth (1 = top), maybe with a reference that resolves to a page later. */
export interface RawHeading {
    title: string;
    depth: number;
}

// Front and back matter a reader does not want listed as what a document covers.
const notContent = /^(?:(?:table of )?contents|index|title page|cover|copyright|list of (?:figures|tables|listings|examples))$/i;

/** Whitespace collapsed, cut to a readable length; undefined when nothing is left. */
export function cleanTitle(raw: string): string | undefined {
    const title = raw.replace(/\s+/g, " ").trim();
    if (!title) return undefined;
    return title.length <= maxTitleChars ? title : `${title.slice(0, maxTitleChars - 1).trimEnd()}…`;
}

/**
 * A title from a document's metadata, or undefined when it says nothing: empty, "Untitled", a file name or a slug
 * ("developers-reference"), or the "Microsoft Word - report.docx" that printing to PDF leaves behind.
 */
export function metadataTitle(raw: unknown): string | undefined {
    if (typeof raw !== "string") return undefined;
    const title = cleanTitle(raw.replace(/^Microsoft (?:Word|PowerPoint|Excel) - /, ""));
    if (!title || /^(?:untitled|title|cover|document\d*|presentation\d*|slide \d+)$/i.test(title)) return undefined;
    if (/^[a-z\d]+(?:[-_][a-z\d]+)+$/.test(title)) return undefined;
    if (/^[^\s/\\]+\.(?:docx?|pptx?|xlsx?|od[tps]|pdf|tex|dvi|ps|rtf|html?|md|txt|indd|qxd)$/i.test(title)) return undefined;
    return title;
}

/**
 * The top two levels of a document's headings, at most `maxOutlineEntries`. A single top heading above everything
 * else (a book's title as the root bookmark, an HTML page's one h1) and headings that repeat the title are the
 * document's name, not its sections, and are dropped. When the second level does not fit whole, only the first is
 * kept: a part of a list of sections would misrepresent what the document covers.
 */
export function boundedOutline<T extends RawHeading>(headings: readonly T[], documentTitle?: string): (T & { level: 1 | 2 })[] {
    const named = (title: string) => documentTitle !== undefined && title.toLowerCase() === documentTitle.toLowerCase();
    let kept = headings
        .slice(0, maxHeadingsRead)
        .map((heading) => ({ ...heading, title: cleanTitle(heading.title) ?? "" }))
        .filter((heading) => heading.title && !notContent.test(heading.title) && !named(heading.title));
    const depths = () => [...new Set(kept.map((heading) => heading.depth))].sort((a, b) => a - b);
    if (depths().length > 1 && kept.filter((heading) => heading.depth === depths()[0]).length === 1) {
        const root = depths()[0];
        kept = kept.filter((heading) => heading.depth !== root);
    }
    const [first, second] = depths();
    if (first === undefined) return [];
    const top = kept.filter((heading) => heading.depth === first);
    const both = kept.filter((heading) => heading.depth === first || heading.depth === second);
    const chosen = both.length <= maxOutlineEntries ? both : top.slice(0, maxOutlineEntries);
    return chosen.map((heading) => ({ ...heading, level: heading.depth === first ? 1 : 2 }));
}

/** The outline as stored: title, level and page only. */
export function outlineEntries(headings: readonly (RawHeading & { level: 1 | 2; page?: number })[]): OutlineEntry[] | undefined {
    if (headings.length === 0) return undefined;
    return headings.map(({ title, level, page }) => (page === undefined ? { title, level } : { title, level, page }));
}

/** Markdown's ATX headings ("## Setup"), outside fenced code blocks. */
export function markdownHeadings(text: string): RawHeading[] {
    const headings: RawHeading[] = [];
    let fence: string | undefined;
    for (const match of text.matchAll(/^( {0,3})(```+|~~~+|#{1,6}(?=[ \t]|$))(.*)$/gm)) {
        const marker = match[2];
        if (marker[0] === "`" || marker[0] === "~") {
            if (fence === undefined) fence = marker[0];
            else if (marker[0] === fence) fence = undefined;
            continue;
        }
        if (fence !== undefined) continue;
        // links keep their text; emphasis and code marks go
        const title = match[3].replace(/\s#+\s*$/, "").replace(/\[([^\]]*)\]\([^)]*\)/g, "$1").replace(/[*`]/g, "");
        headings.push({ title, depth: marker.length });
        if (headings.length >= maxHeadingsRead) break;
    }
    return headings;
}
