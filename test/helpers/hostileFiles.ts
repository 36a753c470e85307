// Hostile documents, built at test time (no binary fixtures): zip bombs, entity expansion, PDF structures that loop
// or nest without end. Each is small on disk and expensive to a naive parser.
import { contentTypes, packageRels, zipDeterministic } from "../../tools/make-samples";
import { deflatedRepeat, zipOf, type DeflatedData } from "./zip";

const documentPart = '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>';
const wordNamespace = "http://schemas.openxmlformats.org/wordprocessingml/2006/main";

/** A DOCX whose word/document.xml is `xml`. */
export function docxWithDocumentXml(xml: string): Promise<Buffer> {
    return zipDeterministic([contentTypes([documentPart]), packageRels("word/document.xml", false), { name: "word/document.xml", data: xml }]);
}

/** A DOCX of one paragraph. */
export function plainDocx(text: string): Promise<Buffer> {
    return docxWithDocumentXml(`<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="${wordNamespace}"><w:body><w:p><w:r><w:t>${text}</w:t></w:r></w:p></w:body></w:document>`);
}

/**
 * "Billion laughs": `levels` entity definitions, each ten of the one before, so &lolN; stands for 10^N copies of
 * "lol" (10 levels: 30 GB of text from a 1 KB file) if the parser expands internal DTD entities.
 */
export function billionLaughsDocx(levels = 10): Promise<Buffer> {
    const entities = ['<!ENTITY lol0 "lol">'];
    for (let level = 1; level <= levels; level++) entities.push(`<!ENTITY lol${level} "${`&lol${level - 1};`.repeat(10)}">`);
    return docxWithDocumentXml(
        `<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE w:document [\n${entities.join("\n")}\n]>\n` +
            `<w:document xmlns:w="${wordNamespace}"><w:body><w:p><w:r><w:t>laughs &lol${levels};</w:t></w:r></w:p></w:body></w:document>`,
    );
}

export type ZipBombHeaders = "honest" | "central lies" | "local lies" | "both lie";

/** A well-formed word/document.xml with `size` bytes of spaces inside one <w:t>, deflated (about 1000 to 1). */
export function bombDocumentXml(size: number): Promise<DeflatedData> {
    const head = `<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="${wordNamespace}"><w:body><w:p><w:r><w:t xml:space="preserve">`;
    return deflatedRepeat(" ", size, head, "bomb</w:t></w:r></w:p></w:body></w:document>");
}

/**
 * A DOCX whose word/document.xml is `document` (see bombDocumentXml). The headers declare its real size, or 1 KB in
 * the central directory, the local header, or both.
 */
export function zipBombDocx(document: DeflatedData, headers: ZipBombHeaders): Buffer {
    const lie = 1024;
    const central = headers === "central lies" || headers === "both lie" ? lie : undefined;
    const local = headers === "local lies" || headers === "both lie" ? lie : headers === "central lies" ? document.size : undefined;
    return zipOf([
        { name: "[Content_Types].xml", data: Buffer.from(contentTypes([documentPart]).data) },
        { name: "_rels/.rels", data: Buffer.from(packageRels("word/document.xml", false).data) },
        { name: "word/document.xml", data: document, declaredSize: central, localDeclaredSize: local },
    ]);
}

type PdfObject = string | { dict: string; stream: string };

/** A PDF of `objects` (object n is objects[n - 1]; object 1 is the catalog), with a correct xref table. */
export function pdfOf(objects: PdfObject[]): Buffer {
    const parts: string[] = ["%PDF-1.7\n%\u00e2\u00e3\u00cf\u00d3\n"];
    let length = Buffer.byteLength(parts[0]!, "latin1");
    const offsets: number[] = [];
    objects.forEach((object, i) => {
        offsets.push(length);
        const body = typeof object === "string" ? object : `${object.dict.replace(/>>\s*$/, "")} /Length ${Buffer.byteLength(object.stream, "latin1")} >>\nstream\n${object.stream}\nendstream`;
        const text = `${i + 1} 0 obj\n${body}\nendobj\n`;
        parts.push(text);
        length += Buffer.byteLength(text, "latin1");
    });
    const xref = [`xref\n0 ${objects.length + 1}\n`, "0000000000 65535 f \n", ...offsets.map((offset) => `${String(offset).padStart(10, "0")} 00000 n \n`)].join("");
    parts.push(xref, `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${length}\n%%EOF\n`);
    return Buffer.from(parts.join(""), "latin1");
}

