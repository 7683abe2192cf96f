"""PyTorch semantics for device code, in one place: type promotion,
broadcasting, casts, elementwise arithmetic and math, shape changes, lowered
to arith/math/tile ops."""
from __future__ import annotations

import math

import torch

from .. import exc
from .ir_builder import TileBuilder
from .values import DTensor, Scalar, Sym, mlir_dtype, tensor_type

CMPI = {"eq": 0, "ne": 1, "lt": 2, "le": 3, "gt": 4, "ge": 5}
CMPI_UNSIGNED = {"lt": 6, "le": 7, "gt": 8, "ge": 9}
CMPF = {"eq": 1, "gt": 2, "ge": 3, "lt": 4, "le": 5, "ne": 13}
UNSIGNED = (torch.uint8, torch.bool)
# Activations torch implements for floating-point tensors only.
FLOAT_ONLY = ("gelu", "gelu_tanh", "silu", "softplus", "mish", "elu", "selu", "celu", "leaky_relu", "hardswish",
              "hardsigmoid", "logsigmoid")
# F.selu's constants (Klambauer et al., 2017), as torch spells them.
SELU_ALPHA, SELU_SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946
# Coefficients c0..c8 of erfcx(y) = t * sum(c_k t^k), t = 1 / (1 + y / 2), least squares in
# relative error on [0.5, 10.1] against torch.special.erfcx in float64.
_ERFCX_FIT = (0.28207712, 0.28255688, 0.241659639, 0.20876824, -0.0413502135, 0.298762091, -0.503159925,
              0.290205198, -0.0595007943)

Operand = "DTensor | Scalar | int | float | bool"


def _proxy(x):
    if isinstance(x, DTensor):
        return torch.empty(1, dtype=x.dtype)
    if isinstance(x, Scalar):
        return torch.empty((), dtype=x.dtype)
    if isinstance(x, int) and not isinstance(x, bool):
        # Only the kind of a Python int matters to promotion; constants past
        # int64 are refused where they are made.
        return max(min(x, (1 << 63) - 1), -(1 << 63))
    if not isinstance(x, (bool, float)):  # the tracer adds the line
        raise exc.TypeError_(f"expected a tensor or number, got {type(x).__name__}")
    return x


def promote(*xs) -> torch.dtype:
    """torch's result dtype for an elementwise op on these operands."""
    proxies = [_proxy(x) for x in xs]
    r = proxies[0]
    for p in proxies[1:]:
        if not isinstance(r, torch.Tensor) and not isinstance(p, torch.Tensor):
            r = torch.tensor(r)
        dtype = torch.result_type(r, p)
        has_dim = any(isinstance(q, torch.Tensor) and q.dim() > 0 for q in (r, p))
        r = torch.empty(1 if has_dim else (), dtype=dtype)
    return r.dtype if isinstance(r, torch.Tensor) else torch.tensor(r).dtype


def same_extent(da, db, pinned: dict) -> bool:
    """A reduction slot over a power-of-two extent E (`x[t, :]`) and the static
    size E (`hl.zeros([t, E])`) are the same width while the slot is persistent."""
    if isinstance(da, Sym) and isinstance(db, int):
        da, db = db, da
    return isinstance(da, int) and isinstance(db, Sym) and pinned.get(db.slot) == da


def broadcast_dims(a: list, b: list, where: str, pinned: dict | None = None) -> list:
    """torch broadcasting of two dim lists; where a static size meets a slot
    of the same extent (see same_extent) the static size wins."""
    out = []
    for i in range(max(len(a), len(b))):
        da = a[len(a) - 1 - i] if i < len(a) else 1
        db = b[len(b) - 1 - i] if i < len(b) else 1
        if da == db or db == 1:
            out.append(da)
        elif da == 1:
            out.append(db)
        elif same_extent(da, db, pinned or {}):
            out.append(da if isinstance(da, int) else db)
        else:
            raise exc.TypeError_(f"shapes {a} and {b} cannot be broadcast together (dim {da} vs {db})", location=where)
    return out[::-1]


