"""The device-code tracer: walks the device loop's AST (one visit_* method
per statement and expression kind) and emits tile IR for it.

The concerns live in their own modules, mixed into Tracer: loops.py (hl.tile
loops, slots, carried values), indexing.py (subscripts -> loads/stores),
reductions.py, scans.py, matmul.py, inlining.py (helpers, closures, lambdas),
control_flow.py (`if` and `while` on device values), semantics.py
(promotion, broadcasting, casts, elementwise ops) and ops/ (the registry of
torch functions, tensor methods and hl ops).

Host values the loop reads are known at this point (the kernel specializes
on them): tensors become memref arguments (dtype, shape, strides), floats
become scalar arguments, ints/bools/dtypes are baked in as constants.
"""
from __future__ import annotations

import ast
import builtins
import math
import operator
import types

import torch

from .. import _mlir as ir
from .. import exc
from .. import language as hl
from . import ops as op_registry
from .control_flow import ControlFlowMixin
from .host_split import SplitKernel
from .indexing import IndexingMixin
from .inlining import LIBRARY_MODULES, DeviceLambda, InliningMixin, ReturnValue, launch_names, uninitialized_tensors
from .ir_builder import TileBuilder
from .loops import LoopsMixin, TileTuple
from .matmul import DotMixin
from .reductions import ReductionsMixin
from .scans import ScansMixin
from .semantics import DeviceOps
from .traced_kernel import RuntimeArg, SlotInfo, TracedKernel
from .values import BlockSize, DTensor, Scalar, Sym, TensorArg, Tile, mlir_dtype

_BINOPS = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "truediv", ast.FloorDiv: "floordiv",
           ast.Mod: "mod", ast.Pow: "pow", ast.BitAnd: "and", ast.BitOr: "or", ast.BitXor: "xor",
           ast.LShift: "lshift", ast.RShift: "rshift"}
_CMPOPS = {ast.Lt: "lt", ast.LtE: "le", ast.Gt: "gt", ast.GtE: "ge", ast.Eq: "eq", ast.NotEq: "ne"}
_PY_CMPOPS = {ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt, ast.GtE: operator.ge, ast.Eq: operator.eq,
              ast.NotEq: operator.ne}


def _is_device_value(v) -> bool:
    """Values that exist only in the running program (not Python values of the trace)."""
    return isinstance(v, (DTensor, Scalar, TensorArg, Tile, BlockSize))


class BoundMethod:
    """A bound method of a device value, e.g. `x.to`."""

    def __init__(self, obj, name):
        self.obj, self.name = obj, name


