// helion-lower-grid: program id -> tile mapping, with L2 grouping.
#include "passes/Passes.h"

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
  void runOnOperation() override {
    SmallVector<GridOp> grids;
    getOperation().walk([&](GridOp g) { grids.push_back(g); });
    for (GridOp grid : grids)
      lower(grid);
  }

  void lower(GridOp grid) {
    Location loc = grid.getLoc();
    OpBuilder b(grid);
    unsigned n = grid.getNumDims();
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
    Value pid = b.create<ProgramIdOp>(loc, b.getIndexType());
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
    Block &body = grid.getBodyBlock();
    for (unsigned d = 0; d < n; ++d) {
      Value offset = b.create<arith::MulIOp>(loc, ids[d], grid.getSteps()[d]);
      Value begin = b.create<arith::AddIOp>(loc, grid.getLowerBounds()[d], offset);
      Value tile = b.create<MakeTileOp>(loc, TileType::get(b.getContext()), begin, grid.getUpperBounds()[d],
                                        grid.getSteps()[d]);
      body.getArgument(d).replaceAllUsesWith(tile);
    }
    // Record the launch size when it is static.
    int64_t total = 1;
    bool isStatic = true;
    for (Value c : counts) {
      std::optional<int64_t> value = staticCount(c);
      if (!value) {
        isStatic = false;
        break;
      }
      total *= *value;
    }
    auto kernel = grid->getParentOfType<KernelOp>();
    if (isStatic && kernel)
      kernel->getContext()->getLoadedDialect<TileDialect>()->getNumProgramsAttrHelper().setAttr(
          kernel, b.getI64IntegerAttr(total));
    // Splice the body in place of the grid.
    body.back().erase(); // tile.yield
    grid->getBlock()->getOperations().splice(Block::iterator(grid), body.getOperations());
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
