// Where a passage's section starts: its heading says what the sentences under it are about ("10.7. Version 4.4.1" over
// "doc-base registration is now optional"), though they do not repeat it.

// "Upstream-Contact: optional", "Priority: required": a field's line states a fact about the field (its value).
export const fieldLine = /^([\p{L}][\p{L}\p{N}_.-]*(?:[ -][\p{L}\p{N}_.-]+){0,2}):\s+\S/u;

/**
 * A line that heads a section: short, no closing punctuation, not a field's line ("Test-Command: shell command"), a
 * section number, no digits, or a word and a number ("10.7. Version 4.4.1¶", "Virtual consoles", "Version 4.5.0").
 */
export function isSectionHeading(text: string): boolean {
    const plain = text.replace(/[¶#]+$/, "").trim();
    return plain.length <= 80 && /\p{L}/u.test(plain) && !/[.!?…:;,"'”’)\]]$/.test(plain) && !fieldLine.test(plain) && (/^\d+(?:\.\d+)*\.?\s/.test(plain) || !/\d/.test(plain) || /^\p{Lu}\p{Ll}+ v?\d+(?:\.\d+)*$/u.test(plain));
}

/**
 * The stricter test the extractive engine uses to stop a passage or a list: a short line of words (60 characters, no
 * digits) without closing punctuation, when it stands alone as a sentence. isSectionHeading also takes numbered and
 * versioned headings ("10.7. Version 4.4.1"), for what a section is about, not where a passage ends.
 */
export function isHeading(text: string): boolean {
    return text.length <= 60 && !/\d/.test(text) && !/[.!?…:;,"'”’)\]]$/.test(text);
}