const font = "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>";
const textStream = (text: string) => ({ dict: "<< >>", stream: `BT /F1 12 Tf 72 720 Td (${text}) Tj ET` });

/** Pages whose tree loops back to its root: 2 → [3, 4], 3 → [2]. Page 4 holds `text`. */
export function cyclicPageTreePdf(text: string): Buffer {
    return pdfOf([
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R 4 0 R] /Count 2 >>",
        "<< /Type /Pages /Parent 2 0 R /Kids [2 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 6 0 R >> >> /Contents 5 0 R >>",
        textStream(text),
        font,
    ]);
}

/** A page tree `depth` Pages nodes deep, one page at the bottom holding `text`, and a root that claims 2^31 - 1 pages. */
export function deepPageTreePdf(text: string, depth: number): Buffer {
    const objects: PdfObject[] = ["<< /Type /Catalog /Pages 2 0 R >>"];
    const firstPage = depth + 2;
    for (let node = 2; node < firstPage; node++) {
        const count = node === 2 ? 2147483647 : 1;
        objects.push(`<< /Type /Pages ${node > 2 ? `/Parent ${node - 1} 0 R ` : ""}/Kids [${node + 1} 0 R] /Count ${count} >>`);
    }
    objects.push(`<< /Type /Page /Parent ${firstPage - 1} 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 ${firstPage + 2} 0 R >> >> /Contents ${firstPage + 1} 0 R >>`);
    objects.push(textStream(text), font);
    return pdfOf(objects);
}

/** A page drawing a Form XObject that draws itself. */
export function selfReferencingXObjectPdf(text: string): Buffer {
    return pdfOf([
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 6 0 R >> /XObject << /X 5 0 R >> >> /Contents 4 0 R >>",
        { dict: "<< >>", stream: `BT /F1 12 Tf 72 720 Td (${text}) Tj ET /X Do` },
        { dict: "<< /Type /XObject /Subtype /Form /BBox [0 0 612 792] /Resources << /Font << /F1 6 0 R >> /XObject << /X 5 0 R >> >> >>", stream: "BT /F1 12 Tf (again) Tj ET /X Do" },
        font,
    ]);
}

/**
 * Form XObjects nested `depth` deep, each drawing the next `fanOut` times: with fanOut 1 a long chain, with more an
 * exponential tree (fanOut^depth draws of the innermost text).
 */
export function nestedXObjectsPdf(text: string, depth: number, fanOut = 1): Buffer {
    const first = 6; // objects 1–5: catalog, pages, page, its content, font
    const objects: PdfObject[] = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 5 0 R >> /XObject << /X ${first} 0 R >> >> /Contents 4 0 R >>`,
        { dict: "<< >>", stream: `BT /F1 12 Tf 72 720 Td (${text}) Tj ET /X Do` },
        font,
    ];
    for (let level = 0; level < depth; level++) {
        const last = level === depth - 1;
        const resources = `/Resources << /Font << /F1 5 0 R >>${last ? "" : ` /XObject << /X ${first + level + 1} 0 R >>`} >>`;
        const body = last ? "BT /F1 12 Tf (innermost words) Tj ET" : Array.from({ length: fanOut }, () => "/X Do").join(" ");
        objects.push({ dict: `<< /Type /XObject /Subtype /Form /BBox [0 0 612 792] ${resources} >>`, stream: body });
    }
    return pdfOf(objects);
}
