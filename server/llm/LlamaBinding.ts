import type { Llama } from "node-llama-cpp" with { "resolution-mode": "import" };
import type { InferenceGpu, KvCacheMode } from "../../shared/inferenceMessages";
import { firstLine } from "./firstLine";
import { H2oBuildMissingError, loadH2oLlama, type H2oGpu } from "./h2o/h2oBuild";
import { ModelLoadError } from "./inferenceErrors";

/** The binding a load runs on, and why it is not the accumulator build when a bounded cache wanted that build. */
export interface ChosenBinding {
    readonly llama: Llama;
    readonly buildMissing?: string;
}

/**
 * The llama.cpp binding the engine holds: one at a time (each carries its own backend and memory), kept while loads
 * ask for the same gpu and build, replaced when they ask for another.
 */
export class LlamaBinding {
    /** `key` is the gpu asked for, prefixed "h2o:" for the accumulator build. */
    private current?: { instance: Llama; key: string };

    /** `log` gets llama.cpp's log lines and the notes on falling back to sink-window. */
    constructor(private readonly log: (level: string, message: string) => void) {}

    /** The binding of the last load, if one succeeded. */
    get instance(): Llama | undefined {
        return this.current?.instance;
    }

    /**
     * The binding for a load: the accumulator build when the bounded cache evicts by attention (H2O, query-aware),
     * else, or when that build is missing, the prebuilt one; a missing build is logged and returned as buildMissing.
     */
    async choose(gpu: InferenceGpu, file: string, kvMode: KvCacheMode["mode"] | undefined): Promise<ChosenBinding> {
        if (kvMode === undefined || kvMode === "sink-window") {
            return { llama: await this.prebuilt(gpu, file) };
        }
        const h2o = await this.h2o(gpu);
        if (typeof h2o !== "string") {
            return { llama: h2o };
        }
        this.log("warn", `${h2o}; the bounded KV cache falls back to sink-window (attention sinks + recent tokens)`);
        return { llama: await this.prebuilt(gpu, file), buildMissing: h2o };
    }

    /**
     * The accumulator build (npm run build:h2o) for this gpu choice, or why there is none. "auto" tries the CUDA and
     * Vulkan builds, then the CPU build (the one build:h2o makes by default).
     */
    private async h2o(gpu: InferenceGpu): Promise<Llama | string> {
        const key = `h2o:${gpu}`;
        if (this.current?.key === key) {
            return this.current.instance;
        }
        if (gpu === "metal") {
            return "the H2O attention accumulator has no Metal build; use gpu false for H2O on this machine";
        }
        const candidates: H2oGpu[] = gpu === "auto" ? (process.platform === "darwin" ? [false] : ["cuda", "vulkan", false]) : [gpu];
        const { LlamaLogLevel } = await import("node-llama-cpp");
        let reason = "";
        for (const candidate of candidates) {
            try {
                const { llama } = await loadH2oLlama({
                    gpu: candidate,
                    logLevel: LlamaLogLevel.warn,
                    logger: (level, message) => this.log(level, message),
                    maxThreads: 0,
                });
                await this.current?.instance.dispose();
                this.current = { instance: llama, key };
                return llama;
            } catch (error) {
                if (!(error instanceof H2oBuildMissingError) && gpu !== "auto") {
                    return `H2O attention accumulator unavailable: ${firstLine(error)}`;
                }
                // For "auto" the last reason is the CPU build's: the one `npm run build:h2o` makes.
                reason = error instanceof H2oBuildMissingError ? error.message : `H2O attention accumulator unavailable: ${firstLine(error)}`;
            }
        }
        return reason;
    }

    /** node-llama-cpp's prebuilt binary (or a local build) for this gpu choice; a backend it cannot offer fails the load. */
    private async prebuilt(gpu: InferenceGpu, file: string): Promise<Llama> {
        const key = String(gpu);
        if (this.current?.key === key) {
            return this.current.instance;
        }
        await this.current?.instance.dispose();
        this.current = undefined;
        const { getLlama, LlamaLogLevel, NoBinaryFoundError } = await import("node-llama-cpp");
        try {
            const instance = await getLlama({
                gpu,
                // Never compile llama.cpp from inside the editor (it takes many minutes); a local build made with
                // `npx node-llama-cpp source download` is still used.
                build: "never",
                progressLogs: false,
                // Threads are chosen per context; without this cap node-llama-cpp would lower them on its own.
                maxThreads: 0,
                logLevel: LlamaLogLevel.warn,
                logger: (level, message) => this.log(level, message),
            });
            if (gpu !== "auto" && instance.gpu !== gpu) {
                // node-llama-cpp quietly runs on the CPU when asked for a backend this platform lacks (metal on Linux).
                await instance.dispose();
                throw new ModelLoadError(file, gpuUnavailable(gpu, `node-llama-cpp offered ${instance.gpu || "the CPU"} instead`));
            }
            this.current = { instance, key };
            return instance;
        } catch (error) {
            if (error instanceof ModelLoadError) {
                throw error;
            }
            // NoBinaryFoundError's message is only its name.
            const cause = error instanceof NoBinaryFoundError ? "no usable llama.cpp binary for it" : firstLine(error);
            throw new ModelLoadError(file, gpu === "auto" || gpu === false ? `llama.cpp could not start: ${cause}` : gpuUnavailable(gpu, cause));
        }
    }
}

function gpuUnavailable(gpu: InferenceGpu, cause: string): string {
    return `GPU backend ${gpu} is not available on this machine (${cause}); set gpu to "auto" or false`;
}
