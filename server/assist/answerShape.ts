// What an answer looks like on the page, from how the question asks for it: a date for "when", a number with its unit
// for "how long", a deciding word (required, optional, must not…) for yes/no, a definition for "what is", a command
// for "which command". A passage of that shape is preferred among those that cover the question.
import { tokenize } from "../core/tokenize";
import { definedTerm, definitionPattern } from "../core/definitions";

const month = "(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*";

export interface AnswerShape {
    /** What the answer looks like on the page. */
    pattern: RegExp;
    /** Terms of the question that the answer decides rather than repeats (yes/no questions). */
    decides?: Set<string>;
    /** What the answer looks like when it says exactly what is asked (a length with its unit): worth more (extractiveAnswer's preciseBonus). */
    precise?: RegExp;
}

const units = "(?:characters?|chars|bytes?|[kmgt]i?b|lines?|words?|columns?|letters?|digits?|seconds?|minutes?|hours?|days?|weeks?|months?|years?|metres?|meters?|km|miles?|percent|%)";
const numberWord = "(?:\\d[\\d,.]*|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty|sixty|hundred|thousand)";

/** What a length or a size is said with: a number and its unit ("under 80 characters", "four weeks"). */
function lengthWithUnit(q: string): RegExp | undefined {
    if (!/\bhow (?:long|big|large|old|far)\b|\b(?:length|size|maximum|minimum)\b/.test(q)) return undefined;
    return new RegExp(`\\b${numberWord}[\\s-]*${units}(?![\\w])`, "i");
}

// A yes/no question's deciding words: the answer says one of them (or its opposite) about the subject.
const decidingTerms = new Set(tokenize("required optional mandatory compulsory necessary allowed permitted forbidden prohibited recommended needed"));

// What a question asks for by naming its kind ("which command", "what analogy"), and how that kind reads on a page.
const askedKinds: [asks: RegExp, pattern: RegExp][] = [
    // a command line (a shell prompt, a manual page's name), not prose about it
    [/\b(?:which|what) command\b/, /(?:^|\s)[#$]\s+[a-z]|\b[a-z][\w.-]*\(\d\)/],
    [/\b(?:analogy|metaphor|likened)\b/, /\blike an?\b|\bas if\b|\bsimilar to\b|\bakin to\b|\banalog/i],
    // "1.0.1-1~rc1", "2.3.4": a version, with the suffix that makes it one when it has few dots
    [/\bversion (?:string|number)\b|\b(?:what|which) version\b/, /\b\d+(?:\.\d+)*[-~+][\w.~+]*\d|\b\d+\.\d+\.\d+/],
    [/\bfirst (?:step|thing)\b/, /(?:^|\s)1[.)]\s+\p{Lu}|\bfirst(?:ly)?,/u],
    // "which keywords are allowed", "what values": a list of three or more, "low, medium, high, critical, or emergency"
    [/\b(?:which|what) (?:[a-z-]+ )?(?:keywords|values|options|architectures|choices|levels|priorities|types|sections|areas)\b/, /\b[\w-]+, [\w-]+,? (?:and|or) [\w-]+\b|\b[\w-]+, [\w-]+, [\w-]+, [\w-]+/],
    // "which compatibility level", "what priority", "which user ID": a number says it
    [/\b(?:what|which) (?:[a-z-]+ ){0,2}(?:level|priority|port|uid|gid|id|number)\b/, /(?<![\w.])\d+(?![\w.]*\d)/],
];

export interface TextTest {
    test(text: string): boolean;
}

/** Text of the expected shape that the question does not itself say ("1.0.1-1~rc1" when it asks what comes before "1.0.1-1"). */
export function newShapeIn(pattern: RegExp, question: string): TextTest {
    const asked = question.toLowerCase();
    const all = new RegExp(pattern.source, pattern.flags.includes("g") ? pattern.flags : `${pattern.flags}g`);
    return {
        test: (text) => {
            for (const match of text.matchAll(all)) if (!asked.includes(match[0].trim().toLowerCase())) return true;
            return false;
        },
    };
}

/** What an answer to this question looks like on the page, when the question word says so. */
export function expectedAnswerShape(question: string): AnswerShape | undefined {
    const q = question.toLowerCase().trim();
    // a year answers "which year"; "when" wants more than the year a title carries ("Annual General Meeting 2025")
    if (/\b(?:what|which) year\b|\bin what year\b/.test(q)) return { pattern: /\b(?:19|20)\d{2}\b/ };
    // "when was…" asks for a date; "when it comes to uploading", "when a version is released, what…" and "when does X
    // become mandatory" (a condition) do not
    if (/(?:^|\band |, )when (?:was|were|did|is|are|will|and)\b|\bwhat (?:date|day|time)\b/.test(q)) {
        return {
            pattern: new RegExp(`\\b(?:\\d{1,2}(?:st|nd|rd|th)? ${month}|${month} \\d{1,2}|${month} \\d{4}|\\d{4}-\\d{2}-\\d{2}|(?:mon|tues|wednes|thurs|fri|satur|sun)day|\\d{1,2}[:.]\\d{2}\\s*(?:am|pm))`, "i"),
            // a whole date, with its year, says exactly when ("March 19, 2015", not "February 14," cut from its year)
            precise: new RegExp(`\\b(?:\\d{1,2}(?:st|nd|rd|th)? ${month},? \\d{4}|${month} \\d{1,2}(?:st|nd|rd|th)?,? \\d{4}|\\d{4}-\\d{2}-\\d{2})\\b`, "i"),
        };
    }
    // "When does the Uploaders field become mandatory?", "When do I have to pass -sa?": a condition answers ("if the
    // Maintainer field names a group…")
    if (/^when (?:does|do|must|should|can|may|would)\b/.test(q)) return { pattern: /\b(?:if|unless|whenever|as long as|in case|only when)\b/i };
    for (const [asks, pattern] of askedKinds) if (asks.test(q)) return { pattern };
    if (/\bhow much\b|\bcost\b|\bprice\b/.test(q)) return { pattern: /[£$€¥]\s?\d|\d\s?(?:pounds|dollars|euros)\b/i };
    if (/\bhow (?:many|long|far|big|old|often|large|small|deep|high|wide|tall|heavy|fast)\b|\bwhat (?:number|size|length|percentage)\b|\bhow much (?:time|space|memory)\b|\b(?:largest|biggest|smallest|maximum|minimum|highest|lowest)\b/.test(q)) {
        // "how long": a length has its unit ("under 80 characters"); "two parts" is no length
        const length = lengthWithUnit(q);
        if (length) return { pattern: length, precise: length };
        return { pattern: /\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty|sixty|hundred|thousand|dozen|once|twice)\b/i };
    }
    if (/^(?:is|are|does|do|did|can|could|must|should|may|will|would|has|have|was|were|shall)\b/.test(q)) {
        return {
            pattern: /\b(?:required|optional|mandatory|must|should|may|shall|not|never|allowed|permitted|forbidden|prohibited|recommended|yes|no)\b/i,
            decides: new Set([...decidingTerms].filter((term) => tokenize(q).includes(term))),
        };
    }
    const defined = definedTerm(question);
    return defined ? { pattern: definitionPattern(defined) } : undefined;
}
