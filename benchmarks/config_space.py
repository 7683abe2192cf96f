"""The Config space on the GPU (issue: the whole Config space as compiler
passes): bf16 matmul with flat vs persistent pid_types, pointer vs block_ptr
vs tensor_descriptor (TMA) indexing and the loop knobs, side by side with
torch.matmul in one run; the per-loop knobs and eviction policies on
softmax against a device copy; and with --attention, flash attention (the
2-d form and the seeds' 3-d bmm form, causal and not) over block sizes,
warps, stages, TMA and warp specialization against SDPA. Writes
config_space.json (attention_space.json) and a table."""
from __future__ import annotations

import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "python"))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "examples"))
import helion  # noqa: E402
import attention_canonical  # noqa: E402
from attention import attention as attention_2d  # noqa: E402
from matmul import readme_matmul as matmul  # noqa: E402
from softmax import softmax  # noqa: E402

from end_to_end import gpu_ms  # noqa: E402


def matmul_configs():
    out = []
    for bs, w, s in (([128, 256, 64], 8, 3), ([128, 128, 64], 8, 4), ([128, 128, 64], 4, 4)):
        base = dict(block_sizes=bs, l2_groupings=[8], num_warps=w, num_stages=s)
        out.append(dict(base))
        out.append(dict(base, indexing="tensor_descriptor"))
        out.append(dict(base, indexing="block_ptr"))
        out.append(dict(base, indexing="tensor_descriptor", pid_type="persistent_interleaved"))
        out.append(dict(base, indexing="tensor_descriptor", pid_type="persistent_blocked"))
        out.append(dict(base, indexing="pointer", pid_type="persistent_interleaved"))
        out.append(dict(base, indexing="tensor_descriptor", range_warp_specializes=[None, True]))
        out.append(dict(base, indexing="tensor_descriptor", pid_type="persistent_interleaved",
                        range_num_stages=[0, s], range_flattens=[True, None]))
    return out


def short_k_configs():
    """A wider sweep for a short K (8192 x 8192 x 1024: 16 k-steps of 64, so
    the prologue and epilogue of each tile weigh more): both tile shapes,
    deeper pipelines, persistent loops with the k-loop flattened into the
    tile loop (the next tile's loads overlap this tile's epilogue) and warp
    specialization."""
    out = []
    for bs in ([128, 256, 64], [256, 128, 64], [128, 128, 64]):
        for s in (3, 4):
            for g in (8,):
                base = dict(block_sizes=bs, l2_groupings=[g], num_warps=8, num_stages=s)
                out.append(dict(base))
                out.append(dict(base, indexing="tensor_descriptor", pid_type="persistent_interleaved"))
                out.append(dict(base, indexing="tensor_descriptor", pid_type="persistent_interleaved",
                                range_flattens=[True, None]))
                out.append(dict(base, indexing="tensor_descriptor", pid_type="persistent_interleaved",
                                range_warp_specializes=[None, True]))
                out.append(dict(base, indexing="tensor_descriptor", pid_type="persistent_blocked",
                                range_flattens=[True, None]))
    return out


def bench_matmul(rows, m, n, k, configs=None):
    a = torch.randn(m, k, device="cuda", dtype=torch.bfloat16)
    b = torch.randn(k, n, device="cuda", dtype=torch.bfloat16)
    ref = (a.float() @ b.float())
    flops = 2 * m * n * k
    name = f"bf16 matmul {m}x{n}x{k}"
    best = {}
    for fields in configs or matmul_configs():
        cfg = helion.Config(**fields)
        try:
            matmul.bind((a, b)).set_config(cfg)
            torch.testing.assert_close(matmul(a, b).float(), ref, atol=1.0, rtol=5e-2)
            ms = gpu_ms(lambda: matmul(a, b))
            torch_ms = gpu_ms(lambda: a @ b)  # side by side: clocks drift over a long sweep
        except Exception as e:  # report and go on with the other configs
            print(f"{name} {cfg!r} failed: {str(e)[:300]}", file=sys.stderr)
            rows.append(dict(name=f"{name} {cfg!r}", error=str(e)[:300]))
            continue
        ratio = torch_ms / ms
        rows.append(dict(name=f"{name} {cfg!r} (TFLOP/s)", helion=flops / ms / 1e9, torch=flops / torch_ms / 1e9, ratio=ratio))
        kind = (fields.get("pid_type", "flat"), fields.get("indexing", "pointer"))
        best[kind] = max(best.get(kind, 0), ratio)
    for (pid, idx), r in sorted(best.items()):
        rows.append(dict(name=f"{name} best {pid} + {idx} / torch.matmul", helion=r, torch=1.0, ratio=r))
    persistent_tma = max((r for (pid, idx), r in best.items() if pid != "flat" and idx == "tensor_descriptor"), default=None)
    rows.append(dict(name=f"{name} persistent + tensor_descriptor / torch.matmul", helion=persistent_tma, torch=1.0,
                     ratio=persistent_tma, goal=">= 1.0", met=persistent_tma is not None and persistent_tma >= 1.0))


