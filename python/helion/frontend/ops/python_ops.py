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
        if all(isinstance(a, (int, float)) for a in args):
            return fn(*args)
        return tr._binary("minimum" if fn is builtins.min else "maximum", args[0], args[1])
    return handler


register(builtins.min)(_min_max(builtins.min))
register(builtins.max)(_min_max(builtins.max))


def _python_only(fn):
    def handler(tr, args, kwargs):
        if all(isinstance(a, (int, float, str, list, tuple)) for a in args):
            return fn(*args)
        raise exc.NotSupported(f"call to builtins.{fn.__name__} in device code", location=tr.where())
    return handler


for _fn in (builtins.len, builtins.int, builtins.float, builtins.abs, builtins.range):
    register(_fn)(_python_only(_fn))


def host_math(tr, fn, args, kwargs):
    """A function of the math or operator module: runs on Python values only."""
    return fn(*args, **kwargs)
