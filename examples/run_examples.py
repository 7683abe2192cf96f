"""Run every example kernel of registry.py on fresh random inputs with its
first config (and its first looped-reduction config, if it has one), check it
against its float64 torch reference and, on a GPU, time it.

    python examples/run_examples.py [--dtype bfloat16] [name ...]
"""
from __future__ import annotations

import argparse

import torch

from registry import EXAMPLES


def main():
    p = argparse.ArgumentParser()
    p.add_argument("names", nargs="*")
    p.add_argument("--dtype", default="float32", choices=["float32", "bfloat16", "float16"])
    args = p.parse_args()
    unknown = sorted(set(args.names) - set(EXAMPLES))
    if unknown:
        p.error(f"unknown example(s) {', '.join(unknown)}; known: {', '.join(EXAMPLES)}")
    dtype = getattr(torch, args.dtype)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    for name, ex in EXAMPLES.items():
        if args.names and name not in args.names:
            continue
        inputs = ex.inputs(device, dtype)
        looped = [c for i, c in enumerate(ex.configs) if ex.looped(i)]
        for label, config in [("", ex.configs[0])] + [(" looped", c) for c in looped[:1]]:
            ex.kernel.bind(inputs).set_config(config)
            out = ex.kernel(*inputs)
            atol, rtol = ex.tolerance(dtype)
            torch.testing.assert_close(out.double(), ex.reference(*inputs), atol=atol, rtol=rtol)
            line = f"{name + label:24s} ok  ({device}, {args.dtype}, {config!r})"
            if device == "cuda":
                from triton.testing import do_bench

                ms = do_bench(lambda: ex.kernel(*inputs))
                line += f"  {ms * 1e3:9.1f} us"
            print(line)


if __name__ == "__main__":
    main()
