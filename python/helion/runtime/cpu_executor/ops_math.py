"""math ops: the functions the frontend emits (exp, log, sqrt, erf, ... see
semantics.unary), through fp32 for fp8 operands."""
from __future__ import annotations

import torch

from .ops_arith import float_op
from .plan import fn_op

_MATH = {
    "exp": torch.exp, "exp2": torch.exp2, "log": torch.log, "log2": torch.log2, "sqrt": torch.sqrt,
    "rsqrt": torch.rsqrt, "sin": torch.sin, "cos": torch.cos, "erf": torch.erf,
    "floor": torch.floor, "ceil": torch.ceil, "absf": torch.abs,
}
for _n, _f in _MATH.items():
    fn_op("math." + _n)(float_op(_f))
fn_op("math.absi")(lambda o: torch.abs)


# Emitted for torch's float fmod/remainder/floor_divide (the exact residual x - t * y).
@fn_op("math.fma")
def _fma(o):
    dt = o.out.dtype
    if dt == torch.float64:
        return _fma64
    # In f64 the product of two f32/f16/bf16 values is exact: one rounding, like a fused op.
    return lambda a, b, c: (a.double() * b.double() + c.double()).to(dt)


def _split(a):
    """Veltkamp: a = hi + lo with 26-bit halves, so products of halves are exact."""
    t = a * 134217729.0  # 2^27 + 1
    hi = t - (t - a)
    return hi, a - hi


def _fma64(a, b, c):
    """a * b + c for float64 with the product's rounding error carried (Dekker):
    exact whenever the result is representable (the fmod residual is), else
    within an ulp; where the splitting overflows, the plain a * b + c."""
    p = a * b
    (ah, al), (bh, bl) = _split(a), _split(b)
    err = ((ah * bh - p) + ah * bl + al * bh) + al * bl  # p + err == a * b exactly
    s = p + c
    bb = s - p
    t = (p - (s - bb)) + (c - bb)  # s + t == p + c exactly
    r = s + (t + err)
    return torch.where(torch.isfinite(r) & torch.isfinite(err), r, p + c)
