"""Reduction benchmarks (GPU): softmax, layer_norm, rms_norm on 8192x8192
bf16 as a fraction of a measured device copy, and flash attention against
torch's scaled_dot_product_attention, side by side in one run."""
from __future__ import annotations

import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "python"))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "examples"))
import helion  # noqa: E402
import attention as att  # noqa: E402
import softmax as sm  # noqa: E402
from triton.testing import do_bench  # noqa: E402


def timed(kernel, args, config, ref, tol):
    """ms of `kernel(*args)` under `config` after checking it against ref."""
    kernel.bind(args).set_config(config)
    out = kernel(*args)
    torch.testing.assert_close(out.float(), ref.float(), atol=tol, rtol=tol)
    return do_bench(lambda: kernel(*args), warmup=25, rep=100)


def best(kernel, args, configs, ref, tol):
    """(ms, config) of the fastest of `configs` that runs and is right."""
    results = []
    for c in configs:
        try:
            results.append((timed(kernel, args, c, ref, tol), c))
        except Exception as e:  # a hand config may not fit: report and go on
            print(f"  {kernel.__name__} {c!r}: {type(e).__name__}: {str(e)[:200]}", file=sys.stderr)
    return min(results, key=lambda r: r[0])


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results"))
    args = p.parse_args()
    os.makedirs(args.out, exist_ok=True)
    rows = []
    n = 8192
    x = torch.randn(n, n, device="cuda", dtype=torch.bfloat16)
    w = torch.randn(n, device="cuda", dtype=torch.bfloat16)
    b = torch.randn(n, device="cuda", dtype=torch.bfloat16)
    dst = torch.empty_like(x)
    copy_ms = do_bench(lambda: dst.copy_(x), warmup=25, rep=100)
    copy_bw = 2 * x.numel() * 2 / copy_ms / 1e9
    C = helion.Config
    row_cfgs = [C(block_sizes=[1], num_warps=w_) for w_ in (4, 8, 16)] + [C(block_sizes=[2], num_warps=16)]
    cases = [
        ("softmax", sm.softmax, (x,), torch.softmax(x.float(), -1).to(x.dtype), lambda: torch.softmax(x, -1)),
        ("layer_norm", sm.layer_norm, (x, w, b, 1e-5), torch.nn.functional.layer_norm(x.float(), (n,), w.float(), b.float()).to(x.dtype),
         lambda: torch.nn.functional.layer_norm(x, (n,), w, b)),
        ("rms_norm", sm.rms_norm, (x, w, 1e-6), (x.float() * torch.rsqrt((x.float() ** 2).mean(-1, keepdim=True) + 1e-6) * w.float()).to(x.dtype),
         lambda: torch.nn.functional.rms_norm(x, (n,), w, 1e-6)),
    ]
    for name, kernel, kargs, ref, torch_fn in cases:
        ms, cfg = best(kernel, kargs, row_cfgs, ref, 5e-2)
        bw = 2 * x.numel() * 2 / ms / 1e9
        torch_bw = 2 * x.numel() * 2 / do_bench(torch_fn, warmup=25, rep=100) / 1e9
        rows.append(dict(name=f"{name} 8192x8192 bf16 (TB/s)", helion=bw, torch=torch_bw, copy=copy_bw, ratio=bw / copy_bw,
                         goal=">= 0.9 of copy", met=bw / copy_bw >= 0.9, config=repr(cfg)))
    # Long rows: a persistent row of 65536 does not fit in registers; a looped
    # reduction (reduction_loops) streams it in chunks (three passes for softmax).
    xl = torch.randn(512, 65536, device="cuda", dtype=torch.bfloat16)
    refl = torch.softmax(xl.float(), -1).to(xl.dtype)
    torch_bw = 2 * xl.numel() * 2 / do_bench(lambda: torch.softmax(xl, -1), warmup=25, rep=100) / 1e9
    strategies = [("persistent", [C(block_sizes=[1], num_warps=w_) for w_ in (16, 32)]),
                  ("looped", [C(block_sizes=[1], reduction_loops=[r], num_warps=w_) for r in (2048, 4096, 8192) for w_ in (4, 8, 16)])]
    for label, cfgs in strategies:
        ms, cfg = best(sm.softmax, (xl,), cfgs, refl, 5e-2)
        bw = 2 * xl.numel() * 2 / ms / 1e9
        rows.append(dict(name=f"softmax 512x65536 bf16 {label} (TB/s)", helion=bw, torch=torch_bw, copy=copy_bw,
                         ratio=bw / copy_bw, goal="(info) of copy", met=True, config=repr(cfg)))
    # attention bf16: batch*heads 32, seq 4096, dim 128
    q, k, v = (torch.randn(32, 4096, 128, device="cuda", dtype=torch.bfloat16) for _ in range(3))
    for causal in (False, True):
        ref = torch.nn.functional.scaled_dot_product_attention(q[None], k[None], v[None], is_causal=causal)[0]
        sdpa_ms = do_bench(lambda: torch.nn.functional.scaled_dot_product_attention(q[None], k[None], v[None], is_causal=causal),
                           warmup=25, rep=100)
        cfgs = [C(block_sizes=[128, 64], num_warps=8, num_stages=3), C(block_sizes=[128, 128], num_warps=8, num_stages=2),
                C(block_sizes=[64, 64], num_warps=4, num_stages=3), C(block_sizes=[128, 64], num_warps=4, num_stages=3)]
        ms, cfg = best(att.attention, (q, k, v, causal), cfgs, ref, 3e-2)
        flops = 4 * 32 * 4096 * 4096 * 128 / (2 if causal else 1)
        rows.append(dict(name=f"attention bf16 32x4096x128 causal={causal} (TFLOP/s)", helion=flops / ms / 1e9,
                         torch=flops / sdpa_ms / 1e9, ratio=sdpa_ms / ms, goal=">= 0.7 of sdpa", met=sdpa_ms / ms >= 0.7,
                         config=repr(cfg)))
    result = {"device": torch.cuda.get_device_name(), "rows": rows}
    with open(os.path.join(args.out, "reductions.json"), "w") as f:
        json.dump(result, f, indent=1)
    print(f"device: {result['device']}")
    print(f"{'benchmark':55s} {'helion':>9s} {'torch':>9s} {'ratio':>7s}  goal")
    for r in rows:
        print(f"{r['name']:55s} {r['helion']:9.3f} {r['torch']:9.3f} {r['ratio']:7.3f}  {r['goal']} {'MET' if r['met'] else 'MISSED'}  {r['config']}")


if __name__ == "__main__":
    main()
