"""Device-loop tracing: hl.tile / hl.grid loops, block-size slots, values
carried through inner loops (with re-tracing when a carried tensor widens),
and `for i in range(...)` unrolling."""
from __future__ import annotations

import ast

import torch

from .. import exc
from .. import language as hl
from .traced_kernel import SlotInfo
from .semantics import promote
from .values import BlockSize, DTensor, Scalar, Sym, Tile, mlir_dtype


class LoopsMixin:
    def new_slot(self, reduction: bool, extent, in_grid: bool) -> int:
        slot = len(self.slots)
        self.slots.append(SlotInfo(slot, reduction, extent if isinstance(extent, int) else None, in_grid))
        op = self.b.block_size(self.anchor, slot, reduction, extent)
        self.slot_values[slot] = op.result()
        self.slot_ops[slot] = op
        return slot

    def bind_registered_block_sizes(self) -> None:
        """Slots for the hl.register_block_size results the device loop reads,
        in registration order: the i-th is Config.block_sizes[i]. One that
        host code computed with is pinned to that value."""
        regs = sorted(((name, v) for name, v in self.env.items() if isinstance(v, hl.RegisteredBlockSize)),
                      key=lambda item: (item[1].index is None, item[1].index or 0))
        slots: dict[int, int] = {}
        for name, v in regs:
            if id(v) not in slots:  # one block size under two names is one slot
                if v.index is not None and v.index != len(slots):
                    raise exc.NotSupported(f"the device loop does not use a block size that host code registered before "
                                           f"the one at {v.where}; every hl.register_block_size() result is a "
                                           "Config.block_sizes entry, so pass each to an hl.tile(..., block_size=) "
                                           "(or drop the unused one)", location=self._loop_where())
                slot = slots[id(v)] = self.new_slot(False, v.extent, False)
                self.slots[slot].min_size = v.pinned or v.min_size
                self.slots[slot].max_size = v.pinned or v.max_size
            self.env[name] = BlockSize(self.slot_values[slots[id(v)]], slots[id(v)])

    def _reduction_slot(self, extent: int) -> int:
        if extent not in self.reduction_slot_by_extent:
            slot = self.reduction_slot_by_extent[extent] = self.new_slot(True, extent, False)
            if extent & (extent - 1) == 0:
                self.ops.pinned[slot] = extent  # mixes with static sizes of `extent`
        return self.reduction_slot_by_extent[extent]

    def _loop_spec(self, call: ast.Call, top: bool):
        fn = self.eval(call.func)
        if fn is hl.jagged_tile:
            return self._jagged_spec(call, top)
        is_grid = fn is hl.grid
        args = [self.eval(a) for a in call.args]
        kwargs = {k.arg: self.eval(k.value) for k in call.keywords}
        block_size = kwargs.pop("block_size", None)
        if kwargs:
            raise exc.NotSupported(f"hl.{'grid' if is_grid else 'tile'}() got unexpected arguments {sorted(kwargs)}", location=self.where())
        if len(args) == 1:
            begins, ends = None, args[0]
        elif len(args) == 2:
            begins, ends = args
        else:
            raise exc.TypeError_("hl.tile() takes (end) or (begin, end)", location=self.where())
        multi = isinstance(ends, (list, tuple))
        ends = list(ends) if multi else [ends]
        begins = [0] * len(ends) if begins is None else (list(begins) if isinstance(begins, (list, tuple)) else [begins])
        if len(begins) != len(ends):
            raise exc.TypeError_("hl.tile() begins and ends differ in length", location=self.where())
        for d in range(len(ends)):
            begins[d], ends[d] = self._loop_bounds(begins[d], ends[d], one_arg=len(args) == 1)
        if block_size is not None and not isinstance(block_size, (list, tuple)):
            block_size = [block_size]
        if block_size is not None and len(block_size) != len(ends):
            raise exc.TypeError_("block_size must give one size per dimension", location=self.where())
        if is_grid and block_size is not None:
            raise exc.TypeError_("hl.grid() has no block_size (it is always 1)", location=self.where())
        return is_grid, multi, begins, ends, block_size, None

    def _jagged_spec(self, call: ast.Call, top: bool):
        """`hl.jagged_tile(parent)`: a tile loop from 0 to the largest of the
        parent's per-lane ends; its accesses are masked per lane (_jagged_mask)."""
        if call.keywords or len(call.args) != 1:
            raise exc.TypeError_("hl.jagged_tile() takes one argument: a tensor of per-lane ends", location=self.where())
        if top:
            raise exc.NotSupported("hl.jagged_tile cannot be the outermost loop: its ends come from tiles of enclosing "
                                   "loops; use hl.tile for the grid loop", location=self.where())
        parent = self.eval(call.args[0])
        if not isinstance(parent, DTensor):
            hint = "; for one bound shared by all lanes use hl.tile(end)" if isinstance(parent, (int, Scalar)) else ""
            raise exc.TypeError_(f"hl.jagged_tile() needs a device tensor of per-lane ends (rank >= 1), got "
                                 f"{self.describe(parent)}{hint}", location=self.where())
        if parent.dtype.is_floating_point or parent.dtype == torch.bool:
            raise exc.TypeError_(f"hl.jagged_tile() ends must be integers, got {parent.dtype}", location=self.where())
        for d in parent.dims:
            tile = self.tile_of_slot.get(d.slot) if isinstance(d, Sym) else None
            if tile is None or tile.scalar:
                raise exc.TypeError_(f"hl.jagged_tile() ends of shape {parent.dims}: every dim must be a tile of an "
                                     "enclosing loop (load them as lengths[tile_b])", location=self.where())
        end = self.reduction("amax", parent, [], {})
        return False, False, [0], [end], None, parent

    def _loop_bounds(self, lb, ub, one_arg: bool):
        """Checked bounds of one loop dim. `hl.tile(t)` of an outer tile t runs
        over t's range [t.begin, t.end)."""
        if isinstance(ub, Tile) and not ub.scalar and one_arg:
            return self._attribute(ub, "begin"), self._attribute(ub, "end")
        for v in (lb, ub):
            if isinstance(v, Tile) and not v.scalar:
                raise exc.TypeError_("a tile is not a loop bound; write hl.tile(t) for the range of tile t, or use "
                                     "t.begin / t.end", location=self.where())
            # A bound the kernel loads (offsets[g]) is a device scalar: the loop's
            # trip count and its last tile's mask are computed at run time.
            not_int = isinstance(v, Scalar) and not v.is_index and (v.dtype.is_floating_point or v.dtype == torch.bool)
            if isinstance(v, bool) or not_int or not isinstance(v, (int, Scalar, Tile, BlockSize)):
                hint = ("; a loop bound is one value: load it at one position (offsets[g] with an hl.grid index "
                        "or t.begin)" if isinstance(v, DTensor) else "")
                raise exc.TypeError_(f"loop bounds must be integers, got {self.describe(v)}{hint}", location=self.where())
        if isinstance(lb, int) and lb < 0:
            raise exc.TypeError_(f"loop begin {lb} is negative", location=self.where())
        if isinstance(lb, int) and isinstance(ub, int) and ub < lb:
            what = f"negative extent {ub}" if lb == 0 else f"begin {lb} is past end {ub}"
            raise exc.TypeError_(f"hl.tile()/hl.grid() over an empty range: {what}", location=self.where())
        return lb, ub

    def _visit_loop(self, node: ast.For, top: bool) -> None:
        self.loop_stack.append(node)
        try:
            self._visit_loop_inner(node, top)
        finally:
            self.loop_stack.pop()
        for t in ast.walk(node.target):  # a later use of the tile gets a clear error
            if isinstance(t, ast.Name) and t.id not in self.env:
                self.ended_tiles[t.id] = node.lineno

    def _visit_loop_inner(self, node: ast.For, top: bool) -> None:
        self._at(node)
        if not (isinstance(node.iter, ast.Call) and self._is_loop_fn(node.iter.func)):
            raise exc.NotSupported("only `for ... in hl.tile(...)` / `hl.grid(...)` loops are supported in device code", location=self.where())
        if node.orelse:
            raise exc.NotSupported("for-else in device code", location=self.where())
        is_grid, multi, begins, ends, block_sizes, jagged = self._loop_spec(node.iter, top)
        n = len(ends)
        targets = node.target.elts if isinstance(node.target, (ast.Tuple, ast.List)) else [node.target]
        if multi and len(targets) != n and not (len(targets) == 1 and isinstance(node.target, ast.Name)):
            raise exc.TypeError_(f"the loop has {n} dimensions; unpack them as `for {', '.join('t%d' % i for i in range(n))} in ...` "
                                 "or take them as one name (`for tile in ...`)", location=self.where())
        if not all(isinstance(t, ast.Name) for t in targets):
            raise exc.NotSupported("loop targets must be plain names", location=self.where())
        lbs, ubs, steps, blocks, extents = [], [], [], [], []
        for d in range(n):
            lb, ub = begins[d], ends[d]
            extent = ub - lb if isinstance(lb, int) and isinstance(ub, int) else None
            extents.append(extent)
            lbs.append(self._index(lb))
            ubs.append(self._index(ub))
            if is_grid:
                steps.append(self.b.index_const(1))
                blocks.append(1)
                continue
            bs = block_sizes[d] if block_sizes is not None else None
            if isinstance(bs, bool):
                raise exc.TypeError_(f"block_size must be an int or hl.register_block_size(), got {bs}", location=self.where())
            if isinstance(bs, int):
                if bs < 1 or bs & (bs - 1):
                    raise exc.TypeError_(f"block_size {bs} must be a power of two", location=self.where())
                steps.append(self.b.index_const(bs))
                blocks.append(bs)
            elif isinstance(bs, BlockSize):
                steps.append(bs.value)
                blocks.append(Sym(bs.slot))
            elif bs is None:
                # Sibling loops over the same range share a block size (three-pass
                # softmax: one block size for the seq dim), as do re-traces.
                parent = self.loop_stack[-2] if len(self.loop_stack) > 1 else None
                memo = (id(parent), lb, ub) if isinstance(lb, int) and isinstance(ub, int) and not top else (id(node), d)
                slot = self.slot_by_loop.get(memo)
                if slot is None:
                    slot = self.slot_by_loop[memo] = self.new_slot(False, extent, top)
                steps.append(self.slot_values[slot])
                blocks.append(Sym(slot))
            else:
                raise exc.TypeError_(f"block_size must be an int or hl.register_block_size(), got {self.describe(bs)}", location=self.where())
        if n > 1 and id(node) not in self.multi_dim_seen:
            self.multi_dim_seen.add(id(node))
            self.multi_dim_loops.append(n)
        if top:
            _, block = self.b.grid(lbs, ubs, steps)
            saved_block, saved_env = self.b.block, dict(self.env)
            self.b.block = block
            names = self._bind_targets(targets, list(block.arguments), blocks, ends, is_grid)
            self.grid_dims = list(zip(block.arguments, extents, names))
            self.grid_line = node.lineno
            self._visit_body(node.body)
            self._at(node)
            self.b.yield_()
            self.b.block, self.env = saved_block, saved_env
            return
        # Inner loop: values assigned in the body that exist before it are carried.
        assigned = _assigned_names(node.body)
        for name in assigned:
            v = self.env.get(name)
            if isinstance(v, (bool, int, float)):  # `acc = 0.0` before the loop: carried as a device scalar
                self.env[name] = self.ops.scalar(v, torch.bool if isinstance(v, bool) else
                                                 torch.int64 if isinstance(v, int) else torch.float32)
        carried = [name for name in assigned if isinstance(self.env.get(name), (DTensor, Scalar))]
        inits = [self.env[name] for name in carried]
        for _attempt in range(4):
            loop, finals = self._trace_inner_loop(node, targets, n, lbs, ubs, steps, blocks, ends, is_grid, carried, inits,
                                                  jagged)
            # A carried tensor that broadcasts to a larger shape in the body
            # (acc [m, n] + batched [b, m, n]) is re-traced at that shape.
            widen = {}
            for i, (init, v) in enumerate(zip(inits, finals)):
                if isinstance(init, Scalar) and not init.is_index and isinstance(v, DTensor):
                    widen[i] = v  # a scalar that becomes a tensor (acc = 0.0; acc = acc + x[t].sum(1))
                elif _changes_kind(init, v):  # an int that becomes a float: carried as the float, as torch types it
                    widen[i] = DTensor(None, promote(init, v), init.dims) if isinstance(init, DTensor) else v
                elif isinstance(init, DTensor) and isinstance(v, DTensor) and v.dims != init.dims:
                    try:
                        dims = self.ops.broadcast_dims(init.dims, v.dims)
                    except exc.Base:
                        continue
                    if dims != init.dims:
                        widen[i] = dims
            if not widen:
                break
            self._check_widened_dims(widen, carried, blocks, targets)
            block, saved_block, saved_env = self._pending_yield
            self.b.block, self.env = saved_block, saved_env
            for arg in block.arguments:
                self.arg_sources.pop(arg, None)
            loop.erase()
            for i, to in widen.items():
                if isinstance(to, DTensor):
                    inits[i] = self.ops.to_tensor(inits[i], promote(inits[i], to), to.dims)
                elif isinstance(to, Scalar):
                    inits[i] = self.ops.cast(inits[i], promote(inits[i], to))
                else:
                    inits[i] = self.ops.broadcast_to(inits[i], to)
        self._check_no_lost_updates(node, assigned, carried)
        self._yield_carried(carried, inits, finals)
        for i, (name, init) in enumerate(zip(carried, inits)):
            self.env[name] = _rebind(init, loop.result(i))

    def _trace_inner_loop(self, node, targets, n, lbs, ubs, steps, blocks, ends, is_grid, carried, inits, jagged):
        init_values = [v.value for v in inits]
        loop, block = self.b.for_(lbs, ubs, steps, init_values, [self._type_of(v) for v in inits])
        saved_block, saved_env = self.b.block, dict(self.env)
        self.b.block = block
        args = block.arguments
        self._bind_targets(targets, list(args[:n]), blocks, ends, is_grid, jagged)
        for name, init, arg in zip(carried, inits, args[n:]):
            self.env[name] = _rebind(init, arg)
        for d in range(n):
            self.arg_sources[args[d]] = [lbs[d], ubs[d]]
        for i, init in enumerate(init_values):
            self.arg_sources[args[n + i]] = [init]
        self._visit_body(node.body)
        self._at(node)
        finals = [self._lookup(name) for name in carried]  # a name a device `if` left without one value is refused
        self._pending_yield = (block, saved_block, saved_env)
        return loop, finals

    def _check_widened_dims(self, widen: dict, carried: list, blocks: list, targets: list) -> None:
        """A carried value may widen to a dim of an enclosing tile, never to
        one of this loop's own tiles: those change every iteration and are
        gone after the loop (acc [1, n] += x[t, :1] would become [t, n])."""
        names = ([t.id for t in targets] if len(targets) == len(blocks)
                 else [f"{targets[0].id}[{d}]" for d in range(len(blocks))])  # one name over a multi-dim loop
        own = {b.slot: name for b, name in zip(blocks, names) if isinstance(b, Sym)}
        for i, to in widen.items():
            dims = to if isinstance(to, list) else to.dims if isinstance(to, DTensor) else []
            tiles = [own[d.slot] for d in dims if isinstance(d, Sym) and d.slot in own]
            if tiles:
                raise exc.TypeError_(f"{carried[i]!r} is carried out of this loop but takes the shape {dims} in it, "
                                     f"a dim of which is this loop's tile {tiles[0]!r}; reduce over that dim in the loop "
                                     "(e.g. .sum(0)) so the carried value keeps its shape", location=self.where())

    def _check_no_lost_updates(self, node: ast.For, assigned: list, carried: list) -> None:
        """Values assigned in a loop body live on after it only when carried
        (device tensors and scalars); others would silently keep their value
        from before the loop."""
        _, _, before = self._pending_yield
        for name in assigned:
            if name in carried or name not in self.env:
                continue
            if name not in before:
                self.loop_locals.setdefault(name, node.lineno)
                continue
            old, new = before[name], self.env[name]
            same = old is new or (type(old) is type(new) and isinstance(old, (str, torch.dtype, type(None))) and old == new)
            if not same:
                raise exc.NotSupported(f"{name!r} is reassigned in this loop to {self.describe(new)}, which cannot be carried "
                                       "out of it (only device tensors and numbers are); carry each tensor in its own "
                                       "variable", location=self.where())

    def _yield_carried(self, carried, inits, finals) -> None:
        block, saved_block, saved_env = self._pending_yield
        yields = []
        for name, init, v in zip(carried, inits, finals):
            if isinstance(v, (int, float, bool)):
                v = self.ops.to_tensor(v, init.dtype, init.dims) if isinstance(init, DTensor) else self.ops.scalar(v, init.dtype)
            if isinstance(v, Tile):
                v = self.operand(v)
            if isinstance(init, DTensor):
                if not isinstance(v, DTensor) or v.ndim > init.ndim:
                    raise exc.TypeError_(f"loop-carried {name!r} changes from {self.describe(init)} to {self.describe(v)} in the loop", location=self.where())
                v = self.ops.to_tensor(v, init.dtype, init.dims)
            elif not isinstance(v, Scalar):
                raise exc.TypeError_(f"loop-carried {name!r} changes from {self.describe(init)} to {self.describe(v)} in the loop", location=self.where())
            elif not init.is_index:
                v = self.ops.cast(v, init.dtype)
            yields.append(v.value)
        self.b.yield_(yields)
        self.b.block, self.env = saved_block, saved_env

    def _grid_dims_reached(self, values) -> set[int]:
        """The grid dims whose tiles these values are computed from: a walk
        of their definitions, through the bounds of inner loops."""
        grid = {arg: d for d, (arg, _, _) in enumerate(self.grid_dims)}
        found, seen, stack = set(), set(), list(values)
        while stack:
            v = stack.pop()
            if v in seen:
                continue
            seen.add(v)
            if v in grid:
                found.add(grid[v])
            elif v in self.arg_sources:
                stack.extend(self.arg_sources[v])
            elif v.owner is not None:
                stack.extend(v.owner.operands)
        return found

    def _bind_targets(self, targets, args, blocks, ends, is_grid: bool, jagged=None) -> list[str]:
        """Bind the loop variables; one name over a multi-dim loop holds all its
        tiles (`for tile in hl.tile([m, n])`: `x[tile]`, `tile[0]`, `tm, tn = tile`).
        Returns a name per dim for messages."""
        tiles = [self._bind_tile(Tile(arg, blk, is_grid, ub if isinstance(ub, int) else None, jagged))
                 for arg, blk, ub in zip(args, blocks, ends)]
        if len(targets) == 1 and len(tiles) > 1:
            self.env[targets[0].id] = TileTuple(tiles)
            return [f"{targets[0].id}[{d}]" for d in range(len(tiles))]
        for t, tile in zip(targets, tiles):
            self.env[t.id] = tile
        return [t.id for t in targets]

    def _bind_tile(self, tile: Tile) -> Tile:
        """Remember the tile behind each block-size slot: reductions over that
        dim mask the lanes past its bound."""
        if isinstance(tile.block, Sym):
            self.tile_of_slot[tile.block.slot] = tile
        return tile

    def _is_loop_fn(self, func: ast.AST) -> bool:
        try:
            fn = self.eval(func)
        except exc.Base:
            return False
        return fn is hl.tile or fn is hl.grid or fn is hl.jagged_tile

    def _type_of(self, v):
        if isinstance(v, DTensor):
            return self.b.type(v.type)
        if isinstance(v, Scalar):
            return self.b.type("index" if v.is_index else mlir_dtype(v.dtype))
        raise exc.TypeError_(f"cannot carry {self.describe(v)} through a loop", location=self.where())

    def _static_range(self, node: ast.AST):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "range"):
            return None
        if self._lookup("range") is not range:
            return None
        args = [self.eval(a) for a in node.args]
        if not all(isinstance(a, int) and not isinstance(a, bool) for a in args):
            raise exc.NotSupported("range() in device code needs constant int bounds (it is unrolled)", location=self.where())
        try:
            r = range(*args)
        except (TypeError, ValueError) as e:
            raise exc.TypeError_(f"range(): {e}", location=self.where()) from None
        if len(r) > 4096:
            raise exc.NotSupported(f"range({', '.join(map(str, args))}) is too long to unroll; use hl.tile", location=self.where())
        return r


class TileTuple(tuple):
    """The tiles of a multi-dim loop taken as one name; as a subscript it
    indexes one dim per tile (`x[tile]` is `x[tile[0], tile[1]]`)."""


def _assigned_names(stmts) -> list[str]:
    names: dict[str, None] = {}
    for stmt in stmts:
        for n in ast.walk(stmt):
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
                names.setdefault(n.id, None)
            elif isinstance(n, ast.AugAssign) and isinstance(n.target, ast.Name):
                names.setdefault(n.target.id, None)
    return list(names)


def _changes_kind(init, v) -> bool:
    """Whether a carried value's body result is of a wider kind (bool -> int -> float) than its init."""
    if not isinstance(init, (DTensor, Scalar)) or not isinstance(v, (DTensor, Scalar)) or getattr(init, "is_index", False):
        return False

    def kind(dtype):
        return 2 if dtype.is_floating_point else 0 if dtype == torch.bool else 1
    return kind(v.dtype) > kind(init.dtype)


def _rebind(like, value):
    if isinstance(like, DTensor):
        return DTensor(value, like.dtype, list(like.dims))
    return Scalar(value, like.dtype, like.is_index)

