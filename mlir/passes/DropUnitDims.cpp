// helion-drop-unit-dims: remove tensor dims that a block-size-1 tile puts
// there, so `hl.tile([bh, m], block_size=[1, None])` with bmm/baddbmm on
// [1, M, N] tiles compiles to the same 2-d tensor-core code as the 2-d form.
//
// Triton gives a [1, M, N] tensor a 3-d layout; every 3-d <-> 2-d reshape
// around a dot then converts the layout through shared memory, which made
// the canonical 3-d attention 4.6x slower than the 2-d one.
//
// Analysis: every dim of every tensor value is a node; ops that equate dims
// (elementwise ops, loop-carried values, reduce, dot batch dims, ...) union
// them. A class is dropped when it holds a dim indexed by a unit tile (a
// loop or grid tile of step 1), every member is static 1, and no op needs
// it (a dot's M/N/K, a broadcast that widens it, gathers, unknown ops, or a
// value it would leave 0-d). Rewrite: unit tile indices become scalar
// indices (`tile.begin`), dims vanish from types, axes shift, and reshapes
// or expand_dims that became identities fold.
#include "passes/Passes.h"

#include "llvm/ADT/EquivalenceClasses.h"

namespace helion {
#define GEN_PASS_DEF_DROPUNITDIMS
#include "passes/Passes.h.inc"
} // namespace helion

using namespace mlir;
using namespace helion::tile;

namespace {

bool isConstantOne(Value v) {
  std::optional<int64_t> c = getConstantIntValue(v);
  return c && *c == 1;
}

/// A tile whose block is the constant 1: a grid/for dim of step 1 or a
/// make_tile of block 1. Every lane of it is in bounds.
bool isUnitTile(Value tile) {
  if (!llvm::isa<TileType>(tile.getType()))
    return false;
  if (auto make = tile.getDefiningOp<MakeTileOp>())
    return isConstantOne(make.getBlock());
  auto arg = llvm::dyn_cast<BlockArgument>(tile);
  if (!arg)
    return false;
  Operation *owner = arg.getOwner()->getParentOp();
  unsigned d = arg.getArgNumber();
  if (auto grid = llvm::dyn_cast<GridOp>(owner))
    return d < grid.getNumDims() && isConstantOne(grid.getSteps()[d]);
  if (auto loop = llvm::dyn_cast<ForOp>(owner))
    return d < loop.getNumDims() && isConstantOne(loop.getSteps()[d]);
  return false;
}

class UnitDimAnalysis {
public:
  using Node = std::pair<void *, unsigned>; // (value, dim)

  void run(Operation *root) {
    root->walk([&](Operation *op) {
      for (Region &r : op->getRegions())
        for (Block &b : r)
          for (BlockArgument a : b.getArguments())
            addValue(a);
      for (Value v : op->getResults())
        addValue(v);
      visit(op);
    });
    finish();
    // A value whose every dim would go becomes 0-d: keep its first dim.
    bool changed = true;
    while (changed) {
      changed = false;
      for (Value v : values) {
        auto t = llvm::cast<RankedTensorType>(v.getType());
        if (t.getRank() > 0 && llvm::all_of(llvm::seq<unsigned>(0, t.getRank()),
                                            [&](unsigned d) { return droppable(v, d); })) {
          pin(v, 0);
          changed = true;
        }
      }
    }
  }

  bool droppable(Value v, unsigned d) const {
    Node leader = classes.getLeaderValue(node(v, d));
    return unitOrigin.contains(leader) && !pinned.contains(leader) && !notOne.contains(leader);
  }

  /// Dims of `v` that stay, in order.
  SmallVector<unsigned> kept(Value v) const {
    SmallVector<unsigned> out;
    auto t = llvm::cast<RankedTensorType>(v.getType());
    for (unsigned d = 0; d < t.getRank(); ++d)
      if (!droppable(v, d))
        out.push_back(d);
    return out;
  }

  const SmallVector<Value> &tensorValues() const { return values; }

private:
  static Node node(Value v, unsigned d) { return {v.getAsOpaquePointer(), d}; }

  void addValue(Value v) {
    auto t = llvm::dyn_cast<RankedTensorType>(v.getType());
    if (!t)
      return;
    values.push_back(v);
    for (unsigned d = 0; d < t.getRank(); ++d) {
      classes.insert(node(v, d));
      if (t.isDynamicDim(d) || t.getDimSize(d) != 1)
        notOneNodes.push_back(node(v, d));
    }
  }