class DeviceOps:
    def __init__(self, b: TileBuilder) -> None:
        self.b = b
        # slot -> extent of the reduction slots over power-of-two extents
        self.pinned: dict[int, int] = {}

    def broadcast_dims(self, a: list, b: list) -> list:
        return broadcast_dims(a, b, self.b.where(), self.pinned)

    def rebind(self, x: DTensor, dims: list) -> DTensor:
        """x with each dim that is the same_extent as the one in `dims` (same
        rank) switched to it: a tile.rebind, which folds away once the slot is
        bound persistent (and pins the slot against looping)."""
        new = [t if same_extent(d, t, self.pinned) else d for d, t in zip(x.dims, dims)]
        if new == x.dims:
            return x
        return self.b.rebind(x, new)

    # -- conversion --------------------------------------------------------
    def scalar(self, x, dtype: torch.dtype) -> Scalar:
        """A Python number or Scalar as a Scalar of `dtype`."""
        if isinstance(x, Scalar):
            return self.cast(x, dtype)
        if isinstance(x, (bool, int, float)):
            return self.b.scalar_const(x, dtype)
        raise exc.TypeError_(f"expected a scalar, got {type(x).__name__}", location=self.b.where())

    def cast(self, x, dtype: torch.dtype):
        if isinstance(x, (bool, int, float)):
            return self.b.scalar_const(x, dtype)
        if x.dtype == dtype and not (isinstance(x, Scalar) and x.is_index):
            return x
        src = x.dtype
        is_tensor = isinstance(x, DTensor)
        rt = tensor_type(x.dims, dtype) if is_tensor else mlir_dtype(dtype, self.b.where())
        v = x.value
        if isinstance(x, Scalar) and x.is_index:
            if dtype.is_floating_point or dtype == torch.bool:
                v = self.b.op1("arith.index_cast", [v], "i64")
                return self.cast(Scalar(v, torch.int64), dtype)
            return Scalar(self.b.op1("arith.index_cast", [v], rt), dtype)
        wrap = (lambda val: DTensor(val, dtype, list(x.dims))) if is_tensor else (lambda val: Scalar(val, dtype))
        if dtype == torch.bool:
            zero = self._like(x, 0)
            return self.compare("ne", x, zero)
        if src.is_floating_point and dtype.is_floating_point:
            sw, dw = src.itemsize, dtype.itemsize
            if sw == dw:  # f16 <-> bf16 through f32
                return self.cast(self.cast(x, torch.float32), dtype)
            name = "arith.extf" if dw > sw else "arith.truncf"
            return wrap(self.b.op1(name, [v], rt))
        if src.is_floating_point:
            name = "arith.fptoui" if dtype in UNSIGNED else "arith.fptosi"
            return wrap(self.b.op1(name, [v], rt))
        if dtype.is_floating_point:
            name = "arith.uitofp" if src in UNSIGNED else "arith.sitofp"
            return wrap(self.b.op1(name, [v], rt))
        sw, dw = src.itemsize if src != torch.bool else 0, dtype.itemsize
        if sw == dw:
            return wrap(v)
        if dw > sw:
            name = "arith.extui" if src in UNSIGNED else "arith.extsi"
        else:
            name = "arith.trunci"
        return wrap(self.b.op1(name, [v], rt))

    def _like(self, x, value):
        return self.b.scalar_const(value, x.dtype)

    def to_tensor(self, x, dtype: torch.dtype, dims: list) -> DTensor:
        """Cast and broadcast any operand to a DTensor of `dims`."""
        if not isinstance(x, DTensor):
            return self.b.full(self.scalar(x, dtype), dims)
        x = self.cast(x, dtype)
        return self.broadcast_to(x, dims)

    def broadcast_to(self, x: DTensor, dims: list) -> DTensor:
        if x.dims == dims:
            return x
        if x.ndim > len(dims):
            raise exc.TypeError_(f"cannot broadcast shape {x.dims} to {dims}", location=self.b.where())
        while x.ndim < len(dims):
            x = self.expand_dims(x, 0)
        x = self.rebind(x, dims)
        if x.dims == dims:
            return x
        # Only size-1 dims grow: [t, n] cannot become [1, n] (a store into a
        # narrower target), though the two shapes broadcast together.
        if any(d != t and d != 1 for d, t in zip(x.dims, dims)):
            raise exc.TypeError_(f"cannot broadcast shape {x.dims} to {dims}", location=self.b.where())
        return self.b.broadcast(x, dims)

    def place(self, x: DTensor, pos: int, dims: list) -> DTensor:
        """A 1-d tensor as dim `pos` of a tensor of `dims`, broadcast to it."""
        for _ in range(pos):
            x = self.expand_dims(x, 0)
        while x.ndim < len(dims):
            x = self.expand_dims(x, x.ndim)
        return self.broadcast_to(x, dims)

    def align(self, x: DTensor, dims: list) -> DTensor:
        """x, whose dims all occur in `dims`, moved to those positions (in any
        order) and broadcast over the others."""
        pos = [dims.index(d) for d in x.dims]
        order = sorted(range(x.ndim), key=pos.__getitem__)
        if order != list(range(x.ndim)):
            x = self.permute(x, order)
        placed = sorted(pos)
        for axis in range(len(dims)):
            if axis not in placed:
                x = self.expand_dims(x, axis)
        return self.broadcast_to(x, dims)

    def arange(self, start: int, end: int) -> DTensor:
        """The int32 lanes start .. end-1 (end - start a power of two)."""
        return self.b.arange(start, end)

    def expand_dims(self, x: DTensor, axis: int) -> DTensor:
        return self.b.expand_dims(x, axis)

    def common(self, xs, dtype: torch.dtype):
        """Cast operands to dtype and broadcast them to one shape."""
        tensors = [x for x in xs if isinstance(x, DTensor)]
        if not tensors:
            return [self.scalar(x, dtype) for x in xs], None
        dims = tensors[0].dims
        for t in tensors[1:]:
            dims = self.broadcast_dims(dims, t.dims)
        return [self.to_tensor(x, dtype, dims) for x in xs], dims

    def _make(self, name: str, operands, dtype: torch.dtype, dims, attributes=None):
        rt = tensor_type(dims, dtype) if dims is not None else mlir_dtype(dtype, self.b.where())
        v = self.b.op1(name, [o.value for o in operands], rt, attributes)
        return DTensor(v, dtype, list(dims)) if dims is not None else Scalar(v, dtype)

    # -- elementwise ----------------------------------------------------------
    def binary(self, op: str, a, b):
        if op == "fmod" and isinstance(b, (bool, int)) and b == 0 and not promote(a, b).is_floating_point:
            raise exc.TypeError_("`torch.fmod(x, 0)`: division by zero (torch raises ZeroDivisionError for integers)",
                                 location=self.b.where())
        if all(isinstance(x, (bool, int, float)) for x in (a, b)):
            return _python_binary(op, a, b)
        if op in CMPI:
            return self.compare(op, a, b)
        dtype = promote(a, b)
        if op == "truediv" and not dtype.is_floating_point:
            dtype = torch.get_default_dtype()
        if dtype == torch.bool and op in ("add", "sub", "mul"):
            # torch: True + True is True (logical or), True * x a logical and; bool - bool raises.
            if op == "sub":
                raise exc.TypeError_("subtracting two bools is not supported (as in torch); use `^` or "
                                     "torch.logical_xor", location=self.b.where())
            return self.binary("or" if op == "add" else "and", a, b)
        if op == "pow":
            return self.pow(a, b, dtype)
        (x, y), dims = self.common([a, b], dtype)
        f = dtype.is_floating_point
        if op in ("and", "or", "xor"):
            if f:
                raise exc.TypeError_(f"bitwise {op} needs integer or bool operands, got {dtype}", location=self.b.where())
            return self._make(f"arith.{op}i", [x, y], dtype, dims)
        if op in ("add", "sub", "mul"):
            return self._make(f"arith.{op}{'f' if f else 'i'}", [x, y], dtype, dims)
        if op in ("truediv", "floordiv", "mod", "fmod") and dtype in (torch.float16, torch.bfloat16):
            # Triton cannot lower half-precision division; torch also divides in float32.
            return self.cast(self.binary(op, self.cast(x, torch.float32), self.cast(y, torch.float32)), dtype)
        if op == "truediv":
            return self._make("arith.divf", [x, y], dtype, dims)
        if op in ("maximum", "minimum"):
            if dtype in (torch.float16, torch.bfloat16):  # exact in float32
                x32, y32 = self.cast(x, torch.float32), self.cast(y, torch.float32)
                return self.cast(self._make(f"arith.{op}f", [x32, y32], torch.float32, dims), dtype)
            if f:
                return self._make(f"arith.{op}f", [x, y], dtype, dims)
            kind = "u" if dtype in UNSIGNED else "s"
            return self._make(f"arith.{op[:3]}{kind}i", [x, y], dtype, dims)
        if op == "floordiv":
            if f:
                return self._floor_divide(x, y)
            return self._make("arith.floordivsi" if dtype not in UNSIGNED else "arith.divui", [x, y], dtype, dims)
        if op == "fmod":
            if f:
                return self._fmod(x, y)
            return self._make("arith.remui" if dtype in UNSIGNED else "arith.remsi", [x, y], dtype, dims)
        if op == "mod":
            if f:  # torch: fmod, plus the divisor where the signs differ
                r = self._fmod(x, y)
                return self.where(self._signs_differ(r, y), self.binary("add", r, y), r)
            if dtype in UNSIGNED:
                return self._make("arith.remui", [x, y], dtype, dims)
            # Python/torch remainder takes the sign of the divisor.
            r = self._make("arith.remsi", [x, y], dtype, dims)
            zero = self.to_tensor(0, dtype, dims) if dims is not None else self.scalar(0, dtype)
            fix = self.binary("and", self.compare("ne", r, zero),
                              self.compare("ne", self.compare("lt", r, zero), self.compare("lt", y, zero)))
            return self.where(fix, self._make("arith.addi", [r, y], dtype, dims), r)
        raise exc.NotSupported(f"operator {op}", location=self.b.where())

    def _fmod(self, x, y):
        """torch.fmod of floats (sign of x): exact while |x / y| < 2^22 (2^51 for
        float64). t = trunc(x / y) is the true quotient or, where the division
        rounded across an integer (the GPU's float32 division is within 2 ulp),
        one more or one less; the fma gives x - t * y exactly, and a residual of
        the wrong sign, or of |y| or more, tells those cases apart."""
        q = self.binary("truediv", x, y)
        t = self.where(self.compare("lt", q, 0.0), self.unary("ceil", q), self.unary("floor", q))
        r = self._make("math.fma", [self.neg(t), y, x], x.dtype, getattr(x, "dims", None))
        ay = self.unary("abs", y)
        step = self.where(self.compare("lt", x, 0.0), self.neg(ay), ay)  # |y| toward the sign of x
        r = self.where(self._signs_differ(r, x), self.binary("add", r, step), r)
        r = self.where(self.compare("ge", self.unary("abs", r), ay), self.binary("sub", r, step), r)
        r = self.where(self.compare("eq", r, 0.0), self.binary("mul", x, 0.0), r)  # a zero takes the sign of x
        finite_by_inf = self.binary("and", self.compare("eq", ay, math.inf),
                                    self.compare("ne", self.unary("abs", x), math.inf))
        return self.where(finite_by_inf, x, r)

    def _signs_differ(self, r, y):
        """r != 0 and r, y on different sides of zero."""
        return self.binary("and", self.compare("ne", r, 0.0),
                           self.compare("ne", self.compare("lt", r, 0.0), self.compare("lt", y, 0.0)))

    def _floor_divide(self, x, y):
        """torch's floor division of floats: (x - fmod(x, y)) / y, moved down by one where
        the signs differ and rounded to the nearest integer; a zero quotient keeps
        the sign of x / y, and a zero divisor gives x / y."""
        q = self.binary("truediv", x, y)
        m = self._fmod(x, y)
        div = self.binary("truediv", self.binary("sub", x, m), y)
        div = self.where(self._signs_differ(m, y), self.binary("sub", div, 1.0), div)
        fl = self.unary("floor", div)
        fl = self.where(self.compare("gt", self.binary("sub", div, fl), 0.5), self.binary("add", fl, 1.0), fl)
        r = self.where(self.compare("ne", div, 0.0), fl, self.binary("mul", q, 0.0))
        return self.where(self.compare("eq", y, 0.0), q, r)

    def compare(self, op: str, a, b):
        dtype = promote(a, b)
        (x, y), dims = self.common([a, b], dtype)
        if dtype.is_floating_point:
            name, pred = "arith.cmpf", CMPF[op]
        else:
            name = "arith.cmpi"
            pred = CMPI_UNSIGNED.get(op, CMPI[op]) if dtype in UNSIGNED else CMPI[op]
        return self._make(name, [x, y], torch.bool, dims, {"predicate": pred})

    def where(self, cond, a, b):
        dtype = promote(a, b)
        tensors = [x for x in (cond, a, b) if isinstance(x, DTensor)]
        if tensors:
            dims = tensors[0].dims
            for t in tensors[1:]:
                dims = self.broadcast_dims(dims, t.dims)
            c = self.to_tensor(cond, torch.bool, dims)
            x = self.to_tensor(a, dtype, dims)
            y = self.to_tensor(b, dtype, dims)
        else:
            dims = None
            c, x, y = self.scalar(cond, torch.bool), self.scalar(a, dtype), self.scalar(b, dtype)
        return self._make("arith.select", [c, x, y], dtype, dims)

    def pow(self, a, b, dtype):
        integral = isinstance(b, (int, float)) and math.isfinite(b) and float(b).is_integer()
        if integral and 0 <= b <= 4:
            result = 1
            for _ in range(int(b)):
                result = a if result == 1 else self.binary("mul", result, a)
            if not isinstance(result, int):
                return self.cast(result, dtype)
            return self.to_tensor(1, dtype, a.dims) if isinstance(a, DTensor) else self.scalar(1, dtype)
        if integral and abs(b) <= 64:
            # Exact for negative bases too (exp2/log2 would give NaN): square and multiply.
            if b < 0 and not dtype.is_floating_point:
                raise exc.TypeError_("integers to negative integer powers are not allowed (as in torch)",
                                     location=self.b.where())
            n, base, result = int(abs(b)), self.cast(a, dtype), None
            while n:
                if n & 1:
                    result = base if result is None else self.binary("mul", result, base)
                n >>= 1
                if n:
                    base = self.binary("mul", base, base)
            return self.binary("truediv", 1.0, result) if b < 0 else result
        if isinstance(b, (int, float)) and b == 0.5:
            return self.unary("sqrt", a)
        if isinstance(a, (int, float)) and a <= 0:
            raise exc.NotSupported(f"`{a} ** x` with a tensor exponent x needs a positive base", location=self.b.where())
        # a ** b = exp2(b * log2(a)) for a > 0.
        r = self.unary("exp2", self.binary("mul", b, self.unary("log2", a)))
        if not dtype.is_floating_point:  # exact powers come out of exp2 a hair low: round, then cast
            r = self.unary("floor", self.binary("add", r, 0.5))
        return self.cast(r, dtype)

    def neg(self, x):
        if isinstance(x, (int, float)):
            return -x
        if x.dtype.is_floating_point:
            # Triton has no arith.negf lowering; -0.0 - x negates exactly (signed zeros too).
            return self.binary("sub", -0.0, x)
        return self.binary("sub", 0, x)

    def unary(self, fn: str, x, **params):
        """Math functions and activations (params: their keyword arguments,
        e.g. beta of softplus); half types compute in float32 and round back."""
        if isinstance(x, (int, float)):
            return _python_unary(fn, x, params)
        if isinstance(x, Scalar) and x.is_index:
            x = self.cast(x, torch.int64)
        if fn == "abs":
            name = "math.absf" if x.dtype.is_floating_point else "math.absi"
            return self._make(name, [x], x.dtype, getattr(x, "dims", None))
        if fn == "hardtanh":  # torch: lo where x < lo, hi where x > hi, else x (NaN and -0.0 kept); any dtype
            lo, hi = params["min_val"], params["max_val"]
            if not x.dtype.is_floating_point:  # integer bounds keep an integer tensor's dtype, as in torch
                lo, hi = (int(v) if isinstance(v, float) else v for v in (lo, hi))
            return self.where(self.compare("lt", x, lo), lo, self.where(self.compare("gt", x, hi), hi, x))
        if fn == "softsign":  # torch: x / (|x| + 1), a true division (integers give floats)
            return self.binary("truediv", x, self.binary("add", self.unary("abs", x), 1))
        if not x.dtype.is_floating_point:
            if fn in FLOAT_ONLY:
                raise exc.TypeError_(f"{fn}() needs a floating-point tensor, got {x.dtype} (as in torch); cast it with "
                                     ".float() first", location=self.b.where())
            if fn in ("floor", "ceil") or (fn == "sign" and x.dtype == torch.bool):
                return x  # torch returns integers (and the sign of a bool) unchanged
            if fn == "sign":
                return self.binary("sub", self.cast(self.compare("gt", x, 0), x.dtype),
                                   self.cast(self.compare("lt", x, 0), x.dtype))
        out_dtype = x.dtype if x.dtype.is_floating_point else torch.get_default_dtype()
        compute = torch.float32 if out_dtype in (torch.float16, torch.bfloat16) else out_dtype
        y = self.cast(x, compute)
        dims = getattr(y, "dims", None)
        if fn in ("exp", "exp2", "log", "log2", "sqrt", "rsqrt", "sin", "cos", "erf", "floor", "ceil"):
            r = self._make(f"math.{fn}", [y], compute, dims)
        elif fn == "sign":  # torch: (0 < x) - (x < 0), so NaN and -0.0 give +0.0
            r = self.binary("sub", self.cast(self.compare("gt", y, 0.0), compute),
                            self.cast(self.compare("lt", y, 0.0), compute))
        elif fn == "sigmoid":
            r = self._sigmoid(y)
        elif fn == "tanh":
            r = self._tanh(y)
        elif fn == "log1p":
            r = self._log1p(y)
        elif fn == "expm1":
            r = self._expm1(y)
        elif fn == "erfc":
            r = self._erfc(y)
        elif fn == "relu":
            r = self.binary("maximum", y, 0.0)
        elif fn == "silu":
            r = self.binary("mul", y, self._sigmoid(y))
        elif fn == "gelu":
            erf = self._make("math.erf", [self.binary("mul", y, 1 / math.sqrt(2.0))], compute, dims)
            r = self.binary("mul", self.binary("mul", y, 0.5), self.binary("add", erf, 1.0))
        elif fn == "gelu_tanh":
            inner = self.binary("mul", math.sqrt(2 / math.pi),
                                self.binary("add", y, self.binary("mul", 0.044715, self.binary("mul", y, self.binary("mul", y, y)))))
            t = self._tanh(inner)
            r = self.binary("mul", self.binary("mul", y, 0.5), self.binary("add", t, 1.0))
        elif fn == "softplus":  # torch: x where beta * x > threshold, else log1p(exp(beta * x)) / beta
            beta, threshold = params["beta"], params["threshold"]
            bx = self.binary("mul", y, beta)
            soft = self.binary("truediv", self._log1p(self.unary("exp", bx)), beta)
            r = self.where(self.compare("gt", bx, threshold), y, soft)
        elif fn == "mish":  # torch: x * tanh(log1p(exp(x))), no threshold
            r = self.binary("mul", y, self._tanh(self._log1p(self.unary("exp", y))))
        elif fn in ("elu", "selu", "celu"):
            # torch: x <= 0 ? expm1(x * input_scale) * alpha * scale : x * scale
            alpha, scale = (SELU_ALPHA, SELU_SCALE) if fn == "selu" else (params["alpha"], 1.0)
            inner = self.binary("mul", y, self.binary("truediv", 1.0, alpha)) if fn == "celu" else y
            neg = self.binary("mul", self._expm1(inner), self.binary("mul", alpha, scale))
            r = self.where(self.compare("le", y, 0.0), neg, self.binary("mul", y, scale))
        elif fn == "hardsigmoid":  # torch: min(max(x + 3, 0), 6) / 6
            r = self.binary("truediv", self.clamp(self.binary("add", y, 3.0), 0.0, 6.0), 6.0)
        elif fn == "logsigmoid":  # torch: min(x, 0) - log1p(exp(-|x|))
            r = self.binary("sub", self.binary("minimum", y, 0.0),
                            self._log1p(self.unary("exp", self.neg(self.unary("abs", y)))))
        elif fn == "leaky_relu":
            r = self.where(self.compare("gt", y, 0.0), y, self.binary("mul", y, params["negative_slope"]))
        elif fn == "hardswish":  # torch: x * min(max(x + 3, 0), 6) / 6
            r = self.binary("truediv", self.binary("mul", y, self.clamp(self.binary("add", y, 3.0), 0.0, 6.0)), 6.0)
        else:
            raise exc.NotSupported(f"torch.{fn} in device code", location=self.b.where())
        if fn == "relu" and not x.dtype.is_floating_point:
            return self.binary("maximum", x, 0)
        return self.cast(r, out_dtype)

    def _log1p(self, y):
        """log(1 + y) accurate for small y: with u = 1 + y rounded, log(u) * y / (u - 1)
        corrects the rounding of u (Goldberg's formula)."""
        u = self.binary("add", y, 1.0)
        d = self.binary("sub", u, 1.0)
        r = self.binary("mul", self.unary("log", u), self.binary("truediv", y, d))
        r = self.where(self.compare("eq", d, 0.0), y, r)  # 1 + y rounds to 1: log1p(y) = y (keeps -0.0)
        return self.where(self.compare("eq", u, math.inf), u, r)

    def _expm1(self, y):
        """exp(y) - 1 accurate for small y: with u = exp(y), (u - 1) * y / log(u)
        (Kahan's formula: the error of u cancels between the two factors)."""
        u = self.unary("exp", y)
        d = self.binary("sub", u, 1.0)
        r = self.binary("mul", d, self.binary("truediv", y, self.unary("log", u)))
        r = self.where(self.compare("eq", u, 1.0), y, r)
        r = self.where(self.compare("eq", d, -1.0), -1.0, r)
        return self.where(self.compare("eq", u, math.inf), u, r)

    def _tanh(self, y):
        """tanh(y) = expm1(2y) / (expm1(2y) + 2): accurate near 0 (2 * sigmoid(2y) - 1
        cancels there); |y| is clamped at 20, where tanh is +-1 in every float type."""
        t = self._expm1(self.binary("mul", self.clamp(y, -20.0, 20.0), 2.0))
        return self.binary("truediv", t, self.binary("add", t, 2.0))

    def _erfc(self, y):
        """1 - erf(y) up to y = 0.5; past it exp(-y^2) * erfcx(y), which keeps the
        tail's relative accuracy where 1 - erf(y) would round to 0 (erfc(5) ~ 1.5e-12).
        erfcx(y) = t * P(t) with t = 1 / (1 + y / 2), P fitted for this module to
        erfcx on [0.5, 10.1] (relative error 3e-8 in float64, 3e-7 in float32)."""
        a = self.clamp(y, 0.5, 10.1)  # past 10.1, erfc is 0 in float32
        t = self.binary("truediv", 1.0, self.binary("add", self.binary("mul", a, 0.5), 1.0))
        p = _ERFCX_FIT[-1]
        for c in reversed(_ERFCX_FIT[:-1]):
            p = self.binary("add", self.binary("mul", p, t), c)
        # exp(-a^2) as exp(-h^2) * exp(-(a - h)(a + h)), h = a to 1/16: h^2 is exact in float32.
        h = self.binary("truediv", self.unary("floor", self.binary("mul", a, 16.0)), 16.0)
        rest = self.binary("mul", self.binary("sub", a, h), self.binary("add", a, h))
        e = self.binary("mul", self.unary("exp", self.neg(self.binary("mul", h, h))), self.unary("exp", self.neg(rest)))
        tail = self.binary("mul", e, self.binary("mul", t, p))
        tail = self.where(self.compare("gt", y, 10.1), 0.0, tail)
        near = self.binary("sub", 1.0, self._make("math.erf", [y], y.dtype, getattr(y, "dims", None)))
        return self.where(self.compare("gt", y, 0.5), tail, near)

    def _sigmoid(self, y):
        e = self._make("math.exp", [self.neg(y)], y.dtype, getattr(y, "dims", None))
        return self.binary("truediv", 1.0, self.binary("add", e, 1.0))

    def shift(self, op: str, a, b):
        """`a << b` / `a >> b` on integers: arith.shli, arith.shrsi (arith.shrui
        for unsigned types). Shift amounts of the bit width or more give what
        torch gives (0, or the sign for signed right shifts)."""
        sym = "<<" if op == "lshift" else ">>"
        if isinstance(a, int) and isinstance(b, int):
            return a << b if op == "lshift" else a >> b
        if any(isinstance(x, float) for x in (a, b)):
            raise exc.TypeError_(f"`{sym}` needs integer operands, got a float", location=self.b.where())
        dtype = promote(a, b)
        if dtype.is_floating_point or dtype == torch.bool:
            raise exc.TypeError_(f"`{sym}` needs integer operands, got {dtype}", location=self.b.where())
        (x, y), dims = self.common([a, b], dtype)
        bits = dtype.itemsize * 8
        in_range = isinstance(b, int) and 0 <= b < bits
        if op == "lshift":
            r = self._make("arith.shli", [x, y], dtype, dims)
        elif dtype in UNSIGNED:
            r = self._make("arith.shrui", [x, y], dtype, dims)
        else:
            if not in_range:  # shifting by bits - 1 fills with the sign, as torch does past the width
                y = self.binary("minimum", y, bits - 1)
            return self._make("arith.shrsi", [x, y], dtype, dims)
        if not in_range:
            r = self.where(self.compare("lt", y, bits), r, 0)
        return r

    def permute(self, x: DTensor, perm: list) -> DTensor:
        return self.b.permute(x, [p % x.ndim for p in perm])

    def reshape(self, x: DTensor, dims: list) -> DTensor:
        """x reshaped to `dims` (ints and slots; one -1 takes the rest of the static size)."""
        dims = list(dims)
        known = math.prod(d for d in x.dims if isinstance(d, int))
        if -1 in dims:
            rest = math.prod(d for d in dims if isinstance(d, int) and d != -1)
            dims[dims.index(-1)] = known // max(rest, 1)
        return self.b.reshape(x, dims)

    def clamp(self, x, lo=None, hi=None):
        if lo is not None:
            x = self.binary("maximum", x, lo)
        if hi is not None:
            x = self.binary("minimum", x, hi)
        return x


