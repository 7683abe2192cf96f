"""torch functions and tensor methods in device code.

Each table row or decorated handler is one op; a handler takes the tracer,
the positional arguments (for a method, the tensor first) and the keywords.
"""
from __future__ import annotations

import math
import operator

import torch
import torch.nn.functional as F

from ... import exc
from ..values import DTensor, Tile
from .registry import register

# -- elementwise -------------------------------------------------------------
# op name of DeviceOps.unary -> (torch functions, tensor method names)
_UNARY = {
    "exp": ((torch.exp,), "exp"), "exp2": ((torch.exp2,), "exp2"), "log": ((torch.log,), "log"),
    "log2": ((torch.log2,), "log2"), "sqrt": ((torch.sqrt,), "sqrt"), "rsqrt": ((torch.rsqrt,), "rsqrt"),
    "sin": ((torch.sin,), "sin"), "cos": ((torch.cos,), "cos"), "tanh": ((torch.tanh, F.tanh), "tanh"),
    "sigmoid": ((torch.sigmoid, F.sigmoid), "sigmoid"), "relu": ((torch.relu, F.relu), "relu"),
    "abs": ((torch.abs,), "abs"), "erf": ((torch.erf,), "erf"), "floor": ((torch.floor,), "floor"),
    "ceil": ((torch.ceil,), "ceil"), "silu": ((F.silu,), "silu"),
}
# op name of Tracer._binary -> (torch functions, tensor method names)
_BINARY = {
    "add": ((torch.add, operator.add), "add"), "sub": ((torch.sub, operator.sub), "sub"),
    "mul": ((torch.mul, operator.mul), "mul"), "truediv": ((torch.div, torch.true_divide), ("div", "true_divide")),
    "maximum": ((torch.maximum,), "maximum"), "minimum": ((torch.minimum,), "minimum"), "pow": ((torch.pow,), "pow"),
    "mod": ((torch.remainder,), "remainder"), "floordiv": ((torch.floor_divide,), "floor_divide"),
    "eq": ((torch.eq,), "eq"), "ne": ((torch.ne,), "ne"), "lt": ((torch.lt,), "lt"), "le": ((torch.le,), "le"),
    "gt": ((torch.gt,), "gt"), "ge": ((torch.ge,), "ge"),
    "and": ((torch.logical_and, torch.bitwise_and), ("logical_and", "bitwise_and")),
    "or": ((torch.logical_or, torch.bitwise_or), ("logical_or", "bitwise_or")),
    "xor": ((torch.bitwise_xor,), "bitwise_xor"),
    "lshift": ((torch.bitwise_left_shift,), "bitwise_left_shift"),
    "rshift": ((torch.bitwise_right_shift,), "bitwise_right_shift"),
}
# kind of Tracer._reduction -> torch functions; the method name is the kind
_REDUCTIONS = {
    "sum": (torch.sum,), "mean": (torch.mean,), "amax": (torch.amax,), "amin": (torch.amin,), "max": (torch.max,),
    "min": (torch.min,), "prod": (torch.prod,), "argmax": (torch.argmax,), "argmin": (torch.argmin,),
    "var": (torch.var,), "std": (torch.std,), "logsumexp": (torch.logsumexp,),
    "softmax": (torch.softmax, F.softmax), "log_softmax": (torch.log_softmax, F.log_softmax),
}
# tensor methods that cast: x.float() is x.to(torch.float32)
_CAST_METHODS = {"float": torch.float32, "half": torch.float16, "bfloat16": torch.bfloat16, "int": torch.int32,
                 "long": torch.int64, "bool": torch.bool, "double": torch.float64}


def need_args(tr, args: list, n: int, what: str, most: int | None = None) -> None:
    """A clear error when an op gets fewer (or, given `most`, more) positional arguments than it takes."""
    if len(args) < n or (most is not None and len(args) > most):
        expected = n if most in (None, n) else f"{n} to {most}"
        plural = "" if expected == 1 else "s"
        raise exc.TypeError_(f"{what} takes {expected} argument{plural}, got {len(args)}", location=tr.where())


