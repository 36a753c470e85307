// The packaged extension, tested as a user gets it: `npm run package` builds the .vsix, code-server's
// `--install-extension` installs it into a fresh extensions folder, and a real workbench (code-server's VS Code
// server + headless Chromium, no extensionDevelopmentPath) opens a small workspace (a Markdown file linking to a PDF,
// a DOCX and a PPTX). Checks: the installed files (no sources, no stray folders, the runtime files there), the
// language server running from the installed folder, the documents indexed (status bar and dashboard: 4 documents,
// 0 failed), hover summaries on the links, an answer from a tiny model through node-llama-cpp's packaged CPU binary,
// and, with H2O on, the packaged accumulator build at work: Ask About This Document on a long document runs
// "query-aware" and Summarize Document runs "h2o" in a 256-token cache (never the sink-window fallback).
//
//   npm run test:vsix                  (provisions code-server, then runs this; this packages the .vsix itself)
//   LLAMAHOME_VSIX=path/to.vsix …      tests that .vsix instead of packaging one
//   LLAMAHOME_KEEP_TEST_DIR=1 …        keeps the temporary folder (installed extension, logs, workspace)
//   CHROMIUM_PATH=/path/to/chrome …     another Chromium than /usr/bin/chromium
//
// Screenshots go to test-results/vscode/vsix-*.png, logs on failure to test-results/vscode/vsix-logs/. Every process
// started here is ended by PID and the temporary folder is removed.
import * as assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import type { Page } from "playwright-core";
import { writeTinyModel } from "../../server/llm/gguf/tinyModel";
import { repo } from "./buildSuite";
import { descendants, killTree } from "./processTree";
import { runMain, seconds, TestRun } from "./TestRun";
import { VsCodeServer } from "./VsCodeServer";
import { chromiumPath, keyboardHover, launchChromium, newPage, palette, quickOpen, waitForText, webviewFrame, withTimeout } from "./workbench";

const codeServerDir = path.join(repo, "test", "vscode", "code-server", "node_modules", "code-server");
const vscodeDir = path.join(codeServerDir, "lib", "vscode");
const resultsDir = path.join(repo, "test-results", "vscode");
const packageTimeoutMs = 5 * 60_000;
const installTimeoutMs = 2 * 60_000;
const workbenchTimeoutMs = 3 * 60_000;

const manifest = JSON.parse(fs.readFileSync(path.join(repo, "package.json"), "utf8")) as { name: string; publisher: string; version: string; dependencies: Record<string, string> };
const extensionId = `${manifest.publisher}.${manifest.name}`;

/** The fixture: one Markdown file linking to a PDF, a DOCX and a PPTX from samples/workspace. */
/** The minutes (9,400 characters: as many tokens for the byte-level test model) are the long document H2O reads. */
const longDocument = "minutes/2025-01-14-committee-minutes.txt";
const fixtureFiles = ["reports/annual-report-2024.pdf", "docs/plot-holder-handbook.docx", "presentations/agm-2025.pptx", longDocument];
/** The KV budget of the H2O runs: far below the long document's length, so they evict. */
const h2oWindow = 256;
const fixtureIndex = `# Allotment society documents

The annual report for 2024:
[Annual Report 2024](reports/annual-report-2024.pdf)

The rules every plot holder signs:
[Plot Holder Handbook](docs/plot-holder-handbook.docx)

The slides of the annual general meeting:
[AGM 2025](presentations/agm-2025.pptx)
`;