def _python_unary(fn: str, x, params: dict):
    """fn of a Python number, folded at trace time; where math has no such
    function or refuses the value (log2(0)), as torch gives it in float64."""
    if fn == "abs":
        return abs(x)
    if fn == "sign":
        return type(x)((x > 0) - (x < 0))
    if hasattr(math, {"rsqrt": "sqrt"}.get(fn, fn)):
        try:
            return getattr(math, {"rsqrt": "sqrt"}.get(fn, fn))(x) ** (-1 if fn == "rsqrt" else 1)
        except (ValueError, OverflowError, ZeroDivisionError):
            pass
    t = torch.tensor(float(x), dtype=torch.float64)
    F = torch.nn.functional
    functions = {"relu": torch.relu, "sigmoid": torch.sigmoid, "silu": F.silu, "gelu": F.gelu,
                 "gelu_tanh": lambda v: F.gelu(v, approximate="tanh"), "softplus": F.softplus, "mish": F.mish,
                 "elu": F.elu, "selu": F.selu, "celu": F.celu, "leaky_relu": F.leaky_relu, "hardswish": F.hardswish,
                 "hardsigmoid": F.hardsigmoid, "logsigmoid": F.logsigmoid, "hardtanh": F.hardtanh,
                 "softsign": F.softsign}
    return float(functions.get(fn, getattr(torch, fn, None))(t, **params))


def _python_binary(op, a, b):
    import operator

    table = {
        "add": operator.add, "sub": operator.sub, "mul": operator.mul, "truediv": operator.truediv,
        "floordiv": operator.floordiv, "mod": operator.mod, "fmod": lambda x, y: math.fmod(x, y) if y else math.nan,
        "pow": operator.pow, "and": operator.and_,
        "or": operator.or_, "xor": operator.xor, "maximum": max, "minimum": min,
        "eq": operator.eq, "ne": operator.ne, "lt": operator.lt, "le": operator.le, "gt": operator.gt, "ge": operator.ge,
    }
    return table[op](a, b)
