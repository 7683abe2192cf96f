"""Where flash attention's ceiling lies on this GPU: the same online-softmax
algorithm written directly in Triton (@triton.jit, our own kernel) beside
our compiled 2-d and 3-d kernels and each SDPA backend, all in one run.
If hand-written Triton cannot pass a ratio, our TTIR (which Triton compiles)
cannot either; the gap between the Triton rows and ours is the compiler's.
Writes attention_ceiling.json and a table."""
from __future__ import annotations

import argparse
import json
import os
import sys

import torch
import triton
import triton.language as tl

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "python"))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "examples"))
import helion  # noqa: E402
import attention_canonical  # noqa: E402
from attention import attention as attention_2d  # noqa: E402

from end_to_end import gpu_ms  # noqa: E402


@triton.jit
def _flash(q_desc, k_desc, v_desc, o_desc, qk_scale, seq: tl.constexpr, head_dim: tl.constexpr,
           block_m: tl.constexpr, block_n: tl.constexpr, m_fastest: tl.constexpr, causal: tl.constexpr,
           stages: tl.constexpr, specialize: tl.constexpr):
    # descriptors over [heads * seq, head_dim]; one program per (head, query block)
    if m_fastest:
        mb = tl.program_id(0)
        head = tl.program_id(1)
    else:
        head = tl.program_id(0)
        mb = tl.program_id(1)
    row0 = head * seq + mb * block_m
    q = q_desc.load([row0, 0])
    m_i = tl.full([block_m], float("-inf"), tl.float32)
    l_i = tl.zeros([block_m], tl.float32)
    acc = tl.zeros([block_m, head_dim], tl.float32)
    hi = (mb + 1) * block_m if causal else seq
    rows = mb * block_m + tl.arange(0, block_m)
    for start in tl.range(0, hi, block_n, num_stages=stages, warp_specialize=specialize):
        k = k_desc.load([head * seq + start, 0])
        qk = tl.dot(q, k.T)
        if causal:
            qk = tl.where(rows[:, None] >= (start + tl.arange(0, block_n))[None, :], qk, float("-inf"))
        m_ij = tl.maximum(m_i, tl.max(qk, 1) * qk_scale)
        p = tl.math.exp2(qk * qk_scale - m_ij[:, None])
        alpha = tl.math.exp2(m_i - m_ij)
        l_i = l_i * alpha + tl.sum(p, 1)
        v = v_desc.load([head * seq + start, 0])
        acc = tl.dot(p.to(v.dtype), v, acc * alpha[:, None])
        m_i = m_ij
    o_desc.store([row0, 0], (acc / l_i[:, None]).to(o_desc.dtype))


@triton.jit
def _flash_rotated(q_desc, k_desc, v_desc, o_desc, qk_scale, seq: tl.constexpr, head_dim: tl.constexpr,
                   block_m: tl.constexpr, block_n: tl.constexpr, m_fastest: tl.constexpr, causal: tl.constexpr,
                   stages: tl.constexpr, specialize: tl.constexpr):
    # the score dot of block j+1 is issued before the value dot of block j, so
    # softmax(j+1) can run while the tensor cores finish P(j) @ V(j)
    if m_fastest:
        mb = tl.program_id(0)
        head = tl.program_id(1)
    else:
        head = tl.program_id(0)
        mb = tl.program_id(1)
    row0 = head * seq + mb * block_m
    q = q_desc.load([row0, 0])
    acc = tl.zeros([block_m, head_dim], tl.float32)
    hi = (mb + 1) * block_m if causal else seq
    rows = mb * block_m + tl.arange(0, block_m)
    qk = tl.dot(q, k_desc.load([head * seq, 0]).T)
    if causal:
        qk = tl.where(rows[:, None] >= tl.arange(0, block_n)[None, :], qk, float("-inf"))
    m_i = tl.max(qk, 1) * qk_scale
    p = tl.math.exp2(qk * qk_scale - m_i[:, None])
    l_i = tl.sum(p, 1)
    alpha = tl.full([block_m], 1.0, tl.float32)
    for start in tl.range(0, hi, block_n, num_stages=stages, warp_specialize=specialize):
        nxt = tl.minimum(start + block_n, hi - block_n)
        qk = tl.dot(q, k_desc.load([head * seq + nxt, 0]).T)
        v = v_desc.load([head * seq + start, 0])
        acc = tl.dot(p.to(v.dtype), v, acc * alpha[:, None])
        if causal:
            qk = tl.where(rows[:, None] >= (nxt + tl.arange(0, block_n))[None, :], qk, float("-inf"))
        m_ij = tl.maximum(m_i, tl.max(qk, 1) * qk_scale)
        p_next = tl.math.exp2(qk * qk_scale - m_ij[:, None])
        alpha_next = tl.math.exp2(m_i - m_ij)
        last = start + block_n >= hi
        p = tl.where(last, p, p_next)
        alpha = tl.where(last, 1.0, alpha_next)
        l_i = tl.where(last, l_i, l_i * alpha_next + tl.sum(p_next, 1))
        m_i = tl.where(last, m_i, m_ij)
    o_desc.store([row0, 0], (acc / l_i[:, None]).to(o_desc.dtype))


