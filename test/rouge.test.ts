// ROUGE with rouge_score's semantics: the Porter stemmer (NLTK modes), tokenizing, ROUGE-N/L/Lsum on hand-computed
// vectors, the bootstrap aggregate (numpy-compatible, seeded) and the `eval rouge` command on JSONL files.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { evalRougeCommand } from "../server/cli/commands/evalRougeCommand";
import { bootstrapAggregate, percentile } from "../server/eval/bootstrapAggregate";
import { evaluateRouge } from "../server/eval/evaluateRouge";
import { Mt19937 } from "../server/eval/Mt19937";
import { parseRougePairs } from "../server/eval/parseRougePairs";
import { PorterStemmer, type PorterStemmerMode } from "../server/eval/PorterStemmer";
import { RougePairsError } from "../server/eval/RougePairsError";
import { RougeScorer, rougeTokenize, type RougeType, type Score } from "../server/eval/RougeScorer";

const ALL_TYPES = ["rouge1", "rouge2", "rougeL", "rougeLsum"] as const;
const ZERO: Score = { precision: 0, recall: 0, fmeasure: 0 };
const ONE: Score = { precision: 1, recall: 1, fmeasure: 1 };

/** P, R and F within 1e-12 of the hand-computed fractions. */
function assertScore(actual: Score, expected: [precision: number, recall: number, fmeasure: number], label: string): void {
    const [precision, recall, fmeasure] = expected;
    for (const [name, got, want] of [["precision", actual.precision, precision], ["recall", actual.recall, recall], ["fmeasure", actual.fmeasure, fmeasure]] as const) {
        assert.ok(Math.abs(got - want) < 1e-12, `${label} ${name}: got ${got}, expected ${want}`);
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Porter stemmer

test("Porter stemmer: the examples of Porter (1980), run through the whole algorithm, in every NLTK mode", () => {
    // Each step's examples from the paper, with the final stem after all steps (a step's example output can be shortened
    // further by later steps: relational→relate in step 2, then step 5a drops the e → relat).
    const paper: [string, string][] = [
        // Step 1a
        ["caresses", "caress"], ["ponies", "poni"], ["caress", "caress"], ["cats", "cat"],
        // Step 1b, and its tidy-up of -at/-bl/-iz, double consonants and short cvc stems
        ["feed", "feed"], ["agreed", "agre"], ["plastered", "plaster"], ["bled", "bled"], ["motoring", "motor"], ["sing", "sing"],
        ["conflated", "conflat"], ["troubled", "troubl"], ["sized", "size"], ["hopping", "hop"], ["tanned", "tan"],
        ["falling", "fall"], ["hissing", "hiss"], ["fizzed", "fizz"], ["failing", "fail"], ["filing", "file"],
        // Step 1c
        ["happy", "happi"], ["sky", "sky"],
        // Step 2
        ["relational", "relat"], ["conditional", "condit"], ["rational", "ration"], ["valenci", "valenc"], ["hesitanci", "hesit"],
        ["digitizer", "digit"], ["conformabli", "conform"], ["radicalli", "radic"], ["differentli", "differ"], ["vileli", "vile"],
        ["analogousli", "analog"], ["vietnamization", "vietnam"], ["predication", "predic"], ["operator", "oper"],
        ["feudalism", "feudal"], ["decisiveness", "decis"], ["hopefulness", "hope"], ["callousness", "callous"],
        ["formaliti", "formal"], ["sensitiviti", "sensit"], ["sensibiliti", "sensibl"],
        // Step 3
        ["triplicate", "triplic"], ["formative", "form"], ["formalize", "formal"], ["electriciti", "electr"],
        ["electrical", "electr"], ["hopeful", "hope"], ["goodness", "good"],
        // Step 4
        ["revival", "reviv"], ["allowance", "allow"], ["inference", "infer"], ["airliner", "airlin"], ["gyroscopic", "gyroscop"],
        ["adjustable", "adjust"], ["defensible", "defens"], ["irritant", "irrit"], ["replacement", "replac"],
        ["adjustment", "adjust"], ["dependent", "depend"], ["adoption", "adopt"], ["homologou", "homolog"], ["communism", "commun"],
        ["activate", "activ"], ["angulariti", "angular"], ["homologous", "homolog"], ["effective", "effect"], ["bowdlerize", "bowdler"],
        // Step 5
        ["probate", "probat"], ["rate", "rate"], ["cease", "ceas"], ["controll", "control"], ["roll", "roll"],
        // Whole words through several steps
        ["generalization", "gener"], ["generalizations", "gener"], ["oscillators", "oscil"], ["running", "run"], ["runs", "run"],
    ];
    for (const mode of ["ORIGINAL_ALGORITHM", "MARTIN_EXTENSIONS", "NLTK_EXTENSIONS"] as PorterStemmerMode[]) {
        const stemmer = new PorterStemmer({ mode });
        for (const [word, stem] of paper) assert.equal(stemmer.stem(word), stem, `${mode}: ${word}`);
    }
});

test("Porter stemmer: NLTK_EXTENSIONS (what rouge_score uses) departs from the paper exactly where NLTK documents it", () => {
    // [word, ORIGINAL_ALGORITHM, MARTIN_EXTENSIONS, NLTK_EXTENSIONS]
    const cases: [string, string, string, string][] = [
        ["ties", "ti", "ti", "tie"], // NLTK: four-letter -ies → -ie
        ["dies", "di", "di", "die"],
        ["died", "di", "di", "die"], // NLTK: four-letter -ied → -ie …
        ["spied", "spi", "spi", "spi"], // … longer -ied → -i
        ["enjoy", "enjoi", "enjoi", "enjoy"], // NLTK: y → i only after a consonant
        ["fly", "fly", "fly", "fli"], // … and without the paper's "stem contains a vowel" test
        ["skies", "ski", "ski", "sky"], // NLTK irregular forms
        ["dying", "dy", "dy", "die"],
        ["news", "new", "new", "news"],
        ["proceed", "proce", "proce", "proceed"],
        ["geology", "geologi", "geologi", "geolog"], // NLTK: -logi → -log measured with the "l"
        ["archaeology", "archaeologi", "archaeolog", "archaeolog"], // Martin: -logi → -log with m > 0
    ];
    const stemmers = (["ORIGINAL_ALGORITHM", "MARTIN_EXTENSIONS", "NLTK_EXTENSIONS"] as PorterStemmerMode[]).map((mode) => new PorterStemmer({ mode }));
    for (const [word, ...expected] of cases) {
        assert.deepEqual(stemmers.map((stemmer) => stemmer.stem(word)), expected, word);
    }
    assert.equal(new PorterStemmer().mode, "NLTK_EXTENSIONS", "the default is rouge_score's mode");
});

test("Porter stemmer: NLTK's own documented outputs (stem.doctest, the 'oed' regression, lowercasing)", () => {
    const stemmer = new PorterStemmer();
    const plurals = "caresses flies dies mules denied died agreed owned humbled sized meeting stating siezing itemization sensational traditional reference colonizer plotted";
    assert.equal(plurals.split(" ").map((word) => stemmer.stem(word)).join(" "), "caress fli die mule deni die agre own humbl size meet state siez item sensat tradit refer colon plot");
    assert.equal(stemmer.stem("oed"), "o");
    assert.equal(stemmer.stem("Github"), "github");
    assert.equal(stemmer.stem("On"), "on", "one- and two-letter words are returned (lowercased) untouched");
    assert.throws(() => new PorterStemmer({ mode: "SNOWBALL" as PorterStemmerMode }), RangeError);
});

// ---------------------------------------------------------------------------------------------------------------
// Tokenizing

test("tokens: lowercased, every run of non-[a-z0-9] characters is a separator, accented letters included", () => {
    assert.deepEqual(rougeTokenize("The Cat's £16,500 -- CAFÉ\tnaïve\n2024!"), ["the", "cat", "s", "16", "500", "caf", "na", "ve", "2024"]);
    // U+212A KELVIN SIGN lowercases to an ASCII k in Python and JavaScript alike.
    assert.deepEqual(rougeTokenize("\u212Aelvin"), ["kelvin"]);
    assert.deepEqual(rougeTokenize(" ... \n "), []);
});

test("tokens: with stemming only words longer than 3 characters are stemmed", () => {
    const scorer = new RougeScorer({ stem: true });
    // cats (4) → cat, running → run, dogs (4) → dog; was (3) and the (3) are left alone.
    assert.deepEqual(scorer.tokenize("The cats was running, dogs!"), ["the", "cat", "was", "run", "dog"]);
    assert.equal(new PorterStemmer().stem("was"), "wa", "the stemmer itself would change 'was'");
    assert.deepEqual(new RougeScorer().tokenize("The cats was running"), ["the", "cats", "was", "running"], "no stemming by default");
});

// ---------------------------------------------------------------------------------------------------------------
// ROUGE-N, ROUGE-L, ROUGE-Lsum

test("identical texts score 1 on every variant; texts with no word in common score 0", () => {
    const scorer = new RougeScorer();
    const text = "The hens are fed.\nThe gate is locked.";
    const same = scorer.score(text, text);
    for (const type of ALL_TYPES) assert.deepEqual(same[type], ONE, type);
    const none = scorer.score("apples and pears", "the gate is locked");
    for (const type of ALL_TYPES) assert.deepEqual(none[type], ZERO, type);
});

test("rouge_score's own unit vectors: 'testing one two' against shorter predictions", () => {
    const scorer = new RougeScorer();
    // rouge1, target [testing one two], prediction [testing]: overlap 1; P = 1/1, R = 1/3, F = 2·1·⅓ / (1 + ⅓) = ½.
    assertScore(scorer.score("testing one two", "testing").rouge1, [1, 1 / 3, 1 / 2], "rouge1");
    // rouge2, target bigrams {testing one, one two}, prediction {testing one}: overlap 1; P = 1/1, R = 1/2, F = 2·½/(3/2) = ⅔.
    assertScore(scorer.score("testing one two", "testing one").rouge2, [1, 1 / 2, 2 / 3], "rouge2");
    // rougeL, prediction [testing two]: LCS "testing two" = 2 although the words are not adjacent in the target;
    // P = 2/2, R = 2/3, F = 2·⅔/(5/3) = ⅘.
    assertScore(scorer.score("testing one two", "testing two").rougeL, [1, 2 / 3, 4 / 5], "rougeL");
});

test("rougeN clips each n-gram's count to its count in the target", () => {
    const scores = new RougeScorer().score("the cat sat on the mat", "the the the the");
    // Target has "the" twice, the prediction four times: overlap min(2, 4) = 2, not 4.
    // P = 2/4 = ½, R = 2/6 = ⅓, F = 2·½·⅓ / (½ + ⅓) = ⅓ / (5/6) = 0.4.
    assertScore(scores.rouge1, [1 / 2, 1 / 3, 0.4], "rouge1");
    // Prediction bigrams are "the the" ×3, none of which is in the target.
    assert.deepEqual(scores.rouge2, ZERO);
    // LCS "the … the" = 2, the same fractions as rouge1.
    assertScore(scores.rougeL, [1 / 2, 1 / 3, 0.4], "rougeL");
});

test("rouge1 and rouge2 on a prediction that drops one word", () => {
    const scores = new RougeScorer().score("the cat sat on the mat", "the cat on the mat");
    // Unigrams: the 2, cat 1, on 1, mat 1 → overlap 5 of 5 predicted, 6 in the target.
    // P = 5/5 = 1, R = 5/6, F = 2·1·(5/6) / (11/6) = 10/11.
    assertScore(scores.rouge1, [1, 5 / 6, 10 / 11], "rouge1");
    // Target bigrams: the cat, cat sat, sat on, on the, the mat (5); predicted: the cat, cat on, on the, the mat (4).
    // Overlap 3 (the cat, on the, the mat): P = 3/4, R = 3/5, F = 2·0.45 / 1.35 = ⅔.
    assertScore(scores.rouge2, [3 / 4, 3 / 5, 2 / 3], "rouge2");
    assertScore(scores.rougeL, [1, 5 / 6, 10 / 11], "rougeL: the LCS is the whole prediction");
});

test("case and punctuation do not matter", () => {
    const scores = new RougeScorer().score("The cat sat on the mat.", "THE CAT -- sat, on the... MAT!");
    for (const type of ALL_TYPES) assert.deepEqual(scores[type], ONE, type);
});

test("rougeL follows word order where rouge1 only counts words (Lin 2004's police/gunman example)", () => {
    const scores = new RougeScorer().score("police killed the gunman", "the gunman killed police");
    // Same four words: rouge1 P = R = F = 1.
    assert.deepEqual(scores.rouge1, ONE);
    // Target bigrams: police killed, killed the, the gunman; predicted: the gunman, gunman killed, killed police.
    // Overlap 1: P = R = F = ⅓.
    assertScore(scores.rouge2, [1 / 3, 1 / 3, 1 / 3], "rouge2");
    // Longest common subsequence "the gunman" = 2 (after "killed" the prediction has only "police", which comes before
    // "killed" in the target): P = R = F = 2/4.
    assertScore(scores.rougeL, [1 / 2, 1 / 2, 1 / 2], "rougeL");
});

test("rougeLsum takes the union of LCSs over the prediction's sentences (Lin 2004 §3.2, rouge_score's example)", () => {
    const scorer = new RougeScorer();
    // rouge_score's own test: target r = w1 w2 w3 w4 w5; prediction sentences c1 = w1 w2 w6 w7 w8, c2 = w1 w3 w8 w9 w5.
    // LCS(r, c1) = w1 w2, LCS(r, c2) = w1 w3 w5, union = w1 w2 w3 w5 = 4 hits.
    // R = 4/5 = 0.8, P = 4/10 = 0.4, F = 2·0.32 / 1.2 = 0.5333….
    assertScore(scorer.score("w1 w2 w3 w4 w5", "w1 w2 w6 w7 w8\nw1 w3 w8 w9 w5").rougeLsum, [0.4, 0.8, 8 / 15], "rougeLsum");

    // The same sentences in the other order: union-LCS does not care, plain LCS does.
    const swapped = scorer.score("w1 w2 w3 w4 w5", "w1 w3 w8 w9 w5\nw1 w2 w6 w7 w8");
    assertScore(swapped.rougeLsum, [0.4, 0.8, 8 / 15], "rougeLsum, sentences swapped");
    // Plain LCS of w1 w2 w3 w4 w5 with w1 w3 w8 w9 w5 w1 w2 w6 w7 w8 is w1 w3 w5 = 3:
    // P = 3/10, R = 3/5, F = 2·0.18 / 0.9 = 0.4.
    assertScore(swapped.rougeL, [0.3, 0.6, 0.4], "rougeL");
});

test("rougeLsum never counts a token more often than it occurs (ROUGE 1.5.5's guard)", () => {
    // Target sentences "a b" and "a b"; prediction "a b". Each target sentence's LCS is "a b", so the paper's formula
    // would count 4 hits for a 2-token prediction. With the guard: the first sentence takes the prediction's only a and
    // b (2 hits), the second finds none left. R = 2/4, P = 2/2, F = 2·½ / (3/2) = ⅔.
    assertScore(new RougeScorer({ types: ["rougeLsum"] }).score("a b\na b", "a b").rougeLsum, [1, 1 / 2, 2 / 3], "rougeLsum");
});

test("rougeLsum picks the same LCS as rouge_score when there are several", () => {
    // Target "a b"; prediction sentences "b a" and "b". LCS("a b", "b a") has length 1 and could be a or b: rouge_score's
    // backtracking moves up on a tie and so takes "a". With "b" from the second sentence, the union is a b: 2 hits.
    // R = 2/2 = 1, P = 2/3, F = 2·⅔ / (5/3) = 0.8. (Taking "b" for the first sentence would give 1 hit and F = 0.4.)
    assertScore(new RougeScorer().score("a b", "b a\nb").rougeLsum, [2 / 3, 1, 0.8], "rougeLsum");
});

test("empty texts score 0: empty target, empty prediction, both, punctuation only, blank lines", () => {
    const scorer = new RougeScorer();
    for (const [target, prediction] of [["", "testing one two"], ["testing one two", ""], ["", ""], ["w1 w2 w3 w4 w5", "/"], ["\n\n", "w1"]]) {
        const scores = scorer.score(target, prediction);
        for (const type of ALL_TYPES) assert.deepEqual(scores[type], ZERO, `${type} for ${JSON.stringify([target, prediction])}`);
    }
    // One identical word: rouge1 is 1, but neither text has a bigram, so rouge2 is 0/max(0, 1) = 0, as in rouge_score.
    const single = scorer.score("hens", "hens");
    assert.deepEqual(single.rouge1, ONE);
    assert.deepEqual(single.rouge2, ZERO);
});

test("stemming makes inflected forms match; it is off by default", () => {
    const target = "The cats are running";
    const prediction = "A cat runs.";
    // Without stemming: [the, cats, are, running] and [a, cat, runs] share nothing.
    const plain = new RougeScorer().score(target, prediction);
    for (const type of ALL_TYPES) assert.deepEqual(plain[type], ZERO, type);
    // With stemming: [the, cat, are, run] and [a, cat, run] share cat and run.
    // rouge1: P = 2/3, R = 2/4, F = 2·⅓ / (7/6) = 4/7; rouge2: bigrams (a cat, cat run) vs (the cat, cat are, are run) = 0;
    // rougeL and rougeLsum: LCS "cat run" = 2, the same as rouge1.
    const stemmed = new RougeScorer({ stem: true }).score(target, prediction);
    assertScore(stemmed.rouge1, [2 / 3, 1 / 2, 4 / 7], "rouge1");
    assert.deepEqual(stemmed.rouge2, ZERO);
    assertScore(stemmed.rougeL, [2 / 3, 1 / 2, 4 / 7], "rougeL");
    assertScore(stemmed.rougeLsum, [2 / 3, 1 / 2, 4 / 7], "rougeLsum");
    // Words of 3 letters or fewer are never stemmed: "was" stays "was" (the stemmer alone would give "wa") …
    assert.deepEqual(new RougeScorer({ stem: true }).score("was", "wa").rouge1, ZERO);
    // … while "dies" (4 letters) becomes "die" and matches.
    assert.deepEqual(new RougeScorer({ stem: true }).score("dies", "die").rouge1, ONE);
});

test("matches the ROUGE-1.5.5 figures quoted in rouge_score's tests (random-letter texts, with and without stemming)", () => {
    // Lines 1 and 2 of rouge_score's testdata/target.txt and prediction.txt, and testdata/pyrouge_files/*_multi.0.txt.
    const targets = [
        "ZfbCUIUuePaiLVUlCaUXxkpu XPeWing tUHfPMuZ',-Xd Y BrUgVJing M-HV.-DgdDaY.rFDJCRing Ht-LM EKBDXkME,yz'RBr q'wtion wIojNbN wL,b .a-'XdQggyFl jB-RPP'iyOIcUxer tKM L\n",
        "KsJdPByEtAor fE-Qg Dpdbring cw-WeFyu vC MoBL Xdn g wkvcEiGvKtion BDFhrpMtion psing sbKao Q m qiing LMmer HqqLFXe,XPY,J XsurkMer ,ed nB'wH'bWVHjWFEing tQ.saefZwJtKrTlixYpMMsJing UCAPwNHeYVjDing c T BUySKtion gMPfJpwGw p'NvxAoping eu pBwMBKV'I DNxqelhu,PHPxDEq,mtion SN\n",
    ];
    const predictions = [
        "rFDJCRtion Ht-LM EKtDXkME,yz'RBr q'wer wrojNbN wL,b .a-'XdQggyFl jB-RPP'iyOIcUxi\n",
        "n cw-WeFyu vC MoBL Xdn g wkvcEiGvKtion BDFhrpMer pstion sbKao Q m qier LMmed HqqLFXe,XPY,J XsurkMeo ,ed nB'wH'bWVHjWFEer tQ.saefZwJtKrTlixYpMMNJtion UCAPwNHeYVjD\n",
    ];
    const close = (score: Score, [recall, precision, fmeasure]: number[], label: string) => {
        assert.ok(Math.abs(score.recall - recall) < 5e-6 && Math.abs(score.precision - precision) < 5e-6 && Math.abs(score.fmeasure - fmeasure) < 5e-6, `${label}: ${JSON.stringify(score)}`);
    };
    const plain = new RougeScorer();
    const stemmed = new RougeScorer({ stem: true });
    close(plain.score(targets[0], predictions[0]).rouge1, [0.40741, 0.6875, 0.51163], "rouge1 #0");
    close(plain.score(targets[1], predictions[1]).rouge1, [0.40476, 0.65385, 0.5], "rouge1 #1");
    close(stemmed.score(targets[1], predictions[1]).rouge1, [0.42857, 0.69231, 0.52941], "rouge1 #1 stemmed");
    close(plain.score(targets[0], predictions[0]).rouge2, [0.30769, 0.53333, 0.39024], "rouge2 #0");
    close(stemmed.score(targets[1], predictions[1]).rouge2, [0.29268, 0.48, 0.36364], "rouge2 #1 stemmed");
    close(plain.score(targets[1], predictions[1]).rougeL, [0.40476, 0.65385, 0.5], "rougeL #1");
    const multiTarget =
        targets.join("") +
        "NhETebUbBk'er WOvoHMTjSRizKgH'vHiing Xu,hWxfs VkNE QhgKiLHE -HidivzoM.dO anhtion jbLQiSGDTCsuhREebUaKM dv J dVN tmbOT\n" +
        "vMR HDm,xOAetion D,tion HJtodT.mHl UIv-p VjWH'BdyWjnfGU-OjT aEMdFICyLWfQMtion wEMfdOKing AwkeKbO 'DxqNOHBH qKtVvm OYJl mM\n";
    const multiPrediction =
        predictions.join("") +
        "xfs VkJE QhgKiLHE -HidivzoM.dO anhing jbLQiSGDTCsuhREebUaKM dv J\n" +
        "VjWH'BdyWjnfGU-OjTNaEMdFICyLWfQMing wEMfdOKijg AwkeKbO 'DxqNO\n";
    close(stemmed.score(multiTarget, multiPrediction).rougeLsum, [0.36538, 0.66667, 0.47205], "rougeLsum multi-sentence stemmed");
});

test("types: any subset in any order, rouge1 … rouge9; anything else is refused", () => {
    const scores = new RougeScorer({ types: ["rouge3", "rougeL"] }).score("a b c d", "a b c x");
    assert.deepEqual(Object.keys(scores), ["rouge3", "rougeL"]);
    // Trigrams: target (a b c)(b c d), prediction (a b c)(b c x) → overlap 1: P = R = F = ½.
    assertScore(scores.rouge3, [1 / 2, 1 / 2, 1 / 2], "rouge3");
    for (const bad of ["rougen", "rouge0", "rouge10", "rougeLSum", "bleu"]) {
        assert.throws(() => new RougeScorer({ types: [bad as RougeType] }), RangeError, bad);
    }
    assert.throws(() => new RougeScorer({ types: [] }), RangeError);
});

test("scoreMulti keeps, per type, the reference with the best F1", () => {
    const scorer = new RougeScorer({ types: ["rouge1", "rouge2", "rougeL"] });
    const best = scorer.scoreMulti(["sat the cat", "the cat sat down"], "the cat sat");
    // rouge1: "sat the cat" has all three words (F = 1) vs "the cat sat down" (P = 1, R = ¾, F = 6/7).
    assert.deepEqual(best.rouge1, ONE);
    // rouge2: "sat the cat" shares 1 of 2 bigrams (F = ½); "the cat sat down" shares 2 (P = 1, R = ⅔, F = 0.8).
    assertScore(best.rouge2, [1, 2 / 3, 0.8], "rouge2");
    // rougeL: LCS 2 with the first (F = ⅔), 3 with the second (P = 1, R = ¾, F = 6/7).
    assertScore(best.rougeL, [1, 3 / 4, 6 / 7], "rougeL");
    assert.throws(() => scorer.scoreMulti([], "x"), RangeError);
});

// ---------------------------------------------------------------------------------------------------------------
// Bootstrap aggregate

test("MT19937 gives the canonical outputs and numpy's legacy integer draws", () => {
    assert.equal(new Mt19937(5489).nextUint32(), 3499211612, "mt19937ar.c's reference output for the default seed");
    assert.equal(new Mt19937(0).nextUint32(), 2357136044);
    // np.random.seed(0); np.random.choice(np.arange(10), size=10) → [5 0 3 3 7 9 3 5 2 4]
    const random = new Mt19937(0);
    assert.deepEqual(Array.from({ length: 10 }, () => random.nextBelow(10)), [5, 0, 3, 3, 7, 9, 3, 5, 2, 4]);
    assert.throws(() => new Mt19937(-1), RangeError);
    assert.throws(() => new Mt19937(2 ** 32), RangeError);
});

test("percentile interpolates linearly like numpy's default", () => {
    // np.percentile([1, 2, 3, 4], [0, 25, 50, 75, 100, 2.5, 97.5]) → 1, 1.75, 2.5, 3.25, 4, 1.075, 3.925
    const values = [4, 1, 3, 2];
    assert.deepEqual([0, 25, 50, 75, 100].map((q) => percentile(values, q)), [1, 1.75, 2.5, 3.25, 4]);
    assert.ok(Math.abs(percentile(values, 2.5) - 1.075) < 1e-12);
    assert.ok(Math.abs(percentile(values, 97.5) - 3.925) < 1e-12);
    assert.equal(percentile([7], 50), 7);
    assert.throws(() => percentile([], 50), RangeError);
});

test("bootstrap: the same seed gives the same interval, mid lies within [low, high], other seeds differ", () => {
    const scorer = new RougeScorer();
    const pairs = [
        ["the cat sat on the mat", "the cat sat"],
        ["hens must have a secure house", "keep hens in a secure house"],
        ["bonfires are banned", "no bonfires on the site"],
        ["the rent is due in january", "pay the rent by 31 january"],
        ["water the seedlings in the evening", "the taps close by themselves"],
        ["plots are inspected in may july and september", "inspections happen three times a year"],
    ];
    const scores = pairs.map(([target, prediction]) => scorer.score(target, prediction));
    const first = bootstrapAggregate(scores, { seed: 42 });
    assert.deepEqual(bootstrapAggregate(scores, { seed: 42 }), first);
    assert.notDeepEqual(bootstrapAggregate(scores, { seed: 43 }), first);
    for (const type of ALL_TYPES) {
        for (const measure of ["precision", "recall", "fmeasure"] as const) {
            const { low, mid, high } = first[type];
            assert.ok(low[measure] <= mid[measure] && mid[measure] <= high[measure], `${type} ${measure}: ${low[measure]} ≤ ${mid[measure]} ≤ ${high[measure]}`);
            assert.ok(low[measure] < high[measure], `${type} ${measure}: scores vary, so the interval has width`);
        }
    }
});

test("bootstrap: identical scores give low = mid = high = that score; so does a single pair", () => {
    const constant: Score = { precision: 0.5, recall: 0.25, fmeasure: 1 / 3 };
    const aggregate = bootstrapAggregate(Array.from({ length: 7 }, () => ({ rouge1: constant })), { seed: 3 });
    assert.deepEqual(aggregate.rouge1, { low: constant, mid: constant, high: constant });
    const single = bootstrapAggregate([{ rougeL: constant }]);
    assert.deepEqual(single.rougeL, { low: constant, mid: constant, high: constant });
});

test("bootstrap: numbers equal Python's BootstrapAggregator after np.random.seed(0)", () => {
    // rouge_score: np.random.seed(0); agg = BootstrapAggregator(); add these five Score(P, R, F); agg.aggregate()
    const scores = [
        [0.5, 1 / 3, 0.4],
        [1.0, 0.5, 2 / 3],
        [0.0, 0.0, 0.0],
        [0.25, 0.75, 0.375],
        [0.8, 0.8, 0.8],
    ].map(([precision, recall, fmeasure]) => ({ rouge1: { precision, recall, fmeasure } }));
    assert.deepEqual(bootstrapAggregate(scores, { seed: 0 }).rouge1, {
        low: { precision: 0.2, recall: 0.21666666666666665, fmeasure: 0.20833333333333331 },
        mid: { precision: 0.51, recall: 0.4766666666666667, fmeasure: 0.44833333333333336 },
        high: { precision: 0.8207499999999993, recall: 0.71, fmeasure: 0.6883333333333332 },
    });
    // BootstrapAggregator(confidence_interval=0.9, n_samples=10), also after np.random.seed(0).
    assert.deepEqual(bootstrapAggregate(scores, { seed: 0, samples: 10, confidenceInterval: 0.9 }).rouge1, {
        low: { precision: 0.32699999999999996, recall: 0.3383333333333333, fmeasure: 0.31449999999999995 },
        mid: { precision: 0.48, recall: 0.5216666666666666, fmeasure: 0.4508333333333333 },
        high: { precision: 0.824, recall: 0.6631666666666667, fmeasure: 0.6693333333333333 },
    });
});

test("bootstrap: bad options and empty input are refused", () => {
    const scores = [{ rouge1: { precision: 1, recall: 1, fmeasure: 1 } }];
    assert.throws(() => bootstrapAggregate([]), RangeError);
    assert.throws(() => bootstrapAggregate(scores, { samples: 0 }), RangeError);
    assert.throws(() => bootstrapAggregate(scores, { samples: 1.5 }), RangeError);
    assert.throws(() => bootstrapAggregate(scores, { confidenceInterval: 1.5 }), RangeError);
    assert.throws(() => bootstrapAggregate(scores, { seed: -1 }), RangeError);
});

// ---------------------------------------------------------------------------------------------------------------
// Pairs files and the `eval rouge` command

test("pairs JSONL: blank lines skipped, extra fields ignored, bad lines named by number", () => {
    const pairs = parseRougePairs('{"reference": "a b", "candidate": "a", "path": "x.md"}\n\n  \r\n{"candidate": "c", "reference": "c d"}\r\n', "p.jsonl");
    assert.deepEqual(pairs, [
        { reference: "a b", candidate: "a", line: 1 },
        { reference: "c d", candidate: "c", line: 4 },
    ]);
    const cases: [string, RegExp][] = [
        ['{"reference": "a", "candidate": "b"}\n{"reference": "a", "candidate": }\n', /^p\.jsonl line 2: invalid JSON \(/],
        ['{"reference": "a"}\n', /^p\.jsonl line 1: missing "candidate"$/],
        ['{"reference": 3, "candidate": "b"}\n', /^p\.jsonl line 1: "reference" must be a string \(got a number\)$/],
        ['["a", "b"]\n', /^p\.jsonl line 1: expected a JSON object/],
        ["\n\n", /^p\.jsonl: no pairs/],
    ];
    for (const [text, message] of cases) {
        assert.throws(
            () => parseRougePairs(text, "p.jsonl"),
            (error: unknown) => error instanceof RougePairsError && message.test(error.message) && !error.message.includes("\n"),
            text,
        );
    }
});

test("evaluateRouge scores every pair and aggregates them", () => {
    const evaluation = evaluateRouge(
        [
            { reference: "testing one two", candidate: "testing" },
            { reference: "the cat sat", candidate: "the cat sat" },
        ],
        { samples: 200 },
    );
    assert.equal(evaluation.pairs.length, 2);
    assertScore(evaluation.pairs[0].rouge1, [1, 1 / 3, 1 / 2], "pair 1 rouge1");
    assert.deepEqual(evaluation.pairs[1].rougeLsum, ONE);
    assert.deepEqual(Object.keys(evaluation.aggregate), [...ALL_TYPES]);
});

/** Runs the command in a child process, as cli.ts does, and reports what it printed and its exit code. */
function runEvalRouge(values: Record<string, string | boolean>): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const script = `
        const { evalRougeCommand } = require("./server/cli/commands/evalRougeCommand");
        const { UsageError } = require("./server/cli/Command");
        evalRougeCommand.run({ positionals: [], values: JSON.parse(process.env.EVAL_ROUGE_VALUES) }).then(
            (code) => { process.exitCode = code; },
            (error) => { process.stderr.write("llamahome: " + error.message + "\\n"); process.exitCode = error instanceof UsageError ? 2 : 1; },
        );`;
    return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, ["--import", "tsx", "-e", script], {
            cwd: path.join(__dirname, ".."),
            env: { ...process.env, EVAL_ROUGE_VALUES: JSON.stringify(values) },
        });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
        child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
        child.on("error", reject);
        child.on("close", (code) => resolve({ code, stdout, stderr }));
    });
}

