// File names are bytes on Linux; the index, its JSON and every message hold them as text. A name that is not valid
// UTF-8 decodes to U+FFFD replacement characters, a different name that opens nothing, so it is told apart here.

/** The name as text, or undefined when its bytes are not valid UTF-8. Costs one allocation only for names with U+FFFD. */
export function utf8FileName(raw: Buffer): string | undefined {
    const name = raw.toString("utf8");
    // A valid name may hold U+FFFD itself: only then does the round trip decide.
    if (name.includes("\uFFFD") && !Buffer.from(name, "utf8").equals(raw)) return undefined;
    return name;
}

/** The name for a person to read: valid UTF-8 as it is, every byte that is not as \xNN (f\xff.txt). */
export function readableFileName(raw: Buffer): string {
    let text = "";
    let at = 0;
    while (at < raw.length) {
        const length = utf8SequenceLength(raw, at);
        if (length === 0) {
            text += `\\x${raw[at]!.toString(16).padStart(2, "0")}`;
            at += 1;
        } else {
            text += raw.toString("utf8", at, at + length);
            at += length;
        }
    }
    return text;
}

/** Bytes in the well-formed UTF-8 sequence starting at `at` (Unicode table 3-7), or 0 when there is none. */
function utf8SequenceLength(bytes: Buffer, at: number): number {
    const lead = bytes[at]!;
    if (lead < 0x80) return 1;
    const length = lead >= 0xc2 && lead <= 0xdf ? 2 : lead >= 0xe0 && lead <= 0xef ? 3 : lead >= 0xf0 && lead <= 0xf4 ? 4 : 0;
    if (length === 0 || at + length > bytes.length) return 0;
    for (let i = 1; i < length; i++) if ((bytes[at + i]! & 0xc0) !== 0x80) return 0;
    const second = bytes[at + 1]!;
    // overlong forms, UTF-16 surrogates and code points past U+10FFFF
    if ((lead === 0xe0 && second < 0xa0) || (lead === 0xed && second > 0x9f) || (lead === 0xf0 && second < 0x90) || (lead === 0xf4 && second > 0x8f)) return 0;
    return length;
}
