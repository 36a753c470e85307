// The integration suite's entry, loaded by VS Code's extension host through extensionTestsPath: run() resolves
// when every test passed and rejects otherwise (VS Code turns that into the exit code the runner receives).
import * as fs from "node:fs";
import * as path from "node:path";
import { format } from "node:util";
import Mocha from "mocha";

export async function run(): Promise<void> {
    // The extension host's console does not reach the runner; the spec reporter writes to the file it tails.
    const logFile = process.env.LLAMAHOME_TEST_LOG;
    if (logFile) Mocha.reporters.Base.consoleLog = (...args: unknown[]) => fs.appendFileSync(logFile, `${format(...args)}\n`);
    const mocha = new Mocha({ ui: "tdd", reporter: "spec", color: false, timeout: 60_000, slow: 5_000 });
    for (const file of fs.readdirSync(__dirname).filter((name) => name.endsWith(".test.js")).sort()) mocha.addFile(path.join(__dirname, file));
    const failures = await new Promise<number>((resolve) => mocha.run(resolve));
    if (failures) throw new Error(`${failures} integration test${failures === 1 ? "" : "s"} failed`);
}