def no_keywords(tr, kwargs: dict, what: str) -> None:
    """Keywords an op does not read are refused, not ignored (an ignored dtype= would be a wrong result)."""
    if kwargs:
        raise exc.NotSupported(f"{what} keyword arguments {sorted(kwargs)} in device code", location=tr.where())


def _unary_op(name: str):
    def handler(tr, args, kwargs):
        need_args(tr, args, 1, f"{name}()", most=1)
        no_keywords(tr, kwargs, f"{name}()")
        return tr.ops.unary(name, tr.operand(args[0]))
    return handler


def _binary_op(name: str):
    def handler(tr, args, kwargs):
        need_args(tr, args, 2, f"{name}()", most=2)
        if "alpha" in kwargs:
            raise exc.NotSupported("alpha= in device code", location=tr.where())
        no_keywords(tr, kwargs, f"{name}()")
        return tr.binary(name, args[0], args[1])
    return handler


def _reduction_op(kind: str):
    def handler(tr, args, kwargs):
        need_args(tr, args, 1, f"{kind}()")
        if kind in ("max", "min") and len(args) > 1 and not isinstance(args[1], int):
            return tr.binary("maximum" if kind == "max" else "minimum", args[0], args[1])  # torch.max(a, b)
        unknown = set(kwargs) - {"dim", "keepdim", "dtype", "correction", "unbiased"}
        no_keywords(tr, {k: kwargs[k] for k in unknown}, f"{kind}()")
        x = tr.operand(args[0])
        if kwargs.get("dtype") is not None and kind not in ("softmax", "log_softmax"):
            x = tr.ops.cast(x, kwargs.pop("dtype"))  # torch casts the input first
        return tr.reduction(kind, x, list(args[1:]), kwargs)
    return handler


def _cast_op(dtype: torch.dtype):
    def handler(tr, args, kwargs):
        return tr.ops.cast(args[0], dtype)
    return handler


for _name, (_fns, _methods) in _UNARY.items():
    register(*_fns, methods=_methods)(_unary_op(_name))
for _name, (_fns, _methods) in _BINARY.items():
    register(*_fns, methods=_methods)(_binary_op(_name))
for _name, _fns in _REDUCTIONS.items():
    register(*_fns, methods=_name)(_reduction_op(_name))
for _name, _dtype in _CAST_METHODS.items():
    register(methods=_name)(_cast_op(_dtype))


@register(F.gelu)
def _gelu(tr, args, kwargs):
    need_args(tr, args, 1, "gelu()", most=1)
    approx = kwargs.get("approximate", "none")
    if approx not in ("none", "tanh"):
        raise exc.TypeError_(f"gelu approximate={approx!r}: torch takes 'none' or 'tanh'", location=tr.where())
    return tr.ops.unary("gelu_tanh" if approx == "tanh" else "gelu", tr.operand(args[0]))


@register(torch.where)
def _where(tr, args, kwargs):
    need_args(tr, args, 3, "torch.where()", most=3)
    return tr.ops.where(*(tr.operand(a) for a in args))


@register(torch.clamp, methods="clamp")
def _clamp(tr, args, kwargs):
    need_args(tr, args, 1, "clamp()", most=3)
    lo = args[1] if len(args) > 1 else kwargs.get("min")
    hi = args[2] if len(args) > 2 else kwargs.get("max")
    lo, hi = (None if v is None else tr.operand(v) for v in (lo, hi))
    return tr.ops.clamp(tr.operand(args[0]), lo, hi)


@register(torch.neg, methods="neg")
def _neg(tr, args, kwargs):
    need_args(tr, args, 1, "neg()", most=1)
    return tr.ops.neg(tr.operand(args[0]))


