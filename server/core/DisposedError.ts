/** Thrown when an object is used after dispose(). */
export class DisposedError extends Error {
    constructor(what: string) {
        super(`${what} was used after it was disposed`);
        this.name = "DisposedError";
    }
}
