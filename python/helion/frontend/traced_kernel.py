"""What tracing a kernel produces: the tile IR module and the facts about it
that the Config and the launcher need (block-size slots, runtime arguments)."""
from __future__ import annotations

import dataclasses


@dataclasses.dataclass
class SlotInfo:
    slot: int
    reduction: bool
    extent: int | None
    in_grid: bool
    min_size: int = 1  # the target's least block (min_block of helion-legalize-for-triton)
    max_size: int | None = None  # hl.register_block_size(min, max), or the value host code computed with


@dataclasses.dataclass
class RuntimeArg:
    index: int  # position in the launch call's values
    kind: str  # "tensor" or "float"


@dataclasses.dataclass
class TracedKernel:
    name: str
    module: object  # ir.Module with one tile.kernel
    slots: list[SlotInfo]
    runtime_args: list[RuntimeArg]
    multi_dim_loops: list[int]  # dim counts of loops that take a loop_order, in program order
    num_grids: int
    device: object = None  # the torch.device of the kernel's tensors (persistent kernels size to its SMs)
    fn_name: str = ""  # the user's function, for messages (`name` is the GPU kernel's: fn_<i> per loop of several)

    @property
    def tile_slots(self) -> list[SlotInfo]:
        return [s for s in self.slots if not s.reduction]

    @property
    def reduction_slots(self) -> list[SlotInfo]:
        return [s for s in self.slots if s.reduction]
