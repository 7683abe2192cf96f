// helion-lower-grid: program id -> tile mapping, with L2 grouping;
// persistent kernels (Config.pid_type): a fixed number of programs, each
// looping over tiles; or pid_type=xyz: one launch axis per grid dim.
#include "passes/LoopKnobs.h"

#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Matchers.h"

namespace helion {
#define GEN_PASS_DEF_LOWERGRID
#include "passes/Passes.h.inc"
} // namespace helion

using namespace mlir;
using namespace helion::tile;

namespace {

struct LowerGridPass : public helion::impl::LowerGridBase<LowerGridPass> {
  using LowerGridBase::LowerGridBase;

  void runOnOperation() override {
    if (pidType != "flat" && pidType != "xyz" && pidType != "persistent_blocked" &&
        pidType != "persistent_interleaved") {
      getOperation().emitError() << "pid-type '" << pidType
                                 << "' is not flat, xyz, persistent_blocked or persistent_interleaved";
      return signalPassFailure();
    }
    SmallVector<GridOp> grids;
    getOperation().walk([&](GridOp g) { grids.push_back(g); });
    for (GridOp grid : grids)
      if (failed(lower(grid)))
        return signalPassFailure();
  }

  static bool hasLoopKnobs(GridOp grid) {
    return grid.getNumStages() || grid.getUnrollFactor() || grid.getDisallowMultiBuffer() ||
           grid.getWarpSpecialize() || grid.getFlatten();
  }

  LogicalResult lower(GridOp grid) {
    Location loc = grid.getLoc();
    OpBuilder b(grid);
    unsigned n = grid.getNumDims();
    bool persistent = llvm::StringRef(pidType).starts_with("persistent");
    if (!persistent && hasLoopKnobs(grid))
      return grid.emitOpError("the grid loop's knobs (entry 0 of the range_* Config lists) need a "
                              "persistent pid_type");
    if (persistent && numWorkers < 1)
      return grid.emitOpError("a persistent pid_type needs num-workers >= 1");
    auto ceilDiv = [&](Value x, Value y) -> Value {
      return b.create<arith::CeilDivSIOp>(loc, x, y);
    };
    // Number of tiles along each dim.
    SmallVector<Value> counts;
    for (unsigned d = 0; d < n; ++d) {
      Value extent = b.create<arith::SubIOp>(loc, grid.getUpperBounds()[d],
                                             grid.getLowerBounds()[d]);
      counts.push_back(ceilDiv(extent, grid.getSteps()[d]));
    }
    std::optional<int64_t> total = 1;
    for (Value c : counts) {
      std::optional<int64_t> value = staticCount(c);
      total = total && value ? std::optional<int64_t>(*total * *value) : std::nullopt;
    }
    if (pidType == "xyz")
      return lowerXyz(grid, counts);
    Value pid = b.create<ProgramIdOp>(loc, b.getIndexType());
    std::optional<int64_t> launched = total;
    scf::ForOp loop;
    if (persistent) {
      // min(tiles, workers) programs; each runs the body for its tiles:
      // a contiguous range (blocked) or every workers-th tile (interleaved).
      Value tiles = counts[0];
      for (unsigned d = 1; d < n; ++d)
        tiles = b.create<arith::MulIOp>(loc, tiles, counts[d]);
      Value workers = b.create<arith::MinSIOp>(loc, tiles, b.create<arith::ConstantIndexOp>(loc, numWorkers));
      if (total)
        launched = std::min<int64_t>(*total, numWorkers);
      Value one = b.create<arith::ConstantIndexOp>(loc, 1);
      if (pidType == "persistent_interleaved") {
        loop = b.create<scf::ForOp>(loc, pid, tiles, workers);
      } else {
        Value per = ceilDiv(tiles, workers);
        Value first = b.create<arith::MulIOp>(loc, pid, per);
        Value end = b.create<arith::MinSIOp>(loc, b.create<arith::AddIOp>(loc, first, per), tiles);
        loop = b.create<scf::ForOp>(loc, first, end, one);
      }
      helion::setTritonLoopAttrs(grid, loop);
      b.setInsertionPointToStart(loop.getBody());
      pid = loop.getInductionVar(); // the virtual program id
    }
    SmallVector<Value> ids(n);
    int64_t group = 1;
    if (std::optional<uint64_t> g = grid.getL2Grouping())
      group = static_cast<int64_t>(*g);
    unsigned firstFlat = 0;
    Value rest = pid;
    if (group > 1 && n >= 2) {
      // Grouped ordering over dims 0 and 1: `group` consecutive tiles of dim 0
      // for each tile of dim 1, so programs running together reuse rows and
      // columns from L2. Dims >= 2 take the remaining bits of the id.
      Value plane = b.create<arith::MulIOp>(loc, counts[0], counts[1]);
      Value inPlane = b.create<arith::RemSIOp>(loc, pid, plane);
      rest = b.create<arith::DivSIOp>(loc, pid, plane);
      Value g = b.create<arith::ConstantIndexOp>(loc, group);
      Value perGroup = b.create<arith::MulIOp>(loc, g, counts[1]);
      Value groupId = b.create<arith::DivSIOp>(loc, inPlane, perGroup);
      Value first0 = b.create<arith::MulIOp>(loc, groupId, g);
      Value left0 = b.create<arith::SubIOp>(loc, counts[0], first0);
      Value size0 = b.create<arith::MinSIOp>(loc, left0, g);
      Value inGroup = b.create<arith::RemSIOp>(loc, inPlane, perGroup);
      ids[0] = b.create<arith::AddIOp>(loc, first0, b.create<arith::RemSIOp>(loc, inGroup, size0));
      ids[1] = b.create<arith::DivSIOp>(loc, inGroup, size0);
      firstFlat = 2;
    }
    for (unsigned d = firstFlat; d < n; ++d) {
      if (d + 1 == n) {
        ids[d] = rest;
      } else {
        ids[d] = b.create<arith::RemSIOp>(loc, rest, counts[d]);
        rest = b.create<arith::DivSIOp>(loc, rest, counts[d]);
      }
    }
    bindTiles(b, grid, ids);
    // Record the launch size when it is static.
    auto kernel = grid->getParentOfType<KernelOp>();
    if (launched && kernel)
      tileDialect()->getNumProgramsAttrHelper().setAttr(kernel, b.getI64IntegerAttr(*launched));
    std::optional<uint64_t> unroll = grid.getUnrollFactor();
    spliceBody(grid, loop ? loop.getBody()->getTerminator()->getIterator() : Block::iterator(grid));
    if (loop && unroll && failed(loopUnrollByFactor(loop, static_cast<int64_t>(*unroll))))
      return loop.emitOpError("could not be unrolled by the Config's range_unroll_factors[0]");
    return success();
  }

