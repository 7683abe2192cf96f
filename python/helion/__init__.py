"""Helion: PyTorch with tiles. Kernels compile through the `tile` MLIR dialect
and C++ passes to Triton's TTIR."""
from . import exc, language
from ._utils import cdiv, next_power_of_2
from .config import Config
from .runtime.kernel import BoundKernel, Kernel, kernel
from .runtime import logs as _logs
from .runtime.logs import set_logs
from .runtime.settings import Settings

_logs.init_from_env()  # HELION_LOGS

__all__ = ["Config", "Kernel", "BoundKernel", "Settings", "kernel", "exc", "language", "set_logs", "cdiv",
           "next_power_of_2"]
