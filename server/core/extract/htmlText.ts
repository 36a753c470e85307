import { maxHeadingsRead, type RawHeading } from "./outline";

const entities: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: " ", mdash: "—", ndash: "–", hellip: "…", rsquo: "’", lsquo: "‘", rdquo: "”", ldquo: "“" };

/**
 * Readable text from HTML: block elements become line breaks so paragraphs stay apart in chunks
 * and snippets (a definition list's items become "term: definition" lines); script/style content is dropped.
 */
export function htmlToText(html: string): { text: string; title?: string } {
    const title = /<title[^>]*>([\s\S]*?)<\/title>/i.exec(html)?.[1] ?? /<h1[^>]*>([\s\S]*?)<\/h1>/i.exec(html)?.[1];
    const text = html
        .replace(/<(script|style|head)[^>]*>[\s\S]*?<\/\1>/gi, " ")
        .replace(/<!--[\s\S]*?-->/g, " ")
        // a definition list's term and its definition read as one "term: definition" line, as a field and its value
        .replace(/<\/dt>\s*/gi, ": ")
        .replace(/<\/(p|div|h[1-6]|li|tr|table|section|article|blockquote|pre|ul|ol|dl|dd|header|footer|nav|aside|main|figure|figcaption|caption|details|summary|address)>|<br\s*\/?>|<hr\b[^>]*>/gi, "\n")
        .replace(/<\/t[dh]>/gi, "\t")
        .replace(/<[^>]+>/g, "")
        .replace(/&(#x?[0-9a-f]+|[a-z]+);/gi, (whole, code: string) => decodeEntity(code) ?? whole)
        .replace(/[ \t]+\n/g, "\n")
        .replace(/\n{3,}/g, "\n\n")
        .trim();
    return { text, title: title ? htmlToText(title).text || undefined : undefined };
}

/**
 * The h1–h6 headings of HTML, in order. Tags are matched one at a time (a heading's text is what lies between its tag
 * and the next closing heading tag), so unclosed or nested headings cost a linear scan, never a backtracking one. A
 * heading marked class="title" (DOCX's Title style, see docxExtractor) is the document's name, not a section.
 */
export function htmlHeadings(html: string): RawHeading[] {
    const headings: RawHeading[] = [];
    let open: { depth: number; end: number } | undefined;
    for (const tag of html.matchAll(/<(\/?)h([1-6])\b([^>]{0,500})>/gi)) {
        if (!tag[1]) {
            open = /\bclass\s*=\s*["']?title\b/i.test(tag[3]) ? undefined : { depth: Number(tag[2]), end: tag.index + tag[0].length };
            continue;
        }
        if (!open) continue;
        const title = htmlToText(html.slice(open.end, Math.min(tag.index, open.end + 2_000))).text;
        if (title) headings.push({ title, depth: open.depth });
        open = undefined;
        if (headings.length >= maxHeadingsRead) break;
    }
    return headings;
}

function decodeEntity(code: string): string | undefined {
    if (code[0] === "#") {
        const value = code[1] === "x" || code[1] === "X" ? parseInt(code.slice(2), 16) : parseInt(code.slice(1), 10);
        return Number.isFinite(value) && value > 0 && value < 0x110000 ? String.fromCodePoint(value) : undefined;
    }
    return entities[code.toLowerCase()];
}