@register(methods="to")
def _to(tr, args, kwargs):
    dtype = args[1] if len(args) > 1 else kwargs.get("dtype")
    if not isinstance(dtype, torch.dtype):
        raise exc.NotSupported(".to() in device code takes a dtype", location=tr.where())
    return tr.ops.cast(args[0], dtype)


# -- matrix products -----------------------------------------------------------
@register(torch.matmul, torch.mm, torch.bmm, methods=("matmul", "mm", "bmm"))
def _matmul(tr, args, kwargs):
    need_args(tr, args, 2, "matmul()")
    out_dtype = args[2] if len(args) > 2 else kwargs.pop("out_dtype", None)
    if len(args) > 3 or kwargs:
        raise exc.NotSupported(f"matmul() arguments {sorted(kwargs) or args[3:]} in device code", location=tr.where())
    if out_dtype is None:
        return tr.matmul(args[0], args[1])
    if not isinstance(out_dtype, torch.dtype) or not out_dtype.is_floating_point:
        raise exc.TypeError_(f"matmul out_dtype must be a floating-point torch.dtype, got {out_dtype!r}", location=tr.where())
    return tr.dot(tr.operand(args[0]), tr.operand(args[1]), None, out_dtype)  # torch.bmm(a, b, torch.float32)


@register(torch.addmm, torch.baddbmm, methods=("addmm", "baddbmm"))
def _addmm(tr, args, kwargs):
    need_args(tr, args, 3, "addmm()")
    if len(args) > 3 or set(kwargs) - {"alpha", "beta"}:
        raise exc.TypeError_("addmm(input, mat1, mat2, *, beta=1, alpha=1) takes 3 positional arguments and beta/alpha",
                             location=tr.where())
    if kwargs.get("alpha", 1) != 1 or kwargs.get("beta", 1) != 1:
        raise exc.NotSupported("alpha/beta of addmm in device code", location=tr.where())
    return tr.addmm(*args)


# -- creation ------------------------------------------------------------------
def _like_op(fill):
    """zeros_like / ones_like (fill given) and full_like (fill is an argument)."""
    def handler(tr, args, kwargs):
        need_args(tr, args, 1 if fill is not None or "fill_value" in kwargs else 2, "*_like()")
        if isinstance(args[0], Tile):  # a tensor shaped like the tile's indices
            t = args[0]
            args = [DTensor(None, torch.int32, [1 if t.scalar else t.block])] + list(args[1:])
        x = tr.operand(args[0])
        value = fill if fill is not None else args[1] if len(args) > 1 else kwargs.get("fill_value")
        dtype = kwargs.get("dtype") or x.dtype
        return tr.ops.to_tensor(value, dtype, x.dims)
    return handler


register(torch.zeros_like)(_like_op(0))
register(torch.ones_like)(_like_op(1))
register(torch.full_like)(_like_op(None))


@register(torch.arange)
def _arange(tr, args, kwargs):
    """torch.arange with constant bounds in device code (int64 by default, as in torch)."""
    dtype = kwargs.pop("dtype", None)
    kwargs.pop("device", None)
    if "end" in kwargs:
        args = list(args) + [kwargs.pop("end")]
    if "start" in kwargs:
        args = [kwargs.pop("start")] + list(args)
    step = kwargs.pop("step", None)
    if kwargs:
        raise exc.NotSupported(f"torch.arange() arguments {sorted(kwargs)} in device code", location=tr.where())
    args = list(args) + ([step] if step is not None else [])
    if not 1 <= len(args) <= 3 or not all(isinstance(a, int) and not isinstance(a, bool) for a in args):
        raise exc.NotSupported("torch.arange() in device code needs constant int bounds (use tile.index for the indices "
                               "of a tile)", location=tr.where())
    r = range(*args)
    n = len(r)
    if n < 1 or n & (n - 1):
        raise exc.NotSupported(f"torch.arange() of length {n} in device code: needs a power-of-two length", location=tr.where())
    v = tr.ops.cast(tr.ops.arange(0, n), dtype or torch.int64)
    if r.step != 1:
        v = tr.ops.binary("mul", v, r.step)
    if r.start != 0:
        v = tr.ops.binary("add", v, r.start)
    return v


