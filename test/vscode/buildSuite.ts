import * as fs from "node:fs";
import * as path from "node:path";
import * as esbuild from "esbuild";

export const repo = path.resolve(__dirname, "..", "..");
/** The bundled integration suite; its index.js is the extensionTestsPath. */
export const suiteOut = path.join(repo, "dist-test", "vscode");

/** The integration suite runs in the extension host (Node): CommonJS bundles, `vscode` and mocha left external. */
export async function buildSuite(): Promise<string> {
    fs.rmSync(suiteOut, { recursive: true, force: true });
    const suiteDir = path.join(repo, "test", "vscode", "suite");
    await esbuild.build({
        entryPoints: fs.readdirSync(suiteDir).filter((name) => name.endsWith(".ts")).map((name) => path.join(suiteDir, name)),
        outdir: suiteOut,
        bundle: true,
        platform: "node",
        target: "node20",
        format: "cjs",
        sourcemap: "inline",
        external: ["vscode", "mocha"],
        logLevel: "warning",
    });
    return path.join(suiteOut, "index.js");
}

/** A fresh copy of samples/workspace (12 documents: md, txt, csv, py, docx, pdf, pptx) for the tests to open. */
export function copyFixtureWorkspace(into: string): string {
    const workspace = path.join(into, "workspace");
    fs.cpSync(path.join(repo, "samples", "workspace"), workspace, { recursive: true });
    return workspace;
}
