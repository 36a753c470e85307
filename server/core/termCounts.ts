import * as path from "node:path";
import { withoutContentsLines } from "./tableOfContents";
import { forEachTerm } from "./tokenize";

/**
 * The text BM25 sees for a chunk: the first chunk also carries the title and file name, for queries that name the
 * document; contents lines ("Getting started ..... 17") are left out, so a contents page does not outrank the sections
 * it lists (it is still shown and cited as it is).
 */
export function rankedChunkText(title: string | undefined, file: string, text: string, position: number): string {
    const ranked = withoutContentsLines(text);
    return position === 0 ? `${title ?? ""} ${path.basename(file)} ${ranked}` : ranked;
}

/** Numbers for terms, first come first numbered: the index's dictionary, or an extraction worker's own. */
export class TermTable {
    private readonly ids = new Map<string, number>();
    readonly terms: string[] = [];
    /** Scratch for countTerms, by term id; all zero between calls. */
    frequencies = new Uint32Array(1024);

    idOf(term: string): number {
        let id = this.ids.get(term);
        if (id === undefined) {
            id = this.terms.length;
            this.ids.set(term, id);
            this.terms.push(term);
        }
        return id;
    }
}

/** Each text's terms as (term id, frequency) pairs, text after text; ends[i] is where text i's pairs end. */
export function countTerms(table: TermTable, texts: readonly string[]): { pairs: Uint32Array; ends: Uint32Array } {
    // Frequencies by term id in a typed array, cleared after each text through the list of ids it touched: a Map per
    // text cost as much as the tokenizing.
    let frequencies = table.frequencies;
    const touched: number[] = [];
    let pairs = new Uint32Array(1024);
    let used = 0;
    const ends = new Uint32Array(texts.length);
    texts.forEach((text, i) => {
        forEachTerm(text, (term) => {
            const id = table.idOf(term);
            if (id >= frequencies.length) {
                const grown = new Uint32Array(id * 2);
                grown.set(frequencies);
                frequencies = grown;
            }
            if (frequencies[id]++ === 0) touched.push(id);
        });
        if (used + touched.length * 2 > pairs.length) {
            const grown = new Uint32Array(Math.max(pairs.length * 2, used + touched.length * 2));
            grown.set(pairs);
            pairs = grown;
        }
        for (const id of touched) {
            pairs[used++] = id;
            pairs[used++] = frequencies[id];
            frequencies[id] = 0;
        }
        touched.length = 0;
        ends[i] = used / 2;
    });
    table.frequencies = frequencies;
    return { pairs: pairs.slice(0, used), ends };
}
