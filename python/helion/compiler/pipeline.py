"""Run the C++ pass pipeline for one Config and hand the TTIR to Triton."""
from __future__ import annotations

from .. import _mlir as ir
from .. import exc
from ..frontend.device_codegen import TracedKernel
from ..config import Config
from . import disk_cache


def default_config(kernel: TracedKernel) -> Config:
    """A reasonable starting point: 1-d grids get 1024-wide tiles, 2-d grids
    64x64 (matmul-like), inner loops 32; all clipped to the extent."""
    sizes = []
    grid_slots = [s for s in kernel.tile_slots if s.in_grid]
    for s in kernel.tile_slots:
        if s.in_grid:
            want = 1024 if len(grid_slots) == 1 else 64
        else:
            want = 32
        sizes.append(_fit(want, s.extent, s.min_size))
    return Config(
        block_sizes=sizes,
        loop_orders=[list(range(n)) for n in kernel.multi_dim_loops],
        l2_groupings=[1] * kernel.num_grids,
        reduction_loops=[None] * len(kernel.reduction_slots),
        num_warps=4,
        num_stages=2,
    )


def _fit(want: int, extent: int | None, minimum: int) -> int:
    size = want
    if extent is not None:
        size = min(size, max(1, 1 << (max(extent, 1) - 1).bit_length()))
    return max(size, minimum)


def check_config(kernel: TracedKernel, config: Config) -> Config:
    """Fill defaults and validate the Config against the kernel."""
    base = default_config(kernel)
    merged = config.with_defaults(**base.config)
    block_sizes = list(merged.block_sizes)
    if len(block_sizes) != len(kernel.tile_slots):
        raise exc.InvalidConfig(f"kernel {kernel.name} has {len(kernel.tile_slots)} tiled dims, so block_sizes needs "
                                f"{len(kernel.tile_slots)} entries; got {block_sizes}")
    for i, (b, s) in enumerate(zip(block_sizes, kernel.tile_slots)):
        if not isinstance(b, int) or b < 1 or b & (b - 1):
            raise exc.InvalidConfig(f"block_sizes[{i}] = {b!r} must be a power of two")
        if b < s.min_size:
            raise exc.InvalidConfig(f"block_sizes[{i}] = {b} is below {s.min_size}, the minimum for a matmul dimension")
    orders = merged.loop_orders
    if len(orders) != len(kernel.multi_dim_loops):
        raise exc.InvalidConfig(f"loop_orders needs {len(kernel.multi_dim_loops)} entries, got {orders}")
    for o, n in zip(orders, kernel.multi_dim_loops):
        if sorted(o) != list(range(n)):
            raise exc.InvalidConfig(f"loop order {o} is not a permutation of range({n})")
    reductions = merged.reduction_loops
    if len(reductions) != len(kernel.reduction_slots):
        raise exc.InvalidConfig(f"reduction_loops needs {len(kernel.reduction_slots)} entries, got {reductions}")
    for i, (r, s) in enumerate(zip(reductions, kernel.reduction_slots)):
        if r is not None and (not isinstance(r, int) or isinstance(r, bool) or r < 1 or r & (r - 1)):
            raise exc.InvalidConfig(f"reduction_loops[{i}] = {r!r} must be None (persistent) or a power of two")
        if r is not None and r < s.min_size and (s.extent is None or r < s.extent):
            raise exc.InvalidConfig(f"reduction_loops[{i}] = {r} is below {s.min_size}, the minimum for a matmul dimension")
    return merged


def pass_pipeline(config: Config, index_bits: int = 32) -> str:
    roll = "helion-roll-reductions"
    if config.reduction_loops:
        roll += "{reduction-loops=" + ",".join(str(r or 0) for r in config.reduction_loops) + "}"
    opts = []
    if config.block_sizes:
        opts.append("block-sizes=" + ",".join(map(str, config.block_sizes)))
    flat_orders = [d for order in (config.loop_orders or []) for d in order]
    if flat_orders:
        opts.append("loop-orders=" + ",".join(map(str, flat_orders)))
    if config.l2_groupings:
        opts.append("l2-groupings=" + ",".join(map(str, config.l2_groupings)))
    apply = "helion-apply-config" + ("{" + " ".join(opts) + "}" if opts else "")
    return ",".join([
        roll, apply, "helion-reorder-loops", "helion-eliminate-masks", "helion-lower-grid",
        "helion-lower-tile-loops", "canonicalize", "cse",
        f"convert-tile-to-triton{{index-bits={index_bits}}}", "canonicalize", "cse",
    ])


class TTIRResult:
    def __init__(self, text: str, num_programs: int, name: str) -> None:
        self.text = text
        self.num_programs = num_programs
        self.name = name


def lower_to_ttir(kernel: TracedKernel, config: Config) -> TTIRResult:
    module = kernel.module.clone()
    pipeline = pass_pipeline(config)
    try:
        module.run_passes(pipeline)
    except ir.MLIRError as e:
        raise exc.CompilationError(f"compiling {kernel.name} with {config!r} failed: {e}") from None
    fn = module.body.operations[0]
    num_programs = fn.attributes.get("tile.num_programs")
    if num_programs is None:
        raise exc.CompilationError(f"{kernel.name}: the grid size is not static")
    return TTIRResult(module.to_string(generic=True), int(num_programs), kernel.name)


def compile_ttir(ttir: TTIRResult, config: Config, target=None):
    """Triton-compile TTIR text; returns the CompiledKernel. Corrupt cache
    entries (ours or Triton's) are recompiled with a warning (disk_cache)."""
    from triton.backends.compiler import GPUTarget

    if target is None:
        import torch

        major, minor = torch.cuda.get_device_capability()
        target = GPUTarget("cuda", major * 10 + minor, 32)
    path = disk_cache.ttir_file(ttir.name, ttir.text)
    options = {"num_warps": config.num_warps or 4, "num_stages": config.num_stages or 2}
    return disk_cache.triton_compile(path, target, options, f"{ttir.name} with {config!r}")
