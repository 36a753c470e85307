#!/usr/bin/env node
// Renders the extension's icon, media/icon.svg, to media/icon.png (256×256, transparent corners): the PNG is what
// package.json "icon" names, since the marketplace does not accept an SVG icon. Run it after editing the SVG and
// commit both files:
//
//   node tools/render-icon.mjs              (CHROMIUM_PATH=/path/to/chrome for another Chromium than /usr/bin/chromium)
//
// Uses headless Chromium through playwright-core (a dev dependency, the same browser the VS Code tests drive).
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const source = path.join(root, "media", "icon.svg");
const target = path.join(root, "media", "icon.png");
const size = 256;

const executablePath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
if (!fs.existsSync(executablePath)) {
    console.error(`Chromium not found at ${executablePath}: \`apt-get install chromium\` (or set CHROMIUM_PATH).`);
    process.exit(1);
}

const svg = fs.readFileSync(source, "utf8");
const browser = await chromium.launch({ executablePath, headless: true, args: ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"] });
try {
    const page = await browser.newPage({ viewport: { width: size, height: size }, deviceScaleFactor: 1 });
    // The SVG inline, scaled to the viewport; nothing is fetched.
    const sized = svg.replace(/<svg\b([^>]*?)\swidth="[^"]*"\s+height="[^"]*"/, `<svg$1 width="${size}" height="${size}"`);
    await page.setContent(`<!doctype html><html><head><style>html,body{margin:0;padding:0;background:transparent}svg{display:block}</style></head><body>${sized}</body></html>`);
    await page.screenshot({ path: target, omitBackground: true, clip: { x: 0, y: 0, width: size, height: size } });
} finally {
    await browser.close();
}
const png = fs.readFileSync(target);
const width = png.readUInt32BE(16);
const height = png.readUInt32BE(20);
if (width !== size || height !== size) {
    console.error(`${path.relative(root, target)} is ${width}×${height}, expected ${size}×${size}`);
    process.exit(1);
}
console.log(`${path.relative(root, target)}: ${width}×${height}, ${png.length} bytes, from ${path.relative(root, source)}`);
