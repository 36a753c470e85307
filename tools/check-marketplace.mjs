#!/usr/bin/env node
// Checks what the extension page and the first run are made of, as vsce would pack them, in a second and without
// building or writing a .vsix: vsce's own file collection and processors (the ones `vsce package` runs), with
// node_modules left out.
//
//   node tools/check-marketplace.mjs [--readme-path media/marketplace/README.md]
//
// Checks: package.json "icon" is a 256×256 PNG in the package; every walkthrough step's media and every command its
// links and completion events name exist (commands: package.json's, or VS Code's own `workbench.*`); the README vsce
// packs as readme.md (the marketplace one with --readme-path, else the root README.md) passes vsce's checks (no
// relative links without a repository URL); the marketplace README names every setting package.json contributes.
// Exit code 1 with one line per problem.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(import.meta.url);
const vsce = require("@vscode/vsce/out/package.js");

const args = process.argv.slice(2);
const readmeFlag = args.indexOf("--readme-path");
const readmePath = readmeFlag >= 0 ? args[readmeFlag + 1] : undefined;
const marketplaceReadme = "media/marketplace/README.md";

const problems = [];
const manifest = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8"));
const commands = new Set((manifest.contributes?.commands ?? []).map((c) => c.command));
const isKnownCommand = (id) => commands.has(id) || id.startsWith("workbench.");

// 1. vsce's collection and processors (README, icon, manifest validation), node_modules left out.
let files = [];
try {
    files = await vsce.collect(await vsce.readManifest(root), { cwd: root, dependencies: false, readmePath, allowMissingRepository: true });
} catch (error) {
    problems.push(`vsce rejects the package: ${error instanceof Error ? error.message : String(error)}`);
}
const packed = new Map(files.map((f) => [f.path, f]));
const readFile = async (f) => (f.contents !== undefined ? Buffer.from(f.contents) : fs.promises.readFile(f.localPath));

// 2. The icon: in the package, a PNG, 256×256.
if (!manifest.icon) problems.push('package.json has no "icon"');
else {
    const icon = packed.get(`extension/${manifest.icon}`);
    if (!icon) problems.push(`the icon ${manifest.icon} is not in the package (.vscodeignore?)`);
    else {
        const png = await readFile(icon);
        const isPng = png.subarray(1, 4).toString("latin1") === "PNG";
        const [width, height] = isPng ? [png.readUInt32BE(16), png.readUInt32BE(20)] : [0, 0];
        if (!isPng || width !== 256 || height !== 256) problems.push(`${manifest.icon} is not a 256×256 PNG (${isPng ? `${width}×${height}` : "not a PNG"})`);
    }
}
if (!manifest.galleryBanner?.color) problems.push('package.json has no "galleryBanner" colour');

// 3. The walkthroughs: media in the package, commands that exist.
const walkthroughs = manifest.contributes?.walkthroughs ?? [];
if (!walkthroughs.length) problems.push("package.json contributes no walkthrough");
for (const walkthrough of walkthroughs) {
    for (const step of walkthrough.steps ?? []) {
        const where = `walkthrough ${walkthrough.id}, step ${step.id}`;
        for (const media of [step.media?.markdown, step.media?.image, step.media?.svg].filter((m) => typeof m === "string")) {
            if (!packed.has(`extension/${media}`)) problems.push(`${where}: ${media} is not in the package`);
        }
        for (const [, id] of (step.description ?? "").matchAll(/\(command:(?:toSide:)?([\w.-]+)/g)) {
            if (!isKnownCommand(id)) problems.push(`${where}: the link runs ${id}, which package.json does not contribute`);
        }
        for (const event of step.completionEvents ?? []) {
            const id = /^onCommand:(.+)$/.exec(event)?.[1];
            if (id && !isKnownCommand(id)) problems.push(`${where}: completion event ${event} names a command package.json does not contribute`);
        }
    }
}

// 4. The README vsce packs, and the marketplace README's settings table.
const readme = packed.get("extension/readme.md");
if (!readme) problems.push("no readme.md in the package");
const packedReadme = readme ? (await readFile(readme)).toString("utf8") : "";
const marketplace = fs.readFileSync(path.join(root, marketplaceReadme), "utf8");
const configuration = [manifest.contributes?.configuration ?? []].flat();
for (const key of configuration.flatMap((c) => Object.keys(c.properties ?? {}))) {
    if (!marketplace.includes(`\`${key}\``)) problems.push(`${marketplaceReadme} does not list the setting ${key}`);
}
const readmeSource = readme?.originalPath ? path.relative(root, readme.originalPath) : "?";

const media = files.filter((f) => /^extension\/media\/(walkthrough\/|icon\.)/.test(f.path)).map((f) => f.path.slice("extension/".length));
console.log(`packed (without node_modules): ${files.length} files; readme.md from ${readmeSource} (${packedReadme.length} characters)`);
console.log(`icon and walkthrough media: ${media.join(", ") || "none"}`);
if (readmePath === undefined) console.log(`(the root README.md is packed; pass --readme-path ${marketplaceReadme} to check the marketplace one)`);
if (problems.length) {
    for (const problem of problems) console.error(`problem: ${problem}`);
    process.exit(1);
}
console.log("marketplace check passed");
