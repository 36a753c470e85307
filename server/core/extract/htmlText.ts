import { maxHeadingsRead, type RawHeading } from "./outline";

const entities: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: " ", mdash: "—", ndash: "–", hellip: "…", rsquo: "’", lsquo: "‘", rdquo: "”", ldquo: "“" };

/**
 * Readable text from HTML: block elements become line breaks so paragraphs stay apart in chunks
 * and snippets (a definition list's items become "term: definition" lines); script/style content is dropped.
 * Every pattern here is linear in the input: none can rescan a long run (of spaces, of "<", of unclosed comments or
 * scripts) from each of its positions, which made hostile pages cost minutes.
 */
export function htmlToText(html: string): { text: string; title?: string } {
    const title = firstElementText(html, "title") ?? firstElementText(html, "h1");
    const text = withoutHiddenParts(html)
        // a heading's permalink mark (Sphinx, docutils: <a class="headerlink" href="#…">¶</a>) is page chrome, not text
        .replace(/<a\b[^<>]*\bclass=["']headerlink["'][^<>]*>[^<>]{0,8}<\/a>/gi, "")
        // a definition list's term and its definition read as one "term: definition" line, as a field and its value
        // (marked here, joined once the tags are gone: a pattern anchored on the marker stays linear)
        .replace(/<\/dt>/gi, "\u0001")
        .replace(/<\/(p|div|h[1-6]|li|tr|table|section|article|blockquote|pre|ul|ol|dl|dd|header|footer|nav|aside|main|figure|figcaption|caption|details|summary|address)>|<br\s*\/?>|<hr\b[^<>]*>/gi, "\n")
        .replace(/<\/t[dh]>/gi, "\t")
        .replace(/<[^<>]*>/g, "")
        .replace(/:?\u0001\s*/g, ": ")
        .replace(/&(#x?[0-9a-f]{1,8}|[a-z]{1,32});/gi, (whole, code: string) => decodeEntity(code) ?? whole)
        .replace(/(?<![ \t])[ \t]+\n/g, "\n")
        .replace(/\n{3,}/g, "\n\n")
        .trim();
    return { text, title: title ? htmlToText(title).text || undefined : undefined };
}

/** The HTML without comments and script, style and head elements; one left open runs to the end, as in a browser. */
function withoutHiddenParts(html: string): string {
    const opening = /<!--|<(script|style|head)\b/gi;
    let kept = "";
    let at = 0;
    for (let found = opening.exec(html); found; found = opening.exec(html)) {
        kept += `${html.slice(at, found.index)} `;
        const closing = found[1] ? new RegExp(`</${found[1]}\\s*>`, "gi") : /-->/g;
        closing.lastIndex = found.index + found[0].length;
        const end = closing.exec(html);
        at = end ? end.index + end[0].length : html.length;
        opening.lastIndex = at;
    }
    return kept + html.slice(at);
}

/** The inner HTML of the first `name` element, when it is closed. */
function firstElementText(html: string, name: string): string | undefined {
    const open = new RegExp(`<${name}\\b[^<>]{0,1000}>`, "i").exec(html);
    if (!open) return undefined;
    const from = open.index + open[0].length;
    const closing = new RegExp(`</${name}\\s*>`, "gi");
    closing.lastIndex = from;
    const end = closing.exec(html);
    return end ? html.slice(from, end.index) : undefined;
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
