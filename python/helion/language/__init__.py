"""The device-code language (`import helion.language as hl`).

These functions only have meaning inside a `@helion.kernel` function, where
the compiler reads them from the source; calling them from ordinary Python
raises `helion.exc.NotInsideKernel`.
"""
from __future__ import annotations

import sys

from .. import exc

__all__ = ["tile", "grid", "zeros", "full", "dot", "reduce", "register_block_size", "specialize", "constexpr", "arange",
           "load", "store", "atomic_add", "atomic_and", "atomic_or", "atomic_xor", "atomic_xchg", "atomic_max",
           "atomic_min", "atomic_cas"]


def _outside(name: str):
    caller = sys._getframe(2)  # the user's call of hl.<name>
    raise exc.NotInsideKernel(f"{caller.f_code.co_filename}:{caller.f_lineno}: hl.{name}() can only be used inside "
                              "a @helion.kernel function")


def tile(begin_or_end, end_or_none=None, /, block_size=None):
    """Iterate over tiles of one or more dimensions: `for t in hl.tile(n)`,
    `hl.tile(begin, end)`, `hl.tile([m, n])`. The outermost loop becomes the
    launch grid; nested loops run inside each program. Block sizes come from
    the Config unless `block_size=` fixes them."""
    _outside("tile")


def grid(begin_or_end, end_or_none=None, /):
    """Like `hl.tile` with block size 1: the loop variables are scalar indices."""
    _outside("grid")


def zeros(shape, dtype=None):
    """A device tensor of zeros; `shape` lists tiles and ints."""
    _outside("zeros")


def full(shape, value, dtype=None):
    """A device tensor filled with `value`."""
    _outside("full")


def arange(*args, dtype=None):
    """The integers [start, end) as a device tensor (end - start a power of two)."""
    _outside("arange")


def dot(a, b, acc=None, out_dtype=None):
    """Matrix product of two tiles (2-d, or 3-d batched), accumulated into acc."""
    _outside("dot")


def load(tensor, index, extra_mask=None, eviction_policy=None):
    """tensor[index] with a list index (tiles, ints, integer tensors,
    `slice(None)`), masked by the bool tensor `extra_mask` (broadcast to the
    indexed shape; masked-off elements read 0). `eviction_policy`:
    None, "evict_first" or "evict_last"."""
    _outside("load")


def store(tensor, index, value, extra_mask=None):
    """tensor[index] = value, skipping the elements where extra_mask is False."""
    _outside("store")


def atomic_add(target, index, value, sem="relaxed"):
    """Atomically target[index] += value, element by element, and return the
    old values; many programs may update the same elements. `sem`: "relaxed",
    "acquire", "release" or "acq_rel". The other atomics work the same way."""
    _outside("atomic_add")


def atomic_and(target, index, value, sem="relaxed"):
    """Atomically target[index] &= value; returns the old values."""
    _outside("atomic_and")


def atomic_or(target, index, value, sem="relaxed"):
    """Atomically target[index] |= value; returns the old values."""
    _outside("atomic_or")


def atomic_xor(target, index, value, sem="relaxed"):
    """Atomically target[index] ^= value; returns the old values."""
    _outside("atomic_xor")


def atomic_xchg(target, index, value, sem="relaxed"):
    """Atomically target[index] = value; returns the old values."""
    _outside("atomic_xchg")


def atomic_max(target, index, value, sem="relaxed"):
    """Atomically target[index] = max(target[index], value); returns the old values."""
    _outside("atomic_max")


def atomic_min(target, index, value, sem="relaxed"):
    """Atomically target[index] = min(target[index], value); returns the old values."""
    _outside("atomic_min")


def atomic_cas(target, index, expected, value, sem="relaxed"):
    """Compare-and-swap: not supported yet (it needs a tile op of its own)."""
    _outside("atomic_cas")


class RegisteredBlockSize:
    """What hl.register_block_size returns in host code: a Config block size
    for `extent`, to pass as `hl.tile(..., block_size=bs)`."""

    def __init__(self, extent: int) -> None:
        self.extent = extent

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RegisteredBlockSize) and other.extent == self.extent

    def __hash__(self) -> int:
        return hash(("RegisteredBlockSize", self.extent))

    def __repr__(self) -> str:
        return f"hl.register_block_size({self.extent})"


def reduce(combine_fn, input_tensor, dim=None, other=0, keep_dims=False):
    """Reduce `input_tensor` (or a tuple of tensors) along `dim` with
    `combine_fn(a, b)`, a function of scalars written with torch ops. Lanes
    past a tile's end take `other` (the identity of combine_fn)."""
    _outside("reduce")


def register_block_size(extent):
    """A tunable block size for `extent` (its own entry in Config.block_sizes,
    in program order), usable as `hl.tile(n, block_size=bs)` in several loops."""
    if not isinstance(extent, int):
        raise exc.Base(f"hl.register_block_size() takes an int extent, got {type(extent).__name__}")
    return RegisteredBlockSize(extent)


def specialize(value):
    """Bake a host value (a size) into the kernel as a constant. Sizes are
    specialized already (static shapes), so this returns the value."""
    return value


class constexpr:  # noqa: N801 - matches the public API name
    """Annotation for kernel arguments that are compile-time constants:
    `def k(x: torch.Tensor, eps: hl.constexpr)`. Their value (a float too) is
    baked into the device code and kernels specialize on it. The host code
    wraps each such argument in a constexpr on its way to the device loop."""

    __slots__ = ("value",)

    def __init__(self, value=None):
        self.value = value

    def __repr__(self) -> str:
        return f"hl.constexpr({self.value!r})"
