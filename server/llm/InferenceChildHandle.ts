import { fork, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import type { Socket } from "node:net";
import { createInterface } from "node:readline";
import type { InferenceReply, InferenceRequest } from "../../shared/inferenceMessages";
import { InferenceError } from "./inferenceErrors";

export interface InferenceChildHandleOptions {
    /** The bundled child entry (dist/inferenceChild.js). */
    scriptPath: string;
    onMessage: (reply: InferenceReply) => void;
    /** Called once, after the process exited and its stdout/stderr were read to the end. */
    onExit: (exitCode: number | null, signal: NodeJS.Signals | null) => void;
    /** Lines the child printed on stdout/stderr. */
    onOutput?: (line: string) => void;
}

/** How long a child may take to exit after SIGTERM before it gets SIGKILL. */
const KILL_GRACE_MS = 2000;

/**
 * One forked inference child: send / onMessage / onExit / kill, nothing about requests. It keeps the parent's event
 * loop alive only while busy, so a CLI that forgets to dispose still exits (and the child, losing its IPC channel,
 * exits too).
 */
export class InferenceChildHandle {
    private readonly child: ChildProcess;
    private lastErrorLine?: string;
    private closed = false;
    private readonly closedPromise: Promise<void>;

    constructor(options: InferenceChildHandleOptions) {
        if (!existsSync(options.scriptPath)) {
            throw new InferenceError("failed", `the inference child script is missing at ${options.scriptPath}; build it with "node esbuild.mjs"`);
        }
        this.child = fork(options.scriptPath, [], {
            // The parent's flags (--inspect in a debugged server, --import tsx in tests) must not reach the child.
            execArgv: [],
            stdio: ["ignore", "pipe", "pipe", "ipc"],
        });
        this.child.on("message", (reply: InferenceReply) => options.onMessage(reply));
        // Without a listener a failed spawn or send would be thrown in the server; reporting it is enough.
        this.child.on("error", (error) => options.onOutput?.(`inference process error: ${error.message}`));
        for (const [stream, isStderr] of [
            [this.child.stdout, false],
            [this.child.stderr, true],
        ] as const) {
            createInterface({ input: stream! }).on("line", (line) => {
                if (isStderr && line.trim().length > 0) {
                    this.lastErrorLine = line.trim();
                }
                options.onOutput?.(line);
            });
        }
        this.closedPromise = new Promise((resolve) => {
            this.child.on("close", (exitCode, signal) => {
                this.closed = true;
                resolve();
                options.onExit(exitCode, signal);
            });
        });
        this.setBusy(false);
    }

    get pid(): number | undefined {
        return this.child.pid;
    }

    /** The last non-empty line the child wrote on stderr (llama.cpp's GGML_ASSERT message before an abort). */
    get lastStderrLine(): string | undefined {
        return this.lastErrorLine;
    }

    /** False once the child exited or its channel closed; sending then would throw. */
    get connected(): boolean {
        return !this.closed && this.child.connected;
    }

    send(request: InferenceRequest): void {
        if (this.connected) {
            this.child.send(request);
        }
    }

    setBusy(busy: boolean): void {
        // The pipes are sockets; each of these handles alone would keep the event loop alive.
        const handles = [this.child, this.child.channel, this.child.stdout as Socket | null, this.child.stderr as Socket | null];
        for (const handle of handles) {
            if (busy) {
                handle?.ref();
            } else {
                handle?.unref();
            }
        }
    }

    /** Ends the process (SIGTERM, then SIGKILL if it lingers) and resolves once it is gone. */
    kill(): Promise<void> {
        if (!this.closed) {
            this.child.kill("SIGTERM");
            const timer = setTimeout(() => this.child.kill("SIGKILL"), KILL_GRACE_MS);
            void this.closedPromise.then(() => clearTimeout(timer));
        }
        return this.closedPromise;
    }
}
