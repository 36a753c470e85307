import type { ExtractedText } from "../types";
import { ExtractionError } from "./ExtractionError";
import { htmlToText } from "./htmlText";
import { checkZipPackage } from "./zipPackage";

/** DOCX with mammoth. convertToHtml keeps paragraph boundaries that extractRawText glues together. */
export async function extractDocx(bytes: Buffer): Promise<ExtractedText> {
    checkZipPackage(bytes, "DOCX");
    const mammoth = await import("mammoth");
    let html: string;
    try {
        html = (await mammoth.convertToHtml({ buffer: bytes }, { styleMap: ["p[style-name='Title'] => h1:fresh"] })).value;
    } catch (error) {
        throw new ExtractionError(`corrupt DOCX: ${(error as Error).message}`);
    }
    const { text, title } = htmlToText(html);
    if (!text.trim()) throw new ExtractionError("no text in DOCX (images only or empty document)");
    return { format: "docx", text, title };
}
