/**
 * Generates the binary documents of the bundled sample workspace (samples/workspace/)
 * from the plain-text sources in samples/src/:
 *
 *   samples/src/plot-holder-handbook.md  -> samples/workspace/docs/plot-holder-handbook.docx
 *   samples/src/annual-report-2024.md    -> samples/workspace/reports/annual-report-2024.pdf
 *   samples/src/agm-2025.md              -> samples/workspace/presentations/agm-2025.pptx
 *
 * Usage:
 *   node --import tsx tools/make-samples.ts          # (re)write the three files
 *   node --import tsx tools/make-samples.ts --check  # exit 1 if the committed files are stale
 *
 * The output is byte-for-byte deterministic: zip entries carry a fixed date and fixed
 * order, and the PDF has a fixed CreationDate/ModDate (pdfkit derives the trailer /ID
 * from the info dictionary, so that is stable too). Regenerating without changing the
 * sources therefore leaves `git status` clean.
 *
 * The small OOXML/PDF builders are exported so that test fixtures can reuse them
 * (test/fixtures/makeFixtures.ts). Everything here is written for jszip 3.10 and
 * pdfkit 0.17.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import JSZip from "jszip";
import PDFDocument from "pdfkit";

/** The date stamped into every generated file (zip entry dates, PDF and OOXML metadata). */
export const FIXED_DATE = new Date(Date.UTC(2025, 1, 14, 9, 0, 0));

// ---------------------------------------------------------------------------------------
// Generic helpers
// ---------------------------------------------------------------------------------------

export function xmlEscape(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;");
}

export interface ZipEntry {
  name: string;
  data: string | Buffer;
  /** Store uncompressed (required for the `mimetype` entry of ODF and EPUB packages). */
  store?: boolean;
}

/** Builds a zip with fixed entry dates and the given entry order. */
export async function zipDeterministic(entries: ZipEntry[], date: Date = FIXED_DATE): Promise<Buffer> {
  const zip = new JSZip();
  for (const entry of entries) {
    zip.file(entry.name, entry.data, {
      date,
      createFolders: false,
      compression: entry.store ? "STORE" : "DEFLATE",
    });
  }
  return zip.generateAsync({
    type: "nodebuffer",
    compression: "DEFLATE",
    compressionOptions: { level: 9 },
    platform: "DOS",
  });
}

const XML_HEADER = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n';

/** An OOXML package's [Content_Types].xml: the rels and xml defaults, then these Override elements. */
export function contentTypes(overrides: string[]): ZipEntry {
  return {
    name: "[Content_Types].xml",
    data:
      XML_HEADER +
      '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">' +
      '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>' +
      '<Default Extension="xml" ContentType="application/xml"/>' +
      overrides.join("") +
      "</Types>",
  };
}

/** An OOXML package's _rels/.rels: its main part and, when it has one, docProps/core.xml. */
export function packageRels(mainPart: string, core: boolean): ZipEntry {
  return {
    name: "_rels/.rels",
    data:
      XML_HEADER +
      '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">' +
      `<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="${mainPart}"/>` +
      (core ? '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/>' : "") +
      "</Relationships>",
  };
}

function corePropsXml(title: string, author: string, date: Date): string {
  const iso = date.toISOString().replace(/\.\d{3}Z$/, "Z");
  return (
    XML_HEADER +
    '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" ' +
    'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" ' +
    'xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">' +
    `<dc:title>${xmlEscape(title)}</dc:title>` +
    `<dc:creator>${xmlEscape(author)}</dc:creator>` +
    `<cp:lastModifiedBy>${xmlEscape(author)}</cp:lastModifiedBy>` +
    `<dcterms:created xsi:type="dcterms:W3CDTF">${iso}</dcterms:created>` +
    `<dcterms:modified xsi:type="dcterms:W3CDTF">${iso}</dcterms:modified>` +
    "</cp:coreProperties>"
  );
}

export interface DocMeta {
  title: string;
  author: string;
  date?: Date;
}

