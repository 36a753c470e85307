import * as path from "node:path";
import type { ModelState } from "../shared/webviewMessages";

/** A short name for the model: "extractive" when none is set, else the loaded model's name, else the file's name. */
export function modelLabel(model: ModelState): string {
    // The setting decides: a metrics sample still in flight from a model just unset must not bring it back.
    if (!model.setting) return "extractive";
    if (model.loaded) return model.loaded;
    const name = model.setting.replace(/[?#].*$/, "").split(/[\\/]/).pop() ?? model.setting;
    return path.basename(name, ".gguf");
}