  Node leader(Value v, unsigned d) { return classes.getOrInsertLeaderValue(node(v, d)); }

  /// After finish(): keep the class of dim d of v.
  void pin(Value v, unsigned d) {
    pinned.insert(leader(v, d));
  }

  void unite(Value a, unsigned da, Value b, unsigned db) {
    classes.unionSets(node(a, da), node(b, db));
  }

  void pinAll(Value v) {
    if (auto t = llvm::dyn_cast<RankedTensorType>(v.getType()))
      for (unsigned d = 0; d < t.getRank(); ++d)
        pinnedNodes.push_back(node(v, d));
  }

  static unsigned rankOf(Value v) {
    auto t = llvm::dyn_cast<RankedTensorType>(v.getType());
    return t ? t.getRank() : 0;
  }

  void unitePositionwise(Value a, Value b) {
    if (rankOf(a) != rankOf(b)) {
      pinAll(a);
      pinAll(b);
      return;
    }
    for (unsigned d = 0; d < rankOf(a); ++d)
      unite(a, d, b, d);
  }

  /// Result dims of an indexed access: tile indices give one dim each (unit
  /// tiles mark theirs), scalars none, gathers the index tensor's dims.
  void visitAccess(Value shaped, OperandRange indices) {
    unsigned pos = 0;
    for (Value idx : indices) {
      if (llvm::isa<TileType>(idx.getType())) {
        if (isUnitTile(idx))
          unitOriginNodes.push_back(node(shaped, pos));
        ++pos;
      } else if (auto t = llvm::dyn_cast<RankedTensorType>(idx.getType())) {
        pinAll(idx);
        for (unsigned d = 0; d < t.getRank(); ++d)
          pinnedNodes.push_back(node(shaped, pos++));
      }
    }
  }

  void visit(Operation *op) {
    if (auto load = llvm::dyn_cast<LoadOp>(op)) {
      visitAccess(load.getResult(), load.getIndices());
      for (Value extra : {load.getMask(), load.getOther()})
        if (extra && llvm::isa<RankedTensorType>(extra.getType()))
          unitePositionwise(extra, load.getResult());
    } else if (auto store = llvm::dyn_cast<StoreOp>(op)) {
      if (!llvm::isa<RankedTensorType>(store.getValue().getType()))
        return;
      visitAccess(store.getValue(), store.getIndices());
      if (Value mask = store.getMask(); mask && llvm::isa<RankedTensorType>(mask.getType()))
        unitePositionwise(mask, store.getValue());
    } else if (auto dot = llvm::dyn_cast<DotOp>(op)) {
      Value a = dot.getA(), b = dot.getB(), acc = dot.getAcc(), res = dot.getResult();
      unsigned r = rankOf(res);
      for (Value v : {a, b, acc, res})
        for (unsigned d = r - 2; d < r; ++d)
          pinnedNodes.push_back(node(v, d)); // M, N and K stay
      if (r == 3)
        for (Value v : {a, b, acc})
          unite(v, 0, res, 0);
      unite(a, r - 2, res, r - 2);
      unite(acc, r - 2, res, r - 2);
      unite(b, r - 1, res, r - 1);
      unite(acc, r - 1, res, r - 1);
      unite(a, r - 1, b, r - 2);
    } else if (auto reduce = llvm::dyn_cast<ReduceOp>(op)) {
      unsigned axis = reduce.getAxis();
      Value first = reduce.getOperands().front();
      for (Value v : reduce.getOperands())
        unitePositionwise(v, first);
      if (rankOf(first) == 1) {
        pinAll(first);
        return;
      }
      for (Value res : reduce.getResults())
        for (unsigned d = 0, k = 0; d < rankOf(first); ++d)
          if (d != axis)
            unite(first, d, res, k++);
    } else if (auto expand = llvm::dyn_cast<ExpandDimsOp>(op)) {
      unsigned axis = expand.getAxis();
      for (unsigned d = 0; d < rankOf(expand.getSource()); ++d)
        unite(expand.getSource(), d, expand.getResult(), d < axis ? d : d + 1);
    } else if (auto bcast = llvm::dyn_cast<BroadcastOp>(op)) {
      auto src = llvm::cast<RankedTensorType>(bcast.getSource().getType());
      auto res = llvm::cast<RankedTensorType>(bcast.getResult().getType());
      for (unsigned d = 0; d < res.getRank(); ++d) {
        if (src.getDimSize(d) == res.getDimSize(d)) {
          unite(bcast.getSource(), d, bcast.getResult(), d);
        } else { // a widened dim stays on both sides
          pinnedNodes.push_back(node(bcast.getSource(), d));
          pinnedNodes.push_back(node(bcast.getResult(), d));
        }
      }
    } else if (auto perm = llvm::dyn_cast<PermuteOp>(op)) {
      ArrayRef<int64_t> p = perm.getPermutation();
      for (unsigned d = 0; d < p.size(); ++d)
        unite(perm.getSource(), p[d], perm.getResult(), d);
    } else if (auto reshape = llvm::dyn_cast<ReshapeOp>(op)) {
      visitReshape(reshape.getSource(), reshape.getResult());
    } else if (auto rebind = llvm::dyn_cast<RebindOp>(op)) {
      unitePositionwise(rebind.getSource(), rebind.getResult());
    } else if (auto loop = llvm::dyn_cast<ForOp>(op)) {
      Block &body = loop.getBodyBlock();
      Operation *yield = body.getTerminator();
      for (auto [i, init] : llvm::enumerate(loop.getInits())) {
        if (!llvm::isa<RankedTensorType>(init.getType()))
          continue;
        unitePositionwise(init, body.getArgument(loop.getNumDims() + i));
        unitePositionwise(init, loop.getResult(i));
        unitePositionwise(init, yield->getOperand(i));
      }
    } else if (llvm::isa<FullOp, YieldOp, GridOp, BeginOp, EndOp, BlockOp, MakeTileOp, BlockSizeOp, DimOp,
                         ProgramIdOp, KernelOp, ReturnOp>(op)) {
      // No tensor dims to relate (yields are related by their loop).
    } else if (isElementwise(op)) {
      // Elementwise: all tensor operands and results share their dims.
      Value first;
      for (Value v : llvm::concat<Value>(op->getOperands(), op->getResults())) {
        if (!llvm::isa<RankedTensorType>(v.getType()))
          continue;
        if (first)
          unitePositionwise(first, v);
        else
          first = v;
      }
    } else {
      // An op we do not model (scf.if, scf.while, ...) keeps every dim of its
      // operands, results and region arguments.
      for (Value v : llvm::concat<Value>(op->getOperands(), op->getResults()))
        pinAll(v);
      for (Region &region : op->getRegions())
        for (Block &block : region)
          for (BlockArgument arg : block.getArguments())
            pinAll(arg);
    }
  }

