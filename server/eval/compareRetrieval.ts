import type { RetrievalQuestionResult, RetrievalResult } from "../../shared/results";

/** What changed between two runs of `eval retrieval` on the same questions (matched by line and wording). */
export interface RetrievalComparison {
    /** Questions in both runs. */
    questions: number;
    /** Lines of the questions the later run newly gets right, and those it newly gets wrong. */
    answers: LinesChanged;
    documentAt1: LinesChanged;
    placeAt1: LinesChanged;
    /** Questions no document answers that the later run newly refuses, and those it newly answers. */
    refused: LinesChanged;
    /** Questions of the later run that the earlier one did not ask (the dataset changed). */
    unmatched: number;
}

export interface LinesChanged {
    gained: number[];
    lost: number[];
}

/** Compares `after` with `before` question by question: tuning shows what it gained and what it cost, not only a total. */
export function compareRetrieval(before: RetrievalResult, after: RetrievalResult): RetrievalComparison {
    const earlier = new Map(before.questions.map((q) => [key(q), q]));
    const answers: LinesChanged = { gained: [], lost: [] };
    const documentAt1: LinesChanged = { gained: [], lost: [] };
    const placeAt1: LinesChanged = { gained: [], lost: [] };
    const refused: LinesChanged = { gained: [], lost: [] };
    let questions = 0;
    let unmatched = 0;
    const note = (changed: LinesChanged, was: boolean, is: boolean, line: number) => {
        if (is && !was) changed.gained.push(line);
        if (was && !is) changed.lost.push(line);
    };
    for (const q of after.questions) {
        const was = earlier.get(key(q));
        if (!was) {
            unmatched++;
            continue;
        }
        questions++;
        if (q.refused !== undefined && was.refused !== undefined) {
            note(refused, was.refused, q.refused, q.line);
            continue;
        }
        if (q.contains !== undefined && was.contains !== undefined) note(answers, was.contains, q.contains, q.line);
        note(documentAt1, was.rankDocument === 1, q.rankDocument === 1, q.line);
        note(placeAt1, was.rankPlace === 1, q.rankPlace === 1, q.line);
    }
    return { questions, answers, documentAt1, placeAt1, refused, unmatched };
}

function key(q: Pick<RetrievalQuestionResult, "line" | "question">): string {
    return `${q.line}\u0000${q.question}`;
}

/** Reads a saved run: an `eval retrieval --json` output, or the dashboard's saved result that wraps one. */
export function retrievalResultOf(json: unknown): RetrievalResult | undefined {
    const candidate = (json as { result?: unknown })?.result ?? json;
    const questions = (candidate as { questions?: unknown })?.questions;
    return Array.isArray(questions) && questions.every((q) => typeof q?.line === "number" && typeof q?.question === "string") ? (candidate as RetrievalResult) : undefined;
}
