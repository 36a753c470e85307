// Tables as the extractors leave them: HTML (and EPUB) rows as lines of tab-separated cells; DOCX rows (mammoth puts
// each cell's text in a paragraph) as a block whose first line is the first cell and whose other lines are the other
// cells, each after a tab. Read sentence by sentence, a row loses what its cells are ("libfoo-tools any foreign"); read
// with its table's first row, it says it: "Package: libfoo-tools; Architecture: any; Multi-Arch: foreign".

/** A row of a table in a chunk's text, with the cells of its table's first row when the table starts in the text. */
export interface TableRow {
    /** Offsets in the text. */
    start: number;
    end: number;
    cells: string[];
    header?: string[];
    /** Where the table's first row starts: what stands before it says what the table is. */
    tableStart: number;
    /**
     * A PDF table's caption and column names ("List of network address ranges", "Class network addresses net mask"):
     * its words count as the row's; the row is said with the caption.
     */
    caption?: { title: string; columns: string };
}

interface RawRow {
    start: number;
    end: number;
    cells: string[];
    /** Offset where the next row of the same table would start: rows of a DOCX table sit a blank line apart. */
    next: number;
}

/** The rows (header rows left out) of the tables in `text` that have at least two columns and two rows. */
export function tableRows(text: string): TableRow[] {
    const raw = rawRows(text);
    const rows: TableRow[] = [];
    for (let i = 0; i < raw.length; ) {
        let j = i + 1;
        while (j < raw.length && raw[j]!.cells.length === raw[i]!.cells.length && raw[j]!.start <= raw[j - 1]!.next) j++;
        if (j - i >= 2) {
            // a table cut by the chunk's start has lost its first row: its rows are read without one
            const header = raw[i]!.start > 0 ? raw[i]!.cells : undefined;
            for (let k = header ? i + 1 : i; k < j; k++) rows.push({ start: raw[k]!.start, end: raw[k]!.end, cells: raw[k]!.cells, tableStart: raw[i]!.start, ...(header ? { header } : {}) });
        }
        i = j;
    }
    return [...rows, ...pdfRows(text)];
}

// A DocBook/LaTeX manual's caption under its table: "Table 5.2: List of network address ranges".
const pdfCaption = /^Table \d+(?:\.\d+)*: (\S.*)$/;
const maxPdfRows = 60;

/**
 * PDF tables, as pdf.js leaves them: a line per row with its cells run together, the column names on the first line,
 * the caption under the last ("Table 5.2: …"). The table is the lines above its caption up to a blank line, one that
 * ends a sentence or another table's caption; each line after the first is a row.
 */
function pdfRows(text: string): TableRow[] {
    const lines: { start: number; text: string }[] = [];
    let at = 0;
    for (const line of text.split("\n")) {
        lines.push({ start: at, text: line.trim() });
        at += line.length + 1;
    }
    const rows: TableRow[] = [];
    lines.forEach((line, i) => {
        const title = pdfCaption.exec(line.text)?.[1];
        if (!title) return;
        let first = i;
        while (first > 0 && i - first <= maxPdfRows && isPdfTableLine(lines[first - 1]!.text)) first--;
        if (i - first < 3) return;
        const head = lines[first]!;
        for (const row of lines.slice(first + 1, i)) {
            const start = text.indexOf(row.text, row.start);
            rows.push({ start, end: start + row.text.length, cells: [row.text], tableStart: head.start, caption: { title, columns: head.text } });
        }
    });
    return rows;
}

function rawRows(text: string): RawRow[] {
    const lines: { start: number; end: number; text: string }[] = [];
    let at = 0;
    for (const line of text.split("\n")) {
        lines.push({ start: at, end: at + line.length, text: line });
        at += line.length + 1;
    }
    const rows: RawRow[] = [];
    for (let i = 0; i < lines.length; i++) {
        const line = lines[i]!;
        if (!line.text.trim() || line.text.startsWith("\t")) continue;
        // DOCX: the first cell, then lines that each start with a tab
        let j = i + 1;
        while (j < lines.length && lines[j]!.text.startsWith("\t")) j++;
        if (j > i + 1) {
            const cells = lines.slice(i, j).map((cell) => clean(cell.text));
            const end = lines[j - 1]!.end;
            if (cells.every(Boolean)) rows.push({ start: line.start + leading(line.text), end, cells, next: blankThenNext(lines, j) });
            i = j - 1;
            continue;
        }
        // HTML: cells on one line, a tab after each
        const cells = line.text.split("\t").map(clean);
        while (cells.length > 0 && !cells[cells.length - 1]) cells.pop();
        if (cells.length >= 2 && cells.every(Boolean)) rows.push({ start: line.start + leading(line.text), end: line.end, cells, next: line.end + 1 });
    }
    return rows;
}

/** A line that may be a PDF table's: not blank, not the end of a sentence, not another table's caption. */
function isPdfTableLine(line: string): boolean {
    return line !== "" && !/[.:!?]["”’)]?$/.test(line) && !pdfCaption.test(line);
}

/** Where the next row of a DOCX table would start (after at most one blank line), or -1 when nothing can follow. */
function blankThenNext(lines: { start: number; text: string }[], at: number): number {
    let k = at;
    while (k < lines.length && !lines[k]!.text.trim()) k++;
    return k < lines.length && k - at <= 1 ? lines[k]!.start + leading(lines[k]!.text) : -1;
}

function leading(text: string): number {
    return text.length - text.trimStart().length;
}

function clean(cell: string): string {
    return cell.trim().replace(/\s+/g, " ");
}

/** A row as an answer says it: each cell after its column's name, or the cells side by side when the table's first row is not in the text. */
export function rowText(row: TableRow): string {
    if (row.caption) return `${row.cells.join(" ")} (${row.caption.title})`;
    if (!row.header) return row.cells.join(" | ");
    return row.cells.map((cell, i) => `${row.header![i]!.replace(/:$/, "")}: ${cell}`).join("; ");
}
