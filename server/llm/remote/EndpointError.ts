/**
 * Why a request to one llama.cpp server failed. `kind` says whether another endpoint may serve it: everything but
 * "request" (the server refused this request itself: 4xx) means the endpoint is unhealthy and the pool fails over.
 */
export type EndpointFailureKind = "refused" | "timeout" | "http" | "protocol" | "closed" | "request";

export class EndpointError extends Error {
    constructor(
        readonly endpoint: string,
        readonly kind: EndpointFailureKind,
        /** What went wrong, without the endpoint (the pool names it). */
        readonly reason: string,
    ) {
        super(`${endpoint}: ${reason}`);
        this.name = "EndpointError";
    }

    /** Whether another endpoint should be tried. */
    get failover(): boolean {
        return this.kind !== "request";
    }
}

/** Every configured endpoint is down; search and extractive answers still work. */
export class AllEndpointsDownError extends Error {
    constructor(readonly failures: readonly { endpoint: string; reason: string }[]) {
        super(`no llama.cpp server answers: ${failures.map((f) => `${f.endpoint} (${f.reason})`).join(", ")}. Start one (llama-server -m model.gguf --port 8080) or check llamahome.endpoints`);
        this.name = "AllEndpointsDownError";
    }
}
