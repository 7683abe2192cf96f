"""Reduction kernels (puzzles 7-9, softmax, norms), shared by CPU and GPU tests."""
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
def softmax(x: torch.Tensor) -> torch.Tensor:
    m, n = x.size()
    out = torch.empty_like(x)
    for tile_m in hl.tile(m):
        out[tile_m, :] = torch.nn.functional.softmax(x[tile_m, :].float(), dim=1)
    return out


@helion.kernel()
def softmax_three_pass(x: torch.Tensor) -> torch.Tensor:  # puzzle 8
    batch, seq_len = x.size()
    out = torch.empty_like(x)
    for tile_batch in hl.tile(batch):
        max_vals = torch.full_like(tile_batch, float("-inf"), dtype=torch.float32)
        for tile_seq in hl.tile(seq_len):
            chunk = x[tile_batch, tile_seq]
            max_vals = torch.maximum(max_vals, torch.max(chunk, dim=1)[0])
        sum_exp = torch.zeros_like(tile_batch, dtype=torch.float32)
        for tile_seq in hl.tile(seq_len):
            chunk = x[tile_batch, tile_seq]
            exp_vals = torch.exp(chunk - max_vals[:, None])
            sum_exp += torch.sum(exp_vals, dim=1)
        for tile_seq in hl.tile(seq_len):
            chunk = x[tile_batch, tile_seq]
            exp_vals = torch.exp(chunk - max_vals[:, None])
            out[tile_batch, tile_seq] = exp_vals / sum_exp[:, None]
    return out


@helion.kernel()
def softmax_online(x: torch.Tensor) -> torch.Tensor:
    batch, n = x.size()
    out = torch.empty_like(x)
    for tile_b in hl.tile(batch):
        mi = hl.full([tile_b], float("-inf"), dtype=torch.float32)
        di = hl.zeros([tile_b], dtype=torch.float32)
        for tile_n in hl.tile(n):
            values = x[tile_b, tile_n].float()
            local_max = torch.maximum(mi, torch.amax(values, dim=1))
            di = di * torch.exp(mi - local_max) + torch.exp(values - local_max[:, None]).sum(dim=1)
            mi = local_max
        for tile_n in hl.tile(n):
            values = x[tile_b, tile_n].float()
            out[tile_b, tile_n] = torch.exp(values - mi[:, None]) / di[:, None]
    return out


