"""`ConfigSpec`: the one authority on which Configs a traced kernel accepts.

Built from the kernel's tile IR (its block-size slots, their extents, the
shapes of its tensors), it gives the default config, uniformly drawn random
configs for the autotuner, and `normalize`, which every path that takes a
user's Config goes through: early spellings are rewritten, missing fields
filled, and bad values refused with `helion.exc.InvalidConfig` naming the
field, the value and the legal values. Passes downstream only assert.
"""
from __future__ import annotations

import copy
import dataclasses

import math
import random
from typing import Any, Iterator

from .. import exc
from .._utils import next_power_of_2
from ..config import Config
from .config_fragment import EnumFragment, Fragment, IntegerFragment, PermutationFragment, PowerOfTwoFragment, is_int

# Triton refuses a tensor of more than this many elements (measured: parse time).
TRITON_MAX_TENSOR_ELEMENTS = 1 << 20
# The search space stays below this per tensor: beyond it every config spills.
SEARCH_MAX_TENSOR_ELEMENTS = 1 << 16
# ... and below this many elements per thread: a 64K-element tensor on one
# warp compiled for minutes on an H200 host (autotuner compile timeouts).
SEARCH_MAX_ELEMENTS_PER_THREAD = 256
# Default configs keep each tensor of a kernel without dots at most this big:
# 8192 elements spread over up to 16 warps is ~16 values per thread.
DEFAULT_ELEMENTS = 8192
MAX_BLOCK = 1 << 20

# Config.indexing: one value for every load and store, or one per load/store
# in program order (helion-apply-access-knobs). Where a block access is
# illegal the conversion uses pointers and the compile warns once.
INDEXING = EnumFragment(["pointer", "block_ptr", "tensor_descriptor"])
# Config.pid_type: persistent kernels launch SMs x num_sm_multiplier programs
# that loop over tiles (helion-lower-grid); "xyz" puts grid dim d on launch axis d.
PID_TYPE = EnumFragment(["flat", "xyz", "persistent_blocked", "persistent_interleaved"])
NUM_SM_MULTIPLIER = PowerOfTwoFragment(1, 16, 1)
# Config.maxnreg: Triton's per-thread register cap (None = the compiler's choice).
MAXNREG = EnumFragment([None, 32, 64, 128, 256])
# Config.load_eviction_policies: one entry per load (helion-apply-access-knobs);
# "" keeps the kernel's own (hl.load's eviction_policy, or none).
EVICTION_POLICY = EnumFragment(["", "first", "last"])
# Per-loop knobs (one entry per loop, the grid loop first): legal values and
# the grid's only legal value unless the pid_type is persistent.
LOOP_KNOBS = {
    "range_unroll_factors": (IntegerFragment(0, 8, 0), 0),
    "range_num_stages": (IntegerFragment(0, 8, 0), 0),
    "range_multi_buffers": (EnumFragment([None, False, True]), None),
    "range_warp_specializes": (EnumFragment([None, False, True]), None),
    "range_flattens": (EnumFragment([None, False, True]), None),
    "static_ranges": (EnumFragment([False, True]), False),
}
# The neutral value of one entry of each per-loop or per-load field: what an
# unset entry means.
NEUTRAL_ENTRY = {"load_eviction_policies": EVICTION_POLICY.default,
                 **{name: neutral for name, (_, neutral) in LOOP_KNOBS.items()}}
# The fine knobs (first value neutral) that the full effort searches besides
# the rest (ConfigSpec.widened): the inner loops' pipelining depth, unrolling
# and multi-buffering, warp specialization of loops with dots, and each
# load's eviction policy. Quick tuning leaves them neutral: each adds a
# field that a local search must step through.
_FINE_LOOP_KNOBS: dict[str, Fragment] = {
    "range_num_stages": EnumFragment([0, 1, 2, 3, 4]),
    "range_unroll_factors": EnumFragment([0, 2, 4]),
    "range_multi_buffers": EnumFragment([None, False, True]),
}
_FINE_DOT_LOOP_KNOBS: dict[str, Fragment] = {"range_warp_specializes": EnumFragment([None, True])}
# Whole-kernel knobs the search explores for kernels with a dot (first value
# the default): persistent grids and TMA descriptors, measured on the H200
# (benchmarks/config_space.py, README).
_SEARCHED_DOT_KNOBS: dict[str, Fragment] = {
    "pid_type": EnumFragment(["flat", "persistent_interleaved", "persistent_blocked"]),
    "indexing": EnumFragment(["pointer", "tensor_descriptor"]),
}
# The grid loop's range_flattens, searched for dot kernels with an inner loop
# (it counts only under a persistent pid_type; drawn with a flat one it is
# reset): the persistent tile loop flattened with its k-loop starts the next
# tile's loads under this tile's epilogue. bf16 8192x8192x1024 on the H200:
# 1.05 of cuBLAS with it, 0.99 at best without
# (benchmarks/results/config_space_8192x1024.json).
_SEARCHED_GRID_FLATTEN = EnumFragment([None, True])