def bench_softmax(rows):
    x = torch.randn(8192, 8192, device="cuda", dtype=torch.bfloat16)
    dst = torch.empty_like(x)
    copy_ms = gpu_ms(lambda: dst.copy_(x))
    ref = torch.softmax(x.float(), -1)
    base = dict(block_sizes=[4], num_warps=16)
    for extra in ({}, dict(load_eviction_policies=["first"]), dict(load_eviction_policies=["last"]),
                  dict(pid_type="persistent_interleaved"), dict(pid_type="persistent_blocked"),
                  dict(indexing="tensor_descriptor")):
        cfg = helion.Config(**base, **extra)
        try:
            softmax.bind((x,)).set_config(cfg)
            torch.testing.assert_close(softmax(x).float(), ref, atol=1e-2, rtol=1e-2)
            ms = gpu_ms(lambda: softmax(x))
        except Exception as e:
            print(f"softmax {cfg!r} failed: {str(e)[:300]}", file=sys.stderr)
            rows.append(dict(name=f"softmax 8192^2 {cfg!r}", error=str(e)[:300]))
            continue
        rows.append(dict(name=f"bf16 softmax 8192^2 {cfg!r} / copy", helion=copy_ms / ms, torch=None, ratio=copy_ms / ms))


def attention_configs():
    out = []
    for bm, bn, w, s in ((128, 64, 8, 3), (128, 128, 8, 3), (128, 64, 4, 3), (64, 64, 4, 3), (128, 128, 8, 2)):
        base = dict(block_sizes=[bm, bn], num_warps=w, num_stages=s)
        out.append(base)
        out.append(dict(base, indexing="tensor_descriptor"))
        out.append(dict(base, range_warp_specializes=[None, True]))
        out.append(dict(base, indexing="tensor_descriptor", range_warp_specializes=[None, True]))
    return out


def bench_attention(rows, bh=32, seq=4096, d=128):
    q, k, v = (torch.randn(bh, seq, d, device="cuda", dtype=torch.bfloat16) for _ in range(3))
    flops = 4 * bh * seq * seq * d
    for causal in (False, True):
        sdpa_ms = gpu_ms(lambda: torch.nn.functional.scaled_dot_product_attention(q[None], k[None], v[None], is_causal=causal))
        ref = torch.nn.functional.scaled_dot_product_attention(q[None], k[None], v[None], is_causal=causal)[0].float()
        work = flops / (2 if causal else 1)
        for form, kernel in (("2-d", attention_2d), ("3-d bmm", attention_canonical.attention)):
            name = f"flash attention {form} {bh}x{seq}x{d}{' causal' if causal else ''}"
            best = 0.0
            for fields in attention_configs():
                cfg = helion.Config(**fields)
                try:
                    kernel.bind((q, k, v, causal)).set_config(cfg)
                    torch.testing.assert_close(kernel(q, k, v, causal).float(), ref, atol=3e-2, rtol=3e-2)
                    ms = gpu_ms(lambda: kernel(q, k, v, causal))
                except Exception as e:  # report and go on with the other configs
                    print(f"{name} {cfg!r} failed: {str(e)[:300]}", file=sys.stderr)
                    rows.append(dict(name=f"{name} {cfg!r}", error=str(e)[:300]))
                    continue
                rows.append(dict(name=f"{name} {cfg!r} (TFLOP/s)", helion=work / ms / 1e9, torch=work / sdpa_ms / 1e9,
                                 ratio=sdpa_ms / ms))
                best = max(best, sdpa_ms / ms)
            rows.append(dict(name=f"{name} best / SDPA", helion=best, torch=1.0, ratio=best, goal=">= 0.85", met=best >= 0.85))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results"))
    p.add_argument("--attention", action="store_true", help="only the flash attention sweep (attention_space.json)")
    p.add_argument("--short-k", action="store_true",
                   help="only the wider 8192x8192x1024 matmul sweep (config_space_8192x1024.json)")
    args = p.parse_args()
    os.makedirs(args.out, exist_ok=True)
    rows = []
    name = "attention_space.json" if args.attention else "config_space_8192x1024.json" if args.short_k else "config_space.json"
    if args.attention:
        bench_attention(rows)
    elif args.short_k:
        bench_matmul(rows, 8192, 8192, 1024, short_k_configs())
    else:
        for m, n, k in ((8192, 8192, 8192), (4096, 4096, 4096), (8192, 8192, 1024)):
            bench_matmul(rows, m, n, k)
        bench_softmax(rows)
    result = {"device": torch.cuda.get_device_name(), "torch": torch.__version__, "rows": rows}
    with open(os.path.join(args.out, name), "w") as f:
        json.dump(result, f, indent=1)
    for r in rows:
        if "error" in r:
            print(f"{r['name'][:110]:110s} FAILED")
            continue
        fmt = lambda v: f"{v:9.3f}" if isinstance(v, float) else f"{'':>9s}"
        goal = f"{r.get('goal', '')} {'MET' if r.get('met') else ('MISSED' if 'met' in r else '')}"
        print(f"{r['name'][:110]:110s} {fmt(r['helion'])} {fmt(r['torch'])} {fmt(r['ratio'])}  {goal}")


if __name__ == "__main__":
    main()
