"""Data-dependent control flow in device code: `if`/`elif`/`else` on a
device scalar becomes scf.if, `while` on one becomes scf.while, and `a if c
else b` on one an scf.if with a result; `and`/`or` in their conditions
short-circuit.

Conditions on host values never get here: the tracer resolves them while
tracing (the kernel specializes on them). A device `if` merges the names its
branches assign into scf.if results; a device `while` carries the names its
body assigns through scf.while. MLIR fixes an op's result types when it is
created, so both trace with the types known so far and trace once more when
the branches or the body turn out to produce others (the first trace's ops
are erased).
"""
from __future__ import annotations

import ast

import torch

from .. import exc
from .loops import _assigned_names, _changes_kind
from .semantics import promote, same_extent
from .values import DTensor, Scalar, Tile, mlir_dtype, tensor_type

_MISSING = object()
_ONLY_VALUES = ("only values computed in device code and numbers can differ between the branches (not tensor "
                "arguments, tiles or host objects)")
_NUMBERS = (bool, int, float)


class _Spec:
    """The type of a value an scf.if / scf.while carries."""

    def __init__(self, dtype: torch.dtype, dims=None, is_index: bool = False) -> None:
        self.dtype, self.dims, self.is_index = dtype, None if dims is None else list(dims), is_index

    @staticmethod
    def of(v) -> "_Spec":
        if isinstance(v, DTensor):
            return _Spec(v.dtype, v.dims)
        return _Spec(v.dtype, None, v.is_index)

    def __eq__(self, other) -> bool:
        return isinstance(other, _Spec) and (self.dtype, self.dims, self.is_index) == (other.dtype, other.dims,
                                                                                     other.is_index)

    @property
    def text(self) -> str:
        if self.dims is not None:
            return tensor_type(self.dims, self.dtype)
        return "index" if self.is_index else mlir_dtype(self.dtype)

    def rebind(self, value):
        if self.dims is not None:
            return DTensor(value, self.dtype, list(self.dims))
        return Scalar(value, self.dtype, self.is_index)


class _Mismatch:
    """A name the branches leave in states that cannot merge: an error if used after the `if`."""

    def __init__(self, message: str) -> None:
        self.message = message


