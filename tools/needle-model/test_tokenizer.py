"""tokenizer.py gives exactly the ids node-llama-cpp gives (BOS + model.tokenize) for the GGUF's tokenizer.

    /usr/bin/python3 tools/needle-model/test_tokenizer.py [model.gguf]   # default: a tiny model with the same vocabulary
"""

import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.dont_write_bytecode = True  # no __pycache__ in the repository
sys.path.insert(0, str(HERE))
from data import answer_text, needle_sentence, question_suffix  # noqa: E402
from tokenizer import decode, encode  # noqa: E402

TEXTS = [
    "Hello world",
    "Rent is \u00a356 a year \u2014 half plots pay less.",
    "  two  spaces, a tab\tand\nnew lines\n\n",
    "Tomasz W\u00f3jcik \U0001f600 caf\u00e9",
    needle_sentence("Ottilie", "K7Q2ZD") + question_suffix("Ottilie") + answer_text("K7Q2ZD"),
    "",
]


def main() -> None:
    command = ["node", "--import", "tsx", str(HERE / "dumpTokens.ts"), *sys.argv[1:]]
    result = subprocess.run(command, input=json.dumps(TEXTS), capture_output=True, text=True, cwd=HERE.parents[1], check=True)
    from_node = json.loads(result.stdout.strip().splitlines()[-1])
    failures = 0
    for text, ids in zip(TEXTS, from_node):
        ours = encode(text)
        if ours != ids:
            failures += 1
            print(f"MISMATCH {text!r}\n  python {ours}\n  node   {ids}")
        assert decode(ours) == text
    print(f"{len(TEXTS) - failures}/{len(TEXTS)} strings tokenize identically in Python and node-llama-cpp")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