class ConfigSpec:
    """Legal and searched values of every Config field for one traced kernel."""

    def __init__(self, traced: Any, tunables: dict[str, tuple[Fragment, Any]] | None = None) -> None:
        """`tunables`: the kernel's hl.register_tunable entries, name -> (legal
        values, the value its host code computed with or None): a host value
        is the only legal one for this specialization (its code depends on it)."""
        self.kernel_name = traced.fn_name or traced.name
        self.tile_slots = traced.tile_slots
        self.reduction_slots = traced.reduction_slots
        self.multi_dim_loops = list(traced.multi_dim_loops)
        self.num_grids = traced.num_grids
        facts = _ir_facts(traced.module)
        self.tensor_shapes, self.dots, inner_loops = facts.shapes, facts.dots, facts.loops
        self.has_dot = self.dots > 0
        self.num_loads, self.num_accesses, self.scanned = facts.loads, facts.accesses, facts.scanned
        # Reduction dims the search and the default never loop (roll-reductions refuses them).
        self.unloopable = facts.scanned | facts.rebound
        self.num_loops = 1 + inner_loops  # the grid, then each hl.tile loop inside it
        grid_dims = sum(1 for s in self.tile_slots if s.in_grid)
        self.block_sizes = [PowerOfTwoFragment(s.min_size, max(s.min_size, min(self._cap(s), 4096)), s.min_size)
                            for s in self.tile_slots]
        self.loop_orders = [PermutationFragment(n) for n in self.multi_dim_loops]
        self.l2_groupings = [PowerOfTwoFragment(1, 64 if grid_dims > 1 else 1, 1) for _ in range(self.num_grids)]
        self.reduction_loops = [self._reduction_fragment(s) for s in self.reduction_slots]
        self.num_warps = PowerOfTwoFragment(1, 32, 4)
        self.num_stages = IntegerFragment(1, 6, 2)
        # Searched list fields, one fragment per entry: per-loop knobs (the grid
        # loop's entry first) and, in a widened spec, per-load eviction policies.
        self.list_knobs: dict[str, list[Fragment]] = {}
        if self.has_dot and inner_loops:
            self.list_knobs["range_flattens"] = [_SEARCHED_GRID_FLATTEN] + [EnumFragment([None])] * inner_loops
        self.kernel_knobs = dict(_SEARCHED_DOT_KNOBS) if self.has_dot else {}
        self.tunables = {name: frag for name, (frag, _) in (tunables or {}).items()}
        self.host_tunables = {name: v for name, (_, v) in (tunables or {}).items() if v is not None}

    def widened(self) -> "ConfigSpec":
        """This spec with the fine knobs searched too (the full effort): the
        inner loops' entries of _FINE_LOOP_KNOBS (and _FINE_DOT_LOOP_KNOBS in
        kernels with a dot), the grid loop's entry fixed at its neutral value,
        and one eviction policy per load."""
        wide = copy.copy(self)
        wide.list_knobs = dict(self.list_knobs)
        inner = self.num_loops - 1
        knobs = dict(_FINE_LOOP_KNOBS, **(_FINE_DOT_LOOP_KNOBS if self.has_dot else {})) if inner else {}
        for name, frag in knobs.items():
            wide.list_knobs.setdefault(name, [EnumFragment([NEUTRAL_ENTRY[name]])] + [frag] * inner)
        if self.num_loads:
            wide.list_knobs["load_eviction_policies"] = [EVICTION_POLICY] * self.num_loads
        return wide

    def compact(self, config: Config) -> Config:
        """`config` without the fine-knob fields whose every entry is neutral
        (what a widened search adds to each config), for a shorter paste."""
        fields = dict(config.config)
        for name in (*_FINE_LOOP_KNOBS, *_FINE_DOT_LOOP_KNOBS, "load_eviction_policies"):
            neutral = NEUTRAL_ENTRY[name]
            values = fields.get(name)
            if values is not None and all(v == neutral and type(v) is type(neutral) for v in values):
                del fields[name]
        return Config(**fields)

    def tunable_domain(self, name: str) -> Fragment:
        """The searched values of tunable `name`."""
        if name in self.host_tunables:
            return EnumFragment([self.host_tunables[name]])
        return self.tunables[name]

    # -- the flat view the searches use -------------------------------------
    def fields(self) -> list[tuple[str, int | None, Fragment]]:
        """Every searched entry as (field, index or None, fragment)."""
        out: list[tuple[str, int | None, Fragment]] = []
        for name in ("block_sizes", "loop_orders", "l2_groupings", "reduction_loops"):
            out += [(name, i, f) for i, f in enumerate(getattr(self, name))]
        for name, frags in self.list_knobs.items():
            out += [(name, i, f) for i, f in enumerate(frags)]
        out += [("num_warps", None, self.num_warps), ("num_stages", None, self.num_stages)]
        out += [(name, None, frag) for name, frag in self.kernel_knobs.items()]
        out += [(name, None, self.tunable_domain(name)) for name in self.tunables]
        return out

    def flatten(self, config: Config) -> list:
        return [config[name] if i is None else config[name][i] for name, i, _ in self.fields()]

    def unflatten(self, values: list) -> Config:
        fields: dict[str, Any] = {"block_sizes": [], "loop_orders": [], "l2_groupings": [], "reduction_loops": []}
        fields.update({name: [] for name, frags in self.list_knobs.items() if frags})
        for (name, i, _), v in zip(self.fields(), values, strict=True):
            if i is None:
                fields[name] = v
            else:
                fields[name].append(v)
        flattens = fields.get("range_flattens")
        if flattens and flattens[0] is not None and not _persistent(fields.get("pid_type")):
            fields["range_flattens"] = [None] + flattens[1:]  # the grid loop takes knobs only when persistent
        return Config(**fields)

    # -- defaults --------------------------------------------------------------
    def default_config(self) -> Config:
        return self.default_candidates()[0]

    def starting_configs(self) -> list[Config]:
        """Where the searches start besides random draws: the default; for a
        dot kernel with a k-loop the same tiles persistent, by TMA, with the
        grid loop flattened (the form that led matmul on the H200; a local
        search would need three moves at once to reach it from the default);
        for chained dots in a loop (attention) the same tiles on one warp
        group, two stages, two programs per SM (what led hand-written Triton
        flash attention on the H200, benchmarks/attention_ceiling.py)."""
        base = self.default_config()
        if not (self.has_dot and "range_flattens" in self.list_knobs):
            return [base]
        if self.dots >= 2:
            return [base, _replace(base, num_warps=4, num_stages=2)]
        flat = [True] + list(base.range_flattens[1:])
        return [base, _replace(base, pid_type="persistent_interleaved", indexing="tensor_descriptor", range_flattens=flat)]

    def default_candidates(self) -> list[Config]:
        """The default config first, then safer fallbacks, for the caller to
        try in order when a compile fails (shared memory, a refused loop)."""
        base = self._default_dot() if self.has_dot else self._default_elementwise()
        out = [base]
        if any(r is not None for r in base.reduction_loops):
            out.append(_replace(base, reduction_loops=[None] * len(self.reduction_slots)))
        if base.num_stages > 2:
            out.append(_replace(base, num_stages=2))
        smaller = [max(s.min_size, b // 2) for b, s in zip(base.block_sizes, self.tile_slots)]
        if smaller != base.block_sizes:
            out.append(_replace(base, block_sizes=smaller, num_warps=4, num_stages=2))
        return out

    def _default_dot(self) -> Config:
        sizes = []
        for s in self.tile_slots:
            if s.min_size >= 16:  # a dot dimension: 128-wide tiles on the grid, K steps of 64
                want = 128 if s.in_grid else 64
            else:  # a batch-like dim beside a dot: one per program
                want = 1 if s.in_grid else 64
            sizes.append(self._fit(want, s))
        grid_dims = sum(1 for s in self.tile_slots if s.in_grid)
        return self._complete(block_sizes=sizes, l2_groupings=[8 if grid_dims > 1 else 1] * self.num_grids,
                              reduction_loops=[None] * len(self.reduction_slots), num_warps=8, num_stages=3)

    def _default_elementwise(self) -> Config:
        grid_dims = sum(1 for s in self.tile_slots if s.in_grid)
        sizes = [self._fit((1024 if grid_dims == 1 else 64) if s.in_grid else 32, s) for s in self.tile_slots]
        reductions: list[int | None] = []
        for s in self.reduction_slots:
            width = next_power_of_2(s.extent) if s.extent else None
            # A row longer than this streams through a reduction loop.
            loopable = s.slot not in self.unloopable
            reductions.append(8192 if width is not None and width > 16384 and loopable else None)
        cfg = self.shrink_to_fit(self._complete(block_sizes=sizes, reduction_loops=reductions), DEFAULT_ELEMENTS)
        warps = min(16, max(4, next_power_of_2(self.max_elements(cfg)) // 512))
        return _replace(cfg, num_warps=warps)

    def _complete(self, **fields: Any) -> Config:
        base = {
            "block_sizes": [f.default for f in self.block_sizes],
            "loop_orders": [f.default for f in self.loop_orders],
            "l2_groupings": [1] * self.num_grids,
            "reduction_loops": [None] * len(self.reduction_slots),
            "num_warps": 4,
            "num_stages": 2,
        }
        base.update({name: [f.default for f in frags] for name, frags in self.list_knobs.items() if frags})
        base.update({name: frag.default for name, frag in self.kernel_knobs.items()})
        base.update({name: self.tunable_domain(name).default for name in self.tunables})
        base.update(fields)
        return Config(**base)

    def _fit(self, want: int, slot: Any) -> int:
        return max(min(want, self._cap(slot)), slot.min_size)

    @staticmethod
    def _cap(slot: Any) -> int:
        if slot.max_size:
            return slot.max_size
        return next_power_of_2(slot.extent) if slot.extent else 4096

    def _reduction_fragment(self, slot: Any) -> EnumFragment:
        if slot.slot in self.unloopable:  # a scan or a static size needs the whole dim
            return EnumFragment([None], None)
        width = next_power_of_2(slot.extent) if slot.extent else 1 << 16
        chunks = []
        c = max(slot.min_size, 16)
        while c < width and c <= 1 << 16:
            chunks.append(c)
            c *= 2
        return EnumFragment([None] + chunks, None)

    # -- random configs ----------------------------------------------------------
    def random_config(self, seed: int | random.Random) -> Config:
        """A config drawn uniformly from the search space (rejection sampling:
        configs whose tensors exceed the search's element bounds are redrawn)."""
        rng = seed if isinstance(seed, random.Random) else random.Random(seed)
        for _ in range(200):
            cfg = self.unflatten([f.random(rng) for _, _, f in self.fields()])
            if self.max_elements(cfg) <= self.search_limit(cfg):
                return cfg
        return self.shrink_to_fit(cfg)

    @staticmethod
    def search_limit(cfg: Config) -> int:
        """The most elements a tensor may have in the search space under cfg's warps."""
        return min(SEARCH_MAX_TENSOR_ELEMENTS, cfg.num_warps * 32 * SEARCH_MAX_ELEMENTS_PER_THREAD)

    def shrink_to_fit(self, cfg: Config, limit: int | None = None) -> Config:
        """Halve the largest block sizes until every tensor fits `limit`
        (default: the search space's bound for cfg's warps)."""
        while self.max_elements(cfg) > (self.search_limit(cfg) if limit is None else limit):
            sizes = list(cfg.block_sizes)
            cands = [i for i, (b, f) in enumerate(zip(sizes, self.block_sizes)) if b // 2 >= f.low]
            if not cands:
                break
            i = max(cands, key=sizes.__getitem__)
            sizes[i] //= 2
            cfg = _replace(cfg, block_sizes=sizes)
        return cfg

    def in_search_space(self, cfg: Config) -> bool:
        return (all(f.contains(v) for (_, _, f), v in zip(self.fields(), self.flatten(cfg)))
                and self.max_elements(cfg) <= self.search_limit(cfg))

    # -- sizes -------------------------------------------------------------------
    def max_elements(self, cfg: Config) -> int:
        """Elements of the kernel's largest tensor under `cfg`."""
        block = {s.slot: b for s, b in zip(self.tile_slots, cfg.block_sizes)}
        for s, r in zip(self.reduction_slots, cfg.reduction_loops):
            block[s.slot] = r if r is not None else (next_power_of_2(s.extent) if s.extent else 1)
        best = 1
        for shape in self.tensor_shapes:
            best = max(best, math.prod(block.get(d[1], 1) if isinstance(d, tuple) else d for d in shape))
        return best

    # -- the authority -------------------------------------------------------------
    def normalize(self, config: Config | dict) -> Config:
        """The full Config for this kernel, or InvalidConfig naming what is wrong."""
        if isinstance(config, dict):
            config = Config(**config)
        elif not isinstance(config, Config):
            raise exc.InvalidConfig(f"expected a helion.Config or a dict, got {type(config).__name__}")
        merged = dict(self.default_config().config)
        if config.config.get("pid_type") == "xyz" and "l2_groupings" not in config.config:
            merged["l2_groupings"] = [1] * self.num_grids  # the default grouping needs a linear program id
        merged.update(config.config)
        name = self.kernel_name
        sizes = _as_list(merged, "block_sizes", len(self.tile_slots), name, "one power of two per tiled dim, in loop order")
        for i, (b, s) in enumerate(zip(sizes, self.tile_slots)):
            legal = PowerOfTwoFragment(s.min_size, max(s.min_size, s.max_size or MAX_BLOCK))
            if not legal.contains(b):
                extra = (" (the bounds of hl.register_block_size, or the value the kernel's host code computed with)"
                         if s.max_size else " (the minimum for a matmul dimension)" if s.min_size > 1 else "")
                raise exc.InvalidConfig(_bad("block_sizes", i, b, legal.describe() + extra, name))
        orders = _as_list(merged, "loop_orders", len(self.multi_dim_loops), name, "one permutation per multi-dim hl.tile")
        for i, (o, f) in enumerate(zip(orders, self.loop_orders)):
            if not f.contains(o):
                raise exc.InvalidConfig(_bad("loop_orders", i, o, f.describe(), name))
        merged["loop_orders"] = [list(o) for o in orders]
        groups = _as_list(merged, "l2_groupings", self.num_grids, name, "one positive int per grid")
        for i, g in enumerate(groups):
            legal = IntegerFragment(1, 1024, 1)
            if not legal.contains(g):
                raise exc.InvalidConfig(_bad("l2_groupings", i, g, legal.describe(), name))
        loops = _as_list(merged, "reduction_loops", len(self.reduction_slots), name,
                         "one entry per full-slice dim x[t, :]: None (persistent) or a power of two")
        for i, (r, s) in enumerate(zip(loops, self.reduction_slots)):
            legal = PowerOfTwoFragment(s.min_size, MAX_BLOCK, s.min_size)
            # a power of two that covers the extent is one chunk, whatever the minimum
            covers_extent = s.extent is not None and is_int(r) and r >= s.extent and not r & (r - 1)
            if r is not None and s.slot in self.scanned and not covers_extent:
                raise exc.InvalidConfig(_bad("reduction_loops", i, r, "None (persistent): a scan (cumsum, "
                                             "hl.associative_scan, ...) runs along this dim", name))
            if r is not None and not legal.contains(r) and not covers_extent:
                extra = " (the minimum for a matmul dimension)" if s.min_size > 1 else ""
                raise exc.InvalidConfig(_bad("reduction_loops", i, r, "None (persistent) or " + legal.describe() + extra, name))
        for field, legal in (("num_warps", PowerOfTwoFragment(1, 32, 4)), ("num_stages", IntegerFragment(1, 16, 2))):
            if not legal.contains(merged[field]):
                raise exc.InvalidConfig(_bad(field, None, merged[field], legal.describe(), name))
        self._check_pid_type(merged)
        self._check_flatten_loops(merged)
        indexing = merged.get("indexing")
        if isinstance(indexing, list):
            _as_list(merged, "indexing", self.num_accesses, name, "one entry per load and store in program order, "
                     "or one string for all")
            _check_entries("indexing", indexing, INDEXING, name)
        elif indexing is not None and not INDEXING.contains(indexing):
            raise exc.InvalidConfig(_bad("indexing", None, indexing, INDEXING.describe(), name))
        self._check_loop_knobs(merged)
        if merged.get("load_eviction_policies") is not None:
            policies = _as_list(merged, "load_eviction_policies", self.num_loads, name,
                                'one entry per load of the kernel, in program order: "", "first" or "last"')
            _check_entries("load_eviction_policies", policies, EVICTION_POLICY, name)
        self._check_tunables(merged)
        out = Config(**merged)
        n = self.max_elements(out)
        if n > TRITON_MAX_TENSOR_ELEMENTS:
            raise exc.InvalidConfig(
                f"{name}: {out!r} makes a tensor of {n:,} elements; Triton allows at most "
                f"{TRITON_MAX_TENSOR_ELEMENTS:,} per tensor: use smaller block_sizes or a reduction_loops chunk")
        return out

    def _check_loop_knobs(self, merged: dict) -> None:
        what = "one entry per loop: the grid loop, then each hl.tile loop inside it"
        for field, (legal, grid_value) in LOOP_KNOBS.items():
            if field not in merged:
                continue
            values = _as_list(merged, field, self.num_loops, self.kernel_name, what)
            _check_entries(field, values, legal, self.kernel_name)
            neutral = values[0] == grid_value and type(values[0]) is type(grid_value)
            if field == "static_ranges" and values[0]:
                raise exc.InvalidConfig(_bad(field, 0, values[0], "False: the grid loop cannot be unrolled fully",
                                             self.kernel_name))
            if not neutral and not _persistent(merged.get("pid_type")):
                raise exc.InvalidConfig(_bad(field, 0, values[0], f"{grid_value!r}: the grid loop takes loop knobs only "
                                             "with a persistent pid_type (pid_type='persistent_blocked' or "
                                             "'persistent_interleaved')", self.kernel_name))
        for i, (unroll, full) in enumerate(zip(merged.get("range_unroll_factors") or [], merged.get("static_ranges") or [])):
            if full and unroll > 1:
                raise exc.InvalidConfig(f"{self.kernel_name}: loop {i} has both static_ranges (a full unroll) and "
                                        f"range_unroll_factors={unroll}; give one")

    def _check_tunables(self, merged: dict) -> None:
        for field in Config(**merged).tunables:
            if field not in self.tunables:
                known = f"its tunables are {sorted(self.tunables)}" if self.tunables else "it registers no tunables"
                raise exc.InvalidConfig(f"{self.kernel_name}: Config.{field} is not a field of this kernel ({known}; "
                                        "hl.register_tunable(name, fragment) declares one)")
        for field, legal in self.tunables.items():
            value = merged[field]
            if not legal.contains(value):
                raise exc.InvalidConfig(_bad(field, None, value, legal.describe(), self.kernel_name))
            host = self.host_tunables.get(field, value)
            if not (value == host and type(value) is type(host)):
                raise exc.InvalidConfig(_bad(field, None, value, f"{host!r}, the value the kernel's host code computed with "
                                             "for these arguments (it comes from the kernel's config=)", self.kernel_name))

    def _check_flatten_loops(self, merged: dict) -> None:
        """Config.flatten_loops: one bool per multi-dim loop (as loop_orders);
        True lowers an inner loop as one loop over all its tile combinations.
        The grid's entry is True (one program-id axis), or False with
        pid_type='xyz' (one launch axis per dim)."""
        if merged.get("flatten_loops") is None:
            return
        name = self.kernel_name
        values = _as_list(merged, "flatten_loops", len(self.multi_dim_loops), name,
                          "one bool per multi-dim hl.tile, in loop order")
        _check_entries("flatten_loops", values, EnumFragment([False, True]), name)
        grid_is_multi_dim = sum(1 for s in self.tile_slots if s.in_grid) >= 2
        xyz = merged.get("pid_type") == "xyz"
        if grid_is_multi_dim and values and values[0] is not (not xyz):
            why = "False: with pid_type='xyz' the grid runs on one launch axis per dim" if xyz else \
                "True: the grid is one program-id axis (pid_type='xyz' gives one axis per dim)"
            raise exc.InvalidConfig(_bad("flatten_loops", 0, values[0], why, name))

    def _check_pid_type(self, merged: dict) -> None:
        if merged.get("maxnreg") is not None and not (is_int(merged["maxnreg"]) and MAXNREG.contains(merged["maxnreg"])):
            raise exc.InvalidConfig(_bad("maxnreg", None, merged["maxnreg"], MAXNREG.describe(), self.kernel_name))
        for field, legal in (("pid_type", PID_TYPE), ("num_sm_multiplier", NUM_SM_MULTIPLIER)):
            if merged.get(field) is not None and not legal.contains(merged[field]):
                raise exc.InvalidConfig(_bad(field, None, merged[field], legal.describe(), self.kernel_name))
        if merged.get("pid_type") == "xyz":
            grid_dims = sum(1 for s in self.tile_slots if s.in_grid)
            if grid_dims > 3:
                raise exc.InvalidConfig(_bad("pid_type", None, "xyz", f"'flat' or a persistent one: this kernel's grid has "
                                             f"{grid_dims} dims and xyz maps each to one of the 3 launch axes",
                                             self.kernel_name))
            groups = merged.get("l2_groupings") or []
            if groups and groups[0] != 1:
                raise exc.InvalidConfig(_bad("l2_groupings", 0, groups[0], "1 with pid_type='xyz' (L2 grouping reorders a "
                                             "linear program id, which xyz does not have)", self.kernel_name))


def _persistent(pid_type: Any) -> bool:
    """Whether a Config's pid_type loops over tiles (the grid loop then takes loop knobs)."""
    return str(pid_type or "flat").startswith("persistent")


def _replace(cfg: Config, **fields: Any) -> Config:
    merged = dict(cfg.config)
    merged.update(fields)
    return Config(**merged)


def _check_entries(field: str, values: list, legal: Fragment, kernel: str) -> None:
    for i, v in enumerate(values):
        if not legal.contains(v):
            raise exc.InvalidConfig(_bad(field, i, v, legal.describe(), kernel))


def _bad(field: str, index: int | None, value: Any, legal: str, kernel: str) -> str:
    where = f"{field}[{index}]" if index is not None else field
    return f"{kernel}: Config.{where} = {value!r} is not legal; expected {legal}"


def _as_list(merged: dict, field: str, n: int, kernel: str, what: str) -> list:
    v = merged[field]
    if not isinstance(v, list):
        raise exc.InvalidConfig(f"{kernel}: Config.{field} = {v!r} must be a list ({what}); this kernel needs {n}")
    if len(v) != n:
        raise exc.InvalidConfig(f"{kernel}: Config.{field} has {len(v)} entries, this kernel needs {n} ({what}); got {v!r}")
    return v


@dataclasses.dataclass
class _IRFacts:
    shapes: list[tuple]  # distinct tensor shapes, each dim an int or ("slot", id)
    dots: int
    loops: int  # tile loops inside the grid
    loads: int
    accesses: int  # loads and stores
    scanned: set[int]  # slots a tile.scan runs along
    rebound: set[int]  # slots a tile.rebind views as their static size: not looped by the search or the
    # default (a user's looped config gets roll-reductions' error naming the line)


def _ir_facts(module: Any) -> _IRFacts:
    """What the ConfigSpec needs to know of a kernel's tile IR."""
    shapes: set[tuple] = set()
    facts = _IRFacts([], 0, 0, 0, 0, set(), set())

    def walk(op: Any) -> Iterator[Any]:
        for region in op.regions:
            for block in region.blocks:
                for inner in block.operations:
                    yield inner
                    yield from walk(inner)

    for op in walk(module.operation):
        facts.dots += op.name == "tile.dot"
        facts.loops += op.name == "tile.for"
        facts.loads += op.name == "tile.load"
        facts.accesses += op.name in ("tile.load", "tile.store")
        if op.name == "tile.rebind":  # roll-reductions refuses to loop a slot that meets a static size
            for a, b in zip(op.operands[0].type.block_slots, op.results[0].type.block_slots):
                if (a >= 0) != (b >= 0):
                    facts.rebound.add(max(a, b))
        if op.name == "tile.scan":  # roll-reductions refuses a scan over any looped dim
            facts.scanned.update(s for s in op.operands[0].type.block_slots if s >= 0)
        for r in op.results:
            t = r.type
            if t.is_tensor:
                shapes.add(tuple(("slot", s) if d < 0 else d for d, s in zip(t.shape, t.block_slots)))
    facts.shapes = sorted(shapes, key=repr)
    return facts
