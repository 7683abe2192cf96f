"""Reductions: torch reductions (sum, max, argmax, mean, var, softmax, ...)
decomposed into tile.reduce ops, masked past a tile's bound; hl.reduce with a
traced combine function."""
from __future__ import annotations

import math

import torch

from .. import exc
from .values import DTensor, Scalar, Sym, Tile


class ReductionsMixin:
    def reduction(self, kind: str, x, args: list, kwargs: dict):
        if not isinstance(x, DTensor):
            raise exc.TypeError_(f"{kind}() needs a device tensor, got {self.describe(x)}", location=self.where())
        dim = args[0] if args else kwargs.get("dim")
        keepdim = args[1] if len(args) > 1 and isinstance(args[1], bool) else kwargs.get("keepdim", False)
        if kind in ("softmax", "log_softmax"):
            if dim is None:
                raise exc.TypeError_(f"{kind}() needs dim=", location=self.where())
            axis = self.axis(dim, x.ndim)
            if "dtype" in kwargs and kwargs["dtype"] is not None:
                x = self.ops.cast(x, kwargs["dtype"])
            m = self._reduce_axis("max", x, axis, keepdim=True)
            shifted = self.ops.binary("sub", x, m)
            e = self.ops.unary("exp", shifted)
            total = self._reduce_axis("sum", e, axis, keepdim=True)
            if kind == "softmax":
                return self.ops.binary("truediv", e, total)
            return self.ops.binary("sub", shifted, self.ops.unary("log", total))
        if dim is None:
            if kind in ("max", "min") and not args:
                kind = "amax" if kind == "max" else "amin"
            axes = list(range(x.ndim))
        else:
            axes = [self.axis(d, x.ndim) for d in (dim if isinstance(dim, (list, tuple)) else [dim])]
            if len(set(axes)) != len(axes):
                raise exc.TypeError_(f"dim {dim} names a dim twice", location=self.where())
        if kind in ("max", "min") and dim is not None:
            if len(axes) != 1:
                raise exc.TypeError_(f"{kind}(dim) takes one dim", location=self.where())
            values = self._reduce_axis(kind, x, axes[0], keepdim)
            indices = self._reduce_axis("argmax" if kind == "max" else "argmin", x, axes[0], keepdim)
            return (values, indices)
        if kind in ("argmax", "argmin"):
            if dim is None:
                raise exc.NotSupported(f"{kind}() without dim in device code", location=self.where())
            return self._reduce_axis(kind, x, axes[0], keepdim)
        if kind in ("mean", "var", "std"):
            src = x if x.dtype.is_floating_point else self.ops.cast(x, torch.float32)
            total, count = src, None
            for axis in sorted(axes, reverse=True):
                n = self._valid_count(total, axis, scalar=len(axes) > 1)
                count = n if count is None else self.ops.binary("mul", count, n)
                total = self._reduce_axis("sum", total, axis, True)
            mean = self.ops.binary("truediv", total, count)
            if kind == "mean":
                return self._squeeze(mean, axes, keepdim)
            correction = kwargs.get("correction", 0 if kwargs.get("unbiased", True) is False else 1)
            if len(args) > 1 and isinstance(args[1], bool) and "keepdim" not in kwargs:
                correction = 1 if args[1] else 0
                keepdim = kwargs.get("keepdim", False)
            sq = self.ops.binary("pow", self.ops.binary("sub", src, mean), 2)
            for axis in sorted(axes, reverse=True):
                sq = self._reduce_axis("sum", sq, axis, True)
            var = self.ops.binary("truediv", sq, self.ops.binary("sub", count, correction))
            out = var if kind == "var" else self.ops.unary("sqrt", var)
            return self._squeeze(out, axes, keepdim)
        if kind == "logsumexp":
            m = x
            for axis in sorted(axes, reverse=True):
                m = self._reduce_axis("max", m, axis, True)
            s = self.ops.unary("exp", self.ops.binary("sub", x, m))
            for axis in sorted(axes, reverse=True):
                s = self._reduce_axis("sum", s, axis, True)
            return self._squeeze(self.ops.binary("add", m, self.ops.unary("log", s)), axes, keepdim)
        base = {"amax": "max", "amin": "min"}.get(kind, kind)
        out = x
        for axis in sorted(axes, reverse=True):
            out = self._reduce_axis(base, out, axis, keepdim)
        return out

    def user_reduce(self, combine_fn, input_tensor, dim=None, other=0, keep_dims=False):
        """hl.reduce: trace combine_fn's body into the combine region."""
        multi = isinstance(input_tensor, (tuple, list))
        xs = [self.operand(t) for t in (input_tensor if multi else [input_tensor])]
        if dim is None or not all(isinstance(x, DTensor) for x in xs):
            raise exc.NotSupported("hl.reduce needs device tensors and a dim", location=self.where())
        axis = self.axis(dim, xs[0].ndim)
        others = list(other) if isinstance(other, (tuple, list)) else [other] * len(xs)
        mask = self._lane_mask(xs[0], axis)
        if mask is not None:
            xs = [self.ops.where(mask, x, o) for x, o in zip(xs, others)]
        op, block, dims = self.b.reduce(xs, axis)
        n = len(xs)
        acc = [Scalar(v, x.dtype) for v, x in zip(block.arguments[:n], xs)]
        new = [Scalar(v, x.dtype) for v, x in zip(block.arguments[n:], xs)]
        saved_block, saved_loc = self.b.block, self.b.loc
        self.b.block = block
        out = self._trace_function(combine_fn, [tuple(acc), tuple(new)] if multi else [acc[0], new[0]])
        outs = list(out) if multi and isinstance(out, (tuple, list)) else [out]
        if len(outs) != n or any(o is None for o in outs):
            raise exc.TypeError_(f"hl.reduce combine_fn must return {n} value{'s' if n > 1 else ''}", location=self.where())
        self.b.yield_([self.ops.scalar(o, x.dtype).value for o, x in zip(outs, xs)])
        self.b.block, self.b.loc = saved_block, saved_loc
        results = [DTensor(op.result(i), x.dtype, list(dims)) if dims else Scalar(op.result(i), x.dtype) for i, x in enumerate(xs)]
        if keep_dims:
            results = [self.ops.expand_dims(r, axis) if isinstance(r, DTensor) else self.b.full(r, [1]) for r in results]
        return tuple(results) if multi else results[0]

    def _squeeze(self, x, axes, keepdim):
        if keepdim or not isinstance(x, DTensor):
            return x
        dims = [d for i, d in enumerate(x.dims) if i not in axes]
        if not dims:
            # Every dim reduced: a scalar.
            return self._make_reduce("sum", self.b.reshape(x, [1]), 0)
        return self.b.reshape(x, dims)

    def _live_tile(self, d):
        """The loop tile that masks dim `d` here: the tile of d's block-size
        slot while the current point is inside that tile's loop, else None.
        A value with a slot's dim used after the loop over that slot (an
        accumulator sized by hl.register_block_size, filled in
        `hl.tile(n, block_size=bn)` and reduced after it) has no lane past a
        bound: each of its lanes holds what the loop combined into it (the
        masked-off lanes of the loop's loads contributed their fill value)."""
        tile = self.tile_of_slot.get(d.slot) if isinstance(d, Sym) else None
        if tile is None or not self._dominates_here(tile.value):
            return None
        return tile

    def _dominates_here(self, value) -> bool:
        """Whether `value` (a loop's block argument or an op's result) is
        visible at the insertion point: defined in the current block or in a
        block of an op that encloses it."""
        block = self.b.block
        if any(a == value for a in block.arguments):
            return True
        ops = block.operations
        probe = None
        if ops:
            here = ops[0]
        else:  # an empty block: a throwaway op to find the enclosing ops from
            probe = here = self.b.index_const(0).owner
        defining = value.owner.parent if value.owner is not None else None
        found = False
        enclosing = here.parent
        while enclosing is not None and not found:
            if defining is not None:
                found = enclosing == defining
            else:
                found = any(a == value for region in enclosing.regions for blk in region.blocks for a in blk.arguments)
            enclosing = enclosing.parent
        if probe is not None:
            probe.erase()
        return found

    def _lane_mask(self, x: DTensor, axis: int):
        """An i1 tensor shaped like x: false on lanes past the reduced tile's
        bound (for a jagged tile, past each parent lane's end where x has the
        parent's dims); None where every lane holds data."""
        d = x.dims[axis]
        tile = self._live_tile(d)
        if tile is None:
            return None
        mask = self.ops.place(self._tile_mask(tile, d), axis, x.dims)
        jagged = self._jagged_mask(x.dims, only=d, required=False)
        return mask if jagged is None else self.ops.binary("and", mask, jagged)

    def _jagged_mask(self, dims: list, only=None, required: bool = True):
        """The per-lane masks of the hl.jagged_tile dims among `dims` (or just
        `only`): child index < the parent's end, broadcast over `dims`. A
        load or store must carry the parent's dims with the child's (which
        lanes would it mask otherwise); a reduction without them keeps the
        tile's own mask."""
        result = None
        for d in dims if only is None else [only]:
            tile = self._live_tile(d)
            if tile is None or tile.jagged is None:
                continue
            parent = tile.jagged
            missing = [p for p in parent.dims if p not in dims]
            if missing:
                if not required:
                    continue
                raise exc.TypeError_(f"this access uses a hl.jagged_tile dim ({d}) without the dims {missing} of its "
                                     f"ends' tiles; index with the parent tiles too (x[tile_b, tile_k]) so each lane "
                                     "is masked at its own end", location=self.where())
            index = self.ops.place(self.b.tile_index(tile.value, d), dims.index(d), dims)
            m = self.ops.compare("lt", index, self.ops.align(parent, dims))
            result = m if result is None else self.ops.binary("and", result, m)
        return result

    def _tile_mask(self, tile: Tile, d) -> DTensor:
        """The 1-d valid-lane mask of a tile whose dim is `d`."""
        return self.b.tile_mask(tile.value, d)

    def _valid_count(self, x: DTensor, axis: int, scalar: bool = False):
        """How many lanes of dim `axis` of x hold data: shaped like x reduced
        over axis (keepdim), or one scalar (to multiply the counts of several dims)."""
        d = x.dims[axis]
        if not isinstance(d, Sym):
            return float(d)
        tile = self._live_tile(d)
        if tile is None:  # every lane of the slot's block holds data
            return self.ops.cast(Scalar(self.slot_values[d.slot], torch.int64, True), torch.float32)
        if scalar:
            ones = self.ops.cast(self._tile_mask(tile, d), torch.float32)
            return self._make_reduce("sum", ones, 0)
        ones = self.ops.cast(self._lane_mask(x, axis), torch.float32)
        return self._make_reduce("sum", ones, axis, keepdim=True)

    def _reduce_axis(self, kind: str, x: DTensor, axis: int, keepdim: bool):
        out_dtype = x.dtype
        if kind in ("sum", "prod") and (not x.dtype.is_floating_point):
            out_dtype = torch.int64
        # Half-precision sums and products accumulate in float32, as torch's do.
        # (max/min/arg* stay in the half type; helion-legalize-for-triton
        # widens every half-precision reduce for Triton.)
        half = x.dtype in (torch.float16, torch.bfloat16)
        compute = torch.float32 if half and kind in ("sum", "prod") else out_dtype
        if kind in ("argmax", "argmin") and not x.dtype.is_floating_point:
            compute = x.dtype
        x = self.ops.cast(x, compute)
        mask = self._lane_mask(x, axis)
        if mask is not None:
            x = self.ops.where(mask, x, _identity(kind, compute))
        r = self._make_reduce(kind, x, axis, keepdim)
        if kind in ("argmax", "argmin"):
            return r
        return self.ops.cast(r, out_dtype)

    def _make_reduce(self, kind: str, x: DTensor, axis: int, keepdim: bool = False):
        dims = [d for i, d in enumerate(x.dims) if i != axis]
        operands = [x]
        if kind in ("argmax", "argmin"):
            d = x.dims[axis]
            tile = self._live_tile(d)
            if tile is not None:
                idx = self.b.tile_index(tile.value, d)
                begin = self.ops.cast(Scalar(self._tile_begin(tile), torch.int64, True), torch.int32)
                idx = self.ops.binary("sub", idx, begin)
            elif isinstance(d, Sym):  # the lanes of a block-size dim outside its loop: 0 .. block-1
                block = self.slot_values[d.slot]
                idx = self.b.tile_index(self.b.make_tile(self.zero_index, block, block), d)
            elif isinstance(d, int) and d & (d - 1) == 0:
                idx = self.ops.arange(0, d)
            else:
                raise exc.NotSupported(f"{kind} over a dim of size {d}", location=self.where())
            operands.append(self.ops.place(idx, axis, x.dims))
        op, block, dims = self.b.reduce(operands, axis)
        saved = self.b.block
        self.b.block = block
        n = len(operands)
        acc = [Scalar(v, o.dtype) for v, o in zip(block.arguments[:n], operands)]
        new = [Scalar(v, o.dtype) for v, o in zip(block.arguments[n:], operands)]
        if kind == "sum":
            out = [self.ops.binary("add", acc[0], new[0])]
        elif kind == "prod":
            out = [self.ops.binary("mul", acc[0], new[0])]
        elif kind in ("max", "min"):
            out = [self.ops.binary("maximum" if kind == "max" else "minimum", acc[0], new[0])]
        else:  # argmax / argmin: prefer the better value, then the lower index
            better = self.ops.compare("gt" if kind == "argmax" else "lt", new[0], acc[0])
            tie = self.ops.binary("and", self.ops.compare("eq", new[0], acc[0]), self.ops.compare("lt", new[1], acc[1]))
            take = self.ops.binary("or", better, tie)
            out = [self.ops.where(take, new[0], acc[0]), self.ops.where(take, new[1], acc[1])]
        self.b.yield_([o.value for o in out])
        self.b.block = saved
        results = [DTensor(op.result(i), o.dtype, list(dims)) if dims else Scalar(op.result(i), o.dtype)
                   for i, o in enumerate(operands)]
        r = results[-1] if kind in ("argmax", "argmin") else results[0]
        if kind in ("argmax", "argmin"):
            r = self.ops.cast(r, torch.int64)
        if keepdim:
            if isinstance(r, Scalar):
                r = self.b.full(r, [1] * x.ndim)
            else:
                r = self.ops.expand_dims(r, axis)
        return r


def _identity(kind: str, dtype: torch.dtype):
    big = math.inf if dtype.is_floating_point else (True if dtype == torch.bool else torch.iinfo(dtype).max)
    small = -math.inf if dtype.is_floating_point else (False if dtype == torch.bool else torch.iinfo(dtype).min)
    return {"sum": 0, "prod": 1, "max": small, "argmax": small, "min": big, "argmin": big}[kind]


