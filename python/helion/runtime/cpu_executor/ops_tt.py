"""tt ops on values: shapes, ranges, program ids, pointer arithmetic, tt.dot,
tt.fp_to_fp. Memory access (loads, stores, atomics) is in ops_memory."""
from __future__ import annotations

import torch

from .memory import Ptr
from .numerics import fp_saturate, round_tf32, round_toward_zero
from .plan import fn_op, step_op


def _shape_fn(f):
    """Applies a shape op to values and to the offsets of tensors of pointers."""
    def factory(o):
        g = f(o)
        if o.in_types and o.in_types[0].kind == "ptr":
            return lambda p, *rest: Ptr(p.buf, g(p.off, *rest))
        return g
    return factory


fn_op("tt.splat")(_shape_fn(lambda o: (lambda x, s=o.out.shape: x.expand(s))))
fn_op("tt.broadcast")(_shape_fn(lambda o: (lambda x, s=o.out.shape: x.expand(s))))
fn_op("tt.reshape")(_shape_fn(lambda o: (lambda x, s=o.out.shape: x.reshape(s))))
fn_op("tt.expand_dims")(_shape_fn(lambda o: (lambda x, a=o.attrs["axis"]: x.unsqueeze(a))))
fn_op("tt.trans")(_shape_fn(lambda o: (lambda x, p=tuple(o.attrs["order"]): x.permute(p))))


# join, split, gather and histogram are not emitted by the lowering; they stay
# for test_shape_ops_gather_histogram.
@fn_op("tt.join")
def _join(o):
    if o.in_types[0].kind == "ptr":
        return lambda a, b: Ptr(a.buf, torch.stack([a.off, b.off], -1))
    return lambda a, b: torch.stack([a, b], -1)


@fn_op("tt.split")
def _split(o):
    if o.in_types[0].kind == "ptr":
        return lambda p: tuple(Ptr(p.buf, x) for x in p.off.unbind(-1))
    return lambda x: x.unbind(-1)


@fn_op("tt.gather")
def _gather(o):
    axis = o.attrs["axis"]
    return lambda src, idx: torch.gather(src, axis, idx.to(torch.int64))


@fn_op("tt.histogram")
def _histogram(o):
    nbins, dt = o.out.shape[0], o.out.dtype

    def hist(x, mask=None):
        v = x.reshape(-1)
        if mask is not None:
            v = v[torch.broadcast_to(mask, x.shape).reshape(-1)]
        v = v[(v >= 0) & (v < nbins)]
        return torch.bincount(v.to(torch.int64), minlength=nbins).to(dt)
    return hist


@fn_op("tt.make_range")
def _make_range(o):
    t = torch.arange(o.attrs["start"], o.attrs["end"], dtype=o.out.dtype)
    return lambda: t


@step_op("tt.get_program_id")
def _program_id(o):
    axis, (r,) = o.attrs["axis"], o.outs

    def step(env):
        env[r] = env[0].pid_t[axis]
    return step


@fn_op("tt.addptr")
def _addptr(o):
    # Offsets sign-extend to i64: int64 + int32 promotes to int64 (both operands
    # have the same shape, so torch's 0-d promotion rule never applies).
    return lambda p, d: Ptr(p.buf, p.off + d)


@fn_op("tt.dot")
def _dot(o):
    a_t, b_t = o.in_types[0], o.in_types[1]
    acc = o.out.dtype
    prec = o.attrs.get("inputPrecision", 2)  # TF32=0 TF32x3=1 IEEE=2 BF16x3=3 BF16x6=4
    batched = len(o.out.shape) == 3
    mm = torch.baddbmm if batched else torch.addmm
    if a_t.is_int:
        def dot_int(a, b, c):  # exact in int64, wraps like the GPU's i32 accumulator
            return (torch.matmul(a.to(torch.int64), b.to(torch.int64)) + c.to(torch.int64)).to(acc)
        return dot_int
    if a_t.dtype == torch.float64:
        return lambda a, b, c: mm(c.double(), a, b).to(acc)
    if a_t.dtype == torch.float32 and b_t.dtype == torch.float32 and prec == 0:
        pre = round_tf32  # tensor cores read tf32: round the inputs, multiply/accumulate in fp32
    else:
        # IEEE / TF32x3 / BF16x3 / BF16x6 (~fp32 accurate); fp16/bf16/fp8 products are exact in fp32.
        pre = None

    def dot(a, b, c):
        a = a.float()
        b = b.float()
        if pre is not None:
            a, b = pre(a), pre(b)
        return mm(c.float(), a, b).to(acc)
    return dot


# Not emitted by the lowering; stays for test_convert_bf16_and_fp8 and
# test_bf16_reduce_and_rtz_conversions (fp8 saturation, RTZ rounding).
@fn_op("tt.fp_to_fp")
def _fp_to_fp(o):
    src, dst = o.in_types[0].dtype, o.out.dtype
    down = torch.finfo(dst).bits < torch.finfo(src).bits or (
        torch.finfo(dst).bits == torch.finfo(src).bits and src != dst)
    if not down:
        return lambda x: x.to(dst)
    rtz = o.attrs.get("rounding", 1) == 0
    wide = torch.float64 if src == torch.float64 else torch.float32

    def f(x):
        x = fp_saturate(x.to(wide), dst)
        return round_toward_zero(x, dst) if rtz else x.to(dst)
    return f
