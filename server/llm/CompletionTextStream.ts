/** Decodes tokens to text; `lastTokens` are the tokens before them, which SPM-style detokenizers need for spacing. */
export type Detokenize = (tokens: readonly number[], lastTokens: readonly number[]) => string;

/** How many decoded tokens to pass back to the detokenizer as context. */
const CONTEXT_TOKENS = 16;
/** A UTF-8 character spans at most 4 bytes, so at most 4 byte tokens. */
const MAX_UTF8_BYTES = 4;
const REPLACEMENT_CHARACTER = "\uFFFD";

/**
 * Turns sampled tokens into text chunks that are safe to stream: a chunk never ends inside a UTF-8 character (byte
 * tokens split characters) and never contains any part of a stop string, so what was streamed equals the final text.
 */
export class CompletionTextStream {
    private undecoded: number[] = [];
    private context: number[] = [];
    /** Decoded text held back because it could be the start of a stop string. */
    private held = "";
    private stoppedFlag = false;
    private readonly stops: readonly string[];

    constructor(
        private readonly detokenize: Detokenize,
        stops: readonly string[],
    ) {
        this.stops = stops.filter((stop) => stop.length > 0);
    }

    /** True once a stop string appeared; the text before it has been released and nothing more will be. */
    get stopped(): boolean {
        return this.stoppedFlag;
    }

    /** Adds one sampled token; returns the text that became safe to release ("" when none). */
    push(token: number): string {
        if (this.stoppedFlag) {
            return "";
        }
        this.undecoded.push(token);
        const text = this.detokenize(this.undecoded, this.context);
        if (text.endsWith(REPLACEMENT_CHARACTER) && this.undecoded.length < MAX_UTF8_BYTES) {
            return "";
        }
        this.context = [...this.context, ...this.undecoded].slice(-CONTEXT_TOKENS);
        this.undecoded = [];
        return this.release(text);
    }

    /** Ends the stream: returns everything still held (a stop string can no longer complete), decoded as it is. */
    flush(): string {
        if (this.stoppedFlag) {
            return "";
        }
        const rest = this.held + (this.undecoded.length > 0 ? this.detokenize(this.undecoded, this.context) : "");
        this.held = "";
        this.undecoded = [];
        return rest;
    }

    private release(text: string): string {
        this.held += text;
        let stopAt = -1;
        for (const stop of this.stops) {
            const at = this.held.indexOf(stop);
            if (at >= 0 && (stopAt < 0 || at < stopAt)) {
                stopAt = at;
            }
        }
        if (stopAt >= 0) {
            this.stoppedFlag = true;
            const out = this.held.slice(0, stopAt);
            this.held = "";
            return out;
        }
        const keep = this.longestStopPrefixSuffix();
        const out = this.held.slice(0, this.held.length - keep);
        this.held = this.held.slice(this.held.length - keep);
        return out;
    }

    /** Length of the longest end of `held` that is the beginning of some stop string. */
    private longestStopPrefixSuffix(): number {
        let best = 0;
        for (const stop of this.stops) {
            for (let length = Math.min(stop.length - 1, this.held.length); length > best; length--) {
                if (this.held.endsWith(stop.slice(0, length))) {
                    best = length;
                    break;
                }
            }
        }
        return best;
    }
}
