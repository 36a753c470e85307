// Runs LlamaHome's tests in a real VS Code: the VS Code server that code-server ships, with headless Chromium as
// the workbench. First the integration suite (mocha, inside the extension host, loaded through extensionTestsPath),
// then an end-to-end UI test driven by playwright-core in a second workbench on the same server.
//
//   npm run test:vscode                     (builds, then runs this)
//   LLAMAHOME_KEEP_TEST_DIR=1 …             keeps the temporary folder (logs, workspace) for a look afterwards
//   CHROMIUM_PATH=/path/to/chrome …          another Chromium than /usr/bin/chromium
//
// Screenshots and, on failure, logs go to test-results/vscode/. Every process started here is ended by PID.
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { promisify } from "node:util";
import type { Browser } from "playwright-core";
import { makeTinyModel, writeTinyModel } from "../../server/llm/gguf/tinyModel";
import { makeTinyEmbeddingModel } from "../../server/llm/gguf/tinyRetrievalModels";
import { llamaServerBinaries, startLlamaServer, type RunningServer } from "../helpers/llamaServer";
import { buildSuite, copyFixtureWorkspace, repo, suiteOut } from "./buildSuite";
import { closedPort } from "./closedPort";
import { runUiTest } from "./ui/uiTest";
import { VsCodeServer } from "./VsCodeServer";
import { runMain, seconds, TestRun } from "./TestRun";
import { chromiumPath, launchChromium, newPage, withTimeout } from "./workbench";

const vscodeDir = path.join(repo, "test", "vscode", "code-server", "node_modules", "code-server", "lib", "vscode");
const resultsDir = path.join(repo, "test-results", "vscode");
const integrationTimeoutMs = 4 * 60_000;
const uiTimeoutMs = 3 * 60_000;