test("eval rouge --json prints per-pair scores and the aggregate; without --json a table", async (t) => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "llamahome-rouge-"));
    t.after(() => fs.rm(dir, { recursive: true, force: true }));
    const file = path.join(dir, "pairs.jsonl");
    await fs.writeFile(file, '{"reference": "The cats are running", "candidate": "A cat runs."}\n{"reference": "testing one two", "candidate": "testing"}\n');

    const json = await runEvalRouge({ pairs: file, json: true, stem: true, samples: "100" });
    assert.equal(json.code, 0, json.stderr);
    const output = JSON.parse(json.stdout) as { pairs: Record<string, Score>[]; aggregate: Record<string, { low: Score; mid: Score; high: Score }> };
    assert.equal(output.pairs.length, 2);
    assert.deepEqual(Object.keys(output.pairs[0]), [...ALL_TYPES]);
    assert.deepEqual(Object.keys(output.pairs[0].rouge1), ["precision", "recall", "fmeasure"]);
    assertScore(output.pairs[0].rouge1, [2 / 3, 1 / 2, 4 / 7], "stemmed pair 1");
    assert.deepEqual(Object.keys(output.aggregate), [...ALL_TYPES]);
    assert.deepEqual(Object.keys(output.aggregate.rougeL), ["low", "mid", "high"]);

    const table = await runEvalRouge({ pairs: file });
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /ROUGE F1 for 2 pairs \(no stemming\)/);
    assert.match(table.stdout, /^rougeLsum +\d\.\d{4} \[\d\.\d{4}, \d\.\d{4}\]/m);
});

