"""Explicit memory ops: a split-K matmul whose programs add their partial
products into one output with hl.atomic_add, a histogram (many programs
counting into the same bins), and a cross entropy that gathers the target
logit with a masked hl.load (ignored labels read nothing)."""
from __future__ import annotations

import torch

import helion
import helion.language as hl


@helion.kernel()
def split_k_matmul(x: torch.Tensor, y: torch.Tensor, split_k: int) -> torch.Tensor:
    """x @ y in float32 with K cut into `split_k` parts, one program per
    (tile_m, tile_n, part): more programs for a small M x N and a long K
    (256 x 256 x 32768 bf16 on an H200: 27 us with split_k=16, 135 us
    unsplit; torch.matmul 21 us)."""
    m, k = x.size()
    k2, n = y.size()
    out = torch.zeros([m, n], dtype=torch.float32, device=x.device)
    k_block = helion.next_power_of_2(helion.cdiv(k, split_k))
    for tile_m, tile_n, outer_k in hl.tile([m, n, k], block_size=[None, None, k_block]):
        acc = hl.zeros([tile_m, tile_n], dtype=torch.float32)
        for inner_k in hl.tile(outer_k):
            acc = torch.addmm(acc, x[tile_m, inner_k], y[inner_k, tile_n])
        hl.atomic_add(out, [tile_m, tile_n], acc)
    return out


@helion.kernel()
def histogram(x: torch.Tensor, num_bins: int) -> torch.Tensor:
    """torch.bincount of the values of a 2-d integer tensor, all in [0, num_bins).
    One atomic add in global memory per element: the plain form, 18x slower
    than torch.bincount on an H200 (16M values, 256 bins), which counts in
    shared memory first."""
    m, n = x.size()
    counts = torch.zeros([num_bins], dtype=torch.int32, device=x.device)
    for tile_m, tile_n in hl.tile([m, n]):
        hl.atomic_add(counts, [x[tile_m, tile_n]], 1)
    return counts


def histogram_reference(x: torch.Tensor, num_bins: int) -> torch.Tensor:
    return torch.bincount(x.flatten(), minlength=num_bins).double()


@helion.kernel()
def cross_entropy_gather(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Mean cross entropy over the rows whose label is not -100 (torch's
    ignore_index): an online logsumexp over chunks of the vocabulary, minus
    the target logit, gathered from the flattened logits by a load masked to
    the rows that have a label."""
    n, v = logits.size()
    flat = logits.view(-1)
    losses = torch.zeros([n], dtype=torch.float32, device=logits.device)
    for tile_n in hl.tile(n):
        label = labels[tile_n]
        valid = label != -100
        target = hl.load(flat, [tile_n.index * v + label], extra_mask=valid).float()
        row_max = hl.full([tile_n], float("-inf"), dtype=torch.float32)
        row_sum = hl.zeros([tile_n], dtype=torch.float32)
        for tile_v in hl.tile(v):
            # Each logit is read once: evict it first, keep the cache for the rest.
            chunk = hl.load(logits, [tile_n, tile_v], eviction_policy="evict_first").float()
            new_max = torch.maximum(row_max, chunk.amax(-1))
            row_sum = row_sum * torch.exp(row_max - new_max) + torch.exp(chunk - new_max[:, None]).sum(-1)
            row_max = new_max
        losses[tile_n] = torch.where(valid, row_max + torch.log(row_sum) - target, 0.0)
    return losses.sum() / (labels != -100).sum()


def cross_entropy_inputs(n: int, v: int, device, dtype) -> tuple:
    labels = torch.randint(0, v, (n,), device=device)
    labels[torch.rand(n, device=device) < 0.2] = -100
    labels[0] = 0  # at least one row counts
    return torch.randn(n, v, device=device, dtype=dtype), labels
