"""Indexing: subscripts of kernel tensor arguments become tile.load /
tile.store operands (tiles, ints, slices, None, `...`, gathers with integer
tensors); subscripts of device tensors become register selects."""
from __future__ import annotations

import ast
import math

import torch

from .. import exc
from .values import DTensor, Scalar, Sym, TensorArg, Tile


class IndexingMixin:
    def _load_whole(self, t: TensorArg) -> DTensor:
        """A tensor argument used as a value (`bit_positions * 4`): loaded whole,
        as one unmasked block of static shape."""
        if not all(s >= 1 and s & (s - 1) == 0 for s in t.shape):
            raise exc.NotSupported(f"tensor {t.name!r} of shape {list(t.shape)} is used whole in device code; that needs a "
                                   f"power-of-two size in every dim (index it instead, e.g. {t.name}[tile])", location=self.where())
        if math.prod(t.shape) > 1 << 20:
            raise exc.NotSupported(f"tensor {t.name!r} of shape {list(t.shape)} is too large to load whole into one program; "
                                   "index it with tiles", location=self.where())
        tiles = [self.b.make_tile(self.zero_index, self.b.index_const(s), self.b.index_const(s)) for s in t.shape]
        self.loads.append((t, tiles, False, self.where()))
        self._check_initialized(t)
        return self.b.load(t.value, tiles, None, t.dtype, list(t.shape))

    def _subscript_chain(self, node: ast.Subscript):
        """(base, items) of a subscript. Chained subscripts of a tensor argument,
        `t[idx][:, tile]`, compose into one index of t (one load)."""
        if isinstance(node.value, ast.Subscript):
            base, items = self._subscript_chain(node.value)
            outer = self._subscript_items(node.slice)
            if isinstance(base, TensorArg):
                return base, self._compose_index(base, items, outer)
            self._at(node.value)
            return self._load(base, items), outer
        base = self.eval(node.value)
        return base, self._subscript_items(node.slice)

    def _expand_ellipsis(self, items: list, ndim: int) -> list:
        """Replace `...` by as many `:` as the dims it stands for."""
        at = [i for i, it in enumerate(items) if it is Ellipsis]
        if not at:
            return list(items)
        if len(at) > 1:
            raise exc.TypeError_("an index can only have a single ellipsis (`...`)", location=self.where())
        used = sum(1 for it in items if it is not None and it is not Ellipsis)
        return items[:at[0]] + [slice(None)] * max(ndim - used, 0) + items[at[0] + 1:]

    def _result_rank(self, it) -> int:
        """How many dims one index entry leaves in the result."""
        if it is None or isinstance(it, slice):
            return 1
        if isinstance(it, Tile):
            return 0 if it.scalar else 1
        if isinstance(it, DTensor):
            return it.ndim
        return 0

    def _compose_index(self, base: TensorArg, inner: list, outer: list) -> list:
        """One index equal to `base[inner][outer]`: the outer entries replace the
        inner full slices they land on; other inner entries keep their dims and
        take only `:` from outer (or constant ints/slices, for bounded slices and None)."""
        inner = self._expand_ellipsis(list(inner), base.ndim)
        real = [it for it in inner if it is not None]
        if len(real) > base.ndim:
            raise exc.TypeError_(f"too many indices for tensor {base.name!r} of rank {base.ndim}", location=self.where())
        inner = inner + [slice(None)] * (base.ndim - len(real))
        rank = sum(self._result_rank(it) for it in inner)
        outer = self._expand_ellipsis(list(outer), rank)
        outer_real = [it for it in outer if it is not None]
        if len(outer_real) > rank:
            raise exc.TypeError_(f"too many indices for {base.name!r}[...] of rank {rank}", location=self.where())
        outer = outer + [slice(None)] * (rank - len(outer_real))
        composed, pos, d = [], 0, 0  # d: the dim of base that `it` indexes

        def take():  # the next outer entry that indexes a dim; Nones before it add dims here
            nonlocal pos
            while outer[pos] is None:
                composed.append(None)
                pos += 1
            pos += 1
            return outer[pos - 1]

        def full(it):
            return isinstance(it, slice) and it.start is None and it.stop is None

        def cannot(it, o):
            return exc.NotSupported(f"cannot compose {self._describe_index(it)} with {self._describe_index(o)} in chained "
                                    f"indexing of {base.name!r}; write one subscript", location=self.where())

        for it in inner:
            n = self._result_rank(it)
            d += it is not None
            if n == 0:
                composed.append(it)
            elif full(it):
                composed.append(take())
            elif it is None:
                o = take()
                if full(o):
                    composed.append(None)
                elif not (isinstance(o, int) and not isinstance(o, bool) and o in (0, -1)):
                    raise cannot(it, o)
            elif isinstance(it, slice):
                o = take()
                if full(o):
                    composed.append(it)
                    continue
                if not (isinstance(it.start, (int, type(None))) and isinstance(it.stop, (int, type(None)))):
                    raise cannot(it, o)
                r = range(base.shape[d - 1])[it]
                if isinstance(o, int) and not isinstance(o, bool):
                    if not -len(r) <= o < len(r):
                        raise exc.TypeError_(f"index {o} out of range for a slice of length {len(r)}", location=self.where())
                    composed.append(r[o])
                elif isinstance(o, slice) and isinstance(o.start, (int, type(None))) and isinstance(o.stop, (int, type(None))):
                    r2 = r[o]
                    composed.append(slice(r2.start, r2.stop))
                else:
                    raise cannot(it, o)
            else:  # a tile or a gather keeps its dims
                for _ in range(n):
                    o = take()
                    if not full(o):
                        raise cannot(it, o)
                composed.append(it)
        composed.extend(outer[pos:])  # trailing Nones
        return composed

    def _describe_index(self, it) -> str:
        if it is None:
            return "None"
        if isinstance(it, slice):
            parts = ["" if x is None else str(x) if isinstance(x, int) else "?" for x in (it.start, it.stop)]
            return f"`{parts[0]}:{parts[1]}`"
        if isinstance(it, int):
            return f"index {it}"
        return self.describe(it)

    def _subscript_items(self, node: ast.AST) -> list:
        items = node.elts if isinstance(node, ast.Tuple) else [node]
        out = []
        for it in items:
            if isinstance(it, ast.Slice):
                if it.step is not None:
                    raise exc.NotSupported("slices with a step in device code", location=self.where())
                lo = self.eval(it.lower) if it.lower is not None else None
                hi = self.eval(it.upper) if it.upper is not None else None
                out.append(slice(lo, hi))
            else:
                v = self.eval(it)
                out.append(self._load_whole(v) if isinstance(v, TensorArg) else v)  # a whole tensor as a gather index
        return out

    def _index_operands(self, base: TensorArg, items: list, for_store: bool, guarded: bool = False):
        """Index operands of a load/store and the result dims (None = expand).
        `guarded`: hl.load/hl.store with an extra_mask, which may then take a
        tile over a range wider than the dim (the user's mask keeps its lanes
        in bounds)."""
        items = self._expand_ellipsis(list(items), base.ndim)
        real = [it for it in items if it is not None]
        if len(real) > base.ndim:
            raise exc.TypeError_(f"too many indices for tensor {base.name!r} of rank {base.ndim}", location=self.where())
        items = items + [slice(None)] * (base.ndim - len(real))
        operands, dims, expand_at = [], [], []
        self._gather_masks = []
        self._bound_masks = []  # (tile, position, size): guarded tiles wider than their dim
        d = 0
        for it in items:
            if it is None:
                if for_store:
                    raise exc.TypeError_("None is not allowed when storing", location=self.where())
                expand_at.append(len(dims))
                dims.append(None)
                continue
            size = base.shape[d]
            if isinstance(it, Tile) and not it.scalar:
                if it.extent is not None and it.extent > size and guarded:
                    # Masked at the dim's end too, whatever extra_mask says.
                    self._bound_masks.append((it, len(dims), size))
                elif it.extent is not None and it.extent > size:
                    # Its lanes are masked at the loop's end, not the tensor's: they would read past it.
                    raise exc.TypeError_(f"tile over a range ending at {it.extent} indexes dim {d} of {base.name!r}, "
                                         f"of size {size} (hl.load/hl.store with an extra_mask that keeps its lanes "
                                         "in bounds may)", location=self.where())
                operands.append(it.value)
                dims.append(it.block)
            elif isinstance(it, slice) and (it.start is not None or it.stop is not None):
                tile, dim = self._bounded_slice(it, size)
                operands.append(tile)
                dims.append(dim)
            elif isinstance(it, slice) and size == 1:
                # `:` of a size-1 dim is the static size 1: it broadcasts against
                # a wider dim as in torch (r[t, :] * x[t, :] with r of shape [m, 1]).
                operands.append(self.b.make_tile(self.zero_index, self.b.index_const(1), self.b.index_const(1)))
                dims.append(1)
            elif isinstance(it, slice):
                # A full slice is a reduction slot: persistent (one block) or
                # looped by Config.reduction_loops.
                slot = self._reduction_slot(size)
                tile = self.b.make_tile(self.zero_index, self.b.index_const(size), self.slot_values[slot])
                self._bind_tile(Tile(tile, Sym(slot), False, size))
                operands.append(tile)
                dims.append(Sym(slot))
            elif isinstance(it, DTensor):
                if it.dtype.is_floating_point or it.dtype == torch.bool:
                    raise exc.TypeError_(f"tensor index must be integer, got {it.dtype}", location=self.where())
                # Lanes of the index past a tile's end hold no real index: mask them.
                for k, gd in enumerate(it.dims):
                    if isinstance(gd, Sym) and gd.slot in self.tile_of_slot:
                        self._gather_masks.append((self.tile_of_slot[gd.slot], len(dims) + k))
                operands.append(it.value)
                dims.extend(it.dims)
            elif isinstance(it, int) and not isinstance(it, bool):
                if not -size <= it < size:
                    raise exc.TypeError_(f"index {it} out of range for dim {d} of size {size}", location=self.where())
                operands.append(self.b.index_const(it % size))
            elif isinstance(it, (Scalar, Tile)):
                operands.append(self._index(it))
            else:
                raise exc.TypeError_(f"cannot index tensor {base.name!r} with {self.describe(it)}", location=self.where())
            d += 1
        return operands, dims, expand_at

    def _bounded_slice(self, it: slice, size: int):
        """(tile, result dim) of a slice `lo:hi` of a dim of `size`. Constant
        bounds clip as in Python; a power-of-two length is a static dim, any
        other length a reduction slot over it (masked past hi, loopable by
        reduction_loops). Device scalar bounds (values loaded by the kernel)
        make a slot over the whole dim, masked outside [lo, min(hi, size)).
        Their tiles have no loop extent: a block may run past hi."""
        lo, hi = it.start, it.stop
        if all(b is None or (isinstance(b, int) and not isinstance(b, bool)) for b in (lo, hi)):
            r = range(size)[it]
            n = len(r)
            if n < 1:
                raise exc.TypeError_(f"slice {self._describe_index(it)} of a dim of size {size} is empty", location=self.where())
            if n & (n - 1) == 0:
                return self.b.make_tile(self.b.index_const(r.start), self.b.index_const(r.stop), self.b.index_const(n)), n
            slot = self._reduction_slot(n)
            tile = self.b.make_tile(self.b.index_const(r.start), self.b.index_const(r.stop), self.slot_values[slot])
            self._bind_tile(Tile(tile, Sym(slot), False))
            return tile, Sym(slot)
        for b in (lo, hi):
            if b is not None and (isinstance(b, (bool, float)) or not isinstance(b, (int, Scalar)) or
                                  (isinstance(b, Scalar) and (b.dtype.is_floating_point or b.dtype == torch.bool))):
                raise exc.TypeError_(f"slice bounds must be integers, got {self.describe(b)}", location=self.where())
        begin = self.zero_index if lo is None else self._index(lo)
        end = self.b.index_const(size)
        if hi is not None:  # past the end clips, as in torch
            end = self.b.op1("arith.minsi", [self._index(hi), end], "index")
        # One slot per pair of bounds (the values, not their index casts), so
        # that `x[a:b, t] * y[a:b, t]` lines up.
        key = ("slice", size) + tuple(b.value if isinstance(b, Scalar) else b for b in (lo, hi))
        if key not in self.reduction_slot_by_extent:
            self.reduction_slot_by_extent[key] = self.new_slot(True, size, False)
        slot = self.reduction_slot_by_extent[key]
        tile = self.b.make_tile(begin, end, self.slot_values[slot])
        self._bind_tile(Tile(tile, Sym(slot), False))
        return tile, Sym(slot)

    def _load(self, base, items, extra_mask=None, eviction_policy=None):
        """base[items]; hl.load adds extra_mask (masked-off elements read 0)
        and an eviction policy, recorded on the tile.load."""
        if isinstance(base, (list, tuple)):
            if len(items) != 1:
                raise exc.TypeError_("sequences take one index", location=self.where())
            try:
                return base[items[0]]
            except (IndexError, TypeError) as e:
                raise exc.TypeError_(f"indexing a sequence of length {len(base)}: {e}", location=self.where()) from None
        if isinstance(base, DTensor):
            return self._index_dtensor(base, items)
        if not isinstance(base, TensorArg):
            raise exc.TypeError_(f"cannot index {self.describe(base)}", location=self.where())
        operands, dims, expand_at = self._index_operands(base, items, for_store=False, guarded=extra_mask is not None)
        self.loads.append((base, operands, bool(self._gather_masks) or any(isinstance(it, DTensor) for it in items),
                           self.where()))
        self._check_initialized(base)
        load_dims = [x for x in dims if x is not None]
        mask = self._access_mask(dims, extra_mask)
        v = self.b.load(base.value, operands, None if mask is None else mask.value, base.dtype, load_dims)
        if eviction_policy is not None:
            v.value.owner.set_attribute("eviction_policy", eviction_policy)
        if not load_dims:
            if expand_at:
                raise exc.NotSupported("None on a scalar load", location=self.where())
            return v
        for axis in expand_at:
            v = self.ops.expand_dims(v, axis)
        return v

    def _index_dtensor(self, x: DTensor, items):
        """Indexing a device tensor: `:`, None, `...`, and constant ints and
        bounded slices of static dims."""
        items = self._expand_ellipsis(list(items), x.ndim)
        if sum(1 for it in items if it is not None) > x.ndim:
            raise exc.TypeError_(f"too many indices for a device tensor of shape {x.dims}", location=self.where())
        out = x
        axis = 0
        for it in items:
            if it is None:
                out = self.b.full(out, [1]) if isinstance(out, Scalar) else self.ops.expand_dims(out, axis)
                axis += 1
            elif isinstance(it, slice):
                if it.start is not None or it.stop is not None:
                    out = self._slice_dtensor(out, axis, it)
                axis += 1
            elif isinstance(it, int) and not isinstance(it, bool):
                out = self._static_dim(out, axis)
                size = out.dims[axis]
                if isinstance(size, int) and not -size <= it < size:
                    raise exc.TypeError_(f"index {it} out of range for dim {axis} of size {size}", location=self.where())
                out = self._take(out, axis, it % size if isinstance(size, int) else it, 1, keep=False)
            else:
                raise exc.NotSupported(f"indexing a device tensor with {self.describe(it)}: values computed in device code take "
                                       "only `:`, None, `...`, constant ints and constant slices (index the kernel's tensor "
                                       "argument instead, e.g. x[tile])", location=self.where())
        return out

    def _static_dim(self, x: DTensor, axis: int) -> DTensor:
        """x with dim `axis` static if it is a reduction slot over a power-of-two
        extent (`x[t, :]`): the slot is then pinned persistent."""
        d = x.dims[axis]
        if isinstance(d, Sym) and d.slot in self.ops.pinned:
            return self.ops.rebind(x, x.dims[:axis] + [self.ops.pinned[d.slot]] + x.dims[axis + 1:])
        return x

    def _slice_dtensor(self, x: DTensor, axis: int, it: slice) -> DTensor:
        """`x[..., lo:hi, ...]` with constant bounds of a static dim."""
        if not all(b is None or (isinstance(b, int) and not isinstance(b, bool)) for b in (it.start, it.stop)):
            raise exc.NotSupported("slice bounds of a device tensor must be constants", location=self.where())
        x = self._static_dim(x, axis)
        size = x.dims[axis]
        if not isinstance(size, int):
            raise exc.NotSupported("a bounded slice of a tile dim of a device tensor; slice the kernel's tensor argument "
                                   "instead", location=self.where())
        r = range(size)[it]
        n = len(r)
        if n == size:
            return x
        if n < 1 or n & (n - 1):
            raise exc.NotSupported(f"slice {r.start}:{r.stop} of a device tensor dim of size {size}: bounded slices need a "
                                   "power-of-two length", location=self.where())
        return self._take(x, axis, r.start, n, keep=True)

    def _take(self, x: DTensor, axis: int, lo: int, length: int, keep: bool):
        """Elements lo .. lo+length-1 of static dim `axis` of x (a
        tile.extract_slice); keep=False drops the dim (an integer index)."""
        x = self._static_dim(x, axis)
        size = x.dims[axis]
        if not isinstance(size, int) or size & (size - 1):
            raise exc.NotSupported(f"indexing a device tensor dim of size {size}: needs a static power-of-two size",
                                   location=self.where())
        r = self.b.extract_slice(x, axis, lo, length)
        return r if keep else self._squeeze(r, [axis], False)

    def _store(self, base, items, value, extra_mask=None) -> None:
        if not isinstance(base, TensorArg):
            raise exc.TypeError_(f"cannot store into {self.describe(base)}; only kernel tensor arguments are writable", location=self.where())
        operands, dims, _ = self._index_operands(base, items, for_store=True, guarded=extra_mask is not None)
        self._check_store_covers_grid(base, operands)
        self.stored.add(id(base))
        v = self._value_for(base, dims, value)
        mask = self._access_mask(dims, extra_mask)
        self.b.store(v.value, base.value, operands, None if mask is None else mask.value)

    def _value_for(self, base: TensorArg, dims: list, value):
        """A stored (or atomic) value cast to base's dtype and broadcast to the indexed dims."""
        value = self.operand(value)
        if dims:
            if isinstance(value, DTensor) and value.ndim > len(dims):
                raise exc.TypeError_(f"cannot store {self.describe(value)} into a tile of shape {dims}", location=self.where())
            if isinstance(value, DTensor):
                self.ops.broadcast_dims(value.dims, dims)
            return self.ops.to_tensor(value, base.dtype, dims)
        if isinstance(value, DTensor):
            raise exc.TypeError_(f"cannot store {self.describe(value)} into one element", location=self.where())
        return self.ops.scalar(value, base.dtype)

    def _atomic(self, kind: str, base, items, value, sem: str):
        """An atomic read-modify-write of base[items] (tile.atomic_rmw); returns
        the old values. Programs may update the same elements: no grid check."""
        if not isinstance(base, TensorArg):
            raise exc.TypeError_(f"atomics update kernel tensor arguments, not {self.describe(base)}", location=self.where())
        operands, dims, _ = self._index_operands(base, items, for_store=True)
        if kind != "xchg":  # it reads the old values
            self._check_initialized(base)
        self.stored.add(id(base))
        self._atomic_targets().add(id(base))
        v = self._value_for(base, dims, value)
        mask = self._gather_mask(dims)
        return self.b.atomic_rmw(kind, v, base.value, operands, None if mask is None else mask.value, sem)

    def _atomic_targets(self) -> set:
        """ids of the tensor arguments an atomic updates (created on first use)."""
        return self.__dict__.setdefault("atomic_targets", set())

    def _check_store_covers_grid(self, base: TensorArg, operands: list) -> None:
        """Programs run in parallel: a store whose index does not depend on
        every grid dim (of more than one program) writes the same elements
        from several programs, and one partial result wins at random."""
        reached = self._grid_dims_reached(operands)
        missing = [name for d, (_, extent, name) in enumerate(self.grid_dims) if d not in reached and extent != 1]
        if missing:
            names = ", ".join(f"`{m}`" for m in missing)
            raise exc.NotSupported(
                f"the store into {base.name!r} does not depend on grid tile {names} of the device loop (line "
                f"{self.grid_line}): the programs along it all write the same elements (a race). Index the store with "
                f"every grid tile, reduce over that dim inside one program (a full slice `x[t, :]` or an inner "
                f"hl.tile loop), or make it a grid of one program", location=self.where())

    def _check_initialized(self, base: TensorArg) -> None:
        if base.name in self.uninitialized and id(base) not in self.stored:
            raise exc.NotSupported(
                f"reads {base.name!r} before the kernel writes it; host code allocated it with torch.empty*, so it holds "
                f"garbage: allocate it with torch.zeros / torch.full, or store into it first", location=self.where())

    def _check_reads_of_written_tensors(self) -> None:
        """A read of a tensor the kernel writes must stay inside the program's
        own part of it (index every grid tile, no gathers): elsewhere it sees
        what other programs write, or have not written yet."""
        for base, operands, gathers, where in self.loads:
            if id(base) in self._atomic_targets():
                raise exc.NotSupported(
                    f"reads {base.name!r}, which atomics of this kernel update: other programs may be updating it at "
                    f"the same time. Use the old values the hl.atomic_* call returns, or read it in a later kernel",
                    location=where)
            if id(base) not in self.stored:
                continue
            reached = self._grid_dims_reached(operands)
            missing = [name for d, (_, extent, name) in enumerate(self.grid_dims) if d not in reached and extent != 1]
            if missing or gathers:
                what = (f"without indexing grid tile {', '.join(f'`{m}`' for m in missing)}" if missing
                        else "through a gather")
                raise exc.NotSupported(
                    f"reads {base.name!r}, which this kernel writes, {what}: it would read elements other programs "
                    f"write (or have not written yet). Read a separate input, or write the result to another tensor",
                    location=where)

    def _access_mask(self, dims: list, extra_mask):
        """The mask of a load or store: its gathers' tile masks AND extra_mask
        (a bool device value, broadcast to the indexed shape, None dims included)."""
        mask = self._gather_mask(dims)
        if extra_mask is None:
            return mask
        real = [d for d in dims if d is not None]
        extra = self.operand(extra_mask)
        if isinstance(extra, (bool, int, float)) or extra.dtype != torch.bool:
            raise exc.TypeError_(f"extra_mask must be a bool device tensor, got {self.describe(extra)}", location=self.where())
        if real:
            shape = [1 if d is None else d for d in dims]
            if isinstance(extra, DTensor) and extra.ndim > len(shape):
                raise exc.TypeError_(f"extra_mask of shape {extra.dims} does not broadcast to the indexed shape {shape}",
                                     location=self.where())
            extra = self.ops.to_tensor(extra, torch.bool, shape)
            if shape != real:  # the access itself has no None dims
                extra = self.ops.reshape(extra, real)
        elif isinstance(extra, DTensor):
            raise exc.TypeError_(f"extra_mask of a one-element access must be a bool scalar, got {self.describe(extra)}",
                                 location=self.where())
        return extra if mask is None else self.ops.binary("and", mask, extra)

    def _gather_mask(self, dims: list):
        """AND of the masks _index_operands recorded, shaped like the access:
        the per-lane masks of hl.jagged_tile dims, the tile masks of gather
        dims, and the dim's end for guarded tiles wider than it."""
        real = [d for d in dims if d is not None]

        def shifted(pos: int) -> int:  # positions count dims before Nones are dropped
            return pos - sum(1 for d in dims[:pos] if d is None)

        positions = {shifted(pos): tile for tile, pos in self._gather_masks}
        result = self._jagged_mask(real) if real else None
        for pos, tile in positions.items():
            m = self.ops.place(self._tile_mask(tile, real[pos]), pos, real)
            result = m if result is None else self.ops.binary("and", result, m)
        for tile, pos, size in self._bound_masks:
            inside = self.ops.compare("lt", self.b.tile_index(tile.value, tile.block), size)
            m = self.ops.place(inside, shifted(pos), real)
            result = m if result is None else self.ops.binary("and", result, m)
        return result
