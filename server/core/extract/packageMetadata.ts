import type { DocumentFormat } from "../types";
import { htmlToText } from "./htmlText";
import { maxHeadingsRead, metadataTitle, type RawHeading } from "./outline";
import type { ZipPackage } from "./zipPackage";

// Titles and tables of contents of zip-packaged documents, which mammoth and officeparser do not report: Office Open XML
// and ODF core properties, an EPUB's package document (OPF) and its navigation document (EPUB 3) or NCX (EPUB 2).
// The parts are XML read with small, linear patterns, never a backtracking one: each tag is matched on its own with
// bounded attribute and text lengths, and a part larger than the package reader's cap is not read at all.

/** The dc:title of DOCX/PPTX/XLSX core properties (docProps/core.xml) or an ODF package's meta.xml. */
export function coreTitle(zip: ZipPackage, format: DocumentFormat): string | undefined {
    const part = format === "odt" || format === "odp" || format === "ods" ? "meta.xml" : "docProps/core.xml";
    const xml = zip.text(part);
    return xml === undefined ? undefined : dcTitle(xml);
}

export interface EpubStructure {
    title?: string;
    headings: RawHeading[];
}

/** An EPUB's title (OPF dc:title) and table of contents (the nav document, else the NCX). */
export function epubStructure(zip: ZipPackage): EpubStructure {
    const book = packageDocument(zip);
    if (!book) return { headings: [] };
    const { opfPath, opf, items } = book;
    const nav = items.find((item) => /(?:^|\s)nav(?:\s|$)/.test(item.properties ?? ""));
    const tocId = /<(?:[\w-]+:)?spine\b[^>]{0,1000}?\btoc\s*=\s*["']([^"']{1,200})["']/i.exec(opf)?.[1];
    const ncx = items.find((item) => item.id === tocId) ?? items.find((item) => item.mediaType === "application/x-dtbncx+xml");
    const navText = nav && zip.text(partPath(opfPath, nav.href));
    let headings = navText === undefined ? [] : navHeadings(navText);
    if (headings.length === 0 && ncx) {
        const ncxText = zip.text(partPath(opfPath, ncx.href));
        if (ncxText !== undefined) headings = ncxHeadings(ncxText);
    }
    // Without a usable dc:title, the first document of the spine (the title page, as a rule) names the book.
    const firstId = /<(?:[\w-]+:)?itemref\b[^>]{0,1000}?\bidref\s*=\s*["']([^"']{1,200})["']/i.exec(opf)?.[1];
    const first = items.find((item) => item.id === firstId);
    const title = dcTitle(opf) ?? (first ? pageTitle(zip.text(partPath(opfPath, first.href), 1024 * 1024)) : undefined);
    return { ...(title === undefined ? {} : { title }), headings };
}

/** The zip entries of an EPUB's spine, in reading order (XHTML and HTML items only); undefined without a package document. */
export function epubSpine(zip: ZipPackage): string[] | undefined {
    const book = packageDocument(zip);
    if (!book) return undefined;
    const { opfPath, opf } = book;
    const items = new Map(book.items.map((item) => [item.id, item]));
    const parts: string[] = [];
    for (const ref of opf.matchAll(/<(?:[\w-]+:)?itemref\b[^>]{0,1000}?\bidref\s*=\s*["']([^"']{1,200})["']/gi)) {
        const item = items.get(ref[1]);
        if (item && /html/i.test(item.mediaType ?? "xhtml")) parts.push(partPath(opfPath, item.href));
        if (parts.length >= maxSpineItems) break;
    }
    return parts;
}

/** More spine items than this are not read (real books have tens to a few hundred). */
const maxSpineItems = 5_000;

/** An EPUB's package document (OPF): where container.xml says it is, its text and its manifest. */
function packageDocument(zip: ZipPackage): { opfPath: string; opf: string; items: ManifestItem[] } | undefined {
    const container = zip.text("META-INF/container.xml");
    const opfPath = container && /<(?:[\w-]+:)?rootfile\b[^>]{0,1000}?\bfull-path\s*=\s*["']([^"']{1,500})["']/i.exec(container)?.[1];
    const opf = opfPath ? zip.text(opfPath) : undefined;
    return opfPath && opf !== undefined ? { opfPath, opf, items: manifestItems(opf) } : undefined;
}

