// helion-lower-tile-loops: tile.for -> nested scf.for with make_tile bodies.
#include "passes/Passes.h"

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
    for (ForOp loop : loops)
      lower(loop);
  }

  void lower(ForOp loop) {
    Location loc = loop.getLoc();
    OpBuilder b(loop);
    unsigned n = loop.getNumDims();
    bool carries = !loop.getInits().empty();
    SmallVector<Value> iterVals(loop.getInits());
    SmallVector<Value> ivs;
    ValueRange outerResults;
    for (unsigned d = 0; d < n; ++d) {
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
    }
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
