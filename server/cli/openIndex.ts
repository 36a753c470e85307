import * as fs from "node:fs/promises";
import * as path from "node:path";
import { WorkspaceIndex } from "../core/WorkspaceIndex";
import { stringOption, UsageError, type ParsedArgs } from "./Command";
import { terminalLine } from "./terminalText";

/** Opens the index of the folder named on the command line, with the shared --cache-dir option. */
export async function openIndex(dir: string, args: ParsedArgs): Promise<WorkspaceIndex> {
    const root = path.resolve(dir);
    const stat = await fs.stat(root).catch(() => undefined);
    if (!stat?.isDirectory()) throw new UsageError(`not a directory: ${dir}`);
    const cacheDir = stringOption(args, "cache-dir");
    return WorkspaceIndex.open(root, {
        cacheDir: cacheDir ? path.resolve(cacheDir) : undefined,
        // notices name files of the folder (damaged records): printed inert
        log: (message) => process.stderr.write(`${terminalLine(message)}\n`),
    });
}

export const cacheDirOption = { "cache-dir": { type: "string" } } as const;