function pageTitle(xhtml: string | undefined): string | undefined {
    const raw = xhtml === undefined ? undefined : /<title\b[^>]{0,300}>([^<]{0,2000})</i.exec(xhtml)?.[1];
    return raw === undefined ? undefined : metadataTitle(htmlToText(raw).text);
}

function dcTitle(xml: string): string | undefined {
    const raw = /<(?:[\w-]+:)?title\b[^>]{0,300}>([^<]{0,2000})</i.exec(xml)?.[1];
    return raw === undefined ? undefined : metadataTitle(htmlToText(raw).text);
}

interface ManifestItem {
    id?: string;
    href: string;
    properties?: string;
    mediaType?: string;
}

function manifestItems(opf: string): ManifestItem[] {
    const items: ManifestItem[] = [];
    for (const tag of opf.matchAll(/<(?:[\w-]+:)?item\b([^>]{0,2000})>/gi)) {
        const attribute = (name: string) => new RegExp(`\\b${name}\\s*=\\s*["']([^"']{0,1000})["']`, "i").exec(tag[1])?.[1];
        const href = attribute("href");
        if (href) items.push({ id: attribute("id"), href, properties: attribute("properties"), mediaType: attribute("media-type") });
    }
    return items;
}

/** A manifest href as a zip entry name: relative to the OPF's folder, without a fragment, percent-decoding undone. */
function partPath(opfPath: string, href: string): string {
    let name = href.replace(/#.*$/, "");
    try {
        name = decodeURIComponent(name);
    } catch {
        // a malformed escape: the name as written
    }
    const parts = opfPath.split("/").slice(0, -1);
    for (const segment of name.split("/")) {
        if (segment === "..") parts.pop();
        else if (segment && segment !== ".") parts.push(segment);
    }
    return parts.join("/");
}

/** The entries of an EPUB 3 navigation document's toc nav: each link (or unlinked span) at its list depth. */
function navHeadings(xhtml: string): RawHeading[] {
    const start = /<nav\b[^>]{0,1000}?\btype\s*=\s*["'][^"']{0,200}?\btoc\b[^>]{0,1000}>/i.exec(xhtml) ?? /<nav\b[^>]{0,1000}>/i.exec(xhtml);
    if (!start) return [];
    const end = xhtml.indexOf("</nav", start.index);
    const nav = xhtml.slice(start.index, end < 0 ? undefined : end);
    const headings: RawHeading[] = [];
    let depth = 0;
    let label: { tag: string; from: number } | undefined;
    for (const tag of nav.matchAll(/<(\/?)(ol|a|span)\b[^>]{0,1000}>/gi)) {
        const [whole, closing, name] = tag;
        const lower = name.toLowerCase();
        if (lower === "ol") depth += closing ? -1 : 1;
        else if (!closing && !label) label = { tag: lower, from: tag.index + whole.length };
        else if (closing && label?.tag === lower) {
            const title = htmlToText(nav.slice(label.from, Math.min(tag.index, label.from + 2_000))).text;
            if (title && depth > 0) headings.push({ title, depth });
            label = undefined;
            if (headings.length >= maxHeadingsRead) break;
        }
    }
    return headings;
}

/** The entries of an EPUB 2 NCX: each navPoint's label at its nesting depth. */
function ncxHeadings(ncx: string): RawHeading[] {
    const headings: RawHeading[] = [];
    let depth = 0;
    let labelled = true;
    for (const tag of ncx.matchAll(/<(\/?)navPoint\b[^>]{0,1000}>|<text\b[^>]{0,200}>([^<]{0,2000})<\/text>/gi)) {
        if (tag[2] !== undefined) {
            if (!labelled && depth > 0) headings.push({ title: htmlToText(tag[2]).text, depth });
            labelled = true;
        } else if (tag[1]) depth--;
        else {
            depth++;
            labelled = false;
        }
        if (headings.length >= maxHeadingsRead) break;
    }
    return headings;
}
