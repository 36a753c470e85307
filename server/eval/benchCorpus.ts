import * as fs from "node:fs/promises";
import * as path from "node:path";
import { benchDocx, benchPdf } from "./benchDocuments";

export interface CorpusCounts {
    /** Markdown notes of ~12 sentences. */
    text: number;
    /** DOCX reports of 12 paragraphs. */
    docx: number;
    /** PDFs of 1–20 pages. */
    pdf: number;
}

const words = "allotment compost irrigation committee rent plot harvest seed greenhouse rainwater pathway hedge orchard beehive volunteer budget meeting tenancy manure polytunnel".split(" ");

/** Deterministic pseudo-prose: the same seed gives the same text, so runs compare. */
export function benchProse(seed: number, sentences: number): string {
    let state = (seed * 2654435761) >>> 0;
    const next = () => ((state = (state * 1103515245 + 12345) >>> 0) % 1000) / 1000;
    const out: string[] = [];
    for (let s = 0; s < sentences; s++) {
        const length = 8 + Math.floor(next() * 12);
        const sentence = Array.from({ length }, () => words[Math.floor(next() * words.length)]).join(" ");
        out.push(sentence[0].toUpperCase() + sentence.slice(1) + ` ${seed}-${s}.`);
    }
    return out.join(" ");
}

/** Writes a benchmark corpus under root/{text,docx,pdf}/ (DOCX and PDF by benchDocuments). */
export async function writeBenchCorpus(root: string, counts: CorpusCounts): Promise<void> {
    for (const dir of ["text", "docx", "pdf"]) await fs.mkdir(path.join(root, dir), { recursive: true });
    for (let i = 0; i < counts.text; i++) await fs.writeFile(path.join(root, "text", `note-${i}.md`), `# Note ${i}\n\n${benchProse(i, 12)}\n`);
    for (let i = 0; i < counts.docx; i++) {
        const paragraphs = Array.from({ length: 12 }, (_, p) => benchProse(i * 100 + p, 4));
        await fs.writeFile(path.join(root, "docx", `report-${i}.docx`), await benchDocx(`Report ${i}`, paragraphs));
    }
    for (let i = 0; i < counts.pdf; i++) {
        const sections = Array.from({ length: 1 + (i % 20) }, (_, p) => ({ heading: `Section ${p + 1}`, paragraphs: [benchProse(i * 1000 + p, 10)] }));
        await fs.writeFile(path.join(root, "pdf", `paper-${i}.pdf`), benchPdf(`Paper ${i}`, sections));
    }
}

export { percentile } from "./percentile";
