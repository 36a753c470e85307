import { firstLine } from "./firstLine";
import { GgufFormatError } from "./gguf/ggufErrors";

/**
 * Why validateLlamaGguf rejected `file`, worded as the cause part of a ModelLoadError ("missing file", "truncated GGUF:
 * …", "not a GGUF file (bad magic)", "missing key …") without repeating the path, which the error names already.
 */
export function describeModelFileProblem(error: unknown, file: string): string {
    if (error instanceof GgufFormatError) {
        const suffix = ` (in ${file})`;
        return error.message.endsWith(suffix) ? error.message.slice(0, -suffix.length) : error.message;
    }
    switch ((error as NodeJS.ErrnoException | undefined)?.code) {
        case "ENOENT":
            return "missing file";
        case "EISDIR":
            return "it is a directory, not a GGUF file";
        case "EACCES":
        case "EPERM":
            return "the file is not readable (permission denied)";
        default:
            return firstLine(error);
    }
}
