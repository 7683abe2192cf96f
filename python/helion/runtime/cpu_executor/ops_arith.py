"""arith ops (and tt.bitcast of values).

The set is what the lowering emits: the tile IR's arith ops pass through
convert-tile-to-triton unchanged, plus what canonicalize/cse make of them
(select of 1/0 -> extui, select of false/true -> xori). index_cast never
reaches the TTIR (the converter turns it into extsi/trunci).
"""
from __future__ import annotations

import ast
import re

import torch

from helion.exc import CpuExecutionError

from .memory import Buffer, Ptr
from .numerics import (ceildivsi, divsi, float_to_int, floordivsi, lowp, make_cmpf, make_cmpi, make_divui,
                       make_remui, make_shrui, remsi, ukey, zext)
from .plan import fn_op
from .types import FP8, TypeInfo


def _parse_dense(text: str, info: TypeInfo):
    """A non-splat dense constant from its MLIR text: dense<[...]> or dense<"0x...">."""
    m = re.match(r"dense<(.*)>\s*:", text, re.S)
    if not m:
        raise CpuExecutionError(f"cannot parse constant {text}")
    body = m.group(1).strip()
    if body.startswith('"0x'):
        raw = bytes.fromhex(body[3:-1])
        t = torch.frombuffer(bytearray(raw), dtype=info.dtype if info.dtype != torch.bool else torch.uint8)
        return t.to(info.dtype).reshape(info.shape) if info.dtype == torch.bool else t.reshape(info.shape).clone()
    body = body.replace("true", "True").replace("false", "False")
    vals = ast.literal_eval(body)
    return torch.tensor(vals, dtype=info.dtype).reshape(info.shape)


@fn_op("arith.constant")
def _constant(o):
    info = o.out
    v = o.attrs.get("value")
    if isinstance(v, (bool, int, float)):
        scalar = torch.tensor(v, dtype=info.dtype)
        # A splat is a broadcast view: no memory, and values are never mutated in place.
        t = scalar if info.shape is None else scalar.expand(info.shape)
    else:
        t = _parse_dense(str(v), info)
    return lambda: t


def float_op(torch_fn):
    """A factory for a float op: torch_fn, through fp32 for fp8 operands."""
    def factory(o):
        dt = o.out.dtype
        return lowp(torch_fn, dt) if dt in FP8 else torch_fn
    return factory


# maxnumf is not emitted by the lowering (max reductions use maximumf); it stays
# for test_row_reduce_sum_and_max (a NaN-ignoring max reduce region).
for _n, _f in {"arith.addf": torch.add, "arith.subf": torch.sub, "arith.mulf": torch.mul,
               "arith.divf": torch.div, "arith.maximumf": torch.maximum,
               "arith.minimumf": torch.minimum, "arith.maxnumf": torch.fmax}.items():
    fn_op(_n)(float_op(_f))


@fn_op("arith.addi", "arith.subi", "arith.muli", "arith.andi", "arith.ori", "arith.xori",
       "arith.maxsi", "arith.minsi", "arith.maxui", "arith.minui", "arith.shli", "arith.shrsi",
       "arith.shrui", "arith.divsi", "arith.remsi", "arith.divui", "arith.remui",
       "arith.floordivsi", "arith.ceildivsi")
def _int_binop(o):
    info = o.out
    dt, w, op = info.dtype, info.width, o.name[6:]
    if dt == torch.bool:
        # i1 arithmetic is arithmetic mod 2; signed i1 is {0, -1}.
        table = {"addi": torch.bitwise_xor, "subi": torch.bitwise_xor, "muli": torch.bitwise_and,
                 "andi": torch.bitwise_and, "ori": torch.bitwise_or, "xori": torch.bitwise_xor,
                 "maxsi": torch.bitwise_and, "minsi": torch.bitwise_or,
                 "maxui": torch.bitwise_or, "minui": torch.bitwise_and}
        if op not in table:
            raise o.error("not supported on i1")
        return table[op]
    table = {
        "addi": torch.add, "subi": torch.sub, "muli": torch.mul,
        "andi": torch.bitwise_and, "ori": torch.bitwise_or, "xori": torch.bitwise_xor,
        "maxsi": torch.maximum, "minsi": torch.minimum,
        "shli": torch.bitwise_left_shift, "shrsi": torch.bitwise_right_shift,
        "divsi": divsi, "remsi": remsi, "floordivsi": floordivsi, "ceildivsi": ceildivsi,
    }
    if op in table:
        return table[op]
    if op == "maxui":
        return lambda a, b: torch.where(ukey(a, w) >= ukey(b, w), a, b)
    if op == "minui":
        return lambda a, b: torch.where(ukey(a, w) <= ukey(b, w), a, b)
    return {"shrui": make_shrui, "divui": make_divui, "remui": make_remui}[op](dt, w)


