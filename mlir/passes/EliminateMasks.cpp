// helion-eliminate-masks: prove which implicit tile bounds masks are needed.
#include "passes/Passes.h"

#include "mlir/IR/Matchers.h"

namespace helion {
#define GEN_PASS_DEF_ELIMINATEMASKS
#include "passes/Passes.h.inc"
} // namespace helion

using namespace mlir;
using namespace helion::tile;

namespace {

std::optional<int64_t> constantOf(Value v) {
  APInt value;
  if (v && matchPattern(v, m_ConstantInt(&value)))
    return value.getSExtValue();
  return std::nullopt;
}

/// True when every tile of `lb to ub step b` is full, i.e. b divides ub - lb.
bool loopTilesAreFull(Value lb, Value ub, Value step) {
  auto l = constantOf(lb), u = constantOf(ub), s = constantOf(step);
  return l && u && s && *s > 0 && (*u - *l) % *s == 0;
}

/// Whether indexing with `tile` may touch positions at or past its bound.
bool tileNeedsMask(Value tile) {
  if (auto arg = llvm::dyn_cast<BlockArgument>(tile)) {
    Operation *owner = arg.getOwner()->getParentOp();
    unsigned d = arg.getArgNumber();
    if (auto grid = llvm::dyn_cast<GridOp>(owner))
      return !loopTilesAreFull(grid.getLowerBounds()[d], grid.getUpperBounds()[d],
                               grid.getSteps()[d]);
    if (auto loop = llvm::dyn_cast<ForOp>(owner))
      return !loopTilesAreFull(loop.getLowerBounds()[d], loop.getUpperBounds()[d],
                               loop.getSteps()[d]);
    return true;
  }
  if (auto make = tile.getDefiningOp<MakeTileOp>()) {
    auto b = constantOf(make.getBegin()), u = constantOf(make.getBound()),
         s = constantOf(make.getBlock());
    return !(b && u && s && *b + *s <= *u);
  }
  return true;
}

void record(Operation *op, ValueRange indices) {
  auto previous = op->getAttrOfType<DenseBoolArrayAttr>("bounds_check");
  SmallVector<bool> checks;
  for (auto [i, index] : llvm::enumerate(indices))
    checks.push_back(llvm::isa<TileType>(index.getType()) && tileNeedsMask(index) &&
                     (!previous || previous.asArrayRef()[i]));
  op->setAttr("bounds_check", DenseBoolArrayAttr::get(op->getContext(), checks));
}

struct EliminateMasksPass : public helion::impl::EliminateMasksBase<EliminateMasksPass> {
  void runOnOperation() override {
    SmallVector<MaskOp> fullMasks;
    getOperation().walk([&](Operation *op) {
      if (auto mask = llvm::dyn_cast<MaskOp>(op)) {
        if (!tileNeedsMask(mask.getTile()) && mask.getType().hasStaticShape())
          fullMasks.push_back(mask);
        return;
      }
      if (auto load = llvm::dyn_cast<LoadOp>(op))
        record(op, load.getIndices());
      else if (auto store = llvm::dyn_cast<StoreOp>(op))
        record(op, store.getIndices());
      else if (auto atomic = llvm::dyn_cast<AtomicRMWOp>(op))
        record(op, atomic.getIndices());
    });
    // A tile that is always full has every lane valid.
    for (MaskOp mask : fullMasks) {
      OpBuilder b(mask);
      auto attr = DenseElementsAttr::get(mask.getType(), true);
      mask.getResult().replaceAllUsesWith(b.create<arith::ConstantOp>(mask.getLoc(), attr));
      mask.erase();
    }
  }
};

} // namespace
