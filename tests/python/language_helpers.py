"""Helpers the language tests share: the device parametrization (the GPU twin
marked gpu), the line of a marker in a kernel's source, and a GPU sync."""
import inspect

import pytest
import torch

DEVICES = [pytest.param("cpu", id="cpu"), pytest.param("cuda", id="cuda", marks=pytest.mark.gpu)]


def line_of(fn, marker: str) -> int:
    """The line of `fn`'s source that contains `marker`."""
    lines, start = inspect.getsourcelines(fn)
    return start + next(i for i, line in enumerate(lines) if marker in line)


def sync(device) -> None:
    if device == "cuda":
        torch.cuda.synchronize()