  /// A reshape relates the non-unit dims in order; its unit dims are free.
  void visitReshape(Value src, Value res) {
    auto s = llvm::cast<RankedTensorType>(src.getType());
    auto r = llvm::cast<RankedTensorType>(res.getType());
    SmallVector<unsigned> sd, rd;
    for (unsigned d = 0; d < s.getRank(); ++d)
      if (s.getDimSize(d) != 1)
        sd.push_back(d);
    for (unsigned d = 0; d < r.getRank(); ++d)
      if (r.getDimSize(d) != 1)
        rd.push_back(d);
    bool same = sd.size() == rd.size() &&
                llvm::all_of(llvm::seq<size_t>(0, sd.size()),
                             [&](size_t i) { return s.getDimSize(sd[i]) == r.getDimSize(rd[i]); });
    if (!same) {
      pinAll(src);
      pinAll(res);
    }
  }

  static bool isElementwise(Operation *op) {
    Dialect *dialect = op->getDialect();
    return dialect && (dialect->getNamespace() == "arith" || dialect->getNamespace() == "math") &&
           !llvm::isa<arith::ConstantOp>(op);
  }

  /// Resolve every recorded property to its class leader (after all unions).
  void finish() {
    for (Node n : notOneNodes)
      notOne.insert(classes.getOrInsertLeaderValue(n));
    for (Node n : unitOriginNodes)
      unitOrigin.insert(classes.getOrInsertLeaderValue(n));
    for (Node n : pinnedNodes)
      pinned.insert(classes.getOrInsertLeaderValue(n));
  }

private:
  llvm::EquivalenceClasses<Node> classes;
  SmallVector<Value> values;
  // Properties are recorded per node while classes still merge, and
  // resolved to class leaders in finish().
  SmallVector<Node> notOneNodes, unitOriginNodes, pinnedNodes;
  DenseSet<Node> unitOrigin, pinned, notOne;
};

struct DropUnitDims : helion::impl::DropUnitDimsBase<DropUnitDims> {
  void runOnOperation() override {
    getOperation().walk([&](KernelOp kernel) { runOnKernel(kernel); });
  }

