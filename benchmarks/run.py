"""The kernel suite in one command: add, softmax, layer_norm, rms_norm,
matmul and attention (examples/) over a few sizes, each against torch eager,
torch.compile and its roofline: a device copy of the same bytes for the
memory-bound kernels, cuBLAS (torch.matmul) for matmul, and
scaled_dot_product_attention for attention.

    python benchmarks/run.py --out DIR            # quick: 2 sizes each (~3 min on an H200)
    python benchmarks/run.py --out DIR --full     # more sizes and configs
    python benchmarks/run.py --out DIR --device cpu --baselines eager   # the CPU executor (CI)

Writes DIR/run.json, DIR/run.md (a markdown table) and DIR/run.png (rate of
each implementation as a fraction of the roofline; skipped with a message
when matplotlib is not installed). Helion's time is the best of a few
configs per case (timed here, not autotuned), after checking its output
against torch eager.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import time
from dataclasses import dataclass
from typing import Callable

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
F = torch.nn.functional


@dataclass
class Case:
    kernel: str  # the suite's name for the kernel
    size: str
    helion: object  # the helion.Kernel
    args: tuple
    eager: Callable  # torch eager, same arguments
    roofline: Callable  # the roofline implementation (no arguments)
    roofline_name: str
    work: float  # bytes moved or FLOPs
    unit: str  # "TB/s" or "TFLOP/s"
    configs: list
    tol: float


def _suite(device: str, dtype: torch.dtype, full: bool) -> list[Case]:
    import helion
    from attention import attention
    from end_to_end import add
    from matmul import readme_matmul
    from softmax import layer_norm, rms_norm, softmax

    C = helion.Config
    gpu = device == "cuda"
    esize = torch.empty((), dtype=dtype).element_size()
    cases = []

    def randn(*shape):
        return torch.randn(*shape, device=device, dtype=dtype)

    def copy_of(nbytes: int) -> Callable:
        src = torch.empty(max(nbytes // 2 // esize, 1), device=device, dtype=dtype)
        dst = torch.empty_like(src)
        return lambda: dst.copy_(src)

    add_sizes = [1 << 24, 1 << 26] + ([1 << 28] if full else []) if gpu else [1 << 12]
    for n in add_sizes:
        x, y = randn(n), randn(n)
        cfgs = [C(block_sizes=[1024], num_warps=4), C(block_sizes=[2048], num_warps=8)] if gpu else [C(block_sizes=[256])]
        cases.append(Case("add", f"{n}", add, (x, y), torch.add, copy_of(3 * n * esize), "device copy",
                          3 * n * esize, "TB/s", cfgs, 1e-2))
    row_sizes = [(4096, 4096), (8192, 8192)] + ([(16384, 8192), (2048, 32768)] if full else []) if gpu else [(32, 256)]
    row_cfgs = ([C(block_sizes=[1], num_warps=8), C(block_sizes=[1], num_warps=16)]
                + ([C(block_sizes=[2], num_warps=16)] if full else []) if gpu else [C(block_sizes=[4])])
    for m, n in row_sizes:
        x, w, b = randn(m, n), randn(n), randn(n)
        nbytes = 2 * m * n * esize
        copy = copy_of(nbytes)
        cases += [
            Case("softmax", f"{m}x{n}", softmax, (x,), lambda x: torch.softmax(x, -1), copy, "device copy", nbytes,
                 "TB/s", row_cfgs, 2e-2),
            Case("layer_norm", f"{m}x{n}", layer_norm, (x, w, b, 1e-5), lambda x, w, b, eps: F.layer_norm(x, [x.size(1)], w, b, eps),
                 copy, "device copy", nbytes, "TB/s", row_cfgs, 5e-2),
            Case("rms_norm", f"{m}x{n}", rms_norm, (x, w, 1e-6), lambda x, w, eps: F.rms_norm(x, [x.size(1)], w, eps),
                 copy, "device copy", nbytes, "TB/s", row_cfgs, 5e-2),
        ]
    mm_sizes = [2048, 4096] + ([8192] if full else []) if gpu else [64]
    mm_cfgs = ([C(block_sizes=[128, 256, 64], l2_groupings=[8], num_warps=8, num_stages=3),
                C(block_sizes=[128, 128, 64], l2_groupings=[8], num_warps=8, num_stages=4)]
               + ([C(block_sizes=[256, 128, 64], l2_groupings=[8], num_warps=8, num_stages=3)] if full else [])
               if gpu else [C(block_sizes=[32, 32, 16])])
    for n in mm_sizes:
        x, y = randn(n, n), randn(n, n)
        cases.append(Case("matmul", f"{n}^3", readme_matmul, (x, y), torch.matmul, lambda x=x, y=y: torch.matmul(x, y),
                          "cuBLAS (torch.matmul)", 2 * n ** 3, "TFLOP/s", mm_cfgs, 5e-2 if gpu else 2e-2))
    att_sizes = [(16, 2048, 128), (32, 4096, 128)] + ([(32, 8192, 64)] if full else []) if gpu else [(2, 64, 32)]
    att_cfgs = ([C(block_sizes=[128, 64], num_warps=8, num_stages=3), C(block_sizes=[128, 128], num_warps=8, num_stages=2)]
                if gpu else [C(block_sizes=[32, 32])])
    for bh, s, d in att_sizes:
        q, k, v = randn(bh, s, d), randn(bh, s, d), randn(bh, s, d)

        def sdpa(q=q, k=k, v=v):
            return F.scaled_dot_product_attention(q[None], k[None], v[None])[0]

        cases.append(Case("attention", f"{bh}x{s}x{d}", attention, (q, k, v, False), _attention_eager, sdpa,
                          "SDPA", 4 * bh * s * s * d, "TFLOP/s", att_cfgs, 3e-2))
    return cases


def _attention_eager(q, k, v, causal):
    """Attention as eager torch ops (what torch.compile gets to fuse)."""
    scores = torch.matmul(q, k.transpose(1, 2)) * (q.size(-1) ** -0.5)
    return torch.matmul(torch.softmax(scores.float(), -1).to(q.dtype), v)


def _timer(device: str) -> Callable[[Callable], float]:
    if device == "cuda":
        from triton.testing import do_bench

        return lambda fn: do_bench(fn, warmup=10, rep=40)

    def cpu_ms(fn, reps=5):
        fn()
        times = []
        for _ in range(reps):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
        return 1e3 * statistics.median(times)

    return cpu_ms


def _best_helion(case: Case, timer, expected) -> tuple[float, str]:
    best = (math.inf, "")
    for config in case.configs:
        try:
            case.helion.bind(case.args).set_config(config)
            out = case.helion(*case.args)
            torch.testing.assert_close(out.float(), expected.float(), atol=case.tol, rtol=case.tol)
            best = min(best, (timer(lambda: case.helion(*case.args)), repr(config)))
        except Exception as e:  # noqa: BLE001 - a config that fails is reported and skipped
            print(f"  {case.kernel} {case.size} {config!r}: {type(e).__name__}: {str(e)[:200]}", file=sys.stderr)
    return best


def run(device: str, dtype: torch.dtype, full: bool, baselines: list[str]) -> list[dict]:
    timer = _timer(device)
    rows = []
    compiled = {}
    for case in _suite(device, dtype, full):
        start = time.perf_counter()
        expected = case.eager(*case.args)
        times = {"roofline": timer(case.roofline)}
        times["helion"], config = _best_helion(case, timer, expected)
        if "eager" in baselines:
            times["eager"] = timer(lambda: case.eager(*case.args))
        if "compile" in baselines:
            fn = compiled.setdefault(case.kernel, torch.compile(case.eager, dynamic=False))
            try:
                fn(*case.args)
                times["torch.compile"] = timer(lambda: fn(*case.args))
            except Exception as e:  # noqa: BLE001 - e.g. no C++ compiler for inductor on a CPU machine
                print(f"  torch.compile {case.kernel} {case.size}: {type(e).__name__}: {str(e)[:200]}", file=sys.stderr)
        # bytes (or FLOPs) per ms / 1e9 = TB/s (or TFLOP/s)
        rate = {k: (case.work / t / 1e9 if math.isfinite(t) and t > 0 else None) for k, t in times.items()}
        row = {"kernel": case.kernel, "size": case.size, "dtype": str(dtype).removeprefix("torch."), "unit": case.unit,
               "roofline": case.roofline_name, "ms": times, "rate": rate,
               "fraction_of_roofline": {k: (r / rate["roofline"] if r and rate["roofline"] else None)
                                        for k, r in rate.items() if k != "roofline"},
               "helion_config": config}
        rows.append(row)
        frac = row["fraction_of_roofline"].get("helion")
        print(f"{case.kernel:10s} {case.size:14s} helion {_fmt(rate['helion'])} {case.unit}  "
              f"{_fmt(frac)} of {case.roofline_name}  ({time.perf_counter() - start:.1f} s)", flush=True)
    return rows


def _fmt(v, digits=3) -> str:
    return "-" if v is None else f"{v:.{digits}g}"


def markdown(rows: list[dict], header: str) -> str:
    impls = [k for k in ("helion", "eager", "torch.compile") if any(k in r["rate"] for r in rows)]
    lines = [header, "",
             "| kernel | size | unit | " + " | ".join(impls) + " | roofline | " + " | ".join(f"{k} / roofline" for k in impls) + " |",
             "|" + " --- |" * (4 + 2 * len(impls))]
    for r in rows:
        rates = " | ".join(_fmt(r["rate"].get(k)) for k in impls)
        fracs = " | ".join(_fmt(r["fraction_of_roofline"].get(k), 2) for k in impls)
        lines.append(f"| {r['kernel']} | {r['size']} | {r['unit']} | {rates} | {_fmt(r['rate']['roofline'])} "
                     f"({r['roofline']}) | {fracs} |")
    return "\n".join(lines) + "\n"


def plot(rows: list[dict], path: str, title: str) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: skipping the plot (pip install matplotlib)", file=sys.stderr)
        return False
    impls = [k for k in ("helion", "eager", "torch.compile") if any(k in r["rate"] for r in rows)]
    labels = [f"{r['kernel']}\n{r['size']}" for r in rows]
    width = 0.8 / len(impls)
    fig, ax = plt.subplots(figsize=(max(8, 0.9 * len(rows)), 4.5))
    for i, impl in enumerate(impls):
        values = [r["fraction_of_roofline"].get(impl) or 0 for r in rows]
        ax.bar([j + (i - (len(impls) - 1) / 2) * width for j in range(len(rows))], values, width, label=impl)
    ax.axhline(1.0, color="black", linewidth=0.8, linestyle="--")
    ax.set_xticks(range(len(rows)), labels, fontsize=7)
    ax.set_ylabel("fraction of roofline\n(copy / cuBLAS / SDPA)")
    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return True


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", default=os.path.join(HERE, "results"))
    p.add_argument("--full", action="store_true", help="more sizes and configs (default: quick)")
    p.add_argument("--quick", action="store_true", help="the default; kept for symmetry with --full")
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--dtype", default=None, help="default bfloat16 on a GPU, float32 on the CPU")
    p.add_argument("--baselines", default="eager,compile", help="comma-separated: eager, compile")
    a = p.parse_args(argv)
    sys.path[:0] = [HERE, os.path.join(HERE, "..", "examples"), os.path.join(HERE, "..", "python")]
    dtype = getattr(torch, a.dtype or ("bfloat16" if a.device == "cuda" else "float32"))
    os.makedirs(a.out, exist_ok=True)
    name = torch.cuda.get_device_name() if a.device == "cuda" else "cpu (Helion's CPU executor)"
    rows = run(a.device, dtype, a.full and not a.quick, [b.strip() for b in a.baselines.split(",") if b.strip()])
    result = {"device": name, "torch": torch.__version__, "dtype": str(dtype), "mode": "full" if a.full else "quick",
              "rows": rows}
    with open(os.path.join(a.out, "run.json"), "w") as f:
        json.dump(result, f, indent=1)
    table = markdown(rows, f"Kernel suite on {name}, {dtype}, torch {torch.__version__}")
    with open(os.path.join(a.out, "run.md"), "w") as f:
        f.write(table)
    print(table)
    if plot(rows, os.path.join(a.out, "run.png"), f"Helion kernel suite on {name}"):
        print(f"wrote {os.path.join(a.out, 'run.png')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
