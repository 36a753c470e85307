// @ts-check
// The LlamaHome chat view: the workspace's conversation, an input box at the bottom, and the editor selection attached
// to the next question. The extension owns the conversation and sends it whenever this page says it is ready (the
// page is dropped while the view is hidden); this page keeps only the unsent draft. Every answer says which engine
// wrote it: an extractive one is marked and shows the passages it quotes, a model's names the model (and the
// llama.cpp server). Sources are buttons that ask the extension to open them. Document text is only ever set as text.
/** @typedef {import("../shared/chatMessages").ChatTurnRecord} ChatTurnRecord */
/** @typedef {import("../shared/chatMessages").ChatAttachment} ChatAttachment */
/** @typedef {import("../shared/chatMessages").ExtensionToChatMessage} ExtensionToChatMessage */
/** @typedef {import("../shared/chatMessages").ChatToExtensionMessage} ChatToExtensionMessage */
/** @typedef {import("../shared/protocol").CitationLocation} CitationLocation */
/** @typedef {import("../shared/protocol").PassageLocation} PassageLocation */
/** @typedef {{ draft?: string }} SavedState */

(function () {
    /** @type {VsCodeWebviewApi<SavedState>} */
    const vscode = acquireVsCodeApi();
    const { h, clock } = window.llamaHomeDom;
    const log = /** @type {HTMLElement} */ (document.getElementById("turns"));
    const form = /** @type {HTMLFormElement} */ (document.getElementById("composer"));
    const input = /** @type {HTMLTextAreaElement} */ (document.getElementById("question"));
    const send = /** @type {HTMLButtonElement} */ (document.getElementById("send"));
    const stop = /** @type {HTMLButtonElement} */ (document.getElementById("stop"));
    const attachmentBox = /** @type {HTMLElement} */ (document.getElementById("attachment"));

    /** @type {SavedState} */
    const saved = vscode.getState() ?? {};
    /** @type {ChatTurnRecord[]} */
    let turns = [];
    /** @type {ChatAttachment | undefined} */
    let attachment;
    /** The element shown for each turn, by turn id. @type {Map<string, HTMLElement>} */
    const shown = new Map();
    /** Why the pending turn's answer started over, by turn id (shown until it ends). @type {Map<string, string>} */
    const restarts = new Map();
    input.value = saved.draft ?? "";

    /** @param {ChatToExtensionMessage} message */
    function post(message) {
        vscode.postMessage(message);
    }


    /** @param {number} ms */
    function duration(ms) {
        return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
    }

    /** Plain text as paragraphs (blank lines separate them); never parsed as HTML. @param {string} text */
    function paragraphs(text) {
        const parts = text.split(/\n\s*\n/).map((part) => part.trim()).filter(Boolean);
        return h("div", { class: "text" }, ...parts.map((part) => h("p", null, part)));
    }

    /** @param {{ path: string; page?: number; line?: number }} location */
    function where(location) {
        return location.page ? `${location.path}, page ${location.page}` : location.line ? `${location.path}, line ${location.line}` : location.path;
    }

    /** "annual-report.pdf · p. 3": the file name and the page or line. @param {{ path: string; page?: number; line?: number }} location */
    function chipText(location) {
        const name = location.path.split("/").pop() || location.path;
        return location.page ? `${name} · p. ${location.page}` : location.line ? `${name} · line ${location.line}` : name;
    }

    /** A source chip: opens the source as the result panel's citations do. @param {CitationLocation} citation */
    function chip(citation) {
        const button = h("button", { type: "button", class: "chip", title: `Open ${where(citation)}` }, h("span", { class: "chip-icon", "aria-hidden": "true" }), h("span", { class: "chip-text" }, chipText(citation)));
        button.addEventListener("click", () => post({ type: "openCitation", citation }));
        return button;
    }

    /** @param {PassageLocation} passage */
    function passageSource(passage) {
        const { text, uri, ...place } = passage;
        return chip({ uri, ...place });
    }

    /**
     * A passage quoted by an extractive answer, the answer's own sentence in it marked.
     * @param {PassageLocation} passage @param {string} answer
     */
    function passageItem(passage, answer) {
        const at = answer ? passage.text.indexOf(answer) : -1;
        const quote = at < 0
            ? h("blockquote", null, passage.text)
            : h("blockquote", null, passage.text.slice(0, at), h("mark", null, answer), passage.text.slice(at + answer.length));
        return h("li", { class: "passage" }, quote, h("div", { class: "passage-source" }, passageSource(passage)));
    }

    /** What wrote the answer: the extractive mark, or the model (and the llama.cpp server). @param {ChatTurnRecord} turn */
    function engineMark(turn) {
        if (turn.engine === "extractive") {
            return h("div", { class: "engine extractive", role: "note", title: "No model wrote this: LlamaHome quoted the passages of your documents that best match the question." },
                h("strong", null, "Extractive"), " — quoted from your documents");
        }
        const model = turn.model ?? (turn.endpoint ? "a llama.cpp server" : "the local model");
        return h("div", { class: "engine llm", title: "A language model wrote this answer from the passages it cites." },
            "Generated by ", h("strong", null, model), turn.endpoint ? ` on ${turn.endpoint}` : "");
    }

    /** @param {ChatTurnRecord} turn */
    function footer(turn) {
        const figures = [
            turn.status === "done" && !turn.found ? (turn.engine === "llm" ? "model" : "extractive engine") : "",
            turn.ms ? duration(turn.ms) : "",
            turn.tokens ? `${turn.tokens} tokens` : "",
        ].filter(Boolean).join(" · ");
        const copy = h("button", { type: "button", class: "secondary small copy", title: "Copy the answer and its sources" }, "Copy");
        copy.addEventListener("click", () => post({ type: "copy", id: turn.id }));
        return h("div", { class: "turn-foot" }, h("span", { class: "figures" }, figures), turn.status !== "error" && turn.answer.trim() ? copy : null);
    }

    /** @param {ChatTurnRecord} turn */
    function answerBody(turn) {
        switch (turn.status) {
            case "pending":
                return [
                    turn.answer ? paragraphs(turn.answer) : null,
                    h("p", { class: "status" }, h("span", { class: "spinner", "aria-hidden": "true" }), restarts.has(turn.id) ? `Starting over (${restarts.get(turn.id)})…` : "Answering…"),
                ];
            case "stopped":
                return [turn.answer ? paragraphs(turn.answer) : null, h("p", { class: "status stopped" }, "Stopped.")];
            case "error": {
                const actions = turn.errorKind === "notRunning"
                    ? [commandButton("Restart Server", "llamahome.restartServer"), commandButton("Show Logs", "llamahome.showLogs")]
                    : [commandButton("Show Logs", "llamahome.showLogs")];
                return [h("div", { class: "error", role: "alert" }, h("p", null, turn.error ?? "The question could not be answered."), h("div", { class: "actions" }, ...actions))];
            }
            case "done": {
                // Not found: the server's own words, once (no separate notice saying the same).
                if (!turn.found) return [h("div", { class: "not-found", role: "note" }, paragraphs(turn.answer))];
                const passages = turn.passages ?? [];
                const body = turn.engine === "extractive"
                    ? [engineMark(turn), passages.length ? h("ol", { class: "passages" }, ...passages.map((p) => passageItem(p, turn.answer))) : h("blockquote", { class: "quote" }, turn.answer)]
                    : [engineMark(turn), paragraphs(turn.answer)];
                // An extractive answer's passages carry their sources; a model's answer lists what it cites.
                const sources = turn.engine !== "extractive" || !passages.length
                    ? turn.citations.length ? h("div", { class: "sources" }, h("span", { class: "label" }, "Sources"), ...turn.citations.map(chip)) : null
                    : null;
                return [...body, sources, turn.warning ? h("div", { class: "warning", role: "note" }, turn.warning) : null];
            }
        }
    }

    /** @param {string} label @param {import("../shared/chatMessages").ChatCommand} command */
    function commandButton(label, command) {
        const button = h("button", { type: "button", class: "secondary small" }, label);
        button.addEventListener("click", () => post({ type: "runCommand", command }));
        return button;
    }

    /** @param {ChatTurnRecord} turn */
    function turnElement(turn) {
        const question = h("div", { class: "question" },
            h("div", { class: "turn-head" }, h("span", { class: "who" }, "You"), h("time", { datetime: new Date(turn.time).toISOString(), title: new Date(turn.time).toString() }, clock(turn.time))),
            paragraphs(turn.question),
            turn.context ? h("details", { class: "context" }, h("summary", null, `Selection: ${turn.contextLabel ?? "editor text"}`), h("pre", null, turn.context)) : null,
        );
        const answer = h("div", { class: `answer status-${turn.status}` },
            h("div", { class: "turn-head" }, h("span", { class: "who" }, "LlamaHome")),
            ...answerBody(turn),
            turn.status === "pending" ? null : footer(turn),
        );
        return h("article", { class: "turn", "data-status": turn.status }, question, answer);
    }

    function emptyState() {
        return h("div", { class: "empty-chat" },
            h("p", null, h("strong", null, "Ask about your workspace's documents.")),
            h("p", null, "Answers quote or cite the documents they come from. Ask a follow-up and it is read in the light of the conversation."),
            h("p", null, "To ask about code or text in an editor, select it and choose Ask About Selection from the editor's context menu."));
    }

    function nearBottom() {
        return log.scrollHeight - log.scrollTop - log.clientHeight < 40;
    }

    function scrollToEnd() {
        log.scrollTop = log.scrollHeight;
    }

    function renderAll() {
        shown.clear();
        const elements = turns.map((turn) => {
            const element = turnElement(turn);
            shown.set(turn.id, element);
            return element;
        });
        log.replaceChildren(...(elements.length ? elements : [emptyState()]));
        renderControls();
        scrollToEnd();
    }

    /** @param {ChatTurnRecord} turn */
    function renderTurn(turn) {
        const follow = nearBottom();
        const element = turnElement(turn);
        const old = shown.get(turn.id);
        if (old) old.replaceWith(element);
        else {
            if (!shown.size) log.replaceChildren();
            log.append(element);
        }
        shown.set(turn.id, element);
        renderControls();
        if (follow || !old) scrollToEnd();
    }

    /** Stop while a question is in progress, Ask otherwise; the attached selection above the input. */
    function renderControls() {
        const pending = turns.some((turn) => turn.status === "pending");
        send.hidden = pending;
        stop.hidden = !pending;
        if (!attachment) {
            attachmentBox.hidden = true;
            attachmentBox.replaceChildren();
            return;
        }
        const remove = h("button", { type: "button", class: "remove", title: "Remove the selection", "aria-label": "Remove the selection" }, "×");
        remove.addEventListener("click", () => post({ type: "removeAttachment" }));
        attachmentBox.replaceChildren(
            h("div", { class: "attachment-head" }, h("span", { class: "label" }, `Selection: ${attachment.label}`), remove),
            h("pre", { class: "preview" }, attachment.text),
        );
        attachmentBox.hidden = false;
    }

    function submit() {
        const question = input.value.trim();
        if (!question || turns.some((turn) => turn.status === "pending")) return;
        post({ type: "ask", question });
        input.value = "";
        vscode.setState({ draft: "" });
    }

    form.addEventListener("submit", (event) => {
        event.preventDefault();
        submit();
    });
    input.addEventListener("keydown", (event) => {
        if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
            event.preventDefault();
            submit();
        }
    });
    input.addEventListener("input", () => vscode.setState({ draft: input.value }));
    stop.addEventListener("click", () => post({ type: "stop" }));

    window.addEventListener("message", (event) => {
        /** @type {ExtensionToChatMessage} */
        const message = event.data;
        switch (message.type) {
            case "snapshot":
                turns = message.snapshot.turns;
                attachment = message.snapshot.attachment;
                renderAll();
                if (message.focusInput) input.focus();
                break;
            case "turn": {
                const index = turns.findIndex((turn) => turn.id === message.turn.id);
                if (index < 0) turns.push(message.turn);
                else turns[index] = message.turn;
                if (message.turn.status !== "pending") restarts.delete(message.turn.id);
                renderTurn(message.turn);
                break;
            }
            case "stream": {
                const turn = turns.find((candidate) => candidate.id === message.id && candidate.status === "pending");
                if (!turn) break;
                turn.answer += message.text;
                renderTurn(turn);
                break;
            }
            case "restart": {
                const turn = turns.find((candidate) => candidate.id === message.id && candidate.status === "pending");
                if (!turn) break;
                turn.answer = "";
                restarts.set(turn.id, message.reason);
                renderTurn(turn);
                break;
            }
            case "attachment":
                attachment = message.attachment;
                renderControls();
                if (message.focusInput) input.focus();
                break;
            case "copied": {
                const button = shown.get(message.id)?.querySelector("button.copy");
                if (button) {
                    button.textContent = "Copied";
                    setTimeout(() => (button.textContent = "Copy"), 1500);
                }
                break;
            }
        }
    });

    // The conversation comes with the first snapshot (no empty-state flash before it).
    renderControls();
    post({ type: "ready" });
})();
