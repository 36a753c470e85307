"""Needle-in-a-haystack examples in exactly the format of `llamahome needle` (see README.md in this folder).

    {haystack with "The secret code of {Name} is {CODE}." at a sentence boundary}\n\n
    Question: What is the secret code of {Name}?\nAnswer: The secret code of {Name} is
and the answer " {CODE}." followed by EOS.

Every example is a pure function of (seed, target length, depth): a `random.Random(seed)` drives it.
Seed ranges (kept apart so evaluation haystacks are never trained on):
  - training:   0 <= seed < 1_000_000_000  (train.py uses step * 1000 + index in batch)
  - evaluation: seed >= 1_000_000_000      (HELDOUT_SEED_BASE; eval also uses HELDOUT_NAMES, never seen in training)
The prose (samples/workspace) is shared by both: the product's needle harness uses that workspace as its haystack.
"""

from __future__ import annotations

import random
import re
import string
from dataclasses import dataclass
from pathlib import Path

from tokenizer import EOS_ID, encode

TRAIN_SEED_LIMIT = 1_000_000_000
HELDOUT_SEED_BASE = 1_000_000_000

CODE_ALPHABET = string.ascii_uppercase + string.digits
CODE_LENGTH = 6

TRAIN_NAMES = """
Alice Bob Carol David Emma Frank Grace Henry Isla Jack Karen Leo Mia Noah Olivia Peter Quinn Ruby Sam Tara
Uma Victor Wendy Xavier Yara Zoe Aaron Bella Caleb Daisy Ethan Fiona George Hannah Ivan Julia Kevin Laura
Martin Nina Oscar Paula Rachel Simon Tessa Umar Vera William Yusuf Zara Adam Beth Chris Diana Edward Freya
Gavin Holly Ian Jasmine Keith Lily Mark Naomi Owen Poppy Ryan Sophie Thomas Ursula Vincent Willow Amir Bianca
Connor Delia Elliot Farah Gordon Heidi Isaac Joanna Kieran Lucy Marcus Nora Oliver Phoebe Rosa Stefan Tilly
Anya Bruno Chloe Dmitri Elena Felix Gemma Hugo Ingrid Jonah Kofi Leah Milo Nadia Omar Pablo Rhea Sunil Theo
Amelia Boris Cecile Declan Esme Florian Greta Harvey Imogen Jude Kasia Lorenzo Maeve Nikolai Orla Piotr Rosie
Saoirse Tobias Ulrich Viola Wanda Yuki Zeno Ada Basil Clara Dora Emil Flora Gus Hazel Ida Joel Kit Lena Max
Nell Otto Pip Rex Sadie Ted Una Vic Wade Xena Yves Zack Mohammed Fatima Priya Rahul Mei Wei Chen Hiroshi Sakura
Christopher Alexandra Maximilian Penelope Josephine Frederick Nathaniel Anastasia Bartholomew Elizabeth Katherine
Alexander Jonathan Benjamin Charlotte Francesca Gabriella Valentina Theodore Cornelius Florence Margaret Jacqueline
Stephanie Annabelle Rosemary Dominic Emmanuel Leonardo Catherine Priscilla Lucinda Harriet Isadora Matthias
Wilhelmina Konstantin Evelyn Magdalena Bernadette Gwendoline Aurelius Cassandra Millicent Jeremiah
""".split()

HELDOUT_NAMES = """
Beatrice Cedric Agatha Desmond Evangeline Ferdinand Gwendolyn Horatio Ottilie Percival Rosalind Sebastian
Tabitha Leopold Marigold Ignatius Henrietta Reginald Winifred Augustus Clementine Barnaby Cordelia Thaddeus
Philippa Montgomery Genevieve Archibald Lavinia Cuthbert Seraphina Alistair Octavia Benedict Guinevere Rupert
""".split()

assert not set(TRAIN_NAMES) & set(HELDOUT_NAMES)

_SYLLABLES = "ba be bi bo da de di do ka ke ki ko la le li lo ma me mi mo na ne ni no ra re ri ro sa se si so ta te ti to va ve vi zo an el in or us ar en is".split()

