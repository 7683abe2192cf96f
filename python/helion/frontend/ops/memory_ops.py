"""Explicit memory ops in device code: hl.load, hl.store and the atomics.

Their index is a list with one entry per indexed dim, as in a subscript
(tiles, ints, integer tensors, `slice(None)` for `:`, `slice(lo, hi)`); the
work is the indexing mixin's (frontend/indexing.py), shared with subscripts.
"""
from __future__ import annotations

import builtins
import inspect

import torch

from ... import exc
from ... import language as hl
from ..values import TensorArg, Tile
from .registry import register

EVICTION_POLICIES = (None, "evict_first", "evict_last")
SEMANTICS = ("relaxed", "acquire", "release", "acq_rel")


def bind_args(tr, fn, args, kwargs):
    """The arguments of hl.<fn> by name, as Python would bind them; a wrong
    call is reported against the op's signature."""
    try:
        bound = inspect.signature(fn).bind(*args, **kwargs)
    except TypeError as e:
        raise exc.TypeError_(f"hl.{fn.__name__}{inspect.signature(fn)}: {e}", location=tr.where()) from None
    bound.apply_defaults()
    return bound.arguments


def _index(tr, fn, index) -> list:
    if not isinstance(index, (list, tuple)):
        raise exc.TypeError_(f"hl.{fn.__name__}() takes its index as a list, one entry per indexed dim (e.g. [tile_m, "
                             f"tile_n]), got {tr.describe(index)}", location=tr.where())
    items = []
    for it in index:
        if isinstance(it, tuple):  # the tiles of a multi-dim loop taken as one name: one entry each
            items.extend(it)
        else:  # a whole tensor argument is a gather index, as in a subscript
            items.append(tr._load_whole(it) if isinstance(it, TensorArg) else it)
    return items


@register(hl.load)
def _load(tr, args, kwargs):
    a = bind_args(tr, hl.load, args, kwargs)
    policy = a["eviction_policy"]
    if policy not in EVICTION_POLICIES:
        raise exc.TypeError_(f"hl.load(): eviction_policy={policy!r} is not one of {', '.join(map(repr, EVICTION_POLICIES))}",
                             location=tr.where())
    if not isinstance(a["tensor"], TensorArg):
        raise exc.TypeError_(f"hl.load() reads a kernel tensor argument, got {tr.describe(a['tensor'])}", location=tr.where())
    return tr._load(a["tensor"], _index(tr, hl.load, a["index"]), a["extra_mask"], policy)


@register(hl.store)
def _store(tr, args, kwargs):
    a = bind_args(tr, hl.store, args, kwargs)
    tr._store(a["tensor"], _index(tr, hl.store, a["index"]), a["value"], a["extra_mask"])


def _atomic(kind: str, fn):
    def handler(tr, args, kwargs):
        a = bind_args(tr, fn, args, kwargs)
        sem = a["sem"]
        if sem not in SEMANTICS:
            raise exc.TypeError_(f"hl.{fn.__name__}(): sem={sem!r} is not one of {', '.join(map(repr, SEMANTICS))}",
                                 location=tr.where())
        target = a["target"]
        if isinstance(target, TensorArg):
            _check_atomic_dtype(tr, fn, kind, target)
        return tr._atomic(kind, target, _index(tr, fn, a["index"]), a["value"], sem)
    register(fn)(handler)


def _check_atomic_dtype(tr, fn, kind: str, target: TensorArg) -> None:
    """What Triton's atomic_rmw takes on NVIDIA GPUs: 32/64-bit integers for
    every kind, floats for add (16 bits too); 32/64-bit floats for xchg, and
    for max/min (the conversion runs those as integer atomics on the bits)."""
    dtype = target.dtype
    if dtype.is_floating_point:
        ok = dtype.itemsize in (2, 4, 8) if kind == "add" else kind in ("xchg", "max", "min") and dtype.itemsize in (4, 8)
    else:
        ok = dtype.itemsize in (4, 8) and dtype.is_signed
    if not ok:
        raise exc.TypeError_(f"hl.{fn.__name__}() on {target.name!r} of dtype {dtype}: atomics take int32/int64 tensors, "
                             f"and float16/bfloat16/float32/float64 for add, float32/float64 for xchg, max and min",
                             location=tr.where())


for _kind, _fn in (("add", hl.atomic_add), ("and", hl.atomic_and), ("or", hl.atomic_or), ("xor", hl.atomic_xor),
                   ("xchg", hl.atomic_xchg), ("max", hl.atomic_max), ("min", hl.atomic_min)):
    _atomic(_kind, _fn)


@register(hl.atomic_cas)
def _atomic_cas(tr, args, kwargs):
    """tile.atomic_cas: Triton's compare-and-swap takes no mask, so an index
    that needs one (a gather's tile, a tile past the tensor's end under some
    Config) is refused; scalar indices (a lock, a claimed slot) need none."""
    a = bind_args(tr, hl.atomic_cas, args, kwargs)
    sem, target = a["sem"], a["target"]
    if sem not in SEMANTICS:
        raise exc.TypeError_(f"hl.atomic_cas(): sem={sem!r} is not one of {', '.join(map(repr, SEMANTICS))}",
                             location=tr.where())
    if not isinstance(target, TensorArg):
        raise exc.TypeError_(f"atomics update kernel tensor arguments, not {tr.describe(target)}", location=tr.where())
    if target.dtype not in (torch.int32, torch.int64, torch.float32, torch.float64):
        raise exc.TypeError_(f"hl.atomic_cas() on {target.name!r} of dtype {target.dtype}: compare-and-swap takes "
                             "int32/int64/float32/float64 tensors", location=tr.where())
    items = _index(tr, hl.atomic_cas, a["index"])
    operands, dims, _ = tr._index_operands(target, items, for_store=True)
    if tr._gather_mask(dims) is not None:
        raise exc.NotSupported("hl.atomic_cas() with a gather index over a tile: the lanes past the tile's end would "
                               "need a mask, which compare-and-swap does not take; index with scalars or whole tiles",
                               location=tr.where())
    for d in dims:
        tile = tr.tile_of_slot.get(getattr(d, "slot", None))
        if tile is not None and not _tile_always_full(tile):
            raise exc.NotSupported(
                "hl.atomic_cas() indexed with a tile (or `:`) whose end is not a power of two: under Configs whose "
                "block size does not divide it, the last tile needs a bounds mask, which compare-and-swap does not "
                "take; index with scalars (hl.grid, ints, loaded values)", location=tr.where())
    tr._check_initialized(target)
    tr.stored.add(id(target))
    tr._atomic_targets().add(id(target))
    expected, value = (tr._value_for(target, dims, v) for v in (a["expected"], a["value"]))
    return tr.b.atomic_cas(expected, value, target.value, operands, sem)


def _tile_always_full(t: Tile) -> bool:
    """Whether every block size a Config may give the tile divides its loop (powers of two up to a power-of-two end)."""
    return isinstance(t.extent, int) and t.extent > 0 and not t.extent & (t.extent - 1)


@register(builtins.slice)
def _slice(tr, args, kwargs):
    """`slice(None)` / `slice(lo, hi)`: the `:` entries of an hl.load/hl.store index list."""
    if kwargs or not 1 <= len(args) <= 2:
        raise exc.TypeError_("slice() in device code takes (stop) or (start, stop)", location=tr.where())
    return builtins.slice(*args)
