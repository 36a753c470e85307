const entities: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: " ", mdash: "—", ndash: "–", hellip: "…", rsquo: "’", lsquo: "‘", rdquo: "”", ldquo: "“" };

/**
 * Readable text from HTML: block elements become line breaks so paragraphs stay apart in chunks
 * and snippets; script/style content is dropped.
 */
export function htmlToText(html: string): { text: string; title?: string } {
    const title = /<title[^>]*>([\s\S]*?)<\/title>/i.exec(html)?.[1] ?? /<h1[^>]*>([\s\S]*?)<\/h1>/i.exec(html)?.[1];
    const text = html
        .replace(/<(script|style|head)[^>]*>[\s\S]*?<\/\1>/gi, " ")
        .replace(/<!--[\s\S]*?-->/g, " ")
        .replace(/<\/(p|div|h[1-6]|li|tr|table|section|article|blockquote|pre|ul|ol)>|<br\s*\/?>/gi, "\n")
        .replace(/<\/t[dh]>/gi, "\t")
        .replace(/<[^>]+>/g, "")
        .replace(/&(#x?[0-9a-f]+|[a-z]+);/gi, (whole, code: string) => decodeEntity(code) ?? whole)
        .replace(/[ \t]+\n/g, "\n")
        .replace(/\n{3,}/g, "\n\n")
        .trim();
    return { text, title: title ? htmlToText(title).text || undefined : undefined };
}

function decodeEntity(code: string): string | undefined {
    if (code[0] === "#") {
        const value = code[1] === "x" || code[1] === "X" ? parseInt(code.slice(2), 16) : parseInt(code.slice(1), 10);
        return Number.isFinite(value) && value > 0 && value < 0x110000 ? String.fromCodePoint(value) : undefined;
    }
    return entities[code.toLowerCase()];
}
