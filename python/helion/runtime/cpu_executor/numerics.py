"""Integer and float helpers with the GPU's exact semantics.

Integers wrap at their width, division by zero gives what the GPU gives
instead of raising, unsigned ops reinterpret the bits; float conversions
saturate and round like PTX's cvt instructions; tf32 rounds like the tensor
cores read fp32.
"""
from __future__ import annotations

import torch

from .types import FP8, FP8_MAX, INT_OF_WIDTH

_MIN64 = -(1 << 63)


def zext(x, w):
    """The unsigned value of a w-bit (w < 64) integer tensor, as int64."""
    if x.dtype == torch.bool:
        return x.to(torch.int64)
    return x.to(torch.int64) & ((1 << w) - 1)


def _u64_list(x):
    return [v & 0xFFFFFFFFFFFFFFFF for v in x.reshape(-1).tolist()]


def _u64_apply(a, b, f):
    """Unsigned 64-bit binary op in Python ints (torch has no uint64 division)."""
    a, b = torch.broadcast_tensors(a, b)
    out = [f(x, y) & 0xFFFFFFFFFFFFFFFF for x, y in zip(_u64_list(a), _u64_list(b))]
    out = [v - (1 << 64) if v >= (1 << 63) else v for v in out]
    return torch.tensor(out, dtype=torch.int64).reshape(a.shape)


def divsi(a, b):
    # Truncating division. Division by zero is undefined on the GPU: we return
    # -1 there instead of letting torch raise. INT_MIN / -1 traps (SIGFPE) on
    # x86, so b == -1 is done as a (wrapping) negation.
    zero = b == 0
    neg1 = b == -1
    q = torch.div(a, torch.where(zero | neg1, 1, b), rounding_mode="trunc")
    return torch.where(zero, -1, torch.where(neg1, -a, q))


def remsi(a, b):
    # Sign of the dividend (C semantics) = torch.fmod; x % -1 == 0 == fmod(x, 1).
    zero = b == 0
    r = torch.fmod(a, torch.where(zero | (b == -1), 1, b))
    return torch.where(zero, a, r)


def floordivsi(a, b):
    q = divsi(a, b)
    r = a - q * b
    return q - ((r != 0) & ((r < 0) != (b < 0))).to(q.dtype)


def ceildivsi(a, b):
    q = divsi(a, b)
    r = a - q * b
    return q + ((r != 0) & ((r < 0) == (b < 0))).to(q.dtype)


