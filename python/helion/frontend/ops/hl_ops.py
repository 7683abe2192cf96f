"""helion.language ops in device code (hl.zeros, hl.dot, hl.reduce, ...)."""
from __future__ import annotations

import inspect

import torch

from ... import exc
from ... import language as hl
from .. import random_ops
from ..inlining import DeviceLambda
from ..semantics import promote
from ..values import BlockSize, DTensor, Scalar, Sym
from .memory_ops import bind_args
from .registry import register


def _alloc_dims(tr, shape) -> list:
    """The dims of hl.zeros/hl.full: a static size that is not a power of two
    and equals a dim of a kernel tensor argument (`hl.zeros([tm, n])` with
    n = hl.specialize(y.size(1))) is that dim's full-slice slot, so that the
    value lines up with `y[tk, :]` and stores into `out[tm, :]`."""
    dims = tr.shape_dims(shape)
    sizes = {s for t in tr.tensor_args_by_id.values() for s in t.shape}
    return [Sym(tr._reduction_slot(d)) if isinstance(d, int) and d > 1 and d & (d - 1) and d in sizes else d
            for d in dims]


@register(hl.zeros)
def _zeros(tr, args, kwargs):
    if not args and "shape" not in kwargs:
        raise exc.TypeError_("hl.zeros() needs a shape, e.g. hl.zeros([tile_m, tile_n])", location=tr.where())
    shape = args[0] if args else kwargs.pop("shape")
    dtype = kwargs.pop("dtype", None) or torch.float32
    return tr.ops.to_tensor(0, dtype, _alloc_dims(tr, shape))


@register(hl.full)
def _full(tr, args, kwargs):
    shape, value = (list(args) + [None, None])[:2]
    shape = shape if shape is not None else kwargs.pop("shape", None)
    value = value if value is not None else kwargs.pop("value", None)
    if shape is None or value is None:
        raise exc.TypeError_("hl.full() needs a shape and a value, e.g. hl.full([tile], 0.0)", location=tr.where())
    dtype = kwargs.pop("dtype", None) or torch.float32
    return tr.ops.to_tensor(value, dtype, _alloc_dims(tr, shape))


@register(hl.dot)
def _dot(tr, args, kwargs):
    return _call_checked(tr, tr.dot_call, "hl.dot(a, b, acc=None, out_dtype=None)", args, kwargs)


def _with_combine_fn(tr, impl, signature: str, args, kwargs):
    """hl.reduce / hl.associative_scan: the first argument is the combine function."""
    if not args or not (callable(args[0]) or isinstance(args[0], DeviceLambda)):
        raise exc.TypeError_(f"{signature} takes a function as its first argument", location=tr.where())
    return _call_checked(tr, impl, signature, args, kwargs)


@register(hl.reduce)
def _reduce(tr, args, kwargs):
    return _with_combine_fn(tr, tr.user_reduce, "hl.reduce(combine_fn, input_tensor, dim=None, other=0, keep_dims=False)",
                            args, kwargs)


@register(hl.associative_scan)
def _associative_scan(tr, args, kwargs):
    return _with_combine_fn(tr, tr.user_scan, "hl.associative_scan(combine_fn, input_tensor, dim, reverse=False)",
                            args, kwargs)


def _cumulative(kind: str, fn):
    def handler(tr, args, kwargs):
        a = bind_args(tr, fn, args, kwargs)
        if not isinstance(a["reverse"], bool):
            raise exc.TypeError_(f"hl.{kind}(): reverse must be a bool, got {tr.describe(a['reverse'])}",
                                 location=tr.where())
        return tr.cumulative(kind, a["input_tensor"], a["dim"], reverse=a["reverse"])
    register(fn)(handler)


_cumulative("cumsum", hl.cumsum)
_cumulative("cumprod", hl.cumprod)


@register(hl.rand)
def _rand(tr, args, kwargs):
    a = bind_args(tr, hl.rand, args, kwargs)
    return random_ops.rand(tr, a["shape"], a["seed"])  # device: the kernel's own


@register(hl.randint)
def _randint(tr, args, kwargs):
    a = bind_args(tr, hl.randint, args, kwargs)
    return random_ops.randint(tr, a["shape"], a["low"], a["high"], a["seed"])


@register(hl.split)
def _split(tr, args, kwargs):
    x = tr.operand(bind_args(tr, hl.split, args, kwargs)["tensor"])
    if isinstance(x, DTensor):
        x = tr._static_dim(x, x.ndim - 1)  # a full slice `:` of a dim of 2
    if not isinstance(x, DTensor) or x.dims[-1] != 2:
        raise exc.TypeError_(f"hl.split() takes a device tensor whose last dim has size 2, got {tr.describe(x)}",
                             location=tr.where())
    return tuple(tr._take(x, x.ndim - 1, i, 1, keep=False) for i in range(2))


