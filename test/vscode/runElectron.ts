// The same integration suite in VS Code desktop, through @vscode/test-electron, for machines that can download
// VS Code (a user's CI; on Linux run it under xvfb-run). Here, where downloads are blocked, `npm run test:vscode`
// runs the suite in code-server instead.
//
//   npm run test:vscode:electron                 (VS Code 1.100.3; VSCODE_TEST_VERSION=stable for the newest)
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { runTests } from "@vscode/test-electron";
import { writeTinyModel } from "../../server/llm/gguf/tinyModel";
import { buildSuite, copyFixtureWorkspace, repo } from "./buildSuite";
import { closedPort } from "./closedPort";

async function main(): Promise<number> {
    const extensionTestsPath = await buildSuite();
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "llamahome-electron-"));
    try {
        const workspace = copyFixtureWorkspace(tmp);
        const cache = path.join(tmp, "cache");
        const model = path.join(cache, "llamahome", "models", "llamahome-tiny-test.gguf");
        fs.mkdirSync(path.dirname(model), { recursive: true });
        await writeTinyModel(model);
        return await runTests({
            version: process.env.VSCODE_TEST_VERSION ?? "1.100.3",
            extensionDevelopmentPath: repo,
            extensionTestsPath,
            launchArgs: [workspace, "--disable-extensions", "--disable-workspace-trust", `--user-data-dir=${path.join(tmp, "user-data")}`],
            // hf: downloads go to a refusing local port (see runTests.ts): the offline-model suite needs no network rules.
            extensionTestsEnv: { XDG_CACHE_HOME: cache, LLAMAHOME_TEST_MODEL: model, HF_ENDPOINT: `http://127.0.0.1:${await closedPort()}/` },
        });
    } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
    }
}

main().then(
    (code) => process.exit(code),
    (error: Error) => {
        console.error(`VS Code (electron) tests failed: ${error.message}`);
        process.exit(1);
    },
);
