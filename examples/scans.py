"""Scans: cumulative sums along rows and a segmented scan (a sum that
restarts where a flag is set) with hl.associative_scan over a (value, flag)
pair. A scan needs its whole dim in one program: rows are full slices
`x[tile, :]` (no reduction_loops), or, for rows too long for that, chunks of
an inner loop that carry the running total (cumsum_long_rows)."""
from __future__ import annotations

import torch

import helion
import helion.language as hl


@helion.kernel()
def cumsum_rows(x: torch.Tensor) -> torch.Tensor:
    """Inclusive prefix sums and suffix sums of each row, side by side."""
    m, n = x.size()
    out = torch.empty([m, 2 * n], dtype=x.dtype, device=x.device)
    for tm in hl.tile(m):
        row = x[tm, :]
        out[tm, :n] = torch.cumsum(row, dim=1)
        out[tm, n:] = hl.cumsum(row, 1, reverse=True)
    return out


def cumsum_rows_reference(x: torch.Tensor) -> torch.Tensor:
    x = x.double()
    return torch.cat([x.cumsum(1), x.flip(1).cumsum(1).flip(1)], dim=1)


@helion.kernel()
def cumsum_long_rows(x: torch.Tensor) -> torch.Tensor:
    """Rows too long for one block: scan each chunk and add the sum of the
    chunks before it, carried through the loop (float32 throughout)."""
    m, n = x.size()
    out = torch.empty_like(x)
    for tm in hl.tile(m):
        carry = hl.zeros([tm], dtype=torch.float32)
        for tn in hl.tile(n):
            chunk = x[tm, tn].to(torch.float32)
            out[tm, tn] = torch.cumsum(chunk, 1) + carry[:, None]
            carry = carry + chunk.sum(1)
    return out


def _segment_add(left, right):
    """Combine (sum, starts-a-segment) pairs: the right side restarts the sum where it starts a segment."""
    left_sum, left_flag = left
    right_sum, right_flag = right
    return torch.where(right_flag != 0, right_sum, left_sum + right_sum), left_flag | right_flag


@helion.kernel()
def segment_sum(x: torch.Tensor, starts: torch.Tensor) -> torch.Tensor:
    """Running sums of each row that restart at every position where starts != 0."""
    out = torch.empty_like(x)
    for tm in hl.tile(x.size(0)):
        sums, _ = hl.associative_scan(_segment_add, (x[tm, :], starts[tm, :]), dim=1)
        out[tm, :] = sums
    return out


def segment_sum_reference(x: torch.Tensor, starts: torch.Tensor) -> torch.Tensor:
    """Prefix sums minus the prefix sum before each position's segment start."""
    x = x.double()
    cs = x.cumsum(1)
    positions = torch.arange(x.shape[1], device=x.device).expand_as(x)
    start = torch.where(starts != 0, positions, 0).cummax(1).values
    before = torch.where(start > 0, cs.gather(1, (start - 1).clamp(min=0)), 0.0)
    return cs - before
