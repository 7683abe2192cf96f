"""Run every example kernel (kernels.py, reduction_kernels.py) on fresh random
inputs with its first config (and, for reductions, its first looped-reduction
config too), check it against a float64 torch reference and, on a GPU, time it.

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
            looped = [c for c in configs if c.config.get("reduction_loops")]
            for label, config in [("", configs[0])] + [(" looped", c) for c in looped[:1]]:
                kernel.bind(inputs).set_config(config)
                out = kernel(*inputs)
                ref = kernels.reference(name, *inputs) if module is kernels else module.CASES[name][2](*inputs)
                atol, rtol = module.tolerance(dtype, name)
                torch.testing.assert_close(out.double(), ref, atol=atol, rtol=rtol)
                line = f"{name + label:24s} ok  ({device}, {args.dtype}, {config!r})"
                if device == "cuda":
                    from triton.testing import do_bench

                    ms = do_bench(lambda: kernel(*inputs))
                    line += f"  {ms * 1e3:9.1f} us"
                print(line)

if __name__ == "__main__":
    main()
