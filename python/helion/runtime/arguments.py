"""Checks of the values a kernel is called with, run only off the launch hot
path (when a call fails, or once per new specialization). Errors name the
argument and the user's call `file:line`."""
from __future__ import annotations

import inspect
import os
import sys
import types

import torch

from .. import exc
from .. import language as hl
from ..frontend.inlining import launch_names, lifted_tensors

_INT64 = (-(2**63), 2**63 - 1)
_INDEX_LIMIT = 2**31  # past this, offsets and tile indices need 64-bit arithmetic


def needs_64bit_indexing(values: tuple) -> bool:
    """Whether a tensor argument has a dim or an element offset of 2**31 or more."""
    for v in values:
        if isinstance(v, torch.Tensor):
            reach = sum((s - 1) * abs(st) for s, st in zip(v.shape, v.stride()) if s > 0)
            if any(s >= _INDEX_LIMIT for s in v.shape) or reach >= _INDEX_LIMIT:
                return True
    return False
_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep  # python/helion/


def call_site(skip_codes=()) -> str | None:
    """`file:line` of the user's code that called the kernel: the first frame
    outward that is neither Helion's own code, a generated launcher, nor the
    kernel's host code (`skip_codes`)."""
    frame = sys._getframe(1)
    while frame is not None:
        code = frame.f_code
        filename = code.co_filename
        if not (os.path.abspath(filename).startswith(_PACKAGE) or filename == "<string>" or code in skip_codes):
            return f"{filename}:{frame.f_lineno}"
        frame = frame.f_back
    return None


def _layout(v: torch.Tensor) -> str:
    return "nested" if v.is_nested else str(v.layout).replace("torch.", "")


def _describe(v) -> str:
    if isinstance(v, torch.Tensor):
        if v.is_nested or v.layout != torch.strided:
            return f"a {_layout(v)} {v.dtype} tensor on {v.device}"
        return f"a {v.dtype} tensor of shape {list(v.shape)} on {v.device}"
    return f"a {type(v).__name__}"


def _is_tensor_annotation(annotation) -> bool:
    return annotation is torch.Tensor or annotation in ("torch.Tensor", "Tensor")


# annotation -> (accepted types, what to say); `float` takes ints as Python does.
_SCALAR_ANNOTATIONS = {"int": ((int,), "an int"), "float": ((int, float), "a float"), "bool": ((bool,), "a bool")}


def _annotation_mismatch(annotation, value) -> str | None:
    """What the annotation asks for, when `value` does not give it."""
    if _is_tensor_annotation(annotation):
        return None if isinstance(value, torch.Tensor) else "a torch.Tensor"
    name = annotation.__name__ if isinstance(annotation, type) else annotation
    if name in _SCALAR_ANNOTATIONS:
        types_, what = _SCALAR_ANNOTATIONS[name]
        if isinstance(value, hl.constexpr):
            value = value.value
        if not isinstance(value, types_) or (name == "float" and isinstance(value, bool)):
            return what
    return None


def explain_bad_call(kernel, args: tuple, kwargs: dict, error: BaseException, where: str | None) -> None:
    """Raise an InvalidArgument when the arguments explain `error` (raised by
    the call): a call that does not fit the signature, or a non-tensor where
    the kernel's annotations ask for a tensor. Otherwise return."""
    name = kernel.fn.__name__
    try:
        bound = kernel.signature.bind(*args, **kwargs)
    except TypeError as e:
        raise exc.InvalidArgument(f"kernel {name}{kernel.signature} called with {len(args)} positional "
                                  f"argument(s){' and ' + ', '.join(map(repr, kwargs)) if kwargs else ''}: {e}",
                                  location=where) from None
    for pname, value in bound.arguments.items():
        param = kernel.signature.parameters[pname]
        if _is_tensor_annotation(param.annotation) and not isinstance(value, torch.Tensor):
            raise exc.InvalidArgument(f"argument {pname!r} of kernel {name} must be a torch.Tensor, got {_describe(value)} "
                                      f"({type(error).__name__} in the host code: {error})", location=where) from None


