// helion-roll-reductions: turn a persistent reduction dim into a loop over
// chunks of it (Config.reduction_loops = block size).
//
// Before this pass a reduction slot R spans its whole extent E in one tile.
// Every value with an R dim is computed by pure ops (loads included) and ends
// in a "sink": a tile.reduce over the R axis, or a store/atomic. For each sink
// the pass emits a tile.for over chunks of R at the sink's position, re-runs
// the ops the sink needs on each chunk, and
//  - for a store: stores the chunk;
//  - for a reduce: combines chunk after chunk elementwise with the reduce's
//    own combine region (the first chunk is peeled so no identity is needed)
//    and reduces the accumulated chunk once after the loop.
// Afterwards R's block size is the chunk size: the block_size op gets
// `looped_block`, which helion-apply-config binds.
#include "passes/Passes.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/Support/MathExtras.h"

#include <map>

namespace helion {
#define GEN_PASS_DEF_ROLLREDUCTIONS
#include "passes/Passes.h.inc"
} // namespace helion

using namespace mlir;
using namespace helion;
using namespace helion::tile;

namespace {

/// One looped reduction slot of a kernel.
class SlotRoller {
public:
  SlotRoller(BlockSizeOp slotOp, int64_t configIndex, int64_t chunk)
      : slotOp(slotOp), slot(slotOp.getSlot()), configIndex(configIndex), chunk(chunk),
        extent(*slotOp.getExtent()) {}

  LogicalResult run(KernelOp kernel) {
    resolveTileBounds(kernel);
    SmallVector<Operation *> rOps, sinks;
    WalkResult walk = kernel.walk<WalkOrder::PreOrder>([&](Operation *op) {
      if (failed(classify(op, rOps, sinks)))
        return WalkResult::interrupt();
      return WalkResult::advance();
    });
    if (walk.wasInterrupted())
      return failure();
    for (Operation *sink : sinks)
      if (failed(roll(sink)))
        return failure();
    for (Operation *sink : sinks)
      sink->erase();
    for (Operation *op : llvm::reverse(rOps)) {
      if (!op->use_empty())
        return refuse(op, "its value is used where chunks cannot reach");
      op->erase();
    }
    slotOp.setLoopedBlock(chunk);
    return success();
  }

private:
  BlockSizeOp slotOp;
  int64_t slot, configIndex, chunk, extent;
  DenseSet<Value> perChunkValues;

  /// A tile of R means the whole [begin, bound) even when it is looped, so
  /// its begin and end are the make_tile's operands, not the chunk's.
  void resolveTileBounds(KernelOp kernel) {
    SmallVector<Operation *> bounds;
    kernel.walk([&](Operation *op) {
      if (llvm::isa<BeginOp, EndOp>(op) && spansSlot(op->getOperand(0)))
        bounds.push_back(op);
    });
    for (Operation *op : bounds) {
      auto make = op->getOperand(0).getDefiningOp<MakeTileOp>();
      op->replaceAllUsesWith(ValueRange{llvm::isa<BeginOp>(op) ? make.getBegin() : make.getBound()});
      op->erase();
    }
  }

  /// Whether `v` spans slot R: an R-shaped tensor or a tile of R's block size.
  bool spansSlot(Value v) {
    if (auto t = llvm::dyn_cast<RankedTensorType>(v.getType())) {
      for (unsigned i = 0; i < t.getRank(); ++i)
        if (getBlockSlot(t, i) == slot)
          return true;
      return false;
    }
    if (auto make = v.getDefiningOp<MakeTileOp>())
      return make.getBlock() == slotOp.getResult();
    return false;
  }

  int64_t countSlotDims(RankedTensorType t) {
    int64_t n = 0;
    for (unsigned i = 0; i < t.getRank(); ++i)
      n += getBlockSlot(t, i) == slot;
    return n;
  }

  InFlightDiagnostic refuse(Operation *op, StringRef why) {
    return op->emitOpError() << "cannot loop reduction_loops[" << configIndex << "] (the dim of extent "
                             << extent << "): " << why << "; use None (persistent) for it";
  }