// ---------------------------------------------------------------------------------------
// DOCX
// ---------------------------------------------------------------------------------------

/** "title" uses Word's Title style, which mammoth does not map by default (it warns and emits <p>). */
export type DocxBlockKind = "title" | "heading1" | "heading2" | "heading3" | "paragraph" | "bullet";
export interface DocxBlock {
  kind: DocxBlockKind;
  text: string;
}

const DOCX_STYLE_IDS: Record<DocxBlockKind, string | null> = {
  title: "Title",
  heading1: "Heading1",
  heading2: "Heading2",
  heading3: "Heading3",
  paragraph: null,
  bullet: "ListParagraph",
};

function docxParagraph(block: DocxBlock): string {
  const styleId = DOCX_STYLE_IDS[block.kind];
  const pPr: string[] = [];
  if (styleId) pPr.push(`<w:pStyle w:val="${styleId}"/>`);
  if (block.kind === "bullet") pPr.push('<w:numPr><w:ilvl w:val="0"/><w:numId w:val="1"/></w:numPr>');
  const props = pPr.length ? `<w:pPr>${pPr.join("")}</w:pPr>` : "";
  return `<w:p>${props}<w:r><w:t xml:space="preserve">${xmlEscape(block.text)}</w:t></w:r></w:p>`;
}

const DOCX_STYLES =
  XML_HEADER +
  '<w:styles xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">' +
  '<w:docDefaults><w:rPrDefault><w:rPr><w:rFonts w:ascii="Calibri" w:hAnsi="Calibri" w:eastAsia="Calibri" w:cs="Calibri"/>' +
  '<w:sz w:val="22"/><w:szCs w:val="22"/><w:lang w:val="en-GB"/></w:rPr></w:rPrDefault>' +
  '<w:pPrDefault><w:pPr><w:spacing w:after="160" w:line="259" w:lineRule="auto"/></w:pPr></w:pPrDefault></w:docDefaults>' +
  '<w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/><w:qFormat/></w:style>' +
  '<w:style w:type="paragraph" w:styleId="Title"><w:name w:val="Title"/><w:basedOn w:val="Normal"/><w:next w:val="Normal"/><w:qFormat/>' +
  '<w:pPr><w:spacing w:after="240"/></w:pPr><w:rPr><w:sz w:val="48"/><w:szCs w:val="48"/></w:rPr></w:style>' +
  '<w:style w:type="paragraph" w:styleId="Heading1"><w:name w:val="heading 1"/><w:basedOn w:val="Normal"/><w:next w:val="Normal"/><w:qFormat/>' +
  '<w:pPr><w:keepNext/><w:spacing w:before="360" w:after="120"/><w:outlineLvl w:val="0"/></w:pPr>' +
  '<w:rPr><w:b/><w:color w:val="2F5496"/><w:sz w:val="32"/><w:szCs w:val="32"/></w:rPr></w:style>' +
  '<w:style w:type="paragraph" w:styleId="Heading2"><w:name w:val="heading 2"/><w:basedOn w:val="Normal"/><w:next w:val="Normal"/><w:qFormat/>' +
  '<w:pPr><w:keepNext/><w:spacing w:before="240" w:after="80"/><w:outlineLvl w:val="1"/></w:pPr>' +
  '<w:rPr><w:b/><w:color w:val="2F5496"/><w:sz w:val="26"/><w:szCs w:val="26"/></w:rPr></w:style>' +
  '<w:style w:type="paragraph" w:styleId="Heading3"><w:name w:val="heading 3"/><w:basedOn w:val="Normal"/><w:next w:val="Normal"/><w:qFormat/>' +
  '<w:pPr><w:keepNext/><w:spacing w:before="200" w:after="60"/><w:outlineLvl w:val="2"/></w:pPr>' +
  '<w:rPr><w:b/><w:color w:val="1F3763"/><w:sz w:val="24"/><w:szCs w:val="24"/></w:rPr></w:style>' +
  '<w:style w:type="paragraph" w:styleId="ListParagraph"><w:name w:val="List Paragraph"/><w:basedOn w:val="Normal"/><w:qFormat/>' +
  '<w:pPr><w:spacing w:after="60"/><w:ind w:left="720"/></w:pPr></w:style>' +
  "</w:styles>";

