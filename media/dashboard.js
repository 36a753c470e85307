// @ts-check
// The LlamaHome dashboard webview. It renders the snapshot the extension sends, keeps it with setState (so a
// reopened or restored panel shows its charts at once) and sends back only typed messages.
/** @typedef {import("../shared/webviewMessages").DashboardSnapshot} DashboardSnapshot */
/** @typedef {import("../shared/webviewMessages").ExtensionToDashboardMessage} ExtensionToDashboardMessage */
/** @typedef {import("../shared/webviewMessages").DashboardToExtensionMessage} DashboardToExtensionMessage */
/** @typedef {import("../shared/webviewMessages").DashboardCommand} DashboardCommand */
/** @typedef {import("../shared/protocol").MetricsParams} MetricsParams */
/** @typedef {import("../shared/protocol").EndpointStatus} EndpointStatus */
/** @typedef {import("../shared/webviewMessages").EvaluationState} EvaluationState */
/** @typedef {import("../shared/results").RougeVariant} RougeVariant */
/** @typedef {{ snapshot?: DashboardSnapshot }} SavedState */

(function () {
    /** @type {VsCodeWebviewApi<SavedState>} */
    const vscode = acquireVsCodeApi();
    const charts = window.llamaHomeCharts;
    const { h, clock } = window.llamaHomeDom;
    const root = /** @type {HTMLElement} */ (document.getElementById("dashboard"));
    /** @type {SavedState} */
    let state = vscode.getState() ?? {};

    /** @param {DashboardToExtensionMessage} message */
    function post(message) {
        vscode.postMessage(message);
    }

    /** @param {number} bytes */
    function bytes(bytes) {
        if (bytes === 0) return "0";
        if (bytes < 1024 ** 2) return `${Math.round(bytes / 1024)} KB`;
        if (bytes < 1024 ** 3) return `${Math.round(bytes / 1024 ** 2)} MB`;
        return `${(bytes / 1024 ** 3).toFixed(1)} GB`;
    }

    /** @param {number} ms */
    function duration(ms) {
        return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
    }


    /** @param {string} text @param {DashboardCommand} command @param {boolean} [secondary] @param {boolean} [disabled] */
    function button(text, command, secondary = false, disabled = false) {
        const element = h("button", { type: "button", "data-command": command, class: secondary ? "secondary" : "", ...(disabled ? { disabled: "" } : {}) }, text);
        element.addEventListener("click", () => post({ type: "runCommand", command }));
        return element;
    }

    /** @param {string} text */
    function empty(text) {
        return h("div", { class: "empty" }, text);
    }

    function logo() {
        const ns = "http://www.w3.org/2000/svg";
        const svg = document.createElementNS(ns, "svg");
        svg.setAttribute("viewBox", "0 0 24 24");
        svg.setAttribute("class", "logo");
        svg.setAttribute("aria-hidden", "true");
        const house = document.createElementNS(ns, "path");
        house.setAttribute("d", "M3 11.5 12 4l9 7.5V20a1 1 0 0 1-1 1h-5v-6H9v6H4a1 1 0 0 1-1-1z");
        house.setAttribute("class", "s1");
        const door = document.createElementNS(ns, "path");
        door.setAttribute("d", "M10 15h4v6h-4z");
        door.setAttribute("class", "s3");
        svg.append(house, door);
        return svg;
    }

    /** @param {DashboardSnapshot} snapshot */
    function header(snapshot) {
        const index = snapshot.index;
        const [badgeText, badgeClass] = snapshot.server.starting
            ? ["starting", "busy"]
            : !snapshot.server.running
            ? ["server stopped", "bad"]
            : !index
                ? ["starting", "busy"]
                : index.state === "indexing"
                    ? ["indexing…", "busy"]
                    : index.state === "failed"
                        ? ["index failed", "bad"]
                        : [index.state, "ok"];
        return h(
            "header",
            { class: "page" },
            h("h1", null, logo(), "LlamaHome", h("span", { class: `badge ${badgeClass}`, id: "index-state" }, badgeText)),
            h(
                "div",
                { class: "toolbar" },
                button("Index Workspace", "llamahome.indexWorkspace"),
                button("Ask a Question", "llamahome.ask"),
                button("Select Model", "llamahome.selectModel", true),
                button("Restart Server", "llamahome.restartServer", true),
                button("Show Logs", "llamahome.showLogs", true),
            ),
        );
    }

    /** @param {string} label @param {string | number} value @param {string} [id] @param {string} [tone] */
    function stat(label, value, id, tone) {
        return h("div", { class: `card stat ${tone ?? ""}` }, h("div", { class: "value", ...(id ? { id } : {}) }, String(value)), h("div", { class: "label" }, label));
    }

    /** @param {DashboardSnapshot} snapshot */
    function indexSection(snapshot) {
        const index = snapshot.index;
        const section = h("section", { id: "index" }, h("h2", null, "Index"));
        if (!index) {
            section.append(empty("Waiting for the language server to report the index…"));
            return section;
        }
        section.append(
            h(
                "div",
                { class: "grid stats" },
                stat("Documents", index.documents, "index-documents"),
                stat("Chunks", index.chunks, "index-chunks"),
                stat("Failed", index.failed, "index-failed", index.failed ? "bad" : ""),
                stat("Skipped", index.skipped, "index-skipped", index.skipped ? "warn" : ""),
            ),
        );
        if (index.message) section.append(h("p", { class: "muted small" }, index.message));
        return section;
    }

    /**
     * @param {MetricsParams[]} samples
     * @param {(sample: MetricsParams) => number | undefined} pick
     */
    function points(samples, pick) {
        /** @type {{ x: number; y: number }[]} */
        const result = [];
        for (const sample of samples) {
            const y = pick(sample);
            if (typeof y === "number" && Number.isFinite(y)) result.push({ x: sample.time, y });
        }
        return result;
    }

    /**
     * A chart card that draws itself at its container's width (and again when that changes).
     * @param {string} title
     * @param {LlamaHomeChartSeries[]} series
     * @param {(width: number) => SVGSVGElement} draw
     * @param {string} emptyText
     * @param {string} id
     */
    function chartCard(title, series, draw, emptyText, id) {
        const card = h("div", { class: "card", id }, h("h3", null, title));
        const visible = series.filter((s) => s.points.length);
        if (!visible.length) {
            card.append(empty(emptyText));
            return card;
        }
        const holder = h("div", { class: "chart" });
        card.append(holder, charts.legend(visible));
        pendingCharts.push({ holder, draw });
        return card;
    }

    /** @type {{ holder: HTMLElement; draw: (width: number) => SVGSVGElement }[]} */
    let pendingCharts = [];

    /** @param {DashboardSnapshot} snapshot */
    function liveSection(snapshot) {
        const samples = snapshot.metrics;
        const llmRequests = snapshot.requests.filter((r) => r.engine === "llm" && r.tokens && r.ms > 0);
        /** @type {LlamaHomeChartSeries[]} */
        const speed = [{ name: "generated tokens/s", colour: "s1", points: points(samples, (s) => s.generatedTokensPerSecond) }];
        if (!speed[0].points.length && llmRequests.length) {
            speed[0].points = llmRequests.map((r) => ({ x: r.time, y: ((r.tokens ?? 0) * 1000) / r.ms }));
        }
        /** @type {LlamaHomeChartSeries[]} */
        const memory = [
            { name: "language server RSS", colour: "s1", points: points(samples, (s) => s.serverRssBytes) },
            { name: "inference process RSS", colour: "s2", points: points(samples, (s) => s.inferenceRssBytes) },
            { name: "VRAM used", colour: "s4", points: points(samples, (s) => s.vramUsedBytes) },
            { name: "KV cache", colour: "s3", points: points(samples, (s) => s.kvCacheBytes) },
        ].filter((series) => series.points.some((p) => p.y > 0)); // on a CPU, VRAM stays 0: no line for it
        const last = [...samples].reverse().find((s) => s.generatedTokensPerSecond !== undefined || s.promptTokensPerSecond !== undefined || s.timeToFirstTokenMs !== undefined);
        const lastFacts = last
            ? [
                last.generatedTokensPerSecond !== undefined ? `${last.generatedTokensPerSecond.toFixed(1)} tokens/s generated` : "",
                last.promptTokensPerSecond !== undefined ? `${Math.round(last.promptTokensPerSecond).toLocaleString()} tokens/s prompt` : "",
                last.timeToFirstTokenMs !== undefined ? `first token after ${duration(last.timeToFirstTokenMs)}` : "",
            ].filter(Boolean)
            : [];
        const noModel = !snapshot.model.setting && !currentEndpoints(snapshot).length;
        return h(
            "section",
            { id: "live" },
            h("h2", null, "Live metrics"),
            h(
                "div",
                { class: "grid two" },
                chartCard(
                    "Generation speed",
                    speed,
                    (width) => charts.lineChart(speed, { width, label: "Tokens per second over time", formatY: (v) => `${Math.round(v)} tok/s` }),
                    noModel
                        ? "No model is loaded: the extractive engine answers without generating tokens. Select a model to see tokens/s."
                        : "No generation yet: ask a question or summarize a document.",
                    "chart-speed",
                ),
                chartCard(
                    "Memory",
                    memory,
                    (width) => charts.lineChart(memory, { width, label: "Memory over time", formatY: bytes }),
                    "No memory samples yet.",
                    "chart-memory",
                ),
            ),
            lastFacts.length ? h("p", { class: "muted small", id: "last-generation" }, `Last generation: ${lastFacts.join(" · ")}`) : null,
        );
    }

    /** @param {DashboardSnapshot} snapshot */
    function requestsSection(snapshot) {
        const requests = snapshot.requests;
        const section = h("section", { id: "requests" }, h("h2", null, "Recent requests"));
        if (!requests.length) {
            section.append(empty("No summaries or answers yet. Try “Ask a Question” above."));
            return section;
        }
        const bars = requests.map((r) => ({ value: r.ms, colour: r.kind === "ask" ? "s1" : "s3", title: `${r.kind} · ${r.engine} · ${duration(r.ms)} · ${clock(r.time)}` }));
        const rows = [...requests].reverse().slice(0, 8).map((r) =>
            h(
                "tr",
                null,
                h("td", null, clock(r.time)),
                h("td", { class: "subject", title: r.subject ?? "" }, `${r.kind === "ask" ? "Ask" : "Summarize"}${r.subject ? `: ${r.subject}` : ""}`),
                h("td", { title: r.warning ?? "" }, r.engine === "llm" ? r.model ?? "model" : r.warning ? "extractive (model unavailable)" : "extractive"),
                h("td", { class: "num" }, duration(r.ms)),
                h("td", { class: "num" }, r.tokens ? String(r.tokens) : "—"),
            ),
        );
        section.append(
            h(
                "div",
                { class: "grid two" },
                chartCard(
                    "Latency",
                    [
                        { name: "ask", colour: "s1", points: requests.filter((r) => r.kind === "ask").map((r) => ({ x: r.time, y: r.ms })) },
                        { name: "summarize", colour: "s3", points: requests.filter((r) => r.kind === "summarize").map((r) => ({ x: r.time, y: r.ms })) },
                    ],
                    (width) => charts.barChart(bars, { width, label: "Latency of recent requests", formatY: duration }),
                    "",
                    "chart-latency",
                ),
                h(
                    "div",
                    { class: "card" },
                    h("h3", null, "Last requests"),
                    h(
                        "table",
                        { class: "data" },
                        h("thead", null, h("tr", null, h("th", null, "Time"), h("th", null, "Request"), h("th", null, "Engine"), h("th", { class: "num" }, "Took"), h("th", { class: "num" }, "Tokens"))),
                        h("tbody", null, ...rows),
                    ),
                ),
            ),
        );
        return section;
    }

    /**
     * The llama.cpp servers of llamahome.endpoints, from the last sample that reports on them ([] when none is listed:
     * the extension sends an empty list when the setting is cleared).
     * @param {DashboardSnapshot} snapshot
     * @returns {EndpointStatus[]}
     */
    function currentEndpoints(snapshot) {
        for (let i = snapshot.metrics.length - 1; i >= 0; i--) {
            const endpoints = snapshot.metrics[i].endpoints;
            if (endpoints) return endpoints;
        }
        return [];
    }

    /** @param {EndpointStatus} endpoint */
    function endpointState(endpoint) {
        const [text, tone] = endpoint.state === "up" ? ["up", "ok"] : endpoint.state === "down" ? ["down", "bad"] : ["not checked yet", "busy"];
        return h(
            "span",
            null,
            h("span", { class: `badge ${tone}` }, text),
            endpoint.state === "down" && endpoint.reason ? h("span", { class: "interval" }, endpoint.reason) : null,
        );
    }

    /** The Endpoints card: shown only while llamahome.endpoints lists servers. @param {DashboardSnapshot} snapshot */
    function endpointsSection(snapshot) {
        const endpoints = currentEndpoints(snapshot);
        if (!endpoints.length) return null;
        const up = endpoints.filter((e) => e.state === "up").length;
        const checked = endpoints.some((e) => e.state !== "unknown");
        const rows = endpoints.map((e) => [
            h("span", { title: e.url }, e.url),
            endpointState(e),
            e.model ?? "—",
            e.slotsTotal !== undefined ? `${e.slotsBusy ?? "?"}/${e.slotsTotal}` : "—",
            `${e.inFlight} / ${e.served}`,
            e.tokensPerSecond !== undefined ? e.tokensPerSecond.toFixed(1) : "—",
            e.kvCacheUsage !== undefined ? `${Math.round(e.kvCacheUsage * 100)}%` : "—",
        ]);
        return h(
            "section",
            { id: "endpoints" },
            h("h2", null, "Endpoints"),
            h(
                "div",
                { class: "card" },
                h("p", { class: "meta", id: "endpoints-summary" }, checked ? `${up} of ${endpoints.length} up · each request goes to the server with the most free slots` : `${endpoints.length} listed · checked with the first request`),
                table(["Server", "State", "Model", "Slots busy", "In flight / served", "Tokens/s", "KV cache"], rows, { numeric: [3, 4, 5, 6], id: "endpoints-table" }),
            ),
        );
    }

    /** @param {DashboardSnapshot} snapshot */
    function modelSection(snapshot) {
        const { model, server } = snapshot;
        const endpoints = currentEndpoints(snapshot);
        const served = [...new Set(endpoints.map((e) => e.model).filter((m) => m !== undefined))];
        /** @type {[string, string][]} */
        const engineFacts = endpoints.length
            ? // llama.cpp servers answer: the local model, GPU, context and H2O settings do not apply while they are listed.
              [
                  ["Engine", `llama.cpp servers (${endpoints.length}, see Endpoints)`],
                  ["Model", served.length ? served.join(", ") : "as the servers report (not known yet)"],
                  ...(/** @type {[string, string][]} */ (model.setting ? [["Local model", `${model.setting} (not used while endpoints are listed)`]] : [])),
                  ["H2O KV cache", "local engine only (not used by the servers)"],
              ]
            : [
                  ["Engine", model.setting ? "local LLM" : "extractive (no model)"],
                  ["Model", model.setting || "none — choose one with Select Model"],
                  ...(/** @type {[string, string][]} */ (model.loaded ? [["Loaded", model.loaded]] : model.unavailable ? [["Unavailable", model.unavailable]] : model.setting ? [["Loaded", "not yet (it loads with the first request)"]] : [])),
                  ["GPU", model.gpu],
                  ["Context", model.contextSize ? `${model.contextSize} tokens` : "model default (at most 4096)"],
                  ["H2O KV cache", model.h2o.enabled ? `on — window ${model.h2o.windowLength}, heavy hitters ${model.h2o.heavyHitters}` : "off"],
              ];
        /** @type {[string, string][]} */
        const facts = [
            ...engineFacts,
            ["Server", server.running ? "running" : server.starting ? "starting" : "stopped"],
            ...(/** @type {[string, string][]} */ (server.crashRestarts ? [["Crash restarts", String(server.crashRestarts)]] : [])),
        ];
        return h(
            "section",
            { id: "model" },
            h("h2", null, "Model and server"),
            h("div", { class: "card" }, h("dl", { class: "facts" }, ...facts.flatMap(([key, value]) => [h("dt", null, key), h("dd", null, value)]))),
        );
    }

    /** @param {number} value */
    function compact(value) {
        if (value >= 10_000) return `${Math.round(value / 1000)}k`;
        if (value >= 1000) return `${(value / 1000).toFixed(1)}k`;
        return value >= 10 || value === 0 ? String(Math.round(value)) : value.toFixed(1);
    }

    /** @param {string} iso */
    function savedAt(iso) {
        const date = new Date(iso);
        return Number.isNaN(date.getTime()) ? iso : date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
    }

    /** The last part of a path or URI. @param {string} file */
    function baseName(file) {
        return file.split(/[\\/]/).filter(Boolean).pop() ?? file;
    }

    /** Control characters (an untrained model's answers have them) made visible. @param {string} text */
    function printable(text) {
        // eslint-disable-next-line no-control-regex
        return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, "\ufffd");
    }

    /** @param {number} value */
    function score(value) {
        return value.toFixed(3);
    }

    /**
     * @param {string[]} headings
     * @param {(Node | string)[][]} rows
     * @param {{ numeric?: number[]; id?: string; foot?: (Node | string)[][] }} [options]
     */
    function table(headings, rows, options = {}) {
        const numeric = new Set(options.numeric ?? headings.map((_, i) => i).slice(1));
        /** @param {string} tag @param {(Node | string)[]} cells */
        const row = (tag, cells) => h("tr", null, ...cells.map((cell, i) => h(tag, numeric.has(i) ? { class: "num" } : i === 0 && tag === "td" ? { class: "name" } : null, cell)));
        return h(
            "table",
            { class: "data", ...(options.id ? { id: options.id } : {}) },
            h("thead", null, row("th", headings)),
            h("tbody", null, ...rows.map((cells) => row("td", cells))),
            options.foot ? h("tfoot", null, ...options.foot.map((cells) => row("td", cells))) : null,
        );
    }

    /**
     * A bar chart card part that draws itself at its container's width.
     * @param {string} title
     * @param {{ value: number; colour: string; title: string; label?: string; valueLabel?: string }[]} bars
     * @param {string} label
     * @param {(value: number) => string} formatY
     * @param {string} id
     */
    function barsBlock(title, bars, label, formatY, id) {
        const holder = h("div", { class: "chart" });
        pendingCharts.push({ holder, draw: (width) => charts.barChart(bars, { width, label, formatY, height: 150, barWidth: 40 }) });
        return h("div", { id }, h("h4", null, title), holder);
    }

    /** @param {NonNullable<EvaluationState["latest"]["bench"]>} saved */
    function benchCard(saved) {
        const { result } = saved;
        const env = result.environment;
        const formats = result.documents;
        const lsp = result.lsp;
        const inference = result.inference ?? [];
        const formatNames = /** @type {Record<string, string>} */ ({ text: "Markdown", docx: "DOCX", pdf: "PDF" });
        const colours = ["s1", "s2", "s3", "s4", "s5"];
        const mb = (/** @type {number | undefined} */ value) => (value ? bytes(value) : "—");
        const chartRow = h(
            "div",
            { class: "grid three" },
            barsBlock(
                "Documents per minute",
                formats.map((f, i) => ({ value: f.docsPerMinute, colour: colours[i % colours.length], label: formatNames[f.format] ?? f.format, valueLabel: compact(f.docsPerMinute), title: `${formatNames[f.format] ?? f.format}: ${f.docsPerMinute.toLocaleString()} documents/min (${f.documents} documents)` })),
                "Documents indexed per minute, by format",
                compact,
                "chart-bench-docs",
            ),
            barsBlock(
                "LSP latency",
                [
                    { value: lsp.searchP50Ms, colour: "s1", label: "search p50", valueLabel: `${lsp.searchP50Ms} ms`, title: `search p50: ${lsp.searchP50Ms} ms` },
                    { value: lsp.searchP95Ms, colour: "s1", label: "p95", valueLabel: `${lsp.searchP95Ms} ms`, title: `search p95: ${lsp.searchP95Ms} ms` },
                    { value: lsp.hoverP50Ms, colour: "s4", label: "hover p50", valueLabel: `${lsp.hoverP50Ms} ms`, title: `hover p50: ${lsp.hoverP50Ms} ms` },
                    { value: lsp.hoverP95Ms, colour: "s4", label: "p95", valueLabel: `${lsp.hoverP95Ms} ms`, title: `hover p95: ${lsp.hoverP95Ms} ms` },
                ],
                `Search and hover latency over ${lsp.iterations} requests each`,
                (v) => `${Math.round(v)} ms`,
                "chart-bench-lsp",
            ),
            inference.length
                ? barsBlock(
                    "Generation speed",
                    inference.map((run, i) => ({ value: run.generatedTokensPerSecond, colour: colours[(i + 1) % colours.length], label: run.policy, valueLabel: `${compact(run.generatedTokensPerSecond)} tok/s`, title: `${run.policy}: ${run.generatedTokensPerSecond} tokens/s generated, ${run.promptTokensPerSecond} tokens/s prompt` })),
                    "Generated tokens per second, by KV cache policy",
                    (v) => `${compact(v)}`,
                    "chart-bench-tokens",
                )
                : h("div", null, h("h4", null, "Generation speed"), empty("No model was configured for this run: select one to measure tokens/s.")),
        );
        return h(
            "div",
            { class: "card", id: "bench" },
            h("h3", null, "Benchmark"),
            h("div", { class: "meta" }, `Saved ${savedAt(saved.savedAt)} · took ${duration(result.ms)} · ${env.cpu}, ${env.cores} cores, ${bytes(env.memoryBytes)} RAM · Node ${env.node}`),
            chartRow,
            h(
                "div",
                { class: "grid two" },
                h(
                    "div",
                    null,
                    h("h4", null, "Document processing"),
                    table(["Format", "Documents", "Docs/min", "p50 ms/doc", "p95 ms/doc"], formats.map((f) => [formatNames[f.format] ?? f.format, String(f.documents), f.docsPerMinute.toLocaleString(), f.p50MsPerDoc.toFixed(1), f.p95MsPerDoc.toFixed(1)]), { id: "bench-formats" }),
                ),
                h(
                    "div",
                    null,
                    h("h4", null, `Language server (${lsp.documents.toLocaleString()} documents, ${lsp.iterations} requests each)`),
                    table(["Request", "p50", "p95"], [["search", `${lsp.searchP50Ms} ms`, `${lsp.searchP95Ms} ms`], ["hover", `${lsp.hoverP50Ms} ms`, `${lsp.hoverP95Ms} ms`]], { id: "bench-lsp" }),
                    h("div", { class: "meta" }, `Server memory (RSS): ${mb(lsp.serverRssBytes)}`),
                ),
            ),
            inference.length
                ? h(
                    "div",
                    null,
                    h("h4", null, "Inference"),
                    table(
                        ["KV cache", "First token", "Prompt tok/s", "Generated tok/s", "Inference RSS", "VRAM"],
                        inference.map((run) => [run.policy, duration(run.timeToFirstTokenMs), compact(run.promptTokensPerSecond), compact(run.generatedTokensPerSecond), mb(run.inferenceRssBytes), run.vramTotalBytes ? `${mb(run.vramUsedBytes)} / ${mb(run.vramTotalBytes)}` : "—"]),
                        { id: "bench-inference" },
                    ),
                    h("div", { class: "meta" }, `Median of ${inference[0].iterations} runs of ${inference[0].promptTokens} prompt + ${inference[0].generatedTokens} generated tokens.`),
                )
                : null,
        );
    }

    /** @param {NonNullable<EvaluationState["latest"]["rouge"]>} saved */
    function rougeCard(saved) {
        const { result } = saved;
        /** @type {RougeVariant[]} */
        const variants = ["rouge1", "rouge2", "rougeL", "rougeLsum"];
        const names = { rouge1: "ROUGE-1", rouge2: "ROUGE-2", rougeL: "ROUGE-L", rougeLsum: "ROUGE-Lsum" };
        const rows = result.pairs.map((pair) => {
            const name = h("span", { title: pair.path }, baseName(pair.path));
            return [name, ...variants.map((variant) => score(pair[variant]?.fmeasure ?? 0))];
        });
        const aggregate = variants.map((variant) => {
            const interval = result.aggregate[variant];
            return interval ? h("span", null, score(interval.mid.fmeasure), h("span", { class: "interval" }, `[${score(interval.low.fmeasure)}, ${score(interval.high.fmeasure)}]`)) : "—";
        });
        return h(
            "div",
            { class: "card", id: "rouge" },
            h("h3", null, "Summary quality (ROUGE F1)"),
            h(
                "div",
                { class: "meta" },
                `Saved ${savedAt(saved.savedAt)} · ${result.engine === "llm" ? `LLM summaries${result.model ? ` (${result.model})` : ""}` : "extractive summaries"} · ${result.pairs.length} documents from ${baseName(result.dataset)}${result.stem ? " · Porter stemming" : ""}`,
            ),
            table(["Document", ...variants.map((v) => names[v])], rows, { id: "rouge-table", foot: [["Mean [95% interval]", ...aggregate]] }),
        );
    }

    /**
     * Which retrieval the run used, with its models: "BM25 search", "hybrid search (bge-small-en-v1.5-q8_0.gguf, RRF),
     * reranked by bge-reranker-v2-m3-Q8_0.gguf".
     * @param {import("../shared/results").RetrievalResult} result
     */
    function retrievalText(result) {
        const hybrid = result.retrieval.startsWith("hybrid");
        const embedding = hybrid && result.embeddingModel ? ` (${baseName(result.embeddingModel)}, ${(result.fusion ?? "rrf").toUpperCase()})` : "";
        const reranked = result.retrieval.endsWith("+rerank") ? `, reranked${result.reranker ? ` by ${baseName(result.reranker)}` : ""}` : "";
        return `${hybrid ? "hybrid" : "BM25"} search${embedding}${reranked}`;
    }

    /** @param {NonNullable<EvaluationState["latest"]["retrieval"]>} saved */
    function retrievalCard(saved) {
        const { result } = saved;
        const percent = (/** @type {number | undefined} */ value) => (value === undefined ? "—" : `${(value * 100).toFixed(1)}%`);
        /** @param {string} label @param {import("../shared/results").RetrievalFigures} f */
        const cells = (label, f) => [label, String(f.questions), percent(f.document.recallAt1), percent(f.place.recallAt1), f.place.mrr.toFixed(3), f.place.ndcgAt10.toFixed(3), percent(f.answerContains)];
        return h(
            "div",
            { class: "card", id: "retrieval" },
            h("h3", null, "Retrieval and answers"),
            h(
                "div",
                { class: "meta" },
                `Saved ${savedAt(saved.savedAt)} · ${retrievalText(result)} · ${result.engine === "llm" ? `LLM answers${result.model ? ` (${result.model})` : ""}` : "extractive answers"} · ${result.overall.questions} questions from ${baseName(result.dataset)} · search p95 ${result.overall.searchP95Ms.toFixed(1)} ms`,
            ),
            result.warning ? h("div", { class: "meta warning" }, result.warning) : null,
            table(
                ["Kind", "Questions", "Right document first", "Right page first", "MRR", "nDCG@10", "Answer holds the phrase"],
                Object.entries(result.byKind).map(([kind, figures]) => cells(kind, figures)),
                { id: "retrieval-table", foot: [cells("All", result.overall)] },
            ),
            result.unanswerable
                ? h("div", { class: "meta" }, `${result.unanswerable.questions} questions no document answers: ${percent(result.unanswerable.refused)} refused ("not found"), the rest answered wrongly`)
                : null,
        );
    }

    /**
     * One heatmap per policy. A cell of several needles shows how many were found; a single needle, ✓ or the share of
     * the code's characters it got right.
     * @param {NonNullable<EvaluationState["latest"]["needle"]>} saved
     * @param {{ id: string; title: string; meta: string; about?: string; running?: boolean }} card
     */
    function needleCard(saved, card) {
        const { result } = saved;
        /** @type {Record<string, string>} */
        const policyNames = { full: "Standard (full KV cache)", h2o: "H2O (bounded KV cache)", "query-aware": "Question-aware H2O (bounded KV cache)", "sink-window": "Sink + window (bounded KV cache, no attention scores)" };
        const policies = [...new Set(result.cells.map((cell) => cell.policy))];
        const lengths = result.lengths.length ? result.lengths : [...new Set(result.cells.map((c) => c.length))];
        const depths = result.depths.length ? result.depths : [...new Set(result.cells.map((c) => c.depth))];
        const multi = result.cells.some((cell) => (cell.trials ?? 1) > 1);
        const blocks = policies.map((policy) => {
            const cells = result.cells.filter((cell) => cell.policy === policy);
            const ran = cells.filter((cell) => !cell.skipped);
            const needles = ran.reduce((sum, cell) => sum + (cell.trials ?? 1), 0);
            const found = ran.reduce((sum, cell) => sum + Math.round(cell.score * (cell.trials ?? 1)), 0);
            const overlap = ran.length ? ran.reduce((sum, cell) => sum + cell.overlap, 0) / ran.length : 0;
            const skipped = cells.length - ran.length;
            const budget = ran.find((cell) => cell.kvBudget !== undefined && policy !== "full")?.kvBudget;
            const map = charts.heatmap({
                label: `Needle in a haystack, ${policyNames[policy] ?? policy}: score by prompt length and needle depth`,
                corner: "tokens \u2193 depth \u2192",
                rows: lengths,
                columns: depths,
                rowLabel: (length) => length.toLocaleString(),
                columnLabel: (depth) => `${depth}%`,
                cell: (length, depth) => {
                    const cell = cells.find((c) => c.length === length && c.depth === depth);
                    if (!cell) return undefined;
                    const where = `${length.toLocaleString()} tokens, needle at ${depth}%`;
                    if (cell.skipped) return { value: undefined, text: "skipped", title: `${where}: skipped, because ${cell.skipped}` };
                    const trials = cell.trials ?? 1;
                    const answer = cell.answer !== undefined ? `\n${trials > 1 ? "first answer" : "answered"}: ${JSON.stringify(printable(cell.answer))}` : "";
                    const kv = cell.kvBudget !== undefined ? `\nKV cache: ${cell.kvPeakCells ?? "?"} of ${cell.kvBudget} cells${cell.evictedTokens ? `, ${cell.evictedTokens} tokens evicted` : ""}` : "";
                    const verdict =
                        trials > 1
                            ? `${Math.round(cell.score * trials)} of ${trials} needles found; ${Math.round(cell.overlap * 100)}% of the codes' characters in order`
                            : cell.score >= 1
                              ? "found the code (exact match)"
                              : `missed; ${Math.round(cell.overlap * 100)}% of the code's characters in order`;
                    return {
                        value: multi ? cell.score : cell.overlap,
                        text: trials > 1 ? `${Math.round(cell.score * trials)}/${trials}` : cell.score >= 1 ? "\u2713 found" : cell.overlap.toFixed(2),
                        detail: duration(cell.ms),
                        title: `${where}: ${verdict}${answer}${kv}\n${cell.promptTokens ?? "?"} prompt tokens, ${duration(cell.ms)}${trials > 1 ? " per needle" : ""}`,
                    };
                },
            });
            map.id = `heatmap-${card.id === "needle" ? "" : `${card.id}-`}${policy}`;
            return h(
                "div",
                { class: "policy" },
                h("h4", null, policyNames[policy] ?? policy),
                h(
                    "div",
                    { class: "meta" },
                    ran.length ? `${found} of ${needles} found · mean overlap ${overlap.toFixed(2)}${budget !== undefined ? ` · KV budget ${budget.toLocaleString()} tokens` : ""}${skipped ? ` · ${skipped} skipped` : ""}` : `all ${skipped} cells skipped`,
                ),
                map,
            );
        });
        return h(
            "div",
            { class: "card", id: card.id },
            h("h3", null, card.title),
            h("div", { class: "meta" }, card.meta),
            card.about ? h("p", { class: "small" }, card.about) : null,
            card.running ? h("p", { class: "running" }, h("span", { class: "spinner" }), "A new needle test is running…") : null,
            h("div", { class: "heatmaps" }, ...blocks),
            multi ? charts.heatLegend("0: no needle found", "1: every needle found") : charts.heatLegend("0: none of the code", "1: the whole code"),
            h(
                "p",
                { class: "muted small" },
                "Each cell hides “The secret code of <name> is <code>.” at that depth of a prompt of that many tokens and asks for it; scored without a judge: found when the answer contains the code, else the share of its characters reproduced in order. Hover a cell for the answer.",
            ),
        );
    }

    /**
     * @param {string} id @param {string} title @param {string} text
     */
    function emptyCard(id, title, text) {
        return h("div", { class: "card", id }, h("h3", null, title), empty(text));
    }

    /** @param {DashboardSnapshot} snapshot */
    function evaluationSection(snapshot) {
        // A state saved by an older version has no evaluation part; the extension's snapshot replaces it at once.
        const { latest, running, reference } = snapshot.evaluation ?? { latest: {} };
        const toolbar = h(
            "div",
            { class: "toolbar" },
            running ? h("span", { class: "running", id: "evaluation-running" }, h("span", { class: "spinner" }), running === "bench" ? "Running the benchmark…" : "Running the needle test…") : null,
            button("Run Benchmark", "llamahome.runBenchmark", true, running !== undefined),
            button("Run Needle Test", "llamahome.runNeedleTest", true, running !== undefined),
        );
        return h(
            "section",
            { id: "evaluation" },
            h("div", { class: "section-head" }, h("h2", null, "Benchmarks and evaluation"), toolbar),
            h(
                "div",
                { class: "stack" },
                latest.bench ? benchCard(latest.bench) : emptyCard("bench", "Benchmark", "No benchmark yet. Run Benchmark measures documents/min per format, search and hover latency and, with a model, tokens/s."),
                h(
                    "div",
                    { class: "grid two" },
                    latest.needle
                        ? needleCard(latest.needle, {
                              id: "needle",
                              title: "Needle in a haystack",
                              meta: `Saved ${savedAt(latest.needle.savedAt)} · took ${duration(latest.needle.result.ms)} · ${baseName(latest.needle.result.model)} · haystack from ${baseName(latest.needle.result.haystack)}`,
                              running: running === "needle",
                          })
                        : emptyCard("needle", "Needle in a haystack", "No needle test yet. Run Needle Test hides a fact at several depths of haystacks of several lengths and draws a depth × length heatmap, standard and H2O."),
                    // Scoring summaries needs reference summaries written by people, which the editor has no way to
                    // take: the card shows scores saved by a run elsewhere, and is absent rather than an instruction.
                    latest.rouge ? rougeCard(latest.rouge) : null,
                ),
                // Like ROUGE, a dataset of questions with known sources comes from a run elsewhere (the CLI).
                latest.retrieval ? retrievalCard(latest.retrieval) : null,
                // Shipped with the extension (measured by the project), so the H2O figures are there before any run.
                reference
                    ? needleCard(reference, {
                          id: "needle-reference",
                          title: reference.title,
                          meta: `Measured ${savedAt(reference.savedAt)} · ${baseName(reference.result.model)} · ${reference.command}`,
                          about: reference.about,
                      })
                    : null,
            ),
        );
    }

    function render() {
        const snapshot = state.snapshot;
        const focused = document.activeElement instanceof HTMLElement ? document.activeElement.getAttribute("data-command") : null;
        pendingCharts = [];
        if (!snapshot) {
            root.replaceChildren(h("p", { class: "muted" }, "Loading…"));
            return;
        }
        root.replaceChildren(...[header(snapshot), indexSection(snapshot), liveSection(snapshot), endpointsSection(snapshot), requestsSection(snapshot), modelSection(snapshot), evaluationSection(snapshot)].filter((section) => section !== null));
        drawCharts();
        if (focused) /** @type {HTMLElement | null} */ (root.querySelector(`[data-command="${focused}"]`))?.focus();
    }

    function drawCharts() {
        for (const { holder, draw } of pendingCharts) holder.replaceChildren(draw(holder.clientWidth || 400));
    }

    let frame = 0;
    /** Renders at most once per animation frame, however many messages arrive. */
    function scheduleRender() {
        if (frame) return;
        frame = requestAnimationFrame(() => {
            frame = 0;
            render();
        });
    }

    window.addEventListener("message", (event) => {
        /** @type {ExtensionToDashboardMessage} */
        const message = event.data;
        const snapshot = state.snapshot;
        switch (message.type) {
            case "snapshot":
                state = { snapshot: message.snapshot };
                break;
            case "indexStatus":
                if (snapshot) snapshot.index = message.status;
                break;
            case "server":
                if (snapshot) snapshot.server = message.server;
                break;
            case "model":
                if (snapshot) snapshot.model = message.model;
                break;
            case "metrics":
                if (snapshot) snapshot.metrics = [...snapshot.metrics, message.sample].slice(-300);
                break;
            case "request":
                if (snapshot) snapshot.requests = [...snapshot.requests, message.record].slice(-50);
                break;
            case "evaluation":
                if (snapshot) snapshot.evaluation = message.evaluation;
                break;
            default:
                return;
        }
        vscode.setState(state);
        scheduleRender();
    });

    new ResizeObserver(() => drawCharts()).observe(root);
    render();
    post({ type: "ready" });
})();