def _annotation_error(kernel, values: tuple, where: str | None) -> exc.InvalidArgument | None:
    """A kernel parameter the device loop reads whose value its annotation refuses."""
    params = kernel.signature.parameters
    for name, v in zip(kernel._split.captured, values):
        wanted = _annotation_mismatch(params[name].annotation, v) if name in params else None
        if wanted:
            return exc.InvalidArgument(f"argument {name!r} of kernel {kernel.fn.__name__} must be {wanted}, "
                                       f"got {_describe(v)}", location=where)
    return None


def argument_error(kernel, values: tuple, error: BaseException, where: str | None) -> exc.Base:
    """The error for values the launch cannot key (unhashable, unreadable
    tensors), naming the host variable."""
    from .kernel import _specialization_key

    mismatch = _annotation_error(kernel, values, where)
    if mismatch is not None:
        return mismatch
    for name, v in zip(kernel._split.captured, values):
        try:
            _specialization_key((v,))
        except Exception as e:  # noqa: BLE001 - explained below
            if isinstance(v, torch.Tensor):
                return exc.InvalidArgument(f"kernel {kernel.fn.__name__}: tensor {name!r} ({_layout(v)}) cannot be "
                                           f"read by device code ({type(e).__name__}: {e}); pass a dense (strided) tensor",
                                           location=where)
            return exc.InvalidArgument(f"kernel {kernel.fn.__name__}: device code reads {name!r}, which is {_describe(v)}; "
                                       "device code takes tensors, numbers, bools, dtypes and functions", location=where)
    return exc.InvalidArgument(f"kernel {kernel.fn.__name__}: {error}", location=where)


def check_new_specialization(kernel, values: tuple, where: str | None) -> torch.device:
    """Refuse values no specialization can take; returns the kernel's device."""
    name = kernel.fn.__name__
    mismatch = _annotation_error(kernel, values, where)
    if mismatch is not None:
        raise mismatch
    devices: dict[torch.device, str] = {}
    for arg, v in zip(launch_names(kernel._split, values), values):
        if isinstance(v, torch.Tensor):
            if v.is_nested or v.layout != torch.strided:
                raise exc.InvalidArgument(f"kernel {name}: tensor {arg!r} has layout {_layout(v)}; pass a dense tensor",
                                          location=where)
            if v.device.type not in ("cpu", "cuda"):
                raise exc.InvalidArgument(f"kernel {name}: tensor {arg!r} is on {v.device} (CUDA and CPU are supported)",
                                          location=where)
            devices.setdefault(v.device, arg)
        elif isinstance(v, int) and not isinstance(v, bool) and not _INT64[0] <= v <= _INT64[1]:
            raise exc.InvalidArgument(f"kernel {name}: int {arg!r} = {v} does not fit in 64 bits", location=where)
        elif isinstance(v, hl.constexpr) and isinstance(v.value, int) and not _INT64[0] <= v.value <= _INT64[1]:
            raise exc.InvalidArgument(f"kernel {name}: hl.constexpr {arg!r} = {v.value} does not fit in 64 bits",
                                      location=where)
    if len(devices) > 1:
        listed = ", ".join(f"{a!r} on {d}" for d, a in devices.items())
        raise exc.InvalidArgument(f"kernel {name} got tensors on several devices ({listed}); move them to one device",
                                  location=where)
    return next(iter(devices), torch.device("cpu"))


def with_lifted_tensors(kernel, values: tuple) -> tuple:
    """The launch values plus the host tensors device code reads without the
    loop being handed them (globals, epilogue closures): kernel arguments like
    the others. Returns `values` itself when there are none."""
    extra = lifted_tensors(kernel._split, values)
    return values + tuple(t for _, t in extra) if extra else values


def host_codes(*fns) -> tuple[types.CodeType, ...]:
    return tuple(f.__code__ for f in fns if inspect.isfunction(f))