async function main(): Promise<number> {
    const started = Date.now();
    checkPrerequisites();
    fs.rmSync(resultsDir, { recursive: true, force: true });
    fs.mkdirSync(resultsDir, { recursive: true });
    await buildSuite();

    const run = new TestRun("llamahome-vscode-");
    const tmp = run.tmp;
    const workspace = copyFixtureWorkspace(tmp);
    const testLog = path.join(tmp, "integration.log");

    // A tiny untrained model (651 KB) in the models folder the server and Select Model look in ($XDG_CACHE_HOME).
    const dataDir = path.join(tmp, "vscode");
    const model = path.join(dataDir, "xdg-cache", "llamahome", "models", "llamahome-tiny-test.gguf");
    fs.mkdirSync(path.dirname(model), { recursive: true });
    await writeTinyModel(model);
    // The tiny embedding model (synonyms share a vector), for the hybrid search suite.
    const embeddingModel = path.join(tmp, "models", "llamahome-tiny-embedding.gguf");
    fs.mkdirSync(path.dirname(embeddingModel), { recursive: true });
    fs.writeFileSync(embeddingModel, makeTinyEmbeddingModel());
    // Saved evaluation results, shared by every process the VS Code server starts (the suite runs the benchmark and
    // the needle test into it; the UI test's dashboard shows them). ROUGE and retrieval have no editor command: the CLI
    // scores the bundled datasets with the extractive engine here, as a user would.
    const evaluationResults = path.join(tmp, "results");
    const evaluate = (kind: string, dataset: string, ...options: string[]) =>
        promisify(execFile)(process.execPath, [path.join(repo, "dist", "cli.js"), "eval", kind, "--dataset", path.join(repo, "samples", "eval", dataset), ...options, "--json"], {
            env: { ...process.env, LLAMAHOME_RESULTS_DIR: evaluationResults, LLAMAHOME_MODEL: "" },
        });
    await evaluate("summaries", "summaries.jsonl");
    await evaluate("retrieval", "retrieval.jsonl", "--cache-dir", path.join(tmp, "eval-index"));

    let failed = 0;
    const llamaServers: RunningServer[] = [];
    try {
        const endpointsEnv = await startEndpoints(tmp, llamaServers);
        // hf: models download from HF_ENDPOINT (node-llama-cpp and LlamaHome read it): a local port nobody listens on,
        // so the offline-model suite fails the same way with or without a network, and nothing reaches Hugging Face.
        const huggingFace = `http://127.0.0.1:${await closedPort()}/`;
        const server = (run.server = await VsCodeServer.start({
            vscodeDir,
            dataDir,
            env: { LLAMAHOME_TEST_LOG: testLog, LLAMAHOME_TEST_MODEL: model, LLAMAHOME_TEST_EMBEDDING_MODEL: embeddingModel, LLAMAHOME_RESULTS_DIR: evaluationResults, HF_ENDPOINT: huggingFace, ...endpointsEnv },
        }));
        console.log(`VS Code server (pid ${server.pid}) listening on 127.0.0.1:${server.port} — ${seconds(started)}`);
        const browser = (run.browser = await launchChromium());

        // 1. Integration tests inside the extension host.
        const integration = await runIntegration(browser, server, workspace, testLog, path.join(tmp, "workbench.log"));
        console.log(`integration tests: ${integration === 0 ? "passed" : `FAILED (exit code ${integration})`} — ${seconds(started)}`);
        if (integration !== 0) failed++;

        // 2. End-to-end UI test in a fresh workbench with the extension under development.
        const page = await newPage(browser, "ui");
        try {
            await page.goto(server.workbenchUrl(workspace, [["extensionDevelopmentPath", server.remoteUri(repo)]]));
            await withTimeout(runUiTest(page, { resultsDir, modelFile: path.basename(model), log: (line) => console.log(`  ui: ${line}`) }), uiTimeoutMs, "the UI test");
            console.log(`UI test: passed — ${seconds(started)}`);
        } catch (error) {
            failed++;
            console.error(`UI test: FAILED — ${(error as Error).stack ?? error}`);
            await page.screenshot({ path: path.join(resultsDir, "ui-failure.png") }).catch(() => undefined);
        } finally {
            await page.close().catch(() => undefined);
        }
    } catch (error) {
        failed++;
        console.error(`FAILED: ${(error as Error).stack ?? error}`);
    } finally {
        if (failed && run.server) saveLogs(run.server, [testLog, path.join(tmp, "workbench.log")]);
        await run.stop();
        await Promise.all(llamaServers.map((s) => s.kill()));
    }
    console.log(`${failed ? "VS Code tests FAILED" : "VS Code tests passed"} in ${seconds(started)}; screenshots in ${path.relative(repo, resultsDir)}/`);
    return failed ? 1 : 0;
}

/**
 * Two llama-servers on 127.0.0.1 for the endpoints suite (built by build:llama-server when missing, cached), each
 * serving a tiny model that writes text; the env tells the suite their URLs, or why there are none.
 */
async function startEndpoints(tmp: string, started: RunningServer[]): Promise<Record<string, string>> {
    const { binaries, skip } = llamaServerBinaries();
    if (!binaries) return { LLAMAHOME_TEST_ENDPOINTS_SKIP: skip ?? "llama-server is not built" };
    const model = path.join(tmp, "endpoint-model.gguf");
    fs.writeFileSync(model, makeTinyModel({ textOnly: true }));
    for (let i = 0; i < 2; i++) started.push(await startLlamaServer(binaries, model, { extraArgs: ["--log-disable"] }));
    return { LLAMAHOME_TEST_ENDPOINTS: started.map((s) => s.url).join(",") };
}

