/// <reference types="mocha" />
import * as assert from "node:assert/strict";
import { CloseAction } from "vscode-languageclient/node";
import type { LlamaHomeApi } from "../../../client/api";
import { ServerCrashHandler } from "../../../client/ServerCrashHandler";
import { activateIndexed, waitFor, waitForIndex } from "./helpers";

suite("The server crashing is survived", () => {
    let api: LlamaHomeApi;

    suiteSetup(async () => {
        api = await activateIndexed();
    });

    test("a killed server is restarted and re-indexes; the user is told once, not on every crash", async () => {
        for (const crash of [1, 2]) {
            const pid = api.serverPid;
            assert.ok(pid, "the server runs");
            const starts = api.serverStarts;
            process.kill(pid, "SIGKILL");
            await waitFor(() => (api.serverStarts === starts + 1 && api.serverPid && api.serverPid !== pid ? true : undefined), `restart after crash ${crash}`);
            await waitForIndex(api, (s) => s.state === "indexed" && s.documents === 12, `the index after crash ${crash}`);
            assert.equal(api.serverCrashRestarts, crash);
            assert.equal(api.serverCrashNotices, 1, "one notice for the session, not one per crash");
        }
    });

    test("a server that keeps crashing is restarted 4 times in 3 minutes, then left stopped with one error", () => {
        const said: string[] = [];
        const handler = new ServerCrashHandler({
            onCrash: () => undefined,
            onFirstRestart: () => said.push("restarted"),
            onGiveUp: (crashes) => said.push(`gave up after ${crashes}`),
        });
        const actions = Array.from({ length: 5 }, () => handler.closed().action);
        assert.deepEqual(actions, [CloseAction.Restart, CloseAction.Restart, CloseAction.Restart, CloseAction.Restart, CloseAction.DoNotRestart]);
        assert.deepEqual(said, ["restarted", "gave up after 5"]);
        handler.reset();
        assert.equal(handler.closed().action, CloseAction.Restart, "a manual restart starts a fresh count");
        assert.deepEqual(said, ["restarted", "gave up after 5", "restarted"]);
    });
});
