"""Default configs and canonical forms (GPU), side by side in one run:
- the default config of plain user kernels (no config: add, softmax,
  layer_norm over 8192^2 bf16, matmul bf16 8192^3, attention 32 x 4096 x 128)
  against the best of a few hand configs and against torch / the roofline;
- flash attention in the canonical 3-d bmm/baddbmm form against the 2-d
  hand-specialized form on the same configs, causal and not, and SDPA.
Writes defaults.json and prints a table."""
from __future__ import annotations

import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "python"))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "examples"))
import helion  # noqa: E402
import attention as att2d  # noqa: E402
import attention_canonical as att3d  # noqa: E402
import matmul as mm  # noqa: E402
from pointwise import add  # noqa: E402
import softmax as sm  # noqa: E402
from reductions import best, timed  # noqa: E402 - the same checked timing as the reductions table
from triton.testing import do_bench  # noqa: E402

C = helion.Config


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results"))
    args = p.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.manual_seed(0)
    rows = []
    n = 8192
    x = torch.randn(n, n, device="cuda", dtype=torch.bfloat16)
    y = torch.randn(n, n, device="cuda", dtype=torch.bfloat16)
    w = torch.randn(n, device="cuda", dtype=torch.bfloat16)
    b = torch.randn(n, device="cuda", dtype=torch.bfloat16)
    dst = torch.empty_like(x)
    copy_ms = do_bench(lambda: dst.copy_(x), warmup=25, rep=100)
    bytes2 = 2 * x.numel() * 2  # one read + one write of bf16
    copy_bw = bytes2 / copy_ms / 1e9

    def row(name, unit, default_rate, hand_rate, base_rate, base_name, cfg, hand_cfg):
        rows.append(dict(name=name, unit=unit, default=default_rate, best_hand=hand_rate, baseline=base_rate, baseline_name=base_name,
                         default_vs_hand=default_rate / hand_rate, default_vs_baseline=default_rate / base_rate,
                         default_config=repr(cfg), hand_config=repr(hand_cfg)))

    # Memory-bound kernels: TB/s of one read + one write (add reads two).
    mem_cases = [
        ("add", add, (x.view(-1), y.view(-1)), (x + y).view(-1), [C(block_sizes=[1024], num_warps=4), C(block_sizes=[2048], num_warps=8)], 3 * x.numel() * 2),
        ("softmax", sm.softmax, (x,), torch.softmax(x.float(), -1), [C(block_sizes=[1], num_warps=w_) for w_ in (8, 16)], bytes2),
        ("layer_norm", sm.layer_norm, (x, w, b, 1e-5), torch.nn.functional.layer_norm(x.float(), (n,), w.float(), b.float()),
         [C(block_sizes=[1], num_warps=w_) for w_ in (8, 16)], bytes2),
    ]
    for name, kernel, kargs, ref, hand, nbytes in mem_cases:
        default = kernel.bind(kargs).default_config()
        d_ms = timed(kernel, kargs, default, ref, 5e-2)
        h_ms, h_cfg = best(kernel, kargs, hand, ref, 5e-2)
        row(f"{name} 8192x8192 bf16" if name != "add" else "add 64M bf16", "TB/s", nbytes / d_ms / 1e9, nbytes / h_ms / 1e9, copy_bw,
            "device copy", default, h_cfg)

    flops = 2 * n ** 3
    ref = torch.matmul(x, y)
    cublas_ms = do_bench(lambda: torch.matmul(x, y), warmup=25, rep=100)
    default = mm.readme_matmul.bind((x, y)).default_config()
    d_ms = timed(mm.readme_matmul, (x, y), default, ref, 1.0)
    h_ms, h_cfg = best(mm.readme_matmul, (x, y), [C(block_sizes=[128, 256, 64], l2_groupings=[8], num_warps=8, num_stages=4),
                                                      C(block_sizes=[128, 256, 64], l2_groupings=[8], num_warps=8, num_stages=3)], ref, 1.0)
    row("matmul bf16 8192^3", "TFLOP/s", flops / d_ms / 1e9, flops / h_ms / 1e9, flops / cublas_ms / 1e9, "torch.matmul", default, h_cfg)

    bh, s, d = 32, 4096, 128
    q, k, v = (torch.randn(bh, s, d, device="cuda", dtype=torch.bfloat16) for _ in range(3))
    attn_cfgs = [C(block_sizes=[128, 64], num_warps=8, num_stages=3), C(block_sizes=[128, 128], num_warps=8, num_stages=2),
                 C(block_sizes=[64, 64], num_warps=4, num_stages=3)]
    for causal in (False, True):
        aflops = 4 * bh * s * s * d / (2 if causal else 1)
        # SDPA takes [batch, heads, seq, dim]: the 3-d view would run its slow math path.
        sdpa = lambda: torch.nn.functional.scaled_dot_product_attention(q[None], k[None], v[None], is_causal=causal)[0]  # noqa: E731
        ref = sdpa()
        sdpa_ms = do_bench(sdpa, warmup=25, rep=100)
        for form, kernel in (("2-d", att2d.attention), ("3-d canonical", att3d.attention)):
            default = kernel.bind((q, k, v, causal)).default_config()
            d_ms = timed(kernel, (q, k, v, causal), default, ref, 6e-2)
            h_ms, h_cfg = best(kernel, (q, k, v, causal), attn_cfgs, ref, 6e-2)
            row(f"attention {form} bf16 32x4096x128 causal={causal}", "TFLOP/s", aflops / d_ms / 1e9, aflops / h_ms / 1e9,
                aflops / sdpa_ms / 1e9, "SDPA", default, h_cfg)
        for cfg in attn_cfgs:  # the two forms on the same config; the 3-d one also with fp32 scores
            r2 = timed(att2d.attention, (q, k, v, causal), cfg, ref, 6e-2)
            for scores, fp32 in (("bf16 scores", False), ("fp32 scores", True)):
                r3 = timed(att3d.attention, (q, k, v, causal, fp32), cfg, ref, 6e-2)
                rows.append(dict(name=f"attention 3-d ({scores}) / 2-d causal={causal}", unit="ratio", config=repr(cfg),
                                 three_d=aflops / r3 / 1e9, two_d=aflops / r2 / 1e9, ratio=r2 / r3))

    result = dict(device=torch.cuda.get_device_name(), torch=torch.__version__, rows=rows)
    with open(os.path.join(args.out, "defaults.json"), "w") as f:
        json.dump(result, f, indent=1)
    for r in rows:
        if r["unit"] == "ratio":
            print(f"{r['name']:55s} 3-d {r['three_d']:7.1f} 2-d {r['two_d']:7.1f} TFLOP/s  ratio {r['ratio']:.3f}  {r['config']}")
        else:
            print(f"{r['name']:55s} default {r['default']:8.2f} hand {r['best_hand']:8.2f} {r['baseline_name']} {r['baseline']:8.2f} "
                  f"{r['unit']}  default/hand {r['default_vs_hand']:.2f}  default/base {r['default_vs_baseline']:.2f}  {r['default_config']}")


if __name__ == "__main__":
    main()