  /// Whether `v` changes from chunk to chunk: it spans R, or an op other than
  /// a sink computed it from such a value (e.g. tile.begin of an R tile).
  bool perChunk(Value v) { return spansSlot(v) || perChunkValues.contains(v); }

  /// Sorts ops touching R into recomputable ops and sinks.
  LogicalResult classify(Operation *op, SmallVectorImpl<Operation *> &rOps,
                         SmallVectorImpl<Operation *> &sinks) {
    if (op == slotOp.getOperation())
      return success();
    bool usesR = llvm::any_of(op->getOperands(), [&](Value v) { return perChunk(v); });
    bool makesR = llvm::any_of(op->getResults(), [&](Value v) { return spansSlot(v); });
    if (llvm::is_contained(op->getOperands(), slotOp.getResult()) && !llvm::isa<MakeTileOp>(op))
      return refuse(op, "its block size is used as a value");
    if (!usesR && !makesR)
      return success();
    for (Value v : llvm::concat<Value>(op->getOperands(), op->getResults()))
      if (auto t = llvm::dyn_cast<RankedTensorType>(v.getType()); t && countSlotDims(t) > 1)
        return refuse(op, "a tensor spans it twice");
    if (llvm::isa<RebindOp>(op))
      return refuse(op, "it is mixed with a tensor of static size");
    if (op->getNumRegions() && !llvm::isa<ReduceOp>(op))
      return refuse(op, "it is carried through a loop or region");
    for (Value v : op->getOperands())
      if (perChunk(v) && v.getParentBlock() != op->getBlock())
        return refuse(op, "it is used in a nested loop");
    if (auto reduce = llvm::dyn_cast<ReduceOp>(op)) {
      auto t = llvm::cast<RankedTensorType>(reduce.getOperands()[0].getType());
      if (getBlockSlot(t, reduce.getAxis()) == slot) {
        sinks.push_back(op);
        return success();
      }
    }
    if (llvm::isa<StoreOp, AtomicRMWOp>(op)) {
      if (!llvm::any_of(op->getOperands(), [&](Value v) { return spansSlot(v); }))
        return refuse(op, "it stores a value that depends on the chunk to a place that does not");
      if (!op->use_empty())
        return refuse(op, "the old values of an atomic are used");
      sinks.push_back(op);
      return success();
    }
    if (op->getNumResults() == 0)
      return refuse(op, "a value over it leaves its block");
    if (!isMemoryEffectFree(op) && !llvm::isa<LoadOp>(op))
      return refuse(op, "this op has side effects");
    for (Value v : op->getResults())
      perChunkValues.insert(v);
    rOps.push_back(op);
    return success();
  }

  /// The R ops `sink` needs, in program order.
  LogicalResult sliceOf(Operation *sink, SmallVectorImpl<Operation *> &slice) {
    llvm::SetVector<Operation *> seen;
    SmallVector<Value> work(sink->getOperands());
    while (!work.empty()) {
      Value v = work.pop_back_val();
      if (!perChunk(v))
        continue;
      Operation *def = v.getDefiningOp();
      if (!def)
        return refuse(sink, "it is carried into a loop as an argument");
      if (seen.insert(def))
        work.append(def->operand_begin(), def->operand_end());
    }
    slice.assign(seen.begin(), seen.end());
    llvm::sort(slice, [](Operation *a, Operation *b) { return a->isBeforeInBlock(b); });
    return success();
  }

  /// Clones `slice` into the builder's block; R's tiles start `offset` later
  /// (no offset: the first chunk).
  void cloneChunk(OpBuilder &b, ArrayRef<Operation *> slice, Value loopTile, IRMapping &map) {
    for (Operation *op : slice) {
      auto make = llvm::dyn_cast<MakeTileOp>(op);
      if (!make || !loopTile) {
        b.clone(*op, map);
        continue;
      }
      // The loop tile covers [i, min(i + chunk, extent)): it is the chunk of
      // a make_tile over [0, extent) (and eliminate-masks can see whether
      // chunks divide it); other make_tiles shift by the loop tile's start.
      if (isConstant(make.getBegin(), 0) && isConstant(make.getBound(), extent)) {
        map.map(make.getResult(), loopTile);
        continue;
      }
      Location loc = make.getLoc();
      Value start = b.create<BeginOp>(loc, b.getIndexType(), loopTile);
      Value begin = b.create<arith::AddIOp>(loc, map.lookupOrDefault(make.getBegin()), start);
      map.map(make.getResult(), b.create<MakeTileOp>(loc, make.getType(), begin,
                                                     map.lookupOrDefault(make.getBound()),
                                                     make.getBlock()));
    }
  }

