"""Split a kernel function into host code (plain Python, run as is) and its
device loop (compiled). The device loop is replaced by a launch call that
receives the host values it reads."""
from __future__ import annotations

import ast
import dataclasses
import inspect
import textwrap

from .. import exc
from .. import language as hl

LAUNCH_NAME = "__helion_launch"
CONSTEXPR_NAME = "__helion_constexpr"


@dataclasses.dataclass
class SplitKernel:
    fn_name: str
    filename: str
    host_fn: object  # the rewritten function; call it with the kernel's args
    device_loop: ast.For
    captured: list[str]  # host names the device loop reads, in launch-call order
    globals: dict


def _loaded_names(node: ast.AST) -> list[str]:
    seen: dict[str, None] = {}
    for n in ast.walk(node):
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load):
            seen.setdefault(n.id, None)
    return list(seen)


def _stored_names(nodes) -> set[str]:
    """Names these statements bind in their own scope: assignment and loop
    targets, imports, and the names of nested defs and classes (not the names
    bound inside those, nor comprehension variables)."""
    names = set()
    stack = list(nodes)
    while stack:
        n = stack.pop()
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(n.name)
            stack.extend(n.decorator_list)
            if not isinstance(n, ast.ClassDef):
                stack.extend(n.args.defaults + [d for d in n.args.kw_defaults if d is not None])
            continue
        if isinstance(n, ast.Lambda):
            stack.extend(n.args.defaults + [d for d in n.args.kw_defaults if d is not None])
            continue
        if isinstance(n, ast.comprehension):
            stack.append(n.iter)
            stack.extend(n.ifs)
            continue
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
            names.add(n.id)
        elif isinstance(n, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in n.names)
        stack.extend(ast.iter_child_nodes(n))
    return names


def _is_constexpr_annotation(node: ast.AST | None, scope: dict) -> bool:
    """`hl.constexpr` (or any expression naming helion.language.constexpr)."""
    if node is None:
        return False
    if isinstance(node, ast.Constant) and isinstance(node.value, str):  # a quoted annotation
        try:
            node = ast.parse(node.value, mode="eval").body
        except SyntaxError:
            return False
    try:
        return eval(compile(ast.Expression(node), "<annotation>", "eval"), dict(scope)) is hl.constexpr
    except Exception:
        return False


def is_device_loop_call(call: ast.AST, scope: dict) -> bool:
    """`hl.tile(...)`/`hl.grid(...)` or an alias of them."""
    if not isinstance(call, ast.Call):
        return False
    try:
        fn = eval(compile(ast.Expression(call.func), "<helion>", "eval"), dict(scope))  # noqa: S307
    except Exception:
        return False
    return fn is hl.tile or fn is hl.grid


def split_kernel(fn) -> SplitKernel:
    try:
        source = textwrap.dedent(inspect.getsource(fn))
        filename = inspect.getsourcefile(fn) or "<unknown>"
    except (OSError, TypeError) as e:
        raise exc.NotSupported(f"cannot read the source of {fn.__name__}: {e}") from None
    first_line = fn.__code__.co_firstlineno
    module = ast.parse(source)
    ast.increment_lineno(module, first_line - 1)
    fdef = module.body[0]
    if not isinstance(fdef, (ast.FunctionDef, ast.AsyncFunctionDef)):
        raise exc.NotSupported(f"@helion.kernel must decorate a function, got {type(fdef).__name__}")
    fdef.decorator_list = []
    scope = dict(fn.__globals__)
    if fn.__closure__:
        scope.update(zip(fn.__code__.co_freevars, (c.cell_contents for c in fn.__closure__)))
    loops = [(i, s) for i, s in enumerate(fdef.body) if isinstance(s, ast.For) and is_device_loop_call(s.iter, scope)]
    where = f"{filename}:{first_line}"
    if not loops:
        raise exc.NotSupported(f"kernel {fn.__name__} has no device loop (`for tile in hl.tile(...)` at its top level)", location=where)
    if len(loops) > 1:
        line = loops[1][1].lineno
        raise exc.NotSupported("more than one top-level device loop in one kernel is not supported yet", location=f"{filename}:{line}")
    index, loop = loops[0]
    nested = [n for n in ast.walk(fdef) if isinstance(n, ast.For) and n is not loop and is_device_loop_call(n.iter, scope)
              and not any(n is m for m in ast.walk(loop))]
    if nested:
        raise exc.NotSupported("device loops must be at the top level of the kernel function", location=f"{filename}:{nested[0].lineno}")
    params = fdef.args.posonlyargs + fdef.args.args + fdef.args.kwonlyargs
    args = [a.arg for a in params]
    constexprs = {a.arg for a in params if _is_constexpr_annotation(a.annotation, scope)}
    host_defined = set(args) | _stored_names(fdef.body[:index])
    captured = [n for n in _loaded_names(loop) if n in host_defined]
    device_defined = _stored_names([loop])
    after_reads = set()
    for stmt in fdef.body[index + 1:]:
        after_reads.update(_loaded_names(stmt))
    leaked = sorted((device_defined - host_defined) & after_reads)
    if leaked:
        raise exc.NotSupported(f"device-loop variables {leaked} are read after the loop; write results to tensors instead",
                               location=f"{filename}:{loop.lineno}")
    launch_args = [ast.Call(ast.Name(CONSTEXPR_NAME, ast.Load()), [ast.Name(n, ast.Load())], []) if n in constexprs
                   else ast.Name(n, ast.Load()) for n in captured]
    call = ast.Expr(ast.Call(ast.Name(LAUNCH_NAME, ast.Load()), launch_args, []))
    ast.copy_location(call, loop)
    ast.copy_location(call.value, loop)
    fdef.body[index] = call
    ast.fix_missing_locations(module)
    namespace = dict(scope)
    namespace[CONSTEXPR_NAME] = hl.constexpr
    code = compile(module, filename, "exec")
    return SplitKernel(fn.__name__, filename, (code, fdef.name, namespace), loop, captured, scope)


def make_host_fn(split: SplitKernel, launcher):
    code, name, namespace = split.host_fn
    ns = dict(namespace)
    ns[LAUNCH_NAME] = launcher
    exec(code, ns)  # noqa: S102 - the user's own kernel source
    return ns[name], ns
