// `llamahome` command line: the same core as the language server, headless.
import { parseArgs } from "node:util";
import { CancelledError } from "../llm/inferenceErrors";
import { UsageError, type Command } from "./Command";
import { terminalText } from "./terminalText";
import { errorMessage } from "../../shared/errorMessage";

/**
 * Each command's module, loaded only when that command runs (or for the overview): `index` and `search` then evaluate
 * the index's code alone, not the assistant, model, eval and LSP code the other commands bring (CPU profile of a cold
 * start). In help order.
 */
const commands: Record<string, () => Promise<Command>> = {
    index: async () => (await import("./commands/indexCommand.js")).indexCommand,
    search: async () => (await import("./commands/searchCommand.js")).searchCommand,
    summarize: async () => (await import("./commands/summarizeCommand.js")).summarizeCommand,
    ask: async () => (await import("./commands/askCommand.js")).askCommand,
    generate: async () => (await import("./commands/generateCommand.js")).generateCommand,
    needle: async () => (await import("./commands/needleCommand.js")).needleCommand,
    bench: async () => (await import("./commands/benchCommand.js")).benchCommand,
    "eval-rouge": async () => (await import("./commands/evalRougeCommand.js")).evalRougeCommand,
    "eval-summaries": async () => (await import("./commands/evalSummariesCommand.js")).evalSummariesCommand,
    "eval-retrieval": async () => (await import("./commands/evalRetrievalCommand.js")).evalRetrievalCommand,
    "make-tiny-model": async () => (await import("./commands/makeTinyModelCommand.js")).makeTinyModelCommand,
    demo: async () => (await import("./commands/demoCommand.js")).demoCommand,
};

async function overview(): Promise<string> {
    const loaded = await Promise.all(Object.values(commands).map((load) => load()));
    const width = Math.max(...loaded.map((command) => command.name.length));
    return [
        "llamahome — search, summarize and question a folder's documents with a local LLM",
        "",
        "Usage: llamahome <command> [options]   (llamahome <command> --help for details)",
        "",
        ...loaded.map((command) => `  ${command.name.replace("-", " ").padEnd(width)}  ${command.summary}`),
    ].join("\n");
}

async function main(argv: string[]): Promise<number> {
    // Two-word commands ("eval rouge") are registered as "eval-rouge".
    if (argv[0] === "eval" && argv[1] && !argv[1].startsWith("-")) argv = [`eval-${argv[1]}`, ...argv.slice(2)];
    const [name, ...rest] = argv;
    if (!name || name === "--help" || name === "-h" || name === "help") {
        process.stdout.write((await overview()) + "\n");
        return name ? 0 : 2;
    }
    const load = Object.hasOwn(commands, name) ? commands[name] : undefined;
    if (!load) throw new UsageError(`unknown command "${name}" (run llamahome --help)`);
    const command = await load();
    let parsed;
    try {
        parsed = parseArgs({ args: rest, options: { ...command.options, help: { type: "boolean", short: "h" } }, allowPositionals: true, strict: true });
    } catch (error) {
        throw new UsageError(`${(error as Error).message.split("\n")[0]} (run llamahome ${name} --help)`);
    }
    if (parsed.values.help) {
        process.stdout.write(command.usage + "\n");
        return 0;
    }
    const [min, max] = command.positionals;
    if (parsed.positionals.length < min || parsed.positionals.length > max) {
        throw new UsageError(`wrong number of arguments. Usage: ${command.usage.split("\n")[0]}`);
    }
    return command.run({ positionals: parsed.positionals, values: parsed.values as Record<string, string | boolean | undefined> });
}

/**
 * The command is over: if something still holds the event loop (node-llama-cpp's downloader keeps retrying a refused
 * server after LlamaHome gave up on it), leave anyway, once stdout and stderr (synchronous for files and pipes on
 * Linux and macOS) are written.
 */
function exitSoon(): void {
    setTimeout(() => process.exit(), 2_000).unref();
}

main(process.argv.slice(2)).finally(exitSoon).then(
    (code) => {
        process.exitCode = code;
        // Done and written: leave now rather than when the event loop drains, which first tears the heap down page by
        // page (50–90 ms after the answer was out on this project's VM, strace). Where a write is still queued (a pipe
        // on Windows), exitSoon leaves once it is out.
        if (process.stdout.writableLength === 0 && process.stderr.writableLength === 0) process.exit();
    },
    (error: unknown) => {
        if (error instanceof UsageError) {
            process.stderr.write(`llamahome: ${error.message}\n`);
            process.exitCode = 2;
        } else if (error instanceof CancelledError) {
            // Ctrl-C while the model loads (or a download runs): cancelled, as documented, not a failure
            process.stderr.write(`llamahome: ${error.message}\n`);
            process.exitCode = 130;
        } else {
            // a fatal error can quote a document (a parser's message, a file name): printed inert
            process.stderr.write(`llamahome: ${terminalText(errorMessage(error))}\n`);
            if (process.env.LLAMAHOME_DEBUG) process.stderr.write(`${(error as Error)?.stack}\n`);
            process.exitCode = 1;
        }
    },
);
