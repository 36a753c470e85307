import { InferenceError } from "./InferenceError";

/** A model could not be loaded (or downloaded): the message names the file (or URI) and the cause, on one line. */
export class ModelLoadError extends InferenceError {
    override readonly name: string = "ModelLoadError";

    constructor(
        /** The model path or URI that was asked for. */
        readonly file: string,
        /** Why, e.g. "missing file", "truncated GGUF: …", "not a GGUF file (bad magic)", "missing key llama.feed_forward_length". */
        readonly reason: string,
    ) {
        super("model-load", `cannot load model ${file}: ${reason}`);
    }
}