# ---------------------------------------------------------------------------------------------- template filler

_W = {
    "person": TRAIN_NAMES,
    "role": "gardener treasurer secretary neighbour volunteer engineer teacher baker driver nurse farmer student "
    "chair warden visitor inspector contractor".split(),
    "adj": "old new small large quiet busy green muddy sunny windy careful early late heavy light narrow wide "
    "bright dark fresh dry wet cheerful tired patient".split(),
    "noun": "shed gate path fence hedge bench barrow spade greenhouse pond orchard tap hose compost bay trellis "
    "bucket ladder pavilion notice board meeting report letter budget invoice rota map list parcel".split(),
    "plural": "beans potatoes onions leeks carrots tomatoes apples pears strawberries raspberries courgettes "
    "pumpkins peas cabbages lettuces seedlings bulbs roses weeds slugs birds bees volunteers members".split(),
    "verb": "mended painted moved cleaned checked opened closed repaired measured watered planted sorted "
    "counted carried delivered inspected replaced emptied covered swept".split(),
    "place": "the east hedge|the main gate|the car park|the riverbank|the orchard|the pavilion|the tool store|"
    "the town hall|the library|the station|the market square|the old mill|the bridge|the school".split("|"),
    "month": "January February March April May June July August September October November December".split(),
    "day": "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split(),
    "weather": "rain|frost|sunshine|wind|drizzle|fog|a heatwave|snow|a storm|a dry spell".split("|"),
    "town": "Brackenford Ashby Millbrook Oakridge Fenwick Highmoor Elmstead Carrow Dunmere Kelby".split(),
    "thing": "a new lock|the water meter|two bags of lime|a box of seeds|the first crop|a long report|"
    "the annual accounts|a spare key|fresh woodchip|a wheelbarrow tyre|the minutes|a thank-you card".split("|"),
}

_TEMPLATES = [
    "{Person} {verb} the {noun} near {place} on {day} morning.",
    "The {adj} {noun} by {place} was {verb} in {month}.",
    "In {month} the {plural} did well despite the {weather}.",
    "{Person}, the {role}, brought {thing} to the {noun}.",
    "Nobody expected {weather} in {month}, so the {plural} suffered.",
    "On {day} {Person} and {Person2} {verb} the {noun} together.",
    "The {role} said that plot {n} needs a {adj} {noun} before {month}.",
    "There were {n} {plural} in the {noun} by the end of {month}.",
    "A {adj} {noun} costs about {n} pounds at the shop in {town}.",
    "{Person} walked from {town} to {place} and back before lunch.",
    "Most of the {plural} were {verb} by {Person} last {day}.",
    "The meeting on {day} {d} {month} agreed to buy {thing}.",
    "If the {noun} is {adj}, please tell the {role} at once.",
    "Rain in {town} fell on {d} days in {month} this year.",
    "{Person} keeps {plural} and {plural2} on plot {n}.",
    "The {noun} at {place} was {verb} after the {weather}.",
    "Everyone agreed that the {adj} {noun} should stay where it is.",
    "At {t} pm the {role} locked the {noun} and went home.",
    "Tap T{tap} near plot {n} was {verb} in {month} {y}.",
    "Some {plural} were sold at the {adj} stall for {n} pence each.",
    "{Person} asked whether the {plural} could go by {place}.",
    "It took {n} volunteers most of {day} to clear the {noun}.",
    "The {role} from {town} visited in {month} and liked the {plural}.",
    "Please return {thing} to the {noun} when you have finished.",
    "By {month} {y} the waiting list had {n} names on it.",
    "The {plural} and the {plural2} share a {adj} bed by {place}.",
    "{Person} wrote to {Person2} about {thing}.",
    "Why the {noun} was {verb} twice in one week is still a mystery.",
]