const DOCX_NUMBERING =
  XML_HEADER +
  '<w:numbering xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">' +
  '<w:abstractNum w:abstractNumId="0"><w:multiLevelType w:val="singleLevel"/>' +
  '<w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="bullet"/><w:lvlText w:val="\u2022"/><w:lvlJc w:val="left"/>' +
  '<w:pPr><w:ind w:left="720" w:hanging="360"/></w:pPr></w:lvl></w:abstractNum>' +
  '<w:num w:numId="1"><w:abstractNumId w:val="0"/></w:num>' +
  "</w:numbering>";

/** A minimal but complete WordprocessingML package (opens in Word/LibreOffice, read by mammoth). */
export async function buildDocx(blocks: DocxBlock[], meta: DocMeta): Promise<Buffer> {
  const date = meta.date ?? FIXED_DATE;
  const body = blocks.map(docxParagraph).join("");
  const document =
    XML_HEADER +
    '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" ' +
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">' +
    `<w:body>${body}` +
    '<w:sectPr><w:pgSz w:w="11906" w:h="16838"/>' +
    '<w:pgMar w:top="1440" w:right="1440" w:bottom="1440" w:left="1440" w:header="708" w:footer="708" w:gutter="0"/></w:sectPr>' +
    "</w:body></w:document>";
  return zipDeterministic(
    [
      contentTypes([
        '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>',
        '<Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/>',
        '<Override PartName="/word/numbering.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.numbering+xml"/>',
        '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>',
      ]),
      packageRels("word/document.xml", true),
      {
        name: "word/_rels/document.xml.rels",
        data:
          XML_HEADER +
          '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">' +
          '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>' +
          '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/numbering" Target="numbering.xml"/>' +
          "</Relationships>",
      },
      { name: "word/document.xml", data: document },
      { name: "word/styles.xml", data: DOCX_STYLES },
      { name: "word/numbering.xml", data: DOCX_NUMBERING },
      { name: "docProps/core.xml", data: corePropsXml(meta.title, meta.author, date) },
    ],
    date,
  );
}

// ---------------------------------------------------------------------------------------
// PPTX
// ---------------------------------------------------------------------------------------

export interface SlideParagraph {
  text: string;
  bullet: boolean;
}
export interface Slide {
  title: string;
  body: SlideParagraph[];
}

const NS_PML =
  'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" ' +
  'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" ' +
  'xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"';

const EMPTY_GROUP =
  '<p:nvGrpSpPr><p:cNvPr id="1" name=""/><p:cNvGrpSpPr/><p:nvPr/></p:nvGrpSpPr>' +
  '<p:grpSpPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="0" cy="0"/><a:chOff x="0" y="0"/><a:chExt cx="0" cy="0"/></a:xfrm></p:grpSpPr>';

const TITLE_BOX = '<a:xfrm><a:off x="838200" y="365125"/><a:ext cx="10515600" cy="1325563"/></a:xfrm>';
const BODY_BOX = '<a:xfrm><a:off x="838200" y="1825625"/><a:ext cx="10515600" cy="4351338"/></a:xfrm>';

function placeholderShape(id: number, name: string, ph: string, box: string, paragraphs: string): string {
  return (
    `<p:sp><p:nvSpPr><p:cNvPr id="${id}" name="${name}"/><p:cNvSpPr><a:spLocks noGrp="1"/></p:cNvSpPr>` +
    `<p:nvPr>${ph}</p:nvPr></p:nvSpPr><p:spPr>${box}</p:spPr>` +
    `<p:txBody><a:bodyPr/><a:lstStyle/>${paragraphs}</p:txBody></p:sp>`
  );
}