class ControlFlowMixin:
    # ------------------------------------------------------------ conditions
    def device_condition(self, cond, what: str):
        """A device condition as an i1 Scalar: scalars as Python's truth
        (x != 0); one-element tensors through their element. A tensor of
        several elements has no single truth value."""
        if isinstance(cond, Tile):
            cond = self.operand(cond)
        if isinstance(cond, _NUMBERS):  # a `while` on numbers the body leaves alone
            return self.ops.scalar(bool(cond), torch.bool)
        if isinstance(cond, DTensor) and all(d == 1 for d in cond.dims):
            flag = self.ops.cast(self.ops.cast(cond, torch.bool), torch.int32)
            cond = self.reduction("sum", flag, [], {})  # the one element
        if not isinstance(cond, Scalar):
            raise exc.NotSupported(
                f"`{what}` on a device value that is {self.describe(cond)}, not one element: a device `{what}` needs "
                "a scalar condition (e.g. x[i] > 0 or x[t].sum() > 0); for an elementwise choice use "
                "torch.where(cond, a, b)", location=self.where())
        return self.ops.cast(cond, torch.bool)

    def eval_test(self, node: ast.AST, what: str):
        """The condition of an `if` or `while`. `and`/`or` short-circuit as in
        Python, device operands through scf.if: `while j < n and x[j] > 0`
        never reads x[n]. Host operands that decide the truth fold away
        (`dev and False` is a host False)."""
        if not isinstance(node, ast.BoolOp):
            return self.eval(node)
        is_and = isinstance(node.op, ast.And)
        first = self.eval_test(node.values[0], what)
        rest = node.values[1] if len(node.values) == 2 else ast.copy_location(ast.BoolOp(node.op, node.values[1:]), node)
        if not self.is_device_value(first):
            return first if bool(first) != is_and else self.eval_test(rest, what)
        c = self.device_condition(first, what)
        self._at(node)
        op = self.b.if_(c.value, [self.b.type("i1")])
        outer_block = self.b.block
        try:
            for block_is_rest, region in zip((is_and, not is_and), op.regions):
                self.b.block = region.add_block([])
                if block_is_rest:
                    later = self.eval_test(rest, what)
                    if not self.is_device_value(later):
                        op.erase()
                        return later if bool(later) != is_and else first
                self._at(node)
                self._scf_yield([self.device_condition(later, what) if block_is_rest else c])
        finally:
            self.b.block = outer_block
        return Scalar(op.result(0), torch.bool)

    # ------------------------------------------------------------ if
    def device_if(self, stmt: ast.If, cond) -> None:
        """`if` on a device value: scf.if, the names both branches leave
        different merged into its results."""
        self._refuse_returns(stmt.body + stmt.orelse, "an `if` on a device value")
        c = self.device_condition(cond, "if")
        before = dict(self.env)
        names = _assigned_names(stmt.body + stmt.orelse)
        specs = {n: _Spec.of(before[n]) for n in names if isinstance(before.get(n), (DTensor, Scalar))}
        saved = self._trace_state()
        for _attempt in range(2):
            op, blocks, envs = self._trace_branches(stmt, c, before, specs)
            merged = self._merge_branches(names, envs, stmt.lineno)
            found = {n: v for n, v in merged.items() if isinstance(v, _Spec)}
            if found == specs:
                break
            self._undo_trace(op, saved)  # traced again with the result types now known
            specs = found
        else:
            raise exc.InternalError("the result types of the device `if` did not settle", location=self.where())
        outer_block = self.b.block
        for block, env in zip(blocks, envs):
            self.b.block = block
            self._at(stmt)
            self._scf_yield([self._convert(env.get(n, before.get(n)), spec) for n, spec in specs.items()])
        self.b.block = outer_block
        self.env = dict(before)
        results = dict(zip(specs, op.results))
        for name, v in merged.items():
            if isinstance(v, _Spec):
                self.env[name] = v.rebind(results[name])
            elif isinstance(v, _Mismatch):
                self.env.pop(name, None)
                self.unmerged_names[name] = v.message
            elif v is _MISSING:
                self.env.pop(name, None)
            else:
                self.env[name] = v

    def _trace_branches(self, stmt: ast.If, c: Scalar, before: dict, specs: dict):
        """Both branches traced into a new scf.if (not yet terminated); returns (op, blocks, envs)."""
        op = self.b.if_(c.value, [self.b.type(s.text) for s in specs.values()])
        outer_block = self.b.block
        blocks, envs = [], []
        try:
            for region, body in zip(op.regions, (stmt.body, stmt.orelse)):
                self.b.block = region.add_block([])
                self.env = dict(before)
                self._visit_body(body)
                blocks.append(self.b.block)
                envs.append(self.env)
        finally:
            self.b.block, self.env = outer_block, before
        return op, blocks, envs

    def _merge_branches(self, names: list, envs: list, line: int) -> dict:
        """Each assigned name after the `if`: a _Spec (an scf.if result),
        a host value both branches agree on, _MISSING, or a _Mismatch."""
        merged = {}
        for name in names:
            a, b = (env.get(name, _MISSING) for env in envs)
            if a is b:
                merged[name] = a
            elif a is _MISSING or b is _MISSING:
                which = "else" if a is _MISSING else "then"
                merged[name] = _Mismatch(
                    f"{name!r} is assigned only in the {which} branch of the device `if` at line {line} and has "
                    "no value after it when the other branch runs; assign it before the `if` or in both branches")
            else:
                merged[name] = self._join(name, a, b, line)
        return merged

    def _join(self, name: str, a, b, line: int):
        def mismatch(why: str):
            return _Mismatch(f"{name!r} is {self.describe(a)} in one branch of the device `if` at line {line} "
                             f"and {self.describe(b)} in the other: {why}")
        a, b = (self.operand(v) if isinstance(v, Tile) and v.scalar else v for v in (a, b))
        device = [v for v in (a, b) if isinstance(v, (DTensor, Scalar))]
        if not device and not (isinstance(a, _NUMBERS) and isinstance(b, _NUMBERS)):
            if _same(a, b):
                return a
            return mismatch(_ONLY_VALUES)
        if not device:
            if type(a) is type(b) and a == b:
                return a
            return _Spec(promote(a, b))
        if len(device) == 1:
            d = device[0]
            n = b if d is a else a
            if not isinstance(n, _NUMBERS):
                return mismatch(_ONLY_VALUES)
            if isinstance(n, float) and not d.dtype.is_floating_point:
                return mismatch("a float cannot take the integer type of the other branch; make both floats")
            return _Spec.of(d)
        if isinstance(a, Scalar) and isinstance(b, Scalar):
            if a.dtype != b.dtype:
                return mismatch("both branches must give the same dtype (add a .to(dtype))")
            return _Spec(a.dtype, None, a.is_index and b.is_index)
        if isinstance(a, DTensor) and isinstance(b, DTensor):
            if a.dtype != b.dtype:
                return mismatch("both branches must give the same dtype (add a .to(dtype))")
            if len(a.dims) != len(b.dims) or not all(x == y or same_extent(x, y, self.ops.pinned)
                                                     for x, y in zip(a.dims, b.dims)):
                return mismatch("both branches must give the same shape")
            return _Spec(a.dtype, self.ops.broadcast_dims(a.dims, b.dims))
        return mismatch("a scalar in one branch and a tensor in the other; both must give the same shape")

    # ------------------------------------------------------------ conditional expressions
    def device_ifexp(self, node: ast.IfExp, cond: Scalar):
        """`a if c else b` on a device scalar: scf.if, so only the chosen side
        runs (`x[j] if j < n else 0.0` reads nothing out of bounds); the
        result has torch.where's dtype and shape."""
        c = self.device_condition(cond, "if")
        spec, saved = None, self._trace_state()
        for _attempt in range(2):
            op = self.b.if_(c.value, [self.b.type(spec.text)] if spec else [])
            outer_block, blocks, values = self.b.block, [], []
            try:
                for region, expr in zip(op.regions, (node.body, node.orelse)):
                    self.b.block = region.add_block([])
                    values.append(self.operand(self.eval(expr)))
                    blocks.append(self.b.block)
            finally:
                self.b.block = outer_block
            found = self._where_spec(*values)
            if found == spec:
                break
            self._undo_trace(op, saved)  # traced again with the result type now known
            spec = found
        else:
            raise exc.InternalError("the result type of the conditional expression did not settle", location=self.where())
        for block, v in zip(blocks, values):
            self.b.block = block
            self._at(node)
            self._scf_yield([self._convert(v, spec)])
        self.b.block = outer_block
        return spec.rebind(op.result(0))

    def _where_spec(self, a, b) -> _Spec:
        tensors = [v for v in (a, b) if isinstance(v, DTensor)]
        dims = None
        for t in tensors:
            dims = t.dims if dims is None else self.ops.broadcast_dims(dims, t.dims)
        return _Spec(promote(a, b), dims)

    # ------------------------------------------------------------ while
    def device_while(self, stmt: ast.While) -> None:
        """`while` on a device value: scf.while carrying the names its body
        assigns that exist before it (numbers become device scalars)."""
        self._refuse_returns(stmt.body, "a `while` loop on a device value")
        names = _assigned_names(stmt.body)
        for name in names:
            v = self.env.get(name)
            if isinstance(v, Tile) and v.scalar:
                self.env[name] = self.operand(v)
            elif isinstance(v, _NUMBERS):  # `steps = 0` before the loop: carried as a device scalar
                self.env[name] = self.ops.scalar(v, torch.bool if isinstance(v, bool) else
                                                 torch.int64 if isinstance(v, int) else torch.float32)
        carried = [n for n in names if isinstance(self.env.get(n), (DTensor, Scalar))]
        inits = [self.env[n] for n in carried]
        saved = self._trace_state()
        for _attempt in range(4):
            op, after, finals, body_env = self._trace_while(stmt, carried, inits)
            if after is None:
                self._undo_trace(op, saved)  # Triton cannot compile a loop whose body is unreachable
                self.loop_locals.update((n, stmt.lineno) for n in names if n not in self.env)
                return
            widen = self._widenings(carried, inits, finals)
            if not widen:
                break
            self._undo_trace(op, saved)  # traced again with the wider carried types
            for i, spec in widen.items():
                inits[i] = self._convert(inits[i], spec)
        else:
            raise exc.InternalError("carried types of the `while` loop did not settle", location=self.where())
        outer_block, outer_env = self.b.block, self.env
        self.b.block = after
        self._at(stmt)
        yields = [self._convert(v, _Spec.of(init)) for init, v in zip(inits, finals)]
        self._scf_yield(yields)
        self.b.block = outer_block
        for name in names:
            if name in carried:
                continue
            if name not in outer_env:
                self.loop_locals.setdefault(name, stmt.lineno)
            elif not _same(body_env.get(name), outer_env[name]):
                raise exc.NotSupported(f"{name!r} is reassigned in this `while` loop to {self.describe(body_env[name])}, "
                                       "which cannot be carried out of it (only device tensors and numbers are)",
                                       location=self.where())
        for i, name in enumerate(carried):
            self.env[name] = _Spec.of(inits[i]).rebind(op.result(i))

    def _trace_while(self, stmt: ast.While, carried: list, inits: list):
        types = [self.b.type(_Spec.of(v).text) for v in inits]
        op = self.b.while_([v.value for v in inits], types)
        outer_block, outer_env = self.b.block, dict(self.env)
        try:
            cond_block = op.regions[0].add_block(types)
            self.b.block, self.env = cond_block, dict(outer_env)
            for name, init, arg in zip(carried, inits, cond_block.arguments):
                self.env[name] = _Spec.of(init).rebind(arg)
                self.arg_sources[arg] = [init.value]
            test = self.eval_test(stmt.test, "while")
            if not self.is_device_value(test) and not test:
                return op, None, None, None  # never runs (a host operand decides)
            cond = self.device_condition(test, "while")
            self._at(stmt)
            self.b.condition(cond.value, list(cond_block.arguments))
            after = op.regions[1].add_block(types)
            self.b.block, self.env = after, dict(outer_env)
            for name, init, arg in zip(carried, inits, after.arguments):
                self.env[name] = _Spec.of(init).rebind(arg)
                self.arg_sources[arg] = [init.value]
            self._visit_body(stmt.body)
            self._at(stmt)
            finals = [self._lookup(n) for n in carried]  # one a device `if` left unmerged is refused here
            return op, after, finals, self.env
        finally:
            self.b.block, self.env = outer_block, outer_env

    def _widenings(self, carried: list, inits: list, finals: list) -> dict:
        """Carried values the body turns into a wider kind (int -> float,
        scalar -> tensor, a tensor broadcast larger), as torch types them."""
        widen = {}
        for i, (name, init, v) in enumerate(zip(carried, inits, finals)):
            if isinstance(v, Tile) and v.scalar:
                continue
            if isinstance(v, _NUMBERS):
                if isinstance(v, float) and not init.dtype.is_floating_point:
                    widen[i] = _Spec(promote(init, v), getattr(init, "dims", None))
                continue
            if not isinstance(v, (DTensor, Scalar)):
                raise exc.TypeError_(f"`while`-carried {name!r} changes from {self.describe(init)} to {self.describe(v)} "
                                     "in the loop", location=self.where())
            if isinstance(init, Scalar) and isinstance(v, DTensor):
                widen[i] = _Spec(promote(init, v), v.dims)
            elif isinstance(init, DTensor) and isinstance(v, DTensor) and v.dims != init.dims:
                dims = self.ops.broadcast_dims(init.dims, v.dims)
                if dims != init.dims:
                    widen[i] = _Spec(promote(init, v), dims)
            elif _changes_kind(init, v):
                widen[i] = _Spec(promote(init, v), getattr(init, "dims", None))
        return widen

    # ------------------------------------------------------------ shared
    def _convert(self, v, spec: _Spec):
        """A branch's or body's value as the carried type."""
        if isinstance(v, Tile):
            v = self.operand(v)
        if spec.dims is not None:
            if isinstance(v, DTensor) and v.ndim > len(spec.dims):
                raise exc.TypeError_(f"cannot carry {self.describe(v)} as {spec.text}", location=self.where())
            return self.ops.to_tensor(v, spec.dtype, spec.dims)
        if isinstance(v, DTensor):
            raise exc.TypeError_(f"a scalar becomes {self.describe(v)}; carried values keep their shape",
                                 location=self.where())
        if spec.is_index:
            return Scalar(self._index(v), torch.int64, True)
        return self.ops.scalar(v, spec.dtype)

    def _trace_state(self) -> tuple:
        """What tracing records beside the IR (loads, argument sources), to undo a trace."""
        return len(self.loads), dict(self.arg_sources)

    def _undo_trace(self, op, state: tuple) -> None:
        """Erase `op`, traced with types that did not settle, and what tracing it recorded."""
        op.erase()
        n_loads, arg_sources = state
        del self.loads[n_loads:]
        self.arg_sources = dict(arg_sources)

    def _scf_yield(self, values: list) -> None:
        self.b.scf_yield([v.value for v in values])

    def _refuse_returns(self, stmts, what: str) -> None:
        for stmt in stmts:
            for node in ast.walk(stmt):
                if isinstance(node, ast.Return):
                    raise exc.NotSupported(f"`return` inside {what}; assign the result in each branch and return it "
                                           "after", location=f"{self.filename}:{node.lineno}")

    def visit_While(self, stmt: ast.While) -> None:
        if stmt.orelse:
            raise exc.NotSupported("while-else in device code", location=self.where())
        assigned = set(_assigned_names(stmt.body))
        if any(isinstance(n, ast.Name) and (n.id in assigned or self.is_device_value(self.env.get(n.id)))
               for n in ast.walk(stmt.test)):
            self.device_while(stmt)  # host numbers the body changes (`k = 0; while k < n`) are carried too
            return
        # The body cannot change the condition: it is false, or the loop never ends.
        if self.eval(stmt.test):
            raise exc.NotSupported("`while` on a host value that the loop body does not change never ends",
                                   location=self.where())

    def visit_Break(self, stmt: ast.Break) -> None:
        raise exc.NotSupported("`break` in device code; fold the exit into the `while` condition", location=self.where())

    def visit_Continue(self, stmt: ast.Continue) -> None:
        raise exc.NotSupported("`continue` in device code; put the rest of the body under an `if`",
                               location=self.where())




def _same(a, b) -> bool:
    """The same host value (`mode = "a"` in both branches)."""
    if a is b:
        return True
    try:
        return type(a) is type(b) and bool(a == b)
    except Exception:  # noqa: BLE001 - values without a truth of ==
        return False
