// The server's view of the `llamahome.*` settings: read per workspace folder, validated, never global.

export interface IndexSettings {
    exclude: string[];
    maxFileSizeMB: number;
}

export interface LlamaHomeSettings {
    index: IndexSettings;
}

export const defaultSettings: LlamaHomeSettings = {
    index: { exclude: [], maxFileSizeMB: 50 },
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
    return settings;
}

function isObject(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}
