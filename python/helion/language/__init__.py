"""The device-code language (`import helion.language as hl`).

These functions only have meaning inside a `@helion.kernel` function, where
the compiler reads them from the source; calling them from ordinary Python
raises `helion.exc.NotInsideKernel`.
"""
from __future__ import annotations

import sys

from .. import exc

__all__ = ["tile", "grid", "jagged_tile", "zeros", "full", "dot", "reduce", "register_block_size", "register_tunable", "specialize",
           "constexpr", "arange", "load", "store", "atomic_add", "atomic_and", "atomic_or", "atomic_xor", "atomic_xchg", "atomic_max",
           "atomic_min", "atomic_cas", "cumsum", "cumprod", "associative_scan", "rand", "randint", "split", "join", "barrier"]


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


def jagged_tile(parent):
    """Iterate over tiles of a jagged dim inside enclosing tiles: `parent`
    holds each enclosing lane's end (`lengths = ends - starts` under
    `tile_b`). The loop runs to the largest end, and every load, store and
    reduction that uses the child tile together with the parent's tiles is
    masked per lane past that lane's end."""
    _outside("jagged_tile")


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
    """Atomically, where target[index] == expected (bit for bit), set it to
    value; returns the old values. Triton's compare-and-swap takes no mask,
    so every indexed element must exist (scalar indices: a lock, a slot)."""
    _outside("atomic_cas")


class RegisteredBlockSize:
    """What hl.register_block_size returns in host code: a Config block size
    to pass as `hl.tile(..., block_size=bs)`. Host arithmetic on it
    (`n // bs`, `helion.cdiv(n, bs)`, `bs * 2`) reads its value: the kernel's
    config= entry (else a default), which then is the only legal block size
    for the call's specialization."""

    def __init__(self, extent: int | None, min_size: int = 1, max_size: int | None = None) -> None:
        self.extent, self.min_size, self.max_size = extent, min_size, max_size
        self.index: int | None = None  # its Config.block_sizes entry (registration order of the host run)
        self.where: str | None = None  # the user's line that registered it
        self.resolve = None  # the host run's callback: the value host arithmetic uses
        self.pinned: int | None = None  # that value, once host code read it

    @property
    def value(self) -> int:
        if self.pinned is None:
            self.pinned = self.resolve(self) if self.resolve else self.default()
        return self.pinned

    def default(self) -> int:
        """A host-read block size without a config: 64 within the bounds."""
        high = self.max_size or (1 if not self.extent or self.extent <= 1 else 1 << (self.extent - 1).bit_length())
        return min(max(64, self.min_size), high)

    def _key(self) -> tuple:
        return (self.extent, self.min_size, self.max_size, self.index, self.pinned)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, RegisteredBlockSize):
            return other._key() == self._key()
        return isinstance(other, int) and self.value == other

    def __hash__(self) -> int:
        return hash(("RegisteredBlockSize",) + self._key())

    def __repr__(self) -> str:
        bounds = f"{self.extent}" if self.max_size is None else f"{self.min_size}, {self.max_size}"
        return f"hl.register_block_size({bounds})" + (f" = {self.pinned}" if self.pinned is not None else "")

    def __index__(self) -> int:
        return self.value

    __int__ = __index__

    def __neg__(self) -> int:
        return -self.value


def _host_arithmetic(name: str):
    op = getattr(int, name)
    return lambda self, other: op(self.value, other.value if isinstance(other, RegisteredBlockSize) else other)


for _name in ("__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__", "__floordiv__", "__rfloordiv__",
              "__mod__", "__rmod__", "__truediv__", "__rtruediv__", "__pow__", "__lshift__", "__rshift__",
              "__lt__", "__le__", "__gt__", "__ge__"):
    setattr(RegisteredBlockSize, _name, _host_arithmetic(_name))


