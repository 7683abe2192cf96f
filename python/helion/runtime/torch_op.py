"""torch.compile integration: each kernel is also a torch custom operator.

Eager calls never come here: `Kernel.__call__` carries `_torchdynamo_inline`,
which makes Dynamo trace `dynamo_call` instead of the kernel's host code. That
puts one call of the kernel's operator `helion::<name>_<n>` in the graph, so
`fullgraph=True` holds. The operator's fake implementation runs the kernel's
host code on fake tensors (with a launch that does nothing): output shapes and
dtypes come from the same code that allocates them for real.

The schema is fixed when the kernel is made, from its source:
  <name>(Tensor[] inputs, Tensor(a0!)? m0, ..., int[] kinds, SymInt[] ints,
         float[] floats) -> (Tensor, ...)
`m0...` are the parameters the kernel writes (a store in the device loop into
the parameter or a view of it, or an in-place method on it); torch
functionalizes them. `kinds` says how each parameter travels. A returned
parameter is not an operator output: `dynamo_call` returns the argument itself.
"""
from __future__ import annotations

import ast
import inspect
import itertools
import logging
import re
import textwrap
from typing import Any

import torch

from .. import exc
from .. import language as hl
from ..frontend import host_split

# How a parameter travels through the operator (the `kinds` list).
TENSOR, MUTATED, INT, FLOAT, BOOL, NONE, DTYPE, CONST_INT, CONST_FLOAT, CONST_BOOL = range(10)
_DTYPES = [torch.float32, torch.float16, torch.bfloat16, torch.float64, torch.int8, torch.int16, torch.int32,
           torch.int64, torch.uint8, torch.bool, torch.float8_e4m3fn, torch.float8_e5m2]

log = logging.getLogger(__name__)
_LIB = torch.library.Library("helion", "FRAGMENT")
_counter = itertools.count()


class OpInfo:
    """What `dynamo_call` needs to call a kernel's operator."""

    def __init__(self, kernel, params: list[tuple[str, Any]], mutated: list[str], returns: list[Any] | None,
                 problem: str | None) -> None:
        self.kernel = kernel
        self.params = params  # (name, default or inspect.Parameter.empty), in call order
        self.mutated = mutated  # written parameters, in schema order
        # Per returned value: an int = index of the parameter returned as is;
        # None = a new tensor (an operator output). `returns` None: no value.
        self.returns = returns
        self.problem = problem  # why the kernel cannot be an operator (raised when traced)
        self.op = None
        self.name = ""


def _root_name(node: ast.AST) -> str | None:
    """`x` for x, x[...], x.view(...)[...], x.T: the tensor a view expression starts from."""
    while True:
        if isinstance(node, ast.Name):
            return node.id
        if isinstance(node, (ast.Subscript, ast.Attribute)):
            node = node.value
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            node = node.func.value
        else:
            return None


def _own_nodes(fdef: ast.FunctionDef):
    """The nodes of fdef's body outside nested functions, lambdas and classes
    (whose `return`s are not the kernel's)."""
    stack = list(fdef.body)
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            stack.extend(ast.iter_child_nodes(node))


