"""Scans: cumulative sums along rows and a segmented scan (a sum that
restarts where a flag is set) with hl.associative_scan over a (value, flag)
pair. Rows are full slices `x[tile, :]`: a scan needs its whole row in one
program (no reduction_loops)."""
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
