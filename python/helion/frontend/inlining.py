"""Inlining of Python functions called from device code: helpers defined in
host code or at module level, closures, lambdas and hl.reduce combine
functions. Their bodies are traced at the call site; their source comes from
the file that defines them."""
from __future__ import annotations

import ast
import dataclasses
import inspect
import linecache

import torch

from .. import exc

# Functions of these packages are never traced inline as helpers (their source is not device code).
LIBRARY_MODULES = ("torch", "helion", "triton", "numpy", "math", "operator", "builtins", "functools")
_MAX_CALL_DEPTH = 32  # nested helper calls (catches recursion)


@dataclasses.dataclass
class DeviceLambda:
    """A lambda written in device code; its body is traced where it is called."""

    node: ast.Lambda
    env: dict
    scope: dict
    filename: str


class ReturnValue(Exception):
    """A `return` of a function traced inline; carries the returned value."""

    def __init__(self, value):
        self.value = value


class InliningMixin:
    def _trace_function(self, fn, args: list, kwargs: dict | None = None):
        """Trace a Python function called from device code (a helper defined in
        host code or at module level, an hl.reduce combine_fn) inline: its
        parameters bind to the device values passed in, its globals and closure
        are host values."""
        if isinstance(fn, DeviceLambda):
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
            except ReturnValue as r:
                return r.value
            return None
        except (exc.NotSupported, exc.TypeError_) as e:
            raise type(e)(f"{e.message} (in {name}() called at {callsite})", location=e.location or self.where()) from None
        finally:
            self.env, self.split.globals, self.filename, self.call_loop_floor, self.b.loc = saved
            self.call_depth -= 1


def lifted_tensors(split, values: tuple) -> list[tuple[str, object]]:
    """The host tensors device code reads without the loop being handed them:
    module-level (or enclosing-scope) tensors it names, and the tensors that
    the functions it calls read through closures, defaults and globals
    (epilogues passed in, module-level helpers). As (name, tensor), in a fixed
    order: they become kernel arguments after the loop's own values."""
    found: dict[int, tuple[str, object]] = {}
    passed = {id(v) for v in values if isinstance(v, torch.Tensor)}  # arguments already
    seen: set[int] = set()

    def code_names(code):
        yield from code.co_names
        for c in code.co_consts:
            if inspect.iscode(c):
                yield from code_names(c)

    def walk(prefix: str, v) -> None:
        if isinstance(v, torch.Tensor):
            if id(v) not in passed:
                found.setdefault(id(v), (prefix, v))
        elif inspect.isfunction(v) and id(v) not in seen and (v.__module__ or "").split(".")[0] not in LIBRARY_MODULES:
            seen.add(id(v))
            reads = [(name, cell.cell_contents) for name, cell in zip(v.__code__.co_freevars, v.__closure__ or ())
                     if _cell_is_set(cell)]
            reads += [(f"default{i}", d) for i, d in enumerate(v.__defaults__ or ())]
            reads += sorted((v.__kwdefaults__ or {}).items())
            reads += [(name, v.__globals__[name]) for name in dict.fromkeys(code_names(v.__code__)) if name in v.__globals__]
            for name, r in reads:
                walk(f"{prefix}.{name}", r)

    for name, v in zip(split.captured, values):
        if inspect.isfunction(v):
            walk(name, v)
    for name in split.global_reads:
        v = split.globals.get(name)
        if isinstance(v, torch.Tensor) or inspect.isfunction(v):
            walk(name, v)
    return list(found.values())


def launch_names(split, values: tuple) -> list[str]:
    """A name per launch value: the device loop's captured names, then those
    of the lifted tensors (lifted_tensors)."""
    n = len(split.captured)
    extra = lifted_tensors(split, values[:n]) if len(values) > n else []
    return list(split.captured) + [name for name, _ in extra]


def _cell_is_set(cell) -> bool:
    try:
        cell.cell_contents
    except ValueError:
        return False
    return True


_SOURCE_TREES: dict[tuple, ast.Module] = {}
_EMPTY_ALLOCATORS = ("empty", "empty_like", "new_empty", "empty_strided")


def _parse_source(filename: str, text: str) -> ast.Module:
    key = (filename, text)
    tree = _SOURCE_TREES.get(key)
    if tree is None:
        tree = ast.parse(text)
        _SOURCE_TREES.clear()  # one file at a time is plenty
        tree = _SOURCE_TREES[key] = tree
    return tree


def uninitialized_tensors(filename: str, fn_name: str, loop: ast.For) -> set[str]:
    """Names the kernel's host code binds to a fresh torch.empty* tensor and
    does not touch again before the device loop: they hold garbage until the
    device code writes them."""
    try:
        tree = _parse_source(filename, "".join(linecache.getlines(filename)))
    except SyntaxError:
        return set()
    fdefs = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == fn_name
             and any(s.lineno == loop.lineno and isinstance(s, ast.For) for s in n.body)]
    if len(fdefs) != 1:
        return set()
    names: set[str] = set()
    for stmt in fdefs[0].body:
        if stmt.lineno == loop.lineno:
            break
        mentioned = {n.id for n in ast.walk(stmt) if isinstance(n, ast.Name)}
        names -= mentioned  # any later use (a fill, a copy, a call) may write it
        value = getattr(stmt, "value", None)
        if (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name)
                and isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute)
                and value.func.attr in _EMPTY_ALLOCATORS):
            names.add(stmt.targets[0].id)
    return names


def _function_node(fn, where: str):
    """The FunctionDef or Lambda node of fn, from its source file."""
    code = fn.__code__
    filename = code.co_filename
    lines = linecache.getlines(filename, fn.__globals__)
    if not lines:
        raise exc.NotSupported(f"cannot read the source of {fn.__name__} (from {filename}) to trace it in device code",
                               location=where)
    try:
        tree = _parse_source(filename, "".join(lines))
    except SyntaxError as e:
        raise exc.NotSupported(f"cannot parse {filename} to trace {fn.__name__}: {e}", location=where) from None
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