def reduce(combine_fn, input_tensor, dim=None, other=0, keep_dims=False):
    """Reduce `input_tensor` (or a tuple of tensors) along `dim` with
    `combine_fn(a, b)`, a function of scalars written with torch ops. Lanes
    past a tile's end take `other` (the identity of combine_fn)."""
    _outside("reduce")


def cumsum(input_tensor, dim, reverse=False):
    """Inclusive cumulative sum along `dim` (from the end with reverse=True);
    dtypes as torch.cumsum (integers and bools give int64)."""
    _outside("cumsum")


def cumprod(input_tensor, dim, reverse=False):
    """Inclusive cumulative product along `dim`; dtypes as torch.cumprod."""
    _outside("cumprod")


def associative_scan(combine_fn, input_tensor, dim, reverse=False):
    """Inclusive scan of `input_tensor` (or a tuple of tensors of one shape)
    along `dim` with the associative `combine_fn(accumulated, new)`, a function
    of scalars written with torch ops; over a tuple it takes two tuples, or the
    2N values unpacked (left values, then right values)."""
    _outside("associative_scan")


def rand(shape, seed, device=None):
    """Uniform float32 numbers in [0, 1) from a counter-based Philox-4x32
    generator: each element's number depends only on `seed` (an int, or an
    integer scalar loaded in the kernel) and its position in the shape's
    full extents, not on the Config, and is the same on the CPU and the GPU."""
    _outside("rand")


def randint(shape, low, high, seed):
    """Uniform int32 numbers in [low, high), from the same generator as hl.rand."""
    _outside("randint")


def split(tensor):
    """The two halves of a device tensor whose last dim has size 2: (x[..., 0], x[..., 1])."""
    _outside("split")


def join(tensor0, tensor1):
    """Two device tensors of one shape stacked along a new last dim of size 2."""
    _outside("join")


def barrier():
    """Separates two top-level device loops (phases) of a kernel: every write
    of the loops before it is visible to the loops after it. Each top-level
    loop is launched as its own kernel, in program order on one stream, which
    already gives that order: the barrier costs nothing at run time. Only
    valid as a statement of its own between two top-level device loops."""
    _outside("barrier")


def register_block_size(min_or_extent, max_size=None, /):
    """A tunable block size (its own entry in Config.block_sizes, in program
    order), usable as `hl.tile(n, block_size=bs)` in several loops:
    `hl.register_block_size(n)` for a dim of extent n (up to the next power of
    two of n), `hl.register_block_size(min, max)`: a power of two in [min, max]."""
    args = (min_or_extent,) if max_size is None else (min_or_extent, max_size)
    if not all(isinstance(a, int) and not isinstance(a, bool) for a in args):
        raise exc.TypeError_(f"hl.register_block_size() takes one int (an extent) or two (min and max), got "
                             f"{', '.join(type(a).__name__ for a in args)}")
    if max_size is None:
        if min_or_extent < 0:
            raise exc.TypeError_(f"hl.register_block_size({min_or_extent}): the extent is negative")
        return RegisteredBlockSize(min_or_extent)
    low = 1 if min_or_extent <= 1 else 1 << (min_or_extent - 1).bit_length()  # powers of two inside [min, max]
    high = 1 << (max_size.bit_length() - 1) if max_size >= 1 else 0
    if high < max(low, 1):
        raise exc.TypeError_(f"hl.register_block_size({min_or_extent}, {max_size}): no power of two lies in "
                             f"[{min_or_extent}, {max_size}]")
    return RegisteredBlockSize(None, low, high)


def register_tunable(name, fragment):
    """A kernel-specific Config entry: `split_k = hl.register_tunable("split_k",
    PowerOfTwoFragment(1, 64))` in host code returns the kernel's config= value
    for `name` (else the fragment's default), usable in host and device code;
    the ConfigSpec checks it against the fragment (helion.autotuner's
    PowerOfTwoFragment, IntegerFragment, EnumFragment, BooleanFragment)."""
    _outside("register_tunable")


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
