// helion-lower-tile-loops: tile.for -> nested scf.for with make_tile bodies.
#include "passes/LoopKnobs.h"

#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/IR/Builders.h"

namespace helion {
#define GEN_PASS_DEF_LOWERTILELOOPS
#include "passes/Passes.h.inc"
} // namespace helion

using namespace mlir;
using namespace helion::tile;

namespace {

struct LowerTileLoopsPass : public helion::impl::LowerTileLoopsBase<LowerTileLoopsPass> {
  void runOnOperation() override {
    SmallVector<ForOp> loops;
    getOperation().walk([&](ForOp loop) { loops.push_back(loop); }); // inner first
    SmallVector<std::pair<scf::ForOp, int64_t>> unrolls; // 0 = fully
    for (ForOp loop : loops)
      lower(loop, unrolls);
    // Unroll last: the loops inside are already scf.for.
    for (auto [f, factor] : unrolls) {
      LogicalResult ok = factor ? LogicalResult(loopUnrollByFactor(f, factor)) : loopUnrollFull(f);
      if (failed(ok)) {
        f.emitOpError() << (factor ? "could not be unrolled by the Config's range_unroll_factors"
                                   : "static_ranges needs a static trip count");
        return signalPassFailure();
      }
    }
  }

  /// The Config's loop knobs as Triton's scf.for attributes on the innermost
  /// loop of a tile.for (the one that holds the body).
  static void applyKnobs(ForOp loop, scf::ForOp f, SmallVector<std::pair<scf::ForOp, int64_t>> &unrolls) {
    helion::setTritonLoopAttrs(loop, f);
    if (std::optional<uint64_t> unroll = loop.getUnrollFactor())
      unrolls.push_back({f, static_cast<int64_t>(*unroll)});
    if (loop.getStaticRange())
      unrolls.push_back({f, 0});
  }

  void lower(ForOp loop, SmallVector<std::pair<scf::ForOp, int64_t>> &unrolls) {
    Location loc = loop.getLoc();
    OpBuilder b(loop);
    unsigned n = loop.getNumDims();
    bool carries = !loop.getInits().empty();
    SmallVector<Value> iterVals(loop.getInits());
    SmallVector<Value> ivs;
    ValueRange outerResults;
    scf::ForOp innermost;
    bool flat = loop.getFlattened() && n > 1;
    if (flat) {
      // Config.flatten_loops: one loop over every combination of tiles, the
      // last dim varying fastest (the order of the nest it replaces).
      SmallVector<Value> counts;
      Value total = b.create<arith::ConstantIndexOp>(loc, 1);
      for (unsigned d = 0; d < n; ++d) {
        Value extent = b.create<arith::SubIOp>(loc, loop.getUpperBounds()[d], loop.getLowerBounds()[d]);
        counts.push_back(b.create<arith::CeilDivSIOp>(loc, extent, loop.getSteps()[d]));
        total = b.create<arith::MulIOp>(loc, total, counts.back());
      }
      Value zero = b.create<arith::ConstantIndexOp>(loc, 0), one = b.create<arith::ConstantIndexOp>(loc, 1);
      innermost = b.create<scf::ForOp>(loc, zero, total, one, iterVals);
      outerResults = innermost.getResults();
      Block *body = innermost.getBody();
      if (carries)
        b.setInsertionPointToEnd(body);
      else
        b.setInsertionPoint(body->getTerminator());
      iterVals.assign(innermost.getRegionIterArgs().begin(), innermost.getRegionIterArgs().end());
      ivs.resize(n);
      Value rest = innermost.getInductionVar();
      for (int d = n - 1; d >= 0; --d) {
        Value idx = d ? b.create<arith::RemSIOp>(loc, rest, counts[d]).getResult() : rest;
        if (d)
          rest = b.create<arith::DivSIOp>(loc, rest, counts[d]);
        ivs[d] = b.create<arith::AddIOp>(loc, loop.getLowerBounds()[d],
                                         b.create<arith::MulIOp>(loc, idx, loop.getSteps()[d]));
      }
    }
    for (unsigned d = 0; d < n && !flat; ++d) {
      auto f = b.create<scf::ForOp>(loc, loop.getLowerBounds()[d], loop.getUpperBounds()[d],
                                    loop.getSteps()[d], iterVals);
      if (d == 0)
        outerResults = f.getResults();
      else if (carries)
        b.create<scf::YieldOp>(loc, f.getResults()); // end of the enclosing body
      Block *body = f.getBody();
      if (carries)
        b.setInsertionPointToEnd(body);
      else
        b.setInsertionPoint(body->getTerminator());
      iterVals.assign(f.getRegionIterArgs().begin(), f.getRegionIterArgs().end());
      ivs.push_back(f.getInductionVar());
      innermost = f;
    }
    applyKnobs(loop, innermost, unrolls);
    Block &old = loop.getBodyBlock();
    for (unsigned d = 0; d < n; ++d) {
      Value tile = b.create<MakeTileOp>(loc, TileType::get(b.getContext()), ivs[d], loop.getUpperBounds()[d],
                                        loop.getSteps()[d]);
      old.getArgument(d).replaceAllUsesWith(tile);
    }
    for (auto [i, v] : llvm::enumerate(iterVals))
      old.getArgument(n + i).replaceAllUsesWith(v);
    auto yield = llvm::cast<YieldOp>(old.back());
    if (carries) {
      OpBuilder yb(yield);
      yb.create<scf::YieldOp>(yield.getLoc(), yield.getValues());
    }
    yield.erase();
    Block *inner = b.getInsertionBlock();
    inner->getOperations().splice(b.getInsertionPoint(), old.getOperations());
    loop.replaceAllUsesWith(outerResults);
    loop.erase();
  }
};

} // namespace