function slideParagraph(p: SlideParagraph): string {
  const pPr = p.bullet
    ? '<a:pPr marL="342900" indent="-342900"><a:buFont typeface="Arial"/><a:buChar char="\u2022"/></a:pPr>'
    : '<a:pPr marL="0" indent="0"><a:buNone/></a:pPr>';
  return `<a:p>${pPr}<a:r><a:rPr lang="en-GB" dirty="0"/><a:t>${xmlEscape(p.text)}</a:t></a:r></a:p>`;
}

function slideXml(slide: Slide): string {
  const title = placeholderShape(
    2,
    "Title 1",
    '<p:ph type="title"/>',
    TITLE_BOX,
    `<a:p><a:r><a:rPr lang="en-GB" dirty="0"/><a:t>${xmlEscape(slide.title)}</a:t></a:r></a:p>`,
  );
  const bodyParas = slide.body.length ? slide.body.map(slideParagraph).join("") : '<a:p><a:endParaRPr lang="en-GB"/></a:p>';
  const body = placeholderShape(3, "Content Placeholder 2", '<p:ph idx="1"/>', BODY_BOX, bodyParas);
  return (
    XML_HEADER +
    `<p:sld ${NS_PML}><p:cSld><p:spTree>${EMPTY_GROUP}${title}${body}</p:spTree></p:cSld>` +
    '<p:clrMapOvr><a:masterClrMapping/></p:clrMapOvr></p:sld>'
  );
}

const PPTX_THEME =
  XML_HEADER +
  '<a:theme xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" name="Office Theme"><a:themeElements>' +
  '<a:clrScheme name="Office"><a:dk1><a:sysClr val="windowText" lastClr="000000"/></a:dk1><a:lt1><a:sysClr val="window" lastClr="FFFFFF"/></a:lt1>' +
  '<a:dk2><a:srgbClr val="44546A"/></a:dk2><a:lt2><a:srgbClr val="E7E6E6"/></a:lt2><a:accent1><a:srgbClr val="4472C4"/></a:accent1>' +
  '<a:accent2><a:srgbClr val="ED7D31"/></a:accent2><a:accent3><a:srgbClr val="A5A5A5"/></a:accent3><a:accent4><a:srgbClr val="FFC000"/></a:accent4>' +
  '<a:accent5><a:srgbClr val="5B9BD5"/></a:accent5><a:accent6><a:srgbClr val="70AD47"/></a:accent6><a:hlink><a:srgbClr val="0563C1"/></a:hlink>' +
  '<a:folHlink><a:srgbClr val="954F72"/></a:folHlink></a:clrScheme>' +
  '<a:fontScheme name="Office"><a:majorFont><a:latin typeface="Calibri Light"/><a:ea typeface=""/><a:cs typeface=""/></a:majorFont>' +
  '<a:minorFont><a:latin typeface="Calibri"/><a:ea typeface=""/><a:cs typeface=""/></a:minorFont></a:fontScheme>' +
  '<a:fmtScheme name="Office"><a:fillStyleLst><a:solidFill><a:schemeClr val="phClr"/></a:solidFill><a:solidFill><a:schemeClr val="phClr"/></a:solidFill>' +
  '<a:solidFill><a:schemeClr val="phClr"/></a:solidFill></a:fillStyleLst>' +
  '<a:lnStyleLst><a:ln w="6350"><a:solidFill><a:schemeClr val="phClr"/></a:solidFill></a:ln><a:ln w="12700"><a:solidFill><a:schemeClr val="phClr"/></a:solidFill></a:ln>' +
  '<a:ln w="19050"><a:solidFill><a:schemeClr val="phClr"/></a:solidFill></a:ln></a:lnStyleLst>' +
  '<a:effectStyleLst><a:effectStyle><a:effectLst/></a:effectStyle><a:effectStyle><a:effectLst/></a:effectStyle><a:effectStyle><a:effectLst/></a:effectStyle></a:effectStyleLst>' +
  '<a:bgFillStyleLst><a:solidFill><a:schemeClr val="phClr"/></a:solidFill><a:solidFill><a:schemeClr val="phClr"/></a:solidFill>' +
  '<a:solidFill><a:schemeClr val="phClr"/></a:solidFill></a:bgFillStyleLst></a:fmtScheme></a:themeElements>' +
  "<a:objectDefaults/><a:extraClrSchemeLst/></a:theme>";