@helion.kernel()
def flash_scalar(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:  # puzzle 9
    seq_len = q.size(0)
    out = torch.empty_like(q)
    for tile_q in hl.tile(seq_len):
        q_tile = q[tile_q]
        max_val = torch.full_like(q_tile, float("-inf"))
        sum_exp = torch.zeros_like(q_tile)
        weighted_sum = torch.zeros_like(q_tile)
        for tile_kv in hl.tile(seq_len):
            k_tile = k[tile_kv]
            v_tile = v[tile_kv]
            scores = q_tile[:, None] * k_tile[None, :]
            batch_max = torch.max(scores, dim=1)[0]
            new_max = torch.maximum(max_val, batch_max)
            scale_factor = torch.exp(max_val - new_max)
            sum_exp = sum_exp * scale_factor
            weighted_sum = weighted_sum * scale_factor
            exp_scores = torch.exp(scores - new_max[:, None])
            sum_exp = sum_exp + torch.sum(exp_scores, dim=1)
            weighted_sum = weighted_sum + torch.sum(exp_scores * v_tile[None, :], dim=1)
            max_val = new_max
        out[tile_q] = weighted_sum / sum_exp
    return out


@helion.kernel()
def layer_norm(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, eps: float) -> torch.Tensor:
    m, n = x.size()
    out = torch.empty_like(x)
    for tile_m in hl.tile(m):
        row = x[tile_m, :].float()
        mean = row.mean(dim=-1, keepdim=True)
        var = torch.var(row, dim=-1, keepdim=True, correction=0)
        normed = (row - mean) * torch.rsqrt(var + eps)
        out[tile_m, :] = normed * weight[:].float() + bias[:].float()
    return out


@helion.kernel()
def rms_norm(x: torch.Tensor, weight: torch.Tensor, eps: hl.constexpr) -> torch.Tensor:  # eps baked in
    m, n = x.size()
    out = torch.empty_like(x)
    for tile_m in hl.tile(m):
        row = x[tile_m, :].float()
        inv = torch.rsqrt(torch.mean(row * row, dim=-1, keepdim=True) + eps)
        out[tile_m, :] = row * inv * weight[:].float()
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


C = helion.Config


def _softmax_ref(x):
    return torch.softmax(x.double(), dim=1)


CASES = {
    "row_sum": (row_sum, lambda d, t: (torch.randn(37, 1000, device=d, dtype=t),), lambda x: x.double().sum(-1),
                [C(block_sizes=[1]), C(block_sizes=[4]), C(block_sizes=[16], reduction_loops=[64]), C(block_sizes=[2], num_warps=2),
                 C(block_sizes=[8], reduction_loops=[256]), C(block_sizes=[32]), C(block_sizes=[64]), C(block_sizes=[1], reduction_loops=[512]),
                 C(block_sizes=[4], num_warps=1), C(block_sizes=[16], num_stages=3)]),
    "long_sum": (long_sum, lambda d, t: (torch.randn(4, 2000, device=d, dtype=t),), lambda x: x.double().sum(1),
                 [C(block_sizes=[1, 256]), C(block_sizes=[2, 512]), C(block_sizes=[4, 128]), C(block_sizes=[1, 1024]),
                  C(block_sizes=[8, 64]), C(block_sizes=[2, 2048]), C(block_sizes=[4, 32], num_warps=2),
                  C(block_sizes=[1, 100 * 0 + 16]), C(block_sizes=[2, 256], num_stages=3), C(block_sizes=[4, 512], num_warps=8)]),
    "softmax": (softmax, lambda d, t: (torch.randn(33, 1000, device=d, dtype=t),), _softmax_ref,
                [C(block_sizes=[1]), C(block_sizes=[2]), C(block_sizes=[4], reduction_loops=[128], num_warps=8), C(block_sizes=[8]),
                 C(block_sizes=[1], reduction_loops=[64]), C(block_sizes=[16]), C(block_sizes=[2], num_stages=1),
                 C(block_sizes=[4], reduction_loops=[256], num_warps=1), C(block_sizes=[32]), C(block_sizes=[1], num_warps=16)]),
    "softmax_three_pass": (softmax_three_pass, lambda d, t: (torch.randn(4, 200, device=d, dtype=t),), _softmax_ref,
                           [C(block_sizes=[1, 64]), C(block_sizes=[2, 32]), C(block_sizes=[4, 128]), C(block_sizes=[1, 256]),
                            C(block_sizes=[4, 16]), C(block_sizes=[2, 64], num_warps=2), C(block_sizes=[1, 32]),
                            C(block_sizes=[4, 64], num_stages=3), C(block_sizes=[2, 128]), C(block_sizes=[1, 16])]),
    "softmax_online": (softmax_online, lambda d, t: (torch.randn(6, 3000, device=d, dtype=t),), _softmax_ref,
                       [C(block_sizes=[1, 512]), C(block_sizes=[2, 256]), C(block_sizes=[4, 1024]), C(block_sizes=[1, 128]),
                        C(block_sizes=[8, 64]), C(block_sizes=[2, 2048]), C(block_sizes=[1, 4096]), C(block_sizes=[4, 256], num_warps=8),
                        C(block_sizes=[2, 512], num_stages=3), C(block_sizes=[1, 32])]),
    "flash_scalar": (flash_scalar, lambda d, t: tuple(torch.randn(200, device=d, dtype=t) for _ in range(3)),
                     lambda q, k, v: (v.double()[None, :] * torch.softmax(q.double()[:, None] * k.double()[None, :], 1)).sum(1),
                     [C(block_sizes=[16, 16]), C(block_sizes=[32, 64]), C(block_sizes=[64, 32]), C(block_sizes=[8, 128]),
                      C(block_sizes=[128, 8]), C(block_sizes=[16, 256]), C(block_sizes=[256, 16]), C(block_sizes=[32, 32], num_warps=2),
                      C(block_sizes=[4, 64]), C(block_sizes=[64, 64], num_warps=8)]),
    "layer_norm": (layer_norm, lambda d, t: (torch.randn(30, 700, device=d, dtype=t), torch.randn(700, device=d, dtype=t),
                                             torch.randn(700, device=d, dtype=t), 1e-5),
                   lambda x, w, b, eps: torch.nn.functional.layer_norm(x.double(), (x.shape[1],), w.double(), b.double(), eps),
                   [C(block_sizes=[1]), C(block_sizes=[2]), C(block_sizes=[4], reduction_loops=[128], num_warps=8), C(block_sizes=[8]),
                    C(block_sizes=[16], reduction_loops=[64]), C(block_sizes=[1], num_warps=2), C(block_sizes=[2], num_stages=1),
                    C(block_sizes=[32], reduction_loops=[512]),
                    C(block_sizes=[4], num_warps=1), C(block_sizes=[1], num_warps=16)]),
    "rms_norm": (rms_norm, lambda d, t: (torch.randn(30, 700, device=d, dtype=t), torch.randn(700, device=d, dtype=t), 1e-6),
                 lambda x, w, eps: x.double() * torch.rsqrt((x.double() ** 2).mean(-1, keepdim=True) + eps) * w.double(),
                 [C(block_sizes=[1]), C(block_sizes=[2]), C(block_sizes=[4], reduction_loops=[128], num_warps=8), C(block_sizes=[8]),
                  C(block_sizes=[16], reduction_loops=[64]), C(block_sizes=[1], num_warps=2), C(block_sizes=[2], num_stages=1),
                  C(block_sizes=[32], reduction_loops=[512]),
                  C(block_sizes=[4], num_warps=1), C(block_sizes=[1], num_warps=16)]),
    "row_stats": (row_stats, lambda d, t: (torch.randn(19, 300, device=d, dtype=t),), row_stats_reference,
                  [C(block_sizes=[1]), C(block_sizes=[2]), C(block_sizes=[4], reduction_loops=[32]), C(block_sizes=[8]),
                   C(block_sizes=[16], reduction_loops=[128]), C(block_sizes=[1], num_warps=8), C(block_sizes=[2], num_warps=2),
                   C(block_sizes=[32], reduction_loops=[64]),
                   C(block_sizes=[4], num_stages=1), C(block_sizes=[8], num_warps=1)]),
}


def tolerance(dtype, name=""):
    if dtype == torch.float32 and name.startswith("attention"):
        return (2e-2, 2e-2)  # tf32 dots
    if dtype == torch.float32:
        return (1e-3, 1e-3) if name == "row_stats" else (1e-4, 1e-4)
    if name.startswith("attention"):
        return (2e-2, 2e-2) if dtype == torch.float32 else (6e-2, 6e-2)
    return (5e-2, 5e-2) if name != "row_stats" else (2e-1, 5e-2)


@helion.kernel()
def attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, causal: bool) -> torch.Tensor:
    """Flash attention over [batch*heads, seq, head_dim]; online softmax in exp2.
    Each program takes one (batch*head) row, indexed by a scalar, so every
    tensor in the loop is 2-d and both products are plain tensor-core dots."""
    bh, m, d = q.size()
    n = k.size(1)
    out = torch.empty_like(q)
    qk_scale = 1.4426950408889634 / d ** 0.5
    for tile_b, tile_m in hl.tile([bh, m], block_size=[1, None]):
        b = tile_b.begin
        m_i = hl.full([tile_m], float("-inf"), dtype=torch.float32)
        l_i = hl.zeros([tile_m], dtype=torch.float32)
        acc = hl.zeros([tile_m, d], dtype=torch.float32)
        q_i = q[b, tile_m, :]
        end = tile_m.end if causal else n
        for tile_n in hl.tile(0, end):
            k_j = k[b, tile_n, :]
            qk = hl.dot(q_i, k_j.T)
            if causal:
                qk = torch.where(tile_m.index[:, None] >= tile_n.index[None, :], qk, float("-inf"))
            m_ij = torch.maximum(m_i, torch.amax(qk, -1) * qk_scale)
            p = torch.exp2(qk * qk_scale - m_ij[:, None])
            alpha = torch.exp2(m_i - m_ij)
            l_i = l_i * alpha + torch.sum(p, -1)
            acc = hl.dot(p.to(v.dtype), v[b, tile_n, :], acc=acc * alpha[:, None])
            m_i = m_ij
        out[b, tile_m, :] = acc / l_i[:, None]
    return out


