// The Porter stemmer as NLTK implements it (nltk.stem.porter.PorterStemmer), in all three of NLTK's modes.
//
// rouge_score stems with `nltk.stem.porter.PorterStemmer()`, i.e. the default NLTK_EXTENSIONS mode, so that is our default
// too. ORIGINAL_ALGORITHM follows Porter (1980) "An algorithm for suffix stripping" to the letter; MARTIN_EXTENSIONS is
// the frozen version published on Martin Porter's site. Differences between the modes (all checked in the code below):
//   NLTK_EXTENSIONS only: a table of irregular forms (skies→sky, dying→die, news→news, …); "ies"→"ie" and "ied"→"ie" when
//     the word has four letters (dies→die, died→die) and "ied"→"i" otherwise (spied→spi); y→i only after a consonant
//     that is not the first letter (happy→happi, enjoy→enjoy); "alli"→"al" tried first, then step 2 again;
//     "fulli"→"ful"; "logi"→"log" measured with the "l" kept in the stem; *o also true for a two-letter "vc" stem.
//   NLTK and MARTIN: words of one or two letters are returned unchanged; "bli"→"ble" replaces the paper's "abli"→"able".
//   MARTIN only: "logi"→"log" with the usual m>0 test.
//   ORIGINAL only: step 1c is the paper's (*v*) Y→I (enjoy→enjoi).

/** Which variant of the algorithm to run, named as in NLTK. */
export type PorterStemmerMode = "NLTK_EXTENSIONS" | "MARTIN_EXTENSIONS" | "ORIGINAL_ALGORITHM";

export interface PorterStemmerOptions {
    /** Defaults to "NLTK_EXTENSIONS", the mode of `nltk.stem.porter.PorterStemmer()` that rouge_score uses. */
    mode?: PorterStemmerMode;
}

/** A suffix rule: [suffix, replacement, condition on the stem left after removing the suffix (null: always)]. */
type Rule = readonly [suffix: string, replacement: string, condition: ((stem: string) => boolean) | null];

/** The marker NLTK uses in a rule list for "ends with a double consonant" (*d). */
const DOUBLE_CONSONANT = "*d";

/** NLTK_EXTENSIONS only: words mapped straight to a stem, bypassing the algorithm. */
const IRREGULAR_FORMS: ReadonlyMap<string, string> = new Map([
    ["sky", "sky"],
    ["skies", "sky"],
    ["dying", "die"],
    ["lying", "lie"],
    ["tying", "tie"],
    ["news", "news"],
    ["innings", "inning"],
    ["inning", "inning"],
    ["outings", "outing"],
    ["outing", "outing"],
    ["cannings", "canning"],
    ["canning", "canning"],
    ["howe", "howe"],
    ["proceed", "proceed"],
    ["exceed", "exceed"],
    ["succeed", "succeed"],
]);

const VOWELS = new Set(["a", "e", "i", "o", "u"]);

/** Porter's definition: a letter other than a, e, i, o, u, and other than y preceded by a consonant. */
function isConsonant(word: string, i: number): boolean {
    // Walk back over a run of y's: y at 0 is a consonant, y after a consonant is a vowel, y after a vowel a consonant.
    let consonant = true;
    let start = i;
    while (start > 0 && word[start] === "y") start--;
    for (let k = start; k <= i; k++) {
        const ch = word[k];
        if (VOWELS.has(ch)) consonant = false;
        else if (ch === "y") consonant = k === 0 ? true : !consonant;
        else consonant = true;
    }
    return consonant;
}

/** m in [C](VC){m}[V]: the number of vowel→consonant transitions. */
function measure(stem: string): number {
    let m = 0;
    let previousVowel = false;
    for (let i = 0; i < stem.length; i++) {
        const consonant = isConsonant(stem, i);
        if (consonant && previousVowel) m++;
        previousVowel = !consonant;
    }
    return m;
}

function hasPositiveMeasure(stem: string): boolean {
    return measure(stem) > 0;
}

/** *v*: the stem contains a vowel. */
function containsVowel(stem: string): boolean {
    for (let i = 0; i < stem.length; i++) if (!isConsonant(stem, i)) return true;
    return false;
}

/** *d: the word ends with a double consonant. */
function endsDoubleConsonant(word: string): boolean {
    return word.length >= 2 && word[word.length - 1] === word[word.length - 2] && isConsonant(word, word.length - 1);
}

