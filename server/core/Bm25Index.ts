import { tokenize } from "./tokenize";

export interface Bm25Options {
    /** Term-frequency saturation. Defaults to 1.2. */
    k1?: number;
    /** Length normalisation. Defaults to 0.75. */
    b?: number;
}

export interface Bm25Match {
    /** The id passed to add(). */
    id: number;
    score: number;
}

/** Chunk ids and term frequencies for one term, in growable typed arrays (a JS Map per term would cost ~10× the memory). */
class Posting {
    ids = new Int32Array(4);
    tfs = new Uint16Array(4);
    length = 0;

    push(id: number, tf: number): void {
        if (this.length === this.ids.length) {
            const ids = new Int32Array(this.length * 2);
            ids.set(this.ids);
            this.ids = ids;
            const tfs = new Uint16Array(this.length * 2);
            tfs.set(this.tfs);
            this.tfs = tfs;
        }
        this.ids[this.length] = id;
        this.tfs[this.length] = Math.min(tf, 0xffff);
        this.length++;
    }

    remove(id: number): void {
        const at = this.indexOf(id);
        if (at < 0) return;
        this.ids.copyWithin(at, at + 1, this.length);
        this.tfs.copyWithin(at, at + 1, this.length);
        this.length--;
    }

    // Ids are appended in increasing order, so the array stays sorted.
    private indexOf(id: number): number {
        let low = 0;
        let high = this.length - 1;
        while (low <= high) {
            const mid = (low + high) >> 1;
            if (this.ids[mid] === id) return mid;
            if (this.ids[mid] < id) low = mid + 1;
            else high = mid - 1;
        }
        return -1;
    }
}

/** Okapi BM25 over chunks, with exact incremental removal so file edits do not require a rebuild. */
export class Bm25Index {
    private readonly postings = new Map<string, Posting>();
    private readonly lengths = new Map<number, number>();
    private totalLength = 0;
    private lastId = -1;
    private readonly k1: number;
    private readonly b: number;

    constructor(options: Bm25Options = {}) {
        this.k1 = options.k1 ?? 1.2;
        this.b = options.b ?? 0.75;
    }

    get size(): number {
        return this.lengths.size;
    }

    get termCount(): number {
        return this.postings.size;
    }

    /** Inverse document frequency of an already-tokenized term; a term no chunk contains gets the highest weight. */
    idf(term: string): number {
        const n = this.lengths.size;
        const df = this.postings.get(term)?.length ?? 0;
        return Math.log(1 + (n - df + 0.5) / (df + 0.5));
    }

    /** Adds a chunk's text under `id`. Ids must increase across calls. */
    add(id: number, text: string): void {
        if (id <= this.lastId) throw new Error(`Bm25Index ids must increase (got ${id} after ${this.lastId})`);
        this.lastId = id;
        const counts = countTerms(text);
        let length = 0;
        for (const [term, tf] of counts) {
            let posting = this.postings.get(term);
            if (!posting) this.postings.set(term, (posting = new Posting()));
            posting.push(id, tf);
            length += tf;
        }
        this.lengths.set(id, length);
        this.totalLength += length;
    }

    /** Removes a chunk; `text` must be the text it was added with. */
    remove(id: number, text: string): void {
        const length = this.lengths.get(id);
        if (length === undefined) return;
        for (const term of countTerms(text).keys()) {
            const posting = this.postings.get(term);
            if (!posting) continue;
            posting.remove(id);
            if (posting.length === 0) this.postings.delete(term);
        }
        this.lengths.delete(id);
        this.totalLength -= length;
    }

    search(query: string, top: number, accept?: (id: number) => boolean): Bm25Match[] {
        const n = this.lengths.size;
        if (n === 0 || top <= 0) return [];
        const averageLength = this.totalLength / n || 1;
        const scores = new Map<number, number>();
        for (const term of new Set(tokenize(query))) {
            const posting = this.postings.get(term);
            if (!posting) continue;
            const idf = Math.log(1 + (n - posting.length + 0.5) / (posting.length + 0.5));
            for (let i = 0; i < posting.length; i++) {
                const id = posting.ids[i];
                const tf = posting.tfs[i];
                const norm = this.k1 * (1 - this.b + (this.b * (this.lengths.get(id) ?? 0)) / averageLength);
                scores.set(id, (scores.get(id) ?? 0) + (idf * tf * (this.k1 + 1)) / (tf + norm));
            }
        }
        const matches: Bm25Match[] = [];
        for (const [id, score] of scores) if (!accept || accept(id)) matches.push({ id, score });
        matches.sort((x, y) => y.score - x.score || x.id - y.id);
        return matches.slice(0, top);
    }
}

function countTerms(text: string): Map<string, number> {
    const counts = new Map<string, number>();
    for (const term of tokenize(text)) counts.set(term, (counts.get(term) ?? 0) + 1);
    return counts;
}
