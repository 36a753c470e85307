// Text that came from documents (titles, file names, snippets, summaries, answers) printed for a person to read.
// A document can hold terminal control sequences: ESC ]0;…BEL retitles the window, ESC [2J clears the screen, and
// others rewrite what was printed before. Control characters are shown as visible escapes (\x1b) instead, so the
// sequence reads as text and does nothing; line breaks are kept only where the text is meant to span lines. JSON
// output is never passed through here: JSON.stringify already escapes control characters, and tools reading it need
// the exact strings.

// C0 controls, DEL and the C1 controls (U+0080–U+009F: U+009B is a one-character CSI on some terminals).
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
const CONTROL_EXCEPT_TAB_NEWLINE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;
// U+2028/U+2029 end a line in some terminals and editors; a single line must not have them either.
const LINE_BREAKS = /[\t\n\v\f\r\u2028\u2029]+/g;

function visible(control: string): string {
    return `\\x${control.charCodeAt(0).toString(16).padStart(2, "0")}`;
}

/** One line (a title, a path, a snippet, a reason): line breaks and tabs become a space, other controls \xNN. */
export function terminalLine(text: string): string {
    return text.replace(LINE_BREAKS, " ").replace(CONTROL, visible);
}

/**
 * Multi-line text (a streamed summary or answer): newlines and tabs stay; a carriage return is dropped (alone it
 * would let later text overwrite the line; \r\n is a newline either way, even split across two streamed pieces);
 * other controls become \xNN.
 */
export function terminalText(text: string): string {
    return text.replace(/\r/g, "").replace(CONTROL_EXCEPT_TAB_NEWLINE, visible);
}

/**
 * What a command streams to the terminal (nothing with --json): quoted from the documents or written by a model
 * reading them, so printed inert. When a server died mid-answer and another starts over, the terminal says so first.
 */
export function streamToTerminal(json: boolean): { onText?: (text: string) => void; onRestart?: (reason: string) => void } {
    if (json) return {};
    return {
        onText: (text) => process.stdout.write(terminalText(text)),
        onRestart: (reason) => process.stdout.write(`\n[the answer starts over: ${terminalText(reason)}]\n`),
    };
}
