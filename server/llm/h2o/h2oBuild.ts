import { existsSync, readdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { computeH2oPatchId, H2O_CMAKE_OPTION } from "../../../shared/h2oBuildIdentity.cjs";
import type { Llama, LlamaLogLevel } from "node-llama-cpp" with { "resolution-mode": "import" };

/**
 * Finding and loading the node-llama-cpp build that carries the H2O attention accumulator (`npm run build:h2o`,
 * tools/build-h2o.mjs, native/h2o/README.md).
 *
 * The build is installed in node-llama-cpp's local-builds folder under the name node-llama-cpp derives from the
 * custom CMake option `LLAMAHOME_H2O=<patch id>`; the patch id hashes node-llama-cpp's version and the patch files.
 * Loading asks getLlama for exactly that build (`build: "never"`, no prebuilt fallback), so a missing or outdated
 * build (patch changed, `npm ci` wiped node_modules) is reported, never silently replaced by a binary without the
 * accumulator.
 */


/**
 * Set to "1" (or "true") to make loadH2oLlama refuse the accumulator build as if it were missing, so everything that
 * asked for H2O runs the sink-window fallback instead (and says so). For tests and for ruling the patch out.
 */
export const H2O_DISABLE_ENV = "LLAMAHOME_H2O_DISABLE";

/** The methods the patch adds to node-llama-cpp's native AddonContext. */
export const H2O_ADDON_METHODS = ["h2oSetEnabled", "h2oGetInfo", "h2oGetScores", "h2oReset", "h2oSetObserving", "h2oCompact"] as const;

export type H2oGpu = false | "cuda" | "vulkan";

export class H2oBuildMissingError extends Error {
    override readonly name = "H2oBuildMissingError";
    constructor(
        /** Why the accumulator build cannot be used, in one line. */
        readonly reason: string,
        /** What fixes it. */
        readonly action = buildAction(),
    ) {
        super(`H2O attention accumulator unavailable: ${reason}; ${action}`);
    }
}

/**
 * `npm run build:h2o` where this code runs from a LlamaHome checkout; an installed extension (.vsix) has no build
 * tool, so it says where the build is made instead.
 */
function buildAction(): string {
    const patchDir = findH2oPatchDir();
    if (patchDir && existsSync(join(patchDir, "..", "..", "tools", "build-h2o.mjs"))) return "run `npm run build:h2o`";
    return "the installed extension carries none (the accumulator is built from source): H2O needs LlamaHome run from a source checkout after `npm ci && npm run build:h2o`";
}

/** The folder holding the versioned patches (native/h2o), searched upwards from this file (source or bundle). */
export function findH2oPatchDir(from: string = __dirname): string | undefined {
    let dir = resolve(from);
    for (;;) {
        const candidate = join(dir, "native", "h2o");
        if (existsSync(candidate) && readdirSync(candidate).some((name) => name.endsWith(".patch"))) {
            return candidate;
        }
        const parent = dirname(dir);
        if (parent === dir) return undefined;
        dir = parent;
    }
}

export interface LoadH2oLlamaOptions {
    /** Which build of the accumulator to load. Defaults to false (CPU), what `npm run build:h2o` builds by default. */
    gpu?: H2oGpu;
    /** Defaults to LlamaLogLevel.warn. */
    logLevel?: LlamaLogLevel;
    /** Where the patches are. Defaults to findH2oPatchDir(). */
    patchDir?: string;
    /** Receives llama.cpp's log lines (getLlama's logger). Defaults to node-llama-cpp's console logger. */
    logger?: (level: LlamaLogLevel, message: string) => void;
    /** getLlama's maxThreads. Defaults to node-llama-cpp's default. */
    maxThreads?: number;
    /** Defaults to process.env. */
    env?: NodeJS.ProcessEnv;
}

/** Whether LLAMAHOME_H2O_DISABLE turns the accumulator build off. */
export function h2oDisabledByEnv(env: NodeJS.ProcessEnv = process.env): boolean {
    const value = env[H2O_DISABLE_ENV]?.trim().toLowerCase();
    return value === "1" || value === "true";
}

export interface H2oLlama {
    readonly llama: Llama;
    readonly patchId: string;
    /** The getLlama options that loaded it (for logs and tests). */
    readonly getLlamaOptions: Record<string, unknown>;
}

/** The getLlama options that select the accumulator build with this patch id and nothing else. */
export function h2oGetLlamaOptions(patchId: string, gpu: H2oGpu = false): Record<string, unknown> {
    return {
        gpu,
        build: "never",
        usePrebuiltBinaries: false,
        existingPrebuiltBinaryMustMatchBuildOptions: true,
        skipDownload: true,
        progressLogs: false,
        cmakeOptions: { [H2O_CMAKE_OPTION]: patchId },
    };
}

/**
 * Loads the accumulator build through node-llama-cpp's public getLlama. Throws H2oBuildMissingError (with the reason)
 * when it is not built for the current patches, the loaded addon lacks the accumulator's methods, or
 * LLAMAHOME_H2O_DISABLE=1 is set.
 */
export async function loadH2oLlama(options: LoadH2oLlamaOptions = {}): Promise<H2oLlama> {
    if (h2oDisabledByEnv(options.env)) {
        throw new H2oBuildMissingError(`disabled by ${H2O_DISABLE_ENV}=${(options.env ?? process.env)[H2O_DISABLE_ENV]}`, `unset ${H2O_DISABLE_ENV} to use it`);
    }
    const { getLlama, getModuleVersion, LlamaLogLevel, NoBinaryFoundError } = await import("node-llama-cpp");
    const patchDir = options.patchDir ?? findH2oPatchDir();
    if (patchDir === undefined) {
        throw new H2oBuildMissingError("native/h2o/*.patch not found next to the code", "ship native/h2o with the server");
    }
    const patchId = computeH2oPatchId(patchDir, await getModuleVersion());
    const getLlamaOptions = h2oGetLlamaOptions(patchId, options.gpu ?? false);
    let llama: Llama;
    try {
        llama = await getLlama({
            ...getLlamaOptions,
            logLevel: options.logLevel ?? LlamaLogLevel.warn,
            ...(options.logger === undefined ? {} : { logger: options.logger }),
            ...(options.maxThreads === undefined ? {} : { maxThreads: options.maxThreads }),
        } as Parameters<typeof getLlama>[0] & object);
    } catch (err) {
        if (err instanceof NoBinaryFoundError) {
            throw new H2oBuildMissingError(`no build for patch id ${patchId} (${options.gpu === undefined || options.gpu === false ? "cpu" : options.gpu})`);
        }
        throw err;
    }
    const addonContext = (llama as unknown as { _bindings?: { AddonContext?: { prototype?: Record<string, unknown> } } })._bindings?.AddonContext;
    const missing = H2O_ADDON_METHODS.filter((m) => typeof addonContext?.prototype?.[m] !== "function");
    if (missing.length > 0) {
        await llama.dispose();
        throw new H2oBuildMissingError(`the loaded binary lacks ${missing.join(", ")}`, "run `npm run build:h2o -- --force`");
    }
    return { llama, patchId, getLlamaOptions };
}
