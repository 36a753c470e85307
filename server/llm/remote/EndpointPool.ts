// Several llama.cpp servers seen as one engine: each request goes to the endpoint with the most free slots, editor
// requests go ahead of background work when every slot is taken, and an endpoint that refuses, times out or dies
// mid-stream is marked down, the request retried on another and the endpoint probed again later with backoff.
import type { EndpointStatus } from "../../../shared/protocol";
import { AllEndpointsDownError, EndpointError } from "./EndpointError";
import { defaultTimeouts, LlamaServerClient, type LlamaServerTimeouts, type ServerProps } from "./LlamaServerClient";

export interface EndpointPoolOptions {
    apiKey?: string;
    timeouts?: Partial<LlamaServerTimeouts>;
    /** How often up endpoints' load is polled; down endpoints back off from this to 30 s. Defaults to 5 s. */
    probeIntervalMs?: number;
    onLog?: (line: string) => void;
}

type Priority = "interactive" | "background";

class Endpoint {
    state: EndpointStatus["state"] = "unknown";
    reason: string | undefined;
    props: ServerProps | undefined;
    /** Slots the last probe saw busy with other clients' work (its busy count less what this process had on it then). */
    busyElsewhere = 0;
    tasksSeen = 0;
    inFlight = 0;
    served = 0;
    tokensPerSecond: number | undefined;
    kvCacheUsage: number | undefined;
    nextProbeAt = 0;
    failures = 0;
    probing: Promise<void> | undefined;
    lastAssigned = 0;

    constructor(readonly client: LlamaServerClient) {}

    get capacity(): number {
        return this.props?.totalSlots ?? 1;
    }

    /** Slots free for this process: a probe's view of other clients' load goes stale, this process's own never does. */
    get free(): number {
        return this.capacity - this.inFlight - this.busyElsewhere;
    }
}

export class EndpointPool {
    private readonly endpoints: Endpoint[];
    private readonly waiting: { priority: Priority; wake: () => void }[] = [];
    private readonly probeIntervalMs: number;
    private timer: NodeJS.Timeout | undefined;
    private assignments = 0;
    private disposed = false;

    constructor(urls: readonly string[], private readonly options: EndpointPoolOptions = {}) {
        if (urls.length === 0) throw new Error("no endpoints configured");
        const timeouts = { ...defaultTimeouts, ...options.timeouts };
        this.endpoints = [...new Set(urls.map(normalizeEndpointUrl))].map((url) => new Endpoint(new LlamaServerClient(url, options.apiKey, timeouts)));
        this.probeIntervalMs = options.probeIntervalMs ?? 5000;
    }

    get urls(): string[] {
        return this.endpoints.map((e) => e.client.url);
    }

    /** Probes every endpoint; resolves with the first up endpoint's model, throws AllEndpointsDownError if none is up. */
    async start(): Promise<ServerProps> {
        await Promise.all(this.endpoints.map((e) => this.probe(e, true)));
        if (!this.timer && !this.disposed) {
            this.timer = setInterval(() => void this.probeDue(), Math.min(this.probeIntervalMs, 1000));
            this.timer.unref();
        }
        const up = this.endpoints.find((e) => e.state === "up");
        if (!up?.props) throw this.allDown();
        return up.props;
    }

    status(): EndpointStatus[] {
        return this.endpoints.map((e) => ({
            url: e.client.url,
            state: e.state,
            ...(e.reason === undefined ? {} : { reason: e.reason }),
            ...(e.props ? { model: e.props.model, slotsTotal: e.props.totalSlots, slotsBusy: Math.min(e.capacity, e.inFlight + e.busyElsewhere) } : {}),
            inFlight: e.inFlight,
            served: e.served,
            ...(e.tokensPerSecond === undefined ? {} : { tokensPerSecond: e.tokensPerSecond }),
            ...(e.kvCacheUsage === undefined ? {} : { kvCacheUsage: e.kvCacheUsage }),
        }));
    }

    /**
     * Runs `work` on the best endpoint; when it fails with an endpoint failure, marks that endpoint down and runs it
     * again on another (`attempt` counts from 0, so a streaming caller knows to start over). Throws
     * AllEndpointsDownError when no endpoint is left to try.
     */
    async run<T>(priority: Priority, work: (client: LlamaServerClient, attempt: number) => Promise<T>, signal?: AbortSignal): Promise<T> {
        const tried = new Set<Endpoint>();
        for (let attempt = 0; ; attempt++) {
            const endpoint = await this.acquire(priority, tried, signal);
            tried.add(endpoint);
            try {
                const result = await work(endpoint.client, attempt);
                endpoint.served++;
                return result;
            } catch (error) {
                if (!(error instanceof EndpointError) || !error.failover || signal?.aborted) throw error;
                this.markDown(endpoint, error.reason);
            } finally {
                endpoint.inFlight--;
                this.wakeNext();
            }
        }
    }

    dispose(): void {
        this.disposed = true;
        clearInterval(this.timer);
        for (const w of this.waiting.splice(0)) w.wake();
    }