  static bool isConstant(Value v, int64_t expected) {
    APInt value;
    return matchPattern(v, m_ConstantInt(&value)) && value.getSExtValue() == expected;
  }

  static RankedTensorType like(RankedTensorType shape, Type element) {
    return RankedTensorType::get(shape.getShape(), element, shape.getEncoding());
  }

  /// Applies `reduce`'s scalar combine region to tensors lane by lane.
  FailureOr<SmallVector<Value>> combineElementwise(OpBuilder &b, ReduceOp reduce, ValueRange acc,
                                                   ValueRange next) {
    Block &combine = reduce.getCombine().front();
    auto shape = llvm::cast<RankedTensorType>(acc[0].getType());
    IRMapping map;
    unsigned n = acc.size();
    for (unsigned i = 0; i < n; ++i) {
      map.map(combine.getArgument(i), acc[i]);
      map.map(combine.getArgument(n + i), next[i]);
    }
    auto asTensor = [&](Value v) -> Value {
      if (llvm::isa<RankedTensorType>(v.getType()))
        return v;
      return b.create<FullOp>(v.getLoc(), like(shape, v.getType()), v);
    };
    for (Operation &op : combine.without_terminator()) {
      if (op.getNumRegions() || !isMemoryEffectFree(&op) || op.getNumResults() != 1) {
        refuse(reduce, "its combine region has an op that cannot run lane by lane: ")
            << op.getName();
        return failure();
      }
      if (op.getNumOperands() == 0) { // a scalar constant
        b.clone(op, map);
        continue;
      }
      OperationState state(op.getLoc(), op.getName());
      for (Value v : op.getOperands())
        state.addOperands(asTensor(map.lookupOrDefault(v)));
      state.addAttributes(op.getAttrs());
      state.addTypes(like(shape, op.getResult(0).getType()));
      map.map(op.getResult(0), b.create(state)->getResult(0));
    }
    SmallVector<Value> out;
    for (Value v : combine.getTerminator()->getOperands())
      out.push_back(asTensor(map.lookupOrDefault(v)));
    return out;
  }

  /// A load re-run at `sink` must read what it read where it stood: refuse
  /// when a store or atomic to the same tensor lies between the two.
  LogicalResult checkNoWriteBetween(ArrayRef<Operation *> slice, Operation *sink) {
    for (Operation *op : slice) {
      auto load = llvm::dyn_cast<LoadOp>(op);
      if (!load)
        continue;
      for (Operation *it = load->getNextNode(); it && it != sink; it = it->getNextNode()) {
        bool writes = false;
        it->walk([&](Operation *inner) {
          if (auto store = llvm::dyn_cast<StoreOp>(inner))
            writes |= store.getBase() == load.getBase();
          else if (auto atomic = llvm::dyn_cast<AtomicRMWOp>(inner))
            writes |= atomic.getBase() == load.getBase();
        });
        if (writes) {
          InFlightDiagnostic d = refuse(sink, "it re-reads a tensor written after the first read");
          d.attachNote(load.getLoc()) << "the read";
          d.attachNote(it->getLoc()) << "the write";
          return failure();
        }
      }
    }
    return success();
  }

