// helion-apply-config: bind the numbers of a Config into the tile IR.
#include "passes/Passes.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/MathExtras.h"

namespace helion {
#define GEN_PASS_DEF_APPLYCONFIG
#include "passes/Passes.h.inc"
} // namespace helion

using namespace mlir;
using namespace helion;
using namespace helion::tile;

namespace {

struct ApplyConfigPass : public helion::impl::ApplyConfigBase<ApplyConfigPass> {
  using ApplyConfigBase::ApplyConfigBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    DenseMap<int64_t, int64_t> slotValues;
    // Loop knobs first: roll-reductions' loops are told apart by their
    // reduction block-size step, which bindBlockSizes replaces.
    if (failed(recordLoopKnobs(module)) || failed(bindBlockSizes(module, slotValues)) ||
        failed(staticizeTypes(module, slotValues)) ||
        failed(recordLoopOrders(module)) || failed(recordFlattenedLoops(module)) ||
        failed(recordL2Groupings(module)))
      signalPassFailure();
  }

  /// Block ids are global; tile slots take Config.block_sizes in id order and
  /// reduction slots are persistent unless helion-roll-reductions looped them.
  LogicalResult bindBlockSizes(ModuleOp module, DenseMap<int64_t, int64_t> &values) {
    SmallVector<BlockSizeOp> ops;
    module.walk([&](BlockSizeOp op) { ops.push_back(op); });
    std::map<int64_t, bool> slots; // slot -> is reduction
    for (BlockSizeOp op : ops) {
      auto [it, inserted] = slots.insert({op.getSlot(), op.getReduction()});
      if (!inserted && it->second != op.getReduction())
        return op.emitOpError() << "slot " << op.getSlot()
                                << " is used both as a tile and a reduction slot";
    }
    DenseMap<int64_t, int64_t> configIndex;
    int64_t numTile = 0, numReduction = 0;
    for (auto [slot, reduction] : slots)
      configIndex[slot] = reduction ? numReduction++ : numTile++;
    if (static_cast<int64_t>(blockSizes.size()) != numTile) {
      module.emitError() << "the kernel has " << numTile
                         << " tile block sizes but the Config gives "
                         << blockSizes.size() << " (block_sizes)";
      return failure();
    }
    for (BlockSizeOp op : ops) {
      int64_t slot = op.getSlot();
      int64_t idx = configIndex[slot];
      int64_t value;
      if (!op.getReduction()) {
        value = blockSizes[idx];
        if (value < 1 || !llvm::isPowerOf2_64(value))
          return op.emitOpError() << "block_sizes[" << idx << "] = " << value
                                  << " must be a power of two";
        if (std::optional<uint64_t> least = op.getMinBlock(); least && value < static_cast<int64_t>(*least))
          return op.emitOpError() << "block_sizes[" << idx << "] = " << value << " is below " << *least
                                  << ", the minimum for a matmul dimension";
      } else if (std::optional<uint64_t> looped = op.getLoopedBlock()) {
        value = static_cast<int64_t>(*looped); // set by helion-roll-reductions
      } else {
        std::optional<int64_t> extent = op.getExtent();
        if (!extent)
          return op.emitOpError("a persistent reduction needs a static extent");
        value = static_cast<int64_t>(llvm::PowerOf2Ceil(std::max<int64_t>(*extent, 1)));
        if (std::optional<uint64_t> least = op.getMinBlock()) // a dot operand
          value = std::max<int64_t>(value, static_cast<int64_t>(*least));
      }
      values[slot] = value;
      OpBuilder b(op);
      Value c = b.create<arith::ConstantIndexOp>(op.getLoc(), value);
      op.getResult().replaceAllUsesWith(c);
      op.erase();
    }
    return success();
  }

