import type { Llama, LlamaModel } from "node-llama-cpp" with { "resolution-mode": "import" };
import { firstLine } from "./firstLine";
import { ModelLoadError } from "./inferenceErrors";

/** How long a failed load waits for llama.cpp's reason: its log lines reach JS after the load's rejection. */
const LOAD_CAUSE_WAIT_MS = 200;

/**
 * Loads GGUF weights with llama.cpp, and when that fails names llama.cpp's own reason: its exception only says
 * "Failed to load model", the reason is in its log ("llama_model_load: error loading model: <reason>"). The engine
 * that owns the binding hands every log line to note().
 */
export class LlamaModelLoader {
    /** llama.cpp's error lines while a model loads. */
    private errors?: string[];

    note(level: string, message: string): void {
        if (level === "error") this.errors?.push(message);
    }

    async load(llama: Llama, file: string): Promise<LlamaModel> {
        const errors: string[] = [];
        this.errors = errors;
        try {
            return await llama.loadModel({ modelPath: file, gpuLayers: llama.gpu === false ? 0 : "auto" });
        } catch (error) {
            throw new ModelLoadError(file, `llama.cpp could not load it: ${(await loadCause(errors)) ?? firstLine(error)}`);
        } finally {
            this.errors = undefined;
        }
    }
}

/** The reason in llama.cpp's "llama_model_load: error loading model: <reason>" line, with its column padding collapsed. */
async function loadCause(errors: readonly string[]): Promise<string | undefined> {
    const marker = "error loading model: ";
    const deadline = performance.now() + LOAD_CAUSE_WAIT_MS;
    for (;;) {
        const line = errors.find((error) => error.includes(marker));
        if (line !== undefined) {
            return line.slice(line.indexOf(marker) + marker.length).replace(/\s+/g, " ").trim();
        }
        if (performance.now() >= deadline) {
            return undefined;
        }
        await new Promise((resolve) => setTimeout(resolve, 5));
    }
}