async function main(): Promise<number> {
    const started = Date.now();
    const step = (message: string) => console.log(`${message} — ${seconds(started)}`);
    checkPrerequisites();
    fs.mkdirSync(resultsDir, { recursive: true });
    for (const name of fs.readdirSync(resultsDir)) if (name.startsWith("vsix-")) fs.rmSync(path.join(resultsDir, name), { recursive: true, force: true });

    const testRun = new TestRun("llamahome-vsix-");
    const tmp = testRun.tmp;
    const dataDir = path.join(tmp, "vscode");
    let page: Page | undefined;

    let failed = false;
    try {
        // 1. The .vsix: packaged now (production build + vsce), or the one named by LLAMAHOME_VSIX.
        let vsix = process.env.LLAMAHOME_VSIX ? path.resolve(process.env.LLAMAHOME_VSIX) : undefined;
        if (vsix) {
            assert.ok(fs.existsSync(vsix), `LLAMAHOME_VSIX=${vsix} does not exist`);
        } else {
            vsix = path.join(tmp, `${manifest.name}.vsix`);
            await run(...npm(["run", "package", "--", "--out", vsix]), "package", packageTimeoutMs);
        }
        step(`.vsix: ${path.basename(vsix)}, ${megabytes(fs.statSync(vsix).size)}`);

        // 2. Installed with code-server's --install-extension into the extensions folder the server will use.
        const installed = await install(vsix, dataDir);
        step(`installed into ${path.relative(tmp, installed)}: ${megabytes(folderSize(installed))} on disk`);
        checkInstalledFiles(installed);
        step("installed files: runtime files present, no sources, tests, samples or source maps");

        // 3. A workbench on a small workspace; the tiny test model in the models folder Select Model lists.
        const workspace = makeFixture(tmp);
        const model = path.join(dataDir, "xdg-cache", "llamahome", "models", "llamahome-tiny-test.gguf");
        fs.mkdirSync(path.dirname(model), { recursive: true });
        await writeTinyModel(model);
        const server = (testRun.server = await VsCodeServer.start({
            vscodeDir,
            dataDir,
            machineSettings: {
                // The .vsix carries the H2O accumulator build: long documents must run H2O / question-aware eviction.
                "llamahome.h2o.enabled": true,
                "llamahome.h2o.windowLength": h2oWindow,
                "llamahome.h2o.heavyHitters": h2oWindow / 4,
            },
        }));
        step(`VS Code server (pid ${server.pid}) listening on 127.0.0.1:${server.port}, extensions from ${path.relative(tmp, path.dirname(installed))}`);
        page = await newPage((testRun.browser = await launchChromium()), "vsix");
        // No extensionDevelopmentPath: the extension can only come from the extensions folder.
        await page.goto(server.workbenchUrl(workspace, []));
        await withTimeout(checkWorkbench(page, server, installed, path.basename(model), step), workbenchTimeoutMs, "the workbench checks");
    } catch (error) {
        failed = true;
        console.error(`FAILED: ${(error as Error).stack ?? error}`);
        if (page) await page.screenshot({ path: path.join(resultsDir, "vsix-failure.png") }).catch(() => undefined);
        saveLogs(dataDir, testRun.server);
    } finally {
        await testRun.stop();
    }
    const shots = fs.readdirSync(resultsDir).filter((name) => name.startsWith("vsix-") && name.endsWith(".png"));
    console.log(`${failed ? "vsix test FAILED" : "vsix test passed"} in ${seconds(started)}; screenshots: ${shots.map((name) => path.join(path.relative(repo, resultsDir), name)).join(", ") || "none"}`);
    return failed ? 1 : 0;
}

function checkPrerequisites(): void {
    const problems: string[] = [];
    if (!fs.existsSync(path.join(vscodeDir, "out", "server-main.js")) || !fs.existsSync(path.join(codeServerDir, "out", "node", "entry.js"))) {
        problems.push("code-server is not installed (test/vscode/code-server/node_modules/code-server): run `bash test/vscode/provision.sh`.");
    }
    if (!fs.existsSync(chromiumPath())) problems.push(`Chromium not found at ${chromiumPath()}: \`apt-get install chromium\` (or set CHROMIUM_PATH).`);
    if (problems.length) throw new Error(`cannot run the vsix test:\n  ${problems.join("\n  ")}`);
}

/** npm as the npm that runs this script (npm_execpath, with this Node), else `npm` from PATH. */
function npm(args: string[]): [string, string[]] {
    const cli = process.env.npm_execpath;
    return cli && /\.c?js$/.test(cli) ? [process.execPath, [cli, ...args]] : ["npm", args];
}

