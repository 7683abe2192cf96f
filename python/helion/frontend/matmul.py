"""Matrix products: matmul, mm, bmm, addmm, baddbmm and hl.dot as tile.dot,
with operands promoted and contraction lanes past a tile's bound zeroed.
tt.dot's minimum sizes are helion-legalize-for-triton's business."""
from __future__ import annotations

import torch

from .. import exc
from .semantics import promote, same_extent
from .values import DTensor


class DotMixin:
    def _zero_padded_lanes(self, x: DTensor, axis: int) -> DTensor:
        """Lanes of the contraction past the tile's bound hold no data (loads
        give 0, but exp(0) = 1): zero them so they add nothing to the dot.
        eliminate-masks folds the select away when tiles are always full.
        A plain load needs none: its masked lanes already read 0."""
        if self.b.is_load(x.value):
            return x
        mask = self._lane_mask(x, axis)
        return x if mask is None else self.ops.where(mask, x, 0)

    def dot(self, a: DTensor, b: DTensor, acc: DTensor | None, out_dtype: torch.dtype | None) -> DTensor:
        if not isinstance(a, DTensor) or not isinstance(b, DTensor):
            raise exc.TypeError_("matmul operands must be device tensors", location=self.where())
        if a.ndim not in (2, 3) or b.ndim != a.ndim:
            raise exc.TypeError_(f"matmul needs two 2-d (or two 3-d) tiles, got shapes {a.dims} and {b.dims}", location=self.where())
        if a.dims[-1] != b.dims[-2] and same_extent(a.dims[-1], b.dims[-2], self.ops.pinned):
            # x[t, :] @ w with a static K: take K static on both sides.
            if isinstance(a.dims[-1], int):
                b = self.ops.rebind(b, b.dims[:-2] + [a.dims[-1], b.dims[-1]])
            else:
                a = self.ops.rebind(a, a.dims[:-1] + [b.dims[-2]])
        if a.dims[-1] != b.dims[-2]:
            raise exc.TypeError_(f"matmul contraction dims differ: {a.dims} @ {b.dims}", location=self.where())
        if a.ndim == 3 and a.dims[0] != b.dims[0]:
            raise exc.TypeError_(f"batched matmul needs the same batch dim on both sides: {a.dims} @ {b.dims}",
                                 location=self.where())
        fp8 = (torch.float8_e4m3fn, torch.float8_e5m2)
        if a.dtype != b.dtype and not (a.dtype in fp8 and b.dtype in fp8):
            common = promote(a, b)
            a, b = self.ops.cast(a, common), self.ops.cast(b, common)
        dims = a.dims[:-1] + [b.dims[-1]]
        if a.ndim == 3:
            dims = [a.dims[0], a.dims[1], b.dims[2]]
        integer = not a.dtype.is_floating_point
        acc_dtype = torch.int32 if integer else torch.float32
        a, b = self._zero_padded_lanes(a, a.ndim - 1), self._zero_padded_lanes(b, b.ndim - 2)
        if acc is None or acc.dtype != acc_dtype:
            base = self.ops.to_tensor(0, acc_dtype, dims)
        else:
            base = self.ops.to_tensor(acc, acc_dtype, dims)
        precision = "tf32" if a.dtype == torch.float32 else "ieee"
        if a.ndim == 3 and a.dims[0] == 1 and b.dims[0] == 1:
            # A batch of one is a plain 2-d dot: Triton maps those to tensor cores.
            a2, b2, base2 = (self.ops.reshape(t, t.dims[1:]) for t in (a, b, base))
            result = self.ops.expand_dims(self.b.dot(a2, b2, base2, precision), 0)
        else:
            result = self.b.dot(a, b, base, precision)
        if acc is not None and acc.dtype != acc_dtype:
            result = self.ops.binary("add", self.ops.cast(result, acc.dtype), acc)
        if out_dtype is not None:
            result = self.ops.cast(result, out_dtype)
        return result

    def matmul(self, a, b):
        a, b = self.operand(a), self.operand(b)
        out = promote(a, b)
        return self.dot(a, b, None, out)

    def addmm(self, acc, a, b):
        acc, a, b = self.operand(acc), self.operand(a), self.operand(b)
        return self.dot(a, b, acc, None)

    def dot_call(self, a, b, acc=None, out_dtype=None):
        a, b = self.operand(a), self.operand(b)
        if acc is not None:
            acc = self.operand(acc)
            if not isinstance(acc, DTensor):
                raise exc.TypeError_(f"hl.dot acc must be a device tensor, got {self.describe(acc)}", location=self.where())
        if out_dtype is not None and not isinstance(out_dtype, torch.dtype):
            raise exc.TypeError_(f"hl.dot out_dtype must be a torch.dtype, got {out_dtype!r}", location=self.where())
        return self.dot(a, b, acc, out_dtype)

