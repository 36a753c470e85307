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

interface LlamaHomeCharts {
    /** A line chart over time (x in ms since the epoch), y from 0. */
    lineChart(
        series: LlamaHomeChartSeries[],
        options: { label: string; formatY: (value: number) => string; height?: number; width: number },
    ): SVGSVGElement;
    /** Vertical bars, one per value, left to right. */
    barChart(
        bars: { value: number; colour: string; title: string }[],
        options: { label: string; formatY: (value: number) => string; height?: number; width: number },
    ): SVGSVGElement;
    legend(series: { name: string; colour: string }[]): HTMLElement;
}

interface Window {
    llamaHomeCharts: LlamaHomeCharts;
}
