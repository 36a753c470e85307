/**
 * A reference/candidate pairs file (JSONL) has a line that cannot be used. `source` is the file as the user named it,
 * `line` the 1-based line number (0 for the file as a whole) and `reason` what is wrong with it, so that the message
 * reads "pairs.jsonl line 3: invalid JSON (…)".
 */
export class RougePairsError extends Error {
    constructor(
        readonly source: string,
        readonly line: number,
        readonly reason: string,
    ) {
        super(line > 0 ? `${source} line ${line}: ${reason}` : `${source}: ${reason}`);
        this.name = "RougePairsError";
    }
}
