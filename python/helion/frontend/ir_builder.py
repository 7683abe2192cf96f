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
        except ir.MLIRError as e:  # the tracer let through something the op cannot take: a bug of ours
            raise exc.InternalError(f"building {name} failed: {e}", location=self.where()) from None

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


class TileBuilder(IRBuilder):
    """Typed builders for the tile dialect: the one place that spells its op
    names, operand segment sizes and result types. Values in and out are
    ir.Values, or DTensor/Scalar where the result has a torch dtype."""

    def _segments(self, *sizes: int):
        return self.ctx.parse_attr(f"array<i32: {', '.join(str(n) for n in sizes)}>")

    # -- structure -----------------------------------------------------------
    def kernel(self, name: str, arg_types: list[str], arg_attrs: list[str]):
        """A tile.kernel with one entry block; returns (op, block)."""
        fn_type = self.ctx.parse_type(f"({', '.join(arg_types)}) -> ()")
        op = self.op("tile.kernel", attributes={"sym_name": name, "function_type": fn_type,
                                                "arg_attrs": self.ctx.parse_attr(f"[{', '.join(arg_attrs)}]")}, regions=1)
        return op, op.regions[0].add_block([self.type(t) for t in arg_types])

    def block_size(self, before, slot: int, reduction: bool, extent):
        """A tile.block_size op for `slot`, placed before op `before`."""
        attrs = {"slot": slot}
        if reduction:
            attrs["reduction"] = True
        if isinstance(extent, int):
            attrs["extent"] = extent
        return ir.Builder.before(before).create("tile.block_size", results=[self.type("index")], attributes=attrs,
                                                loc=self.loc)

    def grid(self, lbs, ubs, steps):
        """A tile.grid over len(lbs) dims; returns (op, body block)."""
        n = len(lbs)
        op = self.op("tile.grid", lbs + ubs + steps, attributes={"operandSegmentSizes": self._segments(n, n, n)}, regions=1)
        return op, op.regions[0].add_block([self.type("!tile.tile")] * n)

    def for_(self, lbs, ubs, steps, inits, init_types):
        """A tile.for carrying `inits`; returns (op, body block)."""
        n = len(lbs)
        op = self.op("tile.for", lbs + ubs + steps + inits, init_types,
                     attributes={"operandSegmentSizes": self._segments(n, n, n, len(inits))}, regions=1)
        return op, op.regions[0].add_block([self.type("!tile.tile")] * n + init_types)

    def reduce(self, operands: list, axis: int):
        """A tile.reduce of DTensors along `axis`; returns (op, combine block, result dims)."""
        dims = [d for i, d in enumerate(operands[0].dims) if i != axis]
        result_types = [tensor_type(dims, o.dtype) if dims else mlir_dtype(o.dtype) for o in operands]
        op = self.op("tile.reduce", [o.value for o in operands], result_types, {"axis": axis}, regions=1)
        block = op.regions[0].add_block([self.type(mlir_dtype(o.dtype)) for o in operands] * 2)
        return op, block, dims

    def scan(self, operands: list, axis: int, reverse: bool):
        """A tile.scan of DTensors of one shape along `axis`; returns (op, combine block)."""
        attrs = {"axis": axis}
        if reverse:
            attrs["reverse"] = True
        op = self.op("tile.scan", [o.value for o in operands], [o.type for o in operands], attrs, regions=1)
        return op, op.regions[0].add_block([self.type(mlir_dtype(o.dtype)) for o in operands] * 2)

    def yield_(self, values=()) -> None:
        self.op("tile.yield", list(values))

    # -- structured control flow on device values (scf) --------------------------
    def if_(self, cond, result_types: list):
        """An scf.if on an i1 scalar, its two regions empty; returns the op."""
        return self.op("scf.if", [cond], result_types, regions=2)

    def while_(self, inits: list, types: list):
        """An scf.while carrying `inits` (of `types`), its two regions empty."""
        return self.op("scf.while", inits, types, regions=2)

    def condition(self, cond, values: list) -> None:
        """The end of an scf.while's before region: continue while `cond`."""
        self.op("scf.condition", [cond] + list(values))

    def scf_yield(self, values: list) -> None:
        self.op("scf.yield", values)

    def return_(self) -> None:
        self.op("tile.return")

    # -- tiles -----------------------------------------------------------------
    def make_tile(self, begin, end, block):
        return self.op1("tile.make_tile", [begin, end, block], "!tile.tile")

    def tile_begin(self, tile):
        return self.op1("tile.begin", [tile], "index")

    def tile_end(self, tile):
        return self.op1("tile.end", [tile], "index")

    def tile_block(self, tile):
        return self.op1("tile.block", [tile], "index")

    def tile_index(self, tile, dim) -> DTensor:
        """The int32 indices of a tile whose dim is `dim`."""
        return DTensor(self.op1("tile.index", [tile], tensor_type([dim], torch.int32)), torch.int32, [dim])

    def tile_mask(self, tile, dim) -> DTensor:
        """The valid-lane mask of a tile whose dim is `dim`."""
        return DTensor(self.op1("tile.mask", [tile], tensor_type([dim], torch.bool)), torch.bool, [dim])

    # -- memory ----------------------------------------------------------------
    def load(self, memref, indices: list, mask, dtype: torch.dtype, dims: list):
        """A tile.load: a DTensor of `dims`, or a Scalar when dims is empty."""
        seg = {"operandSegmentSizes": self._segments(1, len(indices), 0 if mask is None else 1, 0)}
        operands = [memref] + indices + ([mask] if mask is not None else [])
        if not dims:
            return Scalar(self.op1("tile.load", operands, mlir_dtype(dtype), seg), dtype)
        return DTensor(self.op1("tile.load", operands, tensor_type(dims, dtype), seg), dtype, list(dims))

    def store(self, value, memref, indices: list, mask) -> None:
        seg = {"operandSegmentSizes": self._segments(1, 1, len(indices), 0 if mask is None else 1)}
        self.op("tile.store", [value, memref] + indices + ([mask] if mask is not None else []), attributes=seg)

    def atomic_rmw(self, kind: str, value, memref, indices: list, mask, sem: str):
        """A tile.atomic_rmw of `value` (a DTensor or Scalar); returns the old values."""
        seg = {"operandSegmentSizes": self._segments(1, 1, len(indices), 0 if mask is None else 1)}
        v = self.op1("tile.atomic_rmw", [value.value, memref] + indices + ([] if mask is None else [mask]),
                     value.type if isinstance(value, DTensor) else mlir_dtype(value.dtype), {"kind": kind, "sem": sem, **seg})
        return DTensor(v, value.dtype, list(value.dims)) if isinstance(value, DTensor) else Scalar(v, value.dtype)

    def atomic_cas(self, cmp, value, memref, indices: list, sem: str):
        """A tile.atomic_cas (no mask: Triton's atomic_cas takes none); returns the old values."""
        v = self.op1("tile.atomic_cas", [cmp.value, value.value, memref] + indices, cmp.type if isinstance(cmp, DTensor)
                     else mlir_dtype(cmp.dtype), {"sem": sem})
        return DTensor(v, cmp.dtype, list(cmp.dims)) if isinstance(cmp, DTensor) else Scalar(v, cmp.dtype)

    @staticmethod
    def is_load(value) -> bool:
        """Whether `value` is the result of a tile.load."""
        return value.owner is not None and value.owner.name == "tile.load"

    # -- tensors ---------------------------------------------------------------
    def dot(self, a: DTensor, b: DTensor, acc: DTensor, precision: str) -> DTensor:
        v = self.op1("tile.dot", [a.value, b.value, acc.value], tensor_type(acc.dims, acc.dtype), {"input_precision": precision})
        return DTensor(v, acc.dtype, list(acc.dims))

    def reshape(self, x: DTensor, dims: list) -> DTensor:
        return DTensor(self.op1("tile.reshape", [x.value], tensor_type(dims, x.dtype)), x.dtype, list(dims))

    def permute(self, x: DTensor, perm: list) -> DTensor:
        dims = [x.dims[p] for p in perm]
        return DTensor(self.op1("tile.permute", [x.value], tensor_type(dims, x.dtype), {"permutation": perm}), x.dtype, dims)

    def broadcast(self, x: DTensor, dims: list) -> DTensor:
        return DTensor(self.op1("tile.broadcast", [x.value], tensor_type(dims, x.dtype)), x.dtype, list(dims))

    def rebind(self, x: DTensor, dims: list) -> DTensor:
        return DTensor(self.op1("tile.rebind", [x.value], tensor_type(dims, x.dtype)), x.dtype, list(dims))

    def expand_dims(self, x: DTensor, axis: int) -> DTensor:
        dims = list(x.dims)
        dims.insert(axis, 1)
        return DTensor(self.op1("tile.expand_dims", [x.value], tensor_type(dims, x.dtype), {"axis": axis}), x.dtype, dims)

    def extract_slice(self, x: DTensor, axis: int, offset: int, length: int) -> DTensor:
        dims = list(x.dims)
        dims[axis] = length
        v = self.op1("tile.extract_slice", [x.value], tensor_type(dims, x.dtype), {"axis": axis, "offset": offset})
        return DTensor(v, x.dtype, dims)

    def arange(self, start: int, end: int) -> DTensor:
        n = end - start
        v = self.op1("tile.arange", [], tensor_type([n], torch.int32), {"start": start, "end": end})
        return DTensor(v, torch.int32, [n])


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