@register(hl.join)
def _join(tr, args, kwargs):
    a = bind_args(tr, hl.join, args, kwargs)
    xs = [tr.operand(a["tensor0"]), tr.operand(a["tensor1"])]
    if not any(isinstance(x, DTensor) for x in xs):
        raise exc.TypeError_(f"hl.join() takes device tensors, got {tr.describe(xs[0])} and {tr.describe(xs[1])}",
                             location=tr.where())
    (x0, x1), dims = tr.ops.common(xs, promote(*xs))
    dims = dims + [2]
    halves = [tr.ops.broadcast_to(tr.ops.expand_dims(x, len(dims) - 1), dims) for x in (x0, x1)]
    first = tr.ops.place(tr.ops.compare("eq", tr.ops.arange(0, 2), 0), len(dims) - 1, dims)
    return tr.ops.where(first, halves[0], halves[1])


@register(hl.register_block_size)
def _register_block_size(tr, args, kwargs):
    if not 1 <= len(args) <= 2 or kwargs:
        raise exc.TypeError_("hl.register_block_size() takes one int (an extent) or two (min and max)", location=tr.where())
    try:
        bs = hl.register_block_size(*args)
    except exc.Base as e:
        raise type(e)(e.message, location=tr.where()) from None
    slot = tr.new_slot(False, bs.extent, False)
    tr.slots[slot].min_size, tr.slots[slot].max_size = bs.min_size, bs.max_size
    return BlockSize(tr.slot_values[slot], slot)


@register(hl.register_tunable)
def _register_tunable(tr, args, kwargs):
    raise exc.NotSupported("hl.register_tunable() belongs in host code (before the device loop); pass its value into "
                           "the loop", location=tr.where())


@register(hl.specialize)
def _specialize(tr, args, kwargs):
    if len(args) != 1 or kwargs:
        raise exc.TypeError_("hl.specialize() takes one value", location=tr.where())
    return args[0]


def _call_checked(tr, fn, signature: str, args, kwargs):
    """fn(*args, **kwargs), with a wrong call reported against the hl op's signature."""
    try:
        inspect.signature(fn).bind(*args, **kwargs)
    except TypeError as e:
        raise exc.TypeError_(f"{signature}: {e}", location=tr.where()) from None
    return fn(*args, **kwargs)


def _block_size_slot(tr, v):
    """The block-size slot `v` stands for (tile.block_size of a tile whose block
    is a slot, or an hl.register_block_size value), else None."""
    if isinstance(v, BlockSize):
        return v.slot
    if not isinstance(v, Scalar):
        return None
    owner = v.value.owner
    if getattr(owner, "name", None) == "tile.block":
        tile = list(owner.operands)[0]
        for slot, t in tr.tile_of_slot.items():
            if t.value == tile and isinstance(t.block, Sym):
                return slot
    for slot, value in tr.slot_values.items():
        if value == v.value:
            return slot
    return None


@register(hl.arange)
def _arange(tr, args, kwargs):
    if not 1 <= len(args) <= 2:
        raise exc.TypeError_("hl.arange() takes (end) or (begin, end)", location=tr.where())
    start, end = (0, args[0]) if len(args) == 1 else args[:2]
    dtype = kwargs.get("dtype") or torch.int32
    if len(args) == 1:
        slot = _block_size_slot(tr, end)
        if slot is not None:
            # 0 .. block_size - 1 along the slot's dim (lines up with x[tile]).
            bs = tr.slot_values[slot]
            lanes = tr.b.make_tile(tr.b.index_const(0), bs, bs)
            return tr.ops.cast(tr.b.tile_index(lanes, Sym(slot)), dtype)
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (start, end)):
        raise exc.NotSupported("hl.arange() needs constant int bounds or one block size (hl.arange(tile.block_size), "
                               "hl.arange(<hl.register_block_size>)); for the lanes of a tile use tile.index", location=tr.where())
    n = end - start
    if n < 1 or n & (n - 1):
        raise exc.TypeError_(f"hl.arange size {n} must be a power of two", location=tr.where())
    return tr.ops.cast(tr.ops.arange(start, end), dtype)


@register(hl.tile, hl.grid)
def _loop_outside_for(tr, args, kwargs):
    raise exc.NotSupported("hl.tile()/hl.grid() outside a for loop header", location=tr.where())
