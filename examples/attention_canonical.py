"""Flash attention written the way Helion users write it: 3-d tiles of
[batch*heads, seq, head_dim] with a batch tile of block 1, `torch.bmm` and
`torch.baddbmm`. helion-drop-unit-dims compiles it to the same 2-d
tensor-core code as the hand-specialized form in attention.py."""
import math

import torch

import helion
import helion.language as hl


@helion.kernel()
def attention(q_in: torch.Tensor, k_in: torch.Tensor, v_in: torch.Tensor, causal: bool = False,
              fp32_scores: bool = False) -> torch.Tensor:
    m_dim = q_in.size(-2)
    n_dim = k_in.size(-2)
    head_dim = hl.specialize(q_in.size(-1))
    q_view = q_in.reshape([-1, m_dim, head_dim])
    v_view = v_in.reshape([-1, n_dim, head_dim])
    k_view = k_in.reshape([-1, n_dim, head_dim]).transpose(1, 2)
    out = torch.empty_like(q_view)
    sm_scale = 1.0 / math.sqrt(head_dim)
    qk_scale = sm_scale * 1.44269504  # exp2 instead of exp
    for tile_b, tile_m in hl.tile([q_view.size(0), m_dim], block_size=[1, None]):
        m_i = hl.full([tile_b, tile_m], float("-inf"), dtype=torch.float32)
        l_i = torch.full_like(m_i, 1.0)
        acc = hl.zeros([tile_b, tile_m, head_dim], dtype=torch.float32)
        q = q_view[tile_b, tile_m, :]
        end = tile_m.end if causal else n_dim
        for tile_n in hl.tile(0, end):
            k = k_view[tile_b, :, tile_n]
            # torch.bmm of 16-bit inputs rounds the scores to 16 bits, as in
            # eager PyTorch; fp32_scores keeps them in fp32 like the 2-d form.
            qk = torch.bmm(q, k, out_dtype=torch.float32) if fp32_scores else torch.bmm(q, k)
            if causal:
                qk = torch.where(tile_m.index[None, :, None] >= tile_n.index[None, None, :], qk, float("-inf"))
            m_ij = torch.maximum(m_i, torch.amax(qk, -1) * qk_scale)
            qk = qk * qk_scale - m_ij[:, :, None]
            p = torch.exp2(qk)
            l_ij = torch.sum(p, -1)
            alpha = torch.exp2(m_i - m_ij)
            l_i = l_i * alpha + l_ij
            acc = acc * alpha[:, :, None]
            v = v_view[tile_b, tile_n, :]
            p = p.to(v.dtype)
            acc = torch.baddbmm(acc, p, v)
            m_i = m_ij
        acc = acc / l_i[:, :, None]
        out[tile_b, tile_m, :] = acc.to(out.dtype)
    return out.view(q_in.size())


def attention_reference(q, k, v, causal=False):
    return torch.nn.functional.scaled_dot_product_attention(q.double(), k.double(), v.double(), is_causal=causal)
