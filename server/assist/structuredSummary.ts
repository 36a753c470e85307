import type { OutlineEntry } from "../core/types";

// A long document's summary reads as its title, a short lead, and the names of its sections: the lead alone, however
// well chosen, cannot say what a 100-page manual covers, and its outline can. Both engines' summaries take this shape.

export interface DocumentStructure {
    title?: string;
    outline?: readonly OutlineEntry[];
}

const sectionsLabel = "Sections: ";

/** Title, lead and sections as paragraphs (blank-line separated, as the result panel and the terminal show them). */
export function withStructure(lead: string, structure: DocumentStructure): string {
    return [structure.title, lead, sectionsLine(structure.outline)].filter(Boolean).join("\n\n");
}

/** The opening and closing paragraphs around a generated lead, so a streamed summary has the same shape. */
export function structureFrame(structure: DocumentStructure): { head: string; tail: string } {
    const sections = sectionsLine(structure.outline);
    return { head: structure.title ? `${structure.title}\n\n` : "", tail: sections ? `\n\n${sections}` : "" };
}

/**
 * "Sections: A · B · C": the top level; with fewer than three top-level sections the second level too, as
 * "A (a1, a2) · B", since two names say little of what a document covers.
 */
export function sectionsLine(outline: readonly OutlineEntry[] | undefined): string | undefined {
    if (!outline?.length) return undefined;
    const top = outline.filter((entry) => entry.level === 1);
    const names = top.length >= 3
        ? top.map((entry) => entry.title)
        : outline.reduce<{ title: string; children: string[] }[]>((groups, entry) => {
              if (entry.level === 1 || groups.length === 0) groups.push({ title: entry.title, children: [] });
              else groups[groups.length - 1].children.push(entry.title);
              return groups;
          }, []).map((group) => (group.children.length ? `${group.title} (${group.children.join(", ")})` : group.title));
    return `${sectionsLabel}${names.join(" · ")}`;
}

/** The lead of a summary made by withStructure: what a hover has room for, without the title it shows already. */
export function summaryLead(summary: string, title: string | undefined): string {
    const paragraphs = summary.split(/\n\s*\n/);
    if (title !== undefined && paragraphs.length > 1 && paragraphs[0].trim() === title.trim()) paragraphs.shift();
    if (paragraphs.length > 1 && paragraphs[paragraphs.length - 1].startsWith(sectionsLabel)) paragraphs.pop();
    return paragraphs.join("\n\n");
}
