// The per-loop Config knobs as Triton's scf.for attributes, shared by
// helion-lower-tile-loops (tile.for) and helion-lower-grid (the loop over
// tiles of a persistent tile.grid).
#pragma once

#include "passes/Passes.h"

namespace helion {

/// tt.num_stages, tt.disallow_acc_multi_buffer, tt.warp_specialize and
/// tt.flatten on `f` from `loop`'s knobs (unrolling is the caller's: it must
/// wait until the loops inside are lowered).
template <typename Loop>
void setTritonLoopAttrs(Loop loop, mlir::scf::ForOp f) {
  mlir::MLIRContext *ctx = f.getContext();
  if (std::optional<uint64_t> stages = loop.getNumStages())
    f->setAttr("tt.num_stages", mlir::IntegerAttr::get(mlir::IntegerType::get(ctx, 32), *stages));
  if (loop.getDisallowMultiBuffer())
    f->setAttr("tt.disallow_acc_multi_buffer", mlir::UnitAttr::get(ctx));
  if (loop.getWarpSpecialize())
    f->setAttr("tt.warp_specialize", mlir::UnitAttr::get(ctx));
  if (loop.getFlatten())
    f->setAttr("tt.flatten", mlir::UnitAttr::get(ctx));
}

} // namespace helion
