import type { ExtractedText } from "../types";
import { ExtractionError } from "./ExtractionError";
import { htmlHeadings, htmlToText } from "./htmlText";
import { boundedOutline, outlineEntries } from "./outline";
import { coreTitle } from "./packageMetadata";
import { checkZipPackage } from "./zipPackage";

/**
 * DOCX with mammoth. convertToHtml keeps paragraph boundaries that extractRawText glues together, and headings, which
 * make the outline. A paragraph in Word's Title style becomes <h1 class="title">: the title when the core properties
 * have none, and not a section of the outline.
 */
export async function extractDocx(bytes: Buffer): Promise<ExtractedText> {
    const zip = checkZipPackage(bytes, "DOCX");
    const mammoth = await import("mammoth");
    let html: string;
    try {
        html = (await mammoth.convertToHtml({ buffer: bytes }, { styleMap: ["p[style-name='Title'] => h1.title:fresh"] })).value;
    } catch (error) {
        throw new ExtractionError(`corrupt DOCX: ${(error as Error).message}`);
    }
    const { text, title: firstHeading } = htmlToText(html);
    if (!text.trim()) throw new ExtractionError("no text in DOCX (images only or empty document)");
    const title = coreTitle(zip, "docx") ?? firstHeading;
    const outline = outlineEntries(boundedOutline(htmlHeadings(html), title));
    return { format: "docx", text, ...(title === undefined ? {} : { title }), ...(outline ? { outline } : {}) };
}