function checkPrerequisites(): void {
    const problems: string[] = [];
    if (!fs.existsSync(path.join(vscodeDir, "out", "server-main.js"))) {
        problems.push("code-server's VS Code is not installed (test/vscode/code-server/node_modules/code-server/lib/vscode): run `bash test/vscode/provision.sh`.");
    } else if (!fs.existsSync(path.join(vscodeDir, "node_modules", "@vscode", "ripgrep", "bin", "rg"))) {
        problems.push("code-server's install is incomplete (no ripgrep binary): run `bash test/vscode/provision.sh`.");
    }
    if (!fs.existsSync(chromiumPath())) problems.push(`Chromium not found at ${chromiumPath()}: \`apt-get install chromium\` (or set CHROMIUM_PATH).`);
    if (!fs.existsSync(path.join(repo, "dist", "client.js")) || !fs.existsSync(path.join(repo, "dist", "server.js"))) problems.push("dist/ is not built: run `node esbuild.mjs`.");
    if (problems.length) throw new Error(`cannot run the VS Code tests:\n  ${problems.join("\n  ")}`);
}


/**
 * Opens a workbench whose extension host loads the suite (extensionTestsPath); the suite's exit code comes back
 * through codeAutomationExit, its log lines through codeAutomationLog and the LLAMAHOME_TEST_LOG file.
 */
async function runIntegration(browser: Browser, server: VsCodeServer, workspace: string, testLog: string, workbenchLog: string): Promise<number> {
    const page = await newPage(browser, "integration");
    let printed = 0;
    const printTestLog = () => {
        if (!fs.existsSync(testLog)) return;
        const text = fs.readFileSync(testLog, "utf8");
        const lines = text.slice(printed).split("\n");
        const complete = lines.slice(0, -1);
        printed += complete.reduce((sum, line) => sum + line.length + 1, 0);
        for (const line of complete) console.log(`  ${line}`);
    };
    const tail = setInterval(printTestLog, 200);
    try {
        const exit = new Promise<number>((resolve) => {
            void page.exposeFunction("codeAutomationExit", (code: number, logs?: { relativePath: string; contents: string }[]) => {
                if (code !== 0 && Array.isArray(logs)) {
                    for (const log of logs) {
                        const file = path.join(resultsDir, "workbench-logs", log.relativePath.replace(/\.\.(\/|\\)/g, ""));
                        fs.mkdirSync(path.dirname(file), { recursive: true });
                        fs.writeFileSync(file, log.contents);
                    }
                }
                resolve(code);
            });
        });
        // The workbench's own log (offline gallery lookups and the like): kept for the failure logs, not printed.
        await page.exposeFunction("codeAutomationLog", (type: string, args: unknown) => {
            fs.appendFileSync(workbenchLog, `[${type}] ${(Array.isArray(args) ? args : [args]).map(String).join(" ")}\n`);
        });
        await page.goto(
            server.workbenchUrl(workspace, [
                ["extensionDevelopmentPath", server.remoteUri(repo)],
                ["extensionTestsPath", server.remoteUri(path.join(suiteOut, "index.js"))],
            ]),
        );
        const code = await withTimeout(exit, integrationTimeoutMs, "the integration tests").catch(async (error: Error) => {
            await page.screenshot({ path: path.join(resultsDir, "integration-timeout.png") }).catch(() => undefined);
            console.error(`  ${error.message}`);
            return 124;
        });
        return code;
    } finally {
        clearInterval(tail);
        printTestLog();
        await page.context().close().catch(() => undefined);
    }
}

/** On failure: the server's log, the extension host's and the suite's logs, for CI artifacts. */
function saveLogs(server: VsCodeServer, files: string[]): void {
    const target = path.join(resultsDir, "logs");
    fs.mkdirSync(target, { recursive: true });
    for (const file of [server.logFile, ...files]) if (fs.existsSync(file)) fs.copyFileSync(file, path.join(target, path.basename(file)));
    const logs = path.join(server.userDataDir, "logs");
    if (fs.existsSync(logs)) fs.cpSync(logs, path.join(target, "vscode"), { recursive: true });
    console.error(`logs saved in ${path.relative(repo, target)}/`);
}

runMain(main);
