"""Data-dependent control flow in device code: `if` on a value the program
loads (a row skipped when its flag is 0) and `while` loops whose trip count
depends on the data (a bisection search over a sorted tensor, Collatz step
counts)."""
from __future__ import annotations

import torch

import helion
import helion.language as hl


@helion.kernel()
def skip_rows_softmax(x: torch.Tensor, flags: torch.Tensor) -> torch.Tensor:
    """Softmax of the rows whose flag is set; the other rows are not read
    and stay zero (each program exits early on a zero flag)."""
    m, n = x.size()
    out = torch.zeros_like(x)
    for row in hl.grid(m):
        if flags[row] != 0:
            v = x[row, :].to(torch.float32)
            out[row, :] = torch.softmax(v, dim=0)
    return out


def skip_rows_softmax_reference(x: torch.Tensor, flags: torch.Tensor) -> torch.Tensor:
    return torch.where(flags[:, None] != 0, torch.softmax(x.double(), dim=1), 0.0)


@helion.kernel()
def searchsorted(sorted_seq: torch.Tensor, queries: torch.Tensor) -> torch.Tensor:
    """torch.searchsorted(sorted_seq, queries) (left): a bisection over a
    tile of queries that runs until every query of the tile has its place."""
    n = sorted_seq.size(0)
    out = torch.empty(queries.size(), dtype=torch.int64, device=queries.device)
    for tile in hl.tile(queries.size(0)):
        q = queries[tile]
        lo = hl.zeros([tile], dtype=torch.int64)
        hi = hl.full([tile], n, dtype=torch.int64)
        while (lo < hi).sum() > 0:
            active = lo < hi
            mid = torch.where(active, (lo + hi) // 2, 0)  # finished lanes read element 0
            below = sorted_seq[mid] < q
            lo = torch.where(active & below, mid + 1, lo)
            hi = torch.where(active & ~below, mid, hi)
        out[tile] = lo
    return out


def searchsorted_reference(sorted_seq: torch.Tensor, queries: torch.Tensor) -> torch.Tensor:
    return torch.searchsorted(sorted_seq, queries).double()


@helion.kernel()
def collatz_steps(x: torch.Tensor) -> torch.Tensor:
    """The number of Collatz steps (n -> n / 2 or 3n + 1) from each element to 1."""
    out = torch.empty_like(x)
    for i in hl.grid(x.size(0)):
        v = x[i]
        steps = 0
        while v > 1:
            if v % 2 == 0:
                v = v // 2
            else:
                v = 3 * v + 1
            steps += 1
        out[i] = steps
    return out


def collatz_steps_reference(x: torch.Tensor) -> torch.Tensor:
    def steps(v: int) -> int:
        n = 0
        while v > 1:
            v = v // 2 if v % 2 == 0 else 3 * v + 1
            n += 1
        return n
    return torch.tensor([steps(int(v)) for v in x.tolist()], dtype=torch.float64, device=x.device)
