#!/usr/bin/env node
// `npm run package`: a .vsix for one platform (VS Code installs the one whose --target matches), carrying only that
// platform's native binaries. npm installs node-llama-cpp's prebuilt binaries for every Linux architecture it can
// (linux-x64, linux-arm64, linux-armv7l: 32 MB of ARM binaries in a linux-x64 package), and vsce has no per-target
// ignore list, so this writes .vscodeignore plus one line per other platform's binary package to a temporary ignore
// file and runs `vsce package --ignoreFile` with it. Arguments after `--` go to vsce (e.g. --out FILE).
//
//   npm run package [-- --target linux-arm64] [--out FILE]
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const argv = process.argv.slice(2);
const targetAt = argv.indexOf("--target");
const target = targetAt >= 0 ? argv.splice(targetAt, 2)[1] : `${process.platform}-${process.arch}`;
const [platform, arch] = target.split("-");

/** The names each binary-carrying scope uses for the target's platform (node-llama-cpp: "win"/"mac"; armhf: armv7l). */
const nlcPlatform = { win32: "win", darwin: "mac", linux: "linux", alpine: "linux" }[platform] ?? platform;
const nlcArch = arch === "armhf" ? "armv7l" : arch;
const napiArch = arch === "armhf" ? "arm" : arch;
const keep = {
    "@node-llama-cpp": (name) => name === `${nlcPlatform}-${nlcArch}` || name.startsWith(`${nlcPlatform}-${nlcArch}-`),
    "@napi-rs": (name) => !name.startsWith("canvas-") || name.startsWith(`canvas-${platform === "alpine" ? "linux" : platform}-${napiArch}-`) || name === `canvas-${platform}-${napiArch}`,
};

const dropped = [];
for (const [scope, wanted] of Object.entries(keep)) {
    const dir = path.join(root, "node_modules", scope);
    if (!fs.existsSync(dir)) continue;
    for (const name of fs.readdirSync(dir)) if (!wanted(name)) dropped.push(`node_modules/${scope}/${name}/**`);
}
const ignoreFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "llamahome-vscodeignore-")), ".vscodeignore");
fs.writeFileSync(ignoreFile, `${fs.readFileSync(path.join(root, ".vscodeignore"), "utf8")}\n# other platforms' binaries (tools/package-vsix.mjs, target ${target})\n${dropped.join("\n")}\n`);
process.stderr.write(`package: ${target}; leaving out ${dropped.length ? dropped.map((d) => d.replace(/^node_modules\/|\/\*\*$/g, "")).join(", ") : "nothing"}\n`);

const vsce = path.join(root, "node_modules", "@vscode", "vsce", "vsce");
const result = spawnSync(process.execPath, [vsce, "package", "--allow-missing-repository", "--readme-path", "media/marketplace/README.md", "--target", target, "--ignoreFile", ignoreFile, ...argv], { cwd: root, stdio: "inherit" });
fs.rmSync(path.dirname(ignoreFile), { recursive: true, force: true });
process.exit(result.status ?? 1);
