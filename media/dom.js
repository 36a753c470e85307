// @ts-check
// What every LlamaHome webview script builds its page with: elements from plain values, never from HTML strings.
(function () {
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

    /**
     * The one clock format of every LlamaHome view: local time, 24-hour HH:MM:SS.
     * @param {number} time milliseconds since the epoch
     */
    function clock(time) {
        const date = new Date(time);
        const pad = (/** @type {number} */ n) => String(n).padStart(2, "0");
        return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
    }

    window.llamaHomeDom = { h, clock };
})();
