"""Reproducers and internal-error reporting.

A reproducer is a standalone Python script: the kernel's source (and the
helpers and globals it uses) under `@helion.kernel(config=...)`, inputs of
the same shapes, strides, dtypes and devices filled with random data, and the
call. `helion.exc.InternalError` names the file it was written to;
`print_repro=True` (or HELION_PRINT_REPRO=1) prints it."""
from __future__ import annotations

import ast
import builtins
import contextlib
import inspect
import os
import sys
import tempfile
import textwrap
import types

import torch

from .. import exc
from .. import language as hl
from ..config import Config

_LIBRARIES = ("torch", "helion", "triton", "numpy", "math", "operator", "functools", "builtins")


@contextlib.contextmanager
def internal_errors(what: str, location: str | None, config=None):
    """Turn anything but a helion error escaping the block into InternalError."""
    try:
        yield
    except exc.Base:
        raise
    except (MemoryError, torch.OutOfMemoryError):
        raise
    except Exception as e:
        raise exc.InternalError(f"{what} raised {type(e).__name__}: {e}", location=location, config=config) from e


def _function_source(fn) -> str:
    """The `def` of fn without its decorators, dedented."""
    source = textwrap.dedent(inspect.getsource(fn))
    fdef = ast.parse(source).body[0]
    return "\n".join(source.splitlines()[fdef.lineno - 1:])


def _loaded_names(fn) -> list[str]:
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    except (OSError, TypeError, SyntaxError):
        return list(fn.__code__.co_names)
    for node in ast.walk(tree):  # the script writes its own decorator
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            node.decorator_list = []
    seen: dict[str, None] = {}
    for n in ast.walk(tree):
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load):
            seen.setdefault(n.id, None)
    return list(seen)


def _is_library(obj) -> bool:
    module = getattr(obj, "__module__", None) or ""
    return module.split(".")[0] in _LIBRARIES


def _definition(name: str, value, helpers: list[str], seen: set) -> str | None:
    """A line (or helper source) that defines `name` as `value` in the script."""
    if isinstance(value, types.ModuleType):
        return f"import {value.__name__}" if value.__name__ == name else f"import {value.__name__} as {name}"
    if isinstance(value, (bool, int, float, str, type(None))):
        return f"{name} = {value!r}"
    if isinstance(value, torch.dtype):
        return f"{name} = {value}"
    if isinstance(value, Config):
        return f"{name} = {value!r}"
    if isinstance(value, types.FunctionType) and not _is_library(value) and value.__name__ != "<lambda>":
        _add_helper(value, helpers, seen)
        return None if value.__name__ == name else f"{name} = {value.__name__}"
    module, qualname = getattr(value, "__module__", None), getattr(value, "__qualname__", None)
    if module and qualname and "<" not in qualname and getattr(sys.modules.get(module), qualname, None) is value:
        return f"from {module} import {qualname} as {name}" if qualname != name else f"from {module} import {name}"
    return f"# {name}: a {type(value).__name__} the script cannot rebuild; define it here"


def _add_helper(fn, helpers: list[str], seen: set) -> None:
    if id(fn) in seen:
        return
    seen.add(id(fn))
    try:
        helpers.append(_function_source(fn))
    except (OSError, TypeError, SyntaxError):
        helpers.append(f"# {fn.__name__}: source not available")
        return
    helpers.extend(_globals_of(fn, helpers, seen))


def _globals_of(fn, helpers: list[str], seen: set) -> list[str]:
    lines = []
    free = {}
    for name, cell in zip(fn.__code__.co_freevars, fn.__closure__ or ()):
        try:
            free[name] = cell.cell_contents
        except ValueError:  # a cell not assigned yet
            pass
    for name in _loaded_names(fn):
        if name in free:
            value = free[name]
        elif name in fn.__globals__:
            value = fn.__globals__[name]
        else:
            continue  # a builtin, a parameter or a local
        if name in ("torch", "helion", "hl") or (hasattr(builtins, name) and getattr(builtins, name) is value):
            continue
        line = _definition(name, value, helpers, seen)
        if line:
            lines.append(line)
    return lines


