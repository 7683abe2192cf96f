"""Helion runtime: executing compiled kernels (the CPU TTIR executor lives in cpu_executor)."""
