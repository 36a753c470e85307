import { rm, stat, writeFile } from "node:fs/promises";
import type { ModelDownloader } from "node-llama-cpp" with { "resolution-mode": "import" };
import { CancelledError, ModelLoadError } from "./inferenceErrors";
import { downloadOverrun } from "./downloadLimits";
import { firstLine } from "./firstLine";
import { unreachableReason } from "./hostReachable";

export interface DownloadProgress {
    downloadedBytes: number;
    totalBytes: number;
}

export interface DownloadModelOptions {
    directory: string;
    /** The local file name; undefined lets node-llama-cpp name it (hf: URIs). */
    fileName?: string;
    huggingFaceEndpoint?: string;
    signal?: AbortSignal;
    onProgress?: (progress: DownloadProgress) => void;
    /** Nothing received for this long fails the download. */
    stallTimeoutMs: number;
    /** More than this received (or announced) fails the download and deletes its file. */
    maxBytes: number;
}

export interface DownloadedModel {
    file: string;
    /** What the server announced; 0 when it sent no size. */
    totalBytes: number;
}

/**
 * Downloads a model with node-llama-cpp's downloader, under LlamaHome's limits: a stall watchdog, a byte cap and the
 * caller's signal. LlamaHome stops the downloader itself and waits for it to close (node-llama-cpp's own signal
 * handling closes it in the background, and that close throws, unhandled, when it stops before the first 5 MiB were
 * written). A stopped download the server announced a size for is kept for the next load to resume; one without a
 * size cannot be resumed (the downloader would even rename it to the model's name), so it is deleted, as is any
 * download over the cap.
 *
 * @throws CancelledError when `signal` aborts; ModelLoadError when the download fails, stalls or overruns.
 */
export async function downloadModel(model: string, options: DownloadModelOptions): Promise<DownloadedModel> {
    const { signal } = options;
    if (signal?.aborted) throw new CancelledError(`downloading ${model}`);
    const server = serverOf(model, options.huggingFaceEndpoint);
    const unreachable = server && (await unreachableReason(server, Math.min(options.stallTimeoutMs, 10_000)));
    if (unreachable) {
        throw new ModelLoadError(model, `download failed: cannot reach ${server!.host} — ${unreachable}; connect to the network, or choose a GGUF file on this machine`);
    }
    if (signal?.aborted) throw new CancelledError(`downloading ${model}`);
    const { createModelDownloader } = await import("node-llama-cpp");
    let stopped: { error: Error; deleteFile: boolean } | undefined;
    let giveUp: (error: Error) => void = () => {};
    // node-llama-cpp keeps retrying a refused connection while the downloader is created: the wait ends here instead.
    const gaveUp = new Promise<never>((_, reject) => (giveUp = reject));
    let totalBytes = 0;
    let receivedBytes = 0;
    let watchdog: NodeJS.Timeout | undefined;
    const stop = (error: Error, deleteFile: boolean) => {
        if (stopped) return;
        stopped = { error, deleteFile };
        clearTimeout(watchdog);
        giveUp(error);
    };
    const arm = () => {
        clearTimeout(watchdog);
        watchdog = setTimeout(() => stop(stallError(model, options.stallTimeoutMs, receivedBytes === 0 ? "nothing" : totalBytes > 0 ? "resumable" : "unsized"), totalBytes === 0), options.stallTimeoutMs);
    };
    const cancel = () => stop(new CancelledError(`downloading ${model}`), totalBytes === 0);
    signal?.addEventListener("abort", cancel);
    arm();
    const creating = createModelDownloader({
        modelUri: model,
        dirPath: options.directory,
        fileName: options.fileName,
        showCliProgress: false,
        skipExisting: true,
        deleteTempFileOnCancel: false,
        endpoints: options.huggingFaceEndpoint === undefined ? undefined : { huggingFace: options.huggingFaceEndpoint },
        onProgress: ({ totalSize, downloadedSize }) => {
            if (stopped) return;
            arm();
            totalBytes = totalSize;
            receivedBytes = downloadedSize;
            const overrun = downloadOverrun(downloadedSize, totalSize, options.maxBytes);
            if (overrun !== undefined) stop(new ModelLoadError(model, `download failed: ${overrun}; the partial file was deleted`), true);
            else options.onProgress?.({ downloadedBytes: downloadedSize, totalBytes: totalSize });
        },
    });
    // A downloader that comes up after LlamaHome gave up on it is closed unused.
    creating.then((late) => (stopped ? close(late) : undefined), () => undefined);
    try {
        const downloader = await Promise.race([gaveUp, creating]);
        // Found under the name the server resolved to (an hf: URI with a quantization tag): nothing to fetch.
        if (await exists(downloader.entrypointFilePath)) {
            await close(downloader);
            return { file: downloader.entrypointFilePath, totalBytes: downloader.totalSize };
        }
        const downloading = downloader.download();
        let failure: { error: unknown } | undefined;
        try {
            await Promise.race([gaveUp, downloading]);
        } catch (error) {
            failure = { error };
        }
        if (stopped) {
            const placeholders = await stopDownloader(downloader);
            await downloading.catch(() => undefined);
            if (stopped.deleteFile) await deleteDownload(downloader);
            else await Promise.all(placeholders.map((file) => rm(file, { force: true })));
            throw stopped.error;
        }
        if (failure) throw new ModelLoadError(model, `download failed: ${firstLine(failure.error)}`);
        return { file: downloader.entrypointFilePath, totalBytes };
    } catch (error) {
        if (stopped) throw stopped.error;
        if (error instanceof ModelLoadError) throw error;
        throw new ModelLoadError(model, `download failed: ${firstLine(error)}`);
    } finally {
        clearTimeout(watchdog);
        signal?.removeEventListener("abort", cancel);
    }
}