const PPTX_MASTER =
  XML_HEADER +
  `<p:sldMaster ${NS_PML}><p:cSld><p:bg><p:bgRef idx="1001"><a:schemeClr val="bg1"/></p:bgRef></p:bg><p:spTree>${EMPTY_GROUP}` +
  placeholderShape(2, "Title Placeholder 1", '<p:ph type="title"/>', TITLE_BOX, '<a:p><a:endParaRPr lang="en-GB"/></a:p>') +
  placeholderShape(3, "Text Placeholder 2", '<p:ph type="body" idx="1"/>', BODY_BOX, '<a:p><a:endParaRPr lang="en-GB"/></a:p>') +
  "</p:spTree></p:cSld>" +
  '<p:clrMap bg1="lt1" tx1="dk1" bg2="lt2" tx2="dk2" accent1="accent1" accent2="accent2" accent3="accent3" accent4="accent4" accent5="accent5" accent6="accent6" hlink="hlink" folHlink="folHlink"/>' +
  '<p:sldLayoutIdLst><p:sldLayoutId id="2147483649" r:id="rId1"/></p:sldLayoutIdLst>' +
  '<p:txStyles><p:titleStyle><a:lvl1pPr><a:defRPr sz="4000"/></a:lvl1pPr></p:titleStyle>' +
  '<p:bodyStyle><a:lvl1pPr><a:defRPr sz="2400"/></a:lvl1pPr></p:bodyStyle><p:otherStyle><a:lvl1pPr><a:defRPr sz="1800"/></a:lvl1pPr></p:otherStyle></p:txStyles>' +
  "</p:sldMaster>";

const PPTX_LAYOUT =
  XML_HEADER +
  `<p:sldLayout ${NS_PML} type="obj" preserve="1"><p:cSld name="Title and Content"><p:spTree>${EMPTY_GROUP}` +
  placeholderShape(2, "Title 1", '<p:ph type="title"/>', "", '<a:p><a:endParaRPr lang="en-GB"/></a:p>') +
  placeholderShape(3, "Content Placeholder 2", '<p:ph idx="1"/>', "", '<a:p><a:endParaRPr lang="en-GB"/></a:p>') +
  "</p:spTree></p:cSld><p:clrMapOvr><a:masterClrMapping/></p:clrMapOvr></p:sldLayout>";

function rels(items: Array<[id: string, type: string, target: string]>): string {
  return (
    XML_HEADER +
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">' +
    items
      .map(
        ([id, type, target]) =>
          `<Relationship Id="${id}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/${type}" Target="${target}"/>`,
      )
      .join("") +
    "</Relationships>"
  );
}

