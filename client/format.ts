import * as path from "node:path";
import type { ModelState } from "../shared/webviewMessages";

/** A short name for the model: "extractive" when none is set, the loaded model's name, else the file's name and why it is not answering. */
export function modelLabel(model: ModelState): string {
    // The setting decides: a metrics sample still in flight from a model just unset must not bring it back.
    if (!model.setting) return "extractive";
    if (model.loaded) return model.loaded;
    const name = path.basename(model.setting.replace(/[?#].*$/, "").split(/[\\/]/).pop() ?? model.setting, ".gguf");
    // Never named as if it answered: until a request or a metrics sample says it loaded, it is not loaded.
    return model.unavailable ? `${name} unavailable` : `${name} (not loaded)`;
}
