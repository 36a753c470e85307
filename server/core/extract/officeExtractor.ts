import type { DocumentFormat, ExtractedText } from "../types";
import { ExtractionError } from "./ExtractionError";
import { boundedOutline, outlineEntries } from "./outline";
import { coreTitle, epubStructure } from "./packageMetadata";
import { checkZipPackage, type ZipPackage } from "./zipPackage";

interface ContentNode {
    type?: string;
    text?: string;
    children?: ContentNode[];
}

// Nodes whose own `text` is the concatenation of their children without separators: walk into them instead.
const containerTypes = new Set(["slide", "sheet", "page", "table", "row", "list", "section", "note"]);

/** PPTX, XLSX, ODT/ODP/ODS, RTF (and an EPUB without a readable spine) with officeparser. Slides become pages so they can be cited. */
export async function extractOffice(bytes: Buffer, format: DocumentFormat): Promise<ExtractedText> {
    let zip: ZipPackage | undefined;
    if (format !== "rtf") zip = checkZipPackage(bytes, format.toUpperCase());
    else if (!bytes.subarray(0, 16).toString("latin1").startsWith("{\\rtf")) {
        throw new ExtractionError("not a valid RTF: missing {\\rtf header (corrupt or mislabelled)");
    }
    const { OfficeParser } = await import("officeparser");
    let content: ContentNode[];
    try {
        const ast = await OfficeParser.parseOffice(bytes, { fileType: format, ocr: false } as never);
        content = ast.content as ContentNode[];
    } catch (error) {
        throw new ExtractionError(`corrupt ${format.toUpperCase()}: ${(error as Error).message}`);
    }
    const lines: string[] = [];
    const pageStarts: number[] = [];
    let length = 0;
    const push = (line: string) => {
        lines.push(line);
        length += line.length + 1;
    };
    const walk = (node: ContentNode) => {
        if (node.type === "slide") pageStarts.push(length);
        if (node.children?.length && (containerTypes.has(node.type ?? "") || !node.text)) {
            for (const child of node.children) walk(child);
            if (node.type === "row" || node.type === "slide") push("");
        } else if (node.text?.trim()) {
            push(node.text.trim());
        }
    };
    for (const node of content) walk(node);
    const text = lines.join("\n");
    if (!text.trim()) throw new ExtractionError(`no text in ${format.toUpperCase()}`);
    return { format, text, pageStarts: pageStarts.length ? pageStarts : undefined, ...(zip ? packageStructure(zip, format) : {}) };
}

/** The package's own title (core properties, OPF) and, for an EPUB, its table of contents. */
export function packageStructure(zip: ZipPackage, format: DocumentFormat): Pick<ExtractedText, "title" | "outline"> {
    if (format !== "epub") {
        const title = coreTitle(zip, format);
        return title === undefined ? {} : { title };
    }
    const { title, headings } = epubStructure(zip);
    const outline = outlineEntries(boundedOutline(headings, title));
    return { ...(title === undefined ? {} : { title }), ...(outline ? { outline } : {}) };
}
