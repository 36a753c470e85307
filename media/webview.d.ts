// Types for the hand-written webview scripts in this folder (checked with `tsc -p media`).

interface VsCodeWebviewApi<State> {
    postMessage(message: unknown): void;
    getState(): State | undefined;
    setState(state: State): void;
}

declare function acquireVsCodeApi<State = unknown>(): VsCodeWebviewApi<State>;

/** Drawn by charts.js, used by dashboard.js. */
interface LlamaHomeChartSeries {
    name: string;
    /** CSS class giving its colour: s1 … s5. */
    colour: string;
    points: { x: number; y: number }[];
}

interface LlamaHomeHeatCell {
    /** 0–1; undefined for a skipped cell. */
    value: number | undefined;
    text: string;
    /** A second, smaller line. */
    detail?: string;
    /** The tooltip. */
    title: string;
}

interface LlamaHomeCharts {
    /** A line chart over time (x in ms since the epoch), y from 0. */
    lineChart(
        series: LlamaHomeChartSeries[],
        options: { label: string; formatY: (value: number) => string; height?: number; width: number },
    ): SVGSVGElement;
    /** Vertical bars, one per value, left to right; `label` goes under a bar, `valueLabel` above it. */
    barChart(
        bars: { value: number; colour: string; title: string; label?: string; valueLabel?: string }[],
        options: { label: string; formatY: (value: number) => string; height?: number; width: number; barWidth?: number },
    ): SVGSVGElement;
    /** A table of rows × columns whose cells are tinted by a 0–1 value; a cell without a value is drawn as skipped. */
    heatmap<Row, Column>(options: {
        label: string;
        /** The top-left header, e.g. "length / depth". */
        corner: string;
        rows: Row[];
        columns: Column[];
        rowLabel: (row: Row) => string;
        columnLabel: (column: Column) => string;
        /** Undefined: no such cell ("—"). */
        cell: (row: Row, column: Column) => LlamaHomeHeatCell | undefined;
    }): HTMLTableElement;
    /** The heatmap's colour scale. */
    heatLegend(low: string, high: string): HTMLElement;
    legend(series: { name: string; colour: string }[]): HTMLElement;
}

interface Window {
    llamaHomeCharts: LlamaHomeCharts;
    /** dom.js: elements from a tag, attributes and children (text is never parsed as HTML). */
    llamaHomeDom: {
        h(tag: string, attributes?: Record<string, string> | null, ...children: (Node | string | null | undefined | false)[]): HTMLElement;
        /** Local time, 24-hour HH:MM:SS: the one clock format of every view. */
        clock(time: number): string;
    };
}
