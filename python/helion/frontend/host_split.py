"""Split a kernel function into host code (plain Python, run as is) and its
device loops (compiled). Each top-level device loop is one phase, compiled
as its own kernel, and is replaced by a launch call of its own that receives
the host values it reads; `hl.barrier()` between loops is dropped (launches
on one stream already run in program order)."""
from __future__ import annotations

import ast
import collections
import collections.abc
import dataclasses
import inspect
import sys
import textwrap
import types

from .. import exc
from .. import language as hl

LAUNCH_NAME = "__helion_launch"
CONSTEXPR_NAME = "__helion_constexpr"
SPECIALIZE_NAME = "__helion_specialize"
HOST_RUN_NAME = "__helion_host_run"  # a HostRun for each run of host code that registers block sizes or tunables
NEW_HOST_RUN_NAME = "__helion_new_host_run"


@dataclasses.dataclass
class DeviceLoop:
    """One top-level device loop (a phase of the kernel)."""
    loop: ast.For
    captured: list[str]  # host names the loop reads, in launch-call order
    global_reads: list[str]  # other names the loop reads (globals)
    hook: str  # the name of its launch call in the host code


@dataclasses.dataclass
class SplitKernel:
    """The kernel's host code and device loops; `device_loop`, `captured` and
    `global_reads` describe one loop: the first, or the one of `phase(i)`."""
    fn_name: str
    filename: str
    host_fn: tuple  # (the kernel function, the rewritten host code, its closure cells): see make_host_fn
    device_loop: ast.For
    captured: list[str]  # host names the device loop reads, in launch-call order
    globals: collections.abc.Mapping  # the kernel's closure variables, then its module's globals (live)
    global_reads: list[str] = dataclasses.field(default_factory=list)  # other names the loop reads (globals)
    # The kernel's config= (or configs=[...]): block sizes and tunables read in host code come from them.
    host_configs: list = dataclasses.field(default_factory=list)
    # hl.register_tunable name -> (fragment, value) of the latest host run
    tunables: dict = dataclasses.field(default_factory=dict)
    loops: list[DeviceLoop] = dataclasses.field(default_factory=list)  # every top-level device loop, in order
    phase_index: int | None = None  # which loop phase(i) views, in a kernel of several

    def phase(self, i: int) -> SplitKernel:
        """The view of device loop i (sharing the configs and tunables)."""
        d = self.loops[i]
        return dataclasses.replace(self, device_loop=d.loop, captured=d.captured, global_reads=d.global_reads,
                                   phase_index=i if len(self.loops) > 1 else None)

    @property
    def device_name(self) -> str:
        """The GPU kernel's name: the function's, with the loop's index when
        the kernel has several (profiles tell the launches apart)."""
        return self.fn_name if self.phase_index is None else f"{self.fn_name}_{self.phase_index}"

    @property
    def hooks(self) -> tuple[str, ...]:
        """The host code's hook names: one launch per loop, then the helpers."""
        return tuple(d.hook for d in self.loops) + _HOOKS[1:]


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


def _called(call: ast.AST, scope: dict):
    """The function a call expression names (None if it cannot be resolved now)."""
    if not isinstance(call, ast.Call):
        return None
    try:
        return eval(compile(ast.Expression(call.func), "<helion>", "eval"), dict(scope))  # noqa: S307
    except Exception:
        return None


def is_device_loop_call(call: ast.AST, scope: dict) -> bool:
    """`hl.tile(...)`/`hl.grid(...)`/`hl.jagged_tile(...)` or an alias of them."""
    fn = _called(call, scope)
    return fn is hl.tile or fn is hl.grid or fn is hl.jagged_tile


def _drop_barriers(fdef: ast.FunctionDef, loops: list[tuple[int, ast.For]], scope, filename: str) -> None:
    """`hl.barrier()` is legal only as a statement of its own between two
    top-level device loops, where it becomes `pass`."""
    inside = {id(m): top for _, top in loops for m in ast.walk(top)}
    first, last = loops[0][0], loops[-1][0]
    for node in ast.walk(fdef):
        if _called(node, scope) is not hl.barrier:
            continue
        where = f"{filename}:{node.lineno}"
        if id(node) in inside:
            raise exc.NotSupported(f"hl.barrier() inside the device loop of line {inside[id(node)].lineno}: a barrier "
                                   "separates top-level device loops (each runs as its own launch); put it between "
                                   "two loops at the kernel's top level", location=where)
        index = next((i for i, s in enumerate(fdef.body) if isinstance(s, ast.Expr) and s.value is node), None)
        if index is None or not first < index < last or node.args or node.keywords:
            raise exc.NotSupported("hl.barrier() takes no arguments and must be a statement of its own at the kernel's "
                                   "top level, between two device loops", location=where)
        fdef.body[index] = ast.copy_location(ast.Pass(), fdef.body[index])


