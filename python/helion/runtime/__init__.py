"""Helion runtime: executing compiled kernels (the CPU TTIR executor lives in cpu_executor)."""
from .._utils import get_num_sm

__all__ = ["get_num_sm"]
