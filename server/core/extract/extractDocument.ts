import type { DocumentFormat, ExtractedText } from "../types";
import { extractDocx } from "./docxExtractor";
import { extractEpub } from "./epubExtractor";
import { htmlHeadings, htmlToText } from "./htmlText";
import { extractOffice } from "./officeExtractor";
import { boundedOutline, outlineEntries } from "./outline";
import { extractPdf } from "./pdfExtractor";
import { decodeText, extractText } from "./textExtractor";

/** Turns a file's bytes into text with provenance. Throws ExtractionError with a one-line reason. */
export async function extractDocument(bytes: Buffer, format: DocumentFormat): Promise<ExtractedText> {
    switch (format) {
        case "pdf":
            return extractPdf(bytes);
        case "docx":
            return extractDocx(bytes);
        case "epub":
            return extractEpub(bytes);
        case "pptx": case "xlsx": case "odt": case "odp": case "ods": case "rtf":
            return extractOffice(bytes, format);
        case "html": {
            extractText(bytes, format);
            const html = decodeText(bytes);
            const { text, title } = htmlToText(html);
            const outline = outlineEntries(boundedOutline(htmlHeadings(html), title));
            return { format, text, ...(title === undefined ? {} : { title }), ...(outline ? { outline } : {}) };
        }
        default:
            return extractText(bytes, format);
    }
}