test("eval rouge: usage line, and one-line errors for a missing option, a missing file and a bad line", async (t) => {
    assert.match(evalRougeCommand.usage, /^llamahome eval rouge --pairs F\.jsonl \[--stem\] \[--json\]/);
    assert.equal(evalRougeCommand.name, "eval-rouge");
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "llamahome-rouge-"));
    t.after(() => fs.rm(dir, { recursive: true, force: true }));
    const bad = path.join(dir, "bad.jsonl");
    await fs.writeFile(bad, '{"reference": "a", "candidate": "b"}\n{"reference": "a"}\n');

    const runs: [Record<string, string | boolean>, number, RegExp][] = [
        [{}, 2, /--pairs F\.jsonl is required/],
        [{ pairs: path.join(dir, "absent.jsonl") }, 2, /no such file: .*absent\.jsonl/],
        [{ pairs: bad }, 1, /bad\.jsonl line 2: missing "candidate"/],
        [{ pairs: bad, seed: "-3" }, 2, /--seed must be an integer ≥ 0/],
    ];
    for (const [values, code, message] of runs) {
        const run = await runEvalRouge(values);
        assert.equal(run.code, code, JSON.stringify(values));
        assert.match(run.stderr, message);
        assert.equal(run.stderr.trim().split("\n").length, 1, `one line: ${run.stderr}`);
        assert.equal(run.stdout, "");
    }
});