_CONDITION_HINT = "move the condition into the loop (torch.where) or write one kernel per case"
# statement around a nested device loop -> (what it is, what to write instead)
_HOST_STATEMENTS = {
    ast.If: ("an `if`", _CONDITION_HINT),
    ast.While: ("a `while` loop", _CONDITION_HINT),
    ast.For: ("a host `for` loop", "loop around the kernel call, or add a dim to the tile loop"),
    ast.With: ("a `with` block", "enter the context around the kernel call"),
    ast.Try: ("a `try` block", "catch errors around the kernel call"),
    ast.FunctionDef: ("a nested function", "write the loop in the kernel body"),
    ast.AsyncFunctionDef: ("a nested function", "write the loop in the kernel body"),
}


def _enclosing_statement(fdef: ast.FunctionDef, target: ast.AST) -> ast.AST | None:
    """The top-level statement of `fdef` that contains `target`."""
    for stmt in fdef.body:
        if any(n is target for n in ast.walk(stmt)):
            return stmt
    return None


def _check_signature(fn, fdef: ast.FunctionDef, filename: str) -> None:
    for star, arg in (("*", fdef.args.vararg), ("**", fdef.args.kwarg)):
        if arg is not None:
            raise exc.NotSupported(f"kernel parameter `{star}{arg.arg}` is not supported: name each argument "
                                   f"(`def {fn.__name__}(x, y)`), or pass a tensor and stack the inputs in it",
                                   location=f"{filename}:{fdef.lineno}")
    if isinstance(fdef, ast.AsyncFunctionDef):
        raise exc.NotSupported("a kernel cannot be `async def`", location=f"{filename}:{fdef.lineno}")
    if any(isinstance(n, (ast.Yield, ast.YieldFrom)) for n in ast.walk(fdef)):
        raise exc.NotSupported("a kernel cannot be a generator (`yield`)", location=f"{filename}:{fdef.lineno}")


def _check_host_rebinding(loop: ast.For, host_defined: set[str], after_reads: set[str], filename: str) -> None:
    """Device code cannot rebind host variables: the host never sees the new
    value (a later read gets the host's old object, e.g. an unwritten output)."""
    aug_targets = {id(n.target) for n in ast.walk(loop) if isinstance(n, ast.AugAssign)}
    plain = {n.id for n in ast.walk(loop) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
             and id(n) not in aug_targets}
    for node in ast.walk(loop):
        if isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
            name = node.target.id
            if name in host_defined and name not in plain:
                raise exc.NotSupported(
                    f"`{name} {_op_symbol(node.op)}= ...` in the device loop updates host variable {name!r}, which device "
                    f"code cannot rebind; write into the tensor through an index (`{name}[tile] {_op_symbol(node.op)}= ...`), "
                    f"or accumulate in a device value (`acc = hl.zeros([tile], ...)`) and store it",
                    location=f"{filename}:{node.lineno}")
    for node in ast.walk(loop):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store) and id(node) not in aug_targets \
                and node.id in host_defined and node.id in after_reads:
            raise exc.NotSupported(
                f"assigning to host variable {node.id!r} inside the device loop does not change it on the host, "
                f"which reads it after the loop; store into it instead (`{node.id}[tile] = ...`) or use another name",
                location=f"{filename}:{node.lineno}")


def _check_defined_before(loop: ast.For, host_defined: set[str], device_defined: set[str], later: set[str],
                          filename: str) -> None:
    """A name the device loop reads that the kernel assigns only after the loop."""
    for node in ast.walk(loop):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id in later \
                and node.id not in host_defined and node.id not in device_defined:
            raise exc.NotSupported(f"the device loop reads {node.id!r}, which the kernel assigns only after the loop; "
                                   "assign it before the loop", location=f"{filename}:{node.lineno}")


