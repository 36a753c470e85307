// @ts-check
// Small SVG charts for the LlamaHome dashboard, drawn with DOM calls (no library, no inline styles: colours come
// from CSS classes bound to the theme's --vscode-charts-* variables).
(function () {
    const svgNs = "http://www.w3.org/2000/svg";
    const margin = { top: 8, right: 12, bottom: 20, left: 52 };

    /**
     * @param {string} tag
     * @param {Record<string, string | number>} [attributes]
     * @returns {SVGElement}
     */
    function svg(tag, attributes = {}) {
        const element = document.createElementNS(svgNs, tag);
        for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
        return element;
    }

    const ticks = 4;

    /** A round axis maximum, at least `value`, whose `ticks` steps are round too (1, 2, 2.5 or 5 × 10^k). @param {number} value */
    function niceMax(value) {
        if (!(value > 0)) return ticks;
        const raw = value / ticks;
        const power = 10 ** Math.floor(Math.log10(raw));
        const step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((candidate) => candidate >= raw) ?? 10 * power;
        return step * ticks;
    }

    const { clock } = window.llamaHomeDom;

    /**
     * The frame shared by both charts: an <svg> with horizontal grid lines and y labels.
     * @param {{ label: string; formatY: (value: number) => string; height?: number; width: number }} options
     * @param {number} maxY
     */
    function frame(options, maxY) {
        const width = Math.max(200, Math.floor(options.width));
        const height = options.height ?? 160;
        const root = /** @type {SVGSVGElement} */ (svg("svg", { viewBox: `0 0 ${width} ${height}`, height, role: "img", "aria-label": options.label }));
        const title = svg("title");
        title.textContent = options.label;
        root.append(title);
        const plot = { x: margin.left, y: margin.top, width: width - margin.left - margin.right, height: height - margin.top - margin.bottom };
        for (let i = 0; i <= ticks; i++) {
            const value = (maxY * i) / ticks;
            const y = plot.y + plot.height - (plot.height * i) / ticks;
            root.append(svg("line", { class: "grid-line", x1: plot.x, x2: plot.x + plot.width, y1: y, y2: y }));
            const label = svg("text", { class: "axis-label", x: plot.x - 6, y: y + 3, "text-anchor": "end" });
            label.textContent = options.formatY(value);
            root.append(label);
        }
        return { root, plot, height };
    }

    /** @type {LlamaHomeCharts["lineChart"]} */
    function lineChart(series, options) {
        const points = series.flatMap((s) => s.points);
        const maxY = niceMax(Math.max(0, ...points.map((p) => p.y)) * 1.05);
        const { root, plot } = frame(options, maxY);
        const minX = Math.min(...points.map((p) => p.x));
        const maxX = Math.max(...points.map((p) => p.x));
        const spanX = maxX - minX;
        // A single moment (one sample so far) is drawn at the right edge: "now".
        const scaleX = (/** @type {number} */ x) => (spanX > 0 ? plot.x + ((x - minX) / spanX) * plot.width : plot.x + plot.width);
        const scaleY = (/** @type {number} */ y) => plot.y + plot.height - (y / maxY) * plot.height;
        for (const [index, time] of (spanX > 0 ? [minX, maxX] : [maxX]).entries()) {
            if (!Number.isFinite(time)) continue;
            const atEnd = index > 0 || spanX <= 0;
            const label = svg("text", { class: "axis-label", x: atEnd ? plot.x + plot.width : plot.x, y: plot.y + plot.height + 14, "text-anchor": atEnd ? "end" : "start" });
            label.textContent = clock(time);
            root.append(label);
        }
        for (const s of series) {
            if (!s.points.length) continue;
            const sorted = [...s.points].sort((a, b) => a.x - b.x);
            const line = sorted.map((p, i) => `${i ? "L" : "M"}${scaleX(p.x).toFixed(1)},${scaleY(p.y).toFixed(1)}`).join(" ");
            const first = sorted[0];
            const last = sorted[sorted.length - 1];
            const baseline = scaleY(0).toFixed(1);
            root.append(svg("path", { class: `area ${s.colour}`, d: `${line} L${scaleX(last.x).toFixed(1)},${baseline} L${scaleX(first.x).toFixed(1)},${baseline} Z` }));
            root.append(svg("path", { class: `series ${s.colour}`, d: line }));
            if (sorted.length === 1) root.append(svg("circle", { class: s.colour, cx: scaleX(first.x), cy: scaleY(first.y), r: 3 }));
        }
        return root;
    }

    /** @type {LlamaHomeCharts["barChart"]} */
    function barChart(bars, options) {
        // Room above the tallest bar for its value label.
        const labelled = bars.some((b) => b.valueLabel !== undefined);
        const maxY = niceMax(Math.max(0, ...bars.map((b) => b.value)) * (labelled ? 1.15 : 1.05));
        const { root, plot } = frame(options, maxY);
        const slot = plot.width / Math.max(bars.length, 1);
        const barWidth = Math.max(2, Math.min(options.barWidth ?? 28, slot * 0.7));
        bars.forEach((bar, i) => {
            const height = (bar.value / maxY) * plot.height;
            const centre = plot.x + slot * i + slot / 2;
            const rect = svg("rect", {
                class: `bar ${bar.colour}`,
                x: (centre - barWidth / 2).toFixed(1),
                y: (plot.y + plot.height - height).toFixed(1),
                width: barWidth.toFixed(1),
                height: Math.max(1, height).toFixed(1),
                rx: 2,
            });
            const title = svg("title");
            title.textContent = bar.title;
            rect.append(title);
            root.append(rect);
            if (bar.valueLabel !== undefined) {
                const value = svg("text", { class: "value-label", x: centre.toFixed(1), y: (plot.y + plot.height - Math.max(1, height) - 4).toFixed(1), "text-anchor": "middle" });
                value.textContent = bar.valueLabel;
                root.append(value);
            }
            if (bar.label !== undefined) {
                const label = svg("text", { class: "axis-label", x: centre.toFixed(1), y: plot.y + plot.height + 14, "text-anchor": "middle" });
                label.textContent = bar.label;
                root.append(label);
            }
        });
        return root;
    }

    /**
     * A score heatmap as a table (rows × columns), each cell tinted by its 0–1 value in one of six steps from the
     * theme's red to its green; skipped cells are hatched. Every cell's `title` is its tooltip.
     * @type {LlamaHomeCharts["heatmap"]}
     */
    function heatmap(options) {
        const table = document.createElement("table");
        table.className = "heatmap";
        table.setAttribute("aria-label", options.label);
        const head = table.createTHead().insertRow();
        const corner = document.createElement("th");
        corner.className = "corner";
        corner.textContent = options.corner;
        head.append(corner);
        for (const column of options.columns) {
            const th = document.createElement("th");
            th.scope = "col";
            th.textContent = options.columnLabel(column);
            head.append(th);
        }
        const body = table.createTBody();
        for (const row of options.rows) {
            const tr = body.insertRow();
            const th = document.createElement("th");
            th.scope = "row";
            th.textContent = options.rowLabel(row);
            tr.append(th);
            for (const column of options.columns) {
                const cell = options.cell(row, column);
                const td = tr.insertCell();
                if (!cell) {
                    td.className = "missing";
                    td.textContent = "—";
                    continue;
                }
                td.title = cell.title;
                td.className = cell.value === undefined ? "skipped" : `heat-${Math.min(5, Math.ceil(Math.max(0, Math.min(1, cell.value)) * 5))}`;
                const main = document.createElement("span");
                main.className = "main";
                main.textContent = cell.text;
                td.append(main);
                if (cell.detail) {
                    const detail = document.createElement("span");
                    detail.className = "detail";
                    detail.textContent = cell.detail;
                    td.append(detail);
                }
            }
        }
        return table;
    }

    /** The heatmap's colour steps, from 0 to 1, with their end labels. @param {string} low @param {string} high */
    function heatLegend(low, high) {
        const legend = document.createElement("div");
        legend.className = "heat-legend";
        const start = document.createElement("span");
        start.textContent = low;
        legend.append(start);
        for (let step = 0; step <= 5; step++) {
            const swatch = document.createElement("span");
            swatch.className = `swatch heat-${step}`;
            legend.append(swatch);
        }
        const end = document.createElement("span");
        end.textContent = high;
        legend.append(end);
        return legend;
    }

    /** @type {LlamaHomeCharts["legend"]} */
    function legend(series) {
        const list = document.createElement("div");
        list.className = "legend";
        for (const s of series) {
            const item = document.createElement("span");
            const swatch = document.createElement("span");
            swatch.className = `swatch ${s.colour}`;
            item.append(swatch, s.name);
            list.append(item);
        }
        return list;
    }

    window.llamaHomeCharts = { lineChart, barChart, heatmap, heatLegend, legend };
})();
