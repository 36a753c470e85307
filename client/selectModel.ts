import { readdir, stat } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import * as vscode from "vscode";
import type { CommandContext } from "./commandContext";
import { formatBytes } from "../shared/formatBytes";

/** Small instruction-tuned models that run on a laptop CPU; downloaded into the models folder on first use. */
const recommendedModels: { uri: string; label: string; detail: string }[] = [
    {
        uri: "hf:bartowski/Llama-3.2-1B-Instruct-GGUF/Llama-3.2-1B-Instruct-Q4_K_M.gguf",
        label: "Llama 3.2 1B Instruct (Q4_K_M)",
        detail: "≈0.8 GB · fast on any CPU",
    },
    {
        uri: "hf:Qwen/Qwen2.5-1.5B-Instruct-GGUF/qwen2.5-1.5b-instruct-q4_k_m.gguf",
        label: "Qwen2.5 1.5B Instruct (Q4_K_M)",
        detail: "≈1.1 GB · better answers, still CPU-friendly",
    },
];

interface ModelItem extends vscode.QuickPickItem {
    /** The value for llamahome.model; undefined for the "enter a path" item. */
    model?: string;
}

/** Where downloaded models live: $XDG_CACHE_HOME/llamahome/models (the server downloads there too). */
export function modelsFolder(): string {
    return path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache"), "llamahome", "models");
}

/**
 * Picks the model: GGUF files in the workspace and the models folder, recommended `hf:` models, a path or URI
 * typed in, or none (the extractive engine). Writes llamahome.model; the server restarts to load it.
 */
export async function selectModel({ config, log }: Pick<CommandContext, "config" | "log">): Promise<string | undefined> {
    const current = config.model;
    const mark = (model: string) => (model === current ? " $(check)" : "");
    const items: ModelItem[] = [];
    const local = await localModels();
    if (local.length) {
        items.push({ label: "Local models", kind: vscode.QuickPickItemKind.Separator });
        for (const file of local) {
            items.push({ label: `$(file-binary) ${path.basename(file.path)}${mark(file.path)}`, description: file.size ? formatBytes(file.size) : "", detail: displayPath(file.path), model: file.path });
        }
    }
    items.push({ label: "Download from Hugging Face", kind: vscode.QuickPickItemKind.Separator });
    for (const recommended of recommendedModels) {
        items.push({ label: `$(cloud-download) ${recommended.label}${mark(recommended.uri)}`, description: recommended.detail, detail: recommended.uri, model: recommended.uri });
    }
    items.push({ label: "Other", kind: vscode.QuickPickItemKind.Separator });
    items.push({ label: "$(edit) Enter a path or hf: URI…" });
    items.push({ label: `$(circle-slash) No model: extractive summaries and answers${mark("")}`, model: "" });
    const picked = await vscode.window.showQuickPick(items, {
        title: "LlamaHome: Select Model",
        placeHolder: current ? `Current: ${current}` : "No model is set: the extractive engine answers",
        matchOnDetail: true,
    });
    if (!picked) return undefined;
    const model = picked.model ?? (await askForModel(current));
    if (model === undefined || model === current) return model;
    await config.setModel(model);
    log.line(`llamahome.model set to ${model ? JSON.stringify(model) : "none (extractive engine)"}.`);
    return model;
}

async function askForModel(current: string): Promise<string | undefined> {
    const value = await vscode.window.showInputBox({
        title: "LlamaHome: Select Model",
        prompt: "A local .gguf file, or a model URI such as hf:user/repo/file.gguf",
        value: current,
        ignoreFocusOut: true,
        validateInput: async (text) => {
            const model = text.trim();
            if (!model || /^(hf:|https?:\/\/)/i.test(model)) return undefined;
            if (!model.toLowerCase().endsWith(".gguf")) return "A model file ends in .gguf (or use an hf: or https:// URI).";
            const file = await stat(resolveModelPath(model)).catch(() => undefined);
            return file?.isFile() ? undefined : `No such file: ${resolveModelPath(model)}`;
        },
    });
    if (value === undefined) return undefined;
    const model = value.trim();
    return /^(hf:|https?:\/\/)/i.test(model) || !model ? model : resolveModelPath(model);
}

/** A typed path: ~ expanded, relative paths against the first workspace folder. */
function resolveModelPath(model: string): string {
    const expanded = model.startsWith("~/") ? path.join(os.homedir(), model.slice(2)) : model;
    const base = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? os.homedir();
    return path.resolve(base, expanded);
}

async function localModels(): Promise<{ path: string; size: number }[]> {
    const found = new Map<string, number>();
    const inWorkspace = await vscode.workspace.findFiles("**/*.gguf", "**/{node_modules,.git}/**", 200);
    for (const uri of inWorkspace) if (uri.scheme === "file") found.set(uri.fsPath, 0);
    const folder = modelsFolder();
    for (const name of await readdir(folder).catch(() => [] as string[])) {
        if (name.toLowerCase().endsWith(".gguf")) found.set(path.join(folder, name), 0);
    }
    const files = await Promise.all([...found.keys()].map(async (file) => ({ path: file, size: (await stat(file).catch(() => undefined))?.size ?? 0 })));
    return files.sort((a, b) => a.path.localeCompare(b.path));
}

function displayPath(file: string): string {
    const relative = vscode.workspace.asRelativePath(file, true);
    if (relative !== file) return relative;
    return file.startsWith(os.homedir()) ? `~${file.slice(os.homedir().length)}` : file;
}