def _route_registrations(fdef: ast.FunctionDef, loops: list[ast.For], scope, filename: str) -> None:
    """Host-code calls of hl.register_block_size / hl.register_tunable become
    methods of a HostRun made when the host code starts (numbering block sizes,
    resolving tunables against the kernel's config)."""
    inside = {id(n) for loop in loops for n in ast.walk(loop)}
    hooks = {hl.register_block_size: "register_block_size", hl.register_tunable: "register_tunable"}
    found = False
    for node in ast.walk(fdef):
        if isinstance(node, ast.Call) and id(node) not in inside:
            fn = _called(node, scope)
            if fn in hooks and len(loops) > 1:
                raise exc.NotSupported(f"hl.{hooks[fn]}() in the host code of a kernel with several device loops is not "
                                       "supported yet (each loop is tuned on its own); use it inside a loop or write "
                                       "one kernel per loop", location=f"{filename}:{node.lineno}")
            if fn in hooks:
                node.func = ast.copy_location(ast.Attribute(ast.Name(HOST_RUN_NAME, ast.Load()), hooks[fn], ast.Load()), node.func)
                found = True
    if found:
        start = ast.parse(f"{HOST_RUN_NAME} = {NEW_HOST_RUN_NAME}()").body[0]
        fdef.body.insert(0, ast.copy_location(start, fdef.body[0]))


def _condition_names(loop: ast.For) -> set[str]:
    """Names read by the tests of `if`, `while`, `assert` and `a if c else b`
    in device code: a host float among them decides code, so the kernel
    specializes on its value instead of taking it as a runtime argument."""
    names = set()
    for node in ast.walk(loop):
        if isinstance(node, (ast.If, ast.IfExp, ast.While, ast.Assert)):
            names.update(_loaded_names(node.test))
    return names


def _op_symbol(op: ast.operator) -> str:
    symbols = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//", ast.Mod: "%", ast.Pow: "**",
               ast.BitAnd: "&", ast.BitOr: "|", ast.BitXor: "^", ast.LShift: "<<", ast.RShift: ">>", ast.MatMult: "@"}
    return symbols.get(type(op), "?")


def split_kernel(fn) -> SplitKernel:
    if not isinstance(fn, types.FunctionType):
        raise exc.NotSupported(f"@helion.kernel decorates a Python function (`def`), got {type(fn).__name__} {fn!r}")
    if fn.__name__ == "<lambda>":
        raise exc.NotSupported("@helion.kernel cannot compile a lambda; write a `def` with a `for tile in hl.tile(...)` loop",
                               location=f"{fn.__code__.co_filename}:{fn.__code__.co_firstlineno}")
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
    _check_signature(fn, fdef, filename)
    fdef.decorator_list = []
    closure = Cells(zip(fn.__code__.co_freevars, fn.__closure__ or ()))
    # Live views: a helper or constant defined after the kernel resolves when the kernel runs.
    scope = collections.ChainMap(closure, fn.__globals__)
    loops = [(i, s) for i, s in enumerate(fdef.body) if isinstance(s, ast.For) and is_device_loop_call(s.iter, scope)]
    inside = {id(m) for _, top in loops for m in ast.walk(top)}
    nested = [n for n in ast.walk(fdef) if isinstance(n, ast.For) and id(n) not in inside and is_device_loop_call(n.iter, scope)]
    if nested:
        stmt = _enclosing_statement(fdef, nested[0])
        what, hint = _HOST_STATEMENTS.get(type(stmt), (f"a `{type(stmt).__name__}` statement", "move it to the top level"))
        raise exc.NotSupported(f"the device loop is inside {what} (line {stmt.lineno}); device loops must be at the top level "
                               f"of the kernel function: {hint}", location=f"{filename}:{nested[0].lineno}")
    where = f"{filename}:{first_line}"
    if not loops:
        calls = [n for n in ast.walk(fdef) if is_device_loop_call(n, scope)]
        if calls:
            raise exc.NotSupported("hl.tile()/hl.grid() is only valid as the iterable of a top-level `for` loop; "
                                   "write `for tile in hl.tile(...):`", location=f"{filename}:{calls[0].lineno}")
        raise exc.NotSupported(f"kernel {fn.__name__} has no device loop (`for tile in hl.tile(...)` at its top level)", location=where)
    _drop_barriers(fdef, loops, scope, filename)
    params = fdef.args.posonlyargs + fdef.args.args + fdef.args.kwonlyargs
    args = [a.arg for a in params]
    constexprs = {a.arg for a in params if _is_constexpr_annotation(a.annotation, scope)}
    device_loops = [_split_loop(fdef, loops, k, args, constexprs, filename) for k in range(len(loops))]
    _route_registrations(fdef, [loop for _, loop in loops], scope, filename)
    # The host function is compiled inside a factory whose parameters are the
    # launch hooks and the kernel's closure variables: those become cells of
    # the host function, every other name is a global of the user's module.
    hooks = tuple(d.hook for d in device_loops) + _HOOKS[1:]
    factory = ast.parse(f"def __helion_factory({', '.join(hooks + fn.__code__.co_freevars)}):\n"
                        f"    return {fdef.name}").body[0]
    factory.body.insert(0, fdef)
    module.body = [ast.copy_location(factory, fdef)]
    ast.fix_missing_locations(module)
    factory_code = next(c for c in compile(module, filename, "exec").co_consts if isinstance(c, types.CodeType))
    code = next(c for c in factory_code.co_consts if isinstance(c, types.CodeType) and c.co_name == fdef.name)
    first = device_loops[0]
    return SplitKernel(fn.__name__, filename, (fn, code, closure), first.loop, first.captured, scope,
                       global_reads=first.global_reads, loops=device_loops)