/** Runs a command in the repository, its output prefixed with `label`; its process tree is ended on timeout. */
function run(command: string, args: string[], label: string, timeoutMs: number, env: NodeJS.ProcessEnv = process.env): Promise<void> {
    return new Promise((resolve, reject) => {
        const child = spawn(command, args, { cwd: repo, env, stdio: ["ignore", "pipe", "pipe"] });
        let output = "";
        const print = (data: Buffer) => {
            output += data.toString();
            const lines = output.split("\n");
            output = lines.pop()!;
            for (const line of lines) if (line.trim()) console.log(`  ${label}: ${line}`);
        };
        child.stdout.on("data", print);
        child.stderr.on("data", print);
        const timer = setTimeout(() => {
            void killTree(child.pid);
            reject(new Error(`${label} did not finish within ${timeoutMs / 1000} s`));
        }, timeoutMs);
        child.once("error", (error) => {
            clearTimeout(timer);
            reject(error);
        });
        child.once("exit", (code, signal) => {
            clearTimeout(timer);
            if (output.trim()) console.log(`  ${label}: ${output}`);
            if (code === 0) resolve();
            else reject(new Error(`${label} failed (${signal ?? `exit code ${code}`})`));
        });
    });
}

/** `code-server --install-extension X.vsix --extensions-dir D`, with every path it writes inside `dataDir`. */
async function install(vsix: string, dataDir: string): Promise<string> {
    const dirs = Object.fromEntries(["user-data", "extensions", "xdg-config", "xdg-data", "xdg-cache", "tmp", "home"].map((name) => [name, path.join(dataDir, name)]));
    for (const dir of Object.values(dirs)) fs.mkdirSync(dir, { recursive: true });
    await run(
        process.execPath,
        [path.join(codeServerDir, "out", "node", "entry.js"), "--user-data-dir", dirs["user-data"], "--extensions-dir", dirs.extensions, "--install-extension", vsix],
        "install",
        installTimeoutMs,
        { ...process.env, HOME: dirs.home, TMPDIR: dirs.tmp, XDG_CONFIG_HOME: dirs["xdg-config"], XDG_DATA_HOME: dirs["xdg-data"], XDG_CACHE_HOME: dirs["xdg-cache"] },
    );
    // extensions.json is the extensions folder's registry: the server loads what it lists.
    const registry = JSON.parse(fs.readFileSync(path.join(dirs.extensions, "extensions.json"), "utf8")) as { identifier: { id: string }; version: string; relativeLocation: string }[];
    const entry = registry.find((e) => e.identifier.id === extensionId);
    assert.ok(entry, `${extensionId} is not in ${path.join(dirs.extensions, "extensions.json")}: ${JSON.stringify(registry)}`);
    assert.equal(entry.version, manifest.version, "the installed version is package.json's");
    return path.join(dirs.extensions, entry.relativeLocation);
}

