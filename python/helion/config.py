"""`helion.Config`: the knobs of one compiled kernel."""
from __future__ import annotations

import json
from typing import Any

from . import exc

# Fields and the order their repr prints them.
_FIELDS = (
    "block_sizes",
    "loop_orders",
    "l2_groupings",
    "reduction_loops",
    "range_unroll_factors",
    "range_warp_specializes",
    "range_num_stages",
    "range_multi_buffers",
    "range_flattens",
    "num_warps",
    "num_stages",
    "indexing",
    "pid_type",
)


class Config:
    """Block sizes, loop orders, L2 groupings, reduction loops, warps, stages...

    `helion.Config(block_sizes=[64, 64, 32], num_warps=4)`. Fields a kernel
    does not use are ignored; `repr` can be pasted back into code.
    """

    def __init__(self, **kwargs: Any) -> None:
        unknown = set(kwargs) - set(_FIELDS)
        if unknown:
            raise exc.InvalidConfig(f"unknown Config fields: {sorted(unknown)}; known: {list(_FIELDS)}")
        self.config: dict[str, Any] = {k: _freeze_lists(v) for k, v in kwargs.items() if v is not None}
        for name in ("num_warps", "num_stages"):
            v = self.config.get(name)
            if v is not None and (not isinstance(v, int) or v < 1):
                raise exc.InvalidConfig(f"Config.{name} must be a positive int, got {v!r}")
        nw = self.config.get("num_warps")
        if nw is not None and nw & (nw - 1):
            raise exc.InvalidConfig(f"Config.num_warps must be a power of two, got {nw}")

    def __getattr__(self, name: str) -> Any:
        if name in _FIELDS:
            return self.__dict__["config"].get(name)
        raise AttributeError(name)

    def get(self, name: str, default: Any = None) -> Any:
        return self.config.get(name, default)

    def __getitem__(self, name: str) -> Any:
        return self.config[name]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Config) and self.config == other.config

    def __hash__(self) -> int:
        return hash(json.dumps(self.config, sort_keys=True))

    def __repr__(self) -> str:
        parts = [f"{k}={self.config[k]!r}" for k in _FIELDS if k in self.config]
        return f"helion.Config({', '.join(parts)})"

    def to_json(self) -> str:
        return json.dumps(self.config)

    @classmethod
    def from_json(cls, text: str) -> Config:
        return cls(**json.loads(text))

    def with_defaults(self, **defaults: Any) -> Config:
        merged = dict(defaults)
        merged.update(self.config)
        return Config(**merged)


def _freeze_lists(v: Any) -> Any:
    if isinstance(v, tuple):
        v = list(v)
    if isinstance(v, list):
        return [_freeze_lists(x) for x in v]
    return v
