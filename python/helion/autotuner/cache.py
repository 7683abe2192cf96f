"""The disk cache of tuned configs: one JSON file per (kernel source, tile IR
of the specialization, GPU, versions), so that a second process with the
same kernel and shapes does not tune again. With static_shapes=False the
shape bucket (runtime/kernel.py: _bucket_key) stands in for the tile IR, so
every shape in the bucket shares one entry.

The tile IR stands for everything the specialization bakes in: shapes,
strides, dtypes, alignment, constexpr values and the bodies of helper
functions the device code calls (they are traced inline). Entries are
written atomically; a corrupt or unreadable entry is ignored with a
CacheWarning and replaced by the next tuning. HELION_SKIP_CACHE=1 (or
`autotune_skip_cache=True`) skips reading; results are still written.
"""
from __future__ import annotations

import hashlib
import inspect
import json
import os
import warnings
from typing import Any

from .. import exc
from ..compiler import disk_cache
from ..config import Config

FORMAT = 1
EFFORT_RANK = {"none": 0, "quick": 1, "full": 2}


def versions() -> dict[str, str]:
    """Versions that can change which config is fastest."""
    import torch
    import triton

    try:
        from importlib.metadata import version

        helion_version = version("helion")
    except Exception:
        helion_version = "unknown"
    return {"helion": helion_version, "triton": triton.__version__, "torch": torch.__version__}


def device_info(device: Any) -> dict[str, Any]:
    """Name and compute capability of a CUDA device (the CPU for CPU tensors)."""
    import torch

    if getattr(device, "type", "cpu") != "cuda":
        return {"name": "cpu"}
    return {"name": torch.cuda.get_device_name(device),
            "capability": list(torch.cuda.get_device_capability(device))}


def kernel_source(fn: Any) -> str:
    try:
        return inspect.getsource(fn)
    except (OSError, TypeError):  # defined in a REPL: the tile IR still keys it
        return getattr(fn, "__qualname__", "")


class AutotuneCache:
    """The cache entry of one kernel specialization on one GPU."""

    def __init__(self, name: str, source: str, tile_ir: str | None, device: dict[str, Any],
                 version_info: dict[str, str] | None = None, *, bucket: str | None = None) -> None:
        self.name = name
        shape_key = {"tile_ir": tile_ir} if bucket is None else {"bucket": bucket}
        self.fields = {"format": FORMAT, "kernel": name, "source": source, **shape_key, "device": device,
                       "versions": version_info if version_info is not None else versions()}
        digest = hashlib.sha256(json.dumps(self.fields, sort_keys=True).encode()).hexdigest()[:32]
        self.digest = digest

    @property
    def path(self) -> str:
        return os.path.join(disk_cache.cache_dir(), "autotune", f"{self.name}-{self.digest}.json")

    def get(self, effort: str) -> Config | None:
        """The cached config, if one was tuned at `effort` or more."""
        path = self.path
        try:
            with open(path, encoding="utf-8") as f:
                entry = json.load(f)
            if not isinstance(entry, dict) or entry.get("digest") != self.digest or not isinstance(entry.get("config"), dict):
                raise ValueError("the entry does not belong to this key")
            config = Config(**entry["config"])
            tuned = entry.get("effort", "full")
        except FileNotFoundError:
            return None
        except (OSError, ValueError, TypeError, exc.Base) as e:  # JSONDecodeError is a ValueError
            warnings.warn(f"helion: ignoring the corrupt autotune cache entry {path} ({type(e).__name__}: {e}); "
                          "tuning again", exc.CacheWarning, stacklevel=2)
            return None
        if EFFORT_RANK.get(tuned, 0) < EFFORT_RANK.get(effort, 2):
            return None
        return config

    def put(self, config: Config, effort: str, time_ms: float | None = None) -> None:
        entry = {"digest": self.digest, "kernel": self.name, "config": config.config, "effort": effort,
                 "time_ms": time_ms, "device": self.fields["device"], "versions": self.fields["versions"]}
        path = self.path
        try:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            disk_cache.atomic_write(path, json.dumps(entry, indent=1).encode())
        except OSError as e:
            warnings.warn(f"helion: cannot write the autotune cache entry {path} ({e})", exc.CacheWarning,
                          stacklevel=2)
