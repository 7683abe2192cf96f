"""`helion.Config`: the knobs of one compiled kernel."""
from __future__ import annotations

import difflib
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
    "static_ranges",
    "flatten_loops",
    "load_eviction_policies",
    "num_warps",
    "num_stages",
    "indexing",
    "pid_type",
    "num_sm_multiplier",
    "maxnreg",
)


class Config:
    """Block sizes, loop orders, L2 groupings, reduction loops, warps, stages...

    `helion.Config(block_sizes=[64, 64, 32], num_warps=4)`. A kernel's
    `ConfigSpec.normalize` checks the values and fills what is missing;
    `repr` can be pasted back into code.
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs = _modern_spelling(kwargs)
        # Other names are the kernel's own tunables (hl.register_tunable), checked
        # by its ConfigSpec; a near miss of a field name is a typo.
        typos = sorted(k for k in kwargs if is_field_typo(k))
        if typos:
            raise exc.InvalidConfig(f"unknown Config fields: {typos}; known: {list(_FIELDS)} (other names are tunables "
                                    "of hl.register_tunable)")
        # Values are checked against a kernel by its ConfigSpec.normalize.
        self.config: dict[str, Any] = {k: _freeze_lists(v) for k, v in kwargs.items() if v is not None}

    def __getattr__(self, name: str) -> Any:
        if name in _FIELDS:
            return self.__dict__["config"].get(name)
        if not name.startswith("_") and name in self.__dict__["config"]:  # a tunable
            return self.__dict__["config"][name]
        raise AttributeError(name)

    @property
    def tunables(self) -> dict[str, Any]:
        """The entries for the kernel's hl.register_tunable names."""
        return {k: v for k, v in self.config.items() if k not in _FIELDS}

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
        parts += [f"{k}={v!r}" for k, v in self.tunables.items()]
        return f"helion.Config({', '.join(parts)})"

    def to_json(self) -> str:
        return json.dumps(self.config)

    @classmethod
    def from_json(cls, text: str) -> Config:
        return cls(**json.loads(text))


def is_field_typo(name: str) -> bool:
    """A name that is not a Config field but close to one (`blok_sizes`)."""
    return name not in _FIELDS and bool(difflib.get_close_matches(name, _FIELDS, n=1, cutoff=0.8))


def _freeze_lists(v: Any) -> Any:
    if isinstance(v, tuple):
        v = list(v)
    if isinstance(v, list):
        return [_freeze_lists(x) for x in v]
    return v


def _modern_spelling(kwargs: dict[str, Any]) -> dict[str, Any]:
    """The early README's spellings: nested block_sizes ([[64, 128], [16]],
    one list per hl.tile), l2_grouping=N and use_yz_grid=bool."""
    kwargs = dict(kwargs)
    sizes = kwargs.get("block_sizes")
    if isinstance(sizes, (list, tuple)) and any(isinstance(b, (list, tuple)) for b in sizes):
        kwargs["block_sizes"] = [x for b in sizes for x in (b if isinstance(b, (list, tuple)) else [b])]
    if "l2_grouping" in kwargs:
        g = kwargs.pop("l2_grouping")
        if "l2_groupings" in kwargs:
            raise exc.InvalidConfig("give l2_groupings (current) or l2_grouping (early spelling), not both")
        kwargs["l2_groupings"] = [g]
    if "use_yz_grid" in kwargs:
        yz = kwargs.pop("use_yz_grid")
        if "pid_type" in kwargs and yz:
            raise exc.InvalidConfig("give pid_type (current) or use_yz_grid (early spelling), not both")
        if not isinstance(yz, bool):
            raise exc.InvalidConfig(f"Config.use_yz_grid = {yz!r} must be True or False (current spelling: pid_type='xyz')")
        kwargs.setdefault("pid_type", "xyz" if yz else "flat")
    return kwargs
