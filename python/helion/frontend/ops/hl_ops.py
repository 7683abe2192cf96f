"""helion.language ops in device code (hl.zeros, hl.dot, hl.reduce, ...)."""
from __future__ import annotations

import torch

from ... import exc
from ... import language as hl
from ..values import BlockSize
from .registry import register


@register(hl.zeros)
def _zeros(tr, args, kwargs):
    shape = args[0] if args else kwargs.pop("shape")
    dtype = kwargs.pop("dtype", None) or torch.float32
    return tr.ops.to_tensor(0, dtype, tr._shape_dims(shape))


@register(hl.full)
def _full(tr, args, kwargs):
    shape, value = (list(args) + [None, None])[:2]
    shape = shape if shape is not None else kwargs.pop("shape")
    value = value if value is not None else kwargs.pop("value")
    dtype = kwargs.pop("dtype", None) or torch.float32
    return tr.ops.to_tensor(value, dtype, tr._shape_dims(shape))


@register(hl.dot)
def _dot(tr, args, kwargs):
    return tr._dot_call(*args, **kwargs)


@register(hl.reduce)
def _reduce(tr, args, kwargs):
    return tr._user_reduce(*args, **kwargs)


@register(hl.register_block_size)
def _register_block_size(tr, args, kwargs):
    slot = tr._new_slot(False, args[0], False)
    return BlockSize(tr.slot_values[slot], slot)


@register(hl.specialize)
def _specialize(tr, args, kwargs):
    return args[0]


@register(hl.arange)
def _arange(tr, args, kwargs):
    if not 1 <= len(args) <= 2:
        raise exc.TypeError_("hl.arange() takes (end) or (begin, end)", location=tr.where())
    start, end = (0, args[0]) if len(args) == 1 else args[:2]
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (start, end)):
        raise exc.NotSupported("hl.arange() needs constant int bounds; for the lanes of a tile use tile.index "
                               "(or tile.index - tile.begin for 0 .. block_size - 1)", location=tr.where())
    dtype = kwargs.get("dtype") or torch.int32
    n = end - start
    if n < 1 or n & (n - 1):
        raise exc.TypeError_(f"hl.arange size {n} must be a power of two", location=tr.where())
    return tr.ops.cast(tr.ops.arange(start, end), dtype)


@register(hl.tile, hl.grid)
def _loop_outside_for(tr, args, kwargs):
    raise exc.NotSupported("hl.tile()/hl.grid() outside a for loop header", location=tr.where())
