"""Ahead-of-time configs: tune once, ship the configs, never tune at deploy.

Tune (one kernel per run; the file is updated, other entries are kept):

    python -m helion.aot --module examples/softmax.py --kernel softmax \\
        --shapes 1024x1024 4096x4096 --dtype bfloat16 --device cuda --out configs.json

Each `--shapes` item is one call: comma-separated arguments, a tensor as its
shape (`1024x512`, `512`, `37:int64`: randn, integer tensors are zeros) and a
scalar after `=` (`=1e-5`, `=64`, `=true`). Load the file with
`@helion.kernel(aot_configs="configs.json")` or `HELION_AOT_CONFIGS=configs.json`.

The file is JSON: {"format": ..., "kernels": {"module.kernel": [entry, ...]}},
each entry the device loop's inputs as text (`"x": "bfloat16[1024, 1024]"`,
ints by value) and the tuned Config. The rule for a call:
  1. an entry with exactly this specialization: its config;
  2. else the nearest entry with the same inputs, dtypes, ranks and non-size
     values, by the sum over every tensor dim and int input of
     |log2(1 + a) - log2(1 + b)| (first in the file on ties);
  3. else the kernel's default config.
Cases 2 and 3 are said once per kernel on stderr. A file that does not name
the kernel changes nothing for it; config= / configs= win over the file.
"""
from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import logging
import math
import os
import sys
import threading
from typing import Any

import torch

from . import exc
from . import language as hl
from .config import Config

FORMAT = "helion-aot-configs/1"
log = logging.getLogger(__name__)
_files: dict[str, tuple[float, dict]] = {}  # path -> (mtime, parsed file)
_lock = threading.Lock()


def kernel_id(kernel) -> str:
    return f"{kernel.fn.__module__}.{kernel.fn.__qualname__}"


def describe(names: list[str], values: tuple) -> dict[str, Any]:
    """The device loop's inputs as the file writes them."""
    out = {}
    for name, v in zip(names, values):
        if isinstance(v, torch.Tensor):
            out[name] = f"{str(v.dtype).removeprefix('torch.')}{list(v.shape)}"
        elif isinstance(v, hl.constexpr):
            out[name] = {"constexpr": _plain(v.value)}
        elif isinstance(v, bool) or isinstance(v, int):
            out[name] = v
        elif isinstance(v, float):
            out[name] = "float"  # a runtime argument: any value
        elif isinstance(v, (tuple, list)) and all(type(d) is int for d in v):
            out[name] = list(v)  # sizes (x.size())
        else:
            out[name] = _plain(v)
    return out


def _plain(v) -> Any:
    return v if isinstance(v, (bool, int, float, str)) or v is None else repr(v)


def _split_tensor(text: str) -> tuple[str, list[int]] | None:
    if not isinstance(text, str) or not text.endswith("]") or "[" not in text:
        return None
    dtype, dims = text[:-1].split("[", 1)
    try:
        return dtype, [int(d) for d in dims.split(",") if d.strip()]
    except ValueError:
        return None


def distance(want: dict, have: dict) -> float | None:
    """The log2 size distance of two descriptions; None when they differ in
    anything but sizes (names, dtypes, ranks, other values)."""
    if want.keys() != have.keys():
        return None
    total = 0.0
    for name, a in want.items():
        b = have[name]
        ta, tb = _split_tensor(a), _split_tensor(b)
        if ta is not None or tb is not None:
            if ta is None or tb is None or ta[0] != tb[0] or len(ta[1]) != len(tb[1]):
                return None
            pairs = zip(ta[1], tb[1])
        elif type(a) is int and type(b) is int:
            pairs = [(a, b)]
        elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
            pairs = zip(a, b)
        elif a == b:
            continue
        else:
            return None
        total += sum(abs(math.log2(1 + abs(x)) - math.log2(1 + abs(y))) for x, y in pairs)
    return total


