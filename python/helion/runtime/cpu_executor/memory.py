"""The memory model: pointer arguments, pointers, bounds checks, loads, stores, atomics.

A pointer argument is the whole storage of its tensor reinterpreted as the
pointee type, so any access inside the storage is legal (as on the GPU) and
anything outside raises CpuExecutionError naming the kernel, the program id,
the op and its location, the element index and the valid range. Masked-off
lanes never touch memory.
"""
from __future__ import annotations

import torch

from helion.exc import CpuExecutionError

from .numerics import ukey


class Buffer:
    """The storage of one pointer argument, viewed as a flat tensor of the pointee type."""

    __slots__ = ("flat", "n", "base", "arg")

    def __init__(self, flat, base, arg):
        self.flat = flat
        self.n = flat.numel()
        self.base = base  # element index of the argument tensor's first element
        self.arg = arg  # argument position, for error messages


class Ptr:
    """A pointer or tensor of pointers: a buffer plus int64 absolute element offsets."""

    __slots__ = ("buf", "off")

    def __init__(self, buf, off):
        self.buf = buf
        self.off = off

    def __repr__(self):
        return f"Ptr(arg{self.buf.arg}, {self.off - self.buf.base})"


class BlockPtr:
    """tt.make_tensor_ptr: a block of a strided tensor (everything in Python ints)."""

    __slots__ = ("buf", "base", "shape", "strides", "offsets", "block")

    def __init__(self, buf, base, shape, strides, offsets, block):
        self.buf, self.base, self.shape, self.strides, self.offsets, self.block = (
            buf, base, shape, strides, offsets, block)


class LaunchState:
    """Per-launch state, stored in env[0] so that ops can name the program in errors."""

    __slots__ = ("kernel", "pid", "pid_t")

    def __init__(self, kernel):
        self.kernel = kernel
        self.pid = None  # (x, y, z) of the running program; None in the prologue
        self.pid_t = None  # the same as 0-d int32 tensors, for tt.get_program_id

    def where(self):
        pid = "the prologue (before any program)" if self.pid is None else f"program id {self.pid}"
        return f"kernel '{self.kernel}', {pid}"


def _flat_index(shape, i):
    idx = []
    for d in reversed(shape):
        idx.append(i % d)
        i //= d
    return tuple(reversed(idx))


def check_bounds(st, desc, buf, off, mask):
    """Raises unless every active lane of `off` is inside the storage.

    Returns the offsets with masked-off lanes replaced by a safe index (0), or
    None when the storage is empty (every lane must then be masked off).
    """
    n = buf.n
    safe = off if mask is None else torch.where(mask, off, 0)
    if safe.numel():
        lo, hi = torch.aminmax(safe)
        if int(lo) >= 0 and int(hi) < n:
            return safe
    else:
        return safe
    bad = (off < 0) | (off >= n)
    if mask is not None:
        bad = bad & mask
    if not bool(bad.any()):
        return None if n == 0 else safe
    flat_bad = torch.broadcast_to(bad, off.shape).reshape(-1)
    lane = int(flat_bad.nonzero()[0, 0])
    idx = int(off.reshape(-1)[lane]) - buf.base
    nbad = int(flat_bad.sum())
    lane_s = f" at lane {_flat_index(tuple(off.shape), lane)}" if off.dim() else ""
    raise CpuExecutionError(
        f"{st.where()}: out-of-bounds access by {desc}: element index {idx} of pointer argument "
        f"#{buf.arg}{lane_s} is outside the valid range [{-buf.base}, {n - buf.base}) "
        f"({nbad} lane(s) out of bounds)")


def gather(st, desc, ptr, mask, other):
    buf = ptr.buf
    safe = check_bounds(st, desc, buf, ptr.off, mask)
    if safe is None:  # empty storage, everything masked
        vals = torch.zeros(ptr.off.shape, dtype=buf.flat.dtype)
    else:
        # Advanced indexing copies, so values never alias memory; a 0-d index
        # would return a view instead, hence the clone.
        vals = buf.flat[safe] if safe.dim() else buf.flat[safe].clone()
    if mask is not None:
        vals = torch.where(mask, vals, 0 if other is None else other)  # masked-off lanes: other or 0
    return vals


def scatter(st, desc, ptr, val, mask):
    buf = ptr.buf
    off = ptr.off
    if check_bounds(st, desc, buf, off, mask) is None:
        return
    val = torch.broadcast_to(val, off.shape)
    if mask is None:
        buf.flat[off] = val
    else:
        mask = torch.broadcast_to(mask, off.shape)
        buf.flat[off[mask]] = val[mask]


