// Needle in a haystack: a fact hidden at a chosen depth of a long text, then asked for. Deterministic
// haystacks, needles and scoring (no LLM judge), shared by the CLI and the tests.
import { seededRandom } from "../../shared/seededRandom";
import { splitSentences } from "../assist/sentences";

export interface Needle {
    name: string;
    code: string;
    /** The sentence inserted into the haystack. */
    sentence: string;
    question: string;
}

const names = ["Amara", "Bruno", "Celine", "Dmitri", "Elena", "Farid", "Greta", "Hiroshi", "Ingrid", "Jonah", "Kavya", "Lorenzo", "Mirela", "Nikolai", "Odette", "Pavel", "Quentin", "Rosalind", "Soren", "Tamsin", "Ulrich", "Valentina", "Wendell", "Ximena", "Yusuf", "Zofia"];
const codeAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/** The needle for one grid cell: "The secret code of <Name> is <CODE>." */
export function makeNeedle(seed: number): Needle {
    const random = seededRandom(seed);
    const name = names[Math.floor(random() * names.length)];
    let code = "";
    for (let i = 0; i < 6; i++) code += codeAlphabet[Math.floor(random() * codeAlphabet.length)];
    return { name, code, sentence: `The secret code of ${name} is ${code}.`, question: `What is the secret code of ${name}?` };
}

/**
 * The prompt for a cell. The answer is primed ("The secret code of <Name> is") so that any model, base or
 * instruct, answers in the same form and scoring needs no judge.
 */
export function needlePrompt(haystackWithNeedle: string, needle: Needle): string {
    return `${haystackWithNeedle}${needleQuestion(needle)}`;
}

/** The end of a needle prompt: the question and the answer primer (query-aware eviction's observation window). */
export function needleQuestion(needle: Needle): string {
    return `\n\nQuestion: ${needle.question}\nAnswer: The secret code of ${needle.name} is`;
}

/**
 * Consecutive sentences of the haystack sources (wrapping round), starting at one drawn by `random` (the first without
 * it), until the text reaches `targetTokens` by the model's own tokenizer (estimated, then trimmed exactly).
 */
export async function buildHaystack(sources: string[], targetTokens: number, countTokens: (text: string) => Promise<number>, random?: () => number): Promise<string[]> {
    // Table rows, headings and run-on blocks (CSV) are not prose and would not fit between sentence boundaries.
    const pool = sources.flatMap((text) => splitSentences(text).map((sentence) => sentence.text)).filter((s) => s.length > 20 && s.length <= 300 && !/[|#]/.test(s));
    if (pool.length === 0) throw new Error("the haystack sources contain no usable sentences");
    const first = random ? Math.floor(random() * pool.length) : 0;
    const sample = pool.slice(0, 200).join(" ");
    const charsPerToken = sample.length / Math.max(1, await countTokens(sample));
    const sentences: string[] = [];
    let chars = 0;
    for (let i = first; chars < targetTokens * charsPerToken; i++) {
        const sentence = pool[i % pool.length]!;
        sentences.push(sentence);
        chars += sentence.length + 1;
    }
    // Trim to the exact token budget with the real tokenizer (to nothing when one sentence is too long).
    while (sentences.length > 0 && (await countTokens(sentences.join(" "))) > targetTokens) sentences.pop();
    return sentences;
}

/** Inserts the needle at `depthPercent` of the haystack's length, on a sentence boundary. */
export function insertNeedle(sentences: string[], needle: Needle, depthPercent: number): string {
    const total = sentences.reduce((sum, s) => sum + s.length + 1, 0);
    const target = (total * depthPercent) / 100;
    let position = 0;
    let at = 0;
    while (at < sentences.length && position + sentences[at].length / 2 < target) {
        position += sentences[at].length + 1;
        at++;
    }
    return [...sentences.slice(0, at), needle.sentence, ...sentences.slice(at)].join(" ");
}

export interface NeedleScore {
    /** 1 when the code appears in the response, else 0. */
    exact: 0 | 1;
    /** Share of the code's characters the response's first word reproduces in order (0–1). */
    overlap: number;
}

export function scoreNeedle(response: string, needle: Needle): NeedleScore {
    if (response.includes(needle.code)) return { exact: 1, overlap: 1 };
    const word = response.trim().split(/\s+/)[0]?.replace(/[^A-Za-z0-9]/g, "").toUpperCase() ?? "";
    return { exact: 0, overlap: lcsLength(word, needle.code) / needle.code.length };
}

function lcsLength(a: string, b: string): number {
    const row = new Array<number>(b.length + 1).fill(0);
    for (let i = 1; i <= a.length; i++) {
        let diagonal = 0;
        for (let j = 1; j <= b.length; j++) {
            const above = row[j];
            row[j] = a[i - 1] === b[j - 1] ? diagonal + 1 : Math.max(row[j], row[j - 1]);
            diagonal = above;
        }
    }
    return row[b.length];
}
