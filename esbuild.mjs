// One build for every bundle: the extension client, the LSP server, the CLI and the extraction worker.
// Type checking is separate (`npm run typecheck`); esbuild only strips types.
import * as esbuild from "esbuild";

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
    { ...common, entryPoints: { cli: "server/cli/cli.ts" }, outdir: "dist", packages: "external", banner: { js: "#!/usr/bin/env node" } },
];

if (watch) {
    for (const options of builds) await (await esbuild.context(options)).watch();
} else {
    await Promise.all(builds.map((options) => esbuild.build(options)));
}