class Tracer(LoopsMixin, IndexingMixin, ReductionsMixin, ScansMixin, DotMixin, InliningMixin, ControlFlowMixin):
    is_device_value = staticmethod(_is_device_value)

    def __init__(self, split: SplitKernel, values: tuple) -> None:
        self.split = split
        self.values = values
        self.ctx = ir.Context()
        self.b = TileBuilder(self.ctx, split.filename)
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
        self.grid_dims: list[tuple] = []  # (tile argument, static extent or None, name) per grid dim
        self.grid_line = 0
        self.ended_tiles: dict[str, int] = {}  # tile name -> line of its loop, once the loop ended
        self.loop_locals: dict[str, int] = {}  # name first assigned in an inner loop -> the loop's line
        self.unmerged_names: dict[str, str] = {}  # name a device `if` leaves without one value -> why
        self.arg_sources: dict[object, list] = {}  # inner-loop block argument -> the values it derives from
        self.loads: list[tuple] = []  # (tensor argument, index operands, gathers?, where) of each load
        self.stored: set[int] = set()  # ids of the tensor arguments stored into, so far
        self.uninitialized = uninitialized_tensors(split.filename, split.fn_name, split.device_loop)

    def build(self) -> TracedKernel:
        try:
            return self._build()
        except (exc.NotSupported, exc.TypeError_) as e:
            if e.location is None:  # raised where the line was not at hand: it is the line being traced
                raise type(e)(e.message, location=self.b.where()) from None
            raise
        except exc.Base:
            raise
        except Exception as e:  # a bug of ours: report it at the user's line
            raise exc.InternalError(f"tracing device code raised {type(e).__name__}: {e}", location=self.b.where()) from e

    def _build(self) -> TracedKernel:
        split = self.split
        arg_types, arg_attrs, runtime_args, bindings = [], [], [], []
        for i, (name, v) in enumerate(zip(launch_names(split, self.values), self.values)):
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
        self.b.block = module.body
        _, body = self.b.kernel(split.device_name, arg_types, arg_attrs)
        self.b.block = body
        for (name, kind, v), arg in zip(bindings, body.arguments):
            if kind == "tensor":
                self.env[name] = TensorArg(arg, name, v.dtype, tuple(v.shape), tuple(v.stride()), v.device)
                self.tensor_args_by_id[id(v)] = self.env[name]
                self.device = self.device or v.device
            else:
                self.env[name] = Scalar(arg, torch.float32)
        self.zero_index = self.b.index_const(0)
        self.anchor = self.zero_index.owner
        self.bind_registered_block_sizes()
        self._visit_loop(split.device_loop, top=True)
        self.b.return_()
        self._check_reads_of_written_tensors()
        try:
            module.verify()
        except ir.MLIRError as e:
            raise exc.InternalError(f"generated tile IR does not verify: {e}", location=self._loop_where()) from None
        self._read_target_minima(module)
        return TracedKernel(split.device_name, module, self.slots, runtime_args, self.multi_dim_loops, 1, self.device,
                            split.fn_name)

    def _read_target_minima(self, module) -> None:
        """Each slot's least block for the target (tt.dot dims), as
        helion-legalize-for-triton records it: the ConfigSpec's lower bounds.
        The traced module itself stays target-neutral."""
        legal = module.clone()
        try:
            legal.run_passes("helion-legalize-for-triton")
        except ir.MLIRError as e:
            raise exc.InternalError(f"helion-legalize-for-triton failed: {e}", location=self._loop_where()) from None
        kernel = legal.body.operations[0]
        for op in kernel.regions[0].blocks[0].operations:
            attrs = op.attributes if op.name == "tile.block_size" else {}
            if "min_block" in attrs:
                self.slots[attrs["slot"]].min_size = attrs["min_block"]

    def _loop_where(self) -> str:
        return f"{self.split.filename}:{self.split.device_loop.lineno}"

    def where(self) -> str:
        return self.b.where()

    def _at(self, node: ast.AST) -> None:
        if hasattr(node, "lineno"):
            self.b.loc = (self.filename, node.lineno, node.col_offset + 1)

    def _index(self, x):
        """A Python int, index Scalar or integer Scalar as an index value."""
        if isinstance(x, BlockSize):
            return x.value
        if isinstance(x, bool) or not isinstance(x, (int, Scalar, Tile)):
            raise exc.TypeError_(f"expected an integer, got {self.describe(x)}", location=self.where())
        if isinstance(x, int):
            return self.b.index_const(x)
        if isinstance(x, Tile):
            return self._tile_begin(x)
        if x.is_index:
            return x.value
        if x.dtype.is_floating_point:
            raise exc.TypeError_(f"expected an integer, got a {x.dtype} value", location=self.where())
        return self.b.op1("arith.index_cast", [x.value], "index")

    # ------------------------------------------------------------ dispatch
    def visit(self, node: ast.AST):
        """Trace a statement or evaluate an expression (ast.NodeVisitor style)."""
        method = getattr(self, "visit_" + type(node).__name__, None)
        if method is None:
            kind = "statement" if isinstance(node, ast.stmt) else "expression"
            raise exc.NotSupported(f"{kind} `{type(node).__name__}` in device code", location=self.where())
        return method(node)

    def eval(self, node: ast.AST):
        self._at(node)
        return self.visit(node)

    def _visit_body(self, stmts) -> None:
        for stmt in stmts:
            self._at(stmt)
            self.visit(stmt)

    # ------------------------------------------------------------ statements
    def visit_Assign(self, stmt: ast.Assign) -> None:
        value = self.eval(stmt.value)
        for target in stmt.targets:
            self._assign(target, value)

    def visit_AnnAssign(self, stmt: ast.AnnAssign) -> None:
        if stmt.value is not None:
            self._assign(stmt.target, self.eval(stmt.value))

    def visit_AugAssign(self, stmt: ast.AugAssign) -> None:
        op = _BINOPS.get(type(stmt.op))
        if op is None:
            raise exc.NotSupported(f"augmented operator {type(stmt.op).__name__}", location=self.where())
        if isinstance(stmt.target, ast.Name):
            cur = self._lookup(stmt.target.id)
            self.env[stmt.target.id] = self.binary(op, cur, self.eval(stmt.value))
        elif isinstance(stmt.target, ast.Subscript):
            base = self.eval(stmt.target.value)
            index = self._subscript_items(stmt.target.slice)
            cur = self._load(base, index)
            self._store(base, index, self.binary(op, cur, self.eval(stmt.value)))
        else:
            raise exc.NotSupported("augmented assignment target", location=self.where())

    def visit_Expr(self, stmt: ast.Expr) -> None:
        if isinstance(stmt.value, ast.Constant):
            return  # docstring or bare constant
        self.eval(stmt.value)

    def visit_For(self, stmt: ast.For) -> None:
        unrolled = self._static_range(stmt.iter)
        if unrolled is None:
            self._visit_loop(stmt, top=False)
            return
        # `for i in range(...)` with constant bounds is unrolled at trace time.
        if not isinstance(stmt.target, ast.Name) or stmt.orelse:
            raise exc.NotSupported("only `for name in range(...)` is unrolled", location=self.where())
        for i in unrolled:
            self.env[stmt.target.id] = i
            self._visit_body(stmt.body)

    def visit_If(self, stmt: ast.If) -> None:
        cond = self.eval_test(stmt.test, "if")
        if not _is_device_value(cond):  # a host value (the kernel specializes on it): Python's truth
            self._visit_body(stmt.body if cond else stmt.orelse)
        else:
            self.device_if(stmt, cond)

    def visit_Pass(self, stmt: ast.Pass) -> None:
        return

    def visit_Return(self, stmt: ast.Return) -> None:
        if self.call_depth == 0:
            raise exc.NotSupported("`return` in the device loop; write results to tensors instead", location=self.where())
        if len(self.loop_stack) > self.call_loop_floor:
            raise exc.NotSupported("`return` inside a tile loop of a function called from device code", location=self.where())
        raise ReturnValue(self.eval(stmt.value) if stmt.value is not None else None)

    def _assign(self, target: ast.AST, value) -> None:
        if isinstance(target, ast.Name):
            self.env[target.id] = value
        elif isinstance(target, (ast.Tuple, ast.List)):
            if not isinstance(value, (tuple, list)) or len(value) != len(target.elts):
                raise exc.TypeError_(f"cannot unpack {self.describe(value)} into {len(target.elts)} names", location=self.where())
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
        if name in self.unmerged_names:
            raise exc.NotSupported(self.unmerged_names[name], location=self.where())
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
        if name in self.loop_locals:
            raise exc.NotSupported(f"{name!r} is first assigned inside the loop at line {self.loop_locals[name]} and does "
                                   "not exist after it; assign it before the loop to carry it out", location=self.where())
        if name in self.ended_tiles:
            raise exc.NotSupported(f"tile {name!r} of the loop at line {self.ended_tiles[name]} is used after that loop "
                                   "ended; a tile exists only inside its loop", location=self.where())
        raise exc.NotSupported(f"name {name!r} is not defined", location=self.where())

    def visit_Constant(self, node: ast.Constant):
        return node.value

    def visit_Name(self, node: ast.Name):
        return self._lookup(node.id)

    def visit_Attribute(self, node: ast.Attribute):
        return self._attribute(self.eval(node.value), node.attr)

    def visit_Tuple(self, node: ast.Tuple):
        return tuple(self.eval(e) for e in node.elts)

    def visit_List(self, node: ast.List):
        return [self.eval(e) for e in node.elts]

    def visit_BinOp(self, node: ast.BinOp):
        left, right = self.eval(node.left), self.eval(node.right)
        self._at(node)
        if isinstance(node.op, ast.MatMult):
            return self.matmul(left, right)
        op = _BINOPS.get(type(node.op))
        if op is None:
            raise exc.NotSupported(f"operator {type(node.op).__name__}", location=self.where())
        return self.binary(op, left, right)

    def visit_UnaryOp(self, node: ast.UnaryOp):
        v = self.eval(node.operand)
        if isinstance(node.op, ast.USub):
            return self.ops.neg(self.operand(v))
        if isinstance(node.op, ast.UAdd):
            return v
        if isinstance(node.op, ast.Not):
            if not _is_device_value(v):
                return not v
            return self.ops.binary("xor", self.ops.cast(self.operand(v), torch.bool), True)
        # ast.Invert
        if isinstance(v, int):
            return ~v
        v = self.operand(v)
        if isinstance(v, float) or v.dtype.is_floating_point:
            raise exc.TypeError_("`~` needs integer or bool operands, got a float", location=self.where())
        return self.ops.binary("xor", v, True if v.dtype == torch.bool else -1)

    def visit_Compare(self, node: ast.Compare):
        result = None
        left = self.eval(node.left)
        for op, comp in zip(node.ops, node.comparators):
            right = self.eval(comp)
            if isinstance(op, (ast.Is, ast.IsNot)):
                r = (left is right) == isinstance(op, ast.Is)
            elif isinstance(op, (ast.In, ast.NotIn)):
                r = (left in right) == isinstance(op, ast.In)
            elif not _is_device_value(left) and not _is_device_value(right):  # host values: `mode == "mean"`
                try:
                    r = _PY_CMPOPS[type(op)](left, right)
                except TypeError as e:
                    raise exc.TypeError_(f"comparing host values: {e}", location=self.where()) from None
            else:
                r = self.binary(_CMPOPS[type(op)], left, right)
            result = r if result is None else self.binary("and", result, r)
            left = right
        return result

    def visit_BoolOp(self, node: ast.BoolOp):
        values = [self.eval(v) for v in node.values]
        if not any(map(_is_device_value, values)):  # Python's `and`/`or` (the operand that decides)
            for v in values[:-1]:
                if bool(v) != isinstance(node.op, ast.And):
                    return v
            return values[-1]
        op = "and" if isinstance(node.op, ast.And) else "or"
        result = self.ops.cast(self.operand(values[0]), torch.bool)
        for v in values[1:]:
            result = self.ops.binary(op, result, self.ops.cast(self.operand(v), torch.bool))
        return result

    def visit_IfExp(self, node: ast.IfExp):
        cond = self.eval(node.test)
        if not _is_device_value(cond):
            return self.eval(node.body if cond else node.orelse)
        if isinstance(cond, Scalar):  # one program's truth: only the chosen side runs
            return self.device_ifexp(node, cond)
        return self.ops.where(self.operand(cond), self.operand(self.eval(node.body)), self.operand(self.eval(node.orelse)))

    def visit_Subscript(self, node: ast.Subscript):
        base, items = self._subscript_chain(node)
        self._at(node)
        return self._load(base, items)

    def visit_Call(self, node: ast.Call):
        fn = self.eval(node.func)
        args = []
        for a in node.args:
            if isinstance(a, ast.Starred):
                seq = self.eval(a.value)
                if not isinstance(seq, (list, tuple)):
                    raise exc.NotSupported(f"`*` unpacking of {self.describe(seq)} in device code; unpack lists and "
                                           "tuples only", location=self.where())
                args.extend(seq)
            else:
                args.append(self.eval(a))
        kwargs = {k.arg: self.eval(k.value) for k in node.keywords}
        self._at(node)
        return self._call(fn, args, kwargs)

    def _subscript_items(self, node: ast.AST) -> list:
        # The tiles of a multi-dim loop taken as one name index one dim each: x[tile]
        return [t for it in super()._subscript_items(node) for t in (it if isinstance(it, TileTuple) else (it,))]

    def visit_Slice(self, node: ast.Slice):
        return slice(*(self.eval(x) if x is not None else None for x in (node.lower, node.upper, node.step)))

    def visit_Lambda(self, node: ast.Lambda):
        a = node.args
        if a.posonlyargs or a.vararg or a.kwonlyargs or a.kwarg or a.defaults:
            raise exc.NotSupported("lambdas in device code take plain positional parameters only", location=self.where())
        return DeviceLambda(node, dict(self.env), self.split.globals, self.filename)

    def operand(self, v):
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
        raise exc.TypeError_(f"expected a tensor or number, got {self.describe(v)}", location=self.where())

    def binary(self, op, a, b):
        if isinstance(a, (list, tuple)) or isinstance(b, (list, tuple)):
            raise exc.TypeError_(f"operator {op} on a sequence", location=self.where())
        a, b = self.operand(a), self.operand(b)
        if op in ("floordiv", "mod", "truediv") and isinstance(b, int) and b == 0:
            integer = isinstance(a, int) or (isinstance(a, (DTensor, Scalar)) and not a.dtype.is_floating_point)
            if op != "truediv" and integer or isinstance(a, (int, float)):
                sym = {"floordiv": "//", "mod": "%", "truediv": "/"}[op]
                raise exc.TypeError_(f"`{sym} 0`: division by zero (torch raises ZeroDivisionError for integers)",
                                     location=self.where())
        if op in ("lshift", "rshift"):
            return self.ops.shift(op, a, b)
        if isinstance(a, Scalar) and a.is_index and isinstance(b, (int, Scalar)) and (not isinstance(b, Scalar) or b.is_index) and op in ("add", "sub", "mul", "floordiv", "mod"):
            names = {"add": "arith.addi", "sub": "arith.subi", "mul": "arith.muli", "floordiv": "arith.floordivsi", "mod": "arith.remsi"}
            return Scalar(self.b.op1(names[op], [a.value, self._index(b)], "index"), torch.int64, is_index=True)
        if isinstance(b, Scalar) and b.is_index and isinstance(a, int) and op in ("add", "mul"):
            return self.binary(op, b, a)
        return self.ops.binary(op, a, b)

    def describe(self, v) -> str:
        if isinstance(v, DTensor):
            return f"a {v.dtype} tensor of shape {v.dims}"
        if isinstance(v, Scalar):
            return f"a {v.dtype} scalar"
        if isinstance(v, Tile):
            return "a tile"
        if isinstance(v, TileTuple):
            return f"the {len(v)} tiles of a multi-dim loop (take one: tile[0])"
        if isinstance(v, TensorArg):
            return f"tensor {v.name!r}"
        return type(v).__name__

    # ------------------------------------------------------------ attributes
    def _tile_begin(self, t: Tile):
        return self.b.tile_begin(t.value)

    def _attribute(self, obj, name: str):
        if isinstance(obj, Tile):
            if name == "size":
                return BoundMethod(obj, name)
            if name == "begin":
                return Scalar(self._tile_begin(obj), torch.int64, is_index=True)
            if name == "end":
                return Scalar(self.b.tile_end(obj.value), torch.int64, is_index=True)
            if name == "block_size":
                if isinstance(obj.block, int):
                    return obj.block
                return Scalar(self.b.tile_block(obj.value), torch.int64, is_index=True)
            if name == "index":
                return self.b.tile_index(obj.value, obj.block)
            if name == "id":
                return self.binary("floordiv", Scalar(self._tile_begin(obj), torch.int64, True),
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
                return BoundMethod(obj, name)
            if name.startswith("_"):
                raise exc.NotSupported(f"attribute {name!r} of tensor argument {obj.name!r} in device code", location=self.where())
            return self._attribute(self._load_whole(obj), name)  # a method of the whole tensor
        if isinstance(obj, DTensor):
            if name == "dtype":
                return obj.dtype
            if name == "device":
                return self.device
            if name == "shape":
                return self.sizes_of(obj)
            if name == "ndim":
                return obj.ndim
            if name == "T":
                return self.ops.permute(obj, list(range(obj.ndim))[::-1])
            return BoundMethod(obj, name)
        if isinstance(obj, Scalar):
            if name == "dtype":
                return obj.dtype
            return BoundMethod(obj, name)
        try:
            return getattr(obj, name)
        except AttributeError:
            raise exc.NotSupported(f"attribute {name!r} of {self.describe(obj)}", location=self.where()) from None

    # ------------------------------------------------------------------ calls
    def _call(self, fn, args, kwargs):
        if isinstance(fn, BoundMethod):
            return self._method(fn.obj, fn.name, args, kwargs)
        if isinstance(fn, DeviceLambda):
            return self._trace_function(fn, args, kwargs)
        handler = op_registry.function_handler(fn)
        if handler is not None:
            return handler(self, list(args), dict(kwargs))
        if callable(fn) and getattr(fn, "__module__", "") in ("math", "operator"):
            return op_registry.host_math(self, fn, args, kwargs)
        if isinstance(fn, types.FunctionType) and (fn.__module__ or "").split(".")[0] not in LIBRARY_MODULES:
            return self._trace_function(fn, args, kwargs)  # a helper of the user's: inline its body
        name = getattr(fn, "__qualname__", None) or getattr(fn, "__name__", repr(fn))
        module = getattr(fn, "__module__", None)
        raise exc.NotSupported(f"call to {module + '.' if module else ''}{name} in device code", location=self.where())

    def _method(self, obj, name, args, kwargs):
        if isinstance(obj, Tile):  # name == "size": the block size, as a shape entry
            if len(args) > 1 or (args and args[0] not in (0, -1)):
                raise exc.TypeError_("a tile has one dim: tile.size() or tile.size(0)", location=self.where())
            size = 1 if obj.scalar else obj.block if isinstance(obj.block, int) else BlockSize(self.slot_values[obj.block.slot], obj.block.slot)
            return size if args else [size]
        if isinstance(obj, TensorArg):
            if name == "size":
                return obj.shape[self.axis(args[0], obj.ndim)] if args else list(obj.shape)
            if name == "stride":
                return obj.strides[self.axis(args[0], obj.ndim)] if args else list(obj.strides)
            if name == "dim":
                return obj.ndim
            if name == "numel":
                return math.prod(obj.shape)
        handler = op_registry.METHODS.get(name)
        if handler is None:
            raise self.method_error(obj, name)
        return handler(self, [obj] + list(args), dict(kwargs))  # x.f(...) is torch.f(x, ...)

    def sizes_of(self, x: DTensor) -> list:
        """x.shape: static sizes as ints, block sizes as hl.register_block_size values."""
        return [BlockSize(self.slot_values[d.slot], d.slot) if isinstance(d, Sym) else d for d in x.dims]

    def axis(self, dim, ndim: int) -> int:
        """A dim argument (negative counts from the end) checked against the rank."""
        if isinstance(dim, bool) or not isinstance(dim, int):
            raise exc.TypeError_(f"dim must be an int, got {self.describe(dim)}", location=self.where())
        if not -ndim <= dim < ndim:
            raise exc.TypeError_(f"dim {dim} is out of range for a tensor of rank {ndim}", location=self.where())
        return dim % ndim

    def method_error(self, obj, name: str) -> exc.NotSupported:
        return exc.NotSupported(f"method .{name}() of {self.describe(obj)} in device code", location=self.where())

    def shape_dims(self, shape, like: DTensor | None = None) -> list:
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
                raise exc.TypeError_(f"shape entries must be tiles or ints, got {self.describe(s)}", location=self.where())
        return dims


def trace(split: SplitKernel, values: tuple) -> TracedKernel:
    return Tracer(split, values).build()
