// Extension entry: VS Code calls activate/deactivate; everything else is owned by the Context.
import type * as vscode from "vscode";
import type { LlamaHomeApi } from "./api";
import { Context } from "./Context";

let context: Context | undefined;

export async function activate(extensionContext: vscode.ExtensionContext): Promise<LlamaHomeApi> {
    context = new Context(extensionContext);
    await context.start();
    return context;
}

export async function deactivate(): Promise<void> {
    await context?.dispose();
    context = undefined;
}
