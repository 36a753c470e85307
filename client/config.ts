// The one place the client reads `llamahome.*` settings. Every setting is declared in package.json
// `contributes.configuration` and typed here; call sites never spell a setting name.
import * as vscode from "vscode";
import { defaultSettings, gpuValues, validateSettings, type H2oSettings, type IndexSettings, type ModelSettings } from "../shared/settings";

type GpuSetting = ModelSettings["gpu"];

/**
 * Settings whose change only takes effect once the server restarts: the client restarts it for them. The server
 * applies the others itself (index settings re-index; model, gpu and contextSize replace the inference process on
 * the next request); H2O's KV budget is fixed when the inference process starts.
 */
export const restartRequiredSettings = [
    "llamahome.h2o.enabled",
    "llamahome.h2o.windowLength",
    "llamahome.h2o.heavyHitters",
] as const;

/** Settings that change which model answers (the client forgets what it knew about the loaded one). */
export const modelSettings = ["llamahome.model", "llamahome.gpu", "llamahome.contextSize", "llamahome.endpoints"] as const;

/** Where VS Code's SecretStorage keeps the API key for llamahome.endpoints (never in settings). */
export const endpointApiKeySecret = "llamahome.endpointApiKey";


/**
 * A typed view of the `llamahome` settings, read fresh on every access (no caching, so a change is seen at
 * once). Index settings need no restart: the server reads them per folder through workspace/configuration.
 */
export class Config {
    private get section(): vscode.WorkspaceConfiguration {
        return vscode.workspace.getConfiguration("llamahome");
    }

    /** A GGUF path (absolute, or relative to the first workspace folder) or an `hf:` URI; "" = extractive engine. */
    get model(): string {
        return this.section.get<string>("model", "").trim();
    }

    get gpu(): GpuSetting {
        const value = this.section.get<string>("gpu", "auto");
        return (gpuValues as readonly string[]).includes(value) ? (value as GpuSetting) : "auto";
    }

    /** Tokens the model's context holds; 0 means the model's training context, at most 4096. */
    get contextSize(): number {
        return nonNegativeInteger(this.section.get<number>("contextSize", 0), 0);
    }

    /**
     * The llama.cpp servers that generate instead of the local model, as the server reads them (http(s) URLs only,
     * trimmed; shared/settings.ts validates both sides alike); [] means the local engine.
     */
    get endpoints(): string[] {
        return validateSettings({ endpoints: this.section.get<unknown>("endpoints", []) }, () => undefined).endpoints;
    }

    /** Seconds to wait for an endpoint's reply, or between two streamed words. */
    get endpointTimeout(): number {
        const value = this.section.get<number>("endpointTimeout", defaultSettings.endpointTimeout);
        return typeof value === "number" && Number.isInteger(value) && value > 0 ? value : defaultSettings.endpointTimeout;
    }

    get h2o(): H2oSettings {
        const windowLength = Math.max(2, nonNegativeInteger(this.section.get<number>("h2o.windowLength", 512), 512));
        const heavyHitters = Math.min(windowLength - 1, nonNegativeInteger(this.section.get<number>("h2o.heavyHitters", 128), 128));
        return { enabled: this.section.get<boolean>("h2o.enabled", false) === true, windowLength, heavyHitters };
    }

    get index(): IndexSettings {
        const exclude = this.section.get<unknown>("index.exclude", []);
        return {
            exclude: Array.isArray(exclude) ? exclude.filter((item): item is string => typeof item === "string") : [],
            maxFileSizeMB: Math.max(1, this.section.get<number>("index.maxFileSizeMB", 50)),
        };
    }

    /** Writes the model setting where it is already set (workspace or user), else in the user settings. */
    async setModel(model: string): Promise<void> {
        const inspected = this.section.inspect<string>("model");
        const target = inspected?.workspaceFolderValue !== undefined || inspected?.workspaceValue !== undefined
            ? vscode.ConfigurationTarget.Workspace
            : vscode.ConfigurationTarget.Global;
        await this.section.update("model", model, target);
    }

    /** The restart-requiring settings that this change touches (empty if none). */
    static restartRequiredBy(event: vscode.ConfigurationChangeEvent): string[] {
        return restartRequiredSettings.filter((setting) => event.affectsConfiguration(setting));
    }
}

function nonNegativeInteger(value: unknown, fallback: number): number {
    return typeof value === "number" && Number.isInteger(value) && value >= 0 ? value : fallback;
}
