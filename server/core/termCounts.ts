import * as path from "node:path";
import { forEachTerm } from "./tokenize";

/** The text BM25 sees for a chunk: the first chunk also carries the title and file name, for queries that name the document. */
export function rankedChunkText(title: string | undefined, file: string, text: string, position: number): string {
    return position === 0 ? `${title ?? ""} ${path.basename(file)} ${text}` : text;
}

/** Numbers for terms, first come first numbered: the index's dictionary, or an extraction worker's own. */
export class TermTable {
    private readonly ids = new Map<string, number>();
    readonly terms: string[] = [];

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
    const counts = new Map<number, number>();
    let pairs = new Uint32Array(1024);
    let used = 0;
    const ends = new Uint32Array(texts.length);
    texts.forEach((text, i) => {
        counts.clear();
        forEachTerm(text, (term) => {
            const id = table.idOf(term);
            counts.set(id, (counts.get(id) ?? 0) + 1);
        });
        if (used + counts.size * 2 > pairs.length) {
            const grown = new Uint32Array(Math.max(pairs.length * 2, used + counts.size * 2));
            grown.set(pairs);
            pairs = grown;
        }
        for (const [id, tf] of counts) {
            pairs[used++] = id;
            pairs[used++] = tf;
        }
        ends[i] = used / 2;
    });
    return { pairs: pairs.slice(0, used), ends };
}
