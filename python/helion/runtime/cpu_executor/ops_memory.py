"""tt ops that touch memory: tt.load, tt.store, tt.atomic_rmw (what the lowering
emits), tt.atomic_cas (ready for hl.atomic_cas), and block pointers and tensor
descriptors (kept for tests, see below).

Every factory here inserts slot 0 (the LaunchState) as the first operand, so
that an out-of-bounds access can name the kernel and the program.
"""
from __future__ import annotations

import torch

from .memory import BlockPtr, Ptr, atomic, atomic_cas, block_addresses, gather, rmw_combine, scatter
from .plan import fn_op
from .types import FP8


@fn_op("tt.load", pure=False)
def _load(o):
    # `cache` and `evict` are hints to the GPU's caches: no effect on values.
    seg = o.attrs.get("operandSegmentSizes", [1, len(o.ins) - 1, 0])
    has_mask, has_other = seg[1] > 0, seg[2] > 0
    desc = o.desc
    ptr_kind = o.in_types[0].kind
    o.ins.insert(0, 0)
    if ptr_kind == "blockptr":
        checks = set(o.attrs.get("boundaryCheck", []))
        pad = float("nan") if o.attrs.get("padding", 1) == 2 else 0

        def load_block(st, bp):
            off, mask = block_addresses(bp, bp.offsets, checks)
            other = None if mask is None else torch.tensor(pad, dtype=bp.buf.flat.dtype)
            return gather(st, desc, Ptr(bp.buf, off), mask, other)
        return load_block
    if has_mask and has_other:
        return lambda st, p, m, other: gather(st, desc, p, m, other)
    if has_mask:
        return lambda st, p, m: gather(st, desc, p, m, None)
    return lambda st, p: gather(st, desc, p, None, None)


@fn_op("tt.store", pure=False)
def _store(o):
    desc = o.desc
    ptr_kind = o.in_types[0].kind
    o.ins.insert(0, 0)
    if ptr_kind == "blockptr":
        checks = set(o.attrs.get("boundaryCheck", []))

        def store_block(st, bp, val):
            off, mask = block_addresses(bp, bp.offsets, checks)
            scatter(st, desc, Ptr(bp.buf, off), val, mask)
        return store_block
    return lambda st, p, v, m=None: scatter(st, desc, p, v, m)


@fn_op("tt.atomic_rmw", pure=False)
def _atomic_rmw(o):
    # `sem` and `scope` order memory between programs running at once; here
    # programs run one after another, so every ordering gives these results.
    kind = o.attrs["atomic_rmw_op"]
    info = o.out
    combine = rmw_combine(kind, info)
    if info.dtype in FP8:
        raise o.error("fp8 atomics are not supported")
    desc, want, add_like = o.desc, o.result_used, kind in (4, 5) and info.dtype != torch.bool
    o.ins.insert(0, 0)
    return lambda st, p, v, m=None: atomic(st, desc, p, v, m, combine, want, add_like)


@fn_op("tt.atomic_cas", pure=False)
def _atomic_cas(o):
    # Not emitted by the lowering yet (hl.atomic_cas needs a tile op); `sem`
    # and `scope` have no effect here, as for tt.atomic_rmw.
    if o.out.dtype in FP8:
        raise o.error("fp8 atomics are not supported")
    desc = o.desc
    o.ins.insert(0, 0)
    return lambda st, p, c, v: atomic_cas(st, desc, p, c, v)


# Block pointers (make_tensor_ptr, advance, and the blockptr paths of load and
# store above) are not emitted by the lowering; they stay for test_block_pointers.
@fn_op("tt.make_tensor_ptr")
def _make_tensor_ptr(o):
    n = (len(o.ins) - 1) // 3
    block = o.out.block

    def make(base, *rest):
        ints = [int(v) for v in rest]
        return BlockPtr(base.buf, int(base.off), ints[:n], ints[n:2 * n], ints[2 * n:], block)
    return make


@fn_op("tt.advance")
def _advance(o):
    def advance(p, *deltas):
        return BlockPtr(p.buf, p.base, p.shape, p.strides,
                        [a + int(d) for a, d in zip(p.offsets, deltas)], p.block)
    return advance


# Tensor descriptors are not emitted by the lowering; they stay for
# test_tensor_descriptors.
@fn_op("tt.make_tensor_descriptor")
def _make_descriptor(o):
    n = (len(o.ins) - 1) // 2
    block = o.out.block
    pad_nan = o.attrs.get("padding", 1) == 2  # TMA fills out-of-bounds elements with 0 (or NaN)

    def make(base, *rest):
        ints = [int(v) for v in rest]
        return (BlockPtr(base.buf, int(base.off), ints[:n], ints[n:], [0] * n, block), pad_nan)
    return make


@fn_op("tt.descriptor_load", pure=False)
def _descriptor_load(o):
    desc, shape = o.desc, o.out.shape
    o.ins.insert(0, 0)

    def load(st, d, *idx):
        bp, pad_nan = d
        # TMA semantics: every out-of-bounds element (any dimension) reads the padding.
        off, mask = block_addresses(bp, [int(i) for i in idx], set(range(len(bp.block))))
        other = torch.tensor(float("nan") if pad_nan else 0, dtype=bp.buf.flat.dtype)
        return gather(st, desc, Ptr(bp.buf, off), mask, other).reshape(shape)
    return load


@fn_op("tt.descriptor_store", pure=False)
def _descriptor_store(o):
    desc = o.desc
    o.ins.insert(0, 0)

    def store(st, d, src, *idx):
        bp, _ = d
        off, mask = block_addresses(bp, [int(i) for i in idx], set(range(len(bp.block))))
        scatter(st, desc, Ptr(bp.buf, off), src.reshape(bp.block), mask)  # out-of-bounds elements are dropped
    return store
