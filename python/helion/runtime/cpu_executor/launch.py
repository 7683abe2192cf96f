"""Parsing, plan caching, argument binding and the launch loop over the grid."""
from __future__ import annotations

from collections import OrderedDict
from typing import Sequence

import torch

from helion.exc import CpuExecutionError

# The op modules register their ops in plan's tables when imported.
from . import ops_arith, ops_math, ops_memory, ops_reduce, ops_scf, ops_tt  # noqa: F401
from .memory import Buffer, LaunchState, Ptr
from .plan import FunctionCompiler, run_steps
from .types import TypeInfo


def _bind_arg(i: int, info: TypeInfo, a, kernel: str):
    """A launch argument as an executor value."""
    if info.kind == "ptr":
        if not isinstance(a, torch.Tensor):
            raise CpuExecutionError(
                f"kernel '{kernel}': argument #{i} ({info.text}) needs a tensor, got {type(a).__name__}")
        if a.device.type != "cpu":
            raise CpuExecutionError(
                f"kernel '{kernel}': argument #{i} is on {a.device}, the CPU executor needs CPU tensors")
        esize = torch.empty(0, dtype=info.dtype).element_size()
        byte_off = a.storage_offset() * a.element_size()
        if byte_off % esize:
            raise CpuExecutionError(f"kernel '{kernel}': argument #{i} is not aligned to its pointee type {info.dtype}")
        flat = torch.empty(0, dtype=info.dtype).set_(a.untyped_storage())
        buf = Buffer(flat, byte_off // esize, i)
        return Ptr(buf, torch.tensor(buf.base, dtype=torch.int64))
    if info.kind not in ("int", "float") or info.shape is not None:
        raise CpuExecutionError(f"kernel '{kernel}': cannot pass an argument of type {info.text}")
    if isinstance(a, torch.Tensor):
        if a.numel() != 1:
            raise CpuExecutionError(f"kernel '{kernel}': argument #{i} ({info.text}) must be a scalar")
        a = a.item()
    if info.is_int:
        if info.dtype == torch.bool:
            return torch.tensor(bool(a))
        if not isinstance(a, (int, bool)):
            raise CpuExecutionError(f"kernel '{kernel}': argument #{i} ({info.text}) must be an int, got {a!r}")
        a = int(a)
        w = info.width
        if not -(1 << (w - 1)) <= a < (1 << w):
            raise CpuExecutionError(f"kernel '{kernel}': argument #{i} = {a} does not fit in {info.text}")
        if a >= (1 << (w - 1)):
            a -= 1 << w  # unsigned values: same bits
        return torch.tensor(a, dtype=info.dtype)
    return torch.tensor(float(a), dtype=info.dtype)


class CpuKernel:
    """A TTIR kernel compiled for the CPU executor; call it with (grid, args)."""

    def __init__(self, ttir, kernel_name: str | None = None):
        mod = _parse(ttir)
        funcs = {}
        public = []
        for op in mod.body.operations:
            if op.name == "tt.func":
                attrs = op.attributes
                name = attrs["sym_name"]
                funcs[name] = op
                if attrs.get("sym_visibility", "public") != "private":
                    public.append(name)
        if kernel_name is None:
            cands = public if len(public) == 1 else list(funcs)
            if len(cands) != 1:
                raise CpuExecutionError(f"the module has functions {sorted(funcs)}: pass kernel_name")
            kernel_name = cands[0]
        if kernel_name not in funcs:
            raise CpuExecutionError(f"no tt.func named '{kernel_name}' (the module has {sorted(funcs)})")
        self.name = kernel_name
        self._module = mod  # keep the IR alive while compiling callees lazily
        self._fn = FunctionCompiler(kernel_name, funcs[kernel_name], funcs, True, {}).fn

    def __call__(self, grid: Sequence[int], args: Sequence, *, num_threads: int | None = 1) -> None:
        # Tiles are far below torch's intra-op parallel grain, so extra threads
        # only add synchronization; on a busy machine they cost 10-20x (measured
        # on the matmul benchmark). Run single-threaded unless asked otherwise.
        prev = torch.get_num_threads()
        if num_threads and num_threads != prev:
            torch.set_num_threads(num_threads)
        try:
            self._launch(grid, args)
        finally:
            if num_threads and num_threads != prev:
                torch.set_num_threads(prev)

    def _launch(self, grid, args):
        fn = self._fn
        grid = tuple(int(g) for g in grid) + (1,) * (3 - len(grid))
        if len(grid) != 3 or min(grid) < 0:
            raise CpuExecutionError(f"kernel '{self.name}': bad grid {grid}")
        if len(args) != len(fn.arg_types):
            raise CpuExecutionError(
                f"kernel '{self.name}' takes {len(fn.arg_types)} arguments "
                f"({', '.join(t.text for t in fn.arg_types)}), got {len(args)}")
        st = LaunchState(self.name)
        env0 = [None] * fn.nslots
        env0[0] = st
        for i, (slot, info, a) in enumerate(zip(fn.arg_slots, fn.arg_types, args)):
            env0[slot] = _bind_arg(i, info, a, self.name)
        run_steps(fn.prologue, env0)
        steps = fn.body.steps
        gx, gy, gz = grid
        xs = [torch.tensor(i, dtype=torch.int32) for i in range(gx)]
        for z in range(gz):
            tz = torch.tensor(z, dtype=torch.int32)
            for y in range(gy):
                ty = torch.tensor(y, dtype=torch.int32)
                for x in range(gx):
                    st.pid = (x, y, z)
                    st.pid_t = (xs[x], ty, tz)
                    run_steps(steps, env0.copy())


_CTX = None
_CACHE: OrderedDict = OrderedDict()
_CACHE_SIZE = 64


def _parse(ttir):
    """A helion._mlir Module of TTIR text. Locations in the text, inline
    `loc(...)` or `#loc` aliases at the end, are MLIR syntax: the parser keeps
    them on the ops (see locations.py) and execution ignores them."""
    if not isinstance(ttir, str):
        return ttir  # already a helion._mlir Module
    global _CTX
    from helion import _mlir as ir

    if _CTX is None:
        _CTX = ir.Context()
    try:
        return _CTX.parse_module(ttir)
    except ir.MLIRError as e:
        raise CpuExecutionError(f"cannot parse the TTIR: {e}") from e


def compile_ttir_for_cpu(ttir, kernel_name: str | None = None) -> CpuKernel:
    """Compiles (and caches, for TTIR text) the CPU plan of a kernel."""
    if not isinstance(ttir, str):
        return CpuKernel(ttir, kernel_name)
    key = (ttir, kernel_name)
    k = _CACHE.get(key)
    if k is None:
        k = CpuKernel(ttir, kernel_name)
        _CACHE[key] = k
        if len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    else:
        _CACHE.move_to_end(key)
    return k


def run_ttir(ttir, grid: tuple[int, int, int], args: list, *, kernel_name: str | None = None,
             num_threads: int | None = 1) -> None:
    """Runs a TTIR kernel (text or helion._mlir Module) on CPU tensors, every program of `grid`.

    `args` follow the tt.func signature: torch CPU tensors for `!tt.ptr<T>`
    parameters (the tensor's storage reinterpreted as T), Python numbers for
    scalars. Raises helion.exc.CpuExecutionError on out-of-bounds accesses and
    unsupported ops. `num_threads` is torch's thread count during the launch
    (restored afterwards); None leaves it alone.
    """
    compile_ttir_for_cpu(ttir, kernel_name)(grid, args, num_threads=num_threads)
