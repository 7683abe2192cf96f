"""Kernels that move data between layouts: rotary position embeddings (the
two halves of each head rotated by a position's angle) and concatenation
along the last dim (stores into slices of the output)."""
from __future__ import annotations

import torch

import helion
import helion.language as hl


@helion.kernel()
def rope(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """x: [tokens, heads, head_dim]; cos/sin: [tokens, head_dim // 2].
    out[..., :h] = x1 cos - x2 sin, out[..., h:] = x2 cos + x1 sin."""
    tokens, heads, dim = x.size()
    half = dim // 2
    out = torch.empty_like(x)
    for tt, th in hl.tile([tokens, heads]):
        x1 = x[tt, th, :half].float()
        x2 = x[tt, th, half:].float()
        c = cos[tt, None, :].float()
        s = sin[tt, None, :].float()
        out[tt, th, :half] = x1 * c - x2 * s
        out[tt, th, half:] = x2 * c + x1 * s
    return out


def rope_reference(x, cos, sin):
    half = x.size(-1) // 2
    x1, x2 = x[..., :half].double(), x[..., half:].double()
    c, s = cos[:, None, :].double(), sin[:, None, :].double()
    return torch.cat([x1 * c - x2 * s, x2 * c + x1 * s], dim=-1)


def rope_inputs(tokens, heads, dim, device, dtype):
    x = torch.randn(tokens, heads, dim, device=device, dtype=dtype)
    angles = torch.rand(tokens, dim // 2, device=device) * 6.28
    return x, angles.cos().to(dtype), angles.sin().to(dtype)


@helion.kernel()
def concat_last(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """torch.cat([a, b], dim=-1) for [m, na] and [m, nb]."""
    m, na = a.size()
    nb = b.size(1)
    out = torch.empty([m, na + nb], dtype=a.dtype, device=a.device)
    for tm in hl.tile(m):
        out[tm, :na] = a[tm, :]
        out[tm, na:] = b[tm, :]
    return out


def concat_reference(a, b):
    return torch.cat([a, b], dim=-1).double()
