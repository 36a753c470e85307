/**
 * Document-derived text (titles, file names, summaries) as literal Markdown: links, images, HTML, emphasis and code
 * spans written into a document must not become live in a hover.
 */
export function escapeMarkdown(text: string): string {
    return text
        .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, "")
        .replace(/[\\`*_[\]()<>!|]/g, (c) => `\\${c}`)
        .replace(/^(\s*)([#>+=-])/gm, "$1\\$2");
}

/** A file name as a code span, or escaped text when it holds a backtick (which would end the span). */
export function codeSpan(text: string): string {
    return text.includes("`") ? escapeMarkdown(text) : `\`${text.replace(/[\u0000-\u001f\u007f]/g, "")}\``;
}