/** The server a model URI is fetched from: the URL's own, or Hugging Face's (HF_ENDPOINT, as node-llama-cpp reads it) for hf:. */
function serverOf(model: string, huggingFaceEndpoint: string | undefined): URL | undefined {
    try {
        if (/^https?:/i.test(model)) return new URL(model);
        if (/^hf:/i.test(model)) return new URL(huggingFaceEndpoint ?? process.env.HF_ENDPOINT ?? "https://huggingface.co/");
    } catch {
        // an address that does not parse is the downloader's to report
    }
    return undefined;
}

/** Closes a downloader that has not started downloading. */
async function close(downloader: ModelDownloader): Promise<void> {
    await downloader.cancel({ deleteTempFile: false }).catch(() => undefined);
}

/**
 * Stops a running download and waits until the downloader has let go of the connection. Its close first renames
 * X.ipull to X when it counts the download as ended (always for one without a size), and when X.ipull was never
 * written (the first 5 MiB had not arrived) that rename throws before the connection is closed, which is then read
 * forever: an empty X.ipull is put there first. Returns the placeholders it made.
 */
async function stopDownloader(downloader: ModelDownloader): Promise<string[]> {
    const placeholders: string[] = [];
    for (const { filePath } of downloader.filesInfo) {
        const partial = `${filePath}.ipull`;
        // "wx": made only when absent, never truncating what the downloader wrote
        const made = await writeFile(partial, "", { flag: "wx" }).then(() => true, () => false);
        if (made) placeholders.push(partial);
    }
    await close(downloader);
    return placeholders;
}

async function deleteDownload(downloader: ModelDownloader): Promise<void> {
    const files = [downloader.entrypointFilePath, ...downloader.filesInfo.map((info) => info.filePath)];
    await Promise.all([...new Set(files)].flatMap((file) => [rm(file, { force: true }), rm(`${file}.ipull`, { force: true })]));
}

function exists(file: string): Promise<boolean> {
    return stat(file).then(
        () => true,
        () => false,
    );
}

const afterStall = {
    nothing: "",
    resumable: "; what was fetched is kept and the next load resumes it",
    unsized: "; the server sent no size, so what was fetched cannot be resumed and was deleted",
};

function stallError(model: string, limitMs: number, fetched: keyof typeof afterStall): ModelLoadError {
    return new ModelLoadError(
        model,
        `download failed: nothing received for ${Math.round(limitMs / 1000)} s (the server refused, is unreachable or stopped sending; ` +
            `LLAMAHOME_DOWNLOAD_STALL_SECONDS sets the limit)${afterStall[fetched]}`,
    );
}
