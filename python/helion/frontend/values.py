"""Values seen while tracing device code, and their MLIR types."""
from __future__ import annotations

import dataclasses
import math
import struct

import torch

from .. import exc

_MLIR_DTYPES = {
    torch.float32: "f32",
    torch.float16: "f16",
    torch.bfloat16: "bf16",
    torch.float64: "f64",
    torch.int8: "i8",
    torch.uint8: "i8",
    torch.int16: "i16",
    torch.int32: "i32",
    torch.int64: "i64",
    torch.bool: "i1",
    torch.float8_e4m3fn: "f8E4M3FN",
    torch.float8_e5m2: "f8E5M2",
}


def mlir_dtype(dtype: torch.dtype, where: str | None = None) -> str:
    try:
        return _MLIR_DTYPES[dtype]
    except KeyError:
        raise exc.NotSupported(f"dtype {dtype} is not supported in device code", location=where) from None


def is_float(dtype: torch.dtype) -> bool:
    return dtype.is_floating_point


def float_attr(value: float, dtype: torch.dtype) -> str:
    """An MLIR float attribute; non-finite values as bit patterns."""
    t = mlir_dtype(dtype)
    if math.isfinite(value):
        return f"{float(value):.17e} : {t}"  # MLIR float literals need the '.': 1e-06 does not parse
    if dtype == torch.float32:
        bits = struct.unpack("<I", struct.pack("<f", value))[0]
        return f"0x{bits:08X} : f32"
    if dtype == torch.float64:
        bits = struct.unpack("<Q", struct.pack("<d", value))[0]
        return f"0x{bits:016X} : f64"
    bits = torch.tensor([value], dtype=dtype).view(torch.int16).item() & 0xFFFF
    return f"0x{bits:04X} : {t}"


@dataclasses.dataclass(frozen=True)
class Sym:
    """A tensor dim equal to block-size slot `slot`."""

    slot: int

    def __repr__(self) -> str:
        return f"block{self.slot}"


Dim = "int | Sym"


def tensor_type(dims: list, dtype: torch.dtype) -> str:
    parts = ["?" if isinstance(d, Sym) else str(d) for d in dims]
    enc = ""
    if any(isinstance(d, Sym) for d in dims):
        slots = ", ".join(str(d.slot) if isinstance(d, Sym) else "-1" for d in dims)
        enc = f", #tile.dims<[{slots}]>"
    return f"tensor<{'x'.join(parts)}x{mlir_dtype(dtype)}{enc}>"


@dataclasses.dataclass
class TensorArg:
    """A host tensor used in device code (a memref argument of the kernel)."""

    value: object  # ir.Value
    name: str
    dtype: torch.dtype
    shape: tuple
    strides: tuple
    device: object = None  # torch.device

    @property
    def ndim(self) -> int:
        return len(self.shape)


@dataclasses.dataclass
class DTensor:
    """A tensor living in one program (a tile of data)."""

    value: object
    dtype: torch.dtype
    dims: list

    @property
    def ndim(self) -> int:
        return len(self.dims)

    @property
    def type(self) -> str:
        return tensor_type(self.dims, self.dtype)


@dataclasses.dataclass
class Scalar:
    """A scalar device value; `dtype` is its torch dtype (index values: int64)."""

    value: object
    dtype: torch.dtype
    is_index: bool = False


@dataclasses.dataclass
class Tile:
    """A loop variable of hl.tile / hl.grid."""

    value: object
    block: "int | Sym"  # static block size or its slot
    scalar: bool = False  # hl.grid: behaves as a scalar index
    extent: "int | None" = None
    jagged: "DTensor | None" = None  # hl.jagged_tile: each parent lane's end


@dataclasses.dataclass
class BlockSize:
    """A block size returned by hl.register_block_size."""

    value: object
    slot: int
