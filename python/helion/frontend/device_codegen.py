"""Trace the device loop of a kernel into tile IR.

Host values the loop reads are known at this point (the kernel specializes
on them): tensors become memref arguments (dtype, shape, strides), floats
become scalar arguments, ints/bools/dtypes are baked in as constants.
"""
from __future__ import annotations

import ast
import builtins
import dataclasses
import inspect
import linecache
import math
import operator
import types

import torch

from .. import _mlir as ir
from .. import exc
from .. import language as hl
from .device_ops import UNSIGNED, DeviceOps, promote, same_extent
from .host_split import SplitKernel
from .ir_builder import IRBuilder
from .values import BlockSize, DTensor, Scalar, Sym, TensorArg, Tile, mlir_dtype, tensor_type

_BINOPS = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "truediv", ast.FloorDiv: "floordiv",
           ast.Mod: "mod", ast.Pow: "pow", ast.BitAnd: "and", ast.BitOr: "or", ast.BitXor: "xor",
           ast.LShift: "lshift", ast.RShift: "rshift"}
_CMPOPS = {ast.Lt: "lt", ast.LtE: "le", ast.Gt: "gt", ast.GtE: "ge", ast.Eq: "eq", ast.NotEq: "ne"}
_UNARY_FNS = ("exp", "exp2", "log", "log2", "sqrt", "rsqrt", "sin", "cos", "tanh", "sigmoid", "relu", "erf",
              "floor", "ceil", "abs")
# Functions of these packages are never traced inline as helpers (their source is not device code).
_LIBRARY_MODULES = ("torch", "helion", "triton", "numpy", "math", "operator", "builtins", "functools")
_MAX_CALL_DEPTH = 32  # nested helper calls (catches recursion)


@dataclasses.dataclass
class SlotInfo:
    slot: int
    reduction: bool
    extent: int | None
    in_grid: bool
    min_size: int = 1  # dot operands need >= 16


@dataclasses.dataclass
class RuntimeArg:
    index: int  # position in the launch call's values
    kind: str  # "tensor" or "float"


@dataclasses.dataclass
class TracedKernel:
    name: str
    module: object  # ir.Module with one tile.kernel
    slots: list[SlotInfo]
    runtime_args: list[RuntimeArg]
    multi_dim_loops: list[int]  # dim counts of loops that take a loop_order, in program order
    num_grids: int

    @property
    def tile_slots(self) -> list[SlotInfo]:
        return [s for s in self.slots if not s.reduction]

    @property
    def reduction_slots(self) -> list[SlotInfo]:
        return [s for s in self.slots if s.reduction]


class _Method:
    """A bound method of a device value, e.g. `x.to`."""

    def __init__(self, obj, name):
        self.obj, self.name = obj, name


@dataclasses.dataclass
class _DeviceLambda:
    """A lambda written in device code; its body is traced where it is called."""

    node: ast.Lambda
    env: dict
    scope: dict
    filename: str


class _Return(Exception):
    """A `return` of a function traced inline; carries the returned value."""

    def __init__(self, value):
        self.value = value


