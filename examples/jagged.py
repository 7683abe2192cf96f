"""Jagged (ragged) kernels: rows of different lengths packed into one
tensor, as torch's jagged nested tensors store them (`values` holds every
row's elements one after another, `offsets[i]:offsets[i + 1]` is row i).
Each program loads its row's bounds and runs an inner `hl.tile(start, end)`
over them: the trip count and the mask of the last, partial tile are
computed at run time, and the block size is an ordinary Config entry.
jagged_layer_norm instead gives each program a tile of rows and runs
`hl.jagged_tile(lengths)`: each row lane is masked at its own length, which
suits many short rows."""
from __future__ import annotations

import torch

import helion
import helion.language as hl


def jagged_inputs(rows: int, d: int, max_len: int, device, dtype) -> tuple[torch.Tensor, torch.Tensor]:
    """(values [total, d], offsets [rows + 1], int64) with random row lengths, one of them 0."""
    lengths = torch.randint(0, max_len + 1, (rows,), device=device)
    lengths[rows // 2] = 0
    offsets = torch.cat([torch.zeros(1, dtype=torch.int64, device=device), lengths.cumsum(0)])
    return torch.randn(int(offsets[-1]), d, device=device, dtype=dtype), offsets


def _rows(values: torch.Tensor, offsets: torch.Tensor) -> list[torch.Tensor]:
    return [values[offsets[i]:offsets[i + 1]].double() for i in range(offsets.numel() - 1)]


@helion.kernel()
def jagged_sum(values: torch.Tensor, offsets: torch.Tensor) -> torch.Tensor:
    """The sum of each row ([rows, d]); an empty row sums to 0."""
    rows = offsets.size(0) - 1
    d = values.size(1)
    out = torch.empty([rows, d], dtype=values.dtype, device=values.device)
    for g in hl.grid(rows):
        start = offsets[g]
        end = offsets[g + 1]
        for tc in hl.tile(d):
            acc = hl.zeros([tc], dtype=torch.float32)
            for t in hl.tile(start, end):
                acc += values[t, tc].float().sum(0)
            out[g, tc] = acc
    return out


def jagged_sum_reference(values: torch.Tensor, offsets: torch.Tensor) -> torch.Tensor:
    return torch.stack([r.sum(0) for r in _rows(values, offsets)])


@helion.kernel()
def jagged_mean(values: torch.Tensor, offsets: torch.Tensor) -> torch.Tensor:
    """The mean of each row ([rows, d]); an empty row gives 0. The grid is
    rows x column tiles, so each program sums one column tile of one row."""
    rows = offsets.size(0) - 1
    out = torch.empty([rows, values.size(1)], dtype=values.dtype, device=values.device)
    for g, tc in hl.tile([rows, values.size(1)], block_size=[1, None]):
        start = offsets[g.begin]
        end = offsets[g.begin + 1]
        acc = hl.zeros([g, tc], dtype=torch.float32)
        for t in hl.tile(start, end):
            acc += values[t, tc].float().sum(0, keepdim=True)
        out[g, tc] = acc / torch.clamp(end - start, min=1).float()
    return out


def jagged_mean_reference(values: torch.Tensor, offsets: torch.Tensor) -> torch.Tensor:
    return torch.stack([r.sum(0) / max(r.shape[0], 1) for r in _rows(values, offsets)])


@helion.kernel()
def jagged_softmax(values: torch.Tensor, offsets: torch.Tensor) -> torch.Tensor:
    """Softmax over each row's elements, per column (torch.softmax(row, 0)
    of every row): an online max / sum pass over the row, then a pass that
    writes. Two inner loops over the same loaded bounds."""
    rows = offsets.size(0) - 1
    out = torch.empty_like(values)
    for g in hl.grid(rows):
        start = offsets[g]
        end = offsets[g + 1]
        for tc in hl.tile(values.size(1)):
            mx = hl.full([tc], float("-inf"), dtype=torch.float32)
            den = hl.zeros([tc], dtype=torch.float32)
            for t in hl.tile(start, end):
                v = values[t, tc].float()
                new_mx = torch.maximum(mx, v.amax(0))
                den = den * torch.exp(mx - new_mx) + torch.exp(v - new_mx[None, :]).sum(0)
                mx = new_mx
            for t in hl.tile(start, end):
                out[t, tc] = torch.exp(values[t, tc].float() - mx[None, :]) / den[None, :]
    return out


def jagged_softmax_reference(values: torch.Tensor, offsets: torch.Tensor) -> torch.Tensor:
    return torch.cat([torch.softmax(r, 0) for r in _rows(values, offsets)])


@helion.kernel()
def jagged_layer_norm(values: torch.Tensor, offsets: torch.Tensor, eps: float = 1e-5) -> torch.Tensor:
    """Each row normalized over all its elements (layer norm of a [len, d]
    block, no affine): a tile of rows per program, the positions of each row
    by hl.jagged_tile over the rows' lengths. Two passes for the mean and
    variance, one that writes; an empty row writes nothing."""
    rows = offsets.size(0) - 1
    d = values.size(1)
    out = torch.zeros_like(values)
    for tb in hl.tile(rows):
        starts = offsets[tb]
        lengths = offsets[tb.index + 1] - starts
        total = hl.zeros([tb], dtype=torch.float32)
        for tk in hl.jagged_tile(lengths):
            pos = starts[:, None] + tk.index[None, :]
            for tc in hl.tile(d):
                total = total + values[pos, tc].float().sum([1, 2])
        count = torch.clamp(lengths * d, min=1).float()
        mean = total / count
        sq = hl.zeros([tb], dtype=torch.float32)
        for tk in hl.jagged_tile(lengths):
            pos = starts[:, None] + tk.index[None, :]
            for tc in hl.tile(d):
                centered = values[pos, tc].float() - mean[:, None, None]
                sq = sq + (centered * centered).sum([1, 2])
        rstd = torch.rsqrt(sq / count + eps)
        for tk in hl.jagged_tile(lengths):
            pos = starts[:, None] + tk.index[None, :]
            for tc in hl.tile(d):
                y = (values[pos, tc].float() - mean[:, None, None]) * rstd[:, None, None]
                out[pos, tc] = y.to(out.dtype)
    return out


def jagged_layer_norm_reference(values: torch.Tensor, offsets: torch.Tensor, eps: float = 1e-5) -> torch.Tensor:
    return torch.cat([(r - r.mean()) / torch.sqrt(r.var(unbiased=False) + eps) if r.numel() else r
                      for r in _rows(values, offsets)])


@helion.kernel()
def segment_max(x: torch.Tensor, segment_ids: torch.Tensor, num_segments: int) -> torch.Tensor:
    """torch.segment_reduce(x, "max") over sorted segment ids: host code
    turns the ids into offsets (a searchsorted), each program reduces its
    segment's rows. An empty segment gives -inf, as torch's does."""
    offsets = torch.searchsorted(segment_ids, torch.arange(num_segments + 1, device=x.device, dtype=segment_ids.dtype))
    out = torch.empty([num_segments, x.size(1)], dtype=x.dtype, device=x.device)
    for s in hl.grid(num_segments):
        start = offsets[s]
        end = offsets[s + 1]
        for tc in hl.tile(x.size(1)):
            acc = hl.full([tc], float("-inf"), dtype=torch.float32)
            for t in hl.tile(start, end):
                acc = torch.maximum(acc, x[t, tc].float().amax(0))
            out[s, tc] = acc
    return out


def segment_max_inputs(n: int, d: int, num_segments: int, device, dtype) -> tuple:
    """All-negative rows (a masked lane read as 0 would win the max), sorted
    ids with the last segment empty."""
    ids = torch.sort(torch.randint(0, num_segments - 1, (n,), device=device)).values
    return -torch.rand(n, d, device=device, dtype=dtype) - 0.5, ids, num_segments


def segment_max_reference(x: torch.Tensor, segment_ids: torch.Tensor, num_segments: int) -> torch.Tensor:
    lengths = torch.bincount(segment_ids, minlength=num_segments)
    return torch.segment_reduce(x.double(), "max", lengths=lengths, axis=0)


@helion.kernel()
def grouped_gemm(x: torch.Tensor, offsets: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """Rows offsets[g]:offsets[g + 1] of x times their group's weight w[g]
    (the grouped GEMM of mixture-of-experts layers): x [m, k], w [groups, k, n]."""
    m, k = x.size()
    groups, _, n = w.size()
    out = torch.empty([m, n], dtype=x.dtype, device=x.device)
    for g in hl.grid(groups):
        start = offsets[g]
        end = offsets[g + 1]
        for tm in hl.tile(start, end):
            for tn in hl.tile(n):
                acc = hl.zeros([tm, tn], dtype=torch.float32)
                for tk in hl.tile(k):
                    acc = torch.addmm(acc, x[tm, tk], w[g, tk, tn])
                out[tm, tn] = acc
    return out


def grouped_gemm_inputs(groups: int, k: int, n: int, max_rows: int, device, dtype) -> tuple:
    x, offsets = jagged_inputs(groups, k, max_rows, device, dtype)
    return x, offsets, torch.randn(groups, k, n, device=device, dtype=dtype)


def grouped_gemm_reference(x: torch.Tensor, offsets: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    return torch.cat([r @ w[i].double() for i, r in enumerate(_rows(x, offsets))])


@helion.kernel()
def jagged_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, offsets: torch.Tensor) -> torch.Tensor:
    """Attention within each sequence of a packed batch (variable-length
    attention): q, k, v [heads, total, d], sequence s is rows
    offsets[s]:offsets[s + 1]. Query and key tiles both run over the loaded
    bounds; keys past the end of the last tile are masked to -inf."""
    heads, total, d = q.size()
    batch = offsets.size(0) - 1
    out = torch.empty_like(q)
    qk_scale = 1.4426950408889634 / d ** 0.5  # log2(e) / sqrt(d): softmax in exp2
    for h, s in hl.grid([heads, batch]):
        start = offsets[s]
        end = offsets[s + 1]
        for tq in hl.tile(start, end):
            q_i = q[h, tq, :]
            m_i = hl.full([tq], float("-inf"), dtype=torch.float32)
            l_i = hl.zeros([tq], dtype=torch.float32)
            acc = hl.zeros([tq, d], dtype=torch.float32)
            for tk in hl.tile(start, end):
                qk = hl.dot(q_i, k[h, tk, :].T)
                qk = torch.where(tk.index[None, :] < end, qk, float("-inf"))
                m_ij = torch.maximum(m_i, torch.amax(qk, -1) * qk_scale)
                p = torch.exp2(qk * qk_scale - m_ij[:, None])
                alpha = torch.exp2(m_i - m_ij)
                l_i = l_i * alpha + torch.sum(p, -1)
                acc = hl.dot(p.to(v.dtype), v[h, tk, :], acc=acc * alpha[:, None])
                m_i = m_ij
            out[h, tq, :] = (acc / l_i[:, None]).to(out.dtype)
    return out


def jagged_attention_inputs(batch: int, heads: int, d: int, max_len: int, device, dtype) -> tuple:
    lengths = torch.randint(1, max_len + 1, (batch,), device=device)
    lengths[batch // 2] = 0  # an empty sequence
    offsets = torch.cat([torch.zeros(1, dtype=torch.int64, device=device), lengths.cumsum(0)])
    total = int(offsets[-1])
    q, k, v = (torch.randn(heads, total, d, device=device, dtype=dtype) for _ in range(3))
    return q, k, v, offsets


def jagged_attention_reference(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, offsets: torch.Tensor) -> torch.Tensor:
    out = torch.empty_like(q, dtype=torch.float64)
    for s in range(offsets.numel() - 1):
        a, b = int(offsets[s]), int(offsets[s + 1])
        qs, ks, vs = (t[:, a:b].double() for t in (q, k, v))
        out[:, a:b] = torch.softmax(qs @ ks.transpose(1, 2) / q.size(-1) ** 0.5, -1) @ vs
    return out
