"""The ops device code can call: one registry entry per torch function, tensor
method and hl op (registry.py). Importing the package fills the registry.

Adding an op:
1. Pick its module: torch_ops.py (torch functions and tensor methods),
   hl_ops.py (helion.language), memory_ops.py (hl.load/store/atomics),
   python_ops.py (builtins, math).
2. Elementwise ops with an existing DeviceOps lowering are one row of
   _UNARY / _BINARY / _REDUCTIONS in torch_ops.py.
3. Otherwise write `@register(torch.f, methods="f") def _f(tr, args, kwargs)`:
   args are the positional arguments (the tensor first for a method); build the
   result with `tr.ops` (semantics.py: promotion, broadcasting, casts) and
   `tr.operand`, `tr.binary`, `tr.reduction`, `tr.dot`.
4. Refuse what it does not handle with helion.exc at `tr.where()`
   (`need_args`, `no_keywords`): never ignore an argument.
5. Add a tile IR or numerics test (tests/python) and a bad-call case to
   tests/python/errors/test_bad_kernels.py.
"""
from . import hl_ops, memory_ops, python_ops, torch_ops  # noqa: F401  (they register their entries)
from .python_ops import host_math
from .registry import METHODS, function_handler

__all__ = ["METHODS", "function_handler", "host_math"]