@fn_op("arith.cmpi")
def _cmpi(o):
    return make_cmpi(o.attrs["predicate"], o.in_types[0].width)


@fn_op("arith.cmpf")
def _cmpf(o):
    f = make_cmpf(o.attrs["predicate"])
    return lowp(f, torch.bool) if o.in_types[0].dtype in FP8 else f


@fn_op("arith.select")
def _select(o):
    if o.out.kind == "ptr":
        def select_ptr(c, a, b):
            if c.dim() == 0:
                return a if bool(c) else b
            if a.buf is not b.buf:
                raise CpuExecutionError("select between pointers into different arguments is not supported")
            return Ptr(a.buf, torch.where(c, a.off, b.off))
        return select_ptr
    return torch.where


@fn_op("arith.extf", "arith.truncf")
def _float_cast(o):
    dt = o.out.dtype
    return lambda x: x.to(dt)


@fn_op("arith.extsi")
def _extsi(o):
    dt = o.out.dtype
    if o.in_types[0].dtype == torch.bool:
        return lambda x: -(x.to(dt))
    return lambda x: x.to(dt)


@fn_op("arith.extui")
def _extui(o):
    dt, src = o.out.dtype, o.in_types[0]
    if src.dtype == torch.bool:
        return lambda x: x.to(dt)
    mask = (1 << src.width) - 1
    return lambda x: x.to(dt) & mask


@fn_op("arith.trunci")
def _trunci(o):
    dt = o.out.dtype
    if dt == torch.bool:
        return lambda x: (x & 1) != 0
    return lambda x: x.to(dt)  # torch integer narrowing wraps (keeps the low bits)


@fn_op("arith.sitofp")
def _sitofp(o):
    dt = o.out.dtype
    if o.in_types[0].dtype == torch.bool:
        return lambda x: torch.where(x, -1.0, 0.0).to(dt)
    return lambda x: x.to(dt)


@fn_op("arith.uitofp")
def _uitofp(o):
    dt, w = o.out.dtype, o.in_types[0].width
    if w == 1:
        return lambda x: x.to(dt)
    if w == 64:
        return lambda x: (x.to(torch.float64) + torch.where(x < 0, 2.0 ** 64, 0.0)).to(dt)
    return lambda x: zext(x, w).to(dt)


@fn_op("arith.fptosi", "arith.fptoui")
def _fptoi(o):
    info = o.out
    signed = o.name == "arith.fptosi"
    if info.dtype == torch.bool:
        return lambda x: x != 0
    return lambda x: float_to_int(x, info.dtype, info.width, signed)


# Values reinterpret their bits; pointers (float atomic max/min address the
# same memory as ints of the same width) view their buffer as the new type.
@fn_op("tt.bitcast")
def _bitcast(o):
    src, dst = o.in_types[0], o.out
    if dst.kind == "ptr" or src.kind == "ptr":
        if dst.kind != "ptr" or src.kind != "ptr" or dst.width != src.width:
            raise o.error(f"bitcast {src.text} -> {dst.text}: only pointers to types of one width")
        dt = dst.dtype
        return lambda p: Ptr(Buffer(p.buf.flat.view(dt), p.buf.base, p.buf.arg), p.off)
    if dst.kind != "int" and dst.kind != "float":
        raise o.error(f"bitcast {src.text} -> {dst.text} is not supported")
    if src.dtype == dst.dtype:
        return lambda x: x
    dt = dst.dtype
    if src.dtype == torch.bool or dt == torch.bool:
        return lambda x: x.to(dt)
    return lambda x: x.contiguous().view(dt)