def _analyze(fdef: ast.FunctionDef, loops: list[ast.For], params: list[str]) -> tuple[list[str], list | None, str | None]:
    """(written parameters, return structure, problem) from the kernel's AST;
    `loops`: its top-level device loops."""
    aliases = {p: p for p in params}  # host name -> the parameter it is a view of
    written = set()
    loop_lines = {loop.lineno for loop in loops}
    for stmt in fdef.body:
        if getattr(stmt, "lineno", None) in loop_lines:  # stores into (views of) parameters
            for node in ast.walk(stmt):
                if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Store) and _root_name(node) in aliases:
                    written.add(aliases[_root_name(node)])
        elif isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
            root = _root_name(stmt.value)
            name = stmt.targets[0].id
            if root in aliases:
                aliases[name] = aliases[root]
            else:
                aliases.pop(name, None)
    for node in ast.walk(fdef):  # host-code in-place methods: x.copy_(...), x.zero_()
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr.endswith("_")
                and not node.func.attr.startswith("_") and _root_name(node.func.value) in aliases):
            written.add(aliases[_root_name(node.func.value)])
    mutated = [p for p in params if p in written]

    rebound = {n.id for n in ast.walk(fdef) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    structures = []
    for node in _own_nodes(fdef):
        if isinstance(node, ast.Return):
            value = node.value
            if value is None or (isinstance(value, ast.Constant) and value.value is None):
                structures.append(None)
                continue
            elems = value.elts if isinstance(value, ast.Tuple) else [value]
            if any(isinstance(e, ast.Starred) for e in elems):
                return mutated, None, f"line {node.lineno}: a starred return value"
            # A parameter returned as is (never rebound) is the caller's argument.
            shape = [params.index(e.id) if isinstance(e, ast.Name) and e.id in params and e.id not in rebound else None
                     for e in elems]
            structures.append(("tuple" if isinstance(value, ast.Tuple) else "one", shape))
    if not structures:
        return mutated, None, None
    if any(s != structures[0] for s in structures):
        return mutated, None, "its return statements return different structures (an operator has one output signature)"
    if structures[0] is None:
        return mutated, None, None
    kind, shape = structures[0]
    return mutated, (shape if kind == "tuple" else shape + ["one"]), None


def register(kernel) -> OpInfo:
    """Define the custom operator of `kernel` (once, when the kernel is made).
    Never raises: a kernel that cannot be an operator says why when traced."""
    sig = kernel.signature
    params = [(p.name, p.default) for p in sig.parameters.values()]
    names = [p[0] for p in params]
    try:
        source = textwrap.dedent(inspect.getsource(kernel.fn))
        fdef = ast.parse(source).body[0]
        ast.increment_lineno(fdef, kernel.fn.__code__.co_firstlineno - 1)
        mutated, returns, problem = _analyze(fdef, [d.loop for d in kernel._split.loops], names)
    except (OSError, TypeError, SyntaxError, IndexError) as e:
        return OpInfo(kernel, params, [], None, f"its source cannot be analyzed ({e})")
    info = OpInfo(kernel, params, mutated, returns, problem)
    if problem is not None:
        return info
    info.name = f"{re.sub(r'[^0-9a-zA-Z_]', '_', kernel.fn.__name__)}_{next(_counter)}"
    n_out = sum(1 for r in _new_outputs(returns))
    muts = "".join(f"Tensor(a{i}!)? m{i}, " for i in range(len(mutated)))
    outs = ", ".join(["Tensor"] * n_out)
    _LIB.define(f"{info.name}(Tensor[] inputs, {muts}int[] kinds, SymInt[] ints, float[] floats) -> ({outs})")

    def real(inputs, *rest):
        args = _unpack(info, inputs, rest)
        return _outputs(info, kernel(*args), args)

    def fake(inputs, *rest):
        args = _unpack(info, inputs, rest)
        return _outputs(info, _fake_host(kernel)(*args), args)

    _LIB.impl(info.name, real, "CompositeExplicitAutograd")
    torch.library.register_fake(f"helion::{info.name}", fake, lib=_LIB)
    info.op = getattr(torch.ops.helion, info.name).default
    log.debug("registered %s: %s", info.op, info.op._schema)
    return info


def _new_outputs(returns):
    return [i for i, r in enumerate(returns or []) if r is None]


def _fake_host(kernel):
    host = getattr(kernel, "_fake_host_fn", None)
    if host is None:  # the host code with a launch that does nothing
        host, _ = host_split.make_host_fn(kernel._split, lambda *values: None)
        kernel._fake_host_fn = host
    return host


def _unpack(info: OpInfo, inputs: list, rest: tuple) -> list:
    """The kernel's positional arguments from the operator's."""
    muts, (kinds, ints, floats) = rest[:len(info.mutated)], rest[len(info.mutated):]
    its, ins, fls, ms = iter(ints), iter(inputs), iter(floats), iter(muts)
    args = []
    for k in kinds:
        if k == TENSOR:
            args.append(next(ins))
        elif k == MUTATED:
            args.append(next(ms))
        elif k in (INT, CONST_INT):
            args.append(next(its))
        elif k in (BOOL, CONST_BOOL):
            args.append(bool(next(its)))
        elif k == DTYPE:
            args.append(_DTYPES[next(its)])
        elif k in (FLOAT, CONST_FLOAT):
            args.append(next(fls))
        else:
            args.append(None)
        if k in (CONST_INT, CONST_FLOAT, CONST_BOOL):
            args[-1] = hl.constexpr(args[-1])
    return args


def _outputs(info: OpInfo, result, args: list):
    """The operator's outputs: the new tensors the host code returned."""
    name = info.kernel.fn.__name__
    if info.returns is None:
        if result is not None:
            raise exc.NotSupported(f"kernel {name} returned {type(result).__name__} from a return statement torch.compile "
                                   "read as returning None")
        return None
    single = info.returns[-1:] == ["one"]
    values = (result,) if single else result
    expected = len(info.returns) - single
    if not isinstance(values, tuple) or len(values) != expected:
        raise exc.NotSupported(f"kernel {name}: torch.compile reads its return statement as {expected} value(s), "
                               f"but the host code returned {type(result).__name__}; return a tensor or a tuple written "
                               "out (`return a, b`)")
    outs = []
    for i in _new_outputs(info.returns[:expected]):
        v = values[i]
        if not isinstance(v, torch.Tensor):
            raise exc.NotSupported(f"kernel {name} returns a {type(v).__name__} (value {i}); under torch.compile a "
                                   "kernel returns tensors")
        # An operator output may not share memory with an input.
        fresh = v._base is None and not any(v is a for a in args)
        outs.append(v if fresh else v.clone())
    return outs[0] if len(outs) == 1 else tuple(outs) or None


def _fail(error: str, message: str) -> None:
    """Raise exc.<error>(message). Dynamo drops the message of an exception
    raised in traced code; this function is put in the graph instead and
    raises while Dynamo runs it on fake tensors, message intact."""
    raise getattr(exc, error)(message)


torch._dynamo.allow_in_graph(_fail)


def dynamo_call(self, *args, **kwargs):
    """What Dynamo traces for `kernel(*args, **kwargs)`: one operator call."""
    info = self._torch_op
    if info.problem is not None:
        _fail("NotSupported", f"kernel {self.fn.__name__} cannot be called under torch.compile: {info.problem}")
    values = list(args)
    for name, default in info.params[len(args):]:
        if name in kwargs:
            values.append(kwargs[name])
        elif default is inspect.Parameter.empty:
            _fail("InvalidArgument", f"kernel {self.fn.__name__}: missing argument {name!r}")
        else:
            values.append(default)
    inputs, kinds, ints, floats = [], [], [], []
    muts = [None] * len(info.mutated)
    for (name, _), v in zip(info.params, values):
        if isinstance(v, torch.Tensor):
            if name in info.mutated:
                muts[info.mutated.index(name)] = v
                kinds.append(MUTATED)
            else:
                inputs.append(v)
                kinds.append(TENSOR)
        elif isinstance(v, hl.constexpr):
            inner = v.value
            if isinstance(inner, bool):
                kinds.append(CONST_BOOL)
                ints.append(int(inner))
            elif isinstance(inner, int):
                kinds.append(CONST_INT)
                ints.append(inner)
            else:
                kinds.append(CONST_FLOAT)
                floats.append(float(inner))
        elif isinstance(v, bool):
            kinds.append(BOOL)
            ints.append(int(v))
        elif isinstance(v, (int, torch.SymInt)):
            kinds.append(INT)
            ints.append(v)
        elif isinstance(v, float):
            kinds.append(FLOAT)
            floats.append(v)
        elif v is None:
            kinds.append(NONE)
        elif isinstance(v, torch.dtype) and v in _DTYPES:
            kinds.append(DTYPE)
            ints.append(_DTYPES.index(v))
        else:
            _fail("NotSupported", f"kernel {self.fn.__name__}: argument {name!r} is a {type(v).__name__}; under "
                  "torch.compile a kernel takes tensors, ints, floats, bools, dtypes and hl.constexpr")
    outs = info.op(inputs, *muts, kinds, ints, floats)
    if len(_new_outputs(info.returns)) == 1:
        outs = (outs,)
    if info.returns is None:
        return None
    if len(info.returns) == 2 and info.returns[1] == "one":
        return outs[0] if info.returns[0] is None else values[info.returns[0]]
    result, new = [], iter(outs)
    for r in info.returns:
        result.append(next(new) if r is None else values[r])
    return tuple(result)