  void runOnKernel(KernelOp kernel) {
    // Runs on static types (after apply-config): a `#tile.dims` encoding
    // would have to drop entries too.
    bool symbolic = false;
    kernel.walk([&](Operation *op) {
      for (Value v : op->getResults())
        if (auto t = llvm::dyn_cast<RankedTensorType>(v.getType()); t && t.getEncoding())
          symbolic = true;
    });
    if (symbolic)
      return;
    UnitDimAnalysis analysis;
    analysis.run(kernel);
    // Record the kept dims of every value before any type changes.
    DenseMap<Value, SmallVector<unsigned>> keptDims;
    bool any = false;
    for (Value v : analysis.tensorValues()) {
      SmallVector<unsigned> kept = analysis.kept(v);
      if ((int64_t)kept.size() != llvm::cast<RankedTensorType>(v.getType()).getRank())
        any = true;
      keptDims[v] = std::move(kept);
    }
    if (!any)
      return;
    auto keptOf = [&](Value v) -> ArrayRef<unsigned> { return keptDims.find(v)->second; };
    auto dropped = [&](Value v, unsigned d) { return !llvm::is_contained(keptOf(v), d); };
    auto newIndex = [&](Value v, unsigned d) { // position of kept dim d in the new type
      return (unsigned)llvm::count_if(keptOf(v), [&](unsigned k) { return k < d; });
    };

    // Attribute and operand fixes read the old types, so they come first.
    SmallVector<std::pair<Operation *, Value>> foldToSource;
    kernel.walk([&](Operation *op) {
      if (auto load = llvm::dyn_cast<LoadOp>(op)) {
        scalarizeUnitIndices(op, load.getResult(), load.getIndicesMutable(), dropped);
      } else if (auto store = llvm::dyn_cast<StoreOp>(op)) {
        if (llvm::isa<RankedTensorType>(store.getValue().getType()))
          scalarizeUnitIndices(op, store.getValue(), store.getIndicesMutable(), dropped);
      } else if (auto expand = llvm::dyn_cast<ExpandDimsOp>(op)) {
        unsigned axis = expand.getAxis();
        if (dropped(expand.getResult(), axis))
          foldToSource.push_back({op, expand.getSource()});
        else
          expand.setAxis(newIndex(expand.getResult(), axis));
      } else if (auto reduce = llvm::dyn_cast<ReduceOp>(op)) {
        Value first = reduce.getOperands().front();
        unsigned axis = reduce.getAxis();
        if (dropped(first, axis))
          foldToSource.push_back({op, Value()}); // each result becomes its operand
        else
          reduce.setAxis(newIndex(first, axis));
      } else if (auto perm = llvm::dyn_cast<PermuteOp>(op)) {
        SmallVector<int64_t> p;
        for (unsigned d : keptOf(perm.getResult()))
          p.push_back(newIndex(perm.getSource(), perm.getPermutation()[d]));
        perm.setPermutation(p);
      }
    });
    for (Value v : analysis.tensorValues()) {
      auto t = llvm::cast<RankedTensorType>(v.getType());
      SmallVector<int64_t> shape;
      for (unsigned d : keptOf(v))
        shape.push_back(t.getDimSize(d));
      if (shape.size() != (size_t)t.getRank())
        v.setType(RankedTensorType::get(shape, t.getElementType()));
    }
    for (auto [op, source] : foldToSource) {
      if (source)
        op->getResult(0).replaceAllUsesWith(source);
      else
        for (auto [res, operand] : llvm::zip(op->getResults(), op->getOperands()))
          res.replaceAllUsesWith(operand);
      op->erase();
    }
    // Reshapes that now map a type to itself fold.
    kernel.walk([&](ReshapeOp reshape) {
      if (reshape.getSource().getType() == reshape.getResult().getType()) {
        reshape.getResult().replaceAllUsesWith(reshape.getSource());
        reshape->erase();
      }
    });
  }

  template <typename Dropped>
  static void scalarizeUnitIndices(Operation *op, Value shaped, MutableOperandRange indices, Dropped dropped) {
    OpBuilder b(op);
    unsigned pos = 0;
    for (OpOperand &idx : indices) {
      Value v = idx.get();
      if (auto t = llvm::dyn_cast<RankedTensorType>(v.getType())) {
        pos += t.getRank();
      } else if (llvm::isa<TileType>(v.getType())) {
        if (isUnitTile(v) && dropped(shaped, pos))
          idx.set(BeginOp::create(b, op->getLoc(), b.getIndexType(), v));
        ++pos;
      }
    }
  }
};

} // namespace
