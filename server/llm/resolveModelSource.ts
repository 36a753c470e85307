import { rm, stat } from "node:fs/promises";
import { homedir } from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { describeModelFileProblem } from "./describeModelFileProblem";
import { downloadByteCap } from "./downloadLimits";
import { downloadModel, type DownloadProgress } from "./downloadModel";
import { firstLine } from "./firstLine";
import { validateLlamaGguf } from "./gguf/llamaValidation";
import { ModelLoadError } from "./inferenceErrors";

export type { DownloadProgress } from "./downloadModel";

export interface ResolveModelSourceOptions {
    /** Where URI models are downloaded to and looked up in. Defaults to $XDG_CACHE_HOME/llamahome/models (~/.cache/llamahome/models). */
    modelsDir?: string;
    /** Called as a download progresses (not at all when the file is already there). Defaults to none. */
    onProgress?: (progress: DownloadProgress) => void;
    /** Stops a download; what was fetched is kept and the next resolve resumes from it (deleted when the server sent no size: it cannot be resumed). */
    signal?: AbortSignal;
    /** Base URL for hf: URIs. Defaults to node-llama-cpp's: $HF_ENDPOINT, else https://huggingface.co/. */
    huggingFaceEndpoint?: string;
    /**
     * A download that receives nothing for this long (a refused or dead server, which node-llama-cpp's downloader
     * would otherwise retry for many minutes) fails with one line. Defaults to $LLAMAHOME_DOWNLOAD_STALL_SECONDS, else 30 s.
     */
    stallTimeoutMs?: number;
    /**
     * A download that brings in more than this (whatever Content-Length says, or with none), or more than the server
     * announced, fails with one line and its partial file is deleted. Defaults to $LLAMAHOME_DOWNLOAD_MAX_GB, else 256 GB.
     */
    maxDownloadBytes?: number;
}

const DEFAULT_STALL_SECONDS = 30;

function stallTimeout(options: ResolveModelSourceOptions): number {
    if (options.stallTimeoutMs !== undefined) return options.stallTimeoutMs;
    const fromEnv = Number(process.env.LLAMAHOME_DOWNLOAD_STALL_SECONDS);
    return (Number.isFinite(fromEnv) && fromEnv > 0 ? fromEnv : DEFAULT_STALL_SECONDS) * 1000;
}

const URI_PATTERN = /^(hf:|https?:\/\/)/i;

/** Whether `model` names a model to download (hf:user/repo/file.gguf, https://…, http://…) rather than a local path. */
export function isModelUri(model: string): boolean {
    return URI_PATTERN.test(model);
}

/**
 * A model setting made absolute: URIs (hf:, https://, file://) as they are, a path against `base` (the first workspace
 * folder for the settings, the current folder for the CLI).
 */
export function absoluteModelSetting(model: string, base: string): string {
    return isModelUri(model) || /^file:/i.test(model) ? model : path.resolve(base, model);
}

export function defaultModelsDir(): string {
    return path.join(process.env.XDG_CACHE_HOME || path.join(homedir(), ".cache"), "llamahome", "models");
}

/**
 * Turns a model setting into a local GGUF path. Paths are returned absolute, as they are (they are validated when
 * loaded). URIs are downloaded with node-llama-cpp's downloader into the models folder, unless a file for that URI is
 * already there (then nothing touches the network); an interrupted download resumes where it stopped (in 5 MiB
 * chunks, the downloader's unit). A finished download is checked (size and GGUF header) and deleted if bad, so the
 * next try fetches it again.
 *
 * @throws CancelledError when `signal` aborts; ModelLoadError when the download or its check fails.
 */
export async function resolveModelSource(model: string, options: ResolveModelSourceOptions = {}): Promise<string> {
    if (/^file:/i.test(model)) {
        try {
            return fileURLToPath(model);
        } catch (error) {
            throw new ModelLoadError(model, `not a usable file URL (${firstLine(error)})`);
        }
    }
    if (!isModelUri(model)) {
        return path.resolve(model);
    }
    // hf:user/repo/file.gguf names a file in a repository: a dot segment would build a request path outside it
    if (/^hf:/i.test(model) && model.slice(3).split(/[\\/]/).some((segment) => segment === ".." || segment === ".")) {
        throw new ModelLoadError(model, "an hf: URI may not contain '.' or '..' path segments");
    }
    const directory = options.modelsDir ?? defaultModelsDir();
    const fileName = localFileName(model);
    return oneAtATime(`${directory}\0${model}`, async () => {
        const { resolveModelFile } = await import("node-llama-cpp");
        const endpoints = options.huggingFaceEndpoint === undefined ? undefined : { huggingFace: options.huggingFaceEndpoint };
        // Naming the file up front is what lets an existing download be found without asking the server.
        const existing = await resolveModelFile(model, { directory, fileName, cli: false, download: false, endpoints }).catch(() => undefined);
        if (existing !== undefined) {
            await verify(model, existing, undefined);
            return existing;
        }
        const { file, totalBytes } = await downloadModel(model, {
            directory,
            fileName,
            huggingFaceEndpoint: options.huggingFaceEndpoint,
            signal: options.signal,
            onProgress: options.onProgress,
            stallTimeoutMs: stallTimeout(options),
            maxBytes: downloadByteCap(options.maxDownloadBytes),
        });
        await verify(model, file, totalBytes);
        return file;
    });
}

const running = new Map<string, Promise<unknown>>();

/** Two loads of one model into one folder (the server's and a benchmark's) must not write one file together. */
function oneAtATime<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = running.get(key) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(task);
    const settled = next.catch(() => undefined);
    running.set(key, settled);
    void settled.then(() => {
        if (running.get(key) === settled) running.delete(key);
    });
    return next;
}

async function verify(model: string, file: string, expectedBytes: number | undefined): Promise<void> {
    let problem: string | undefined;
    try {
        const { size } = await stat(file);
        if (expectedBytes !== undefined && expectedBytes > 0 && size !== expectedBytes) {
            problem = `it is ${size} bytes but the server announced ${expectedBytes}`;
        } else {
            await validateLlamaGguf(file);
        }
    } catch (error) {
        problem = describeModelFileProblem(error, file);
    }
    if (problem !== undefined) {
        await rm(file, { force: true });
        throw new ModelLoadError(model, `the downloaded file ${file} is not a usable model (${problem}); it was deleted, so the next load downloads it again`);
    }
}

/**
 * The name a URL's model is saved under: its last path segment, with anything unsafe in a file name replaced. hf:
 * URIs are left to node-llama-cpp, which names them hf_<user>_<repo>_<file> and finds them offline itself.
 */
function localFileName(model: string): string | undefined {
    if (/^hf:/i.test(model)) {
        return undefined;
    }
    const segment = decodeURIComponent(path.posix.basename(new URL(model).pathname));
    const safe = segment.replace(/[^\w.-]+/g, "_").replace(/^\.+/, "");
    return safe.length > 0 ? safe : undefined;
}
