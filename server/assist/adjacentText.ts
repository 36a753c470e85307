import type { IndexHit } from "../core/WorkspaceIndex";
import type { Chunk } from "../core/types";

/** The chunks either side of a hit's in its document, as the index gives them (WorkspaceIndex.adjacentChunks). */
export interface AdjacentChunks {
    before?: Chunk;
    after?: Chunk;
}

/** A chunk read with its neighbours, which may run on to the next page. */
export interface ReadChunk extends Chunk {
    /** Where in `text` the next page starts, and its number. */
    pageBreak?: { at: number; page: number };
}

/**
 * A hit read with the chunk before it on its page and the chunk after it, on its page or the next, as one chunk.
 * Chunks are cut at about 1,000 characters wherever a paragraph or sentence ends, and never across a page, so the
 * answer to a question is often just past the edge of the chunk that matched it: the list after "The following
 * priority levels are recognized:", the command on the line after the sentence that names it, the steps at the top of
 * the next page (on the Debian retrieval benchmark, 9 of 42 unanswered questions had their answer in the next or
 * previous chunk of a top hit, 2 of them on the next page). Offsets stay those of the document's text, so citations
 * still point at the right line and page: the whitespace between chunks (which no chunk keeps) is put back as blank
 * lines, as many newlines as the line numbers say where the format has lines, and a passage past a page break cites
 * the next page.
 */
export function withAdjacentText(hit: IndexHit, adjacent: AdjacentChunks): IndexHit {
    const page = hit.chunk.page;
    const before = adjacent.before && adjacent.before.page === page && adjacent.before.end <= hit.chunk.start ? adjacent.before : undefined;
    const after = adjacent.after && (adjacent.after.page === page || (page !== undefined && adjacent.after.page === page + 1)) && adjacent.after.start >= hit.chunk.end ? adjacent.after : undefined;
    if (!before && !after) return hit;
    const parts = [before, hit.chunk, after].filter((chunk): chunk is Chunk => chunk !== undefined);
    let text = parts[0].text;
    let pageBreak: ReadChunk["pageBreak"];
    for (let i = 1; i < parts.length; i++) {
        text += gap(parts[i - 1], parts[i]);
        if (parts[i].page !== page) pageBreak = { at: text.length, page: parts[i].page! };
        text += parts[i].text;
    }
    const first = parts[0];
    const last = parts[parts.length - 1];
    const chunk: ReadChunk = { start: first.start, end: last.end, text };
    if (page !== undefined) chunk.page = page;
    if (first.line !== undefined) chunk.line = first.line;
    if (last.endLine !== undefined) chunk.endLine = last.endLine;
    if (pageBreak) chunk.pageBreak = pageBreak;
    return { ...hit, chunk };
}

/**
 * Whitespace as long as what lay between two chunks: their lines' newlines where the format has lines; else a
 * paragraph break where there was more than one character (chunks are cut at blank lines first), and a space where
 * there was one (a cut inside a paragraph, at a sentence's end or mid-sentence).
 */
function gap(previous: Chunk, next: Chunk): string {
    const length = Math.max(1, next.start - previous.end);
    const newlines = previous.endLine !== undefined && next.line !== undefined ? Math.min(length, Math.max(0, next.line - previous.endLine)) : length > 1 ? 2 : 0;
    return "\n".repeat(newlines) + " ".repeat(length - newlines);
}