def triton_flash(q, k, v, causal, block_m, block_n, warps, stages, m_fastest=True, specialize=False, rotated=False):
    from triton.tools.tensor_descriptor import TensorDescriptor

    bh, seq, d = q.shape
    out = torch.empty_like(q)
    descs = [TensorDescriptor.from_tensor(t.view(bh * seq, d), [block_m if i in (0, 3) else block_n, d])
             for i, t in enumerate((q, k, v, out))]
    grid = (seq // block_m, bh) if m_fastest else (bh, seq // block_m)
    (_flash_rotated if rotated else _flash)[grid](*descs, 1.4426950408889634 / d ** 0.5, seq, d, block_m, block_n, m_fastest, causal, stages,
                 specialize, num_warps=warps, num_stages=stages)
    return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results"))
    args = p.parse_args()
    os.makedirs(args.out, exist_ok=True)
    bh, seq, d = 32, 4096, 128
    q, k, v = (torch.randn(bh, seq, d, device="cuda", dtype=torch.bfloat16) for _ in range(3))
    rows = []
    backends = {"default": None}
    from torch.nn.attention import SDPBackend, sdpa_kernel
    backends.update(flash=SDPBackend.FLASH_ATTENTION, cudnn=SDPBackend.CUDNN_ATTENTION)
    for causal in (False, True):
        work = 4 * bh * seq * seq * d / (2 if causal else 1)
        tag = " causal" if causal else ""
        ref = torch.nn.functional.scaled_dot_product_attention(q[None], k[None], v[None], is_causal=causal)[0].float()
        sdpa_ms = None
        for name, be in backends.items():
            def run(be=be):
                if be is None:
                    return torch.nn.functional.scaled_dot_product_attention(q[None], k[None], v[None], is_causal=causal)
                with sdpa_kernel([be]):
                    return torch.nn.functional.scaled_dot_product_attention(q[None], k[None], v[None], is_causal=causal)
            try:
                ms = gpu_ms(run)
            except Exception as e:
                rows.append(dict(name=f"sdpa {name}{tag}", error=str(e)[:200]))
                continue
            sdpa_ms = sdpa_ms or ms
            rows.append(dict(name=f"sdpa {name}{tag}", tflops=work / ms / 1e9, ratio=sdpa_ms / ms))

        def record(name, fn):
            try:
                torch.testing.assert_close(fn().float(), ref, atol=3e-2, rtol=3e-2)
                ms = gpu_ms(fn)
            except Exception as e:  # report and go on
                rows.append(dict(name=name + tag, error=str(e)[:300]))
                return
            rows.append(dict(name=name + tag, tflops=work / ms / 1e9, ratio=sdpa_ms / ms))

        for bm, bn, w, s in ((128, 128, 8, 3), (128, 128, 8, 2), (128, 128, 8, 4), (128, 64, 8, 3), (128, 64, 4, 3),
                             (128, 64, 4, 2)):
            for rotated in (False, True):
                for ws in (False, True):
                    record(f"triton {bm}x{bn} w{w} s{s}{' rotated' if rotated else ''}{' ws' if ws else ''}",
                           lambda: triton_flash(q, k, v, causal, bm, bn, w, s, True, ws, rotated))
        for form, kernel in (("ours 2-d", attention_2d), ) if False else ():
            for bm, bn, w, s in ((128, 128, 8, 3), (128, 64, 8, 3)):
                for order in ([0, 1], [1, 0]):
                    for ws in (None, True):
                        for idx in ("pointer", "tensor_descriptor"):
                            cfg = helion.Config(block_sizes=[bm, bn], num_warps=w, num_stages=s, loop_orders=[order],
                                                range_warp_specializes=[None, ws], indexing=idx)
                            kernel.bind((q, k, v, causal)).set_config(cfg)
                            record(f"{form} {bm}x{bn} w{w} s{s} order{order}{' ws' if ws else ''} {idx}",
                                   lambda: kernel(q, k, v, causal))
    result = {"device": torch.cuda.get_device_name(), "torch": torch.__version__, "triton": triton.__version__,
              "shape": [bh, seq, d], "rows": rows}
    with open(os.path.join(args.out, "attention_ceiling.json"), "w") as f:
        json.dump(result, f, indent=1)
    for r in rows:
        if "error" in r:
            print(f"{r['name']:70s} FAILED {r['error'][:150]}")
        else:
            print(f"{r['name']:70s} {r['tflops']:8.1f} TFLOP/s {r['ratio']:6.3f} of SDPA")


if __name__ == "__main__":
    main()
