// Real llama.cpp servers for the remote-engine tests: built by `npm run build:llama-server` (cached), started on
// 127.0.0.1 only, on free ports, and always stopped by the tests.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import * as net from "node:net";
import * as path from "node:path";

const root = path.join(__dirname, "..", "..");

export interface LlamaServerBinaries {
    llamaServer: string;
    rpcServer: string;
}

let built: { binaries?: LlamaServerBinaries; skip?: string } | undefined;

/**
 * The llama-server and rpc-server binaries, built first when missing (ccache makes a rebuild cheap). `skip` says why
 * they cannot be built on this machine; the tests then report themselves skipped with it.
 */
export function llamaServerBinaries(): { binaries?: LlamaServerBinaries; skip?: string } {
    if (built) return built;
    const result = spawnSync(process.execPath, [path.join(root, "tools", "build-llama-server.mjs"), "--optional", "--quiet"], { encoding: "utf8", timeout: 60 * 60_000 });
    const line = result.stdout.trim().split("\n").at(-1) ?? "";
    try {
        const parsed = JSON.parse(line) as Partial<LlamaServerBinaries> & { error?: string };
        built = parsed.llamaServer && parsed.rpcServer && !parsed.error
            ? { binaries: { llamaServer: parsed.llamaServer, rpcServer: parsed.rpcServer } }
            : { skip: `llama-server could not be built here: ${parsed.error ?? "no binaries"}` };
    } catch {
        built = { skip: `llama-server could not be built here: ${(result.stderr || result.error?.message || "no output").trim().slice(-400)}` };
    }
    return built;
}

export function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const server = net.createServer();
        server.once("error", reject);
        server.listen(0, "127.0.0.1", () => {
            const { port } = server.address() as net.AddressInfo;
            server.close(() => resolve(port));
        });
    });
}

export interface RunningServer {
    url: string;
    port: number;
    process: ChildProcess;
    /** Everything it printed. */
    log(): string;
    /** SIGKILL, and resolves once it is gone. */
    kill(): Promise<void>;
}

/** Starts a binary that listens on `port`, resolving when `ready` says so (bounded by `timeoutMs`). */
async function startProcess(command: string, args: string[], port: number, ready: () => Promise<boolean>, timeoutMs = 60_000): Promise<RunningServer> {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout!.on("data", (d: Buffer) => (output = (output + d.toString()).slice(-200_000)));
    child.stderr!.on("data", (d: Buffer) => (output = (output + d.toString()).slice(-200_000)));
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    const running: RunningServer = {
        url: `http://127.0.0.1:${port}`,
        port,
        process: child,
        log: () => output,
        kill: async () => {
            if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
            await exited;
        },
    };
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${path.basename(command)} exited at start:\n${output.slice(-2000)}`);
        if (await ready().catch(() => false)) return running;
        if (Date.now() > deadline) {
            await running.kill();
            throw new Error(`${path.basename(command)} did not become ready in ${timeoutMs} ms:\n${output.slice(-2000)}`);
        }
        await new Promise((r) => setTimeout(r, 100));
    }
}

/** llama-server on 127.0.0.1 serving `model` with one thread per server, so two of them share 2 cores fairly. */
export async function startLlamaServer(binaries: LlamaServerBinaries, model: string, options: { port?: number; slots?: number; contextSize?: number; extraArgs?: string[] } = {}): Promise<RunningServer> {
    const port = options.port ?? (await freePort());
    const args = [
        "-m", model, "--host", "127.0.0.1", "--port", String(port), "-t", "1", "-tb", "1",
        "-c", String(options.contextSize ?? 2048), "-np", String(options.slots ?? 1), "--metrics", "--no-webui",
        ...(options.extraArgs ?? []),
    ];
    return startProcess(binaries.llamaServer, args, port, async () => (await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(1000) })).ok);
}

/** rpc-server on 127.0.0.1: a ggml backend another machine's llama-server can use over the network. */
export async function startRpcServer(binaries: LlamaServerBinaries): Promise<RunningServer> {
    const port = await freePort();
    return startProcess(binaries.rpcServer, ["--host", "127.0.0.1", "--port", String(port), "-t", "1"], port, () => new Promise((resolve) => {
        const socket = net.connect(port, "127.0.0.1", () => {
            socket.destroy();
            resolve(true);
        });
        socket.once("error", () => resolve(false));
    }));
}
