/** Finding what a hover points at in a text document: a link or path to a document, or a Markdown heading. */

export interface LinkTarget {
    /** The link's target as written (relative or absolute path, or file: URI), without #fragment. */
    target: string;
    /** Character range of the target on its line. */
    start: number;
    end: number;
}

const markdownLink = /\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g;
// A bare relative path with a file extension, e.g. docs/plot-holder-handbook.docx or ./report.pdf.
const barePath = /(?:\.{1,2}\/)?(?:[\w.-]+\/)*[\w.-]+\.[A-Za-z0-9]{1,5}\b/g;

/** The link or path under `character` on `line`, if any. Markdown links win over bare paths. */
export function linkAt(line: string, character: number): LinkTarget | undefined {
    for (const match of line.matchAll(markdownLink)) {
        if (character >= match.index && character <= match.index + match[0].length) {
            const target = decodeTarget(match[1]);
            if (/^[a-z][a-z0-9+.-]*:/i.test(target) && !target.startsWith("file:")) return undefined;
            return { target, start: match.index, end: match.index + match[0].length };
        }
    }
    for (const match of line.matchAll(barePath)) {
        if (character >= match.index && character <= match.index + match[0].length && !/^\d+(\.\d+)+$/.test(match[0])) {
            return { target: match[0], start: match.index, end: match.index + match[0].length };
        }
    }
    return undefined;
}

function decodeTarget(raw: string): string {
    const withoutFragment = raw.split("#")[0];
    try {
        return decodeURIComponent(withoutFragment);
    } catch {
        return withoutFragment;
    }
}

export interface HeadingSection {
    title: string;
    level: number;
    /** 0-based line of the heading. */
    line: number;
    /** The section's text, up to the next heading of the same or a higher level. */
    body: string;
}

/** The Markdown section whose ATX heading is on `lineNumber`. Headings inside code fences do not count. */
export function headingSectionAt(lines: string[], lineNumber: number): HeadingSection | undefined {
    const heading = /^(#{1,6})\s+(.+?)\s*#*\s*$/.exec(lines[lineNumber] ?? "");
    if (!heading || insideFence(lines, lineNumber)) return undefined;
    const level = heading[1].length;
    let end = lineNumber + 1;
    let fenced = false;
    for (; end < lines.length; end++) {
        if (/^\s*(```|~~~)/.test(lines[end])) fenced = !fenced;
        const next = /^(#{1,6})\s/.exec(lines[end]);
        if (!fenced && next && next[1].length <= level) break;
    }
    return { title: heading[2], level, line: lineNumber, body: lines.slice(lineNumber + 1, end).join("\n").trim() };
}

function insideFence(lines: string[], lineNumber: number): boolean {
    let fenced = false;
    for (let i = 0; i < lineNumber; i++) if (/^\s*(```|~~~)/.test(lines[i])) fenced = !fenced;
    return fenced;
}