  /// pid_type=xyz: grid dim d is launch axis d, so the id math is gone; the
  /// launch shape must be static and within CUDA's limits.
  LogicalResult lowerXyz(GridOp grid, ArrayRef<Value> counts) {
    unsigned n = grid.getNumDims();
    if (n > 3)
      return grid.emitOpError("pid_type 'xyz' maps grid dims to the 3 launch axes; this grid has ") << n << " dims";
    if (std::optional<uint64_t> g = grid.getL2Grouping(); g && *g > 1)
      return grid.emitOpError("l2_grouping ") << *g << " needs a flat or persistent pid_type (xyz has no linear id to group)";
    SmallVector<int64_t, 3> shape(3, 1);
    const int64_t limits[3] = {(int64_t{1} << 31) - 1, 65535, 65535};
    for (unsigned d = 0; d < n; ++d) {
      std::optional<int64_t> c = staticCount(counts[d]);
      if (!c)
        return grid.emitOpError("pid_type 'xyz' needs a static number of tiles along each grid dim");
      if (*c > limits[d])
        return grid.emitOpError("pid_type 'xyz': grid dim ") << d << " has " << *c
                                                            << " tiles, over the launch axis limit of " << limits[d];
      shape[d] = *c;
    }
    OpBuilder b(grid);
    SmallVector<Value> ids;
    for (unsigned d = 0; d < n; ++d)
      ids.push_back(b.create<ProgramIdOp>(grid.getLoc(), b.getIndexType(), b.getI32IntegerAttr(d)));
    bindTiles(b, grid, ids);
    auto kernel = grid->getParentOfType<KernelOp>();
    if (kernel) {
      tileDialect()->getNumProgramsAttrHelper().setAttr(kernel, b.getI64IntegerAttr(shape[0] * shape[1] * shape[2]));
      tileDialect()->getGridShapeAttrHelper().setAttr(kernel, b.getDenseI64ArrayAttr(shape));
    }
    spliceBody(grid, Block::iterator(grid));
    return success();
  }

  TileDialect *tileDialect() { return getContext().getLoadedDialect<TileDialect>(); }

  /// Replaces the grid's tile arguments with tiles starting at ids[d] * step.
  static void bindTiles(OpBuilder &b, GridOp grid, ArrayRef<Value> ids) {
    Location loc = grid.getLoc();
    Block &body = grid.getBodyBlock();
    for (unsigned d = 0; d < grid.getNumDims(); ++d) {
      Value offset = b.create<arith::MulIOp>(loc, ids[d], grid.getSteps()[d]);
      Value begin = b.create<arith::AddIOp>(loc, grid.getLowerBounds()[d], offset);
      Value tile = b.create<MakeTileOp>(loc, TileType::get(b.getContext()), begin, grid.getUpperBounds()[d],
                                        grid.getSteps()[d]);
      body.getArgument(d).replaceAllUsesWith(tile);
    }
  }

  /// Moves the grid's body before `at` (into the persistent loop, or in place
  /// of the grid) and erases the grid.
  static void spliceBody(GridOp grid, Block::iterator at) {
    Block &body = grid.getBodyBlock();
    body.back().erase(); // tile.yield
    at->getBlock()->getOperations().splice(at, body.getOperations());
    grid.erase();
  }

  /// Evaluates ceil((ub - lb) / step) when all three are constants.
  static std::optional<int64_t> staticCount(Value count) {
    auto div = count.getDefiningOp<arith::CeilDivSIOp>();
    if (!div)
      return std::nullopt;
    auto sub = div.getLhs().getDefiningOp<arith::SubIOp>();
    APInt ub, lb, step;
    if (!sub || !matchPattern(sub.getLhs(), m_ConstantInt(&ub)) ||
        !matchPattern(sub.getRhs(), m_ConstantInt(&lb)) ||
        !matchPattern(div.getRhs(), m_ConstantInt(&step)) || step.getSExtValue() <= 0)
      return std::nullopt;
    int64_t extent = ub.getSExtValue() - lb.getSExtValue();
    int64_t s = step.getSExtValue();
    return extent <= 0 ? 0 : (extent + s - 1) / s;
  }
};

} // namespace
