"""MLIR types as the executor sees them: shape, kind, torch dtype, bit width."""
from __future__ import annotations

import re

import torch

from helion.exc import CpuExecutionError

DTYPES = {
    "i1": torch.bool,
    "i8": torch.int8,
    "i16": torch.int16,
    "i32": torch.int32,
    "i64": torch.int64,
    "index": torch.int64,
    "f16": torch.float16,
    "bf16": torch.bfloat16,
    "f32": torch.float32,
    "f64": torch.float64,
    "f8E4M3FN": torch.float8_e4m3fn,
    "f8E5M2": torch.float8_e5m2,
    "f8E4M3FNUZ": torch.float8_e4m3fnuz,
    "f8E5M2FNUZ": torch.float8_e5m2fnuz,
}
FP8 = {torch.float8_e4m3fn, torch.float8_e5m2, torch.float8_e4m3fnuz, torch.float8_e5m2fnuz}
# Largest finite values: the GPU converts to fp8 with .satfinite (saturating).
FP8_MAX = {torch.float8_e4m3fn: 448.0, torch.float8_e5m2: 57344.0,
           torch.float8_e4m3fnuz: 240.0, torch.float8_e5m2fnuz: 57344.0}
INT_OF_WIDTH = {8: torch.int8, 16: torch.int16, 32: torch.int32, 64: torch.int64}


class TypeInfo:
    """What the executor needs to know about an MLIR type."""

    __slots__ = ("text", "shape", "kind", "dtype", "width", "block")

    def __init__(self, text, shape, kind, dtype, width, block=None):
        self.text = text
        self.shape = shape  # tuple for tensors, None for scalars
        self.kind = kind  # "int" | "float" | "ptr" | "blockptr" | "desc"
        self.dtype = dtype  # element dtype; for pointers the pointee dtype
        self.width = width  # element bit width (ints/floats)
        self.block = block  # block shape of a block pointer / tensor descriptor

    @property
    def is_int(self):
        return self.kind == "int"

    @property
    def is_float(self):
        return self.kind == "float"


_TENSOR_RE = re.compile(r"tensor<((?:\d+x)*)(.+?)(?:,\s*#.*)?>$")
_TYPE_CACHE: dict[str, TypeInfo] = {}


def _split_top(s: str) -> str:
    """Drops a trailing `, <address space>` at nesting depth 0 of a ptr<...> body."""
    depth = 0
    for i, ch in enumerate(s):
        if ch == "<":
            depth += 1
        elif ch == ">":
            depth -= 1
        elif ch == "," and depth == 0:
            return s[:i].strip()
    return s.strip()


def _scalar_info(text: str, shape) -> TypeInfo:
    if text in DTYPES:
        dt = DTYPES[text]
        kind = "float" if dt.is_floating_point else "int"
        width = 1 if dt == torch.bool else (64 if text == "index" else torch.empty(0, dtype=dt).element_size() * 8)
        return TypeInfo(text, shape, kind, dt, width)
    for prefix, kind in (("!tt.ptr<", "ptr"), ("!tt.tensordesc<", "desc")):
        if text.startswith(prefix) and text.endswith(">"):
            inner = _split_top(text[len(prefix):-1])
            m = _TENSOR_RE.match(inner)
            if m:  # pointer to a block (make_tensor_ptr) or a tensor descriptor
                block = tuple(int(d) for d in m.group(1).split("x") if d)
                elt = _scalar_info(m.group(2).strip(), None)
                return TypeInfo(text, shape, "blockptr" if kind == "ptr" else "desc", elt.dtype, elt.width, block)
            if kind == "ptr":
                elt = _scalar_info(inner, None)
                if elt.kind not in ("int", "float"):
                    break
                return TypeInfo(text, shape, "ptr", elt.dtype, elt.width)
    raise CpuExecutionError(f"the CPU executor does not support the type '{text}'")


def type_info(t) -> TypeInfo:
    """The TypeInfo of an MLIR type (or its text), cached by text."""
    text = str(t)
    info = _TYPE_CACHE.get(text)
    if info is None:
        if text.startswith("tensor<"):
            m = _TENSOR_RE.match(text)
            if not m:
                raise CpuExecutionError(f"the CPU executor does not support the type '{text}'")
            shape = tuple(int(d) for d in m.group(1).split("x") if d)
            info = _scalar_info(m.group(2).strip(), shape)
            info.text = text
        else:
            info = _scalar_info(text, None)
        _TYPE_CACHE[text] = info
    return info
