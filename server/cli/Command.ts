import type { ParseArgsConfig } from "node:util";

export type OptionSpec = NonNullable<ParseArgsConfig["options"]>;

export interface ParsedArgs {
    positionals: string[];
    values: Record<string, string | boolean | undefined>;
}

/** One CLI command: its help text, its strict option table and what it does. Returns the exit code. */
export interface Command {
    name: string;
    summary: string;
    usage: string;
    options: OptionSpec;
    /** How many positionals it takes: [min, max]. */
    positionals: [number, number];
    run(args: ParsedArgs): Promise<number>;
}

/** A mistake in how the command was called: one line on stderr, exit code 2. */
export class UsageError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "UsageError";
    }
}

export function intOption(args: ParsedArgs, name: string, fallback: number, min = 1): number {
    const raw = args.values[name];
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (typeof raw !== "string" || !Number.isInteger(value) || value < min) throw new UsageError(`--${name} must be an integer ≥ ${min} (got ${String(raw)})`);
    return value;
}

export function stringOption(args: ParsedArgs, name: string): string | undefined {
    const raw = args.values[name];
    return typeof raw === "string" ? raw : undefined;
}