    /** An up endpoint with a free slot (waiting for one, editor requests first), never one already tried. */
    private async acquire(priority: Priority, tried: Set<Endpoint>, signal?: AbortSignal): Promise<Endpoint> {
        for (;;) {
            signal?.throwIfAborted();
            if (this.disposed) throw new Error("the endpoint pool was closed");
            let candidates = this.endpoints.filter((e) => e.state === "up" && !tried.has(e));
            if (candidates.length === 0) {
                // Give endpoints not yet tried by this request one fresh probe before giving up.
                await Promise.all(this.endpoints.filter((e) => !tried.has(e) && e.state !== "up").map((e) => this.probe(e, true)));
                candidates = this.endpoints.filter((e) => e.state === "up" && !tried.has(e));
                if (candidates.length === 0) throw this.allDown();
            }
            const queuedAhead = priority === "background" && this.waiting.some((w) => w.priority === "interactive");
            const best = queuedAhead ? undefined : this.best(candidates);
            if (best) {
                best.inFlight++;
                best.lastAssigned = ++this.assignments;
                return best;
            }
            await new Promise<void>((resolve, reject) => {
                const entry = { priority, wake: () => { signal?.removeEventListener("abort", onAbort); resolve(); } };
                const onAbort = () => {
                    this.waiting.splice(this.waiting.indexOf(entry), 1);
                    reject(signal!.reason);
                };
                signal?.addEventListener("abort", onAbort, { once: true });
                // Interactive requests queue ahead of every background one.
                const at = priority === "interactive" ? this.waiting.findIndex((w) => w.priority === "background") : -1;
                if (at < 0) this.waiting.push(entry);
                else this.waiting.splice(at, 0, entry);
            });
        }
    }

    /** Most free slots; between equals, the one that has served least (by the server's own task count), then the least recently used. */
    private best(candidates: Endpoint[]): Endpoint | undefined {
        let best: Endpoint | undefined;
        for (const e of candidates) {
            if (e.free <= 0) continue;
            if (!best || e.free > best.free || (e.free === best.free && (e.tasksSeen + e.served < best.tasksSeen + best.served
                || (e.tasksSeen + e.served === best.tasksSeen + best.served && e.lastAssigned < best.lastAssigned)))) best = e;
        }
        return best;
    }

    private wakeNext(): void {
        this.waiting.shift()?.wake();
    }

    private markDown(endpoint: Endpoint, reason: string): void {
        if (endpoint.state !== "down") this.options.onLog?.(`endpoint ${endpoint.client.url} is down: ${reason}`);
        endpoint.state = "down";
        endpoint.reason = reason;
        endpoint.failures++;
        endpoint.nextProbeAt = Date.now() + Math.min(30_000, this.probeIntervalMs * 2 ** Math.min(endpoint.failures - 1, 5));
    }

    private async probeDue(): Promise<void> {
        const now = Date.now();
        await Promise.all(this.endpoints.filter((e) => e.nextProbeAt <= now).map((e) => this.probe(e, false)));
    }

    /** Health, model and load of one endpoint; a failure marks it down. One probe at a time per endpoint. */
    private probe(endpoint: Endpoint, force: boolean): Promise<void> {
        if (!force && endpoint.nextProbeAt > Date.now()) return Promise.resolve();
        endpoint.probing ??= (async () => {
            try {
                const c = endpoint.client;
                await c.health();
                const [props, slots, metrics] = await Promise.all([c.props(), c.slots(), c.metrics()]);
                const wasDown = endpoint.state === "down";
                endpoint.props = props;
                endpoint.busyElsewhere = Math.max(0, (slots?.busy ?? 0) - endpoint.inFlight);
                endpoint.tasksSeen = slots?.tasksSeen ?? 0;
                if (slots && slots.total !== props.totalSlots) endpoint.props = { ...props, totalSlots: slots.total };
                if (metrics.kvCacheUsage !== undefined) endpoint.kvCacheUsage = metrics.kvCacheUsage;
                if (metrics.tokensPerSecond !== undefined) endpoint.tokensPerSecond = metrics.tokensPerSecond;
                endpoint.state = "up";
                endpoint.reason = undefined;
                endpoint.failures = 0;
                endpoint.nextProbeAt = Date.now() + this.probeIntervalMs;
                if (wasDown) this.options.onLog?.(`endpoint ${c.url} is up again`);
                this.wakeNext();
            } catch (error) {
                this.markDown(endpoint, error instanceof EndpointError ? error.reason : (error as Error).message);
            } finally {
                endpoint.probing = undefined;
            }
        })();
        return endpoint.probing;
    }

    /** Records a finished generation's speed (the server's own timing). */
    recordSpeed(url: string, tokensPerSecond: number): void {
        const endpoint = this.endpoints.find((e) => e.client.url === url);
        if (endpoint) endpoint.tokensPerSecond = tokensPerSecond;
    }

    private allDown(): AllEndpointsDownError {
        return new AllEndpointsDownError(this.endpoints.map((e) => ({ endpoint: e.client.url, reason: e.reason ?? "not probed" })));
    }
}

/** "host:port" or a URL, without a trailing slash; only http and https. */
export function normalizeEndpointUrl(value: string): string {
    const text = value.trim();
    const url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `http://${text}`);
    if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error(`an endpoint must be an http:// or https:// URL (got ${value})`);
    if (url.username || url.password) throw new Error(`put the endpoint's API key in LlamaHome: Set Endpoint API Key or LLAMAHOME_API_KEY, not in the URL (${url.host})`);
    return `${url.origin}${url.pathname.replace(/\/+$/, "")}`;
}
