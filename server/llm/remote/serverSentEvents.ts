/**
 * Reads `data:` payloads of a server-sent event stream (what llama-server streams completions as), one string per
 * complete event. Bounded: an event longer than `maxEventBytes` is a protocol error, not unbounded memory.
 */
export async function* serverSentEvents(body: ReadableStream<Uint8Array>, maxEventBytes = 4 * 1024 * 1024): AsyncGenerator<string> {
    const decoder = new TextDecoder();
    const reader = body.getReader();
    let buffered = "";
    let data: string[] = [];
    try {
        for (;;) {
            const { done, value } = await reader.read();
            if (done) break;
            buffered += decoder.decode(value, { stream: true });
            if (buffered.length > maxEventBytes) throw new SyntaxError(`a server-sent event is longer than ${maxEventBytes} bytes`);
            let newline: number;
            while ((newline = buffered.indexOf("\n")) >= 0) {
                const line = buffered.slice(0, newline).replace(/\r$/, "");
                buffered = buffered.slice(newline + 1);
                if (line === "") {
                    if (data.length > 0) yield data.join("\n");
                    data = [];
                } else if (line.startsWith("data:")) data.push(line.slice(line.startsWith("data: ") ? 6 : 5));
                else if (line.startsWith("error:")) data.push(line);
                // "event:", "id:", "retry:" and ":" comments carry nothing a completion needs.
            }
        }
        // An event is complete only at its blank line: what is left at the end is half an event, and is dropped (the
        // caller then sees a stream that ended before its final event).
    } finally {
        reader.releaseLock();
        await body.cancel().catch(() => undefined);
    }
}
