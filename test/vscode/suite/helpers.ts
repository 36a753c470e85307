/// <reference types="mocha" />
import * as assert from "node:assert/strict";
import * as path from "node:path";
import * as vscode from "vscode";
import type { LlamaHomeApi } from "../../../client/api";
import type { IndexStatus } from "../../../shared/protocol";

export const extensionId = "llamahome.llamahome";

/** The fixture workspace (a copy of samples/workspace) the runner opened. */
export function workspaceRoot(): string {
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder, "a workspace folder is open");
    return folder.uri.fsPath;
}

export function fixture(relative: string): vscode.Uri {
    return vscode.Uri.file(path.join(workspaceRoot(), relative));
}

export async function activate(): Promise<LlamaHomeApi> {
    const extension = vscode.extensions.getExtension<LlamaHomeApi>(extensionId);
    assert.ok(extension, `${extensionId} is installed`);
    return extension.activate();
}

/** The extension activated and the fixture workspace indexed: where most suites start. */
export async function activateIndexed(): Promise<LlamaHomeApi> {
    const api = await activate();
    await waitForIndex(api, (s) => s.state === "indexed", 'the index state "indexed"');
    return api;
}

/**
 * Resolves once `condition` holds for the index status, checking on every status notification (the ready signal)
 * and, as a safety net for state that changes without one, every 100 ms.
 */
export function waitForIndex(api: LlamaHomeApi, condition: (status: IndexStatus) => boolean, what: string, timeoutMs = 45_000): Promise<IndexStatus> {
    return waitFor(() => (api.indexStatus && condition(api.indexStatus) ? api.indexStatus : undefined), what, timeoutMs, api.onDidChangeIndexStatus);
}

/** Resolves on the next index status notification that satisfies `condition` (the current status does not count). */
export function nextIndexStatus(api: LlamaHomeApi, condition: (status: IndexStatus) => boolean, what: string, timeoutMs = 45_000): Promise<IndexStatus> {
    let seen: IndexStatus | undefined;
    const subscription = api.onDidChangeIndexStatus((status) => {
        if (!seen && condition(status)) seen = status;
    });
    return waitFor(() => seen, what, timeoutMs, api.onDidChangeIndexStatus).finally(() => subscription.dispose());
}

export function waitFor<T>(check: () => T | undefined, what: string, timeoutMs = 30_000, event?: vscode.Event<unknown>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
        const done = (value: T) => {
            clearInterval(poll);
            clearTimeout(timer);
            subscription?.dispose();
            resolve(value);
        };
        const attempt = () => {
            const value = check();
            if (value !== undefined) done(value);
        };
        const poll = setInterval(attempt, 100);
        const subscription = event?.(attempt);
        const timer = setTimeout(() => {
            clearInterval(poll);
            subscription?.dispose();
            reject(new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`));
        }, timeoutMs);
        attempt();
    });
}

export function hoverText(hovers: vscode.Hover[]): string {
    return hovers
        .flatMap((hover) => hover.contents)
        .map((content) => (typeof content === "string" ? content : content.value))
        .join("\n");
}

/**
 * The hooks of a suite that sets llamahome.model: before it, the extension activated (handed to `activated`) and the
 * workspace indexed; after it, the model setting cleared. Returns the tiny model the runner made.
 */
export function modelSuiteHooks(activated: (api: LlamaHomeApi) => void): string {
    const model = process.env.LLAMAHOME_TEST_MODEL ?? "";
    suiteSetup(async () => {
        assert.ok(model, "the runner provides LLAMAHOME_TEST_MODEL");
        activated(await activateIndexed());
    });
    suiteTeardown(async () => {
        await updateSetting("model", undefined);
    });
    return model;
}

/** Resets a setting in the user settings and waits for the server to have re-indexed. */
export async function updateSetting(section: string, value: unknown): Promise<void> {
    await vscode.workspace.getConfiguration("llamahome").update(section, value, vscode.ConfigurationTarget.Global);
}