def read(path: str) -> dict:
    """The parsed file (cached until it changes); InvalidSetting naming the
    problem when it cannot be read."""
    try:
        mtime = os.stat(path).st_mtime
    except OSError as e:
        raise exc.InvalidSetting(f"aot_configs file {path!r} cannot be read: {e.strerror}") from None
    with _lock:
        cached = _files.get(path)
        if cached is not None and cached[0] == mtime:
            return cached[1]
    try:
        with open(path) as f:
            data = json.load(f)
    except (OSError, ValueError) as e:
        raise exc.InvalidSetting(f"aot_configs file {path!r} is not valid JSON: {e}") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("kernels"), dict):
        raise exc.InvalidSetting(f"aot_configs file {path!r} is not a helion AOT configs file "
                                 f"(expected {{\"format\": \"{FORMAT}\", \"kernels\": {{...}}}})")
    with _lock:
        _files[path] = (mtime, data)
    return data


def entries_for(data: dict, kid: str) -> list[dict] | None:
    """The kernel's entries: by `module.qualname`, else by qualname when one
    kernel of the file has it (the module is named differently at deploy,
    e.g. `__main__`)."""
    kernels = data["kernels"]
    if kid in kernels:
        return kernels[kid]
    short = kid.rsplit(".", 1)[-1]
    same = [k for k in kernels if k.rsplit(".", 1)[-1] == short]
    return kernels[same[0]] if len(same) == 1 else None


def choose(entries: list[dict], want: dict) -> tuple[dict | None, str]:
    """(entry or None, how it was chosen: 'exact', 'nearest' or 'default')."""
    best, best_d = None, math.inf
    for e in entries:
        d = distance(want, e.get("args", {}))
        if d is not None and d < best_d:
            best, best_d = e, d
    if best is None:
        return None, "default"
    return best, "exact" if best_d == 0 else "nearest"


def _text(desc: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in desc.items())


def entry_for(kernel, spec, values: tuple):
    """The CompiledEntry a new specialization launches under aot_configs."""
    path = kernel.settings.aot_configs
    data = read(path)
    entries = entries_for(data, kernel_id(kernel))
    if entries is None:
        return None  # the file does not name this kernel
    want = describe(kernel._split.captured, values)
    chosen, how = choose(entries, want)
    name = kernel.fn.__name__
    log.debug("%s: %s entry of %s for %s: %s", name, how, path, _text(want), chosen and chosen["config"])
    if chosen is not None:
        try:
            entry = kernel._entry(spec, Config(**chosen["config"]))
        except (exc.InvalidConfig, exc.CompilationError, TypeError) as e:
            _say_once(kernel, f"{name}: the config in {path} tuned for {_text(chosen['args'])} does not fit "
                              f"{_text(want)} ({e}); using the default config")
            return kernel._default_entry(spec)
        if how == "nearest":
            _say_once(kernel, f"{name}: {path} has no config tuned for {_text(want)}; using the one tuned for "
                              f"{_text(chosen['args'])} (nearest by log2 size distance)")
        return entry
    _say_once(kernel, f"{name}: {path} has no config for inputs like {_text(want)} (names, dtypes and ranks "
                      "differ from every entry); using the default config")
    return kernel._default_entry(spec)


def _say_once(kernel, message: str) -> None:
    if not getattr(kernel, "_aot_said", False):
        kernel._aot_said = True
        print(f"[helion] {message}", file=sys.stderr)


# -- tuning ---------------------------------------------------------------------------
def parse_call(text: str, dtype: torch.dtype, device: str) -> list:
    """One `--shapes` item as the kernel's arguments."""
    args = []
    for part in text.split(","):
        part = part.strip()
        if part.startswith("="):
            v = part[1:].strip()
            args.append(True if v.lower() == "true" else False if v.lower() == "false"
                        else int(v) if v.lstrip("-").isdigit() else float(v))
            continue
        shape_text, _, dtype_text = part.partition(":")
        t = getattr(torch, dtype_text, None) if dtype_text else dtype
        if not isinstance(t, torch.dtype):
            raise exc.InvalidArgument(f"--shapes {text!r}: unknown dtype {dtype_text!r}")
        try:
            shape = [int(d) for d in shape_text.lower().split("x")]
        except ValueError:
            raise exc.InvalidArgument(f"--shapes {text!r}: {part!r} is neither a shape (1024x512) nor a scalar "
                                      "(=1e-5)") from None
        args.append(torch.randn(shape, device=device, dtype=t) if t.is_floating_point
                    else torch.zeros(shape, device=device, dtype=t))
    return args


