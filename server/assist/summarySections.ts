import type { OutlineEntry } from "../core/types";

// The parts of a document a summary must not quote: changelogs and revision histories ("Version 4.1.3 — Released July,
// 2018. Added section 4.1…"). Their sentences name the document's own topics over and over, so they look central to a
// term-frequency ranking, yet say what changed rather than what the document says.

/** A changelog's heading: "Changelog", "Revision history", "Release notes", "What's new"… */
const changelogTitle = /^(?:change ?log|changes|change history|revision history|revisions|version history|release history|release notes|document history|history of changes|what'?s new|news)$/i;

/**
 * A changelog entry's heading line: "Version 4.6.2" (or numbered, "22.2 Version 4.6.2"), "v2.1.0 (2024-03-01)", "## [1.2.0] - 2020-01-01",
 * "Revision 3 — 12 May 2021", a Debian changelog's "pkg (1.2-3) unstable; urgency=medium".
 */
const versionHeading = new RegExp(
    [
        String.raw`^(?:#{1,6}\s*)?(?:\d+(?:\.\d+)*\.?\s+)?(?:version|release|revision|v)\s?\d+(?:\.\d+)*\b`,
        String.raw`^(?:#{1,6}\s*)?\[?v?\d+(?:\.\d+)+\]?\s*(?:[-–—(/:]\s*)?(?:\d{4}-\d\d-\d\d|\p{L}+\.? \d{1,2},? \d{4}|\d{1,2} \p{L}+\.? \d{4}|unreleased)`,
        String.raw`^[a-z\d][a-z\d.+-]* \([^()\s]{1,40}\) [\w-]+(?: [\w-]+)*; urgency=`,
    ].join("|"),
    "iu",
);
/** Entries further apart than this are not one changelog (characters). */
const maxEntryGap = 5_000;
const minEntries = 3;

/**
 * Where a document's changelogs and revision histories are, as [start, end) character ranges of `text`: the sections
 * of its outline that are titled as one or hold a run of version headings, and, outline or not, any run of at least
 * three version headings (with the changelog heading just before it). Linear in the text's length.
 */
export function changelogRanges(text: string, outline: readonly OutlineEntry[] = []): [number, number][] {
    const lines = textLines(text);
    const versions = lines.map((line, index) => ({ ...line, index })).filter((line) => line.text.length <= 100 && versionHeading.test(line.text));
    const ranges: [number, number][] = [];
    for (const section of locatedSections(lines, outline, text.length)) {
        const inside = versions.filter((line) => line.start >= section.start && line.start < section.end).length;
        if (changelogTitle.test(bareTitle(section.title)) || (inside >= minEntries && inside * maxEntryGap >= section.end - section.start)) {
            ranges.push([section.start, section.end]);
        }
    }
    for (let first = 0; first < versions.length; ) {
        let last = first;
        while (last + 1 < versions.length && versions[last + 1].start - versions[last].start <= maxEntryGap) last++;
        if (last - first + 1 >= minEntries) {
            const gaps = versions.slice(first + 1, last + 1).map((line, i) => line.start - versions[first + i].start).sort((a, b) => a - b);
            ranges.push([changelogHeadingBefore(lines, versions[first].index) ?? versions[first].start, Math.min(text.length, versions[last].start + gaps[gaps.length >> 1])]);
        }
        first = last + 1;
    }
    return ranges;
}

/** The text without its changelogs, for a model to summarize; the text itself when it is nothing else. */
export function withoutChangelogs(text: string, outline?: readonly OutlineEntry[]): string {
    const ranges = changelogRanges(text, outline).sort((a, b) => a[0] - b[0]);
    let kept = "";
    let from = 0;
    for (const [start, end] of ranges) {
        if (start > from) kept += text.slice(from, start);
        from = Math.max(from, end);
    }
    kept += text.slice(from);
    return kept.trim() ? kept : text;
}

/** Where a changelog heading stands within the 1,000 characters before line `index`. */
function changelogHeadingBefore(lines: readonly Line[], index: number): number | undefined {
    for (let i = index - 1; i >= 0 && lines[i].start >= lines[index].start - 1_000; i--) {
        if (changelogTitle.test(bareTitle(lines[i].text))) return lines[i].start;
    }
    return undefined;
}

/** A test of whether an offset lies in any of `ranges` (merged once, then a binary search per offset). */
export function withinRanges(ranges: readonly [number, number][]): (offset: number) => boolean {
    const merged: [number, number][] = [];
    for (const [start, end] of [...ranges].sort((a, b) => a[0] - b[0])) {
        const last = merged.at(-1);
        if (last && start <= last[1]) last[1] = Math.max(last[1], end);
        else merged.push([start, end]);
    }
    return (offset) => {
        let low = 0;
        let high = merged.length;
        while (low < high) {
            const mid = (low + high) >> 1;
            if (merged[mid][1] <= offset) low = mid + 1;
            else high = mid;
        }
        return low < merged.length && merged[low][0] <= offset;
    };
}

interface Line {
    text: string;
    start: number;
}

function textLines(text: string): Line[] {
    const lines: Line[] = [];
    for (const match of text.matchAll(/[^\n]+/g)) {
        const trimmed = match[0].trim();
        if (trimmed) lines.push({ text: trimmed, start: match.index });
    }
    return lines;
}

/** A heading as compared: lower case, without Markdown marks or numbering ("## 10. Upgrading checklist"). */
function bareTitle(line: string): string {
    return line
        .replace(/^#{1,6}\s+/, "")
        .replace(/^(?:(?:chapter|section|appendix|part)\s+[\dA-Z]+[.:]?\s+|\d+(?:\.\d+)*\.?\s+|[A-Z]\.(?:\d+\.?)*\s+)/i, "")
        .replace(/\s+/g, " ")
        .trim()
        .toLowerCase();
}

/**
 * The outline's sections located in the text: each entry at the line that is its title, from the last entry
 * backwards, each before the one after it — so a table of contents at the start, which lists the same titles in the
 * same order, is passed over for the sections themselves. A section ends where the next one of its level or above
 * starts; entries not found as a line are left out.
 */
function locatedSections(lines: readonly Line[], outline: readonly OutlineEntry[], textLength: number): { title: string; level: number; start: number; end: number }[] {
    if (outline.length === 0) return [];
    const wanted = new Set(outline.map((entry) => bareTitle(entry.title)));
    const at = new Map<string, number[]>();
    for (const line of lines) {
        if (line.text.length > 200) continue;
        const title = bareTitle(line.text);
        if (!wanted.has(title)) continue;
        const offsets = at.get(title);
        if (offsets) offsets.push(line.start);
        else at.set(title, [line.start]);
    }
    const located: { title: string; level: number; start: number }[] = [];
    let before = Infinity;
    for (const entry of [...outline].reverse()) {
        const start = lastBefore(at.get(bareTitle(entry.title)) ?? [], before);
        if (start === undefined) continue;
        located.unshift({ title: entry.title, level: entry.level, start });
        before = start;
    }
    return located.map((section, i) => {
        const next = located.slice(i + 1).find((later) => later.level <= section.level);
        return { ...section, end: next?.start ?? textLength };
    });
}

/** The largest of ascending `offsets` below `limit`. */
function lastBefore(offsets: readonly number[], limit: number): number | undefined {
    let low = 0;
    let high = offsets.length;
    while (low < high) {
        const mid = (low + high) >> 1;
        if (offsets[mid] < limit) low = mid + 1;
        else high = mid;
    }
    return low > 0 ? offsets[low - 1] : undefined;
}
