// helion-reorder-loops: materialize `loop_order` by permuting loop dims.
#include "passes/Passes.h"

namespace helion {
#define GEN_PASS_DEF_REORDERLOOPS
#include "passes/Passes.h.inc"
} // namespace helion

using namespace mlir;
using namespace helion::tile;

namespace {

/// Permutes the first `order.size()` block arguments of `body` and the three
/// bound operand groups of the loop so that new dim i is old dim order[i].
void permuteDims(Block &body, ArrayRef<int64_t> order, MutableOperandRange lbs,
                 MutableOperandRange ubs, MutableOperandRange steps) {
  auto permute = [&](MutableOperandRange range) {
    OperandRange current = range;
    SmallVector<Value> old(current.begin(), current.end());
    SmallVector<Value> permuted;
    for (int64_t d : order)
      permuted.push_back(old[d]);
    range.assign(permuted);
  };
  permute(lbs);
  permute(ubs);
  permute(steps);
  unsigned n = order.size();
  SmallVector<BlockArgument> oldArgs(body.getArguments().take_front(n));
  for (unsigned i = 0; i < n; ++i) {
    BlockArgument old = oldArgs[order[i]];
    BlockArgument fresh = body.insertArgument(i, old.getType(), old.getLoc());
    old.replaceAllUsesWith(fresh);
  }
  body.eraseArguments(n, n);
}

struct ReorderLoopsPass : public helion::impl::ReorderLoopsBase<ReorderLoopsPass> {
  void runOnOperation() override {
    // The verifiers guarantee each loop_order is a permutation of its loop's dims.
    auto reorder = [](auto loop) {
      std::optional<ArrayRef<int64_t>> order = loop.getLoopOrder();
      if (!order)
        return;
      permuteDims(loop.getBodyBlock(), *order, loop.getLowerBoundsMutable(),
                  loop.getUpperBoundsMutable(), loop.getStepsMutable());
      loop.removeLoopOrderAttr();
    };
    getOperation().walk([&](Operation *op) {
      if (auto grid = llvm::dyn_cast<GridOp>(op))
        reorder(grid);
      else if (auto loop = llvm::dyn_cast<ForOp>(op))
        reorder(loop);
    });
  }
};

} // namespace
