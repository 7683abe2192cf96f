"""Autotuning benchmark (GPU): kernels written as plain user code with no
config, tuned from scratch at each effort; tuning wall time and the tuned
rate side by side with torch eager, torch.compile, a device copy, cuBLAS
(torch.matmul) and SDPA, measured in the same run.

    python benchmarks/autotune.py --out DIR [--effort quick|full|quick,full] [--kernels add,softmax,...]
    python benchmarks/autotune.py --cpu-check   # each kernel on small CPU inputs vs torch (no GPU)

Results merge into DIR/autotune.json (one row per kernel and effort, so the
kernels can be run in several invocations) and DIR/autotune.png.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "python"))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "examples"))
import helion  # noqa: E402
# The examples are plain user code with no config; each is re-wrapped below
# with the effort under test (`kernel.fn` is the undecorated function).
from attention_canonical import attention  # noqa: E402
from matmul import readme_matmul  # noqa: E402
from pointwise import add  # noqa: E402
from softmax import layer_norm, softmax  # noqa: E402

GOALS = {"copy": 0.95, "matmul": 1.0, "sdpa": 0.85}
QUICK_SECONDS = 30.0



# -- cases: inputs, torch references and what the rate is measured against ------
def _sdpa(q, k, v):
    # [batch, heads, seq, dim]: on a 3-d view SDPA takes its slow math path.
    return torch.nn.functional.scaled_dot_product_attention(q[None], k[None], v[None])[0]


def _cases(small: bool, device: str) -> dict:
    bf16 = torch.bfloat16 if device == "cuda" else torch.float32
    n = 256 if small else 8192

    def rnd(*shape):
        return torch.randn(*shape, device=device, dtype=bf16)

    def mm(m, nn, k):
        return dict(fn=readme_matmul.fn, inputs=lambda: (rnd(m, k), rnd(k, nn)), eager=torch.matmul, kind="matmul",
                    work=2 * m * nn * k, unit="TFLOP/s")

    bh, s, d = (2, 128, 32) if small else (32, 4096, 128)
    add_n = 1 << (12 if small else 26)
    cases = {
        "add": dict(fn=add.fn, inputs=lambda: (rnd(add_n), rnd(add_n)), eager=torch.add, kind="copy",
                    work=3 * add_n * 2, copy_elems=add_n, unit="TB/s"),
        "softmax": dict(fn=softmax.fn, inputs=lambda: (rnd(n, n),), eager=lambda x: torch.softmax(x, -1), kind="copy",
                        work=2 * n * n * 2, copy_elems=n * n, unit="TB/s"),
        "layer_norm": dict(fn=layer_norm.fn, inputs=lambda: (rnd(n, n), rnd(n), rnd(n), 1e-5),
                           eager=lambda x, w, b, eps: torch.nn.functional.layer_norm(x, (x.size(1),), w, b, eps), kind="copy",
                           work=2 * n * n * 2, copy_elems=n * n, unit="TB/s"),
        "matmul_8192": mm(*(256, 256, 256) if small else (8192, 8192, 8192)),
        "matmul_4096": mm(*(128, 128, 128) if small else (4096, 4096, 4096)),
        "matmul_8192x8192x1024": mm(*(256, 256, 64) if small else (8192, 8192, 1024)),
        "attention": dict(fn=attention.fn, inputs=lambda: (rnd(bh, s, d), rnd(bh, s, d), rnd(bh, s, d)), eager=_sdpa,
                          kind="sdpa", work=4 * bh * s * s * d, unit="TFLOP/s"),
    }
    return cases


def _bench(fn) -> float:
    from triton.testing import do_bench

    return do_bench(fn, warmup=25, rep=100, return_mode="median")


def _rate(case: dict, ms: float) -> float:
    return case["work"] / ms / 1e9  # bytes or flops per ms -> TB/s or TFLOP/s


def run_case(name: str, case: dict, effort: str, compiled_rate: float | None = None) -> dict:
    """`compiled_rate`: torch.compile's rate measured earlier in this run (for
    the other effort), so it is not compiled and timed again."""
    args = case["inputs"]()
    kernel = helion.kernel(case["fn"], autotune_effort=effort, autotune_skip_cache=True)
    torch.cuda.synchronize()
    start = time.perf_counter()
    out = kernel(*args)  # the first call tunes
    torch.cuda.synchronize()
    tune_s = time.perf_counter() - start
    ref = case["eager"](*args)
    err = (out.float() - ref.float()).abs().max().item()
    config = kernel.bind(args).spec.best.config
    row = dict(kernel=name, effort=effort, tune_seconds=tune_s, config=repr(config), max_abs_err=err, unit=case["unit"])
    row["helion_ms"] = _bench(lambda: kernel(*args))
    row["helion"] = _rate(case, row["helion_ms"])
    row["eager"] = _rate(case, _bench(lambda: case["eager"](*args)))
    if compiled_rate is not None:
        row["torch_compile"] = compiled_rate
    else:
        _time_torch_compile(case, args, row)
    if case["kind"] == "copy":
        src = torch.empty(case["copy_elems"], device="cuda", dtype=torch.bfloat16)
        dst = torch.empty_like(src)
        copy_ms = _bench(lambda: dst.copy_(src))
        row["copy"] = 2 * src.numel() * 2 / copy_ms / 1e9
        row["baseline"], row["ratio"] = "copy", row["helion"] / row["copy"]
    elif case["kind"] == "matmul":
        row["cublas"] = row["eager"]  # torch.matmul is cuBLAS
        row["baseline"], row["ratio"] = "cublas", row["helion"] / row["cublas"]
    else:
        row["sdpa"] = row["eager"]
        row["baseline"], row["ratio"] = "sdpa", row["helion"] / row["sdpa"]
    row["goal"] = f">= {GOALS[case['kind']]} of {row['baseline']}"
    row["met"] = row["ratio"] >= GOALS[case["kind"]] and (effort != "quick" or tune_s <= QUICK_SECONDS)
    return row


def _time_torch_compile(case: dict, args: tuple, row: dict) -> None:
    try:
        compiled = torch.compile(case["eager"])
        compiled(*args)
        row["torch_compile"] = _rate(case, _bench(lambda: compiled(*args)))
    except Exception as e:  # noqa: BLE001 - reported, not fatal
        row["torch_compile"] = None
        row["torch_compile_error"] = f"{type(e).__name__}: {str(e)[:200]}"


def _plot(rows: list[dict], path: str) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: skipping the plot", file=sys.stderr)
        return
    names = sorted({r["kernel"] for r in rows})
    efforts = sorted({r["effort"] for r in rows}, key=["quick", "full"].index)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(13, 4.5))
    width = 0.8 / max(1, len(efforts))
    for i, effort in enumerate(efforts):
        by = {r["kernel"]: r for r in rows if r["effort"] == effort}
        xs = [j + i * width for j in range(len(names))]
        ax1.bar(xs, [by[n]["ratio"] if n in by else 0 for n in names], width, label=effort)
        ax2.bar(xs, [by[n]["tune_seconds"] if n in by else 0 for n in names], width, label=effort)
    for ax, title in ((ax1, "tuned rate / baseline (copy, cuBLAS, SDPA)"), (ax2, "tuning wall time (s)")):
        ax.set_xticks([j + width * (len(efforts) - 1) / 2 for j in range(len(names))])
        ax.set_xticklabels(names, rotation=30, ha="right")
        ax.set_title(title)
        ax.legend()
    ax1.axhline(1.0, color="gray", linewidth=0.8)
    ax2.axhline(QUICK_SECONDS, color="gray", linewidth=0.8, linestyle="--")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    print(f"wrote {path}")


def cpu_check(names: list[str]) -> int:
    """Each kernel on small CPU inputs with its default config, against torch."""
    bad = 0
    for name in names:
        case = _cases(True, "cpu")[name]
        args = case["inputs"]()
        kernel = helion.kernel(case["fn"], autotune_effort="none")
        ref = case["eager"](*args).float()
        err = (kernel(*args).float() - ref).abs().max().item() / ref.abs().max().item()
        ok = err < 1e-2  # fp32 dots run as tf32
        bad += not ok
        print(f"{name}: max error vs torch {err:.2e} of the largest value {'ok' if ok else 'MISMATCH'}")
    return 1 if bad else 0


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results"))
    p.add_argument("--effort", default="quick", help="quick, full or quick,full (full takes minutes per kernel)")
    p.add_argument("--kernels", default=",".join(_cases(True, "cpu")), help="comma-separated subset")
    p.add_argument("--cpu-check", action="store_true", help="run each kernel small on the CPU executor and exit")
    a = p.parse_args()
    names = [n for n in a.kernels.split(",") if n]
    unknown = set(names) - set(_cases(True, "cpu"))
    if unknown:
        p.error(f"unknown kernels {sorted(unknown)}; known: {', '.join(_cases(True, 'cpu'))}")
    if a.cpu_check:
        return cpu_check(names)
    if not torch.cuda.is_available():
        p.error("needs a CUDA GPU (use --cpu-check on a CPU machine)")
    os.makedirs(a.out, exist_ok=True)
    path = os.path.join(a.out, "autotune.json")
    rows = json.load(open(path)) if os.path.exists(path) else []
    cases = _cases(False, "cuda")
    for effort in [e for e in a.effort.split(",") if e]:
        for name in names:
            print(f"== {name} ({effort})", file=sys.stderr, flush=True)
            earlier = [r.get("torch_compile") for r in rows if r["kernel"] == name and r.get("torch_compile")]
            row = run_case(name, cases[name], effort, earlier[-1] if earlier else None)
            row["gpu"] = torch.cuda.get_device_name()
            print(json.dumps(row), flush=True)
            rows = [r for r in rows if (r["kernel"], r["effort"]) != (name, effort)] + [row]
            with open(path, "w") as f:  # after every kernel: a later failure keeps what was measured
                json.dump(rows, f, indent=1)
            torch.cuda.empty_cache()
    print(f"{'kernel':24} {'effort':6} {'tune s':>7} {'rate':>8} {'ratio':>6}  goal")
    for r in rows:
        print(f"{r['kernel']:24} {r['effort']:6} {r['tune_seconds']:7.1f} {r['helion']:8.3f} {r['ratio']:6.2f}  "
              f"{r['goal']}{'' if r['met'] else '  (not met)'}")
    _plot(rows, os.path.join(a.out, "autotune.png"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