def block_addresses(bp, offsets, check_dims):
    """Offsets and in-bounds mask of every element of a block of a strided tensor."""
    rank = len(bp.block)
    off = torch.tensor(bp.base, dtype=torch.int64)
    mask = None
    for d in range(rank):
        idx = torch.arange(bp.block[d], dtype=torch.int64) + offsets[d]
        shape = [1] * rank
        shape[d] = bp.block[d]
        idx = idx.reshape(shape)
        off = off + idx * bp.strides[d]
        if d in check_dims:
            m = (idx >= 0) & (idx < bp.shape[d])
            mask = m if mask is None else mask & m
    off = off.expand(bp.block)
    if mask is not None:
        mask = mask.expand(bp.block)
    return off, mask


# RMWOp numbering from Triton's TritonAttrDefs.td (checked against triton 3.6's
# ir.ATOMIC_OP): AND=1 OR=2 XOR=3 ADD=4 FADD=5 MAX=6 MIN=7 UMAX=8 UMIN=9 XCHG=10.
def rmw_combine(kind, info):
    w = info.width
    if kind in (6, 7) and info.is_float:
        return {6: torch.maximum, 7: torch.minimum}[kind]
    if info.dtype == torch.bool:
        add = torch.bitwise_xor
    else:
        add = torch.add
    table = {
        1: torch.bitwise_and, 2: torch.bitwise_or, 3: torch.bitwise_xor, 4: add, 5: torch.add,
        6: torch.maximum, 7: torch.minimum,
        8: lambda a, b: torch.where(ukey(a, w) >= ukey(b, w), a, b),
        9: lambda a, b: torch.where(ukey(a, w) <= ukey(b, w), a, b),
        10: lambda a, b: b,
    }
    return table[kind]


def atomic(st, desc, ptr, value, mask, combine, want_old, add_like):
    """Read-modify-write of every active lane, in lane order (sequential semantics)."""
    buf, off = ptr.buf, ptr.off
    shape = off.shape
    check_bounds(st, desc, buf, off, mask)
    flat = buf.flat
    o = off.reshape(-1)
    v = torch.broadcast_to(value, shape).reshape(-1)
    sel = None
    if mask is not None:
        sel = torch.broadcast_to(mask, shape).reshape(-1)
        o = o[sel]
        v = v[sel]
    n = o.numel()
    if n == 0:
        old = torch.empty(0, dtype=flat.dtype)
    elif n == 1 or torch.unique(o).numel() == n:  # distinct addresses: one vectorized update
        old = flat[o]
        flat[o] = combine(old, v)
    elif add_like and not want_old:
        flat.index_add_(0, o, v)
        old = None
    else:
        old = torch.empty(n, dtype=flat.dtype)
        for lanes in _rounds(o):
            ok = o[lanes]
            cur = flat[ok]
            flat[ok] = combine(cur, v[lanes])
            old[lanes] = cur
    if not want_old:
        return None
    if sel is None:
        return old.reshape(shape)
    res = torch.zeros(sel.numel(), dtype=flat.dtype)  # masked-off lanes return 0
    res[sel] = old
    return res.reshape(shape)


def _rounds(o):
    """Lane masks applying lanes that share an address in lane order: round k
    holds the k-th occurrence of every address (each round's addresses are distinct)."""
    n = o.numel()
    so, perm = torch.sort(o, stable=True)
    pos = torch.arange(n)
    start = torch.ones(n, dtype=torch.bool)
    start[1:] = so[1:] != so[:-1]
    first = torch.cummax(torch.where(start, pos, 0), 0).values
    rank = torch.empty(n, dtype=torch.int64)
    rank[perm] = pos - first
    return [rank == k for k in range(int(rank.max()) + 1)]


def atomic_cas(st, desc, ptr, cmp, value):
    """Compare-and-swap of every lane, in lane order: memory that holds `cmp`
    becomes `value`. Compares bit patterns, as the GPU does (-0.0 is not 0.0,
    a NaN matches itself). Returns the old values."""
    buf, off = ptr.buf, ptr.off
    shape = off.shape
    check_bounds(st, desc, buf, off, None)
    flat = buf.flat
    o = off.reshape(-1)
    c = torch.broadcast_to(cmp, shape).reshape(-1)
    v = torch.broadcast_to(value, shape).reshape(-1)
    old = torch.empty(o.numel(), dtype=flat.dtype)
    if o.numel():
        for lanes in _rounds(o):
            ok = o[lanes]
            cur = flat[ok]
            hit = _bits(cur) == _bits(c[lanes])
            flat[ok[hit]] = v[lanes][hit]
            old[lanes] = cur
    return old.reshape(shape)


def _bits(x):
    """x's bit patterns as integers of the same width."""
    if not x.dtype.is_floating_point:
        return x
    return x.view({2: torch.int16, 4: torch.int32, 8: torch.int64}[x.dtype.itemsize])
