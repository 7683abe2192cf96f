"""Python builtins and math/operator functions in device code: computed at
trace time on Python values; device values get the torch spelling instead."""
from __future__ import annotations

import builtins

import torch

from ... import exc
from ..values import DTensor, Scalar, TensorArg, Tile
from .registry import register

_DEVICE_VALUES = (DTensor, Scalar, TensorArg, Tile)


@register(builtins.isinstance)
def _isinstance(tr, args, kwargs):
    if isinstance(args[0], (DTensor, Scalar, TensorArg)):  # device values are tensors
        classes = args[1] if isinstance(args[1], tuple) else (args[1],)
        return any(isinstance(c, type) and issubclass(torch.Tensor, c) for c in classes)
    return isinstance(args[0], args[1])


def _min_max(fn):
    def handler(tr, args, kwargs):
        if all(isinstance(a, (int, float)) for a in args) and not kwargs:
            return fn(*args)
        if len(args) < 2 or kwargs:
            raise exc.NotSupported(f"{fn.__name__}() of device values takes two or more values; for the "
                                   f"{fn.__name__} over a tensor use torch.a{fn.__name__}(x, dim)", location=tr.where())
        result = args[0]
        for a in args[1:]:
            result = tr.binary("minimum" if fn is builtins.min else "maximum", result, a)
        return result
    return handler


register(builtins.min)(_min_max(builtins.min))
register(builtins.max)(_min_max(builtins.max))


# What to write instead when a builtin gets a device value.
_DEVICE_SPELLING = {builtins.int: "x.to(torch.int32)", builtins.float: "x.to(torch.float32)",
                    builtins.len: "x.shape[0] or x.size(0)", builtins.abs: "torch.abs(x)", builtins.range: "hl.tile(...) for a loop over a device extent"}


def _python_only(fn):
    def handler(tr, args, kwargs):
        if all(isinstance(a, (int, float, str, list, tuple)) for a in args):
            try:
                return fn(*args, **kwargs)
            except (ArithmeticError, ValueError, TypeError) as e:
                raise exc.TypeError_(f"{fn.__name__}() failed: {e}", location=tr.where()) from None
        if fn is builtins.abs and len(args) == 1:
            return tr.ops.unary("abs", tr.operand(args[0]))
        raise exc.NotSupported(f"{fn.__name__}() of a device value in device code; use {_DEVICE_SPELLING[fn]}",
                               location=tr.where())
    return handler


for _fn in (builtins.len, builtins.int, builtins.float, builtins.abs, builtins.range):
    register(_fn)(_python_only(_fn))


def host_math(tr, fn, args, kwargs):
    """A function of the math or operator module: runs on Python values only."""
    if any(isinstance(a, _DEVICE_VALUES) for a in list(args) + list(kwargs.values())):
        module = fn.__module__
        hint = f"torch.{fn.__name__}" if module == "math" and hasattr(torch, fn.__name__) else "the torch function or operator"
        raise exc.NotSupported(f"{module}.{fn.__name__}() on a device value runs only on Python numbers; use {hint}",
                               location=tr.where())
    try:
        return fn(*args, **kwargs)
    except (ArithmeticError, ValueError, TypeError) as e:
        raise exc.TypeError_(f"{fn.__module__}.{fn.__name__}() failed: {e}", location=tr.where()) from None