def _argument(value) -> str:
    if isinstance(value, torch.Tensor):
        size, stride = list(value.shape), list(value.stride())
        offset = (value.data_ptr() % 16) // max(value.element_size(), 1)
        return f"rand({size}, {stride}, {value.dtype}, {str(value.device)!r}, offset={offset})"
    if isinstance(value, hl.constexpr):
        return f"hl.constexpr({value.value!r})"
    if isinstance(value, (bool, int, float, str, type(None), torch.dtype)):
        return repr(value) if not isinstance(value, torch.dtype) else str(value)
    if isinstance(value, (list, tuple)):
        inner = ", ".join(_argument(v) for v in value)
        return f"[{inner}]" if isinstance(value, list) else f"({inner}{',' if len(value) == 1 else ''})"
    if isinstance(value, types.FunctionType):
        return value.__name__
    return f"None  # a {type(value).__name__}: replace with the real value"


_RAND = '''
def rand(size, stride, dtype, device, offset=0):
    """Random data with these shape, strides, dtype, device and 16-byte alignment."""
    n = offset + 1 + sum((s - 1) * st for s, st in zip(size, stride) if s > 0)
    if dtype.is_floating_point or dtype.is_complex:
        flat = torch.randn(n, device=device).to(dtype)
    elif dtype == torch.bool:
        flat = torch.rand(n, device=device) > 0.5
    else:
        flat = torch.randint(0, 8, (n,), device=device).to(dtype)
    return flat.as_strided(size, stride, offset)
'''


def repro_script(kernel, args: tuple | None, config) -> str:
    """The standalone script; `kernel` is a helion Kernel, `args` its call's
    positional arguments (None when unknown)."""
    fn = kernel.fn
    helpers: list[str] = []
    seen = {id(fn)}
    lines = _globals_of(fn, helpers, seen)
    try:
        body = _function_source(fn)
    except (OSError, TypeError, SyntaxError):
        body = f"# the source of {fn.__name__} is not available"
    decorator = f"@helion.kernel(config={config!r})" if config is not None else "@helion.kernel()"
    parts = [
        f"# Helion reproducer for kernel {fn.__name__!r}. Run: python <this file>",
        "import torch", "", "import helion", "import helion.language as hl",
        *sorted({line for line in lines if line.startswith(("import ", "from "))}),
        *[line for line in lines if not line.startswith(("import ", "from "))],
        "", *[h + "\n" for h in helpers], _RAND, "", decorator, body, "", "",
        "if __name__ == \"__main__\":", "    torch.manual_seed(0)",
    ]
    if args is None:
        parts.append(f"    # the arguments of the failing call are not known; call {fn.__name__}(...) here")
    else:
        parts.append(f"    args = [{', '.join(_argument(a) for a in args)}]")
        parts.append(f"    {fn.__name__}(*args)")
    return "\n".join(parts) + "\n"


def write_repro(kernel, args: tuple | None, config) -> str:
    """Write the script to a new file in the temp dir; returns its path."""
    text = repro_script(kernel, args, config)
    fd, path = tempfile.mkstemp(prefix=f"helion_repro_{kernel.fn.__name__}_", suffix=".py")
    with os.fdopen(fd, "w") as f:
        f.write(text)
    return path


def attach(error: exc.InternalError, kernel, args: tuple | None) -> None:
    """Give an InternalError its reproducer (once), printing it if asked."""
    if error.repro_path is not None:
        return
    try:
        path = write_repro(kernel, args, error.config)
    except Exception as e:  # the report must not hide the error it reports
        path = f"<could not write a reproducer: {e}>"
    error.amend(repro_path=path)
    if kernel.settings.print_repro and os.path.exists(path):
        with open(path) as f:
            print(f.read(), file=sys.stderr)
