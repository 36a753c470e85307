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

    window.llamaHomeDom = { h };
})();