export class PorterStemmer {
    readonly mode: PorterStemmerMode;

    constructor(options: PorterStemmerOptions = {}) {
        const mode = options.mode ?? "NLTK_EXTENSIONS";
        if (mode !== "NLTK_EXTENSIONS" && mode !== "MARTIN_EXTENSIONS" && mode !== "ORIGINAL_ALGORITHM") {
            throw new RangeError(`unknown Porter stemmer mode "${String(mode)}" (expected NLTK_EXTENSIONS, MARTIN_EXTENSIONS or ORIGINAL_ALGORITHM)`);
        }
        this.mode = mode;
    }

    /** The stem of one word. Lowercases first, like NLTK's default `to_lowercase=True`. */
    stem(word: string): string {
        const lower = word.toLowerCase();
        if (this.mode === "NLTK_EXTENSIONS") {
            const irregular = IRREGULAR_FORMS.get(lower);
            if (irregular !== undefined) return irregular;
        }
        if (this.mode !== "ORIGINAL_ALGORITHM" && lower.length <= 2) return lower;
        let stem = this.step1a(lower);
        stem = this.step1b(stem);
        stem = this.step1c(stem);
        stem = this.step2(stem);
        stem = this.step3(stem);
        stem = this.step4(stem);
        stem = this.step5a(stem);
        return this.step5b(stem);
    }

    /** *o: the stem ends consonant-vowel-consonant, the last consonant not w, x or y (NLTK: or is a two-letter "vc"). */
    private endsCvc(word: string): boolean {
        const n = word.length;
        if (n >= 3 && isConsonant(word, n - 3) && !isConsonant(word, n - 2) && isConsonant(word, n - 1) && !"wxy".includes(word[n - 1])) return true;
        return this.mode === "NLTK_EXTENSIONS" && n === 2 && !isConsonant(word, 0) && isConsonant(word, 1);
    }

    /**
     * Applies the first rule whose suffix the word ends with. If that rule's condition fails, the word is returned
     * unchanged: later rules are not tried (this is how the paper's rule lists work, e.g. "feed" stays "feed").
     */
    private applyFirstMatchingRule(word: string, rules: readonly Rule[]): string {
        for (const [suffix, replacement, condition] of rules) {
            if (suffix === DOUBLE_CONSONANT) {
                if (!endsDoubleConsonant(word)) continue;
                const stem = word.slice(0, -2);
                return condition === null || condition(stem) ? stem + replacement : word;
            }
            if (!word.endsWith(suffix)) continue;
            const stem = word.slice(0, word.length - suffix.length);
            return condition === null || condition(stem) ? stem + replacement : word;
        }
        return word;
    }

    /** Plurals: caresses→caress, ponies→poni, caress→caress, cats→cat. */
    private step1a(word: string): string {
        if (this.mode === "NLTK_EXTENSIONS" && word.endsWith("ies") && word.length === 4) return word.slice(0, -3) + "ie";
        return this.applyFirstMatchingRule(word, [
            ["sses", "ss", null],
            ["ies", "i", null],
            ["ss", "ss", null],
            ["s", "", null],
        ]);
    }

    /** -eed, -ed, -ing: agreed→agree, plastered→plaster, motoring→motor, then the tidy-up (conflat→conflate, hopp→hop, fil→file). */
    private step1b(word: string): string {
        if (this.mode === "NLTK_EXTENSIONS" && word.endsWith("ied")) {
            return word.slice(0, -3) + (word.length === 4 ? "ie" : "i");
        }
        if (word.endsWith("eed")) {
            const stem = word.slice(0, -3);
            return measure(stem) > 0 ? stem + "ee" : word;
        }
        let intermediate: string | undefined;
        for (const suffix of ["ed", "ing"]) {
            if (word.endsWith(suffix)) {
                const stem = word.slice(0, word.length - suffix.length);
                if (containsVowel(stem)) {
                    intermediate = stem;
                    break;
                }
            }
        }
        if (intermediate === undefined) return word;
        const last = intermediate[intermediate.length - 1];
        return this.applyFirstMatchingRule(intermediate, [
            ["at", "ate", null],
            ["bl", "ble", null],
            ["iz", "ize", null],
            [DOUBLE_CONSONANT, last, () => last !== "l" && last !== "s" && last !== "z"],
            ["", "e", (stem) => measure(stem) === 1 && this.endsCvc(stem)],
        ]);
    }

