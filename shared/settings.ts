// The `llamahome.*` settings, typed once: the server reads them per workspace folder and validates them here; the
// client reads them through VS Code (client/config.ts) with the same types; the CLI's flags fill the same engine
// settings (server/llm/engineSettings.ts).
import { isObject } from "./isObject";

export interface IndexSettings {
    exclude: string[];
    maxFileSizeMB: number;
}

/** Where the model runs: "auto" picks the best GPU backend that loads, else the CPU. */
export const gpuValues = ["auto", "cpu", "cuda", "vulkan", "metal"] as const;

export interface ModelSettings {
    /** A GGUF path or URI; "" means no model (the extractive engine answers). */
    model: string;
    gpu: (typeof gpuValues)[number];
    /** 0 means the model's training context, at most 4096. */
    contextSize: number;
}

export interface H2oSettings {
    enabled: boolean;
    /** KV cache budget in tokens: attention sinks + heavy hitters + the most recent tokens. */
    windowLength: number;
    /** How many of windowLength are heavy hitters (chosen by accumulated attention); less than windowLength. */
    heavyHitters: number;
}

export interface LlamaHomeSettings extends ModelSettings {
    index: IndexSettings;
    h2o: H2oSettings;
    /** llama.cpp servers (llama-server URLs) that generate instead of the local model; [] means the local engine. */
    endpoints: string[];
    /** Longest wait for an endpoint's reply, or between two streamed words, in seconds. */
    endpointTimeout: number;
    /** A GGUF path or URI of an embedding model; "" means BM25 alone. */
    embeddingModel: string;
    /** A GGUF path or URI of a reranking model; "" means no reranking. */
    rerankerModel: string;
}

export const defaultSettings: LlamaHomeSettings = {
    model: "",
    gpu: "auto",
    contextSize: 0,
    index: { exclude: [], maxFileSizeMB: 50 },
    h2o: { enabled: false, windowLength: 512, heavyHitters: 128 },
    endpoints: [],
    endpointTimeout: 60,
    embeddingModel: "",
    rerankerModel: "",
};

/** Turns whatever the client sent for `llamahome` into valid settings, reporting each value it had to ignore. */
export function validateSettings(raw: unknown, warn: (message: string) => void): LlamaHomeSettings {
    const section = isObject(raw) ? raw : {};
    const index = isObject(section.index) ? section.index : {};
    const settings: LlamaHomeSettings = structuredClone(defaultSettings);
    if (index.exclude !== undefined) {
        if (Array.isArray(index.exclude) && index.exclude.every((item) => typeof item === "string")) settings.index.exclude = index.exclude as string[];
        else warn("llamahome.index.exclude must be a list of glob patterns; ignoring it.");
    }
    if (index.maxFileSizeMB !== undefined) {
        if (typeof index.maxFileSizeMB === "number" && index.maxFileSizeMB > 0) settings.index.maxFileSizeMB = index.maxFileSizeMB;
        else warn(`llamahome.index.maxFileSizeMB must be a positive number (got ${JSON.stringify(index.maxFileSizeMB)}); using 50.`);
    }
    if (section.model !== undefined) {
        if (typeof section.model === "string") settings.model = section.model.trim();
        else warn("llamahome.model must be a path or a URI; ignoring it.");
    }
    if (section.gpu !== undefined) {
        if (typeof section.gpu === "string" && (gpuValues as readonly string[]).includes(section.gpu)) settings.gpu = section.gpu as ModelSettings["gpu"];
        else warn(`llamahome.gpu must be auto, cpu, cuda, vulkan or metal (got ${JSON.stringify(section.gpu)}); using auto.`);
    }
    if (section.contextSize !== undefined) {
        if (Number.isInteger(section.contextSize) && (section.contextSize as number) >= 0) settings.contextSize = section.contextSize as number;
        else warn(`llamahome.contextSize must be a whole number ≥ 0 (got ${JSON.stringify(section.contextSize)}); using the model's.`);
    }
    if (section.endpoints !== undefined) {
        const endpoints = Array.isArray(section.endpoints) ? section.endpoints : [];
        const valid = endpoints.filter((item): item is string => typeof item === "string" && /^https?:\/\/[^\s/]+/i.test(item.trim()));
        if (!Array.isArray(section.endpoints) || valid.length !== endpoints.length) warn("llamahome.endpoints must be a list of http:// or https:// URLs of llama.cpp servers; ignoring the others.");
        settings.endpoints = valid.map((item) => item.trim());
    }
    if (section.endpointTimeout !== undefined) {
        if (Number.isInteger(section.endpointTimeout) && (section.endpointTimeout as number) > 0) settings.endpointTimeout = section.endpointTimeout as number;
        else warn(`llamahome.endpointTimeout must be a whole number of seconds > 0 (got ${JSON.stringify(section.endpointTimeout)}); using 60.`);
    }
    for (const key of ["embeddingModel", "rerankerModel"] as const) {
        if (section[key] === undefined) continue;
        if (typeof section[key] === "string") settings[key] = section[key].trim();
        else warn(`llamahome.${key} must be a path or a URI; ignoring it.`);
    }
    const h2o = isObject(section.h2o) ? section.h2o : {};
    if (typeof h2o.enabled === "boolean") settings.h2o.enabled = h2o.enabled;
    for (const key of ["windowLength", "heavyHitters"] as const) {
        if (h2o[key] === undefined) continue;
        if (Number.isInteger(h2o[key]) && (h2o[key] as number) > 0) settings.h2o[key] = h2o[key] as number;
        else warn(`llamahome.h2o.${key} must be a positive whole number; using ${settings.h2o[key]}.`);
    }
    if (settings.h2o.heavyHitters >= settings.h2o.windowLength) {
        warn(`llamahome.h2o.heavyHitters (${settings.h2o.heavyHitters}) must be smaller than windowLength (${settings.h2o.windowLength}); using a quarter of it.`);
        settings.h2o.heavyHitters = Math.floor(settings.h2o.windowLength / 4);
    }
    return settings;
}

