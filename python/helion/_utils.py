"""Helpers shared by host code, the ConfigSpec, the compiler and users
(`helion.cdiv`, `helion.next_power_of_2`, `helion.runtime.get_num_sm`)."""
from __future__ import annotations


def cdiv(a: int, b: int) -> int:
    """ceil(a / b) for integers (b > 0), as in grid-size arithmetic."""
    return -(-a // b)


def next_power_of_2(n: int) -> int:
    """The smallest power of two >= n (1 for n <= 1)."""
    return 1 if n <= 1 else 1 << (n - 1).bit_length()


def get_num_sm(device) -> int:
    """Streaming multiprocessors of a CUDA device (the grid of a persistent
    kernel); for the CPU executor, the number of CPU cores."""
    import os

    import torch

    device = torch.device(device)
    if device.type == "cuda":
        return torch.cuda.get_device_properties(device.index or 0).multi_processor_count
    if device.type == "cpu":
        return os.cpu_count() or 1
    from . import exc

    raise exc.NotSupported(f"get_num_sm: device {device} (CUDA and CPU are supported)")
