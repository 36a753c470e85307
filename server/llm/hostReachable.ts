import { connect } from "node:net";

/** Proxy settings in the environment: then the host itself may be out of reach while the download still works. */
const proxyVariables = ["HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"];

/**
 * Why the host of `url` cannot be reached, or undefined when a TCP connection opens within `timeoutMs` (or a proxy is
 * configured, and the question is not ours to answer). Offline, a download otherwise waits out its whole stall limit
 * and then cannot say whether the server refused, the name did not resolve or the network is down.
 */
export async function unreachableReason(url: URL, timeoutMs: number): Promise<string | undefined> {
    if (proxyVariables.some((name) => process.env[name])) return undefined;
    const port = Number(url.port) || (url.protocol === "http:" ? 80 : 443);
    const host = url.hostname.replace(/^\[|\]$/g, "");
    return new Promise((resolve) => {
        const socket = connect({ host, port });
        const done = (reason: string | undefined) => {
            clearTimeout(timer);
            socket.destroy();
            resolve(reason);
        };
        const timer = setTimeout(() => done(`no connection within ${Math.round(timeoutMs / 1000)} s`), timeoutMs);
        socket.once("connect", () => done(undefined));
        socket.once("error", (error: NodeJS.ErrnoException) => done(describe(error)));
    });
}

function describe(error: NodeJS.ErrnoException): string {
    switch (error.code) {
        case "ENOTFOUND":
        case "EAI_AGAIN":
            return "its name does not resolve (offline, or no DNS)";
        case "ECONNREFUSED":
            return "it refused the connection";
        case "ENETUNREACH":
        case "EHOSTUNREACH":
            return "the network cannot reach it (offline?)";
        default:
            return error.code ?? error.message;
    }
}
