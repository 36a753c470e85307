"""Exact match of a trained needle model on held-out haystacks, per length x depth, in PyTorch.

Exact match is teacher-forced: the example counts when the argmax at every answer position reproduces " {CODE}"
(space + 6 characters), which is exactly when greedy decoding generates " {CODE}" first.
Held-out examples use seeds >= HELDOUT_SEED_BASE, HELDOUT_NAMES, single-space joins and workspace prose only (the
product's default haystack).

    /usr/bin/python3 tools/needle-model/evaluate.py --checkpoint /tmp/llamahome-needle/final.pt --lengths 512,1024
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch

sys.dont_write_bytecode = True  # no __pycache__ in the repository
sys.path.insert(0, str(Path(__file__).resolve().parent))
from data import CODE_LENGTH, HELDOUT_SEED_BASE, load_workspace_prose, make_example  # noqa: E402
from model import LlamaModel, ModelConfig  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
DEFAULT_PROSE = REPO / "samples" / "workspace"
REPORT_FIRST_INDEX = 1000


def pad_batch(examples, pad_id: int = 0) -> torch.Tensor:
    width = max(len(e.ids) for e in examples)
    return torch.tensor([e.ids + [pad_id] * (width - len(e.ids)) for e in examples], dtype=torch.long)


def answer_hits(logits: torch.Tensor, examples) -> list[bool]:
    """True per example when the argmax after the prompt and after each code character is the next answer token."""
    hits = []
    for row, e in enumerate(examples):
        start = e.answer_start
        want = torch.tensor(e.ids[start : start + 1 + CODE_LENGTH])
        got = logits[row, start - 1 : start + CODE_LENGTH].argmax(-1)
        hits.append(bool((got == want).all()))
    return hits


def cell_seed(length: int, depth: float, index: int) -> int:
    """Distinct held-out seeds per (length, depth %, index < 10,000)."""
    return HELDOUT_SEED_BASE + int(round(depth * 100)) * 1_000_000_000 + length * 10_000 + index


@torch.no_grad()
def evaluate(model: LlamaModel, prose, lengths, depths, per_cell: int, tokens_per_batch: int = 8192, first_index: int = 0) -> dict:
    """Exact match per "length@depth%" cell over examples first_index .. first_index + per_cell - 1 of the cell.

    train.py's periodic evaluation (which decides when to stop) uses indexes from 0; the reported metrics
    (export.py, this script's CLI) start at REPORT_FIRST_INDEX so no example that steered training is reported."""
    model.eval()
    results = {}
    for length in lengths:
        batch = max(1, tokens_per_batch // length)
        for depth in depths:
            examples = [
                make_example(cell_seed(length, depth, first_index + i), length, prose, depth=depth, heldout=True, separators="space", prose_fraction=1.0)
                for i in range(per_cell)
            ]
            hits = []
            for at in range(0, len(examples), batch):
                chunk = examples[at : at + batch]
                hits += answer_hits(model(pad_batch(chunk)), chunk)
            results[f"{length}@{int(round(depth * 100))}"] = sum(hits) / len(hits)
    model.train()
    return results


def load_checkpoint(path: Path) -> LlamaModel:
    state = torch.load(path, map_location="cpu")
    model = LlamaModel(ModelConfig(**state["config"]))
    model.load_state_dict(state["model"])
    return model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", type=Path, required=True)
    parser.add_argument("--lengths", default="256,512,1024,2048,4096")
    parser.add_argument("--depths", default="0.1,0.5,0.9")
    parser.add_argument("--per-cell", type=int, default=100)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--prose", type=Path, default=DEFAULT_PROSE)
    parser.add_argument("--json", type=Path, help="write the results here too")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    model = load_checkpoint(args.checkpoint)
    prose = load_workspace_prose(args.prose)
    lengths = [int(x) for x in args.lengths.split(",")]
    depths = [float(x) for x in args.depths.split(",")]
    results = {}
    for length in lengths:
        started = time.time()
        cell = evaluate(model, prose, [length], depths, args.per_cell, first_index=REPORT_FIRST_INDEX)
        results.update(cell)
        print(f"{length:5d} tokens: " + "  ".join(f"depth {k.split('@')[1]}%: {v:.0%}" for k, v in cell.items()) + f"  ({time.time() - started:.0f} s)", flush=True)
    if args.json:
        args.json.write_text(json.dumps({"per_cell": args.per_cell, "exact_match": results}, indent=2) + "\n")


if __name__ == "__main__":
    main()
