// `llamahome` command line: the same core as the language server, headless.
import { parseArgs } from "node:util";
import { CancelledError } from "../llm/inferenceErrors";
import { UsageError, type Command } from "./Command";
import { terminalText } from "./terminalText";
import { demoCommand } from "./commands/demoCommand";
import { askCommand } from "./commands/askCommand";
import { benchCommand } from "./commands/benchCommand";
import { evalRetrievalCommand } from "./commands/evalRetrievalCommand";
import { evalRougeCommand } from "./commands/evalRougeCommand";
import { evalSummariesCommand } from "./commands/evalSummariesCommand";
import { generateCommand } from "./commands/generateCommand";
import { makeTinyModelCommand } from "./commands/makeTinyModelCommand";
import { needleCommand } from "./commands/needleCommand";
import { summarizeCommand } from "./commands/summarizeCommand";
import { indexCommand } from "./commands/indexCommand";
import { searchCommand } from "./commands/searchCommand";
import { errorMessage } from "../../shared/errorMessage";

const commands: Command[] = [
    indexCommand, searchCommand, summarizeCommand, askCommand, generateCommand, needleCommand, benchCommand, evalRougeCommand, evalSummariesCommand, evalRetrievalCommand, makeTinyModelCommand, demoCommand,
];

function overview(): string {
    const width = Math.max(...commands.map((command) => command.name.length));
    return [
        "llamahome — search, summarize and question a folder's documents with a local LLM",
        "",
        "Usage: llamahome <command> [options]   (llamahome <command> --help for details)",
        "",
        ...commands.map((command) => `  ${command.name.replace("-", " ").padEnd(width)}  ${command.summary}`),
    ].join("\n");
}

async function main(argv: string[]): Promise<number> {
    // Two-word commands ("eval rouge") are registered as "eval-rouge".
    if (argv[0] === "eval" && argv[1] && !argv[1].startsWith("-")) argv = [`eval-${argv[1]}`, ...argv.slice(2)];
    const [name, ...rest] = argv;
    if (!name || name === "--help" || name === "-h" || name === "help") {
        process.stdout.write(overview() + "\n");
        return name ? 0 : 2;
    }
    const command = commands.find((candidate) => candidate.name === name);
    if (!command) throw new UsageError(`unknown command "${name}" (run llamahome --help)`);
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
