"""Helion runtime: executing compiled kernels (the CPU TTIR executor lives in cpu_executor)."""


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
    from .. import exc

    raise exc.NotSupported(f"get_num_sm: device {device} (CUDA and CPU are supported)")
