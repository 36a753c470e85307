/** An error's message cut to its first line, for the one-line messages LlamaHome reports. */
export function firstLine(error: unknown): string {
    const message = error instanceof Error ? error.message : String(error);
    return message.split("\n", 1)[0]!.trim() || (error instanceof Error ? error.name : "unknown error");
}