/** What the .vsix put on disk: the runtime files are there, and nothing from the repository that should not be. */
function checkInstalledFiles(dir: string): void {
    const allowedTopLevel = new Set(["package.json", "readme.md", "LICENSE.txt", ".vsixmanifest", "dist", "media", "native", "node_modules"]);
    const unexpected = fs.readdirSync(dir).filter((name) => !allowedTopLevel.has(name));
    assert.deepEqual(unexpected, [], `unexpected top-level entries in the installed extension (add them to .vscodeignore): ${unexpected.join(", ")}`);

    const missing: string[] = [];
    const need = (relative: string) => {
        if (!fs.existsSync(path.join(dir, relative))) missing.push(relative);
    };
    for (const bundle of ["client.js", "server.js", "extractWorker.js", "inferenceChild.js", "synonyms.txt"]) need(`dist/${bundle}`);
    for (const asset of ["dom.js", "dashboard.js", "result.js", "result.css", "chat.js", "chat.css", "chat-activity.svg", "charts.js", "webview.css", "needle-reference.json", "icon.png"]) need(`media/${asset}`);
    for (const dependency of Object.keys(manifest.dependencies)) need(`node_modules/${dependency}/package.json`);
    if (!fs.readdirSync(path.join(dir, "native", "h2o")).some((name) => name.endsWith(".patch"))) missing.push("native/h2o/*.patch");
    // The native parts the server loads: pdf.js's canvas (pdf-parse) and node-llama-cpp's prebuilt CPU binary.
    const files = listFiles(path.join(dir, "node_modules"));
    if (!files.some((file) => /^@napi-rs\/canvas-[^/]+\/[^/]+\.node$/.test(file))) missing.push("node_modules/@napi-rs/canvas-<platform>/*.node");
    if (!files.some((file) => /^@node-llama-cpp\/[^/]+\/bins\/[^/]+\/llama-addon\.node$/.test(file))) missing.push("node_modules/@node-llama-cpp/<platform>/bins/*/llama-addon.node");
    // The H2O accumulator build (npm run build:h2o, packed by .vscodeignore), and no other local build.
    const localBuilds = path.join(dir, "node_modules", "node-llama-cpp", "llama", "localBuilds");
    const builds = fs.existsSync(localBuilds) ? fs.readdirSync(localBuilds) : [];
    if (!builds.some((build) => fs.existsSync(path.join(localBuilds, build, "Release", "llamahome-h2o.json")))) missing.push("node_modules/node-llama-cpp/llama/localBuilds/<H2O build>");
    const foreign = builds.filter((build) => !fs.existsSync(path.join(localBuilds, build, "Release", "llamahome-h2o.json")));
    assert.deepEqual(foreign, [], "local llama.cpp builds other than the H2O accumulator build were packed");
    assert.deepEqual(missing, [], `missing from the installed extension (dropped by .vscodeignore?): ${missing.join(", ")}`);
    // A per-platform package (tools/package-vsix.mjs): no other platform's prebuilt llama.cpp binaries.
    const nlcPlatform = `${process.platform === "win32" ? "win" : process.platform === "darwin" ? "mac" : "linux"}-${process.arch === "arm" ? "armv7l" : process.arch}`;
    const nlcBinaries = path.join(dir, "node_modules", "@node-llama-cpp");
    const otherPlatforms = fs.existsSync(nlcBinaries) ? fs.readdirSync(nlcBinaries).filter((name) => name !== nlcPlatform && !name.startsWith(`${nlcPlatform}-`)) : [];
    assert.deepEqual(otherPlatforms, [], `other platforms' node-llama-cpp binaries were packed (${nlcPlatform} package)`);

    const forbidden = [
        ...listFiles(path.join(dir, "dist")).filter((file) => /\.(map|ts)$/.test(file)).map((file) => `dist/${file}`),
        ...files.filter((file) => /^(typescript|esbuild|@vscode\/vsce|playwright-core|mocha|tsx)\//.test(file)).map((file) => `node_modules/${file}`),
    ];
    assert.deepEqual(forbidden.slice(0, 10), [], `files the extension never loads are in the .vsix (${forbidden.length})`);
}

function makeFixture(tmp: string): string {
    const workspace = path.join(tmp, "workspace");
    for (const file of fixtureFiles) {
        fs.mkdirSync(path.dirname(path.join(workspace, file)), { recursive: true });
        fs.copyFileSync(path.join(repo, "samples", "workspace", file), path.join(workspace, file));
    }
    fs.writeFileSync(path.join(workspace, "index.md"), fixtureIndex);
    return workspace;
}

/** Everything checked through the workbench, as a user would see it. */
async function checkWorkbench(page: Page, server: VsCodeServer, installed: string, modelFile: string, step: (message: string) => void): Promise<void> {
    const shot = async (name: string) => {
        await page.screenshot({ path: path.join(resultsDir, name) });
        step(`screenshot ${path.join(path.relative(repo, resultsDir), name)}`);
    };
    await page.locator(".monaco-workbench").waitFor({ timeout: 60_000 });
    step("workbench up");

    // Activation and indexing, read from the status bar; a server that stops or an index that fails ends the wait.
    const status = page.locator(".statusbar-item", { hasText: "LlamaHome" }).first();
    await status.waitFor({ timeout: 60_000 }).catch(() => {
        throw new Error(`no LlamaHome status bar item within 60 s: ${extensionId} did not activate from the installed .vsix`);
    });
    step("extension activated (status bar item)");
    const statusText = await waitForText(() => status.innerText(), /LlamaHome: \d+ docs(?! \(not)|server stopped|index failed/, "the status bar", 90_000);
    assert.match(
        statusText,
        /LlamaHome: 5 docs/,
        `status bar: "${statusText}", expected 5 docs (index.md, the PDF, the DOCX, the PPTX and the minutes; a document that fails to extract is not counted: a runtime file dropped by .vscodeignore?)`,
    );
    step(`status bar: "${statusText}"`);

    // The language server is the installed copy, not the repository's.
    const servers = llamaHomeProcesses(server).filter((p) => p.script.endsWith(`${path.sep}server.js`));
    assert.ok(servers.length > 0, "no LlamaHome language server process below the VS Code server");
    for (const { pid, script } of servers) assert.ok(script.startsWith(installed + path.sep), `language server pid ${pid} runs ${script}, not the installed extension's`);
    step(`language server pid ${servers.map((p) => p.pid).join(", ")} runs ${path.relative(path.dirname(installed), servers[0]!.script)}`);

    // Hover summaries on the links: each document was extracted (pdf-parse + canvas, mammoth, officeparser).
    await quickOpen(page, "index.md");
    const pdf = await keyboardHover(page, "reports/annual-report-2024.pdf", "Annual Report 2024");
    const pdfText = (await pdf.innerText()).replace(/\s+/g, " ");
    assert.match(pdfText, /PDF · [\d.]+ \w+ · 5 pages/, `PDF hover: "${pdfText}"`);
    step(`PDF hover: "${pdfText.slice(0, 160)}…"`);
    await shot("vsix-1-hover-pdf.png");
    for (const [file, format] of [["docs/plot-holder-handbook.docx", "DOCX"], ["presentations/agm-2025.pptx", "PPTX"]] as const) {
        await page.keyboard.press("Escape");
        await page.locator(".monaco-hover").first().waitFor({ state: "hidden" }).catch(() => undefined);
        const hover = await keyboardHover(page, file, new RegExp(`${format} · `));
        const text = (await hover.innerText()).replace(/\s+/g, " ");
        assert.match(text, new RegExp(`${format} · `), `${format} hover: "${text}"`);
        step(`${format} hover: "${text.slice(0, 120)}…"`);
    }
    await page.keyboard.press("Escape");

    // The dashboard (bundled media/ assets in a webview): 5 documents, none failed.
    await palette(page, "LlamaHome: Open Dashboard");
    const dashboard = await webviewFrame(page, "#index-documents");
    const read = (id: string) => async () => (await dashboard.locator(`#${id}`).innerText()).trim();
    await waitForText(read("index-state"), /^indexed$/, "dashboard index state");
    await waitForText(read("index-documents"), /^5$/, "dashboard documents");
    await waitForText(read("index-failed"), /^0$/, "dashboard failed documents");
    step("dashboard: indexed, 5 documents, 0 failed");
    await dashboard.locator("#heatmap-needle-reference-h2o").waitFor();
    step("dashboard: the shipped reference needle table");
    await shot("vsix-2-dashboard.png");
    await palette(page, "View: Close All Editors");

    // The model: Select Model lists the tiny test model; an answer through node-llama-cpp's packaged CPU binary.
    await palette(page, "LlamaHome: Select Model");
    await page.locator(".quick-input-list .monaco-list-row", { hasText: modelFile }).waitFor();
    await page.locator(".quick-input-widget input").fill(modelFile.replace(/\.gguf$/, ""));
    await page.keyboard.press("Enter");
    await page.locator(".statusbar-item", { hasText: modelFile.replace(/\.gguf$/, "") }).waitFor();
    await palette(page, "LlamaHome: Ask a Question");
    const input = page.locator(".quick-input-widget input");
    await input.waitFor({ state: "visible" });
    await input.fill("When is the annual general meeting?");
    await page.keyboard.press("Enter");
    await webviewFrame(page, "body.answer-view #citations", 90_000);
    const withSpeed = await waitForText(() => status.innerText(), /tok\/s/, "the status bar after an answer from the model", 30_000);
    step(`answer from the tiny model; status bar: "${withSpeed}"`);
    // The model ran in the inference process, started from the installed extension like the language server.
    const processes = llamaHomeProcesses(server);
    const outside = processes.filter((p) => !p.script.startsWith(installed + path.sep));
    assert.deepEqual(outside, [], "LlamaHome processes running scripts from outside the installed extension");
    assert.ok(processes.some((p) => p.script.endsWith(`${path.sep}inferenceChild.js`)), `no inference process below the VS Code server: ${JSON.stringify(processes)}`);
    step(`LlamaHome processes: ${processes.map((p) => `${path.basename(p.script)} (pid ${p.pid})`).join(", ")}, all from the installed extension`);
    await shot("vsix-3-answer.png");
    // H2O from the package: a question about the whole long document runs question-aware eviction, its summary H2O,
    // both in the 256-token cache, as the result panel reports them (the accumulator build is in the .vsix).
    await palette(page, "View: Close All Editors");
    await quickOpen(page, path.basename(longDocument));
    await palette(page, "LlamaHome: Ask About This Document");
    await input.waitFor({ state: "visible" });
    await input.fill("When will the fence along the footpath be repaired?");
    await page.keyboard.press("Enter");
    const asked = await webviewFrame(page, "body.answer-view .meta", 90_000);
    const askedMeta = await waitForText(async () => (await asked.locator("body.answer-view .meta").innerText()).trim(), /KV cache [\w-]+:/, "the answer's KV figures", 60_000);
    assert.match(askedMeta, new RegExp(`KV cache query-aware: budget ${h2oWindow}, peak \\d+ cells, [1-9]\\d* tokens evicted`), `Ask About This Document: "${askedMeta}"`);
    step(`Ask About This Document: "${askedMeta}"`);
    await shot("vsix-4-ask-document.png");
    await palette(page, "View: Close All Editors");
    await quickOpen(page, path.basename(longDocument));
    await palette(page, "LlamaHome: Summarize Document");
    const summarized = await webviewFrame(page, "body.summary-view .meta", 90_000);
    const summaryMeta = await waitForText(async () => (await summarized.locator("body.summary-view .meta").innerText()).trim(), /KV cache [\w-]+:/, "the summary's KV figures", 60_000);
    assert.match(summaryMeta, new RegExp(`KV cache h2o: budget ${h2oWindow}, peak \\d+ cells, [1-9]\\d* tokens evicted`), `Summarize Document: "${summaryMeta}"`);
    step(`Summarize Document: "${summaryMeta}"`);
    const fallback = listFiles(path.join(server.userDataDir, "logs"))
        .filter((file) => /LlamaHome[^/]*\.log$/i.test(file))
        .flatMap((file) => fs.readFileSync(path.join(server.userDataDir, "logs", file), "utf8").split("\n"))
        .find((line) => /H2O attention accumulator unavailable|falls back to sink-window/.test(line));
    assert.equal(fallback, undefined, `the installed extension fell back to sink-window: ${fallback}`);
}

/** Node processes below the VS Code server that run a LlamaHome bundle (…/dist/server.js, …/dist/inferenceChild.js). */
function llamaHomeProcesses(server: VsCodeServer): { pid: number; script: string }[] {
    const found: { pid: number; script: string }[] = [];
    for (const pid of server.pid === undefined ? [] : descendants(server.pid)) {
        let argv: string[];
        try {
            argv = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
        } catch {
            continue;
        }
        const script = argv.find((arg) => /[\\/]dist[\\/](server|inferenceChild|extractWorker)\.js$/.test(arg));
        if (script) found.push({ pid, script });
    }
    return found;
}

/** On failure: the server's log, the VS Code logs (extension host, the LlamaHome output channel), with the LlamaHome log's tail printed. */
function saveLogs(dataDir: string, server: VsCodeServer | undefined): void {
    const target = path.join(resultsDir, "vsix-logs");
    fs.mkdirSync(target, { recursive: true });
    if (server && fs.existsSync(server.logFile)) fs.copyFileSync(server.logFile, path.join(target, "server.log"));
    for (const folder of ["user-data/logs", "server-data/data/logs", "server-data/logs"]) {
        const logs = path.join(dataDir, folder);
        if (fs.existsSync(logs)) fs.cpSync(logs, path.join(target, folder.replace(/\//g, "-")), { recursive: true });
    }
    for (const file of listFiles(target).filter((name) => /LlamaHome[^/]*\.log$/i.test(name))) {
        const text = fs.readFileSync(path.join(target, file), "utf8").trimEnd().split("\n").slice(-25).join("\n    ");
        console.error(`  --- ${file} (last lines) ---\n    ${text}`);
    }
    console.error(`logs saved in ${path.relative(repo, target)}/`);
}

function listFiles(dir: string): string[] {
    if (!fs.existsSync(dir)) return [];
    return (fs.readdirSync(dir, { recursive: true, withFileTypes: true }) as fs.Dirent[])
        .filter((entry) => entry.isFile())
        .map((entry) => path.relative(dir, path.join(entry.parentPath ?? entry.path, entry.name)).split(path.sep).join("/"));
}

function folderSize(dir: string): number {
    return listFiles(dir).reduce((sum, file) => sum + fs.statSync(path.join(dir, file)).size, 0);
}

function megabytes(bytes: number): string {
    return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

runMain(main);
