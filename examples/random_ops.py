"""Random numbers in device code: dropout with hl.rand.

hl.rand draws from a counter-based Philox-4x32-10 generator keyed by the
seed, with each element's position as its counter: the same seed gives the
same mask whatever the Config, on the CPU executor and on the GPU.
`philox_uniform` below computes the same numbers with torch on the host
(the reference of the example and of the tests).
"""
from __future__ import annotations

import torch

import helion
import helion.language as hl

MASK32 = 0xFFFFFFFF


@helion.kernel()
def dropout(x: torch.Tensor, p: float, seed: int) -> torch.Tensor:
    """Zero each element with probability p, scale the rest by 1 / (1 - p)."""
    out = torch.empty_like(x)
    scale = 1.0 / (1.0 - p)
    for tm, tn in hl.tile(x.size()):
        keep = hl.rand([tm, tn], seed) >= p
        out[tm, tn] = torch.where(keep, x[tm, tn] * scale, 0.0)
    return out


def philox_words(positions: torch.Tensor, seed: int) -> torch.Tensor:
    """The first 32-bit word (as int64 in [0, 2^32)) of Philox-4x32-10 with
    counter (position low, position high, 0, 0) and key (seed low, seed high)."""
    c = [positions & MASK32, (positions >> 32) & MASK32, torch.zeros_like(positions), torch.zeros_like(positions)]
    k = [seed & MASK32, (seed >> 32) & MASK32]
    for r in range(10):
        p0, p1 = c[0] * 0xD2511F53, c[2] * 0xCD9E8D57  # int64 products wrap; their low 64 bits are exact
        hi0, lo0 = (p0 >> 32) & MASK32, p0 & MASK32
        hi1, lo1 = (p1 >> 32) & MASK32, p1 & MASK32
        c = [hi1 ^ c[1] ^ k[0], lo1, hi0 ^ c[3] ^ k[1], lo0]
        k = [(k[0] + 0x9E3779B9) & MASK32, (k[1] + 0xBB67AE85) & MASK32]
    return c[0]


def philox_uniform(shape: tuple, seed: int, device=None) -> torch.Tensor:
    """What hl.rand(shape, seed) gives over a whole tensor of `shape`: float32 in [0, 1)."""
    positions = torch.arange(int(torch.tensor(shape).prod()), dtype=torch.int64, device=device).reshape(shape)
    return ((philox_words(positions, seed) >> 8).to(torch.float32) * 2.0 ** -24)


def dropout_reference(x: torch.Tensor, p: float, seed: int) -> torch.Tensor:
    keep = philox_uniform(tuple(x.shape), seed, x.device) >= torch.tensor(p, dtype=torch.float32)
    return torch.where(keep, x.double() / (1.0 - p), 0.0)