class DeviceCodegen:
    def __init__(self, split: SplitKernel, values: tuple) -> None:
        self.split = split
        self.values = values
        self.ctx = ir.Context()
        self.b = IRBuilder(self.ctx, split.filename)
        self.ops = DeviceOps(self.b)
        self.slots: list[SlotInfo] = []
        self.slot_values: dict[int, object] = {}  # slot -> its tile.block_size value
        self.slot_ops: dict[int, object] = {}  # slot -> its tile.block_size op
        self.reduction_slot_by_extent: dict[int, int] = {}
        self.multi_dim_loops: list[int] = []
        self.multi_dim_seen: set[int] = set()
        self.slot_by_loop: dict[tuple, int] = {}
        self.tile_of_slot: dict[int, Tile] = {}
        self.loop_stack: list[ast.For] = []
        self.anchor = None  # first op of the kernel body: slots are created before it
        self.env: dict[str, object] = {}
        self.filename = split.filename  # the file of the code being traced (helpers may live elsewhere)
        self.tensor_args_by_id: dict[int, TensorArg] = {}  # host tensor -> its memref argument
        self.device = None  # the device of the kernel's tensors
        self.call_depth = 0  # helper functions being traced inline
        self.call_loop_floor = 0  # loop_stack depth where the innermost traced helper started

    # ------------------------------------------------------------------ entry
    def build(self) -> TracedKernel:
        try:
            return self._build()
        except exc.Base:
            raise
        except Exception as e:  # a bug of ours: report it at the user's line
            raise exc.CompilationError(f"{self.b.where()}: internal error while compiling device code: {e!r}") from e

    def _build(self) -> TracedKernel:
        split = self.split
        arg_types, arg_attrs, runtime_args, bindings = [], [], [], []
        for i, (name, v) in enumerate(zip(split.captured, self.values)):
            if isinstance(v, torch.Tensor):
                if v.dim() == 0:
                    raise exc.NotSupported(f"0-dim tensor argument {name!r}; pass a Python number", location=self._loop_where())
                elt = mlir_dtype(v.dtype, self._loop_where())
                shape = "x".join(str(s) for s in v.shape)
                strides = ", ".join(str(s) for s in v.stride())
                arg_types.append(f"memref<{shape}x{elt}, strided<[{strides}]>>")
                arg_attrs.append("{tile.aligned}" if v.data_ptr() % 16 == 0 else "{}")
                runtime_args.append(RuntimeArg(i, "tensor"))
                bindings.append((name, "tensor", v))
            elif isinstance(v, hl.constexpr):
                if not isinstance(v.value, (bool, int, float)):
                    raise exc.TypeError_(f"hl.constexpr argument {name!r} must be a Python number or bool, "
                                         f"got {type(v.value).__name__}", location=self._loop_where())
                self.env[name] = v.value  # baked in
            elif isinstance(v, float):
                arg_types.append("f32")
                arg_attrs.append("{}")
                runtime_args.append(RuntimeArg(i, "float"))
                bindings.append((name, "float", v))
            else:
                self.env[name] = v  # baked in
        module = self.ctx.create_module()
        fn_type = self.ctx.parse_type(f"({', '.join(arg_types)}) -> ()")
        self.b.block = module.body
        kernel = self.b.op("tile.kernel", attributes={
            "sym_name": split.fn_name, "function_type": fn_type,
            "arg_attrs": self.ctx.parse_attr(f"[{', '.join(arg_attrs)}]")}, regions=1)
        body = kernel.regions[0].add_block([self.b.type(t) for t in arg_types])
        self.b.block = body
        for (name, kind, v), arg in zip(bindings, body.arguments):
            if kind == "tensor":
                self.env[name] = TensorArg(arg, name, v.dtype, tuple(v.shape), tuple(v.stride()), v.device)
                self.tensor_args_by_id[id(v)] = self.env[name]
                self.device = self.device or v.device
            else:
                self.env[name] = Scalar(arg, torch.float32)
        self.anchor = self.b.op("arith.constant", [], ["index"], {"value": self.ctx.parse_attr("0 : index")})
        self.zero_index = self.anchor.result()
        for name, v in list(self.env.items()):
            if isinstance(v, hl.RegisteredBlockSize):  # from host code: a slot of its own
                slot = self._new_slot(False, v.extent, False)
                self.env[name] = BlockSize(self.slot_values[slot], slot)
        self._visit_loop(split.device_loop, top=True)
        self.b.op("tile.return")
        for s in self.slots:
            if s.reduction and s.min_size > 1:  # a persistent block (or chunk) at least this wide
                self.slot_ops[s.slot].set_attribute("min_block", s.min_size)
        try:
            module.verify()
        except ir.MLIRError as e:
            raise exc.CompilationError(f"generated tile IR does not verify: {e}") from None
        return TracedKernel(split.fn_name, module, self.slots, runtime_args, self.multi_dim_loops, 1)

    def _loop_where(self) -> str:
        return f"{self.split.filename}:{self.split.device_loop.lineno}"

    def where(self) -> str:
        return self.b.where()

    def _at(self, node: ast.AST) -> None:
        if hasattr(node, "lineno"):
            self.b.loc = (self.filename, node.lineno, node.col_offset + 1)

    # ------------------------------------------------------------ block sizes
    def _new_slot(self, reduction: bool, extent, in_grid: bool) -> int:
        slot = len(self.slots)
        self.slots.append(SlotInfo(slot, reduction, extent if isinstance(extent, int) else None, in_grid))
        attrs = {"slot": slot}
        if reduction:
            attrs["reduction"] = True
        if isinstance(extent, int):
            attrs["extent"] = extent
        b = ir.Builder.before(self.anchor)
        op = b.create("tile.block_size", results=[self.b.type("index")], attributes=attrs, loc=self.b.loc)
        self.slot_values[slot] = op.result()
        self.slot_ops[slot] = op
        return slot

    def _reduction_slot(self, extent: int) -> int:
        if extent not in self.reduction_slot_by_extent:
            slot = self.reduction_slot_by_extent[extent] = self._new_slot(True, extent, False)
            if extent & (extent - 1) == 0:
                self.ops.pinned[slot] = extent  # mixes with static sizes of `extent`
        return self.reduction_slot_by_extent[extent]

    def _index(self, x):
        """A Python int, index Scalar or integer Scalar as an index value."""
        if isinstance(x, BlockSize):
            return x.value
        if isinstance(x, bool) or not isinstance(x, (int, Scalar, Tile)):
            raise exc.TypeError_(f"expected an integer, got {self._describe(x)}", location=self.where())
        if isinstance(x, int):
            return self.b.index_const(x)
        if isinstance(x, Tile):
            return self._tile_begin(x)
        if x.is_index:
            return x.value
        if x.dtype.is_floating_point:
            raise exc.TypeError_(f"expected an integer, got a {x.dtype} value", location=self.where())
        return self.b.op1("arith.index_cast", [x.value], "index")

    # ------------------------------------------------------------------ loops
    def _loop_spec(self, call: ast.Call):
        fn = self.eval(call.func)
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
        if block_size is not None and not isinstance(block_size, (list, tuple)):
            block_size = [block_size]
        if block_size is not None and len(block_size) != len(ends):
            raise exc.TypeError_("block_size must give one size per dimension", location=self.where())
        if is_grid and block_size is not None:
            raise exc.TypeError_("hl.grid() has no block_size (it is always 1)", location=self.where())
        return is_grid, multi, begins, ends, block_size

    def _visit_loop(self, node: ast.For, top: bool) -> None:
        self.loop_stack.append(node)
        try:
            self._visit_loop_inner(node, top)
        finally:
            self.loop_stack.pop()

    def _visit_loop_inner(self, node: ast.For, top: bool) -> None:
        self._at(node)
        if not (isinstance(node.iter, ast.Call) and self._is_loop_fn(node.iter.func)):
            raise exc.NotSupported("only `for ... in hl.tile(...)` / `hl.grid(...)` loops are supported in device code", location=self.where())
        if node.orelse:
            raise exc.NotSupported("for-else in device code", location=self.where())
        is_grid, multi, begins, ends, block_sizes = self._loop_spec(node.iter)
        n = len(ends)
        targets = node.target.elts if isinstance(node.target, (ast.Tuple, ast.List)) else [node.target]
        if multi and (len(targets) != n or not isinstance(node.target, (ast.Tuple, ast.List))):
            if not (n == 1 and len(targets) == 1):
                raise exc.TypeError_(f"the loop has {n} dimensions; unpack them as `for {', '.join('t%d' % i for i in range(n))} in ...`", location=self.where())
        if not all(isinstance(t, ast.Name) for t in targets):
            raise exc.NotSupported("loop targets must be plain names", location=self.where())
        lbs, ubs, steps, blocks = [], [], [], []
        for d in range(n):
            lb, ub = begins[d], ends[d]
            extent = ub - lb if isinstance(lb, int) and isinstance(ub, int) else None
            lbs.append(self._index(lb))
            ubs.append(self._index(ub))
            if is_grid:
                steps.append(self.b.index_const(1))
                blocks.append(1)
                continue
            bs = block_sizes[d] if block_sizes is not None else None
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
                    slot = self.slot_by_loop[memo] = self._new_slot(False, extent, top)
                steps.append(self.slot_values[slot])
                blocks.append(Sym(slot))
            else:
                raise exc.TypeError_(f"block_size must be an int or hl.register_block_size(), got {self._describe(bs)}", location=self.where())
        if n > 1 and id(node) not in self.multi_dim_seen:
            self.multi_dim_seen.add(id(node))
            self.multi_dim_loops.append(n)
        seg = self.ctx.parse_attr
        if top:
            grid = self.b.op("tile.grid", lbs + ubs + steps,
                             attributes={"operandSegmentSizes": seg(f"array<i32: {n}, {n}, {n}>")}, regions=1)
            block = grid.regions[0].add_block([self.b.type("!tile.tile")] * n)
            saved_block, saved_env = self.b.block, dict(self.env)
            self.b.block = block
            for t, arg, blk, ub in zip(targets, block.arguments, blocks, ends):
                self.env[t.id] = self._bind_tile(Tile(arg, blk, is_grid, ub if isinstance(ub, int) else None))
            self._visit_body(node.body)
            self._at(node)
            self.b.op("tile.yield")
            self.b.block, self.env = saved_block, saved_env
            return
        # Inner loop: values assigned in the body that exist before it are carried.
        assigned = _assigned_names(node.body)
        carried = [name for name in assigned if isinstance(self.env.get(name), (DTensor, Scalar))]
        inits = [self.env[name] for name in carried]
        for _attempt in range(4):
            loop, finals = self._trace_inner_loop(node, targets, n, lbs, ubs, steps, blocks, ends, is_grid, carried, inits)
            # A carried tensor that broadcasts to a larger shape in the body
            # (acc [m, n] + batched [b, m, n]) is re-traced at that shape.
            widen = {}
            for i, (init, v) in enumerate(zip(inits, finals)):
                if isinstance(init, DTensor) and isinstance(v, DTensor) and v.dims != init.dims:
                    try:
                        dims = self.ops.broadcast_dims(init.dims, v.dims)
                    except exc.Base:
                        continue
                    if dims != init.dims:
                        widen[i] = dims
            if not widen:
                break
            _, saved_block, saved_env = self._pending_yield
            self.b.block, self.env = saved_block, saved_env
            loop.erase()
            for i, dims in widen.items():
                inits[i] = self.ops.broadcast_to(inits[i], dims)
        self._yield_carried(carried, inits, finals)
        for i, (name, init) in enumerate(zip(carried, inits)):
            self.env[name] = _rebind(init, loop.result(i))

    def _trace_inner_loop(self, node, targets, n, lbs, ubs, steps, blocks, ends, is_grid, carried, inits):
        seg = self.ctx.parse_attr
        init_values = [v.value for v in inits]
        result_types = [self._type_of(v) for v in inits]
        loop = self.b.op("tile.for", lbs + ubs + steps + init_values, result_types,
                         attributes={"operandSegmentSizes": seg(f"array<i32: {n}, {n}, {n}, {len(inits)}>")}, regions=1)
        block = loop.regions[0].add_block([self.b.type("!tile.tile")] * n + result_types)
        saved_block, saved_env = self.b.block, dict(self.env)
        self.b.block = block
        args = block.arguments
        for t, arg, blk, ub in zip(targets, args[:n], blocks, ends):
            self.env[t.id] = self._bind_tile(Tile(arg, blk, is_grid, ub if isinstance(ub, int) else None))
        for name, init, arg in zip(carried, inits, args[n:]):
            self.env[name] = _rebind(init, arg)
        self._visit_body(node.body)
        self._at(node)
        finals = [self.env[name] for name in carried]
        self._pending_yield = (block, saved_block, saved_env)
        return loop, finals

    def _yield_carried(self, carried, inits, finals) -> None:
        block, saved_block, saved_env = self._pending_yield
        yields = []
        for name, init, v in zip(carried, inits, finals):
            if isinstance(v, (int, float, bool)):
                v = self.ops.to_tensor(v, init.dtype, init.dims) if isinstance(init, DTensor) else self.ops.scalar(v, init.dtype)
            if isinstance(v, Tile):
                v = self._value(v)
            if isinstance(init, DTensor):
                if not isinstance(v, DTensor) or v.ndim > init.ndim:
                    raise exc.TypeError_(f"loop-carried {name!r} changes from {self._describe(init)} to {self._describe(v)} in the loop", location=self.where())
                v = self.ops.to_tensor(v, init.dtype, init.dims)
            elif not isinstance(v, Scalar):
                raise exc.TypeError_(f"loop-carried {name!r} changes from {self._describe(init)} to {self._describe(v)} in the loop", location=self.where())
            elif not init.is_index:
                v = self.ops.cast(v, init.dtype)
            yields.append(v.value)
        self.b.op("tile.yield", yields)
        self.b.block, self.env = saved_block, saved_env

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
        return fn is hl.tile or fn is hl.grid

    def _type_of(self, v):
        if isinstance(v, DTensor):
            return self.b.type(v.type)
        if isinstance(v, Scalar):
            return self.b.type("index" if v.is_index else mlir_dtype(v.dtype))
        raise exc.TypeError_(f"cannot carry {self._describe(v)} through a loop", location=self.where())

    # ------------------------------------------------------------- statements
    def _visit_body(self, stmts) -> None:
        for stmt in stmts:
            self._at(stmt)
            self._visit_stmt(stmt)

    def _visit_stmt(self, stmt: ast.stmt) -> None:
        if isinstance(stmt, ast.Assign):
            value = self.eval(stmt.value)
            for target in stmt.targets:
                self._assign(target, value)
        elif isinstance(stmt, ast.AnnAssign):
            if stmt.value is not None:
                self._assign(stmt.target, self.eval(stmt.value))
        elif isinstance(stmt, ast.AugAssign):
            op = _BINOPS.get(type(stmt.op))
            if op is None:
                raise exc.NotSupported(f"augmented operator {type(stmt.op).__name__}", location=self.where())
            if isinstance(stmt.target, ast.Name):
                cur = self._lookup(stmt.target.id)
                self.env[stmt.target.id] = self._binary(op, cur, self.eval(stmt.value))
            elif isinstance(stmt.target, ast.Subscript):
                base = self.eval(stmt.target.value)
                index = self._subscript_items(stmt.target.slice)
                cur = self._load(base, index)
                self._store(base, index, self._binary(op, cur, self.eval(stmt.value)))
            else:
                raise exc.NotSupported("augmented assignment target", location=self.where())
        elif isinstance(stmt, ast.Expr):
            if isinstance(stmt.value, ast.Constant):
                return  # docstring or bare constant
            self.eval(stmt.value)
        elif isinstance(stmt, ast.For) and self._static_range(stmt.iter) is not None:
            # `for i in range(...)` with constant bounds is unrolled at trace time.
            if not isinstance(stmt.target, ast.Name) or stmt.orelse:
                raise exc.NotSupported("only `for name in range(...)` is unrolled", location=self.where())
            for i in self._static_range(stmt.iter):
                self.env[stmt.target.id] = i
                self._visit_body(stmt.body)
        elif isinstance(stmt, ast.For):
            self._visit_loop(stmt, top=False)
        elif isinstance(stmt, ast.If):
            cond = self.eval(stmt.test)
            if isinstance(cond, (bool, int)) and not isinstance(cond, Scalar):
                self._visit_body(stmt.body if cond else stmt.orelse)
            else:
                raise exc.NotSupported("`if` on a device value; use torch.where(cond, a, b)", location=self.where())
        elif isinstance(stmt, ast.Pass):
            return
        elif isinstance(stmt, ast.Return):
            if self.call_depth == 0:
                raise exc.NotSupported("`return` in the device loop; write results to tensors instead", location=self.where())
            if len(self.loop_stack) > self.call_loop_floor:
                raise exc.NotSupported("`return` inside a tile loop of a function called from device code", location=self.where())
            raise _Return(self.eval(stmt.value) if stmt.value is not None else None)
        else:
            raise exc.NotSupported(f"statement `{type(stmt).__name__}` in device code", location=self.where())

    def _static_range(self, node: ast.AST):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "range"):
            return None
        if self._lookup("range") is not range:
            return None
        args = [self.eval(a) for a in node.args]
        if not all(isinstance(a, int) and not isinstance(a, bool) for a in args):
            raise exc.NotSupported("range() in device code needs constant int bounds (it is unrolled)", location=self.where())
        r = range(*args)
        if len(r) > 4096:
            raise exc.NotSupported(f"range({', '.join(map(str, args))}) is too long to unroll; use hl.tile", location=self.where())
        return r

    def _assign(self, target: ast.AST, value) -> None:
        if isinstance(target, ast.Name):
            self.env[target.id] = value
        elif isinstance(target, (ast.Tuple, ast.List)):
            if not isinstance(value, (tuple, list)) or len(value) != len(target.elts):
                raise exc.TypeError_(f"cannot unpack {self._describe(value)} into {len(target.elts)} names", location=self.where())
            for t, v in zip(target.elts, value):
                self._assign(t, v)
        elif isinstance(target, ast.Subscript):
            base = self.eval(target.value)
            self._store(base, self._subscript_items(target.slice), value)
        else:
            raise exc.NotSupported(f"assignment to {type(target).__name__}", location=self.where())

    # ------------------------------------------------------------ expressions
    def _lookup(self, name: str):
        if name in self.env:
            return self.env[name]
        if name in self.split.globals:
            v = self.split.globals[name]
            if isinstance(v, torch.Tensor):
                # A global or closure variable of a helper: usable when the device
                # loop also passes that very tensor in.
                arg = self.tensor_args_by_id.get(id(v))
                if arg is None:
                    raise exc.NotSupported(f"{name!r} is a host tensor that device code reads as a global or closure variable; "
                                           "device code reads only tensors named in the device loop (assign it to a "
                                           "variable in host code and pass it to the helper as an argument)", location=self.where())
                return arg
            return v
        if hasattr(builtins, name):
            return getattr(builtins, name)
        raise exc.NotSupported(f"name {name!r} is not defined", location=self.where())

    def eval(self, node: ast.AST):
        self._at(node)
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            return self._lookup(node.id)
        if isinstance(node, ast.Attribute):
            return self._attribute(self.eval(node.value), node.attr)
        if isinstance(node, (ast.Tuple, ast.List)):
            return [self.eval(e) for e in node.elts] if isinstance(node, ast.List) else tuple(self.eval(e) for e in node.elts)
        if isinstance(node, ast.BinOp):
            left, right = self.eval(node.left), self.eval(node.right)
            self._at(node)
            if isinstance(node.op, ast.MatMult):
                return self._matmul(left, right)
            op = _BINOPS.get(type(node.op))
            if op is None:
                raise exc.NotSupported(f"operator {type(node.op).__name__}", location=self.where())
            return self._binary(op, left, right)
        if isinstance(node, ast.UnaryOp):
            v = self.eval(node.operand)
            if isinstance(node.op, ast.USub):
                return self.ops.neg(self._value(v))
            if isinstance(node.op, ast.UAdd):
                return v
            if isinstance(node.op, ast.Not):
                if isinstance(v, (bool, int)):
                    return not v
                return self.ops.binary("xor", self.ops.cast(self._value(v), torch.bool), True)
            if isinstance(node.op, ast.Invert):
                if isinstance(v, int):
                    return ~v
                v = self._value(v)
                return self.ops.binary("xor", v, True if v.dtype == torch.bool else -1)
        if isinstance(node, ast.Compare):
            result = None
            left = self.eval(node.left)
            for op, comp in zip(node.ops, node.comparators):
                right = self.eval(comp)
                if isinstance(op, (ast.Is, ast.IsNot)):
                    r = (left is right) == isinstance(op, ast.Is)
                elif isinstance(op, (ast.In, ast.NotIn)):
                    r = (left in right) == isinstance(op, ast.In)
                else:
                    r = self._binary(_CMPOPS[type(op)], left, right)
                result = r if result is None else self._binary("and", result, r)
                left = right
            return result
        if isinstance(node, ast.BoolOp):
            values = [self.eval(v) for v in node.values]
            if all(isinstance(v, (bool, int)) for v in values):
                return all(values) if isinstance(node.op, ast.And) else any(values)
            op = "and" if isinstance(node.op, ast.And) else "or"
            result = self.ops.cast(self._value(values[0]), torch.bool)
            for v in values[1:]:
                result = self.ops.binary(op, result, self.ops.cast(self._value(v), torch.bool))
            return result
        if isinstance(node, ast.IfExp):
            cond = self.eval(node.test)
            if isinstance(cond, (bool, int)):
                return self.eval(node.body if cond else node.orelse)
            return self.ops.where(self._value(cond), self._value(self.eval(node.body)), self._value(self.eval(node.orelse)))
        if isinstance(node, ast.Subscript):
            base, items = self._subscript_chain(node)
            self._at(node)
            return self._load(base, items)
        if isinstance(node, ast.Call):
            fn = self.eval(node.func)
            args = []
            for a in node.args:
                if isinstance(a, ast.Starred):
                    args.extend(self.eval(a.value))
                else:
                    args.append(self.eval(a))
            kwargs = {k.arg: self.eval(k.value) for k in node.keywords}
            self._at(node)
            return self._call(fn, args, kwargs)
        if isinstance(node, ast.Slice):
            return slice(*(self.eval(x) if x is not None else None for x in (node.lower, node.upper, node.step)))
        if isinstance(node, ast.Lambda):
            a = node.args
            if a.posonlyargs or a.vararg or a.kwonlyargs or a.kwarg or a.defaults:
                raise exc.NotSupported("lambdas in device code take plain positional parameters only", location=self.where())
            return _DeviceLambda(node, dict(self.env), self.split.globals, self.filename)
        raise exc.NotSupported(f"expression `{type(node).__name__}` in device code", location=self.where())

    def _value(self, v):
        """Device operands: grid indices act as index scalars."""
        if isinstance(v, Tile):
            if v.scalar:
                return Scalar(self._tile_begin(v), torch.int64, is_index=True)
            raise exc.TypeError_("a tile is not a value; use tile.index for its indices", location=self.where())
        if isinstance(v, (DTensor, Scalar, bool, int, float)):
            return v
        if isinstance(v, TensorArg):
            return self._load_whole(v)
        if isinstance(v, BlockSize):
            return Scalar(v.value, torch.int64, is_index=True)
        raise exc.TypeError_(f"expected a tensor or number, got {self._describe(v)}", location=self.where())

    def _load_whole(self, t: TensorArg) -> DTensor:
        """A tensor argument used as a value (`bit_positions * 4`): loaded whole,
        as one unmasked block of static shape."""
        if not all(s >= 1 and s & (s - 1) == 0 for s in t.shape):
            raise exc.NotSupported(f"tensor {t.name!r} of shape {list(t.shape)} is used whole in device code; that needs a "
                                   f"power-of-two size in every dim (index it instead, e.g. {t.name}[tile])", location=self.where())
        if math.prod(t.shape) > 1 << 20:
            raise exc.NotSupported(f"tensor {t.name!r} of shape {list(t.shape)} is too large to load whole into one program; "
                                   "index it with tiles", location=self.where())
        operands = [self.b.op1("tile.make_tile", [self.zero_index, self.b.index_const(s), self.b.index_const(s)], "!tile.tile")
                    for s in t.shape]
        seg = self.ctx.parse_attr(f"array<i32: 1, {len(operands)}, 0, 0>")
        dims = list(t.shape)
        return DTensor(self.b.op1("tile.load", [t.value] + operands, tensor_type(dims, t.dtype), {"operandSegmentSizes": seg}),
                       t.dtype, dims)

    def _binary(self, op, a, b):
        if isinstance(a, (list, tuple)) or isinstance(b, (list, tuple)):
            raise exc.TypeError_(f"operator {op} on a sequence", location=self.where())
        a, b = self._value(a), self._value(b)
        if op in ("lshift", "rshift"):
            return self._shift(op, a, b)
        if isinstance(a, Scalar) and a.is_index and isinstance(b, (int, Scalar)) and (not isinstance(b, Scalar) or b.is_index) and op in ("add", "sub", "mul", "floordiv", "mod"):
            names = {"add": "arith.addi", "sub": "arith.subi", "mul": "arith.muli", "floordiv": "arith.floordivsi", "mod": "arith.remsi"}
            return Scalar(self.b.op1(names[op], [a.value, self._index(b)], "index"), torch.int64, is_index=True)
        if isinstance(b, Scalar) and b.is_index and isinstance(a, int) and op in ("add", "mul"):
            return self._binary(op, b, a)
        return self.ops.binary(op, a, b)

    def _shift(self, op: str, a, b):
        """`a << b` / `a >> b` on integers: arith.shli, arith.shrsi (arith.shrui
        for unsigned types). Shift amounts of the bit width or more give what
        torch gives (0, or the sign for signed right shifts)."""
        sym = "<<" if op == "lshift" else ">>"
        if isinstance(a, int) and isinstance(b, int):
            return a << b if op == "lshift" else a >> b
        if any(isinstance(x, float) for x in (a, b)):
            raise exc.TypeError_(f"`{sym}` needs integer operands, got a float", location=self.where())
        dtype = promote(a, b)
        if dtype.is_floating_point or dtype == torch.bool:
            raise exc.TypeError_(f"`{sym}` needs integer operands, got {dtype}", location=self.where())
        (x, y), dims = self.ops.common([a, b], dtype)
        bits = dtype.itemsize * 8
        in_range = isinstance(b, int) and 0 <= b < bits
        if op == "lshift":
            r = self.ops._make("arith.shli", [x, y], dtype, dims)
        elif dtype in UNSIGNED:
            r = self.ops._make("arith.shrui", [x, y], dtype, dims)
        else:
            if not in_range:  # shifting by bits - 1 fills with the sign, as torch does past the width
                y = self.ops.binary("minimum", y, bits - 1)
            return self.ops._make("arith.shrsi", [x, y], dtype, dims)
        if not in_range:
            r = self.ops.where(self.ops.compare("lt", y, bits), r, 0)
        return r

    def _describe(self, v) -> str:
        if isinstance(v, DTensor):
            return f"a {v.dtype} tensor of shape {v.dims}"
        if isinstance(v, Scalar):
            return f"a {v.dtype} scalar"
        if isinstance(v, Tile):
            return "a tile"
        if isinstance(v, TensorArg):
            return f"tensor {v.name!r}"
        return type(v).__name__

    # ------------------------------------------------------------- attributes
    def _tile_begin(self, t: Tile):
        return self.b.op1("tile.begin", [t.value], "index")

    def _attribute(self, obj, name: str):
        if isinstance(obj, Tile):
            if name == "size":
                return _Method(obj, name)
            if name == "begin":
                return Scalar(self._tile_begin(obj), torch.int64, is_index=True)
            if name == "end":
                return Scalar(self.b.op1("tile.end", [obj.value], "index"), torch.int64, is_index=True)
            if name == "block_size":
                if isinstance(obj.block, int):
                    return obj.block
                return Scalar(self.b.op1("tile.block", [obj.value], "index"), torch.int64, is_index=True)
            if name == "index":
                dims = [obj.block]
                return DTensor(self.b.op1("tile.index", [obj.value], tensor_type(dims, torch.int32)), torch.int32, dims)
            if name == "id":
                return self._binary("floordiv", Scalar(self._tile_begin(obj), torch.int64, True),
                                    self._attribute(obj, "block_size"))
            raise exc.NotSupported(f"tile attribute {name!r} (have begin, end, block_size, size, index, id)", location=self.where())
        if isinstance(obj, TensorArg):
            if name == "shape":
                return list(obj.shape)
            if name == "dtype":
                return obj.dtype
            if name == "ndim":
                return obj.ndim
            if name == "device":
                return obj.device
            if name in ("size", "stride", "dim", "numel"):
                return _Method(obj, name)
            if name.startswith("_"):
                raise exc.NotSupported(f"attribute {name!r} of tensor argument {obj.name!r} in device code", location=self.where())
            return self._attribute(self._load_whole(obj), name)  # a method of the whole tensor
        if isinstance(obj, DTensor):
            if name == "dtype":
                return obj.dtype
            if name == "device":
                return self.device
            if name == "shape":
                return list(obj.dims)
            if name == "ndim":
                return obj.ndim
            if name == "T":
                return self._permute(obj, list(range(obj.ndim))[::-1])
            return _Method(obj, name)
        if isinstance(obj, Scalar):
            if name == "dtype":
                return obj.dtype
            return _Method(obj, name)
        try:
            return getattr(obj, name)
        except AttributeError:
            raise exc.NotSupported(f"attribute {name!r} of {self._describe(obj)}", location=self.where()) from None

    # ---------------------------------------------------------- indexing
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
        return self._describe(it)

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

    def _index_operands(self, base: TensorArg, items: list, for_store: bool):
        """Index operands of a load/store and the result dims (None = expand)."""
        items = self._expand_ellipsis(list(items), base.ndim)
        real = [it for it in items if it is not None]
        if len(real) > base.ndim:
            raise exc.TypeError_(f"too many indices for tensor {base.name!r} of rank {base.ndim}", location=self.where())
        items = items + [slice(None)] * (base.ndim - len(real))
        operands, dims, expand_at = [], [], []
        self._gather_masks = []
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
                operands.append(it.value)
                dims.append(it.block)
            elif isinstance(it, slice) and (it.start is not None or it.stop is not None):
                lo = 0 if it.start is None else it.start
                hi = size if it.stop is None else it.stop
                if not (isinstance(lo, int) and isinstance(hi, int)):
                    raise exc.NotSupported("slice bounds must be constants (use hl.tile for dynamic ranges)", location=self.where())
                length = hi - lo
                if length < 1 or length & (length - 1) or not 0 <= lo < hi <= size:
                    raise exc.NotSupported(f"slice {lo}:{hi} of a dim of size {size}: bounded slices need a power-of-two length "
                                           "inside the tensor", location=self.where())
                tile = self.b.op1("tile.make_tile", [self.b.index_const(lo), self.b.index_const(hi), self.b.index_const(length)], "!tile.tile")
                operands.append(tile)
                dims.append(length)
            elif isinstance(it, slice):
                # A full slice is a reduction slot: persistent (one block) or
                # looped by Config.reduction_loops.
                slot = self._reduction_slot(size)
                tile = self.b.op1("tile.make_tile", [self.zero_index, self.b.index_const(size), self.slot_values[slot]], "!tile.tile")
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
                raise exc.TypeError_(f"cannot index tensor {base.name!r} with {self._describe(it)}", location=self.where())
            d += 1
        return operands, dims, expand_at

    def _load(self, base, items):
        if isinstance(base, (list, tuple)):
            if len(items) != 1:
                raise exc.TypeError_("sequences take one index", location=self.where())
            return base[items[0]]
        if isinstance(base, DTensor):
            return self._index_dtensor(base, items)
        if not isinstance(base, TensorArg):
            raise exc.TypeError_(f"cannot index {self._describe(base)}", location=self.where())
        operands, dims, expand_at = self._index_operands(base, items, for_store=False)
        load_dims = [x for x in dims if x is not None]
        mask = self._gather_mask(dims)
        seg = self.ctx.parse_attr(f"array<i32: 1, {len(operands)}, {0 if mask is None else 1}, 0>")
        if mask is not None:
            operands = operands + [mask.value]
        if not load_dims:
            result = Scalar(self.b.op1("tile.load", [base.value] + operands, mlir_dtype(base.dtype), {"operandSegmentSizes": seg}), base.dtype)
            if expand_at:
                raise exc.NotSupported("None on a scalar load", location=self.where())
            return result
        v = DTensor(self.b.op1("tile.load", [base.value] + operands, tensor_type(load_dims, base.dtype),
                               {"operandSegmentSizes": seg}), base.dtype, load_dims)
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
                raise exc.NotSupported(f"indexing a device tensor with {self._describe(it)}: values computed in device code take "
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
        """Elements lo .. lo+length-1 of static, power-of-two dim `axis` of x
        (register tensors have no slicing op): a one-hot select and a sum over
        that dim. keep=False drops the dim (length 1: an integer index)."""
        x = self._static_dim(x, axis)
        size = x.dims[axis]
        if not isinstance(size, int) or size & (size - 1):
            raise exc.NotSupported(f"indexing a device tensor dim of size {size}: needs a static power-of-two size",
                                   location=self.where())
        dtype = x.dtype
        compute = torch.float32 if dtype in (torch.float16, torch.bfloat16) else torch.int8 if dtype == torch.bool else dtype
        xc = self.ops.cast(x, compute)
        zero = -0.0 if compute.is_floating_point else 0  # x + -0.0 == x, signed zeros too
        lanes = self.ops.arange(0, size)
        if length == 1:
            sel = self.ops.place(self.ops.compare("eq", lanes, lo), axis, xc.dims)
            r = self._make_reduce("sum", self.ops.where(sel, xc, zero), axis, keepdim=keep)
        else:
            # sel[j, i] = (i == lo + j), placed at dims (axis, axis + 1) of [.., length, size, ..].
            want = self.ops.arange(lo, lo + length)
            sel = self.ops.compare("eq", self.ops.expand_dims(lanes, 0), self.ops.expand_dims(want, 1))
            for _ in range(axis):
                sel = self.ops.expand_dims(sel, 0)
            while sel.ndim < xc.ndim + 1:
                sel = self.ops.expand_dims(sel, sel.ndim)
            dims = xc.dims[:axis] + [length] + xc.dims[axis:]
            sel = self.ops.broadcast_to(sel, dims)
            wide = self.ops.broadcast_to(self.ops.expand_dims(xc, axis), dims)
            r = self._make_reduce("sum", self.ops.where(sel, wide, zero), axis + 1)
        return self.ops.cast(r, dtype)

    def _store(self, base, items, value) -> None:
        if not isinstance(base, TensorArg):
            raise exc.TypeError_(f"cannot store into {self._describe(base)}; only kernel tensor arguments are writable", location=self.where())
        operands, dims, _ = self._index_operands(base, items, for_store=True)
        value = self._value(value)
        if dims:
            if isinstance(value, DTensor) and value.ndim > len(dims):
                raise exc.TypeError_(f"cannot store {self._describe(value)} into a tile of shape {dims}", location=self.where())
            if isinstance(value, DTensor):
                self.ops.broadcast_dims(value.dims, dims)
            v = self.ops.to_tensor(value, base.dtype, dims)
        else:
            if isinstance(value, DTensor):
                raise exc.TypeError_(f"cannot store {self._describe(value)} into one element", location=self.where())
            v = self.ops.scalar(value, base.dtype)
        mask = self._gather_mask(dims)
        seg = self.ctx.parse_attr(f"array<i32: 1, 1, {len(operands)}, {0 if mask is None else 1}>")
        extra = [mask.value] if mask is not None else []
        self.b.op("tile.store", [v.value, base.value] + operands + extra, attributes={"operandSegmentSizes": seg})

    def _gather_mask(self, dims: list):
        """AND of the tile masks recorded for gather dims, shaped like the access."""
        real = [d for d in dims if d is not None]
        positions = {}
        for tile, pos in self._gather_masks:
            # Positions count dims before Nones are dropped; recompute without them.
            shifted = pos - sum(1 for d in dims[:pos] if d is None)
            positions[shifted] = tile
        result = None
        for pos, tile in positions.items():
            m = self.ops.place(self._tile_mask(tile, real[pos]), pos, real)
            result = m if result is None else self.ops.binary("and", result, m)
        return result

    # ------------------------------------------------------------------ calls
    def _call(self, fn, args, kwargs):
        if isinstance(fn, _Method):
            return self._method(fn.obj, fn.name, args, kwargs)
        if isinstance(fn, _DeviceLambda):
            return self._trace_function(fn, args, kwargs)
        if fn is hl.zeros or fn is hl.full:
            if fn is hl.zeros:
                shape = args[0] if args else kwargs.pop("shape")
                value = 0
            else:
                shape, value = (list(args) + [None, None])[:2]
                shape = shape if shape is not None else kwargs.pop("shape")
                value = value if value is not None else kwargs.pop("value")
            dtype = kwargs.pop("dtype", None) or torch.float32
            return self.ops.to_tensor(value, dtype, self._shape_dims(shape))
        if fn is hl.dot:
            return self._dot_call(*args, **kwargs)
        if fn is hl.reduce:
            return self._user_reduce(*args, **kwargs)
        if fn is hl.register_block_size:
            extent = args[0]
            slot = self._new_slot(False, extent, False)
            return BlockSize(self.slot_values[slot], slot)
        if fn is hl.specialize:
            return args[0]
        if fn is hl.arange:
            start, end = (0, args[0]) if len(args) == 1 else args[:2]
            dtype = kwargs.get("dtype") or torch.int32
            n = end - start
            if n < 1 or n & (n - 1):
                raise exc.TypeError_(f"hl.arange size {n} must be a power of two", location=self.where())
            return self.ops.cast(self.ops.arange(start, end), dtype)
        if fn is torch.arange:
            return self._torch_arange(args, kwargs)
        if fn in (hl.tile, hl.grid):
            raise exc.NotSupported("hl.tile()/hl.grid() outside a for loop header", location=self.where())
        if fn in (torch.bitwise_left_shift, torch.bitwise_right_shift):
            return self._binary("lshift" if fn is torch.bitwise_left_shift else "rshift", args[0], args[1])
        if fn in _TORCH_REDUCTIONS:
            if fn in (torch.max, torch.min) and len(args) > 1 and not isinstance(args[1], int):
                return self._binary("maximum" if fn is torch.max else "minimum", args[0], args[1])
            return self._reduction(_TORCH_REDUCTIONS[fn], self._value(args[0]), list(args[1:]), kwargs)
        if fn in _TORCH_BINARY:
            out = self._binary(_TORCH_BINARY[fn], args[0], args[1])
            if "alpha" in kwargs:
                raise exc.NotSupported("alpha= in device code", location=self.where())
            return out
        if fn in _TORCH_UNARY:
            return self.ops.unary(_TORCH_UNARY[fn], self._value(args[0]))
        if fn is torch.nn.functional.gelu:
            approx = kwargs.get("approximate", "none")
            return self.ops.unary("gelu_tanh" if approx == "tanh" else "gelu", self._value(args[0]))
        if fn is torch.where:
            return self.ops.where(*(self._value(a) for a in args))
        if fn is torch.clamp:
            lo = args[1] if len(args) > 1 else kwargs.get("min")
            hi = args[2] if len(args) > 2 else kwargs.get("max")
            return self.ops.clamp(self._value(args[0]), lo, hi)
        if fn is torch.neg:
            return self.ops.neg(self._value(args[0]))
        if fn in (torch.matmul, torch.mm, torch.bmm):
            return self._matmul(*args)
        if fn in (torch.addmm, torch.baddbmm):
            if kwargs.get("alpha", 1) != 1 or kwargs.get("beta", 1) != 1:
                raise exc.NotSupported("alpha/beta of addmm in device code", location=self.where())
            return self._addmm(*args)
        if fn in (torch.zeros_like, torch.ones_like, torch.full_like):
            if isinstance(args[0], Tile):  # a tensor shaped like the tile's indices
                t = args[0]
                args = [DTensor(None, torch.int32, [1 if t.scalar else t.block])] + list(args[1:])
            x = self._value(args[0])
            value = {torch.zeros_like: 0, torch.ones_like: 1}.get(fn, args[1] if len(args) > 1 else kwargs.get("fill_value"))
            dtype = kwargs.get("dtype") or x.dtype
            return self.ops.to_tensor(value, dtype, x.dims)
        if fn is builtins.isinstance:
            if isinstance(args[0], (DTensor, Scalar, TensorArg)):  # device values are tensors
                classes = args[1] if isinstance(args[1], tuple) else (args[1],)
                return any(isinstance(c, type) and issubclass(torch.Tensor, c) for c in classes)
            return isinstance(args[0], args[1])
        if fn is builtins.min or fn is builtins.max:
            if all(isinstance(a, (int, float)) for a in args):
                return fn(*args)
            return self._binary("minimum" if fn is builtins.min else "maximum", args[0], args[1])
        if fn in (builtins.len, builtins.int, builtins.float, builtins.abs, builtins.range, math.sqrt, math.log, math.exp, math.log2):
            if all(isinstance(a, (int, float, str, list, tuple)) for a in args):
                return fn(*args)
        if callable(fn) and getattr(fn, "__module__", "") in ("math", "operator"):
            return fn(*args, **kwargs)
        if isinstance(fn, types.FunctionType) and (fn.__module__ or "").split(".")[0] not in _LIBRARY_MODULES:
            return self._trace_function(fn, args, kwargs)  # a helper of the user's: inline its body
        name = getattr(fn, "__qualname__", None) or getattr(fn, "__name__", repr(fn))
        module = getattr(fn, "__module__", None)
        raise exc.NotSupported(f"call to {module + '.' if module else ''}{name} in device code", location=self.where())

    def _torch_arange(self, args, kwargs):
        """torch.arange with constant bounds in device code (int64 by default, as in torch)."""
        dtype = kwargs.pop("dtype", None)
        kwargs.pop("device", None)
        if "end" in kwargs:
            args = list(args) + [kwargs.pop("end")]
        if "start" in kwargs:
            args = [kwargs.pop("start")] + list(args)
        step = kwargs.pop("step", None)
        if kwargs:
            raise exc.NotSupported(f"torch.arange() arguments {sorted(kwargs)} in device code", location=self.where())
        args = list(args) + ([step] if step is not None else [])
        if not 1 <= len(args) <= 3 or not all(isinstance(a, int) and not isinstance(a, bool) for a in args):
            raise exc.NotSupported("torch.arange() in device code needs constant int bounds (use tile.index for the indices "
                                   "of a tile)", location=self.where())
        r = range(*args)
        n = len(r)
        if n < 1 or n & (n - 1):
            raise exc.NotSupported(f"torch.arange() of length {n} in device code: needs a power-of-two length", location=self.where())
        v = self.ops.cast(self.ops.arange(0, n), dtype or torch.int64)
        if r.step != 1:
            v = self.ops.binary("mul", v, r.step)
        if r.start != 0:
            v = self.ops.binary("add", v, r.start)
        return v

    def _method(self, obj, name, args, kwargs):
        if isinstance(obj, Tile):  # name == "size": the block size, as a shape entry
            if len(args) > 1 or (args and args[0] not in (0, -1)):
                raise exc.TypeError_("a tile has one dim: tile.size() or tile.size(0)", location=self.where())
            size = 1 if obj.scalar else obj.block if isinstance(obj.block, int) else BlockSize(self.slot_values[obj.block.slot], obj.block.slot)
            return size if args else [size]
        if isinstance(obj, TensorArg):
            if name == "size":
                return obj.shape[args[0]] if args else list(obj.shape)
            if name == "stride":
                return obj.strides[args[0]] if args else list(obj.strides)
            if name == "dim":
                return obj.ndim
            if name == "numel":
                return math.prod(obj.shape)
        x = obj
        casts = {"float": torch.float32, "half": torch.float16, "bfloat16": torch.bfloat16, "int": torch.int32,
                 "long": torch.int64, "bool": torch.bool, "double": torch.float64}
        if name == "to":
            dtype = args[0] if args else kwargs.get("dtype")
            if not isinstance(dtype, torch.dtype):
                raise exc.NotSupported(".to() in device code takes a dtype", location=self.where())
            return self.ops.cast(x, dtype)
        if name in casts:
            return self.ops.cast(x, casts[name])
        if name in _REDUCTION_METHODS and isinstance(x, DTensor):
            if name in ("max", "min") and args and not isinstance(args[0], int):
                return self._binary("maximum" if name == "max" else "minimum", x, args[0])
            return self._reduction(name, x, list(args), kwargs)
        if name in _UNARY_FNS or name in ("silu", "relu"):
            return self.ops.unary(name, x)
        if name in ("add", "sub", "mul", "div", "maximum", "minimum", "pow"):
            return self._binary({"div": "truediv"}.get(name, name), x, args[0])
        bitwise = {"bitwise_and": "and", "bitwise_or": "or", "bitwise_xor": "xor", "bitwise_left_shift": "lshift",
                   "bitwise_right_shift": "rshift"}
        if name in bitwise:
            return self._binary(bitwise[name], x, args[0])
        if name == "clamp":
            return self.ops.clamp(x, args[0] if args else kwargs.get("min"), args[1] if len(args) > 1 else kwargs.get("max"))
        if name == "neg":
            return self.ops.neg(x)
        if isinstance(x, DTensor):
            if name == "size":
                return x.dims[args[0]] if args else list(x.dims)
            if name == "dim":
                return x.ndim
            if name in ("t",):
                return self._permute(x, [1, 0])
            if name == "permute":
                perm = list(args[0]) if len(args) == 1 and isinstance(args[0], (list, tuple)) else list(args)
                return self._permute(x, perm)
            if name == "transpose":
                perm = list(range(x.ndim))
                a, b = (d % x.ndim for d in args)
                perm[a], perm[b] = perm[b], perm[a]
                return self._permute(x, perm)
            if name == "unsqueeze":
                return self.ops.expand_dims(x, args[0] % (x.ndim + 1))
            if name in ("reshape", "view"):
                shape = list(args[0]) if len(args) == 1 and isinstance(args[0], (list, tuple)) else list(args)
                return self._reshape(x, shape)
            if name == "expand":
                shape = list(args[0]) if len(args) == 1 and isinstance(args[0], (list, tuple)) else list(args)
                return self.ops.broadcast_to(x, self._shape_dims(shape, like=x))
        raise exc.NotSupported(f"method .{name}() of {self._describe(obj)} in device code", location=self.where())

    def _shape_dims(self, shape, like: DTensor | None = None) -> list:
        if not isinstance(shape, (list, tuple)):
            shape = [shape]
        dims = []
        for i, s in enumerate(shape):
            if isinstance(s, Tile):
                dims.append(1 if s.scalar else s.block)
            elif isinstance(s, BlockSize):
                dims.append(Sym(s.slot))
            elif isinstance(s, Sym):
                dims.append(s)
            elif isinstance(s, int) and not isinstance(s, bool):
                if s == -1 and like is not None:
                    dims.append(like.dims[i])
                else:
                    dims.append(s)
            else:
                raise exc.TypeError_(f"shape entries must be tiles or ints, got {self._describe(s)}", location=self.where())
        return dims

    def _permute(self, x: DTensor, perm: list) -> DTensor:
        perm = [p % x.ndim for p in perm]
        dims = [x.dims[p] for p in perm]
        v = self.b.op1("tile.permute", [x.value], tensor_type(dims, x.dtype), {"permutation": perm})
        return DTensor(v, x.dtype, dims)

    def _reshape(self, x: DTensor, shape: list) -> DTensor:
        dims = self._shape_dims(shape)
        known = math.prod(d for d in x.dims if isinstance(d, int))
        if -1 in dims:
            rest = math.prod(d for d in dims if isinstance(d, int) and d != -1)
            dims[dims.index(-1)] = known // max(rest, 1)
        v = self.b.op1("tile.reshape", [x.value], tensor_type(dims, x.dtype))
        return DTensor(v, x.dtype, dims)

    # ------------------------------------------------------------ reductions
    def _reduction(self, kind: str, x, args: list, kwargs: dict):
        if not isinstance(x, DTensor):
            raise exc.TypeError_(f"{kind}() needs a device tensor, got {self._describe(x)}", location=self.where())
        dim = args[0] if args else kwargs.get("dim")
        keepdim = args[1] if len(args) > 1 and isinstance(args[1], bool) else kwargs.get("keepdim", False)
        if kind in ("softmax", "log_softmax"):
            if dim is None:
                raise exc.TypeError_(f"{kind}() needs dim=", location=self.where())
            axis = dim % x.ndim
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
            axes = [d % x.ndim for d in (dim if isinstance(dim, (list, tuple)) else [dim])]
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
                n = self._valid_count(total, axis)
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

    def _user_reduce(self, combine_fn, input_tensor, dim=None, other=0, keep_dims=False):
        """hl.reduce: trace combine_fn's body into the combine region."""
        multi = isinstance(input_tensor, (tuple, list))
        xs = [self._value(t) for t in (input_tensor if multi else [input_tensor])]
        if dim is None or not all(isinstance(x, DTensor) for x in xs):
            raise exc.NotSupported("hl.reduce needs device tensors and a dim", location=self.where())
        axis = dim % xs[0].ndim
        others = list(other) if isinstance(other, (tuple, list)) else [other] * len(xs)
        mask = self._lane_mask(xs[0], axis)
        if mask is not None:
            xs = [self.ops.where(mask, x, o) for x, o in zip(xs, others)]
        dims = [d for i, d in enumerate(xs[0].dims) if i != axis]
        result_types = [tensor_type(dims, x.dtype) if dims else mlir_dtype(x.dtype) for x in xs]
        op = self.b.op("tile.reduce", [x.value for x in xs], result_types, {"axis": axis}, regions=1)
        block = op.regions[0].add_block([self.b.type(mlir_dtype(x.dtype)) for x in xs] * 2)
        n = len(xs)
        acc = [Scalar(v, x.dtype) for v, x in zip(block.arguments[:n], xs)]
        new = [Scalar(v, x.dtype) for v, x in zip(block.arguments[n:], xs)]
        saved_block, saved_loc = self.b.block, self.b.loc
        self.b.block = block
        out = self._trace_function(combine_fn, [tuple(acc), tuple(new)] if multi else [acc[0], new[0]])
        outs = list(out) if multi and isinstance(out, (tuple, list)) else [out]
        if len(outs) != n or any(o is None for o in outs):
            raise exc.TypeError_(f"hl.reduce combine_fn must return {n} value{'s' if n > 1 else ''}", location=self.where())
        self.b.op("tile.yield", [self.ops.scalar(o, x.dtype).value for o, x in zip(outs, xs)])
        self.b.block, self.b.loc = saved_block, saved_loc
        results = [DTensor(op.result(i), x.dtype, list(dims)) if dims else Scalar(op.result(i), x.dtype) for i, x in enumerate(xs)]
        if keep_dims:
            results = [self.ops.expand_dims(r, axis) if isinstance(r, DTensor) else self.b.full(r, [1]) for r in results]
        return tuple(results) if multi else results[0]

    def _trace_function(self, fn, args: list, kwargs: dict | None = None):
        """Trace a Python function called from device code (a helper defined in
        host code or at module level, an hl.reduce combine_fn) inline: its
        parameters bind to the device values passed in, its globals and closure
        are host values."""
        if isinstance(fn, _DeviceLambda):
            params = [p.arg for p in fn.node.args.args]
            if kwargs or len(args) != len(params):
                raise exc.TypeError_(f"the lambda takes {len(params)} positional arguments, got {len(args)}"
                                     f"{' and keywords' if kwargs else ''}", location=self.where())
            saved = (self.env, self.split.globals, self.filename)
            self.env, self.split.globals, self.filename = {**fn.env, **dict(zip(params, args))}, fn.scope, fn.filename
            try:
                return self.eval(fn.node.body)
            finally:
                self.env, self.split.globals, self.filename = saved
        name = getattr(fn, "__name__", repr(fn))
        callsite = self.where()
        code = fn.__code__
        if code.co_flags & (inspect.CO_GENERATOR | inspect.CO_COROUTINE | inspect.CO_ASYNC_GENERATOR):
            raise exc.NotSupported(f"calling generator or async function {name} from device code", location=callsite)
        if self.call_depth >= _MAX_CALL_DEPTH:
            raise exc.NotSupported(f"calls from device code nest more than {_MAX_CALL_DEPTH} deep (recursion in {name}?)",
                                   location=callsite)
        node, filename = _function_node(fn, callsite)
        try:
            bound = inspect.signature(fn).bind(*args, **(kwargs or {}))
        except TypeError as e:
            raise exc.TypeError_(f"{name}(): {e}", location=callsite) from None
        bound.apply_defaults()
        scope = dict(fn.__globals__)
        if fn.__closure__:
            for var, cell in zip(code.co_freevars, fn.__closure__):
                try:
                    scope[var] = cell.cell_contents
                except ValueError:  # not assigned yet
                    pass
        saved = (self.env, self.split.globals, self.filename, self.call_loop_floor, self.b.loc)
        self.env, self.split.globals, self.filename = dict(bound.arguments), scope, filename
        self.call_loop_floor = len(self.loop_stack)
        self.call_depth += 1
        try:
            if isinstance(node, ast.Lambda):
                return self.eval(node.body)
            try:
                self._visit_body(node.body)
            except _Return as r:
                return r.value
            return None
        except (exc.NotSupported, exc.TypeError_) as e:
            raise type(e)(f"{e.message} (in {name}() called at {callsite})", location=e.location) from None
        finally:
            self.env, self.split.globals, self.filename, self.call_loop_floor, self.b.loc = saved
            self.call_depth -= 1

    def _squeeze(self, x, axes, keepdim):
        if keepdim or not isinstance(x, DTensor):
            return x
        dims = [d for i, d in enumerate(x.dims) if i not in axes]
        if not dims:
            # Every dim reduced: a scalar.
            flat = self.b.op1("tile.reshape", [x.value], tensor_type([1], x.dtype))
            return self._make_reduce("sum", DTensor(flat, x.dtype, [1]), 0)
        v = self.b.op1("tile.reshape", [x.value], tensor_type(dims, x.dtype))
        return DTensor(v, x.dtype, dims)

    def _lane_mask(self, x: DTensor, axis: int):
        """An i1 tensor shaped like x: false on lanes past the reduced tile's bound."""
        d = x.dims[axis]
        if not isinstance(d, Sym) or d.slot not in self.tile_of_slot:
            return None
        return self.ops.place(self._tile_mask(self.tile_of_slot[d.slot], d), axis, x.dims)

    def _tile_mask(self, tile: Tile, d) -> DTensor:
        """The 1-d valid-lane mask of a tile whose dim is `d`."""
        return DTensor(self.b.op1("tile.mask", [tile.value], tensor_type([d], torch.bool)), torch.bool, [d])

    def _valid_count(self, x: DTensor, axis: int):
        d = x.dims[axis]
        mask = self._lane_mask(x, axis)
        if mask is None:
            return float(d)
        ones = self.ops.cast(mask, torch.float32)
        return self._make_reduce("sum", ones, axis, keepdim=True)

    def _reduce_axis(self, kind: str, x: DTensor, axis: int, keepdim: bool):
        out_dtype = x.dtype
        if kind in ("sum", "prod") and (not x.dtype.is_floating_point):
            out_dtype = torch.int64
        # Half-precision values reduce in float32 (exact for max/min/arg*; Triton
        # cannot lower every half-precision combine region).
        compute = torch.float32 if x.dtype in (torch.float16, torch.bfloat16) else out_dtype
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
            if isinstance(d, Sym) and d.slot in self.tile_of_slot:
                tile = self.tile_of_slot[d.slot]
                idx = DTensor(self.b.op1("tile.index", [tile.value], tensor_type([d], torch.int32)), torch.int32, [d])
                begin = self.ops.cast(Scalar(self._tile_begin(tile), torch.int64, True), torch.int32)
                idx = self.ops.binary("sub", idx, begin)
            elif isinstance(d, int) and d & (d - 1) == 0:
                idx = self.ops.arange(0, d)
            else:
                raise exc.NotSupported(f"{kind} over a dim of size {d}", location=self.where())
            operands.append(self.ops.place(idx, axis, x.dims))
        result_types = [tensor_type(dims, o.dtype) if dims else mlir_dtype(o.dtype) for o in operands]
        op = self.b.op("tile.reduce", [o.value for o in operands], result_types, {"axis": axis}, regions=1)
        scalar_types = [self.b.type(mlir_dtype(o.dtype)) for o in operands]
        block = op.regions[0].add_block(scalar_types * 2)
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
        self.b.op("tile.yield", [o.value for o in out])
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

    # --------------------------------------------------------------- matmul
    def _mark_dot_dims(self, a: DTensor, b: DTensor):
        """tt.dot needs every dim >= 16 and K >= _dot_k_min."""
        for d, least in ((a.dims[-2], 16), (a.dims[-1], _dot_k_min(a.dtype)), (b.dims[-1], 16)):
            # (a slot pinned to a smaller static extent cannot grow: it stays)
            if isinstance(d, Sym) and self.ops.pinned.get(d.slot, least) >= least:
                self.slots[d.slot].min_size = max(self.slots[d.slot].min_size, least)

    def _zero_padded_lanes(self, x: DTensor, axis: int) -> DTensor:
        """Lanes of the contraction past the tile's bound hold no data (loads
        give 0, but exp(0) = 1): zero them so they add nothing to the dot.
        eliminate-masks folds the select away when tiles are always full.
        A plain load needs none: its masked lanes already read 0."""
        owner = x.value.owner
        if owner is not None and owner.name == "tile.load":
            return x
        mask = self._lane_mask(x, axis)
        return x if mask is None else self.ops.where(mask, x, 0)

    def _pad_contraction(self, a: DTensor, b: DTensor):
        """tt.dot needs K >= 16 (32 for 8-bit types; smaller K miscompiles on the
        GPU). A smaller static K is widened: each operand is repeated along K up
        to that size (broadcast + reshape) and the copies are zeroed, which adds
        only zero products."""
        kmin = _dot_k_min(a.dtype)
        k = a.dims[-1]
        if isinstance(k, Sym) and self.ops.pinned.get(k.slot, kmin) < kmin:  # x[t, :] over a small extent
            a, b = self._static_dim(a, a.ndim - 1), self._static_dim(b, b.ndim - 2)
            k = a.dims[-1]
        if not isinstance(k, int) or k >= kmin or kmin % k:
            return a, b

        def pad(x: DTensor, axis: int) -> DTensor:
            dims = x.dims[:axis] + [kmin // k] + x.dims[axis:]
            wide = self.ops.broadcast_to(self.ops.expand_dims(x, axis), dims)
            flat_dims = x.dims[:axis] + [kmin] + x.dims[axis + 1:]
            flat = self._reshape(wide, flat_dims)
            keep = self.ops.place(self.ops.compare("lt", self.ops.arange(0, kmin), k), axis, flat_dims)
            return self.ops.where(keep, flat, 0)

        return pad(a, a.ndim - 1), pad(b, b.ndim - 2)

    def _dot(self, a: DTensor, b: DTensor, acc: DTensor | None, out_dtype: torch.dtype | None) -> DTensor:
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
        fp8 = (torch.float8_e4m3fn, torch.float8_e5m2)
        if a.dtype != b.dtype and not (a.dtype in fp8 and b.dtype in fp8):
            common = promote(a, b)
            a, b = self.ops.cast(a, common), self.ops.cast(b, common)
        dims = a.dims[:-1] + [b.dims[-1]]
        if a.ndim == 3:
            dims = [a.dims[0], a.dims[1], b.dims[2]]
        integer = not a.dtype.is_floating_point
        acc_dtype = torch.int32 if integer else torch.float32
        a, b = self._pad_contraction(a, b)
        self._mark_dot_dims(a, b)
        a, b = self._zero_padded_lanes(a, a.ndim - 1), self._zero_padded_lanes(b, b.ndim - 2)
        if acc is None or acc.dtype != acc_dtype:
            base = self.ops.to_tensor(0, acc_dtype, dims)
        else:
            base = self.ops.to_tensor(acc, acc_dtype, dims)
        precision = "tf32" if a.dtype == torch.float32 else "ieee"
        if a.ndim == 3 and a.dims[0] == 1 and b.dims[0] == 1:
            # A batch of one is a plain 2-d dot: Triton maps those to tensor cores.
            a2, b2, base2 = (self._reshape(t, t.dims[1:]) for t in (a, b, base))
            r = self.b.op1("tile.dot", [a2.value, b2.value, base2.value], tensor_type(base2.dims, acc_dtype),
                           {"input_precision": precision})
            result = self.ops.expand_dims(DTensor(r, acc_dtype, base2.dims), 0)
        else:
            r = self.b.op1("tile.dot", [a.value, b.value, base.value], tensor_type(dims, acc_dtype), {"input_precision": precision})
            result = DTensor(r, acc_dtype, dims)
        if acc is not None and acc.dtype != acc_dtype:
            result = self.ops.binary("add", self.ops.cast(result, acc.dtype), acc)
        if out_dtype is not None:
            result = self.ops.cast(result, out_dtype)
        return result

    def _matmul(self, a, b):
        a, b = self._value(a), self._value(b)
        out = promote(a, b)
        return self._dot(a, b, None, out)

    def _addmm(self, acc, a, b):
        acc, a, b = self._value(acc), self._value(a), self._value(b)
        return self._dot(a, b, acc, None)

    def _dot_call(self, a, b, acc=None, out_dtype=None):
        a, b = self._value(a), self._value(b)
        if acc is not None:
            acc = self._value(acc)
        r = self._dot(a, b, acc, out_dtype)
        return r


_TORCH_BINARY = {
    torch.add: "add", torch.sub: "sub", torch.mul: "mul", torch.div: "truediv", torch.true_divide: "truediv",
    torch.maximum: "maximum", torch.minimum: "minimum", torch.pow: "pow", torch.remainder: "mod",
    torch.floor_divide: "floordiv", torch.eq: "eq", torch.ne: "ne", torch.lt: "lt", torch.le: "le", torch.gt: "gt",
    torch.ge: "ge", torch.logical_and: "and", torch.logical_or: "or", torch.bitwise_and: "and", torch.bitwise_or: "or",
    torch.bitwise_xor: "xor", operator.add: "add", operator.mul: "mul", operator.sub: "sub",
}
_TORCH_UNARY = {
    torch.exp: "exp", torch.exp2: "exp2", torch.log: "log", torch.log2: "log2", torch.sqrt: "sqrt", torch.rsqrt: "rsqrt",
    torch.sin: "sin", torch.cos: "cos", torch.tanh: "tanh", torch.sigmoid: "sigmoid", torch.relu: "relu",
    torch.abs: "abs", torch.erf: "erf", torch.floor: "floor", torch.ceil: "ceil",
    torch.nn.functional.relu: "relu", torch.nn.functional.silu: "silu", torch.nn.functional.sigmoid: "sigmoid",
    torch.nn.functional.tanh: "tanh",
}


_TORCH_REDUCTIONS = {
    torch.sum: "sum", torch.mean: "mean", torch.amax: "amax", torch.amin: "amin", torch.max: "max",
    torch.min: "min", torch.prod: "prod", torch.argmax: "argmax", torch.argmin: "argmin", torch.var: "var",
    torch.std: "std", torch.logsumexp: "logsumexp", torch.softmax: "softmax", torch.log_softmax: "log_softmax",
    torch.nn.functional.softmax: "softmax", torch.nn.functional.log_softmax: "log_softmax",
}
_REDUCTION_METHODS = {"sum", "mean", "amax", "amin", "max", "min", "prod", "argmax", "argmin", "var", "std",
                      "logsumexp", "softmax", "log_softmax"}


def _identity(kind: str, dtype: torch.dtype):
    big = math.inf if dtype.is_floating_point else (True if dtype == torch.bool else torch.iinfo(dtype).max)
    small = -math.inf if dtype.is_floating_point else (False if dtype == torch.bool else torch.iinfo(dtype).min)
    return {"sum": 0, "prod": 1, "max": small, "argmax": small, "min": big, "argmin": big}[kind]


_SOURCE_TREES: dict[tuple, ast.Module] = {}


def _dot_k_min(dtype: torch.dtype) -> int:
    """The smallest contraction tt.dot handles: 16, or 32 for 8-bit types
    (smaller ones miscompile on the GPU)."""
    return 32 if dtype.itemsize == 1 else 16


def _function_node(fn, where: str):
    """The FunctionDef or Lambda node of fn, from its source file."""
    code = fn.__code__
    filename = code.co_filename
    lines = linecache.getlines(filename, fn.__globals__)
    if not lines:
        raise exc.NotSupported(f"cannot read the source of {fn.__name__} (from {filename}) to trace it in device code",
                               location=where)
    text = "".join(lines)
    key = (filename, text)
    tree = _SOURCE_TREES.get(key)
    if tree is None:
        try:
            tree = ast.parse(text)
        except SyntaxError as e:
            raise exc.NotSupported(f"cannot parse {filename} to trace {fn.__name__}: {e}", location=where) from None
        _SOURCE_TREES.clear()  # one file at a time is plenty
        tree = _SOURCE_TREES[key] = tree
    line = code.co_firstlineno
    if fn.__name__ == "<lambda>":
        params = list(code.co_varnames[:code.co_argcount + code.co_kwonlyargcount])
        nodes = [n for n in ast.walk(tree) if isinstance(n, ast.Lambda) and n.lineno == line
                 and [a.arg for a in n.args.posonlyargs + n.args.args + n.args.kwonlyargs] == params]
        if len({ast.dump(n) for n in nodes}) > 1:
            raise exc.NotSupported(f"several lambdas on {filename}:{line}; define the function with def",
                                   location=where)
    else:
        nodes = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == code.co_name
                 and line in [n.lineno] + [d.lineno for d in n.decorator_list]]
    if not nodes:
        raise exc.NotSupported(f"cannot find the source of {fn.__name__} at {filename}:{line}", location=where)
    return nodes[0], filename


def _assigned_names(stmts) -> list[str]:
    names: dict[str, None] = {}
    for stmt in stmts:
        for n in ast.walk(stmt):
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
                names.setdefault(n.id, None)
            elif isinstance(n, ast.AugAssign) and isinstance(n.target, ast.Name):
                names.setdefault(n.target.id, None)
    return list(names)


def _rebind(like, value):
    if isinstance(like, DTensor):
        return DTensor(value, like.dtype, list(like.dims))
    return Scalar(value, like.dtype, like.is_index)


def trace(split: SplitKernel, values: tuple) -> TracedKernel:
    return DeviceCodegen(split, values).build()
