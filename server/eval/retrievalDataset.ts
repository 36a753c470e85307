import * as fs from "node:fs/promises";
import * as path from "node:path";

/** One question of a retrieval dataset: where its answer is, and a phrase a correct answer contains. */
export interface RetrievalQuestion {
    /** 1-based line in the dataset file. */
    line: number;
    /** The folder to index, absolute (given relative to the dataset file). */
    root: string;
    question: string;
    /** The document holding the answer, relative to root, forward slashes; empty when `unanswerable`. */
    path: string;
    /** 1-based page (paginated formats) where the answer is stated. */
    page?: number;
    /** Other documents that state the same fact (an appendix that repeats a checklist): a hit in them counts too, on any page. */
    alsoIn?: string[];
    answer?: string;
    /** What kind of question it is (definition, number, field…), for figures per kind. */
    kind?: string;
    /** No document answers it: a right answer says so ("not found"), and the question has no place to rank. */
    unanswerable?: boolean;
}

/** A dataset line that cannot be used: names the file and line. */
export class RetrievalDatasetError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "RetrievalDatasetError";
    }
}

/**
 * Reads a JSON-lines dataset: each line {"root", "question", "path", "page"?, "alsoIn"?, "answer"?, "kind"?}, or {"root",
 * "question", "unanswerable": true} for a question no document answers; blank lines are skipped, extra fields ignored.
 * Roots are resolved against the dataset's folder and must exist.
 */
export async function readRetrievalDataset(file: string): Promise<RetrievalQuestion[]> {
    const text = await fs.readFile(file, "utf8").catch((error: Error) => {
        throw new RetrievalDatasetError(`cannot read ${file}: ${error.message}`);
    });
    const questions: RetrievalQuestion[] = [];
    const roots = new Map<string, boolean>();
    for (const [i, raw] of text.split("\n").entries()) {
        if (!raw.trim()) continue;
        const where = `${path.basename(file)} line ${i + 1}`;
        let record: Record<string, unknown>;
        try {
            record = JSON.parse(raw) as Record<string, unknown>;
        } catch {
            throw new RetrievalDatasetError(`${where}: not valid JSON`);
        }
        const { page, answer, kind, alsoIn, unanswerable } = record;
        if (unanswerable !== undefined && typeof unanswerable !== "boolean") throw new RetrievalDatasetError(`${where}: "unanswerable" must be true or false`);
        for (const field of unanswerable ? (["root", "question"] as const) : (["root", "question", "path"] as const)) {
            if (typeof record[field] !== "string" || !(record[field] as string).trim()) throw new RetrievalDatasetError(`${where}: "${field}" must be a non-empty string`);
        }
        if (unanswerable && (record.path !== undefined || page !== undefined || answer !== undefined || alsoIn !== undefined)) {
            throw new RetrievalDatasetError(`${where}: a question no document answers has no "path", "page", "alsoIn" or "answer"`);
        }
        if (alsoIn !== undefined && !(Array.isArray(alsoIn) && alsoIn.every((other) => typeof other === "string" && other.trim()))) throw new RetrievalDatasetError(`${where}: "alsoIn" must be a list of paths`);
        if (page !== undefined && !(Number.isInteger(page) && (page as number) >= 1)) throw new RetrievalDatasetError(`${where}: "page" must be a whole number ≥ 1`);
        if (answer !== undefined && (typeof answer !== "string" || !answer.trim())) throw new RetrievalDatasetError(`${where}: "answer" must be a non-empty string`);
        if (kind !== undefined && typeof kind !== "string") throw new RetrievalDatasetError(`${where}: "kind" must be a string`);
        const root = path.resolve(path.dirname(file), record.root as string);
        if (!roots.has(root)) roots.set(root, (await fs.stat(root).catch(() => undefined))?.isDirectory() === true);
        if (!roots.get(root)) throw new RetrievalDatasetError(`${where}: root ${root} is not a folder (see the dataset's README for how to fetch its documents)`);
        questions.push({
            line: i + 1, root, question: record.question as string, path: unanswerable ? "" : (record.path as string).replace(/\\/g, "/"), ...(unanswerable ? { unanswerable: true } : {}),
            ...(page !== undefined ? { page: page as number } : {}), ...(alsoIn ? { alsoIn: (alsoIn as string[]).map((other) => other.replace(/\\/g, "/")) } : {}), ...(answer !== undefined ? { answer: answer as string } : {}), ...(kind !== undefined ? { kind: kind as string } : {}),
        });
    }
    if (questions.length === 0) throw new RetrievalDatasetError(`${file} has no questions`);
    return questions;
}
