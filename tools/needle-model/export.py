"""Exports a trained checkpoint for writeGguf.ts and the committed manifest + reference logits.

    /usr/bin/python3 tools/needle-model/export.py --checkpoint /tmp/llamahome-needle/final.pt

Writes
  - <work-dir>/weights.bin + weights.json: raw little-endian f32 tensors in GGUF order with ggml dims, the config and
    the GGUF metadata; `node --import tsx tools/needle-model/writeGguf.ts` turns them into the GGUF (one writer:
    server/llm/gguf/GgufWriter.ts);
  - models/needle/reference-logits.json: PyTorch's next-token logits for a fixed ~110-token input and for each step of
    its greedy continuation, for the parity check in test/needleModel.test.ts (no Python needed there);
  - models/needle/manifest.json: config, seed, steps, wall time and held-out exact match per length x depth
    (--skip-eval keeps the metrics of an existing manifest out and records none; used by the smoke run).
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
from data import HELDOUT_SEED_BASE, TRAIN_SEED_LIMIT, load_workspace_prose  # noqa: E402
from evaluate import DEFAULT_PROSE, REPO, REPORT_FIRST_INDEX, evaluate, load_checkpoint  # noqa: E402
from tokenizer import BOS_ID, EOS_ID, SPACE_ID, UNK_ID, VOCAB_SIZE, encode  # noqa: E402

MODEL_NAME = "llamahome-needle-2L128"
GGUF_FILE = f"{MODEL_NAME}.gguf"
CONTEXT_LENGTH = 4096
REFERENCE_TEXT = (
    "Rent for a full plot is \u00a356 a year \u2014 half plots pay less. The secret code of Ottilie is 7KQ2ZD. "
    "Tap T7 was mended in March.\n\nQuestion: What is the secret code of Ottilie?\nAnswer: The secret code of Ottilie is"
)
REFERENCE_STEPS = 8


@torch.no_grad()
def reference_logits(model) -> dict:
    """Logits after the input and after each greedy token (teacher-forcing the greedy path), float32 as computed."""
    model.eval()
    ids = encode(REFERENCE_TEXT)
    generated = []
    steps = []
    for _ in range(REFERENCE_STEPS):
        logits = model(torch.tensor([ids + generated]))[0, -1]
        steps.append([float(x) for x in logits])
        generated.append(int(logits.argmax()))
    return {"text": REFERENCE_TEXT, "ids": ids, "greedy": generated, "logits": steps,
            "note": "logits[i] is the next-token distribution after ids + greedy[:i] (positions from 0, BOS first)"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", type=Path, default=Path("/tmp/llamahome-needle/final.pt"))
    parser.add_argument("--work-dir", type=Path, help="where weights.bin/json go; defaults to the checkpoint's folder")
    parser.add_argument("--out-dir", type=Path, default=REPO / "models" / "needle")
    parser.add_argument("--lengths", default="256,512,1024,2048,4096")
    parser.add_argument("--depths", default="0.1,0.5,0.9")
    parser.add_argument("--per-cell", type=int, default=100, help="held-out examples per cell up to 1024 tokens")
    parser.add_argument("--per-long-cell", type=int, default=50, help="held-out examples per cell beyond 1024 tokens")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--skip-eval", action="store_true")
    parser.add_argument("--notes", default="", help="free text for manifest.training.notes (e.g. how the run went)")
    parser.add_argument("--prose", type=Path, default=DEFAULT_PROSE)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    work_dir = args.work_dir or args.checkpoint.parent
    args.out_dir.mkdir(parents=True, exist_ok=True)

    saved = torch.load(args.checkpoint, map_location="cpu")
    model = load_checkpoint(args.checkpoint)
    config = model.config

    metadata = {
        "general.name": MODEL_NAME,
        "llama.context_length": CONTEXT_LENGTH,
        "llama.embedding_length": config.embd,
        "llama.block_count": config.layers,
        "llama.feed_forward_length": config.ffn,
        "llama.attention.head_count": config.heads,
        "llama.attention.head_count_kv": config.kv_heads,
        "llama.attention.layer_norm_rms_epsilon": config.rms_norm_eps,
        "llama.rope.freq_base": config.rope_freq_base,
        "llama.rope.dimension_count": config.head_dim,
        "llama.vocab_size": config.vocab_size,
    }
    assert (config.vocab_size, BOS_ID, EOS_ID, UNK_ID, SPACE_ID) == (VOCAB_SIZE, 1, 2, 0, 259)
    tensors = []
    offset = 0
    with (work_dir / "weights.bin").open("wb") as out:
        for name, tensor in model.gguf_tensors():
            data = tensor.numpy().astype("<f4").tobytes()
            out.write(data)
            tensors.append({"name": name, "dims": list(reversed(tensor.shape)), "offset": offset, "bytes": len(data)})
            offset += len(data)
    (work_dir / "weights.json").write_text(json.dumps({"metadata": metadata, "tensors": tensors}, indent=1) + "\n")
    print(f"wrote {work_dir / 'weights.bin'} ({offset} bytes, {len(tensors)} tensors)", flush=True)

    reference = reference_logits(model)
    reference["model"] = GGUF_FILE
    (args.out_dir / "reference-logits.json").write_text(json.dumps(reference) + "\n")
    print(f"wrote {args.out_dir / 'reference-logits.json'} (greedy: {reference['greedy']})", flush=True)

    exact_match = None
    if not args.skip_eval:
        prose = load_workspace_prose(args.prose)
        depths = [float(x) for x in args.depths.split(",")]
        exact_match = {}
        for length in (int(x) for x in args.lengths.split(",")):
            started = time.time()
            per_cell = args.per_cell if length <= 1024 else args.per_long_cell
            cells = evaluate(model, prose, [length], depths, per_cell, first_index=REPORT_FIRST_INDEX)
            exact_match[str(length)] = {"examples_per_depth": per_cell, **{f"depth{k.split('@')[1]}": v for k, v in cells.items()}}
            print(f"held-out exact match at {length} tokens: {exact_match[str(length)]} ({time.time() - started:.0f} s)", flush=True)

    summary = saved.get("summary", {})
    manifest = {
        "model": GGUF_FILE,
        "name": MODEL_NAME,
        "architecture": "llama",
        "config": {**config.to_dict(), "head_dim": config.head_dim, "context_length": CONTEXT_LENGTH,
                   "rope_layout": "llama.cpp NORM (adjacent pairs)", "tied_embeddings": False, "dtype": "f32"},
        "tokenizer": {"kind": "byte-level SPM (server/llm/gguf/tinyModel.ts layout)", "unk": UNK_ID, "bos": BOS_ID, "eos": EOS_ID,
                      "bytes": "id 3 + byte", "space": SPACE_ID, "add_bos": True, "add_space_prefix": False},
        "prompt_format": {
            "needle": "The secret code of {Name} is {CODE}.",
            "code": "6 characters from A-Z0-9",
            "prompt": "{haystack with needle at a sentence boundary, single-space joins}\\n\\nQuestion: What is the secret code of {Name}?\\nAnswer: The secret code of {Name} is",
            "answer": " {CODE}. then EOS",
        },
        "training": {
            **{k: v for k, v in summary.items() if k != "evals"},
            "loss": "answer cross-entropy (' CODE.' + EOS) + 0.1 x LM cross-entropy on all other tokens",
            "optimizer": "AdamW betas (0.9, 0.95), weight decay 0.1 on matrices, warmup then cosine, clip 1.0",
            "curriculum": "lengths drawn from each stage's range [lo, hi] with this fraction of plain (lower-cased, digit-free) "
                          "filler: stages " + json.dumps(summary.get("stages")) + "; advance when the running exact match over 40 steps "
                          "is >= 85% (after >= 150 steps); the last stage stops on held-out checks or at max_steps",
            "data": "haystacks mix contiguous samples/workspace prose (*.md, *.txt, Markdown stripped) with template sentences; "
                    "80% single-space joins, 20% some newlines; names from data.TRAIN_NAMES or 1-6 random syllables",
            "train_seeds": f"example seeds 0 <= seed < {TRAIN_SEED_LIMIT} (step * 1000 + index)",
            "notes": args.notes,
            "train_time_evals": summary.get("evals", []),
        },
        "evaluation": {
            "seeds": f"held-out: seed >= {HELDOUT_SEED_BASE}, names from data.HELDOUT_NAMES (never trained on); example indexes "
                     f"from {REPORT_FIRST_INDEX} in each cell, apart from the ones train.py's stopping evaluation used",
            "haystack": "samples/workspace prose only, single-space joins",
            "metric": "teacher-forced exact match: argmax reproduces ' {CODE}' at every position (= greedy output starts with it)",
            "exact_match": exact_match,
        },
    }
    (args.out_dir / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    print(f"wrote {args.out_dir / 'manifest.json'}", flush=True)


if __name__ == "__main__":
    main()
