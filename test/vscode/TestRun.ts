import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Browser } from "playwright-core";
import type { VsCodeServer } from "./VsCodeServer";

/**
 * What one test script starts: a temporary folder, a VS Code server and a browser. stop() closes the browser, stops
 * the server (every process by PID) and removes the folder (kept, and named, with LLAMAHOME_KEEP_TEST_DIR=1); Ctrl-C
 * or SIGTERM does the same, then exits with 130.
 */
export class TestRun {
    readonly tmp: string;
    server: VsCodeServer | undefined;
    browser: Browser | undefined;
    private readonly interrupted = (signal: NodeJS.Signals): void => {
        console.error(`\n${signal}: stopping the VS Code server and Chromium…`);
        void this.stop().finally(() => process.exit(130));
    };

    constructor(prefix: string) {
        this.tmp = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
        process.once("SIGINT", this.interrupted);
        process.once("SIGTERM", this.interrupted);
    }

    async stop(): Promise<void> {
        process.off("SIGINT", this.interrupted);
        process.off("SIGTERM", this.interrupted);
        await this.browser?.close().catch(() => undefined);
        this.browser = undefined;
        await this.server?.stop();
        this.server = undefined;
        if (!process.env.LLAMAHOME_KEEP_TEST_DIR) fs.rmSync(this.tmp, { recursive: true, force: true });
        else console.log(`kept ${this.tmp}`);
    }
}

/** Runs a test script's main(): exits with its code, or 1 with the message of what it threw. */
export function runMain(main: () => Promise<number>): void {
    main().then(
        (code) => process.exit(code),
        (error: Error) => {
            console.error(error.message);
            process.exit(1);
        },
    );
}

/** Seconds since `since` (Date.now()), for progress lines. */
export function seconds(since: number): string {
    return `${((Date.now() - since) / 1000).toFixed(1)} s`;
}
