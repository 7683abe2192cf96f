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


# Not emitted by the lowering; stays for test_call (the helper function's body).
@fn_op("math.fma")
def _fma(o):
    dt = o.out.dtype
    if dt == torch.float64:
        return lambda a, b, c: a * b + c
    # In f64 the product of two f32/f16/bf16 values is exact: one rounding, like a fused op.
    return lambda a, b, c: (a.double() * b.double() + c.double()).to(dt)