/** A minimal PresentationML package: one master, one layout, one theme, N slides. */
export async function buildPptx(slides: Slide[], meta: DocMeta): Promise<Buffer> {
  const date = meta.date ?? FIXED_DATE;
  const slideOverrides = slides
    .map(
      (_, i) =>
        `<Override PartName="/ppt/slides/slide${i + 1}.xml" ContentType="application/vnd.openxmlformats-officedocument.presentationml.slide+xml"/>`,
    )
    .join("");
  const presentation =
    XML_HEADER +
    `<p:presentation ${NS_PML} saveSubsetFonts="1">` +
    '<p:sldMasterIdLst><p:sldMasterId id="2147483648" r:id="rId1"/></p:sldMasterIdLst>' +
    `<p:sldIdLst>${slides.map((_, i) => `<p:sldId id="${256 + i}" r:id="rId${i + 3}"/>`).join("")}</p:sldIdLst>` +
    '<p:sldSz cx="12192000" cy="6858000"/><p:notesSz cx="6858000" cy="9144000"/>' +
    "</p:presentation>";
  const entries: ZipEntry[] = [
    contentTypes([
      '<Override PartName="/ppt/presentation.xml" ContentType="application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml"/>',
      '<Override PartName="/ppt/slideMasters/slideMaster1.xml" ContentType="application/vnd.openxmlformats-officedocument.presentationml.slideMaster+xml"/>',
      '<Override PartName="/ppt/slideLayouts/slideLayout1.xml" ContentType="application/vnd.openxmlformats-officedocument.presentationml.slideLayout+xml"/>',
      '<Override PartName="/ppt/theme/theme1.xml" ContentType="application/vnd.openxmlformats-officedocument.theme+xml"/>',
      slideOverrides,
      '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>',
    ]),
    packageRels("ppt/presentation.xml", true),
    { name: "ppt/presentation.xml", data: presentation },
    {
      name: "ppt/_rels/presentation.xml.rels",
      data: rels([
        ["rId1", "slideMaster", "slideMasters/slideMaster1.xml"],
        ["rId2", "theme", "theme/theme1.xml"],
        ...slides.map((_, i): [string, string, string] => [`rId${i + 3}`, "slide", `slides/slide${i + 1}.xml`]),
      ]),
    },
    { name: "ppt/slideMasters/slideMaster1.xml", data: PPTX_MASTER },
    {
      name: "ppt/slideMasters/_rels/slideMaster1.xml.rels",
      data: rels([
        ["rId1", "slideLayout", "../slideLayouts/slideLayout1.xml"],
        ["rId2", "theme", "../theme/theme1.xml"],
      ]),
    },
    { name: "ppt/slideLayouts/slideLayout1.xml", data: PPTX_LAYOUT },
    {
      name: "ppt/slideLayouts/_rels/slideLayout1.xml.rels",
      data: rels([["rId1", "slideMaster", "../slideMasters/slideMaster1.xml"]]),
    },
    { name: "ppt/theme/theme1.xml", data: PPTX_THEME },
  ];
  slides.forEach((slide, i) => {
    entries.push({ name: `ppt/slides/slide${i + 1}.xml`, data: slideXml(slide) });
    entries.push({
      name: `ppt/slides/_rels/slide${i + 1}.xml.rels`,
      data: rels([["rId1", "slideLayout", "../slideLayouts/slideLayout1.xml"]]),
    });
  });
  entries.push({ name: "docProps/core.xml", data: corePropsXml(meta.title, meta.author, date) });
  return zipDeterministic(entries, date);
}

// ---------------------------------------------------------------------------------------
// PDF
// ---------------------------------------------------------------------------------------

export type PdfBlock =
  | { kind: "title" | "heading" | "paragraph" | "bullet"; text: string }
  | { kind: "row"; label: string; value: string };

export interface PdfOptions extends DocMeta {
  /** Running header printed at the top of every page as "<header> - page N of M". */
  header?: string;
  /** Encrypts the PDF (AES-128, PDF 1.7). Output is then no longer byte-deterministic. */
  userPassword?: string;
}

/**
 * Renders one PDF page per entry of `pages` (A4, Helvetica, real text layer). Throws if
 * a page's text overflows, because pdfkit would silently add an extra page and shift
 * every later page number.
 */
