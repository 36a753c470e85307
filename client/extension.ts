// Extension entry and composition root: VS Code calls activate/deactivate; the command table is handed to the Context,
// which owns everything else.
import type * as vscode from "vscode";
import type { LlamaHomeApi } from "./api";
import { commandTable } from "./commands";
import { Context } from "./Context";

let context: Context | undefined;

export async function activate(extensionContext: vscode.ExtensionContext): Promise<LlamaHomeApi> {
    context = new Context(extensionContext, commandTable);
    await context.start();
    return context;
}

export async function deactivate(): Promise<void> {
    await context?.dispose();
    context = undefined;
}