def _split_loop(fdef: ast.FunctionDef, loops: list[tuple[int, ast.For]], k: int, args: list[str], constexprs: set[str],
                filename: str) -> DeviceLoop:
    """Check device loop k (what it reads from the host, what it leaves to
    later code) and replace it by its launch call."""
    index, loop = loops[k]
    loop_nodes = {id(top) for _, top in loops}
    host_before = [s for s in fdef.body[:index] if id(s) not in loop_nodes]
    host_after = [s for s in fdef.body[index + 1:] if id(s) not in loop_nodes]
    host_defined = set(args) | _stored_names(host_before)
    captured = [n for n in _loaded_names(loop) if n in host_defined]
    device_defined = _stored_names([loop])
    global_reads = [n for n in _loaded_names(loop) if n not in host_defined and n not in device_defined]
    for _, earlier in loops[:k]:  # device values end with their loop
        stale = sorted(set(global_reads) & _stored_names([earlier]))
        if stale:
            raise exc.NotSupported(f"the device loop reads {stale[0]!r}, a variable of the device loop of line "
                                   f"{earlier.lineno}; device values end with their loop: store it into a tensor there "
                                   "and read the tensor here", location=f"{filename}:{loop.lineno}")
    after_reads = set()
    for stmt in fdef.body[index + 1:]:
        after_reads.update(_loaded_names(stmt))
    _check_host_rebinding(loop, host_defined, after_reads, filename)
    _check_defined_before(loop, host_defined, device_defined, _stored_names(fdef.body[index + 1:]), filename)
    leaked = sorted((device_defined - host_defined) & set().union(*map(_loaded_names, host_after)))
    if leaked:
        raise exc.NotSupported(f"device-loop variables {leaked} are read after the loop; write results to tensors instead",
                               location=f"{filename}:{loop.lineno}")
    conditions = _condition_names(loop)

    def launch_arg(n: str) -> ast.expr:
        wrap = CONSTEXPR_NAME if n in constexprs else SPECIALIZE_NAME if n in conditions else None
        return ast.Call(ast.Name(wrap, ast.Load()), [ast.Name(n, ast.Load())], []) if wrap else ast.Name(n, ast.Load())

    hook = LAUNCH_NAME if k == 0 else f"{LAUNCH_NAME}_{k}"
    call = ast.Expr(ast.Call(ast.Name(hook, ast.Load()), [launch_arg(n) for n in captured], []))
    ast.copy_location(call, loop)
    ast.copy_location(call.value, loop)
    fdef.body[index] = call
    return DeviceLoop(loop, captured, global_reads, hook)


def _as_constexpr(value):
    """What an `hl.constexpr` parameter receives: the caller may pass a plain
    value or one already wrapped in hl.constexpr."""
    return value if isinstance(value, hl.constexpr) else hl.constexpr(value)


def _specialized(value):
    """A host value that decides code in device code: floats are baked in
    (keyed on their value) like hl.constexpr; other values are already."""
    return hl.constexpr(value) if type(value) is float else value


class Cells(collections.abc.MutableMapping):
    """Closure cells by name, read and written through (an empty cell is a
    missing key)."""

    def __init__(self, items) -> None:
        self.cells = dict(items)

    def __getitem__(self, name: str):
        try:
            return self.cells[name].cell_contents
        except ValueError:
            raise KeyError(name) from None

    def __setitem__(self, name: str, value) -> None:
        self.cells[name].cell_contents = value

    def __delitem__(self, name: str) -> None:
        raise TypeError("closure cells cannot be removed")

    def __iter__(self):
        return (name for name in self.cells if name in self)

    def __len__(self) -> int:
        return sum(1 for _ in self)


