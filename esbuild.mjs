// One build for every bundle: the extension client, the LSP server, the CLI and the extraction worker.
// Type checking is separate (`npm run typecheck`); esbuild only strips types.
import * as esbuild from "esbuild";
import { copyFileSync, mkdirSync } from "node:fs";

const production = process.argv.includes("--production");
const watch = process.argv.includes("--watch");

/** @type {import("esbuild").BuildOptions} */
const common = {
    bundle: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    sourcemap: !production,
    minify: production,
    logLevel: "warning",
};

const builds = [
    // The client runs inside VS Code: `vscode` comes from the host, the language client is bundled in.
    { ...common, entryPoints: { client: "client/extension.ts" }, outdir: "dist", external: ["vscode"] },
    // Server-side bundles keep npm packages external: pdf.js, mammoth and node-llama-cpp load their own files at run time.
    { ...common, entryPoints: { server: "server/server.ts", extractWorker: "server/core/extractWorker.ts", inferenceChild: "server/llm/inferenceChild.ts" }, outdir: "dist", packages: "external" },
    // The CLI is minified in every build: each run compiles the whole bundle before it does anything, and with short
    // names a cold `search` of 20,000 notes took 16–22 ms less (medians of 21 interleaved runs; whitespace and syntax
    // alone: no change). Its source map stays beside it: `node --enable-source-maps dist/cli.js …` shows real names.
    { ...common, entryPoints: { cli: "server/cli/cli.ts" }, outdir: "dist", packages: "external", minify: true, banner: { js: "#!/usr/bin/env node" } },
];

// Data the server and CLI read at run time, beside their bundles: the extractive engine's synonyms (tools/build-synonyms.mjs).
mkdirSync("dist", { recursive: true });
copyFileSync("server/assist/synonyms.txt", "dist/synonyms.txt");

if (watch) {
    for (const options of builds) await (await esbuild.context(options)).watch();
} else {
    await Promise.all(builds.map((options) => esbuild.build(options)));
}
