"""The ops device code can call: one registry entry per torch function, tensor
method and hl op (see registry.py). Importing the package fills the registry."""
from . import hl_ops, python_ops, torch_ops  # noqa: F401  (they register their entries)
from .python_ops import host_math
from .registry import METHODS, function_handler

__all__ = ["METHODS", "function_handler", "host_math"]