_HOOKS = (LAUNCH_NAME, CONSTEXPR_NAME, SPECIALIZE_NAME, NEW_HOST_RUN_NAME)


class HostRun:
    """One run of a kernel's host code: numbers its hl.register_block_size
    results (their Config.block_sizes entries) and resolves its tunables
    against the kernel's config= (else the defaults)."""

    def __init__(self, split: SplitKernel) -> None:
        self.split = split
        self.registered = 0  # block sizes so far

    def register_block_size(self, *args):
        where = _caller()
        try:
            bs = hl.register_block_size(*args)
        except exc.Base as e:
            raise type(e)(e.message, location=where) from None
        bs.index, bs.where, bs.resolve = self.registered, where, self._block_value
        self.registered += 1
        return bs

    def _block_value(self, bs) -> int:
        sizes = [c.block_sizes[bs.index] for c in self.split.host_configs if len(c.block_sizes or []) > bs.index]
        value = self._one_value(f"block_sizes[{bs.index}]", sizes, bs.where)
        if value is None:
            return bs.default()
        if not (isinstance(value, int) and not isinstance(value, bool) and bs.min_size <= value and not value & (value - 1)
                and (bs.max_size is None or value <= bs.max_size)):
            raise exc.InvalidConfig(f"{bs.where}: {self.split.fn_name}: Config.block_sizes[{bs.index}] = {value!r} is not "
                                    f"legal for {bs!r}; expected a power of two in [{bs.min_size}, {bs.max_size or 'any'}]")
        return value

    def register_tunable(self, name, fragment):
        from ..autotuner.config_fragment import Fragment
        from ..config import _FIELDS, is_field_typo

        where = _caller()
        if not isinstance(name, str) or not name.isidentifier() or name.startswith("_") or name in _FIELDS \
                or is_field_typo(name):
            raise exc.InvalidArgument(f"hl.register_tunable({name!r}, ...): the name must be an identifier that is not a "
                                      "Config field (nor close to one)", location=where)
        if not isinstance(fragment, Fragment):
            raise exc.InvalidArgument(f"hl.register_tunable({name!r}, {fragment!r}): the second argument must be a "
                                      "fragment of helion.autotuner (PowerOfTwoFragment, IntegerFragment, EnumFragment, "
                                      "BooleanFragment)", location=where)
        value = self._one_value(name, [c.tunables[name] for c in self.split.host_configs if name in c.tunables], where)
        value = fragment.default if value is None else value
        if not fragment.contains(value):
            raise exc.InvalidConfig(f"{where}: {self.split.fn_name}: Config.{name} = {value!r} is not legal; expected "
                                    f"{fragment.describe()}")
        self.split.tunables[name] = (fragment, value)
        return value

    def _one_value(self, field: str, values: list, where: str):
        """The configs' value of a field host code reads (None: none gives one):
        one run of host code computes with one value."""
        if len({repr(v) for v in values}) > 1:
            raise exc.InvalidConfig(f"{where}: {self.split.fn_name}: host code computes with Config.{field}, but the "
                                    f"kernel's configs give it several values ({', '.join(sorted({repr(v) for v in values}))}); "
                                    "give one value (or one kernel per value)")
        return values[0] if values else None


def _caller() -> str:
    frame = sys._getframe(2)  # the host code's call of the registration
    return f"{frame.f_code.co_filename}:{frame.f_lineno}"


def make_host_fn(split: SplitKernel, launcher):
    """The kernel's host code as a function calling `launcher` in place of
    each device loop; also returns its hooks (assign [loops[i].hook] to swap
    loop i's launcher)."""
    fn, code, closure = split.host_fn
    launches = (launcher,) * len(split.loops)
    hooks = Cells({name: types.CellType(value) for name, value in
                   zip(split.hooks, launches + (_as_constexpr, _specialized, lambda: HostRun(split)))})
    cells = {**hooks.cells, **closure.cells}
    host = types.FunctionType(code, fn.__globals__, code.co_name, fn.__defaults__,
                              tuple(cells[name] for name in code.co_freevars))
    host.__kwdefaults__ = fn.__kwdefaults__
    return host, hooks