export async function buildPdf(pages: PdfBlock[][], options: PdfOptions): Promise<Buffer> {
  const date = options.date ?? FIXED_DATE;
  const doc = new PDFDocument({
    size: "A4",
    margins: { top: 64, bottom: 56, left: 62, right: 62 },
    autoFirstPage: false,
    compress: true,
    lang: "en-GB",
    displayTitle: true,
    info: {
      Title: options.title,
      Author: options.author,
      Creator: "LlamaHome tools/make-samples.ts",
      Producer: "PDFKit",
      CreationDate: date,
      ModDate: date,
    },
    ...(options.userPassword ? { userPassword: options.userPassword, pdfVersion: "1.7" as const } : {}),
  });
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on("data", (chunk: Buffer) => chunks.push(chunk));
    doc.on("end", () => resolve(Buffer.concat(chunks)));
    doc.on("error", reject);
  });

  let pagesAdded = 0;
  doc.on("pageAdded", () => {
    pagesAdded++;
  });

  pages.forEach((blocks, pageIndex) => {
    doc.addPage();
    const expectedPages = pageIndex + 1;
    const left = doc.page.margins.left;
    const width = doc.page.width - doc.page.margins.left - doc.page.margins.right;
    if (options.header) {
      // Draw the running header inside the top margin without triggering a page break.
      const top = doc.page.margins.top;
      doc.page.margins.top = 0;
      doc.font("Helvetica").fontSize(8).fillColor("#666666");
      doc.text(`${options.header} - page ${pageIndex + 1} of ${pages.length}`, left, 30, { width, align: "right" });
      doc.page.margins.top = top;
      doc.fillColor("#000000");
      doc.x = left;
      doc.y = top;
    }
    for (const block of blocks) {
      switch (block.kind) {
        case "title":
          doc.font("Helvetica-Bold").fontSize(17).fillColor("#1F4E3D").text(block.text, left, doc.y, { width });
          doc.fillColor("#000000").moveDown(0.5);
          break;
        case "heading":
          doc.moveDown(0.3);
          doc.font("Helvetica-Bold").fontSize(11.5).fillColor("#1F4E3D").text(block.text, left, doc.y, { width });
          doc.fillColor("#000000").moveDown(0.2);
          break;
        case "paragraph":
          doc.font("Helvetica").fontSize(9.5).text(block.text, left, doc.y, { width, align: "justify", lineGap: 1.2 });
          doc.moveDown(0.45);
          break;
        case "bullet":
          doc.font("Helvetica").fontSize(9.5).text(`\u2022  ${block.text}`, left + 12, doc.y, { width: width - 12, lineGap: 1 });
          doc.moveDown(0.15);
          break;
        case "row": {
          const y = doc.y;
          const isTotal = /^(total|planned deficit|deficit)/i.test(block.label);
          const font = isTotal ? "Helvetica-Bold" : "Helvetica";
          const labelWidth = width - 130;
          doc.font(font).fontSize(9.5).text(block.label, left + 12, y, { width: labelWidth - 12 });
          const afterLabel = doc.y;
          doc.font(font).fontSize(9.5).text(block.value, left + labelWidth, y, { width: 110, align: "right" });
          doc.x = left;
          doc.y = Math.max(afterLabel, doc.y) + 1.5;
          break;
        }
      }
      if (pagesAdded !== expectedPages) {
        throw new Error(`PDF page ${expectedPages} overflows onto a new page; shorten its text`);
      }
    }
  });
  doc.end();
  return done;
}

// ---------------------------------------------------------------------------------------
// Source parsers (a tiny Markdown subset; see the comment at the top of each source file)
// ---------------------------------------------------------------------------------------

function stripComments(source: string): string {
  return source.replace(/<!--(?!\s*page\s*-->)[\s\S]*?-->/g, "");
}

/** Joins consecutive non-blank lines into paragraphs; returns the lines as "logical lines". */
function logicalLines(source: string): string[] {
  const out: string[] = [];
  let para: string[] = [];
  const flush = (): void => {
    if (para.length) out.push(para.join(" "));
    para = [];
  };
  for (const raw of source.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line) {
      flush();
      continue;
    }
    if (/^(#{1,3} |- |\d+\. |\| |<!--|---$)/.test(line)) {
      flush();
      out.push(line);
    } else {
      para.push(line);
    }
  }
  flush();
  return out;
}

export function parseHandbook(source: string): DocxBlock[] {
  return logicalLines(stripComments(source)).map((line): DocxBlock => {
    if (line.startsWith("### ")) return { kind: "heading3", text: line.slice(4) };
    if (line.startsWith("## ")) return { kind: "heading2", text: line.slice(3) };
    if (line.startsWith("# ")) return { kind: "heading1", text: line.slice(2) };
    if (line.startsWith("- ")) return { kind: "bullet", text: line.slice(2) };
    return { kind: "paragraph", text: line };
  });
}

