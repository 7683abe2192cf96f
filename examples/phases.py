"""Kernels of several phases: each top-level device loop is launched on its
own, in program order, so a loop reads everything the loops before it wrote
(`hl.barrier()` between them says so and costs nothing).

global_max_normalize: x / max|x| over the whole tensor, which no single
program can see. The first loop writes the maximum of each row; the second
reduces those maxima (every program reads all of them: m floats) and scales
its rows. The Config lists both loops' entries: block_sizes=[rows of the
first loop, rows of the second], reduction_loops=[its row, its row, the
maxima]."""
import torch

import helion
import helion.language as hl


@helion.kernel()
def global_max_normalize(x: torch.Tensor) -> torch.Tensor:
    m, n = x.size()
    row_max = torch.empty([m], dtype=torch.float32, device=x.device)
    for tm in hl.tile(m):
        row_max[tm] = x[tm, :].abs().amax(-1).to(torch.float32)
    hl.barrier()
    out = torch.empty_like(x)
    for tm in hl.tile(m):
        scale = row_max[:].amax()
        out[tm, :] = (x[tm, :].to(torch.float32) / scale).to(x.dtype)
    return out


def global_max_normalize_reference(x: torch.Tensor) -> torch.Tensor:
    x = x.double()
    return x / x.abs().amax()
