"""Run the C++ pass pipeline for one Config and hand the TTIR to Triton."""
from __future__ import annotations

from .. import _mlir as ir
from .. import exc
from ..frontend.device_codegen import TracedKernel
from ..config import Config
from .._utils import get_num_sm
from . import disk_cache


def pass_pipeline(config: Config, index_bits: int = 32, num_sms: int = 1) -> str:
    """The named C++ pipeline `helion-to-ttir{...}` (mlir/registration/Pipeline.cpp)
    with the Config's numbers as its options; the lit tests run the same one.
    A persistent pid_type launches num_sms x num_sm_multiplier programs."""
    flat_orders = [d for order in (config.loop_orders or []) for d in order]
    lists = [
        ("block-sizes", config.block_sizes or []),
        ("loop-orders", flat_orders),
        ("l2-groupings", config.l2_groupings or []),
        ("reduction-loops", [r or 0 for r in (config.reduction_loops or [])]),
        # Per-loop knobs, the grid loop first; tri-state ones: None -1, False 0, True 1.
        ("range-num-stages", config.range_num_stages or []),
        ("range-unroll-factors", config.range_unroll_factors or []),
        ("range-multi-buffers", [_tri(v) for v in config.range_multi_buffers or []]),
        ("range-warp-specializes", [_tri(v) for v in config.range_warp_specializes or []]),
        ("range-flattens", [_tri(v) for v in config.range_flattens or []]),
        ("static-ranges", [int(bool(v)) for v in config.static_ranges or []]),
        ("flatten-loops", [int(bool(v)) for v in config.flatten_loops or []]),
        ("load-eviction-policies", [("", "first", "last").index(v) for v in config.load_eviction_policies or []]),
        ("indexing", [_INDEXING.index(v) for v in _per_access(config.indexing)]),
    ]
    opts = [f"{name}={','.join(map(str, values))}" for name, values in lists if values]
    pid_type = config.pid_type or "flat"
    if pid_type.startswith("persistent"):
        opts.append(f"pid-type={pid_type} num-workers={num_sms * (config.num_sm_multiplier or 1)}")
    elif pid_type == "xyz":
        opts.append("pid-type=xyz")
    opts.append(f"index-bits={index_bits}")
    return "helion-to-ttir{" + " ".join(opts) + "}"


_INDEXING = ("pointer", "block_ptr", "tensor_descriptor")


def _per_access(v) -> list:
    """Config.indexing as a list: none, one value for all accesses, or one each."""
    return [] if v is None else [v] if isinstance(v, str) else list(v)


def _tri(v: bool | None) -> int:
    return -1 if v is None else int(v)


class TTIRResult:
    """`grid`: the launch shape (x, y, z); `num_programs`: its product."""

    def __init__(self, text: str, grid: tuple[int, int, int], name: str) -> None:
        self.text = text
        self.grid = tuple(int(g) for g in grid)
        self.name = name

    @property
    def num_programs(self) -> int:
        gx, gy, gz = self.grid
        return gx * gy * gz


def lower_to_ttir(kernel: TracedKernel, config: Config, num_sms: int | None = None) -> TTIRResult:
    """`num_sms` sizes persistent grids: by default the SMs of the kernel's device."""
    module = kernel.module.clone()
    if num_sms is None:
        num_sms = get_num_sm(kernel.device) if kernel.device is not None else 1
    index_bits = module.body.operations[0].attributes.get("tile.index_bits", 32)  # set by the tracer
    pipeline = pass_pipeline(config, index_bits=index_bits, num_sms=num_sms)
    try:
        module.run_passes(pipeline)
    except ir.MLIRError as e:
        raise exc.CompilationError(f"compiling {kernel.name} with {config!r} failed: {e}") from None
    fn = module.body.operations[0]
    fallbacks = fn.attributes.get("tile.indexing_fallbacks")
    if fallbacks:
        _warn_fallbacks(kernel.name, fallbacks)
    num_programs = fn.attributes.get("tile.num_programs")
    if num_programs is None:
        raise exc.CompilationError(f"{kernel.name}: the grid size is not static")
    grid = tuple(fn.attributes.get("tile.grid_shape") or (num_programs, 1, 1))  # pid_type=xyz: 3 launch axes
    # With locations: Triton and the CPU executor name the user's line in errors.
    return TTIRResult(module.to_string(generic=True, debug_info=True), grid, kernel.name)


_warned: set[tuple] = set()


def _warn_fallbacks(name: str, fallbacks: list[str]) -> None:
    """One warning per kernel and reason: accesses where Config.indexing asked
    for block pointers or TMA descriptors but pointers were used."""
    import warnings

    new = [f for f in dict.fromkeys(fallbacks) if (name, f) not in _warned]
    if new:
        _warned.update((name, f) for f in new)
        warnings.warn(f"helion: {name}: " + "; ".join(new), stacklevel=3)


def compile_ttir(ttir: TTIRResult, config: Config, target=None, load: bool = False):
    """Triton-compile TTIR text; returns the CompiledKernel, loaded onto the
    current GPU with `load`. Corrupt cache entries (ours or Triton's) are
    recompiled with a warning (disk_cache)."""
    from triton.backends.compiler import GPUTarget

    if target is None:
        import torch

        major, minor = torch.cuda.get_device_capability()
        target = GPUTarget("cuda", major * 10 + minor, 32)
    text = _rewrite_block_pointers(ttir.text) if '"tt.make_tensor_ptr"' in ttir.text else ttir.text
    path = disk_cache.ttir_file(ttir.name, text)
    options = {"num_warps": config.num_warps or 4, "num_stages": config.num_stages or 2}
    if config.maxnreg is not None:  # registers per thread (PTX .maxnreg)
        options["maxnreg"] = config.maxnreg
    return disk_cache.triton_compile(path, target, options, f"{ttir.name} with {config!r}", load=load)


def _rewrite_block_pointers(text: str) -> str:
    """Block pointers (Config.indexing="block_ptr") go through Triton's own
    rewrite-tensor-pointer pass, which Triton runs in its TTIR stage, the
    stage a compile from TTIR starts after (the GPU backend cannot lower them
    otherwise). The CPU executor runs them as they are."""
    import os
    import tempfile

    from triton._C.libtriton import ir as tir
    from triton._C.libtriton import passes

    ctx = tir.context()
    tir.load_dialects(ctx)
    fd, path = tempfile.mkstemp(suffix=".ttir")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        module = tir.parse_mlir_module(path, ctx)
    finally:
        os.unlink(path)
    pm = tir.pass_manager(ctx)
    passes.ttir.add_rewrite_tensor_pointer(pm)
    pm.run(module, "helion-block-pointers")
    return str(module)
