"""Execute Triton TTIR on the CPU with torch tensors.

    run_ttir(ttir, grid, args, kernel_name=None)

runs every program of `grid` (z outermost, x innermost) one after the other;
each program executes the function body vectorized: every TTIR value is a
torch tensor (scalars are 0-d tensors, so integer ops wrap exactly like the
GPU's), pointers are `Ptr(buffer, element offsets)`.

Modules, in the order a launch uses them:

- types: MLIR type text -> shape, kind, torch dtype, bit width.
- launch: parsing, the plan cache, argument binding, the loop over the grid.
- plan: the plan compiler (SSA values -> slots, ops -> closures, the hoisted
  prologue) and the op tables the ops_* modules register in.
- ops_arith, ops_math, ops_tt, ops_memory, ops_reduce, ops_scf: the ops, by
  dialect and concern. The set is what convert-tile-to-triton (and the
  canonicalize/cse after it) emits; the few others are kept because a test of
  this package runs them, each marked with its test.
- memory: pointer arguments as flat storage, bounds checks, gathers,
  scatters, atomics.
- numerics: integer and float helpers with the GPU's exact semantics.
- locations: an op's source location for error messages (the user's
  file:line when the TTIR carries it).
"""
from .launch import CpuKernel, compile_ttir_for_cpu, run_ttir

__all__ = ["run_ttir", "compile_ttir_for_cpu", "CpuKernel"]
