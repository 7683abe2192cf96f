"""A thin typed layer over helion._mlir for emitting tile IR."""
from __future__ import annotations

import torch

from .. import _mlir as ir
from .. import exc
from .values import DTensor, Scalar, Sym, float_attr, mlir_dtype, tensor_type


class IRBuilder:
    """Creates operations at an insertion point, stamped with the user's source location."""

    def __init__(self, ctx: ir.Context, filename: str) -> None:
        self.ctx = ctx
        self.filename = filename
        self.block = None
        self.loc = None  # (file, line, col) of the statement being traced
        self._types: dict[str, object] = {}

    # -- plumbing ----------------------------------------------------------
    def type(self, text: str):
        t = self._types.get(text)
        if t is None:
            t = self._types[text] = self.ctx.parse_type(text)
        return t

    def where(self) -> str:
        if self.loc is None:
            return self.filename
        return f"{self.loc[0]}:{self.loc[1]}"

    def op(self, name: str, operands=(), results=(), attributes=None, regions: int = 0):
        b = ir.Builder.at_end(self.block)
        try:
            return b.create(
                name,
                operands=list(operands),
                results=[self.type(r) if isinstance(r, str) else r for r in results],
                attributes=attributes or {},
                regions=regions,
                loc=self.loc,
            )
        except ir.MLIRError as e:
            raise exc.CompilationError(f"{self.where()}: {e}") from None

    def op1(self, name: str, operands=(), result: str = "", attributes=None):
        return self.op(name, operands, [result], attributes).result()

    # -- constants -----------------------------------------------------------
    def index_const(self, v: int):
        return self.op1("arith.constant", [], "index", {"value": self.ctx.parse_attr(f"{int(v)} : index")})

    def scalar_const(self, v, dtype: torch.dtype):
        t = mlir_dtype(dtype, self.where())
        if dtype == torch.bool:
            text = f"{'true' if v else 'false'}"
        elif dtype.is_floating_point:
            try:
                text = float_attr(float(v), dtype)
            except OverflowError:
                raise exc.TypeError_(f"the constant {v} does not fit in {dtype}", location=self.where()) from None
        else:
            text = f"{_wrap_int(int(v), dtype, self.where())} : {t}"
        return Scalar(self.op1("arith.constant", [], t, {"value": self.ctx.parse_attr(text)}), dtype)

    def full(self, scalar: Scalar, dims: list) -> DTensor:
        return DTensor(self.op1("tile.full", [scalar.value], tensor_type(dims, scalar.dtype)), scalar.dtype, list(dims))


def _wrap_int(v: int, dtype: torch.dtype, where: str) -> int:
    """An integer constant as torch converts a Python int for an op on a
    tensor of `dtype`: wrapped to its width (int32 tensor * 2**40 wraps), and
    refused past int64 (torch raises there too)."""
    if not -(1 << 63) <= v < (1 << 64):
        raise exc.TypeError_(f"the integer constant {v} does not fit in 64 bits", location=where)
    bits = dtype.itemsize * 8
    if dtype == torch.uint8:
        return v % (1 << bits)
    return (v + (1 << (bits - 1))) % (1 << bits) - (1 << (bits - 1))


def dims_of_type(t) -> list:
    """Dims of an ir.Type tensor as ints and Syms."""
    return [Sym(s) if d < 0 else d for d, s in zip(t.shape, t.block_slots)]
