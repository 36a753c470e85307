// The real server over stdio with a real LSP client: initialize → progress → search → file change → shutdown.
import assert from "node:assert/strict";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { pathToFileURL } from "node:url";
import { IndexStatusRequest, SearchRequest } from "../shared/protocol";
import { startServer } from "./helpers/lspClient";

test("language server indexes on initialize with progress, answers search, follows file changes", async (t) => {
    const base = await fs.mkdtemp(path.join(os.tmpdir(), "llamahome-lsp-"));
    t.after(() => fs.rm(base, { recursive: true, force: true }));
    const root = path.join(base, "workspace");
    await fs.mkdir(path.join(root, "notes"), { recursive: true });
    await fs.writeFile(path.join(root, "notes", "orchard.md"), "# Orchard\n\nThe quince trees were pruned in February by the volunteers.\n");
    await fs.writeFile(path.join(root, "minutes.txt"), "Line one.\nThe treasurer reported a surplus of 412 pounds.\n");
    await fs.writeFile(path.join(root, "excluded.txt"), "The treasurer also keeps excluded notes.\n");

    const server = startServer({ index: { exclude: ["excluded.txt"] } });
    t.after(() => server.stop());
    const rootUri = pathToFileURL(root).toString();
    const init = await server.connection.sendRequest("initialize", {
        processId: process.pid,
        rootUri,
        workspaceFolders: [{ uri: rootUri, name: "workspace" }],
        capabilities: { window: { workDoneProgress: true }, workspace: { configuration: true, didChangeWatchedFiles: { dynamicRegistration: true } } },
        initializationOptions: { cacheDir: path.join(base, "cache") },
    });
    assert.equal((init as { serverInfo: { name: string } }).serverInfo.name, "llamahome");
    await server.connection.sendNotification("initialized", {});

    const indexed = await server.waitForStatus((status) => status.state === "indexed");
    assert.equal(indexed.documents, 2, "the excluded file stays out (settings read over workspace/configuration)");
    assert.equal(server.progress[0]?.kind, "begin");
    assert.equal(server.progress.at(-1)?.kind, "end");
    assert.ok(server.progress.some((event) => event.kind === "report"), "reports per-file progress");

    const result = await server.connection.sendRequest(SearchRequest, { query: "treasurer surplus", top: 5 });
    assert.equal(result.results.length, 1);
    const [hit] = result.results;
    assert.equal(hit.path, "minutes.txt");
    assert.equal(hit.uri, pathToFileURL(path.join(root, "minutes.txt")).toString());
    assert.equal(hit.line, 1);
    assert.deepEqual(hit.range?.start, { line: 0, character: 0 });
    assert.match(hit.snippet, /surplus of 412 pounds/);
    assert.ok(hit.score > 0);

    // A new file, announced the way VS Code's watcher does it, is indexed incrementally.
    await fs.writeFile(path.join(root, "harvest.txt"), "The harvest festival raised money for the new polytunnel.\n");
    const before = server.statuses.length;
    await server.connection.sendNotification("workspace/didChangeWatchedFiles", { changes: [{ uri: pathToFileURL(path.join(root, "harvest.txt")).toString(), type: 1 }] });
    await server.waitForStatus((status) => server.statuses.indexOf(status) >= before && status.state === "indexed" && status.documents === 3);
    const polytunnel = await server.connection.sendRequest(SearchRequest, { query: "polytunnel" });
    assert.deepEqual(polytunnel.results.map((r) => r.path), ["harvest.txt"]);

    const status = await server.connection.sendRequest(IndexStatusRequest);
    assert.equal(status.documents, 3);
    assert.equal(status.state, "indexed");

    await server.stop();
    assert.equal(server.process.exitCode, 0, `server exits cleanly after shutdown/exit; stderr: ${server.stderr()}`);
});
