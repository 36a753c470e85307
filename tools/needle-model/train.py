"""Trains the needle-retrieval model (2 layers, d=128, llama architecture) on CPU; resumable.

    /usr/bin/python3 tools/needle-model/train.py --work-dir /tmp/llamahome-needle             # full run (~2 h here)
    /usr/bin/python3 tools/needle-model/train.py --work-dir /tmp/needle-smoke --max-steps 5   # smoke run

Recipe (shared/notes/environment.md, "What trained a needle-retrieval model on CPU"): AdamW (0.9, 0.95, wd 0.1 on
matrices), lr 2e-3, 100 warmup steps, cosine to 2e-4 over --cosine-steps (7000), then constant up to --max-steps
(8800), clip 1.0, ~4,096 tokens per step, loss = answer loss + 0.1 x LM loss.
Length curriculum: stages with lengths drawn from [128, 256] -> [128, 384] -> [128, 768] -> [128, 1024] ->
[512, 1024], with 100% -> 50% -> 20% -> 10% -> 10% of haystacks "plain" (lower-cased, no digits: only the needle
holds code characters, which lets the copy circuit form; see data.plain). A stage ends once the running exact match
of the last 40 steps is >= 85% (and it ran at least 150 steps). In the last stage, a held-out check runs every
--eval-every steps and training stops once every 512/1024-token cell is >= 98% twice in a row (or at --max-steps).

Writes to --work-dir: ckpt.pt (every --checkpoint-every steps and at the end; resumed from automatically),
final.pt (the trained weights + config + training summary) and train-log.jsonl.
Training example seeds: step * 1000 + index (< 1e9); evaluation uses the held-out range (see data.py).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

sys.dont_write_bytecode = True  # no __pycache__ in the repository
sys.path.insert(0, str(Path(__file__).resolve().parent))
from data import CODE_LENGTH, TRAIN_SEED_LIMIT, load_workspace_prose, make_example  # noqa: E402
from evaluate import DEFAULT_PROSE, answer_hits, evaluate, pad_batch  # noqa: E402
from model import LlamaModel, ModelConfig  # noqa: E402

# (shortest, longest length, fraction of examples with plain filler: no upper case or digits around the needle)
STAGES = [(128, 256, 1.0), (128, 384, 0.5), (128, 768, 0.2), (128, 1024, 0.1), (512, 1024, 0.1)]
STAGE_MIN_STEPS = 150
STAGE_WINDOW = 40
STAGE_ADVANCE_AT = 0.85
FINAL_EVAL_LENGTHS = (512, 1024)
FINAL_EVAL_DEPTHS = (0.1, 0.5, 0.9)
STOP_AT = 0.98


def lr_at(step: int, args) -> float:
    if step < args.warmup:
        return args.lr * (step + 1) / args.warmup
    horizon = args.cosine_steps or args.max_steps
    progress = min(1.0, (step - args.warmup) / max(1, horizon - args.warmup))
    return args.min_lr + 0.5 * (args.lr - args.min_lr) * (1 + math.cos(math.pi * progress))


def make_batch(step: int, stage: int, prose, tokens_per_step: int):
    lo, hi, plain_fraction = STAGES[stage]
    rng = random.Random(f"length:{step}")
    length = rng.randrange(lo, hi + 1, 32) if hi > lo else lo
    count = max(1, tokens_per_step // length)
    examples = []
    for i in range(count):
        seed = step * 1000 + i
        assert seed < TRAIN_SEED_LIMIT
        plain_filler = random.Random(f"plain:{seed}").random() < plain_fraction
        examples.append(make_example(seed, length, prose, plain_filler=plain_filler))
    return length, examples


def losses(logits: torch.Tensor, examples, ids: torch.Tensor):
    """Mean cross-entropy over the answer tokens (" CODE." + EOS) and over every other real token (the LM loss)."""
    targets = ids[:, 1:]
    logits = logits[:, :-1]
    answer_mask = torch.zeros_like(targets, dtype=torch.bool)
    real = torch.zeros_like(targets, dtype=torch.bool)
    for row, e in enumerate(examples):
        answer_mask[row, e.answer_start - 1 : len(e.ids) - 1] = True
        real[row, : len(e.ids) - 1] = True
    per_token = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), reduction="none").view_as(targets)
    lm_mask = real & ~answer_mask
    return per_token[answer_mask].mean(), per_token[lm_mask].mean()


def save_atomic(obj, path: Path) -> None:
    tmp = path.with_suffix(".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work-dir", type=Path, default=Path("/tmp/llamahome-needle"))
    parser.add_argument("--seed", type=int, default=1234, help="weight initialization seed")
    parser.add_argument("--max-steps", type=int, default=8800)
    parser.add_argument("--cosine-steps", type=int, default=7000, help="steps the cosine decay spans (then constant min-lr)")
    parser.add_argument("--tokens-per-step", type=int, default=4096)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--min-lr", type=float, default=2e-4)
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--checkpoint-every", type=int, default=100)
    parser.add_argument("--eval-every", type=int, default=250)
    parser.add_argument("--eval-per-cell", type=int, default=24)
    parser.add_argument("--prose", type=Path, default=DEFAULT_PROSE)
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    args.work_dir.mkdir(parents=True, exist_ok=True)
    prose = load_workspace_prose(args.prose)
    config = ModelConfig()
    torch.manual_seed(args.seed)
    model = LlamaModel(config)
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    optimizer = torch.optim.AdamW(
        [{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}], lr=args.lr, betas=(0.9, 0.95)
    )

    ckpt_path = args.work_dir / "ckpt.pt"
    final_path = args.work_dir / "final.pt"
    if final_path.exists() and ckpt_path.exists():
        finished = torch.load(final_path, map_location="cpu")["summary"]["steps"]
        saved_state = torch.load(ckpt_path, map_location="cpu")["state"]
        if saved_state["step"] == finished and (saved_state.get("done") or finished >= args.max_steps):
            print(f"{final_path} is already trained ({finished} steps); raise --max-steps to train on, or delete the work dir", flush=True)
            return
    log_path = args.work_dir / "train-log.jsonl"
    state = {"step": 0, "stage": 0, "stage_start": 0, "wall_s": 0.0, "recent": [], "passes": 0, "stage_steps": [], "evals": []}
    if ckpt_path.exists():
        saved = torch.load(ckpt_path, map_location="cpu")
        model.load_state_dict(saved["model"])
        optimizer.load_state_dict(saved["optimizer"])
        state = saved["state"]
        print(f"resumed from {ckpt_path} at step {state['step']} (stage {state['stage']})", flush=True)
    params = sum(p.numel() for p in model.parameters())
    print(f"config {config.to_dict()} params {params} threads {args.threads}", flush=True)

    def checkpoint() -> None:
        save_atomic({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "state": state, "config": config.to_dict()}, ckpt_path)

    log = log_path.open("a")
    window_started, window_steps = time.time(), 0
    done = False
    while state["step"] < args.max_steps and not done:
        step_started = time.time()
        step = state["step"]
        for group in optimizer.param_groups:
            group["lr"] = lr_at(step, args)
        length, examples = make_batch(step, state["stage"], prose, args.tokens_per_step)
        ids = pad_batch(examples)
        logits = model(ids)
        answer_loss, lm_loss = losses(logits, examples, ids)
        loss = answer_loss + 0.1 * lm_loss
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        grad_norm = float(torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0))
        optimizer.step()
        hits = answer_hits(logits.detach(), examples)
        state["recent"] = (state["recent"] + [sum(hits) / len(hits)])[-STAGE_WINDOW:]
        running = sum(state["recent"]) / len(state["recent"])
        state["step"] = step + 1
        state["wall_s"] += time.time() - step_started
        window_steps += 1

        record = {"step": step + 1, "stage": state["stage"], "length": length, "batch": len(examples), "loss": round(float(loss), 4),
                  "answer_loss": round(float(answer_loss), 4), "lm_loss": round(float(lm_loss), 4), "em": round(sum(hits) / len(hits), 3),
                  "running_em": round(running, 3), "lr": round(optimizer.param_groups[0]["lr"], 6), "grad_norm": round(grad_norm, 3)}
        if (step + 1) % 20 == 0 or step < 3:
            per_step = (time.time() - window_started) / window_steps
            window_started, window_steps = time.time(), 0
            print(f"step {step + 1:5d} stage {state['stage']} len {length:4d}x{len(examples):2d} loss {float(loss):.3f} "
                  f"ans {float(answer_loss):.3f} lm {float(lm_loss):.3f} em {running:.2f} lr {record['lr']:.2e} "
                  f"{per_step:.2f} s/step wall {state['wall_s'] / 60:.1f} min", flush=True)

        in_stage = state["step"] - state["stage_start"]
        if state["stage"] < len(STAGES) - 1:
            if in_stage >= STAGE_MIN_STEPS and len(state["recent"]) == STAGE_WINDOW and running >= STAGE_ADVANCE_AT:
                state["stage_steps"].append(state["step"])
                state["stage"] += 1
                state["stage_start"] = state["step"]
                state["recent"] = []
                print(f"--> stage {state['stage']} {STAGES[state['stage']]} at step {state['step']}", flush=True)
        elif in_stage % args.eval_every == 0:
            started = time.time()
            result = evaluate(model, prose, FINAL_EVAL_LENGTHS, FINAL_EVAL_DEPTHS, args.eval_per_cell)
            state["evals"].append({"step": state["step"], "exact_match": result})
            state["passes"] = state["passes"] + 1 if min(result.values()) >= STOP_AT else 0
            record["eval"] = result
            print(f"eval at step {state['step']}: {result} ({time.time() - started:.0f} s)", flush=True)
            done = state["passes"] >= 2
            state["done"] = done
        log.write(json.dumps(record) + "\n")
        if state["step"] % args.checkpoint_every == 0 or done:
            checkpoint()
            log.flush()

    checkpoint()
    summary = {"steps": state["step"], "train_wall_s": round(state["wall_s"], 1), "stage_steps": state["stage_steps"],
               "stages": STAGES, "evals": state["evals"], "stopped": "eval" if done else "max_steps", "seed": args.seed,
               "tokens_per_step": args.tokens_per_step, "lr": args.lr, "min_lr": args.min_lr, "warmup": args.warmup,
               "max_steps": args.max_steps, "cosine_steps": args.cosine_steps or args.max_steps, "threads": args.threads, "params": params, "torch": torch.__version__}
    save_atomic({"model": model.state_dict(), "config": config.to_dict(), "summary": summary}, final_path)
    print(f"done: {json.dumps(summary)[:2000]}", flush=True)


if __name__ == "__main__":
    main()
