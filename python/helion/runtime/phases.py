"""The Config of a kernel with several top-level device loops (phases).

Each phase is compiled and tuned as its own kernel with its own ConfigSpec.
The user's Config of the whole kernel lists the phases' per-slot entries
(block_sizes, reduction_loops, loop_orders, ...) one phase after another, in
loop order; a kernel-wide field (num_warps, num_stages, pid_type, ...) is one
value for every phase, or a list with one value per phase (tuned phases may
differ). `indexing` is one string for all accesses or one entry per access.
"""
from __future__ import annotations

from typing import Any

from .. import exc
from ..autotuner.config_spec import LOOP_KNOBS, NEUTRAL_ENTRY, ConfigSpec
from ..config import Config

KERNEL_WIDE = ("num_warps", "num_stages", "pid_type", "num_sm_multiplier", "maxnreg")


def slot_counts(spec: ConfigSpec) -> dict[str, int]:
    """How many entries each per-slot Config field has in one phase."""
    counts = {"block_sizes": len(spec.tile_slots), "loop_orders": len(spec.multi_dim_loops),
              "flatten_loops": len(spec.multi_dim_loops), "l2_groupings": spec.num_grids,
              "reduction_loops": len(spec.reduction_slots), "load_eviction_policies": spec.num_loads,
              "indexing": spec.num_accesses}
    counts.update({name: spec.num_loops for name in LOOP_KNOBS})
    return counts


def phase_config(config: Config, counts: list[dict[str, int]], n_phases: int, name: str) -> Config:
    """Phase len(counts) - 1's part of the whole kernel's `config`; `counts`:
    the slot counts of phases 0..that one."""
    index = len(counts) - 1
    fields: dict[str, Any] = {}
    for field, value in config.config.items():
        if field in KERNEL_WIDE and isinstance(value, list):
            if len(value) != n_phases:
                raise exc.InvalidConfig(f"{name}: Config.{field} = {value!r}: a kernel-wide field is one value, or a "
                                        f"list of one value per device loop ({n_phases})")
            value = value[index]
        elif field in counts[index] and not (field == "indexing" and isinstance(value, str)):
            if not isinstance(value, list):
                raise exc.InvalidConfig(f"{name}: Config.{field} = {value!r} must be a list (the entries of each "
                                        "device loop, one loop after another)")
            start = sum(c[field] for c in counts[:index])
            stop = start + counts[index][field]
            if len(value) < stop or (index == n_phases - 1 and len(value) != stop):
                per_loop = ", ".join(str(c[field]) for c in counts)
                raise exc.InvalidConfig(f"{name}: Config.{field} has {len(value)} entries; its device loops take "
                                        f"{per_loop}{'' if index == n_phases - 1 else ', ...'} in loop order "
                                        f"(device loop {index} takes entries {start}..{stop - 1}); got {value!r}")
            value = value[start:stop]
        fields[field] = value
    return Config(**fields)


def combine(configs: list[Config], counts: list[dict[str, int]], name: str) -> Config:
    """One Config of the whole kernel from its phases' full (normalized) Configs."""
    out: dict[str, Any] = {}
    for field in dict.fromkeys(f for c in configs for f in c.config):
        values = [c.get(field) for c in configs]
        if field not in KERNEL_WIDE and field not in counts[0]:
            raise exc.NotSupported(f"{name}: the device loops' configs set {field!r}, which a kernel with several "
                                   "device loops does not take")
        if field in KERNEL_WIDE or (field == "indexing" and all(isinstance(v, str) for v in values)):
            same = all(v == values[0] and type(v) is type(values[0]) for v in values)
            out[field] = values[0] if same else values
            continue
        entries = []
        for v, c in zip(values, counts):
            if isinstance(v, str) or (v is None and field == "indexing"):  # one indexing for every access
                v = [v or "pointer"] * c[field]
            elif v is None:
                if field not in NEUTRAL_ENTRY:
                    raise exc.NotSupported(f"{name}: Config.{field} is set for some device loops and left to the "
                                           "compiler for others; give it for every device loop")
                v = [NEUTRAL_ENTRY[field]] * c[field]
            entries += v
        out[field] = entries
    return Config(**out)
