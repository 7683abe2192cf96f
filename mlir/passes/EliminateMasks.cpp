// helion-eliminate-masks: prove which implicit tile bounds masks are needed.
#include "passes/Passes.h"

#include "mlir/IR/Matchers.h"

#include <numeric>
#include <tuple>

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

/// A number every value `v` takes is a multiple of (0 = unknown; an exact
/// zero counts as a multiple of anything). Follows the index arithmetic of
/// tile bounds: a causal loop `0 to tile_m.end step 64` has an upper bound
/// that is a multiple of tile_m's block, so its tiles are full when 64
/// divides that block and the extent.
int64_t knownMultiple(Value v, unsigned depth = 0);

/// The bounds (lb, ub, step) of the loop dim that tile block argument `arg` walks.
std::optional<std::tuple<Value, Value, Value>> loopBoundsOf(BlockArgument arg) {
  Operation *owner = arg.getOwner()->getParentOp();
  unsigned d = arg.getArgNumber();
  if (auto grid = llvm::dyn_cast<GridOp>(owner))
    return std::make_tuple(grid.getLowerBounds()[d], grid.getUpperBounds()[d], grid.getSteps()[d]);
  if (auto loop = llvm::dyn_cast<ForOp>(owner); loop && d < loop.getNumDims())
    return std::make_tuple(loop.getLowerBounds()[d], loop.getUpperBounds()[d], loop.getSteps()[d]);
  return std::nullopt;
}

constexpr int64_t kZero = int64_t(1) << 62; // stands for an exact 0: a multiple of anything

int64_t gcdMultiple(int64_t a, int64_t b) {
  if (a == 0 || b == 0)
    return 0;
  if (a == kZero || b == kZero)
    return a == kZero ? b : a;
  return std::gcd(a, b);
}

int64_t knownMultiple(Value v, unsigned depth) {
  if (depth > 16)
    return 0;
  if (auto c = constantOf(v))
    return *c == 0 ? kZero : std::abs(*c);
  Operation *def = v.getDefiningOp();
  if (!def)
    return 0;
  auto operand = [&](unsigned i) { return knownMultiple(def->getOperand(i), depth + 1); };
  if (llvm::isa<arith::AddIOp, arith::SubIOp, arith::MinSIOp, arith::MinUIOp, arith::MaxSIOp, arith::MaxUIOp>(def))
    return gcdMultiple(operand(0), operand(1));
  if (llvm::isa<arith::MulIOp>(def)) {
    int64_t a = operand(0), b = operand(1);
    if (a == kZero || b == kZero)
      return kZero;
    return (a && b && a < (int64_t(1) << 30) && b < (int64_t(1) << 30)) ? a * b : std::max(a, b);
  }
  if (llvm::isa<arith::IndexCastOp, arith::ExtSIOp, arith::ExtUIOp>(def))
    return operand(0);
  if (llvm::isa<BeginOp, EndOp>(def)) {
    // A tile of `lb to ub step b` begins at lb + i*b and ends at
    // min(begin + b, ub); a make_tile likewise with its begin, bound, block.
    Value tile = def->getOperand(0);
    Value lb, ub, step;
    if (auto arg = llvm::dyn_cast<BlockArgument>(tile)) {
      auto bounds = loopBoundsOf(arg);
      if (!bounds)
        return 0;
      std::tie(lb, ub, step) = *bounds;
    } else if (auto make = tile.getDefiningOp<MakeTileOp>()) {
      lb = make.getBegin(), ub = make.getBound(), step = make.getBlock();
    } else {
      return 0;
    }
    int64_t begin = gcdMultiple(knownMultiple(lb, depth + 1), knownMultiple(step, depth + 1));
    if (llvm::isa<BeginOp>(def))
      return begin;
    return gcdMultiple(begin, knownMultiple(ub, depth + 1));
  }
  return 0;
}

/// True when every tile of `lb to ub step b` is full, i.e. b divides ub - lb.
bool loopTilesAreFull(Value lb, Value ub, Value step) {
  auto s = constantOf(step);
  if (!s || *s <= 0)
    return false;
  auto l = constantOf(lb), u = constantOf(ub);
  if (l && u)
    return (*u - *l) % *s == 0;
  int64_t ml = knownMultiple(lb), mu = knownMultiple(ub);
  return ml && mu && ml % *s == 0 && mu % *s == 0;
}

/// Whether indexing with `tile` may touch positions at or past its bound.
bool tileNeedsMask(Value tile) {
  if (auto arg = llvm::dyn_cast<BlockArgument>(tile)) {
    auto bounds = loopBoundsOf(arg);
    return !bounds || !std::apply(loopTilesAreFull, *bounds);
  }
  if (auto make = tile.getDefiningOp<MakeTileOp>()) {
    auto b = constantOf(make.getBegin()), u = constantOf(make.getBound()),
         s = constantOf(make.getBlock());
    return !(b && u && s && *b + *s <= *u);
  }
  return true;
}

/// Narrows the `bounds_check` flags of a load, store or atomic to the dims
/// whose tiles may run past their bound.
template <typename AccessOp>
void record(AccessOp op) {
  std::optional<ArrayRef<bool>> previous = op.getBoundsCheck();
  SmallVector<bool> checks;
  for (auto [i, index] : llvm::enumerate(op.getIndices()))
    checks.push_back(llvm::isa<TileType>(index.getType()) && tileNeedsMask(index) &&
                     (!previous || (*previous)[i]));
  op.setBoundsCheck(checks);
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
        record(load);
      else if (auto store = llvm::dyn_cast<StoreOp>(op))
        record(store);
      else if (auto atomic = llvm::dyn_cast<AtomicRMWOp>(op))
        record(atomic);
      else if (auto cas = llvm::dyn_cast<AtomicCASOp>(op))
        record(cas);
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
