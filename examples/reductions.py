"""Reduction family: row sums (puzzle 7), row statistics, user combine
functions, Welford, cross entropy, and the convolution of puzzle 10."""
from __future__ import annotations

import torch

import helion
import helion.language as hl


@helion.kernel()
def row_sum(x: torch.Tensor) -> torch.Tensor:
    m, n = x.size()
    out = torch.empty([m], dtype=x.dtype, device=x.device)
    for tile_m in hl.tile(m):
        out[tile_m] = x[tile_m, :].sum(-1)
    return out


@helion.kernel()
def long_sum(x: torch.Tensor) -> torch.Tensor:  # puzzle 7
    batch, seq_len = x.size()
    out = torch.empty(batch, dtype=x.dtype, device=x.device)
    for tile_batch in hl.tile(batch):
        acc = torch.zeros_like(tile_batch, dtype=torch.float32)
        for tile_seq in hl.tile(seq_len):
            chunk = x[tile_batch, tile_seq]
            acc += torch.sum(chunk, dim=1)
        out[tile_batch] = acc
    return out


@helion.kernel()
def row_stats(x: torch.Tensor) -> torch.Tensor:
    """max, min, argmax, argmin, prod, std, logsumexp of each row: one column each."""
    m, n = x.size()
    out = torch.empty([m, 7], dtype=torch.float32, device=x.device)
    for tile_m in hl.tile(m):
        row = x[tile_m, :].float()
        values, indices = torch.max(row, dim=1)
        out[tile_m, 0] = values
        out[tile_m, 1] = torch.amin(row, dim=1)
        out[tile_m, 2] = indices.float()
        out[tile_m, 3] = torch.argmin(row, dim=1).float()
        out[tile_m, 4] = torch.prod(row * 0.1 + 1.0, dim=1)
        out[tile_m, 5] = torch.std(row, dim=1)
        out[tile_m, 6] = torch.logsumexp(row, dim=1)
    return out


def row_stats_reference(x):
    r = x.double()
    v, i = torch.max(r, dim=1)
    return torch.stack([v, r.amin(1), i.double(), r.argmin(1).double(), torch.prod(r * 0.1 + 1.0, 1), r.std(1),
                        torch.logsumexp(r, 1)], dim=1)


@helion.kernel()
def cross_entropy(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Mean negative log-likelihood: logsumexp of each row minus the logit of
    its label, gathered from the flattened logits."""
    n, v = logits.size()
    flat = logits.view(-1)
    losses = torch.empty([n], dtype=torch.float32, device=logits.device)
    for tile_n in hl.tile(n):
        rows = logits[tile_n, :].float()
        picked = flat[tile_n.index * v + labels[tile_n]].float()
        losses[tile_n] = torch.logsumexp(rows, dim=-1) - picked
    return losses.mean()


def _max_abs(a, b):
    return torch.maximum(torch.abs(a), torch.abs(b))


def _argmax_pair(a, b):
    take = (b[0] > a[0]) | ((b[0] == a[0]) & (b[1] < a[1]))
    return torch.where(take, b[0], a[0]), torch.where(take, b[1], a[1])


@helion.kernel()
def user_reductions(x: torch.Tensor) -> torch.Tensor:
    """hl.reduce with user combine functions: max |x| and a (value, index) argmax."""
    m, n = x.size()
    out = torch.empty([m, 2], dtype=torch.float32, device=x.device)
    for tile_m in hl.tile(m):
        row = x[tile_m, :].float()
        out[tile_m, 0] = hl.reduce(_max_abs, row, dim=1)
        values, _ = hl.reduce(_argmax_pair, (row, torch.zeros_like(row) + 1.0), dim=1, other=(float("-inf"), 0.0))
        out[tile_m, 1] = values
    return out


@helion.kernel()
def welford(x: torch.Tensor) -> torch.Tensor:
    """Row mean and (population) variance in one pass over column tiles,
    merging per-tile statistics with Welford/Chan updates."""
    m, n = x.size()
    out = torch.empty([m, 2], dtype=torch.float32, device=x.device)
    for tile_m in hl.tile(m):
        count = hl.zeros([tile_m], dtype=torch.float32)
        mean = hl.zeros([tile_m], dtype=torch.float32)
        m2 = hl.zeros([tile_m], dtype=torch.float32)
        for tile_n in hl.tile(n):
            chunk = x[tile_m, tile_n].float()
            cnt = (tile_n.end - tile_n.begin).float()
            chunk_mean = torch.sum(chunk, dim=1) / cnt
            chunk_m2 = torch.sum((chunk - chunk_mean[:, None]) ** 2, dim=1)
            delta = chunk_mean - mean
            total = count + cnt
            mean = mean + delta * cnt / total
            m2 = m2 + chunk_m2 + delta * delta * count * cnt / total
            count = total
        out[tile_m, 0] = mean
        out[tile_m, 1] = m2 / count
    return out


@helion.kernel()
def conv2d(x: torch.Tensor, k: torch.Tensor) -> torch.Tensor:  # puzzle 10
    batch, h, w = x.size()
    kh, kw = k.size()[1:]
    out = torch.empty_like(x)
    x_padded = torch.nn.functional.pad(x, (0, kw, 0, kh, 0, 0), value=0.0)
    for tile_batch in hl.tile(batch):
        for i in range(h):
            for j in range(w):
                patch = x_padded[tile_batch, i:i + kh, j:j + kw]
                out[tile_batch, i, j] = (k[tile_batch] * patch).sum([1, 2])
    return out


def conv2d_reference(x, k):
    b, h, w = x.shape
    kh, kw = k.shape[1:]
    xp = torch.nn.functional.pad(x.double(), (0, kw, 0, kh, 0, 0))
    z = torch.zeros(b, h, w, dtype=torch.float64, device=x.device)
    for i in range(h):
        for j in range(w):
            z[:, i, j] = (k.double() * xp[:, i:i + kh, j:j + kw]).sum((1, 2))
    return z