# -- shape methods -------------------------------------------------------------
def _device_tensor(tr, args, name: str) -> DTensor:
    if not isinstance(args[0], DTensor):
        raise tr.method_error(args[0], name)
    return args[0]


def _sizes(args) -> list:
    """x.reshape(2, 3) and x.reshape([2, 3]) alike."""
    return list(args[0]) if len(args) == 1 and isinstance(args[0], (list, tuple)) else list(args)


@register(methods="size")
def _size(tr, args, kwargs):
    sizes = tr.sizes_of(_device_tensor(tr, args, "size"))
    return sizes[tr.axis(args[1], len(sizes))] if len(args) > 1 else sizes


@register(methods="dim")
def _dim(tr, args, kwargs):
    return _device_tensor(tr, args, "dim").ndim


@register(methods="t")
def _t(tr, args, kwargs):
    x = _device_tensor(tr, args, "t")
    if x.ndim > 2:
        raise exc.TypeError_(f".t() needs at most 2 dims, got {tr.describe(x)}; use .transpose() or .permute()",
                             location=tr.where())
    return tr.ops.permute(x, [1, 0]) if x.ndim == 2 else x


@register(methods="permute")
def _permute(tr, args, kwargs):
    x = _device_tensor(tr, args, "permute")
    perm = [tr.axis(d, x.ndim) for d in _sizes(args[1:])]
    if sorted(perm) != list(range(x.ndim)):
        raise exc.TypeError_(f"permute{tuple(_sizes(args[1:]))} is not a permutation of the {x.ndim} dims of "
                             f"{tr.describe(x)}", location=tr.where())
    return tr.ops.permute(x, perm)


@register(methods="transpose")
def _transpose(tr, args, kwargs):
    x = _device_tensor(tr, args, "transpose")
    perm = list(range(x.ndim))
    need_args(tr, args, 3, "transpose()")
    a, b = (tr.axis(d, x.ndim) for d in args[1:3])
    perm[a], perm[b] = perm[b], perm[a]
    return tr.ops.permute(x, perm)


@register(methods="unsqueeze")
def _unsqueeze(tr, args, kwargs):
    x = _device_tensor(tr, args, "unsqueeze")
    need_args(tr, args, 2, "unsqueeze()")
    return tr.ops.expand_dims(x, tr.axis(args[1], x.ndim + 1))


@register(methods=("reshape", "view"))
def _reshape(tr, args, kwargs):
    x = _device_tensor(tr, args, "reshape")
    dims = tr.shape_dims(_sizes(args[1:]))
    if dims.count(-1) > 1 or any(isinstance(d, int) and d < 1 and d != -1 for d in dims):
        raise exc.TypeError_(f"reshape to {dims}: sizes must be positive, with at most one -1", location=tr.where())
    out = tr.ops.reshape(x, dims)
    # Block sizes are unknown here: a reshape may only regroup the static dims.
    static = [math.prod(d for d in t.dims if isinstance(d, int)) for t in (x, out)]
    syms = [sorted(d.slot for d in t.dims if not isinstance(d, int)) for t in (x, out)]
    if static[0] != static[1] or syms[0] != syms[1]:
        raise exc.TypeError_(f"cannot reshape {tr.describe(x)} to {out.dims}: a reshape keeps every tile dim and "
                             "regroups only the static ones", location=tr.where())
    return out


@register(methods="expand")
def _expand(tr, args, kwargs):
    x = _device_tensor(tr, args, "expand")
    return tr.ops.broadcast_to(x, tr.shape_dims(_sizes(args[1:]), like=x))