  LogicalResult roll(Operation *sink) {
    SmallVector<Operation *> slice;
    if (failed(sliceOf(sink, slice)) || failed(checkNoWriteBetween(slice, sink)))
      return failure();
    Location loc = sink->getLoc();
    OpBuilder b(sink);
    auto reduce = llvm::dyn_cast<ReduceOp>(sink);

    // A reduce peels the first chunk [0, chunk); a store loops over them all.
    SmallVector<Value> firstChunk;
    if (reduce) {
      IRMapping map;
      cloneChunk(b, slice, Value(), map);
      for (Value v : reduce.getOperands())
        firstChunk.push_back(map.lookupOrDefault(v));
    }
    Value lb = b.create<arith::ConstantIndexOp>(loc, reduce ? chunk : 0);
    Value ub = b.create<arith::ConstantIndexOp>(loc, extent);
    auto loop = b.create<ForOp>(loc, TypeRange(ValueRange(firstChunk)), ValueRange{lb}, ValueRange{ub},
                                ValueRange{slotOp.getResult()}, ValueRange(firstChunk),
                                /*loop_order=*/nullptr, /*num_stages=*/nullptr, /*unroll_factor=*/nullptr,
                                /*disallow_multi_buffer=*/nullptr, /*warp_specialize=*/nullptr, /*flatten=*/nullptr,
                                /*static_range=*/nullptr);
    Block *body = new Block();
    loop.getBody().push_back(body);
    Value loopTile = body->addArgument(TileType::get(b.getContext()), loc);
    SmallVector<Value> acc;
    for (Value v : firstChunk)
      acc.push_back(body->addArgument(v.getType(), loc));

    OpBuilder inner = OpBuilder::atBlockEnd(body);
    IRMapping map;
    cloneChunk(inner, slice, loopTile, map);
    SmallVector<Value> carried;
    if (reduce) {
      SmallVector<Value> next;
      for (Value v : reduce.getOperands())
        next.push_back(map.lookupOrDefault(v));
      FailureOr<SmallVector<Value>> combined = combineElementwise(inner, reduce, acc, next);
      if (failed(combined))
        return failure();
      carried = *combined;
    } else {
      inner.clone(*sink, map);
    }
    inner.create<YieldOp>(loc, carried);

    if (reduce) {
      IRMapping last;
      last.map(reduce.getOperands(), loop.getResults());
      Operation *final = b.clone(*sink, last);
      sink->replaceAllUsesWith(final->getResults());
    }
    return success();
  }
};

struct RollReductionsPass : public helion::impl::RollReductionsBase<RollReductionsPass> {
  using RollReductionsBase::RollReductionsBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    // Reduction slots take Config.reduction_loops in slot order.
    std::map<int64_t, SmallVector<BlockSizeOp>> bySlot;
    module.walk([&](BlockSizeOp op) {
      if (op.getReduction())
        bySlot[op.getSlot()].push_back(op);
    });
    if (reductionLoops.size() > bySlot.size()) {
      module.emitError() << "reduction-loops has " << reductionLoops.size()
                         << " entries but the kernel has " << bySlot.size() << " reduction dims";
      return signalPassFailure();
    }
    size_t index = 0;
    for (auto &[slot, ops] : bySlot) {
      int64_t loop = index < reductionLoops.size() ? reductionLoops[index] : 0;
      ++index;
      for (BlockSizeOp op : ops) {
        std::optional<int64_t> extent = op.getExtent();
        if (loop == 0 || (extent && loop >= *extent))
          continue; // persistent
        if (loop < 1 || !llvm::isPowerOf2_64(loop)) {
          op.emitOpError() << "reduction_loops[" << index - 1 << "] = " << loop
                           << " must be a power of two (or None)";
          return signalPassFailure();
        }
        if (!extent) {
          op.emitOpError("a looped reduction needs a static extent");
          return signalPassFailure();
        }
        if (std::optional<uint64_t> least = op.getMinBlock();
            least && loop < static_cast<int64_t>(*least)) {
          op.emitOpError() << "reduction_loops[" << index - 1 << "] = " << loop << " is below "
                           << *least << ", the minimum for a matmul dimension";
          return signalPassFailure();
        }
        auto kernel = op->getParentOfType<KernelOp>();
        if (!kernel || failed(SlotRoller(op, index - 1, loop).run(kernel)))
          return signalPassFailure();
      }
    }
  }
};

} // namespace
