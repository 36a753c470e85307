// @ts-check
// The LlamaHome dashboard webview. It renders the snapshot the extension sends, keeps it with setState (so a
// reopened or restored panel shows its charts at once) and sends back only typed messages.
/** @typedef {import("../shared/webviewMessages").DashboardSnapshot} DashboardSnapshot */
/** @typedef {import("../shared/webviewMessages").ExtensionToDashboardMessage} ExtensionToDashboardMessage */
/** @typedef {import("../shared/webviewMessages").DashboardToExtensionMessage} DashboardToExtensionMessage */
/** @typedef {import("../shared/webviewMessages").DashboardCommand} DashboardCommand */
/** @typedef {import("../shared/protocol").MetricsParams} MetricsParams */
/** @typedef {{ snapshot?: DashboardSnapshot }} SavedState */

(function () {
    /** @type {VsCodeWebviewApi<SavedState>} */
    const vscode = acquireVsCodeApi();
    const charts = window.llamaHomeCharts;
    const root = /** @type {HTMLElement} */ (document.getElementById("dashboard"));
    /** @type {SavedState} */
    let state = vscode.getState() ?? {};

    /** @param {DashboardToExtensionMessage} message */
    function post(message) {
        vscode.postMessage(message);
    }

    /**
     * @param {string} tag
     * @param {Record<string, string> | null} [attributes]
     * @param {...(Node | string | null | undefined | false)} children
     * @returns {HTMLElement}
     */
    function h(tag, attributes, ...children) {
        const element = document.createElement(tag);
        for (const [name, value] of Object.entries(attributes ?? {})) element.setAttribute(name, value);
        for (const child of children) if (child) element.append(child);
        return element;
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

    /** @param {number} time */
    function clock(time) {
        return new Date(time).toLocaleTimeString();
    }

    /** @param {string} text @param {DashboardCommand} command @param {boolean} [secondary] */
    function button(text, command, secondary = false) {
        const element = h("button", { type: "button", "data-command": command, class: secondary ? "secondary" : "" }, text);
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
        const [badgeText, badgeClass] = !snapshot.server.running
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
        const noModel = !snapshot.model.setting;
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
                h("td", null, r.kind === "ask" ? "Ask" : "Summarize"),
                h("td", null, r.engine === "llm" ? r.model ?? "model" : "extractive"),
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

    /** @param {DashboardSnapshot} snapshot */
    function modelSection(snapshot) {
        const { model, server } = snapshot;
        /** @type {[string, string][]} */
        const facts = [
            ["Engine", model.setting ? "local LLM" : "extractive (no model)"],
            ["Model", model.setting || "none — choose one with Select Model"],
            ...(/** @type {[string, string][]} */ (model.loaded ? [["Loaded", model.loaded]] : [])),
            ["GPU", model.gpu],
            ["Context", model.contextSize ? `${model.contextSize} tokens` : "model default (at most 4096)"],
            ["H2O KV cache", model.h2o.enabled ? `on — window ${model.h2o.windowLength}, heavy hitters ${model.h2o.heavyHitters}` : "off"],
            ["Server", server.running ? "running" : "stopped"],
            ...(/** @type {[string, string][]} */ (server.crashRestarts ? [["Crash restarts", String(server.crashRestarts)]] : [])),
        ];
        return h(
            "section",
            { id: "model" },
            h("h2", null, "Model and server"),
            h("div", { class: "card" }, h("dl", { class: "facts" }, ...facts.flatMap(([key, value]) => [h("dt", null, key), h("dd", null, value)]))),
        );
    }

    /** @param {DashboardSnapshot} snapshot */
    function evaluationSection(snapshot) {
        const results = snapshot.results;
        /** @param {string} title @param {unknown} value @param {string} what */
        const card = (title, value, what) => h("div", { class: "card" }, h("h3", null, title), value === undefined ? empty(`No results yet. ${what}`) : h("pre", { class: "small" }, JSON.stringify(value, null, 2)));
        return h(
            "section",
            { id: "evaluation" },
            h("h2", null, "Benchmarks and evaluation"),
            h(
                "div",
                { class: "grid three" },
                card("Inference benchmark", results.benchmark, "Tokens/s and memory per prompt length appear here after a benchmark run."),
                card("Summary quality (ROUGE)", results.rouge, "ROUGE-1/2/L of generated summaries, standard vs H2O, appear here after an evaluation run."),
                card("Needle in a haystack", results.needle, "A depth × length heatmap, standard vs H2O, appears here after a needle test."),
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
        root.replaceChildren(header(snapshot), indexSection(snapshot), liveSection(snapshot), requestsSection(snapshot), modelSection(snapshot), evaluationSection(snapshot));
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
