"""`make demo`: compile the README matmul and puzzle 1 through the whole
pipeline and show each stage: tile IR, TTIR, and a summary of the PTX Triton
makes of it for sm_90. Runs both (GPU if there is one, else the CPU executor)
and compares with torch."""
from __future__ import annotations

import collections
import re

import torch
from triton.backends.compiler import GPUTarget

import helion
from helion.compiler import pipeline
from matmul import readme_matmul
from pointwise import add_const


def ptx_summary(ptx: str) -> str:
    counts = collections.Counter()
    for pattern in ("wgmma.mma_async", "mma.sync", "ld.global.v4", "ld.global", "st.global.v4", "st.global",
                    "cp.async", "bar.sync"):
        counts[pattern] = len(re.findall(re.escape(pattern), ptx))
    lines = sum(1 for line in ptx.splitlines() if line.strip() and not line.strip().startswith("//"))
    shown = ", ".join(f"{k}: {v}" for k, v in counts.items() if v)
    return f"{lines} lines; {shown}"


def show(kernel, args, config, reference):
    bound = kernel.bind(args)
    print(f"=== {kernel.fn.__name__}: tile IR (before the pass pipeline) ===")
    print(bound.tile_ir)
    print(f"=== {kernel.fn.__name__}: TTIR with {config!r} ===")
    ttir = bound.to_triton_code(config)
    print(ttir)
    checked = bound.config_spec.normalize(config)
    ck = pipeline.compile_ttir(pipeline.lower_to_ttir(bound.spec.traced, checked), checked, target=GPUTarget("cuda", 90, 32))
    print(f"=== {kernel.fn.__name__}: PTX for sm_90: {ptx_summary(ck.asm['ptx'])}")
    bound.set_config(config)
    out = kernel(*args)
    where = "GPU" if out.is_cuda else "CPU (the TTIR executor)"
    torch.testing.assert_close(out.double(), reference(*args), atol=5e-2, rtol=5e-2)
    print(f"=== {kernel.fn.__name__}: ran on the {where}; matches torch\n")


def main():
    device = "cuda" if torch.cuda.is_available() else "cpu"
    dtype = torch.bfloat16 if device == "cuda" else torch.float32
    x = torch.randn(512, 384, device=device, dtype=dtype)
    y = torch.randn(384, 256, device=device, dtype=dtype)
    show(readme_matmul, (x, y), helion.Config(block_sizes=[64, 64, 32], l2_groupings=[4], num_warps=4, num_stages=3),
         lambda a, b: a.double() @ b.double())
    v = torch.randn(8192, device=device)
    show(add_const, (v,), helion.Config(block_sizes=[1024]), lambda a: a.double() + 10.0)


if __name__ == "__main__":
    main()
