"""A llama-architecture transformer computed exactly as llama.cpp computes `general.architecture = llama`.

- RMSNorm: x / sqrt(mean(x^2) + eps) * weight (eps 1e-5), before attention, before the FFN and before the output.
- RoPE in llama.cpp's LLAMA_ROPE_TYPE_NORM layout: within each head, *adjacent* pairs (x[2i], x[2i+1]) are rotated
  by pos * base^(-2i/head_dim). Trained this way, attn_q/attn_k go into the GGUF unpermuted (the Hugging Face
  permutation exists only for checkpoints trained with rotate-half).
- Attention: softmax(q k^T / sqrt(head_dim)) with a causal mask; grouped-query when kv_heads < heads.
- SwiGLU FFN: down(silu(gate(x)) * up(x)); untied output matrix.
nn.Linear stores [out, in] row-major, which is ggml's ne = [in, out]: weights are exported as they are.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class ModelConfig:
    vocab_size: int = 260
    layers: int = 2
    embd: int = 128
    heads: int = 4
    kv_heads: int = 4
    ffn: int = 256
    rope_freq_base: float = 1_000_000.0
    rms_norm_eps: float = 1e-5

    @property
    def head_dim(self) -> int:
        return self.embd // self.heads

    def to_dict(self) -> dict:
        return asdict(self)


class RMSNorm(nn.Module):
    def __init__(self, dim: int, eps: float):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rope_tables(length: int, head_dim: int, base: float, start: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """cos/sin of shape [length, head_dim / 2], computed in float64 then rounded (llama.cpp works in float32)."""
    inv = base ** (-torch.arange(0, head_dim, 2, dtype=torch.float64) / head_dim)
    angles = torch.arange(start, start + length, dtype=torch.float64)[:, None] * inv[None, :]
    return angles.cos().float(), angles.sin().float()


def apply_rope(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """x: [batch, heads, time, head_dim]; rotates adjacent pairs (llama.cpp's NORM mode)."""
    even, odd = x[..., 0::2], x[..., 1::2]
    return torch.stack((even * cos - odd * sin, even * sin + odd * cos), dim=-1).flatten(-2)


class Block(nn.Module):
    def __init__(self, config: ModelConfig):
        super().__init__()
        c = config
        self.config = c
        self.attn_norm = RMSNorm(c.embd, c.rms_norm_eps)
        self.attn_q = nn.Linear(c.embd, c.heads * c.head_dim, bias=False)
        self.attn_k = nn.Linear(c.embd, c.kv_heads * c.head_dim, bias=False)
        self.attn_v = nn.Linear(c.embd, c.kv_heads * c.head_dim, bias=False)
        self.attn_output = nn.Linear(c.heads * c.head_dim, c.embd, bias=False)
        self.ffn_norm = RMSNorm(c.embd, c.rms_norm_eps)
        self.ffn_gate = nn.Linear(c.embd, c.ffn, bias=False)
        self.ffn_up = nn.Linear(c.embd, c.ffn, bias=False)
        self.ffn_down = nn.Linear(c.ffn, c.embd, bias=False)

    def forward(self, x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        c = self.config
        b, t, _ = x.shape
        h = self.attn_norm(x)
        q = self.attn_q(h).view(b, t, c.heads, c.head_dim).transpose(1, 2)
        k = self.attn_k(h).view(b, t, c.kv_heads, c.head_dim).transpose(1, 2)
        v = self.attn_v(h).view(b, t, c.kv_heads, c.head_dim).transpose(1, 2)
        q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        if c.kv_heads != c.heads:
            repeat = c.heads // c.kv_heads
            k, v = k.repeat_interleave(repeat, dim=1), v.repeat_interleave(repeat, dim=1)
        scores = (q @ k.transpose(-1, -2)) * (1.0 / math.sqrt(c.head_dim)) + mask
        attn = torch.softmax(scores, dim=-1) @ v
        x = x + self.attn_output(attn.transpose(1, 2).reshape(b, t, c.heads * c.head_dim))
        h = self.ffn_norm(x)
        return x + self.ffn_down(F.silu(self.ffn_gate(h)) * self.ffn_up(h))


class LlamaModel(nn.Module):
    def __init__(self, config: ModelConfig):
        super().__init__()
        self.config = config
        self.token_embd = nn.Embedding(config.vocab_size, config.embd)
        self.blocks = nn.ModuleList(Block(config) for _ in range(config.layers))
        self.output_norm = RMSNorm(config.embd, config.rms_norm_eps)
        self.output = nn.Linear(config.embd, config.vocab_size, bias=False)
        self.apply(self._init)
        for block in self.blocks:  # GPT-2 style: residual projections scaled down with depth
            for w in (block.attn_output.weight, block.ffn_down.weight):
                nn.init.normal_(w, 0.0, 0.02 / math.sqrt(2 * config.layers))

    @staticmethod
    def _init(module: nn.Module) -> None:
        if isinstance(module, (nn.Linear, nn.Embedding)):
            nn.init.normal_(module.weight, 0.0, 0.02)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        """ids [batch, time] -> logits [batch, time, vocab]; positions start at 0 (BOS)."""
        t = ids.shape[1]
        cos, sin = rope_tables(t, self.config.head_dim, self.config.rope_freq_base)
        mask = torch.full((t, t), float("-inf")).triu(1)
        x = self.token_embd(ids)
        for block in self.blocks:
            x = block(x, cos, sin, mask)
        return self.output(self.output_norm(x))

    def gguf_tensors(self) -> list[tuple[str, torch.Tensor]]:
        """(GGUF name, tensor) in file order; 2-D tensors are [out, in] row-major = ggml ne [in, out]."""
        out = [("token_embd.weight", self.token_embd.weight)]
        for i, block in enumerate(self.blocks):
            for name in ("attn_norm", "attn_q", "attn_k", "attn_v", "attn_output", "ffn_norm", "ffn_gate", "ffn_up", "ffn_down"):
                out.append((f"blk.{i}.{name}.weight", getattr(block, name).weight))
        out.append(("output_norm.weight", self.output_norm.weight))
        out.append(("output.weight", self.output.weight))
        return [(name, t.detach().float().contiguous()) for name, t in out]
