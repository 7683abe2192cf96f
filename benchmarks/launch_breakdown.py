"""Where the per-call time of a tiny Helion kernel goes (GPU): the pieces of
one call timed alone, side by side with torch.add, best of alternating rounds."""
from __future__ import annotations

import argparse
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(__file__))
from end_to_end import add, per_call_us  # noqa: E402


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results"))
    out_dir = p.parse_args().out
    os.makedirs(out_dir, exist_ok=True)
    x = torch.randn(1024, device="cuda")
    y = torch.randn(1024, device="cuda")
    out = torch.empty_like(x)
    add(x, y)
    entry = next(iter(add._specs.values())).best
    launch_fn, gx, gy, gz, _, tail, _ = entry.launch_tuple
    ck = entry.compiled
    launch = add._host_globals["__helion_launch"]
    named = {"x": x, "y": y, "out": out}
    values = [named[n] for n in add._split.captured]  # the device loop's inputs, in launch order
    args = [values[i] for i in entry.arg_index]
    s = torch.cuda.current_stream().cuda_stream
    pieces = {
        "torch.add": lambda: torch.add(x, y),
        "torch.empty_like": lambda: torch.empty_like(x),
        "Triton CompiledKernel.run": lambda: ck.run(gx, gy, gz, s, ck.function, ck.packed_metadata, None, None, None, *args),
        "our launch call": lambda: launch_fn(gx, gy, gz, s, *tail, *[a.data_ptr() for a in args]),
        "generated launcher": lambda: launch(*values),
        "host code + launcher": lambda: add._host(x, y),
        "kernel(x, y)": lambda: add(x, y),
    }
    times = per_call_us(list(pieces.values()), n=5000, rounds=5)
    lines = [f"{name:26s} {t:7.2f} us" for name, t in zip(pieces, times)]
    print("\n".join(lines))
    with open(os.path.join(out_dir, "launch_breakdown.txt"), "w") as f:
        f.write(f"device: {torch.cuda.get_device_name()}\n" + "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