def _fill(template: str, rng: random.Random) -> str:
    def pick(key: str) -> str:
        return rng.choice(_W[key])

    values = {
        "Person": pick("person"),
        "Person2": pick("person"),
        "verb": pick("verb"),
        "noun": pick("noun"),
        "place": pick("place"),
        "day": pick("day"),
        "adj": pick("adj"),
        "month": pick("month"),
        "plural": pick("plural"),
        "plural2": pick("plural"),
        "weather": pick("weather"),
        "role": pick("role"),
        "thing": pick("thing"),
        "town": pick("town"),
        "n": str(rng.choice([rng.randint(2, 60), rng.randint(2, 500)])),
        "d": str(rng.randint(1, 28)),
        "t": str(rng.randint(1, 11)),
        "tap": str(rng.randint(1, 14)),
        "y": str(rng.randint(1990, 2026)),
    }
    sentence = template.format(**values)
    return sentence[0].upper() + sentence[1:]


def template_sentence(rng: random.Random) -> str:
    return _fill(rng.choice(_TEMPLATES), rng)


# ---------------------------------------------------------------------------------------------- workspace prose

_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_EMPHASIS = re.compile(r"(\*\*|__|\*|_|`)(?=\S)(.+?)(?<=\S)\1")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(\u00a3\u201c])")


def strip_markdown(text: str) -> str:
    """Markdown to plain paragraphs separated by blank lines (headings, lists and table rows become paragraphs)."""
    paragraphs: list[str] = []
    current: list[str] = []
    in_fence = False

    def flush() -> None:
        if current:
            paragraphs.append(" ".join(current))
            current.clear()

    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("```"):
            in_fence = not in_fence
            flush()
            continue
        if in_fence:
            continue
        if not line or re.fullmatch(r"[-*_=|: ]{3,}", line):
            flush()
            continue
        block = re.match(r"^(#{1,6}\s+|[-*+]\s+|\d+[.)]\s+|>\s*)", line)
        if block:
            flush()
            line = line[block.end():]
        if line.startswith("|"):
            flush()
            line = "; ".join(cell.strip() for cell in line.strip("|").split("|") if cell.strip())
            current.append(line)
            flush()
            continue
        current.append(line)
        if block and block.group(1).startswith("#"):
            flush()
    flush()
    out = []
    for paragraph in paragraphs:
        paragraph = _LINK.sub(r"\1", paragraph)
        for _ in range(2):
            paragraph = _EMPHASIS.sub(r"\2", paragraph)
        paragraph = re.sub(r"\s+", " ", paragraph).strip()
        if paragraph:
            out.append(paragraph)
    return "\n\n".join(out)


def split_sentences(text: str) -> list[str]:
    sentences = []
    for paragraph in text.split("\n\n"):
        for sentence in _SENTENCE_END.split(paragraph):
            sentence = sentence.strip()
            if len(sentence) >= 3:
                sentences.append(sentence)
    return sentences


def load_workspace_prose(root: Path) -> list[list[str]]:
    """Sentences of every *.md and *.txt file under root, one list per file, in a stable (sorted path) order."""
    documents = []
    for path in sorted(list(root.rglob("*.md")) + list(root.rglob("*.txt"))):
        sentences = split_sentences(strip_markdown(path.read_text(encoding="utf-8")))
        if sentences:
            documents.append(sentences)
    if not documents:
        raise FileNotFoundError(f"no *.md or *.txt prose under {root}")
    return documents


# ---------------------------------------------------------------------------------------------- examples

@dataclass
class Example:
    ids: list[int]
    """BOS, prompt, answer, EOS."""
    answer_start: int
    """Index in ids of the first answer token (the space before the code)."""
    name: str
    code: str
    depth: float
    prompt: str


def random_code(rng: random.Random) -> str:
    return "".join(rng.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def random_name(rng: random.Random, heldout: bool) -> str:
    if heldout:
        return rng.choice(HELDOUT_NAMES)
    if rng.random() < 0.6:
        return rng.choice(TRAIN_NAMES)
    name = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(1, 6)))
    return name[0].upper() + name[1:]


def needle_sentence(name: str, code: str) -> str:
    return f"The secret code of {name} is {code}."


def question_suffix(name: str) -> str:
    return f"\n\nQuestion: What is the secret code of {name}?\nAnswer: The secret code of {name} is"