def tune(kernel, calls: list[list], **options) -> list[dict]:
    """Tune `kernel` for each argument list; the file's entries."""
    entries = []
    for args in calls:
        config = kernel.autotune(args, force=True, **options)
        bound = kernel.bind(tuple(args))
        device = bound.spec.device
        entries.append({
            "args": describe(kernel._split.captured, bound.values),
            "config": json.loads(Config(**dict(config.config)).to_json()),
            "device": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
            "tuned_with": f"torch {torch.__version__}, triton {_triton_version()}",
        })
    return entries


def _triton_version() -> str:
    try:
        import triton

        return triton.__version__
    except ImportError:
        return "-"


def write(path: str, kid: str, new_entries: list[dict]) -> dict:
    """Merge `new_entries` into the file (an entry for the same inputs is replaced)."""
    data = read(path) if os.path.exists(path) else {"format": FORMAT, "kernels": {}}
    data = json.loads(json.dumps(data))  # a private copy
    old = [e for e in data["kernels"].get(kid, []) if all(e.get("args") != n["args"] for n in new_entries)]
    data["kernels"][kid] = old + new_entries
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w") as f:
        f.write(dumps(data))
    os.replace(tmp, path)
    return data


def dumps(data: dict) -> str:
    """The file's text: one line per field of an entry, so a diff of two
    tunings shows which configs changed."""
    kernels = []
    for kid, entries in data["kernels"].items():
        items = ",\n".join("      {\n" + ",\n".join(f"        {json.dumps(k)}: {json.dumps(v)}" for k, v in e.items())
                           + "\n      }" for e in entries)
        kernels.append(f"    {json.dumps(kid)}: [\n{items}\n    ]")
    return '{\n  "format": ' + json.dumps(data["format"]) + ',\n  "kernels": {\n' + ",\n".join(kernels) + "\n  }\n}\n"


def _load_module(name: str):
    if name.endswith(".py") or os.sep in name:
        path = os.path.abspath(name)
        sys.path.insert(0, os.path.dirname(path))  # its sibling imports
        mod_name = os.path.splitext(os.path.basename(path))[0]
        spec = importlib.util.spec_from_file_location(mod_name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[mod_name] = module
        spec.loader.exec_module(module)
        return module
    sys.path.insert(0, os.getcwd())
    return importlib.import_module(name)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m helion.aot", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog="\n\n".join(__doc__.split("\n\n")[1:]))
    p.add_argument("--module", required=True, help="module name or .py file that defines the kernel")
    p.add_argument("--kernel", required=True, help="name of the @helion.kernel in the module")
    p.add_argument("--shapes", required=True, nargs="+", help="one item per call, e.g. 1024x512,512,=1e-5")
    p.add_argument("--dtype", default="float32", help="dtype of tensors without ':dtype' (default float32)")
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--effort", choices=["quick", "full"], default="quick")
    p.add_argument("--out", required=True, help="the JSON configs file (created or updated)")
    a = p.parse_args(argv)
    from .runtime.kernel import Kernel

    module = _load_module(a.module)
    kernel = getattr(module, a.kernel, None)
    if not isinstance(kernel, Kernel):
        p.error(f"{a.module} has no @helion.kernel named {a.kernel!r}")
    dtype = getattr(torch, a.dtype, None)
    if not isinstance(dtype, torch.dtype):
        p.error(f"unknown --dtype {a.dtype!r}")
    calls = [parse_call(s, dtype, a.device) for s in a.shapes]
    entries = tune(kernel, calls, effort=a.effort)
    write(a.out, kernel_id(kernel), entries)
    for e in entries:
        print(f"{a.kernel}: {_text(e['args'])} -> {Config(**e['config'])!r}")
    print(f"wrote {len(entries)} config(s) for {kernel_id(kernel)} to {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
