"""Scans: torch.cumsum / cumprod, hl.cumsum / cumprod and
hl.associative_scan with a traced combine function, as tile.scan ops (an
inclusive scan along one dim with a combine region, like tile.reduce's).

Lanes past a tile's bound come after the valid lanes, so a forward scan never
carries them into valid lanes; a reverse scan starts from them, so they are
masked first (to the identity, or with a validity flag where the combine
function's identity is unknown)."""
from __future__ import annotations

import inspect

import torch

from .. import exc
from .inlining import DeviceLambda
from .values import DTensor, Scalar

HALF = (torch.float16, torch.bfloat16)


class ScansMixin:
    def cumulative(self, kind: str, x, dim, reverse: bool = False, dtype: torch.dtype | None = None):
        """cumsum / cumprod of a device tensor along `dim` in torch's dtypes:
        integers and bools give int64, half types accumulate in float32 and
        round each result once (as torch's CPU kernel does)."""
        x = self.operand(x)
        if not isinstance(x, DTensor):
            raise exc.TypeError_(f"{kind}() needs a device tensor, got {self.describe(x)}", location=self.where())
        axis = self.axis(dim, x.ndim)
        if dtype is not None:
            x = self.ops.cast(x, dtype)  # torch casts the input first and keeps that dtype
        out_dtype = dtype or (x.dtype if x.dtype.is_floating_point else torch.int64)
        compute = torch.float32 if out_dtype in HALF else out_dtype
        x = self.ops.cast(x, compute)
        identity = 0 if kind == "cumsum" else 1
        if reverse:
            mask = self._lane_mask(x, axis)
            if mask is not None:
                x = self.ops.where(mask, x, identity)
        op = "add" if kind == "cumsum" else "mul"
        (r,) = self._scan([x], axis, reverse, lambda acc, new: [self.ops.binary(op, acc[0], new[0])])
        return self.ops.cast(r, out_dtype)

    def user_scan(self, combine_fn, input_tensor, dim, reverse=False):
        """hl.associative_scan: combine_fn's body traced into the combine region.
        combine_fn(a, b) takes the accumulated value first; over a tuple of
        tensors it takes two tuples, or the 2N values unpacked."""
        multi = isinstance(input_tensor, (tuple, list))
        xs = [self.operand(t) for t in (input_tensor if multi else [input_tensor])]
        if not xs or not all(isinstance(x, DTensor) for x in xs):
            raise exc.TypeError_(f"hl.associative_scan needs device tensors, got {self.describe(input_tensor)}",
                                 location=self.where())
        if any(x.dims != xs[0].dims for x in xs):
            raise exc.TypeError_(f"hl.associative_scan over tensors of different shapes {[x.dims for x in xs]}",
                                 location=self.where())
        if not isinstance(reverse, bool):
            raise exc.TypeError_(f"hl.associative_scan: reverse must be a bool, got {self.describe(reverse)}",
                                 location=self.where())
        axis = self.axis(dim, xs[0].ndim)
        n = len(xs)
        unpacked = multi and _takes(combine_fn, 2 * n)
        # The combine function's identity is unknown: a reverse scan carries a
        # flag of "holds a valid lane" and skips invalid sides (still associative).
        mask = self._lane_mask(xs[0], axis) if reverse else None

        def body(acc, new):
            if multi:
                args = [*acc[:n], *new[:n]] if unpacked else [tuple(acc[:n]), tuple(new[:n])]
            else:
                args = [acc[0], new[0]]
            out = self._trace_function(combine_fn, args)
            outs = list(out) if multi and isinstance(out, (tuple, list)) else [out]
            if len(outs) != n or any(not isinstance(o, (Scalar, bool, int, float)) for o in outs):
                raise exc.TypeError_(f"hl.associative_scan combine_fn must return {n} value{'s' if n > 1 else ''} "
                                     f"computed from its arguments, got {self.describe(out)}", location=self.where())
            outs = [self.ops.scalar(o, x.dtype) for o, x in zip(outs, xs)]
            if mask is None:
                return outs
            va, vb = acc[n], new[n]
            outs = [self.ops.where(va, self.ops.where(vb, o, a), b) for o, a, b in zip(outs, acc, new)]
            return outs + [self.ops.binary("or", va, vb)]

        results = self._scan(xs + ([] if mask is None else [mask]), axis, reverse, body)[:n]
        return tuple(results) if multi else results[0]

    def _scan(self, xs: list, axis: int, reverse: bool, body) -> list:
        """A tile.scan of xs; body(acc, new) (Scalars) returns the combined Scalars."""
        op, block = self.b.scan(xs, axis, reverse)
        n = len(xs)
        acc = [Scalar(v, x.dtype) for v, x in zip(block.arguments[:n], xs)]
        new = [Scalar(v, x.dtype) for v, x in zip(block.arguments[n:], xs)]
        saved_block, saved_loc = self.b.block, self.b.loc
        self.b.block = block
        try:
            outs = body(acc, new)
            self.b.yield_([self.ops.scalar(o, x.dtype).value for o, x in zip(outs, xs)])
        finally:
            self.b.block, self.b.loc = saved_block, saved_loc
        return [DTensor(op.result(i), x.dtype, list(x.dims)) for i, x in enumerate(xs)]


def _takes(fn, n: int) -> bool:
    """Whether fn can be called with n positional arguments."""
    if isinstance(fn, DeviceLambda):
        return len(fn.node.args.args) == n
    try:
        inspect.signature(fn).bind(*range(n))
    except (TypeError, ValueError):
        return False
    return True