def answer_text(code: str) -> str:
    return f" {code}."


_DIGITS = re.compile(r"[0-9]+")


def plain(sentence: str) -> str:
    """The sentence without upper-case letters and digits, the characters codes are made of (curriculum warm-up)."""
    return _DIGITS.sub("some", sentence.lower())


def _haystack_sentences(
    rng: random.Random, prose: list[list[str]], budget: int, prose_fraction: float, separator_bytes: int, plain_filler: bool
) -> list[str]:
    """Sentences whose space-joined length stays within budget bytes: runs of contiguous workspace prose and runs
    of template sentences."""
    sentences: list[str] = []
    used = 0
    while True:
        if rng.random() < prose_fraction:
            doc = rng.randrange(len(prose))
            at = rng.randrange(len(prose[doc]))
            run = []
            for _ in range(rng.randint(2, 30)):
                run.append(prose[doc][at])
                at += 1
                if at == len(prose[doc]):
                    doc, at = (doc + 1) % len(prose), 0
        else:
            run = [template_sentence(rng) for _ in range(rng.randint(1, 6))]
        for sentence in run:
            if plain_filler:
                sentence = plain(sentence)
            size = len(sentence.encode("utf-8")) + separator_bytes
            if used + size > budget:
                return sentences
            sentences.append(sentence)
            used += size


def make_example(
    seed: int,
    length: int,
    prose: list[list[str]],
    depth: float | None = None,
    heldout: bool = False,
    separators: str | None = None,
    prose_fraction: float | None = None,
    plain_filler: bool = False,
) -> Example:
    """An example of at most `length` tokens (BOS + prompt + answer + EOS), usually within one sentence of it.

    depth: fraction of the haystack (in bytes) before the needle; random when None. separators: "space" (the
    harness contract: single spaces) or "mixed" (some newlines too, for robustness); random (80/20) when None.
    plain_filler: lower-case the filler and drop its digits, so only the needle holds code characters (the
    curriculum's first stage: the copy circuit forms far faster without look-alike characters around).
    """
    if heldout != (seed >= HELDOUT_SEED_BASE):
        raise ValueError(f"seed {seed} is outside the {'held-out' if heldout else 'training'} range")
    rng = random.Random(seed)
    name = random_name(rng, heldout)
    code = random_code(rng)
    if depth is None:
        depth = rng.random()
    if separators is None:
        separators = "space" if rng.random() < 0.8 else "mixed"
    if prose_fraction is None:
        prose_fraction = rng.choice([0.0, 0.5, 0.8, 1.0, 1.0, 1.0])
    needle = needle_sentence(name, code)
    suffix = question_suffix(name)
    answer = answer_text(code)
    fixed = 1 + len(suffix.encode()) + len(answer.encode()) + 1 + len(needle.encode()) + 2
    sentences = _haystack_sentences(rng, prose, max(0, length - fixed), prose_fraction, 1 if separators == "space" else 2, plain_filler)

    def sep() -> str:
        if separators == "space":
            return " "
        r = rng.random()
        return " " if r < 0.7 else ("\n" if r < 0.85 else "\n\n")

    # Sentence boundary nearest to depth * haystack length (in bytes, the same as tokens here).
    total = sum(len(s.encode()) + 1 for s in sentences) - 1 if sentences else 0
    target = depth * max(total, 0)
    best, best_dist, offset = 0, abs(target), 0
    for k, sentence in enumerate(sentences, start=1):
        offset += len(sentence.encode()) + (1 if k > 1 else 0)
        if abs(offset - target) < best_dist:
            best, best_dist = k, abs(offset - target)
    parts = sentences[:best] + [needle] + sentences[best:]
    haystack = parts[0]
    for part in parts[1:]:
        haystack += sep() + part
    prompt = haystack + suffix
    prompt_ids = encode(prompt)
    ids = prompt_ids + encode(answer, bos=False) + [EOS_ID]
    return Example(ids=ids, answer_start=len(prompt_ids), name=name, code=code, depth=depth, prompt=prompt)