def make_divui(dt, w):
    if w == 64:
        return lambda a, b: _u64_apply(a, b, lambda x, y: x // y if y else -1)

    def divui(a, b):
        au, bu = zext(a, w), zext(b, w)
        q = au // torch.where(bu == 0, 1, bu)
        return torch.where(bu == 0, -1, q).to(dt)

    return divui


def make_remui(dt, w):
    if w == 64:
        return lambda a, b: _u64_apply(a, b, lambda x, y: x % y if y else x)

    def remui(a, b):
        au, bu = zext(a, w), zext(b, w)
        r = au % torch.where(bu == 0, 1, bu)
        return torch.where(bu == 0, au, r).to(dt)

    return remui


def make_shrui(dt, w):
    if w == 64:
        def shrui64(a, b):
            b = b.clamp(0, 64)
            keep = torch.bitwise_left_shift(torch.ones_like(b), 64 - b) - 1  # b == 0 -> all ones
            return torch.bitwise_right_shift(a, b) & keep
        return shrui64
    return lambda a, b: torch.bitwise_right_shift(zext(a, w), b.to(torch.int64).clamp(0, 63)).to(dt)


def ukey(x, w):
    """A signed tensor that orders like the unsigned interpretation of x."""
    if x.dtype == torch.bool:
        return x
    if w == 64:
        return x ^ _MIN64
    return zext(x, w)


def _skey(x):
    """i1 is signed too: true == -1."""
    if x.dtype == torch.bool:
        return -x.to(torch.int8)
    return x


_CMPI = {0: torch.eq, 1: torch.ne, 2: torch.lt, 3: torch.le, 4: torch.gt, 5: torch.ge,
         6: torch.lt, 7: torch.le, 8: torch.gt, 9: torch.ge}


def make_cmpi(pred, w):
    f = _CMPI[pred]
    if pred <= 1:
        return f
    if pred <= 5:
        return lambda a, b: f(_skey(a), _skey(b))
    return lambda a, b: f(ukey(a, w), ukey(b, w))


def make_cmpf(pred):
    isnan = torch.isnan

    def unordered(a, b):
        return isnan(a) | isnan(b)

    def ordered(a, b):
        return ~unordered(a, b)

    table = {
        0: lambda a, b: torch.zeros(torch.broadcast_shapes(a.shape, b.shape), dtype=torch.bool),
        1: torch.eq, 2: torch.gt, 3: torch.ge, 4: torch.lt, 5: torch.le,
        6: lambda a, b: torch.ne(a, b) & ordered(a, b),
        7: ordered,
        8: lambda a, b: torch.eq(a, b) | unordered(a, b),
        9: lambda a, b: torch.gt(a, b) | unordered(a, b),
        10: lambda a, b: torch.ge(a, b) | unordered(a, b),
        11: lambda a, b: torch.lt(a, b) | unordered(a, b),
        12: lambda a, b: torch.le(a, b) | unordered(a, b),
        13: torch.ne,  # une: true for NaN, like torch.ne
        14: unordered,
        15: lambda a, b: torch.ones(torch.broadcast_shapes(a.shape, b.shape), dtype=torch.bool),
    }
    return table[pred]


def round_tf32(x):
    """fp32 -> tf32 (10 mantissa bits), round to nearest even, kept in fp32."""
    i = x.contiguous().view(torch.int32)
    r = ((i + (0xFFF + ((i >> 13) & 1))) & -8192).view(torch.float32)
    return torch.where(torch.isfinite(x), r, x)  # NaN payloads must not round into inf


def round_toward_zero(x, dtype):
    """Float conversion with RTZ: convert (RNE), then step back toward zero where it rounded away."""
    r = x.to(dtype)
    away = r.to(x.dtype).abs() > x.abs()
    if not bool(away.any()):
        return r
    ity = INT_OF_WIDTH[r.element_size() * 8]
    # Sign-magnitude: decrementing the integer image shrinks the magnitude by one ulp.
    stepped = (r.view(ity) - 1).view(dtype)
    return torch.where(away & ~torch.isnan(x), stepped, r)


def fp_saturate(x, dtype):
    m = FP8_MAX.get(dtype)
    return x if m is None else x.clamp(-m, m)  # clamp keeps NaN


def float_to_int(x, dt, w, signed):
    """fptosi/fptoui as PTX cvt.rzi: truncate, saturate, NaN -> 0."""
    x = x.to(torch.float64)
    x = torch.where(torch.isnan(x), 0.0, torch.trunc(x))
    if signed:
        lo, hi = -(2.0 ** (w - 1)), 2.0 ** (w - 1)
    else:
        lo, hi = 0.0, 2.0 ** w
    if w < 64:
        return x.clamp(lo, hi - 1).to(torch.int64).to(dt)
    big = x >= hi
    if signed:
        return torch.where(big, (1 << 63) - 1, x.clamp(min=lo, max=2.0 ** 63 - 1024).to(torch.int64))
    # unsigned 64: values >= 2^63 wrap into the negative int64 range
    x = x.clamp(0.0, 2.0 ** 64 - 2048)
    return torch.where(x >= 2.0 ** 63, (x - 2.0 ** 64).to(torch.int64), x.clamp(max=2.0 ** 63 - 1024).to(torch.int64))


def lowp(fn, out_dtype):
    """Runs fn on fp8 inputs upcast to fp32 and rounds the result once (torch has no fp8 math)."""
    def wrapped(*xs):
        r = fn(*[x.float() if x.dtype in FP8 else x for x in xs])
        return r.to(out_dtype) if r.dtype != torch.bool else r
    return wrapped
