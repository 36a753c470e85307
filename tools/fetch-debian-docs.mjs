#!/usr/bin/env node
// Lays out the retrieval benchmark's documents: real manuals no one here wrote, from Debian's documentation packages,
// fetched with `apt-get download` (the package registry is the only network this needs) and unpacked with dpkg-deb.
// Every format is covered: PDF and EPUB as Debian ships them, HTML specifications, and the New Maintainers' Guide's
// chapters rendered to DOCX with Debian's pandoc (installed with apt-get when missing and this runs as root).
//
//   node tools/fetch-debian-docs.mjs [--slice]     → test/fixtures/retrieval/docs/{debian,debian-slice}/
//
// --slice lays out only the small workspace CI's test uses (no pandoc needed). Nothing is committed: the folders are
// ignored by git, and a second run reuses the downloaded packages.
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "..", "test", "fixtures", "retrieval", "docs");
const cache = join(out, ".packages");
const slice = process.argv.includes("--slice");

// Versions are whatever the configured Debian release has; the dataset's questions name facts that are stable
// across these packages' recent versions, and a run prints the versions it used.
const packages = ["debian-policy", "developers-reference", "maint-guide", "debian-reference-en"];

/** Files of the full workspace: [package, path inside the package, name in the workspace]. */
const full = [
    ["developers-reference", "usr/share/developers-reference/developers-reference.pdf", "developers-reference.pdf"],
    ["debian-reference-en", "usr/share/debian-reference/debian-reference.en.pdf", "debian-reference.pdf"],
    ["debian-policy", "usr/share/doc/debian-policy/policy.epub", "policy.epub"],
    ["debian-policy", "usr/share/doc/debian-policy/copyright-format-1.0.html", "copyright-format-1.0.html"],
    ["debian-policy", "usr/share/doc/debian-policy/fhs/fhs-3.0.html", "fhs-3.0.html"],
    ["debian-policy", "usr/share/doc/debian-policy/autopkgtest.html", "autopkgtest.html"],
    ["debian-policy", "usr/share/doc/debian-policy/debconf_specification.html", "debconf_specification.html"],
    ["debian-policy", "usr/share/doc/debian-policy/menu-policy-1.html", "menu-policy-1.html"],
    ["debian-policy", "usr/share/doc/debian-policy/perl-policy-1.html", "perl-policy-1.html"],
    ["debian-policy", "usr/share/doc/debian-policy/policy.html/upgrading-checklist.html", "upgrading-checklist.html"],
];
/** The small workspace CI indexes: one PDF, one EPUB, one HTML specification. */
const small = [
    ["maint-guide", "usr/share/doc/maint-guide/maint-guide.en.pdf", "maint-guide.pdf"],
    ["developers-reference", "usr/share/developers-reference/developers-reference.epub", "developers-reference.epub"],
    ["debian-policy", "usr/share/doc/debian-policy/copyright-format-1.0.html", "copyright-format-1.0.html"],
];

mkdirSync(cache, { recursive: true });
const wanted = slice ? [...new Set(small.map(([pkg]) => pkg))] : packages;
const missing = wanted.filter((pkg) => !readdirSync(cache).some((file) => file.startsWith(`${pkg}_`) && file.endsWith(".deb")));
if (missing.length > 0) {
    const download = () => execFileSync("apt-get", ["download", ...missing], { cwd: cache, stdio: ["ignore", "inherit", "inherit"], timeout: 300_000 });
    try {
        download();
    } catch (error) {
        // A fresh machine may have no package lists yet: root can fetch them once and try again.
        if (process.getuid?.() !== 0) {
            console.error(`apt-get download ${missing.join(" ")} failed (${error.message.split("\n")[0]}). Run apt-get update (as root) and try again.`);
            process.exit(1);
        }
        execFileSync("apt-get", ["update", "-qq"], { stdio: ["ignore", "inherit", "inherit"], timeout: 300_000 });
        download();
    }
}
const versions = {};
for (const pkg of wanted) {
    const deb = readdirSync(cache).find((file) => file.startsWith(`${pkg}_`) && file.endsWith(".deb"));
    versions[pkg] = deb.split("_")[1];
    const unpacked = join(cache, pkg);
    if (!existsSync(unpacked)) execFileSync("dpkg-deb", ["-x", join(cache, deb), unpacked], { timeout: 120_000 });
}

function layOut(name, files) {
    const root = join(out, name);
    rmSync(root, { recursive: true, force: true });
    mkdirSync(root, { recursive: true });
    for (const [pkg, path, as] of files) {
        const from = join(cache, pkg, path);
        if (existsSync(from)) copyFileSync(from, join(root, as));
        else if (existsSync(`${from}.gz`)) writeFileSync(join(root, as), gunzipSync(readFileSync(`${from}.gz`)));
        else throw new Error(`${pkg} ${versions[pkg]} has no ${path}`);
    }
    return root;
}

const written = [layOut("debian-slice", small)];
if (!slice) {
    const root = layOut("debian", full);
    written.push(root);
    renderMaintGuideAsDocx(join(root, "maint-guide"));
}
console.log(JSON.stringify({ versions, roots: written }, null, 2));

/** The New Maintainers' Guide's HTML chapters as DOCX files, one per chapter, through pandoc. */
function renderMaintGuideAsDocx(into) {
    if (!hasPandoc()) {
        if (process.getuid?.() !== 0) throw new Error("pandoc is needed for the DOCX documents: apt-get install pandoc (as root), then run this again");
        execFileSync("apt-get", ["install", "-y", "--no-install-recommends", "pandoc"], { stdio: ["ignore", "inherit", "inherit"], timeout: 600_000 });
    }
    const html = join(cache, "maint-guide", "usr/share/doc/maint-guide/html");
    mkdirSync(into, { recursive: true });
    for (const file of readdirSync(html).filter((f) => f.endsWith(".en.html") && f !== "index.en.html")) {
        const target = join(into, file.replace(/\.en\.html$/, ".docx"));
        execFileSync("pandoc", ["--from", "html", "--to", "docx", "--resource-path", html, "--output", target, join(html, file)], { timeout: 120_000 });
    }
}

function hasPandoc() {
    try {
        execFileSync("pandoc", ["--version"], { stdio: "ignore" });
        return true;
    } catch {
        return false;
    }
}
