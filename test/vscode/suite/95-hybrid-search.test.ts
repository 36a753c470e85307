/// <reference types="mocha" />
import * as assert from "node:assert/strict";
import * as vscode from "vscode";
import type { LlamaHomeApi } from "../../../client/api";
import type { SearchResult } from "../../../shared/protocol";
import { activateIndexed, fixture, updateSetting } from "./helpers";

const note = "notes/garage-hybrid.md";

/**
 * Opens Search Documents with a query, lets it show what the server answers, closes it and returns what it showed
 * (the command resolves with the list's last results when it closes).
 */
async function searchDocuments(query: string): Promise<SearchResult | undefined> {
    const shown = Promise.resolve(vscode.commands.executeCommand<SearchResult | undefined>("llamahome.search", query));
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    await vscode.commands.executeCommand("workbench.action.closeQuickOpen");
    return shown;
}

/** Searches again (a second apart) until what the list shows satisfies `done`. */
async function searchUntil(query: string, done: (result: SearchResult) => boolean, what: string, timeoutMs: number): Promise<SearchResult> {
    const deadline = Date.now() + timeoutMs;
    let last: SearchResult | undefined;
    while (Date.now() < deadline) {
        last = await searchDocuments(query);
        if (last && done(last)) return last;
        await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
    throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}; the list showed last: ${JSON.stringify(last)?.slice(0, 600)}`);
}

suite("Hybrid search with llamahome.embeddingModel (the runner's tiny embedding model, in which synonyms share a vector)", () => {
    let api: LlamaHomeApi;

    suiteSetup(async () => {
        api = await activateIndexed();
    });

    suiteTeardown(async () => {
        await vscode.commands.executeCommand("workbench.action.closeQuickOpen");
        await updateSetting("embeddingModel", undefined);
        await vscode.workspace.fs.delete(fixture(note)).then(undefined, () => undefined);
    });

    test("Search Documents finds a passage in other words only with the embedding model, and says which retrieval ran", async function () {
        this.timeout(150_000);
        const model = process.env.LLAMAHOME_TEST_EMBEDDING_MODEL;
        assert.ok(model, "the runner writes the tiny embedding model and names it in LLAMAHOME_TEST_EMBEDDING_MODEL");
        await vscode.workspace.fs.writeFile(fixture(note), Buffer.from("# Garage\n\nThe car needs new tyres before winter.\n"));
        // BM25 alone: the note is indexed (its own word finds it), no document holds the query's word
        await searchUntil("tyres", (result) => result.results.some((hit) => hit.path.endsWith("garage-hybrid.md")), "the new note in the index", 60_000);
        const lexical = await searchDocuments("automobile");
        assert.equal(lexical?.retrieval, "bm25");
        assert.deepEqual(lexical?.results, [], "no document has the word");
        assert.ok(api.logLines.some((line) => line.endsWith("Search: BM25")), api.logLines.slice(-5).join("\n"));

        await updateSetting("embeddingModel", model);
        // the passages are embedded in the background after the re-index the setting starts; until then the search
        // says hybrid and how many passages are not embedded yet
        const last = await searchUntil("automobile", (result) => result.results.some((hit) => hit.path.endsWith("garage-hybrid.md")) && !result.warning, "Search Documents to find the car note for \"automobile\", every passage embedded", 120_000);
        assert.equal(last?.retrieval, "hybrid");
        // (not necessarily first: this model also sees "car" at the start of "card", "career", "carry")
        assert.ok(api.logLines.some((line) => line.endsWith("Search: hybrid (BM25 + embeddings)")), api.logLines.slice(-5).join("\n"));
    });
});