export function parseReport(source: string): PdfBlock[][] {
  const pages: PdfBlock[][] = [];
  for (const line of logicalLines(stripComments(source))) {
    if (/^<!--\s*page\s*-->$/.test(line)) {
      pages.push([]);
      continue;
    }
    const page = pages[pages.length - 1];
    if (!page) throw new Error("report source must start with <!-- page -->");
    if (line.startsWith("## ")) page.push({ kind: "heading", text: line.slice(3) });
    else if (line.startsWith("# ")) page.push({ kind: "title", text: line.slice(2) });
    else if (line.startsWith("- ")) page.push({ kind: "bullet", text: line.slice(2) });
    else if (line.startsWith("| ")) {
      const cells = line.split("|").map((c) => c.trim()).filter(Boolean);
      if (cells.length !== 2) throw new Error(`table rows need two cells: ${line}`);
      page.push({ kind: "row", label: cells[0]!, value: cells[1]! });
    } else page.push({ kind: "paragraph", text: line });
  }
  return pages;
}

/** One slide per "---"-separated block; each non-blank line is its own paragraph. */
export function parseSlides(source: string): Slide[] {
  const slides: Slide[] = [];
  let current: Slide | undefined;
  for (const raw of stripComments(source).split(/\r?\n/)) {
    const line = raw.trim();
    if (!line) continue;
    if (line === "---") {
      current = undefined;
      continue;
    }
    if (!current) {
      if (!line.startsWith("# ")) throw new Error(`a slide must start with "# title": ${line}`);
      current = { title: line.slice(2), body: [] };
      slides.push(current);
      continue;
    }
    if (line.startsWith("- ")) current.body.push({ text: line.slice(2), bullet: true });
    else current.body.push({ text: line, bullet: false });
  }
  return slides;
}

// ---------------------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------------------

const ROOT = path.resolve(__dirname, "..");
const SRC = path.join(ROOT, "samples", "src");
const OUT = path.join(ROOT, "samples", "workspace");
const AUTHOR = "Riverside Allotment Society";

export async function buildSamples(): Promise<Map<string, Buffer>> {
  const read = (name: string): string => fs.readFileSync(path.join(SRC, name), "utf8");
  const outputs = new Map<string, Buffer>();
  outputs.set(
    "docs/plot-holder-handbook.docx",
    await buildDocx(parseHandbook(read("plot-holder-handbook.md")), {
      title: "Plot Holder Handbook and Tenancy Rules",
      author: AUTHOR,
    }),
  );
  outputs.set(
    "reports/annual-report-2024.pdf",
    await buildPdf(parseReport(read("annual-report-2024.md")), {
      title: "Riverside Allotment Society: Annual Report 2024",
      author: AUTHOR,
      header: "Riverside Allotment Society - Annual Report 2024",
    }),
  );
  outputs.set(
    "presentations/agm-2025.pptx",
    await buildPptx(parseSlides(read("agm-2025.md")), {
      title: "Annual General Meeting 2025",
      author: AUTHOR,
    }),
  );
  return outputs;
}

async function main(): Promise<void> {
  const check = process.argv.includes("--check");
  const outputs = await buildSamples();
  let stale = 0;
  for (const [rel, data] of outputs) {
    const file = path.join(OUT, rel);
    if (check) {
      const current = fs.existsSync(file) ? fs.readFileSync(file) : undefined;
      if (!current || !current.equals(data)) {
        stale++;
        console.error(`stale: samples/workspace/${rel}`);
      }
      continue;
    }
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, data);
    console.log(`wrote samples/workspace/${rel} (${data.length} bytes)`);
  }
  if (check) {
    if (stale) {
      console.error("run: node --import tsx tools/make-samples.ts");
      process.exitCode = 1;
    } else console.log("samples are up to date");
  }
}

// Bundled into the CLI (for `llamahome bench`'s corpus), `require.main === module` holds there too, so the
// script also checks that it was started as itself.
if (require.main === module && /make-samples\.[jt]s$/.test(process.argv[1] ?? "")) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
