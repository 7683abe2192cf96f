"""Run every example kernel (kernels.py, reduction_kernels.py) on fresh random
inputs, check it against a float64 torch reference and, on a GPU, time it
against the same computation in eager PyTorch.

    python examples/run_examples.py [--dtype bfloat16] [name ...]
"""
from __future__ import annotations

import argparse

import torch

import kernels
import reduction_kernels


def main():
    p = argparse.ArgumentParser()
    p.add_argument("names", nargs="*")
    p.add_argument("--dtype", default="float32", choices=["float32", "bfloat16", "float16"])
    args = p.parse_args()
    dtype = getattr(torch, args.dtype)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    for module in (kernels, reduction_kernels):
        for name, (kernel, make, _, configs) in module.CASES.items():
            if args.names and name not in args.names:
                continue
            inputs = make(device, dtype)
            kernel.bind(inputs).set_config(configs[0])
            out = kernel(*inputs)
            ref = kernels.reference(name, *inputs) if module is kernels else module.CASES[name][2](*inputs)
            atol, rtol = module.tolerance(dtype, name)
            torch.testing.assert_close(out.double(), ref, atol=atol, rtol=rtol)
            line = f"{name:24s} ok  ({device}, {args.dtype}, {configs[0]!r})"
            if device == "cuda":
                from triton.testing import do_bench

                ms = do_bench(lambda: kernel(*inputs))
                line += f"  {ms * 1e3:9.1f} us"
            print(line)


if __name__ == "__main__":
    main()