    /** Terminal y→i: happy→happi, sky→sky. */
    private step1c(word: string): string {
        const condition =
            this.mode === "NLTK_EXTENSIONS"
                ? (stem: string) => stem.length > 1 && isConsonant(stem, stem.length - 1)
                : (stem: string) => containsVowel(stem);
        return this.applyFirstMatchingRule(word, [["y", "i", condition]]);
    }

    /** Double suffixes to single ones when m > 0: relational→relate, conditional→condition, vietnamization→vietnamize. */
    private step2(word: string): string {
        if (this.mode === "NLTK_EXTENSIONS" && word.endsWith("alli") && hasPositiveMeasure(word.slice(0, -4))) {
            return this.step2(word.slice(0, -4) + "al");
        }
        const m = hasPositiveMeasure;
        const rules: Rule[] = [
            ["ational", "ate", m],
            ["tional", "tion", m],
            ["enci", "ence", m],
            ["anci", "ance", m],
            ["izer", "ize", m],
            this.mode === "ORIGINAL_ALGORITHM" ? ["abli", "able", m] : ["bli", "ble", m],
            ["alli", "al", m],
            ["entli", "ent", m],
            ["eli", "e", m],
            ["ousli", "ous", m],
            ["ization", "ize", m],
            ["ation", "ate", m],
            ["ator", "ate", m],
            ["alism", "al", m],
            ["iveness", "ive", m],
            ["fulness", "ful", m],
            ["ousness", "ous", m],
            ["aliti", "al", m],
            ["iviti", "ive", m],
            ["biliti", "ble", m],
        ];
        if (this.mode === "NLTK_EXTENSIONS") {
            rules.push(["fulli", "ful", m]);
            // The "l" of "logi" stays with the stem for the measure, so that geo-, theo- work like archaeo-, philo-.
            rules.push(["logi", "log", () => hasPositiveMeasure(word.slice(0, -3))]);
        } else if (this.mode === "MARTIN_EXTENSIONS") {
            rules.push(["logi", "log", m]);
        }
        return this.applyFirstMatchingRule(word, rules);
    }

    /** -ic-, -ful, -ness etc. when m > 0: triplicate→triplic, formative→form, hopeful→hope, goodness→good. */
    private step3(word: string): string {
        const m = hasPositiveMeasure;
        return this.applyFirstMatchingRule(word, [
            ["icate", "ic", m],
            ["ative", "", m],
            ["alize", "al", m],
            ["iciti", "ic", m],
            ["ical", "ic", m],
            ["ful", "", m],
            ["ness", "", m],
        ]);
    }

    /** Removes -ant, -ence etc. when m > 1: revival→reviv, adjustment→adjust, adoption→adopt. */
    private step4(word: string): string {
        const m1 = (stem: string) => measure(stem) > 1;
        return this.applyFirstMatchingRule(word, [
            ["al", "", m1],
            ["ance", "", m1],
            ["ence", "", m1],
            ["er", "", m1],
            ["ic", "", m1],
            ["able", "", m1],
            ["ible", "", m1],
            ["ant", "", m1],
            ["ement", "", m1],
            ["ment", "", m1],
            ["ent", "", m1],
            ["ion", "", (stem) => measure(stem) > 1 && (stem.endsWith("s") || stem.endsWith("t"))],
            ["ou", "", m1],
            ["ism", "", m1],
            ["ate", "", m1],
            ["iti", "", m1],
            ["ous", "", m1],
            ["ive", "", m1],
            ["ize", "", m1],
        ]);
    }

    /** Final -e: probate→probat, rate→rate, cease→ceas. Both conditions are tried (unlike other rule lists). */
    private step5a(word: string): string {
        if (!word.endsWith("e")) return word;
        const stem = word.slice(0, -1);
        const m = measure(stem);
        if (m > 1) return stem;
        if (m === 1 && !this.endsCvc(stem)) return stem;
        return word;
    }

    /** -ll → -l when m > 1: controll→control, roll→roll. */
    private step5b(word: string): string {
        return this.applyFirstMatchingRule(word, [["ll", "l", () => measure(word.slice(0, -1)) > 1]]);
    }
}
