"""Attention family: the scalar flash attention of puzzle 9 and flash attention
with tensor-core dots (causal or not)."""
from __future__ import annotations

import torch

import helion
import helion.language as hl


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