def attention_reference(q, k, v, causal):
    return torch.nn.functional.scaled_dot_product_attention(q.double()[None], k.double()[None], v.double()[None],
                                                            is_causal=causal)[0]


for _causal in (False, True):
    CASES[f"attention{'_causal' if _causal else ''}"] = (
        attention,
        (lambda c: lambda d, t: (torch.randn(2, 100, 64, device=d, dtype=t), torch.randn(2, 100, 64, device=d, dtype=t),
                                  torch.randn(2, 100, 64, device=d, dtype=t), c))(_causal),
        attention_reference,
        [C(block_sizes=[16, 16]), C(block_sizes=[32, 16]), C(block_sizes=[16, 32]), C(block_sizes=[64, 32]),
         C(block_sizes=[32, 64], num_warps=8), C(block_sizes=[128, 16]), C(block_sizes=[16, 128]), C(block_sizes=[64, 64], num_stages=3),
         C(block_sizes=[32, 32], num_warps=2), C(block_sizes=[128, 64], num_warps=8)],
    )


@helion.kernel()
def embedding(idx: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """out[i, :] = weight[idx[i], :] (a gather)."""
    n = idx.size(0)
    d = weight.size(1)
    out = torch.empty([n, d], dtype=weight.dtype, device=weight.device)
    for tile_n, tile_d in hl.tile([n, d]):
        out[tile_n, tile_d] = weight[idx[tile_n], tile_d]
    return out


@helion.kernel()
def swiglu(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    out = torch.empty_like(a)
    for tile_m, tile_n in hl.tile(a.size()):
        x = a[tile_m, tile_n].float()
        out[tile_m, tile_n] = torch.nn.functional.silu(x) * b[tile_m, tile_n]
    return out


@helion.kernel()
def geglu(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    out = torch.empty_like(a)
    for tile_m, tile_n in hl.tile(a.size()):
        x = a[tile_m, tile_n].float()
        out[tile_m, tile_n] = torch.nn.functional.gelu(x, approximate="tanh") * b[tile_m, tile_n]
    return out


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


CASES["embedding"] = (
    embedding,
    lambda d, t: (torch.randint(0, 500, (300,), device=d), torch.randn(500, 96, device=d, dtype=t)),
    lambda idx, w: w.double()[idx],
    [C(block_sizes=[16, 32]), C(block_sizes=[32, 128]), C(block_sizes=[64, 16]), C(block_sizes=[1, 128]), C(block_sizes=[128, 64]),
     C(block_sizes=[8, 8]), C(block_sizes=[256, 32], num_warps=8), C(block_sizes=[16, 16], loop_orders=[[1, 0]]),
     C(block_sizes=[32, 32], l2_groupings=[4]), C(block_sizes=[4, 256])],
)
for _name, _fn, _ref in (("swiglu", swiglu, lambda a, b: torch.nn.functional.silu(a.double()) * b.double()),
                         ("geglu", geglu, lambda a, b: torch.nn.functional.gelu(a.double(), approximate="tanh") * b.double())):
    CASES[_name] = (
        _fn,
        lambda d, t: (torch.randn(70, 300, device=d, dtype=t), torch.randn(70, 300, device=d, dtype=t)),
        _ref,
        [C(block_sizes=[16, 64]), C(block_sizes=[32, 128]), C(block_sizes=[64, 16]), C(block_sizes=[1, 512]), C(block_sizes=[128, 8]),
         C(block_sizes=[8, 8]), C(block_sizes=[4, 256], num_warps=8), C(block_sizes=[16, 16], loop_orders=[[1, 0]]),
         C(block_sizes=[32, 32], l2_groupings=[4]), C(block_sizes=[2, 1024])],
    )
CASES["cross_entropy"] = (
    cross_entropy,
    lambda d, t: (torch.randn(37, 1000, device=d, dtype=t), torch.randint(0, 1000, (37,), device=d)),
    lambda logits, labels: torch.nn.functional.cross_entropy(logits.double(), labels),
    [C(block_sizes=[1]), C(block_sizes=[2]), C(block_sizes=[4], reduction_loops=[128]), C(block_sizes=[8]),
     C(block_sizes=[16], reduction_loops=[256]), C(block_sizes=[1], num_warps=8), C(block_sizes=[2], num_warps=2),
     C(block_sizes=[32], reduction_loops=[64]), C(block_sizes=[4], num_stages=1),
     C(block_sizes=[8], num_warps=1)],
)


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


CASES["user_reductions"] = (
    user_reductions,
    lambda d, t: (torch.randn(21, 300, device=d, dtype=t),),
    lambda x: torch.stack([x.double().abs().amax(1), x.double().amax(1)], dim=1),
    [C(block_sizes=[1]), C(block_sizes=[2]), C(block_sizes=[4], reduction_loops=[32]), C(block_sizes=[8]),
     C(block_sizes=[16], reduction_loops=[128]), C(block_sizes=[1], num_warps=8), C(block_sizes=[2], num_warps=2),
     C(block_sizes=[32], reduction_loops=[64]), C(block_sizes=[4], num_stages=1),
     C(block_sizes=[8], num_warps=1)],
)


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


CASES["welford"] = (
    welford,
    lambda d, t: (torch.randn(13, 3000, device=d, dtype=t) + 3.0,),
    lambda x: torch.stack([x.double().mean(1), x.double().var(1, correction=0)], dim=1),
    [C(block_sizes=[1, 256]), C(block_sizes=[2, 512]), C(block_sizes=[4, 128]), C(block_sizes=[1, 1024]), C(block_sizes=[8, 64]),
     C(block_sizes=[2, 2048]), C(block_sizes=[4, 32], num_warps=2), C(block_sizes=[1, 16]), C(block_sizes=[2, 256], num_stages=3),
     C(block_sizes=[4, 512], num_warps=8)],
)
