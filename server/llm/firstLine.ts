import { errorMessage } from "../../shared/errorMessage";

/** An error's message cut to its first line, for the one-line messages LlamaHome reports. */
export function firstLine(error: unknown): string {
    return errorMessage(error).split("\n", 1)[0]!.trim() || (error instanceof Error ? error.name : "unknown error");
}