  LogicalResult staticizeTypes(ModuleOp module, const DenseMap<int64_t, int64_t> &values) {
    auto convert = [&](Operation *op, Type t) -> FailureOr<Type> {
      auto tensor = llvm::dyn_cast<RankedTensorType>(t);
      if (!tensor || !llvm::isa_and_nonnull<BlockDimsAttr>(tensor.getEncoding()))
        return t;
      SmallVector<int64_t> shape(tensor.getShape());
      for (unsigned i = 0; i < shape.size(); ++i) {
        if (!tensor.isDynamicDim(i))
          continue;
        auto it = values.find(getBlockSlot(tensor, i));
        if (it == values.end())
          return op->emitOpError() << "type " << t << " names block-size slot "
                                   << getBlockSlot(tensor, i)
                                   << " that no tile.block_size defines";
        shape[i] = it->second;
      }
      return Type(RankedTensorType::get(shape, tensor.getElementType()));
    };
    WalkResult result = module.walk([&](Operation *op) {
      for (OpResult r : op->getResults()) {
        FailureOr<Type> t = convert(op, r.getType());
        if (failed(t))
          return WalkResult::interrupt();
        r.setType(*t);
      }
      for (Region &region : op->getRegions())
        for (Block &block : region)
          for (BlockArgument a : block.getArguments()) {
            FailureOr<Type> t = convert(op, a.getType());
            if (failed(t))
              return WalkResult::interrupt();
            a.setType(*t);
          }
      return WalkResult::advance();
    });
    return failure(result.wasInterrupted());
  }

  LogicalResult recordLoopOrders(ModuleOp module) {
    if (loopOrders.empty())
      return success();
    size_t next = 0;
    WalkResult result = module.walk<WalkOrder::PreOrder>([&](Operation *op) {
      unsigned n = 0;
      auto grid = llvm::dyn_cast<GridOp>(op);
      auto loop = llvm::dyn_cast<ForOp>(op);
      if (grid)
        n = grid.getNumDims();
      else if (loop)
        n = loop.getNumDims();
      if (n < 2)
        return WalkResult::advance();
      if (next + n > loopOrders.size()) {
        op->emitOpError("loop-orders has no permutation for this loop");
        return WalkResult::interrupt();
      }
      SmallVector<int64_t> order(loopOrders.begin() + next, loopOrders.begin() + next + n);
      next += n;
      SmallVector<int64_t> sorted(order);
      llvm::sort(sorted);
      for (unsigned i = 0; i < n; ++i)
        if (sorted[i] != i) {
          op->emitOpError("loop order is not a permutation of the loop's dims");
          return WalkResult::interrupt();
        }
      if (grid)
        grid.setLoopOrder(order);
      else
        loop.setLoopOrder(order);
      return WalkResult::advance();
    });
    if (result.wasInterrupted())
      return failure();
    if (next != loopOrders.size())
      return module.emitError() << "loop-orders has " << loopOrders.size()
                                << " entries; the multi-dim loops use " << next;
    return success();
  }

  /// Config.flatten_loops: one entry per multi-dim loop in program order (as
  /// loop-orders). A tile.for whose entry is 1 is lowered as one loop; the
  /// grid always maps to one program-id axis, so its entry must be 1.
  LogicalResult recordFlattenedLoops(ModuleOp module) {
    if (flattenLoops.empty())
      return success();
    size_t next = 0;
    WalkResult result = module.walk<WalkOrder::PreOrder>([&](Operation *op) {
      auto grid = llvm::dyn_cast<GridOp>(op);
      auto loop = llvm::dyn_cast<ForOp>(op);
      unsigned n = grid ? grid.getNumDims() : loop ? loop.getNumDims() : 0;
      if (n < 2)
        return WalkResult::advance();
      if (next >= flattenLoops.size()) {
        op->emitOpError("flatten-loops has no entry for this loop");
        return WalkResult::interrupt();
      }
      int64_t flat = flattenLoops[next++];
      if (flat != 0 && flat != 1) {
        op->emitOpError() << "flatten-loops entry " << flat << " is not 0 or 1";
        return WalkResult::interrupt();
      }
      if (grid && !flat) {
        op->emitOpError("the grid is always one program-id axis: its flatten-loops entry must be 1");
        return WalkResult::interrupt();
      }
      if (loop && flat)
        loop.setFlattened(true);
      return WalkResult::advance();
    });
    if (result.wasInterrupted())
      return failure();
    if (next != flattenLoops.size())
      return module.emitError() << "flatten-loops has " << flattenLoops.size()
                                << " entries; the kernel has " << next << " multi-dim loops";
    return success();
  }

