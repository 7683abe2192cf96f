"""A mixture-of-experts matmul with top-1 routing: host code sorts the tokens
by expert; each expert's tokens are gathered by index, multiplied by that
expert's weight, and scattered back to their places."""
from __future__ import annotations

import torch

import helion
import helion.language as hl


@helion.kernel()
def moe_matmul(x: torch.Tensor, expert: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """x [tokens, k]; expert [tokens] (int64, the token's expert); w [experts, k, n]."""
    tokens, k = x.size()
    experts, _, n = w.size()
    order = torch.argsort(expert).to(torch.int32)  # tokens grouped by expert
    offsets = torch.zeros(experts + 1, dtype=torch.int32, device=x.device)
    offsets[1:] = torch.cumsum(torch.bincount(expert, minlength=experts), 0)
    out = torch.empty([tokens, n], dtype=x.dtype, device=x.device)
    for e in hl.grid(experts):
        for tr in hl.tile(offsets[e], offsets[e + 1]):
            rows = order[tr]
            for tn in hl.tile(n):
                acc = hl.zeros([tr, tn], dtype=torch.float32)
                for tk in hl.tile(k):
                    acc = torch.addmm(acc, x[rows, tk], w[e, tk, tn])
                out[rows, tn] = acc
    return out


def moe_inputs(tokens: int, k: int, n: int, experts: int, device, dtype) -> tuple:
    x = torch.randn(tokens, k, device=device, dtype=dtype)
    expert = torch.randint(0, experts, (tokens,), device=device)
    return x, expert, torch.randn(experts, k, n, device=device, dtype=dtype) / k ** 0.5


def moe_reference(x: torch.Tensor, expert: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    return torch.einsum("tk,tkn->tn", x.double(), w[expert].double())
