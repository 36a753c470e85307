import { RougePairsError } from "./RougePairsError";

/** One line of a pairs file: a reference (target) summary and the candidate (prediction) to score against it. */
export interface RougePair {
    reference: string;
    candidate: string;
    /** 1-based line in the file. */
    line: number;
}

/**
 * Reads JSONL with one `{"reference": "...", "candidate": "..."}` object per line (other fields are ignored, blank lines
 * skipped). Throws a RougePairsError naming the first bad line, or the file when it holds no pairs at all.
 */
export function parseRougePairs(text: string, source: string): RougePair[] {
    const pairs: RougePair[] = [];
    const lines = text.replace(/^\uFEFF/, "").split("\n");
    for (let i = 0; i < lines.length; i++) {
        const raw = lines[i].trim();
        if (raw === "") continue;
        const line = i + 1;
        let value: unknown;
        try {
            value = JSON.parse(raw);
        } catch (error) {
            throw new RougePairsError(source, line, `invalid JSON (${(error as Error).message.split("\n")[0]})`);
        }
        if (typeof value !== "object" || value === null || Array.isArray(value)) {
            throw new RougePairsError(source, line, 'expected a JSON object with "reference" and "candidate"');
        }
        const record = value as Record<string, unknown>;
        for (const field of ["reference", "candidate"]) {
            if (!(field in record)) throw new RougePairsError(source, line, `missing "${field}"`);
            if (typeof record[field] !== "string") throw new RougePairsError(source, line, `"${field}" must be a string (got ${jsonType(record[field])})`);
        }
        pairs.push({ reference: record.reference as string, candidate: record.candidate as string, line });
    }
    if (pairs.length === 0) throw new RougePairsError(source, 0, 'no pairs (expected one {"reference", "candidate"} JSON object per line)');
    return pairs;
}

function jsonType(value: unknown): string {
    if (value === null) return "null";
    if (Array.isArray(value)) return "an array";
    return typeof value === "object" ? "an object" : `a ${typeof value}`;
}
