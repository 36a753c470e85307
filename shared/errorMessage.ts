/**
 * What went wrong, as text, whatever was thrown: an Error's message (also one from another realm, such as a worker or
 * a library's own Error class, which `instanceof Error` misses), else the thrown value itself.
 */
export function errorMessage(error: unknown): string {
    const message = typeof error === "object" && error !== null ? (error as { message?: unknown }).message : undefined;
    return typeof message === "string" ? message : String(error);
}
