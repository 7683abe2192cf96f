"""The registry of ops callable from device code.

An entry is one handler `handler(tracer, args, kwargs) -> value`, registered
under the function objects it implements (`torch.exp`, `hl.zeros`, ...) and,
when it is also a tensor method, under the method name: `x.exp()` calls the
handler with args `[x]`, as `torch.exp(x)` would. Adding an op is one
decorated function.
"""
from __future__ import annotations

from typing import Callable

Handler = Callable[..., object]

FUNCTIONS: dict[object, Handler] = {}  # function object -> handler
METHODS: dict[str, Handler] = {}  # tensor method name -> handler


def register(*functions, methods: str | tuple = ()):
    """Register the decorated handler for `functions` and the method names `methods`."""
    names = (methods,) if isinstance(methods, str) else tuple(methods)

    def decorate(handler: Handler) -> Handler:
        for fn in functions:
            assert fn not in FUNCTIONS, f"{fn} registered twice"
            FUNCTIONS[fn] = handler
        for name in names:
            assert name not in METHODS, f"method {name} registered twice"
            METHODS[name] = handler
        return handler

    return decorate


def function_handler(fn) -> Handler | None:
    try:
        return FUNCTIONS.get(fn)
    except TypeError:  # an unhashable callee: not an op
        return None
