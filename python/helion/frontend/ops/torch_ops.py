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
from ..semantics import promote, same_extent
from ..values import DTensor, Scalar, Sym, TensorArg, Tile
from .registry import register

# -- elementwise -------------------------------------------------------------
# op name of DeviceOps.unary -> (torch functions, tensor method names)
_UNARY = {
    "exp": ((torch.exp,), "exp"), "exp2": ((torch.exp2,), "exp2"), "log": ((torch.log,), "log"),
    "log2": ((torch.log2,), "log2"), "sqrt": ((torch.sqrt,), "sqrt"), "rsqrt": ((torch.rsqrt,), "rsqrt"),
    "sin": ((torch.sin,), "sin"), "cos": ((torch.cos,), "cos"), "tanh": ((torch.tanh, F.tanh), "tanh"),
    "sigmoid": ((torch.sigmoid, F.sigmoid, torch.special.expit), "sigmoid"), "relu": ((torch.relu, F.relu), "relu"),
    "abs": ((torch.abs,), "abs"), "erf": ((torch.erf, torch.special.erf), "erf"), "floor": ((torch.floor,), "floor"),
    "ceil": ((torch.ceil,), "ceil"), "silu": ((F.silu,), "silu"), "sign": ((torch.sign,), "sign"),
    "erfc": ((torch.erfc, torch.special.erfc), "erfc"), "log1p": ((torch.log1p, torch.special.log1p), "log1p"),
    "expm1": ((torch.expm1, torch.special.expm1), "expm1"), "hardswish": ((F.hardswish,), ()), "mish": ((F.mish,), ()),
    "selu": ((F.selu, torch.selu), ()), "hardsigmoid": ((F.hardsigmoid,), ()), "logsigmoid": ((F.logsigmoid,), ()),
    "softsign": ((F.softsign,), ()),
}
# activations with keyword arguments: op name of DeviceOps.unary -> (function, its parameters and torch's defaults)
_ACTIVATIONS = {
    "softplus": (F.softplus, {"beta": 1.0, "threshold": 20.0}), "elu": (F.elu, {"alpha": 1.0}),
    "leaky_relu": (F.leaky_relu, {"negative_slope": 0.01}), "celu": (F.celu, {"alpha": 1.0}),
    "hardtanh": (F.hardtanh, {"min_val": -1.0, "max_val": 1.0}),
}
# op name of Tracer._binary -> (torch functions, tensor method names)
_BINARY = {
    "add": ((torch.add, operator.add), "add"), "sub": ((torch.sub, operator.sub), "sub"),
    "mul": ((torch.mul, operator.mul), "mul"), "truediv": ((torch.div, torch.true_divide), ("div", "true_divide")),
    "maximum": ((torch.maximum,), "maximum"), "minimum": ((torch.minimum,), "minimum"), "pow": ((torch.pow,), "pow"),
    "mod": ((torch.remainder,), "remainder"), "floordiv": ((torch.floor_divide,), "floor_divide"),
    "fmod": ((torch.fmod,), "fmod"),
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
        _no_inplace(tr, kwargs, name)
        no_keywords(tr, kwargs, f"{name}()")
        return tr.ops.unary(name, tr.operand(args[0]))
    return handler


def _no_inplace(tr, kwargs: dict, name: str) -> None:
    """inplace=False is dropped; inplace=True would change a value that later code still reads."""
    if kwargs.pop("inplace", False):
        raise exc.NotSupported(f"{name}(inplace=True) in device code: device values are not updated in place; "
                               f"assign the result (x = {name}(x))", location=tr.where())


def _activation_op(name: str, defaults: dict):
    """F.softplus(x, beta, threshold) and the like: parameters by position or keyword."""
    def handler(tr, args, kwargs):
        need_args(tr, args, 1, f"{name}()", most=1 + len(defaults) + 1)
        params = dict(defaults)
        for key, value in zip(list(defaults) + ["inplace"], args[1:]):
            kwargs.setdefault(key, value)
        _no_inplace(tr, kwargs, name)
        for key in list(kwargs):
            if key in defaults:
                params[key] = tr.operand(kwargs.pop(key))
        no_keywords(tr, kwargs, f"{name}()")
        x = tr.operand(args[0])
        if not all(isinstance(v, (int, float)) for v in params.values()) and isinstance(x, (int, float)):
            raise exc.TypeError_(f"{name}() takes a tensor, got {type(x).__name__}", location=tr.where())
        return tr.ops.unary(name, x, **params)
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


def _cumulative_op(kind: str):
    def handler(tr, args, kwargs):
        need_args(tr, args, 1, f"{kind}()", most=2)
        dim = args[1] if len(args) > 1 else kwargs.pop("dim", None)
        dtype = kwargs.pop("dtype", None)
        no_keywords(tr, kwargs, f"{kind}()")
        return tr.cumulative(kind, args[0], dim, dtype=dtype)
    return handler


def _cast_op(dtype: torch.dtype):
    def handler(tr, args, kwargs):
        return tr.ops.cast(args[0], dtype)
    return handler


for _name, (_fns, _methods) in _UNARY.items():
    register(*_fns, methods=_methods)(_unary_op(_name))
for _name, (_fn, _defaults) in _ACTIVATIONS.items():
    register(_fn)(_activation_op(_name, _defaults))
for _name, (_fns, _methods) in _BINARY.items():
    register(*_fns, methods=_methods)(_binary_op(_name))
for _name, _fns in _REDUCTIONS.items():
    register(*_fns, methods=_name)(_reduction_op(_name))
for _name in ("cumsum", "cumprod"):
    register(getattr(torch, _name), methods=_name)(_cumulative_op(_name))
for _name, _dtype in _CAST_METHODS.items():
    register(methods=_name)(_cast_op(_dtype))


@register(F.relu6)
def _relu6(tr, args, kwargs):
    need_args(tr, args, 1, "relu6()", most=2)
    if len(args) > 1:
        kwargs["inplace"] = args[1]
    _no_inplace(tr, kwargs, "relu6")
    no_keywords(tr, kwargs, "relu6()")
    return tr.ops.unary("hardtanh", tr.operand(args[0]), min_val=0, max_val=6)


@register(F.gelu)
def _gelu(tr, args, kwargs):
    need_args(tr, args, 1, "gelu()", most=1)
    approx = kwargs.pop("approximate", "none")
    no_keywords(tr, kwargs, "gelu()")
    if approx not in ("none", "tanh"):
        raise exc.TypeError_(f"gelu approximate={approx!r}: torch takes 'none' or 'tanh'", location=tr.where())
    return tr.ops.unary("gelu_tanh" if approx == "tanh" else "gelu", tr.operand(args[0]))


@register(torch.where)
def _where(tr, args, kwargs):
    need_args(tr, args, 3, "torch.where()", most=3)
    no_keywords(tr, kwargs, "torch.where()")
    cond, a, b = (tr.operand(v) for v in args)
    if isinstance(cond, (DTensor, Scalar)) and cond.dtype not in (torch.bool, torch.uint8):
        raise exc.TypeError_(f"torch.where() needs a bool condition, got {tr.describe(cond)} (as in torch); compare "
                             "it, e.g. x != 0", location=tr.where())
    return tr.ops.where(cond, a, b)


@register(methods="where")
def _where_method(tr, args, kwargs):
    """x.where(cond, y) is torch.where(cond, x, y)."""
    need_args(tr, args, 3, "Tensor.where()", most=3)
    return _where(tr, [args[1], args[0], args[2]], kwargs)


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
# keywords of torch's factories that say where or how a tensor is kept: device code
# has one device and no autograd, so they change nothing
_PLACEMENT = ("device", "layout", "requires_grad", "pin_memory", "memory_format")


def _factory_dtype(tr, kwargs: dict, default: torch.dtype, what: str) -> torch.dtype:
    """dtype= of a factory (default when absent or None); the placement keywords are dropped, others refused."""
    dtype = kwargs.pop("dtype", None)
    for key in _PLACEMENT:
        kwargs.pop(key, None)
    no_keywords(tr, kwargs, what)
    if dtype is None:
        return default
    if not isinstance(dtype, torch.dtype):
        raise exc.TypeError_(f"{what}: dtype must be a torch.dtype, got {tr.describe(dtype)}", location=tr.where())
    return dtype


def _filled(tr, value, dtype: torch.dtype, dims: list):
    """A tensor of `dims` holding `value` (a number or a device scalar); a 0-d shape is a device scalar."""
    value = tr.operand(value)
    if isinstance(value, DTensor):
        raise exc.TypeError_(f"a fill value must be a number or a 0-d value, got {tr.describe(value)}",
                             location=tr.where())
    if not dims:
        return tr.ops.scalar(value, dtype)
    return tr.ops.to_tensor(value, dtype, dims)


def _like_op(fill, name: str):
    """zeros_like / ones_like / empty_like (fill given) and full_like (fill is an argument)."""
    def handler(tr, args, kwargs):
        need_args(tr, args, 1 if fill is not None or "fill_value" in kwargs else 2, f"torch.{name}()",
                  most=1 if fill is not None else 2)
        if isinstance(args[0], Tile):  # a tensor shaped like the tile's indices
            t = args[0]
            args = [DTensor(None, torch.int32, [1 if t.scalar else t.block])] + list(args[1:])
        x = tr.operand(args[0])
        if not isinstance(x, (DTensor, Scalar)):
            raise exc.TypeError_(f"torch.{name}() needs a tensor, got {tr.describe(x)}", location=tr.where())
        value = fill if fill is not None else args[1] if len(args) > 1 else kwargs.pop("fill_value")
        dtype = _factory_dtype(tr, kwargs, x.dtype, f"torch.{name}()")
        return _filled(tr, value, dtype, x.dims if isinstance(x, DTensor) else [])
    return handler


register(torch.zeros_like)(_like_op(0, "zeros_like"))
register(torch.ones_like)(_like_op(1, "ones_like"))
register(torch.empty_like)(_like_op(0, "empty_like"))  # its values are unspecified: zeros
register(torch.full_like)(_like_op(None, "full_like"))


def _factory_dims(tr, sizes, what: str) -> list:
    """The dims of a factory's size: ints, tiles, block sizes; `[]` / `()` is 0-d."""
    if isinstance(sizes, (list, tuple)):
        sizes = list(sizes)
    elif isinstance(sizes, torch.Size):
        sizes = list(sizes)
    else:
        sizes = [sizes]
    dims = tr.shape_dims(sizes)
    if any(isinstance(d, int) and d < 1 for d in dims):
        raise exc.TypeError_(f"{what} of shape {dims}: device code makes tensors of positive sizes", location=tr.where())
    return dims


def _size_and_value(tr, args, kwargs: dict, fill, what: str, hint: str = ""):
    """(size, fill value) of a factory's arguments (after the tensor of x.new_*):
    `fill` when the factory has one (zeros/ones/empty), else its fill_value
    argument (full); size= and fill_value= may be keywords."""
    rest = list(args)
    if fill is not None:
        if "size" in kwargs:
            rest.append(kwargs.pop("size"))
        if not rest:
            raise exc.TypeError_(f"{what}() needs a size{hint}", location=tr.where())
        return (rest[0] if len(rest) == 1 else rest), fill
    if "size" in kwargs:
        rest.insert(0, kwargs.pop("size"))
    if len(rest) < 2 and "fill_value" in kwargs:
        rest.append(kwargs.pop("fill_value"))
    if len(rest) != 2:
        raise exc.TypeError_(f"{what}(size, fill_value) takes a size and a fill value", location=tr.where())
    return rest[0], rest[1]


def _new_op(fill, name: str):
    """x.new_zeros(size) / new_ones / new_empty (fill given) and x.new_full(size, value):
    x's dtype unless dtype= says otherwise, as in torch."""
    what = f"Tensor.{name}"

    def handler(tr, args, kwargs):
        x = args[0]
        if not isinstance(x, (DTensor, Scalar, TensorArg)):
            raise tr.method_error(x, name)
        sizes, value = _size_and_value(tr, args[1:], kwargs, fill, what, f", e.g. x.{name}(n) or x.{name}([m, n])")
        dtype = _factory_dtype(tr, kwargs, x.dtype, f"{what}()")
        return _filled(tr, value, dtype, _factory_dims(tr, sizes, f"{what}()"))
    return handler


register(methods="new_zeros")(_new_op(0, "new_zeros"))
register(methods="new_ones")(_new_op(1, "new_ones"))
register(methods="new_empty")(_new_op(0, "new_empty"))  # its values are unspecified: zeros
register(methods="new_full")(_new_op(None, "new_full"))


def _factory_op(fill, name: str):
    """torch.zeros(size) / ones / empty (fill given) and torch.full(size, value) in device
    code; torch's default dtype (full: the fill value's type, as in torch)."""
    what = f"torch.{name}"

    def handler(tr, args, kwargs):
        sizes, value = _size_and_value(tr, args, kwargs, fill, what)
        default = torch.get_default_dtype()
        if fill is None:
            v = tr.operand(value)
            default = (v.dtype if isinstance(v, Scalar) else torch.bool if isinstance(v, bool)
                       else torch.int64 if isinstance(v, int) else default)
        dtype = _factory_dtype(tr, kwargs, default, f"{what}()")
        return _filled(tr, value, dtype, _factory_dims(tr, sizes, f"{what}()"))
    return handler


register(torch.zeros)(_factory_op(0, "zeros"))
register(torch.ones)(_factory_op(1, "ones"))
register(torch.empty)(_factory_op(0, "empty"))  # its values are unspecified: zeros
register(torch.full)(_factory_op(None, "full"))


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
    if not args:
        raise exc.TypeError_(f"{name}() needs a tensor", location=tr.where())
    x = tr.operand(args[0]) if isinstance(args[0], TensorArg) else args[0]
    if not isinstance(x, DTensor):
        raise tr.method_error(x, name)
    return x


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


@register(torch.t, methods="t")
def _t(tr, args, kwargs):
    x = _device_tensor(tr, args, "t")
    if x.ndim > 2:
        raise exc.TypeError_(f".t() needs at most 2 dims, got {tr.describe(x)}; use .transpose() or .permute()",
                             location=tr.where())
    return tr.ops.permute(x, [1, 0]) if x.ndim == 2 else x


@register(torch.permute, methods="permute")
def _permute(tr, args, kwargs):
    x = _device_tensor(tr, args, "permute")
    dims = _sizes(args[1:]) if len(args) > 1 else list(kwargs.pop("dims", []))
    no_keywords(tr, kwargs, "permute()")
    perm = [tr.axis(d, x.ndim) for d in dims]
    if sorted(perm) != list(range(x.ndim)):
        raise exc.TypeError_(f"permute{tuple(dims)} is not a permutation of the {x.ndim} dims of "
                             f"{tr.describe(x)}", location=tr.where())
    return tr.ops.permute(x, perm)


@register(torch.transpose, torch.swapaxes, torch.swapdims, methods=("transpose", "swapaxes", "swapdims"))
def _transpose(tr, args, kwargs):
    x = _device_tensor(tr, args, "transpose")
    need_args(tr, args, 3, "transpose()", most=3)
    perm = list(range(x.ndim))
    a, b = (tr.axis(d, x.ndim) for d in args[1:3])
    perm[a], perm[b] = perm[b], perm[a]
    return tr.ops.permute(x, perm)


@register(torch.unsqueeze, methods="unsqueeze")
def _unsqueeze(tr, args, kwargs):
    x = _device_tensor(tr, args, "unsqueeze")
    args = args + ([kwargs.pop("dim")] if "dim" in kwargs else [])
    need_args(tr, args, 2, "unsqueeze()", most=2)
    no_keywords(tr, kwargs, "unsqueeze()")
    return tr.ops.expand_dims(x, tr.axis(args[1], x.ndim + 1))


@register(torch.squeeze, methods="squeeze")
def _squeeze(tr, args, kwargs):
    """Drops static dims of size 1: all of them, or those named (others stay, as
    in torch). A tile dim's size is its block size, known only with a Config: it
    stays."""
    if args and isinstance(args[0], Scalar):  # a 0-d tensor: nothing to drop (its dim argument is 0 or -1)
        args = args + ([kwargs.pop("dim")] if "dim" in kwargs else [])
        need_args(tr, args, 1, "squeeze()", most=2)
        no_keywords(tr, kwargs, "squeeze()")
        if len(args) > 1 and args[1] is not None:
            for d in (args[1] if isinstance(args[1], (list, tuple)) else [args[1]]):
                tr.axis(d, 1)
        return args[0]
    x = _device_tensor(tr, args, "squeeze")
    args = args + ([kwargs.pop("dim")] if "dim" in kwargs else [])
    need_args(tr, args, 1, "squeeze()", most=2)
    no_keywords(tr, kwargs, "squeeze()")
    if len(args) == 1 or args[1] is None:
        drop = [i for i, d in enumerate(x.dims) if d == 1]
    else:
        named = [tr.axis(d, x.ndim) for d in (args[1] if isinstance(args[1], (list, tuple)) else [args[1]])]
        # A named dim of another size stays, as in torch; so does a tile dim, whose size is
        # the block size (a no-op under every Config, not only those whose block is not 1).
        drop = [i for i in named if x.dims[i] == 1]
    return tr.ops.reshape(x, [d for i, d in enumerate(x.dims) if i not in drop])


@register(torch.flatten, methods="flatten")
def _flatten(tr, args, kwargs):
    x = _device_tensor(tr, args, "flatten")
    need_args(tr, args, 1, "flatten()", most=3)
    start = args[1] if len(args) > 1 else kwargs.pop("start_dim", 0)
    end = args[2] if len(args) > 2 else kwargs.pop("end_dim", -1)
    no_keywords(tr, kwargs, "flatten()")
    if x.ndim == 0:
        return tr.ops.reshape(x, [1])
    a, b = tr.axis(start, x.ndim), tr.axis(end, x.ndim)
    if a > b:
        raise exc.TypeError_(f"flatten(): start_dim {start} comes after end_dim {end}", location=tr.where())
    if len([d for d in x.dims[a:b + 1] if d != 1]) > 1:
        x = _pin_static(tr, x, range(a, b + 1))
    group = [d for d in x.dims[a:b + 1] if d != 1]
    if any(isinstance(d, Sym) for d in group) and len(group) > 1:
        raise exc.TypeError_(f"cannot flatten dims {a}..{b} of {tr.describe(x)}: they include a tile dim, whose size is "
                             "only known with a Config; flatten the static dims around it", location=tr.where())
    merged = group[0] if len(group) == 1 else math.prod(group)
    return tr.ops.reshape(x, x.dims[:a] + [merged] + x.dims[b + 1:])


def _pin_static(tr, x: DTensor, axes) -> DTensor:
    """x with its dims at `axes` that are reduction slots over a power-of-two extent
    (`x[t, :]`) switched to that static size (a tile.rebind: the slot stays persistent)."""
    dims = [tr.ops.pinned[d.slot] if i in axes and isinstance(d, Sym) and d.slot in tr.ops.pinned else d
            for i, d in enumerate(x.dims)]
    return tr.ops.rebind(x, dims) if dims != x.dims else x


def _segments(dims: list):
    """The tile dims of a shape in order, and the products of the static dims around them."""
    tiles, products, n = [], [], 1
    for d in dims:
        if isinstance(d, Sym):
            tiles.append(d)
            products.append(n)
            n = 1
        else:
            n *= d
    return tiles, products + [n]


@register(torch.reshape, methods=("reshape", "view"))
def _reshape(tr, args, kwargs):
    x = _device_tensor(tr, args, "reshape")
    if len(args) == 2 and isinstance(args[1], torch.dtype):
        raise exc.NotSupported(f"view({args[1]}) (a bitcast) in device code; use .to({args[1]}) to convert the values",
                               location=tr.where())
    sizes = _sizes(args[1:]) if len(args) > 1 else kwargs.pop("shape", None)
    no_keywords(tr, kwargs, "reshape()")
    if sizes is None:
        raise exc.TypeError_("reshape()/view() needs the new shape, e.g. x.reshape(4, -1)", location=tr.where())
    dims = tr.shape_dims(sizes)
    if not dims:
        raise exc.NotSupported("reshape to a 0-d tensor in device code; index the element or reduce instead",
                               location=tr.where())
    if dims.count(-1) > 1 or any(isinstance(d, int) and d < 1 and d != -1 for d in dims):
        raise exc.TypeError_(f"reshape to {dims}: sizes must be positive, with at most one -1", location=tr.where())
    x = _pin_static(tr, x, [i for i, d in enumerate(x.dims) if d not in dims])  # x[t, :].view(t, 4, 16)
    out = tr.ops.reshape(x, dims)
    # Block sizes are unknown here: a reshape keeps the tile dims in their order and
    # regroups only the static dims between them (each run to one of the same size).
    (tiles_in, static_in), (tiles_out, static_out) = _segments(x.dims), _segments(out.dims)
    if tiles_in == tiles_out and math.prod(static_in) != math.prod(static_out):
        raise exc.TypeError_(f"cannot reshape {tr.describe(x)} to {dims}: {math.prod(static_in)} elements do not fit "
                             f"the new shape", location=tr.where())
    if tiles_in != tiles_out or (tiles_in and static_in != static_out):
        raise exc.TypeError_(f"cannot reshape {tr.describe(x)} to {dims}: a reshape keeps every tile dim in place and "
                             "regroups only the static dims between them (static sizes "
                             f"{' | '.join(map(str, static_in))} around the tile dims here; a full slice `:` over a size "
                             "that is not a power of two is a tile dim too)", location=tr.where())
    return out


@register(torch.flip, methods="flip")
def _flip(tr, args, kwargs):
    """Reverses static power-of-two dims: the dim split into k dims of size 2, each
    reversed by a max over (value where the index is mirrored, else the lowest
    value), which is exact for every dtype, NaN and -0.0 included."""
    x = _device_tensor(tr, args, "flip")
    dims = _sizes(args[1:]) if len(args) > 1 else kwargs.pop("dims", None)
    no_keywords(tr, kwargs, "flip()")
    if dims is None:
        raise exc.TypeError_("flip() needs dims", location=tr.where())
    for axis in sorted({tr.axis(d, x.ndim) for d in (dims if isinstance(dims, (list, tuple)) else [dims])}):
        x = _pin_static(tr, x, [axis])
        n = x.dims[axis]
        if isinstance(n, Sym):
            raise exc.NotSupported(f"flip() of dim {axis} of {tr.describe(x)}: it is a tile dim, whose size is only known "
                                   "with a Config; load the elements in reverse instead (x[n - 1 - tile.index])",
                                   location=tr.where())
        if n & (n - 1):
            raise exc.NotSupported(f"flip() of dim {axis} of size {n}: needs a power-of-two size; load the elements in "
                                   "reverse instead (x[n - 1 - index])", location=tr.where())
        k = n.bit_length() - 1
        y = tr.ops.reshape(x, x.dims[:axis] + [2] * k + x.dims[axis + 1:])
        i = tr.ops.arange(0, 2)
        mirrored = tr.ops.compare("eq", tr.ops.binary("add", tr.ops.expand_dims(i, 1), tr.ops.expand_dims(i, 0)), 1)
        lowest = (-math.inf if x.dtype.is_floating_point else False if x.dtype == torch.bool
                  else torch.iinfo(x.dtype).min)
        for a in range(axis, axis + k):
            # y[..., i, ...] = max over j of (y[..., j, ...] where i + j == 1)
            m = mirrored
            for _ in range(a):
                m = tr.ops.expand_dims(m, 0)
            while m.ndim < y.ndim + 1:
                m = tr.ops.expand_dims(m, m.ndim)
            y = tr._reduce_axis("max", tr.ops.where(m, tr.ops.expand_dims(y, a), lowest), a + 1, keepdim=False)
        x = tr.ops.reshape(y, x.dims)
    return x


def _as_tensor(tr, x, name: str):
    """A device tensor or a device scalar (a 0-d tensor)."""
    x = tr.operand(x) if isinstance(x, TensorArg) else x
    if not isinstance(x, (DTensor, Scalar)):
        raise tr.method_error(x, name)
    return x


def _expand_to(tr, x, dims: list, what: str):
    if isinstance(x, Scalar):
        return tr.ops.to_tensor(x, x.dtype, dims) if dims else x
    if len(dims) < x.ndim:
        raise exc.TypeError_(f"{what}: {tr.describe(x)} has more dims than the target shape {dims}",
                             location=tr.where())
    lead = len(dims) - x.ndim
    for d, t in zip(x.dims, dims[lead:]):
        if d != t and d != 1 and not same_extent(d, t, tr.ops.pinned):
            raise exc.TypeError_(f"{what}: cannot expand {tr.describe(x)} to {dims}: only dims of size 1 grow (as in "
                                 "torch)", location=tr.where())
    return tr.ops.broadcast_to(x, dims)


@register(methods="expand")
def _expand(tr, args, kwargs):
    """x.expand(*sizes): -1 keeps a dim; new dims come first, as in torch."""
    need_args(tr, args, 1, "expand()")
    x = _as_tensor(tr, args[0], "expand")
    sizes = _sizes(args[1:]) if len(args) > 1 else kwargs.pop("size", None)
    no_keywords(tr, kwargs, "expand()")
    if sizes is None:
        raise exc.TypeError_("expand() needs the new shape, e.g. x.expand(m, n)", location=tr.where())
    ndim = x.ndim if isinstance(x, DTensor) else 0
    lead = len(sizes) - ndim
    sizes = list(sizes)
    for i, s in enumerate(sizes):
        if isinstance(s, int) and not isinstance(s, bool) and s == -1:
            if i < lead:
                raise exc.TypeError_(f"expand{tuple(sizes)}: -1 is not allowed for a new leading dim (as in torch)",
                                     location=tr.where())
            sizes[i] = x.dims[i - lead]
    return _expand_to(tr, x, tr.shape_dims(sizes), "expand()")


@register(methods="expand_as")
def _expand_as(tr, args, kwargs):
    need_args(tr, args, 2, "expand_as()", most=2)
    no_keywords(tr, kwargs, "expand_as()")
    x = _as_tensor(tr, args[0], "expand_as")
    other = args[1]
    if isinstance(other, TensorArg):
        dims = list(other.shape)
    elif isinstance(other, (DTensor, Scalar)):
        dims = list(other.dims) if isinstance(other, DTensor) else []
    else:
        raise exc.TypeError_(f"expand_as() needs a tensor, got {tr.describe(other)}", location=tr.where())
    return _expand_to(tr, x, dims, "expand_as()")


@register(torch.stack)
def _stack(tr, args, kwargs):
    """torch.stack(tensors, dim): each operand placed at its index of a new dim
    (a select over the new dim's lanes), dtypes promoted as in torch."""
    need_args(tr, args, 1, "torch.stack()", most=2)
    dim = args[1] if len(args) > 1 else kwargs.pop("dim", 0)
    no_keywords(tr, kwargs, "torch.stack()")
    if not isinstance(args[0], (list, tuple)) or not args[0]:
        raise exc.TypeError_("torch.stack() takes a non-empty list of tensors", location=tr.where())
    xs = [tr.operand(x) for x in args[0]]
    for x in xs:
        if not isinstance(x, (DTensor, Scalar)):
            raise exc.TypeError_(f"torch.stack() takes tensors, got {tr.describe(x)}", location=tr.where())
    shapes = [x.dims if isinstance(x, DTensor) else [] for x in xs]
    ndim = len(shapes[0])
    for shape in shapes[1:]:
        if len(shape) != ndim or any(a != b and not same_extent(a, b, tr.ops.pinned) for a, b in zip(shape, shapes[0])):
            raise exc.TypeError_(f"torch.stack() needs tensors of one shape, got {shapes[0]} and {shape}",
                                 location=tr.where())
    axis = tr.axis(dim, ndim + 1)
    k = len(xs)
    if k & (k - 1):
        raise exc.NotSupported(f"torch.stack() of {k} tensors in device code: the new dim needs a power-of-two size "
                               "(stack them in a tensor of the next power of two, or store them one by one)",
                               location=tr.where())
    (*parts,), dims = tr.ops.common(xs, promote(*xs))
    dims = list(dims or [])
    out_dims = dims[:axis] + [k] + dims[axis:]
    parts = [tr.ops.broadcast_to(tr.ops.expand_dims(p, axis), out_dims) if isinstance(p, DTensor)
             else tr.ops.to_tensor(p, p.dtype, out_dims) for p in parts]
    if k == 1:
        return parts[0]
    lane = tr.ops.place(tr.ops.arange(0, k), axis, out_dims)
    out = parts[-1]
    for i in range(k - 2, -1, -1):
        out = tr.ops.where(tr.ops.compare("eq", lane, i), parts[i], out)
    return out