  /// The per-loop Config knobs: entry 0 is the grid loop (recorded on
  /// tile.grid; helion-lower-grid honours them for persistent pid_types and
  /// refuses them otherwise), then each user tile.for in program order
  /// (roll-reductions' chunk loops are not user loops). Each list may be
  /// empty (all defaults).
  LogicalResult recordLoopKnobs(ModuleOp module) {
    SmallVector<ForOp> loops;
    module.walk<WalkOrder::PreOrder>([&](ForOp loop) {
      auto step = loop.getSteps()[0].getDefiningOp<BlockSizeOp>();
      if (!(step && step.getReduction()))
        loops.push_back(loop);
    });
    std::pair<const ListOption<int64_t> &, const char *> knobs[] = {
        {rangeNumStages, "range-num-stages"},         {rangeUnrollFactors, "range-unroll-factors"},
        {rangeMultiBuffers, "range-multi-buffers"},   {rangeWarpSpecializes, "range-warp-specializes"},
        {rangeFlattens, "range-flattens"},            {staticRanges, "static-ranges"}};
    for (auto [values, name] : knobs)
      if (!values.empty() && values.size() != loops.size() + 1) {
        module.emitError() << name << " has " << values.size() << " entries; the kernel has "
                           << loops.size() + 1 << " loops (the grid, then each hl.tile loop)";
        return failure();
      }
    if (!staticRanges.empty() && staticRanges[0] == 1) {
      module.emitError("static-ranges[0]: the grid loop cannot be unrolled fully");
      return failure();
    }
    auto at = [](const ListOption<int64_t> &v, size_t i, int64_t dflt) { return v.empty() ? dflt : v[i]; };
    WalkResult grids = module.walk([&](GridOp grid) {
      return WalkResult(setKnobs(grid, [&](const ListOption<int64_t> &v, int64_t dflt) { return at(v, 0, dflt); }));
    });
    if (grids.wasInterrupted())
      return failure();
    for (auto [i, loop] : llvm::enumerate(loops)) {
      auto knob = [&, i = i](const ListOption<int64_t> &v, int64_t dflt) { return at(v, i + 1, dflt); };
      if (failed(setKnobs(loop, knob)))
        return failure();
      if (knob(staticRanges, 0) == 1) {
        if (loop.getUnrollFactor())
          return loop.emitOpError("static-ranges (full unroll) and range-unroll-factors both set for this loop");
        loop.setStaticRange(true);
      }
    }
    return success();
  }

  /// The knobs tile.grid and tile.for share, from `knob(option, default)`.
  template <typename Loop, typename Knob>
  LogicalResult setKnobs(Loop loop, Knob knob) {
    int64_t stages = knob(rangeNumStages, 0), unroll = knob(rangeUnrollFactors, 0);
    if (stages < 0 || unroll < 0)
      return loop.emitOpError() << "range-num-stages and range-unroll-factors must be >= 0";
    if (stages > 0)
      loop.setNumStages(stages);
    if (unroll > 1)
      loop.setUnrollFactor(unroll);
    if (knob(rangeMultiBuffers, -1) == 0)
      loop.setDisallowMultiBuffer(true);
    if (knob(rangeWarpSpecializes, -1) == 1)
      loop.setWarpSpecialize(true);
    if (knob(rangeFlattens, -1) == 1)
      loop.setFlatten(true);
    return success();
  }

  LogicalResult recordL2Groupings(ModuleOp module) {
    size_t next = 0;
    WalkResult result = module.walk([&](GridOp grid) {
      if (next >= l2Groupings.size())
        return WalkResult::advance();
      int64_t g = l2Groupings[next++];
      if (g < 1) {
        grid.emitOpError() << "l2 grouping must be >= 1, got " << g;
        return WalkResult::interrupt();
      }
      if (g > 1 && grid.getNumDims() >= 2)
        grid.setL2Grouping(g);
      return WalkResult::advance();
    });
    return failure(result.wasInterrupted());
  }
};

} // namespace
