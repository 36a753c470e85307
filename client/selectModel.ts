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
        ignoreFocusOut: true,
    });
    if (!picked) return undefined;
    const model = picked.model ?? (await askForModel(current));
    if (model === undefined || model === current) return model;
    if (isModelUri(model) && !(await downloaded(model)) && !(await confirmDownload(model, log))) return undefined;
    await config.setModel(model);
    log.line(`llamahome.model set to ${model ? JSON.stringify(model) : "none (extractive engine)"}.`);
    return model;
}

function isModelUri(model: string): boolean {
    return /^(hf:|https?:\/\/)/i.test(model);
}

/** Whether a URI model is already in the models folder (node-llama-cpp names hf: downloads hf_<user>_<repo>_<file>). */
async function downloaded(model: string): Promise<boolean> {
    const hf = /^hf:([^/]+)\/([^/]+)\/(.+\.gguf)$/i.exec(model);
    const name = hf ? `hf_${hf[1]}_${hf[2]}_${hf[3]!.replace(/\//g, "_")}` : path.basename(new URL(model).pathname);
    return (await stat(path.join(modelsFolder(), name)).catch(() => undefined))?.isFile() === true;
}

/** The URL a model URI downloads from: hf:user/repo/file.gguf through $HF_ENDPOINT (as the server and node-llama-cpp read it). */
function downloadUrl(model: string): URL {
    const hf = /^hf:([^/]+\/[^/]+)\/(.+)$/i.exec(model);
    return hf ? new URL(`${hf[1]}/resolve/main/${hf[2]}`, process.env.HF_ENDPOINT || "https://huggingface.co/") : new URL(model);
}

/** The file's size from the server's headers (HEAD, redirects followed, 8 s at most); a reason when it cannot say. */
async function remoteSize(url: URL): Promise<{ bytes?: number; problem?: string }> {
    try {
        const response = await fetch(url, { method: "HEAD", redirect: "follow", signal: AbortSignal.timeout(8000) });
        if (!response.ok) return { problem: `${url.host} answered HTTP ${response.status}` };
        const bytes = Number(response.headers.get("x-linked-size") ?? response.headers.get("content-length"));
        return Number.isFinite(bytes) && bytes > 0 ? { bytes } : { problem: `${url.host} did not say its size` };
    } catch (error) {
        const cause = (error as { cause?: { code?: string } }).cause?.code;
        return { problem: cause === "ENOTFOUND" || cause === "EAI_AGAIN" ? `cannot reach ${url.host}: offline?` : `${url.host} did not answer (${(error as Error).name === "TimeoutError" ? "8 s" : cause ?? (error as Error).message})` };
    }
}

/**
 * Asks before a model is downloaded: its size from the server and whether it fits this machine's memory (the
 * weights plus about a fifth for the context and buffers; GPU memory is reported by the dashboard once loaded).
 */
async function confirmDownload(model: string, log: CommandContext["log"]): Promise<boolean> {
    const url = downloadUrl(model);
    const file = decodeURIComponent(url.pathname.split("/").pop() ?? model);
    const { bytes, problem } = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `LlamaHome: asking ${url.host} for the size of ${file}…` },
        () => remoteSize(url),
    );
    const total = os.totalmem();
    const fit = bytes === undefined
        ? ""
        : bytes * 1.2 <= os.freemem()
            ? ` It fits in this machine's free memory (${formatBytes(os.freemem())} of ${formatBytes(total)}).`
            : bytes * 1.2 <= total
                ? ` It needs about ${formatBytes(bytes * 1.2)}; ${formatBytes(os.freemem())} of this machine's ${formatBytes(total)} are free now, so close other programs first.`
                : ` It needs about ${formatBytes(bytes * 1.2)}, more than this machine's ${formatBytes(total)} of memory: it will not load here (a GPU with enough memory, or a smaller quantization, may).`;
    const size = bytes === undefined ? `size unknown: ${problem}` : formatBytes(bytes);
    log.line(`Select Model: ${model} is ${size}.${fit}`);
    const answer = await vscode.window.showWarningMessage(
        `Download ${file} (${size})?`,
        { modal: true, detail: `From ${url.host} into ${displayPath(modelsFolder())}, once; it stays on this machine.${fit}${problem ? " The download will fail the same way until the host can be reached." : ""}` },
        "Download",
    );
    return answer === "Download";
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
