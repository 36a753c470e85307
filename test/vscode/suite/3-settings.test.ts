/// <reference types="mocha" />
import * as assert from "node:assert/strict";
import type { LlamaHomeApi } from "../../../client/api";
import { activateIndexed, updateSetting, waitFor, waitForIndex } from "./helpers";

suite("Settings take effect without a reload", () => {
    let api: LlamaHomeApi;

    suiteSetup(async () => {
        api = await activateIndexed();
    });

    test("llamahome.index.exclude re-indexes without the excluded files, and back", async () => {
        await updateSetting("index.exclude", ["**/*.pdf"]);
        const without = await waitForIndex(api, (s) => s.state === "indexed" && s.documents === 11, "11 documents (PDF excluded)");
        assert.equal(without.failed, 0);
        await updateSetting("index.exclude", undefined);
        await waitForIndex(api, (s) => s.state === "indexed" && s.documents === 12, "12 documents again");
    });

    test("a setting that needs a restart (llamahome.h2o.windowLength) restarts the server, which indexes again", async () => {
        const starts = api.serverStarts;
        await updateSetting("h2o.windowLength", 1024);
        await waitFor(() => (api.serverStarts === starts + 1 ? true : undefined), "a server restart");
        await waitForIndex(api, (s) => s.state === "indexed", "the restarted server's index");
        await updateSetting("h2o.windowLength", undefined);
        await waitFor(() => (api.serverStarts === starts + 2 ? true : undefined), "a second server restart");
        await waitForIndex(api, (s) => s.state === "indexed" && s.documents === 12, "the index after the second restart");
        assert.equal(api.serverCrashRestarts, 0, "restarts for settings are not crashes");
    });
});
