"""hl.rand / hl.randint: a counter-based Philox-4x32-10 generator (Salmon et
al., "Parallel random numbers: as easy as 1, 2, 3", 2011) written with
integer arith ops.

An element's counter is its position in the row-major order of the shape's
full extents (a tile dim counts up to its loop's end), the key is the seed.
So its number depends only on (seed, position): not on the Config, and, being
integer arithmetic plus one exact conversion, bit-identical on the CPU
executor and the GPU. The 32x32->64-bit products are int64 multiplies (their
low 64 bits are exact under wrap-around)."""
from __future__ import annotations

import math

import torch

from .. import exc
from .values import DTensor, Scalar, Sym, Tile

MASK32 = 0xFFFFFFFF
MULTIPLIERS = (0xD2511F53, 0xCD9E8D57)
WEYL = (0x9E3779B9, 0xBB67AE85)  # the key's increments per round
ROUNDS = 10


def rand(tr, shape, seed) -> DTensor:
    """Uniform float32 in [0, 1): the top 24 bits of the first word times 2^-24 (exact)."""
    bits = _philox(tr, shape, seed, "hl.rand")
    top = tr.ops.binary("and", tr.ops.shift("rshift", bits, 8), 0xFFFFFF)
    return tr.ops.binary("mul", tr.ops.cast(top, torch.float32), 2.0 ** -24)


def randint(tr, shape, low, high, seed) -> DTensor:
    """Uniform int32 in [low, high): low + (word * (high - low)) >> 32, the
    first word taken unsigned (a bias below (high - low) / 2^32)."""
    for name, v in (("low", low), ("high", high)):
        if isinstance(v, bool) or not isinstance(v, int):
            raise exc.TypeError_(f"hl.randint(): {name} must be an int, got {tr.describe(v)}", location=tr.where())
        if not -(1 << 31) <= v <= 1 << 31:
            raise exc.TypeError_(f"hl.randint(): {name}={v} is outside int32, the dtype of its result",
                                 location=tr.where())
    if high <= low:
        raise exc.TypeError_(f"hl.randint(): the range [{low}, {high}) is empty", location=tr.where())
    bits = _philox(tr, shape, seed, "hl.randint")
    word = tr.ops.binary("and", tr.ops.cast(bits, torch.int64), MASK32)
    # The product's high word: an arithmetic shift of the wrapped product, masked.
    scaled = tr.ops.binary("and", tr.ops.shift("rshift", tr.ops.binary("mul", word, high - low), 32), MASK32)
    return tr.ops.cast(tr.ops.binary("add", scaled, low), torch.int32)


def _philox(tr, shape, seed, what: str) -> DTensor:
    """The first int32 word of Philox-4x32-10 at each element's position."""
    offset = _positions(tr, shape, what)
    c = [tr.ops.cast(offset, torch.int32), tr.ops.cast(tr.ops.shift("rshift", offset, 32), torch.int32), 0, 0]
    k = _key(tr, seed, what)
    for r in range(ROUNDS):
        hi0, lo0 = _mulhilo(tr, MULTIPLIERS[0], c[0])
        hi1, lo1 = _mulhilo(tr, MULTIPLIERS[1], c[2])
        c = [_xor(tr, hi1, c[1], k[0]), lo1, _xor(tr, hi0, c[3], k[1]), lo0]
        if r + 1 < ROUNDS:
            k = [_add32(tr, key, w) for key, w in zip(k, WEYL)]
    return c[0]


def _positions(tr, shape, what: str) -> DTensor:
    """int64 row-major positions of the elements of `shape` (tiles and ints)."""
    entries = list(shape) if isinstance(shape, (list, tuple)) else [shape]
    if not entries:
        raise exc.TypeError_(f"{what}() needs a non-empty shape, e.g. [tile_m, tile_n]", location=tr.where())
    dims = tr.shape_dims(entries)
    indices, extents = [], []
    for i, (s, d) in enumerate(zip(entries, dims)):
        if isinstance(s, Tile):
            indices.append(tr.b.tile_index(s.value, d))
            extents.append(s.extent)
        elif isinstance(s, int) and s & (s - 1):
            # A row of another size is the dim of a full slice `x[t, :]`: a reduction slot over it.
            slot = tr._reduction_slot(s)
            tile = tr.b.make_tile(tr.zero_index, tr.b.index_const(s), tr.slot_values[slot])
            dims[i] = Sym(slot)
            indices.append(tr.b.tile_index(tr._bind_tile(Tile(tile, dims[i], False, s)).value, dims[i]))
            extents.append(s)
        elif isinstance(s, int):
            indices.append(tr.ops.arange(0, s))
            extents.append(s)
        else:
            raise exc.TypeError_(f"{what}(): shape entry {i} must be a loop tile or an int (its position comes from "
                                 f"it), got {tr.describe(s)}", location=tr.where())
    if any(e is None for e in extents[1:]):
        raise exc.NotSupported(f"{what}(): a tile of a loop with a runtime end stands before the last dim of the "
                               "shape; positions need the static extents of the dims after the first",
                               location=tr.where())
    offset = None
    for i, idx in enumerate(indices):
        term = tr.ops.binary("mul", tr.ops.place(tr.ops.cast(idx, torch.int64), i, dims), math.prod(extents[i + 1:]))
        offset = term if offset is None else tr.ops.binary("add", offset, term)
    return offset


def _key(tr, seed, what: str) -> list:
    """The two key words of a seed: Python ints, or int32 Scalars of a seed loaded in the kernel."""
    if isinstance(seed, int) and not isinstance(seed, bool):
        return [seed & MASK32, (seed >> 32) & MASK32]
    if not isinstance(seed, Scalar) or seed.dtype.is_floating_point or seed.dtype == torch.bool:
        raise exc.TypeError_(f"{what}(): seed must be an int or an integer scalar, got {tr.describe(seed)}",
                             location=tr.where())
    seed = tr.ops.cast(seed, torch.int64)
    return [tr.ops.cast(seed, torch.int32), tr.ops.cast(tr.ops.shift("rshift", seed, 32), torch.int32)]


def _mulhilo(tr, m: int, c):
    """(high, low) 32-bit words of m * c, c taken unsigned."""
    if isinstance(c, int):
        p = m * c
        return (p >> 32) & MASK32, p & MASK32
    p = tr.ops.binary("mul", tr.ops.binary("and", tr.ops.cast(c, torch.int64), MASK32), m)
    return tr.ops.cast(tr.ops.shift("rshift", p, 32), torch.int32), tr.ops.cast(p, torch.int32)


def _xor(tr, *xs):
    out = xs[0]
    for x in xs[1:]:
        out = tr.ops.binary("xor", out, x)
    return out & MASK32 if isinstance(out, int) else out


def _add32(tr, key, w: int):
    return (key + w) & MASK32 if isinstance(key, int) else tr.ops.binary("add", key, w)