test("sample data: every summary names a document of the sample workspace and has 2–4 sentences; the pairs parse", async () => {
    const root = path.join(__dirname, "..", "samples");
    const summaries = (await fs.readFile(path.join(root, "eval", "summaries.jsonl"), "utf8")).trim().split("\n").map((line) => JSON.parse(line) as { path: string; reference: string });
    assert.ok(summaries.length >= 6);
    for (const summary of summaries) {
        // Paths are relative to the dataset file, and all lead into the sample workspace.
        assert.ok(path.resolve(root, "eval", summary.path).startsWith(path.join(root, "workspace") + path.sep), summary.path);
        await fs.access(path.resolve(root, "eval", summary.path));
        const sentences = summary.reference.split("\n").length;
        assert.ok(sentences >= 2 && sentences <= 4, `${summary.path}: ${sentences} sentences`);
    }
    for (const required of ["reports/annual-report-2024.pdf", "docs/plot-holder-handbook.docx"]) {
        assert.ok(summaries.some((summary) => summary.path === `../workspace/${required}`), required);
    }
    const pairs = parseRougePairs(await fs.readFile(path.join(root, "eval", "rouge-pairs.jsonl"), "utf8"), "rouge-pairs.jsonl");
    assert.equal(pairs.length, 5);
});
