// helion-legalize-for-triton: the frontend emits target-neutral tile IR; this
// pass rewrites what Triton's tt ops cannot take and records what its
// tensor-core dots need, so no Triton limit leaks into the frontend.
//
//  - tile.dot: every dim of a tt.dot must be at least 16 wide, and K at least
//    16 (32 for 8-bit types; smaller K miscompiles). A block-size slot that
//    reaches a dot dim gets `min_block` (the ConfigSpec and apply-config keep
//    blocks at or above it). A static K below the minimum is widened: each
//    operand is repeated along K and the copies are zeroed, which adds only
//    zero products.
//  - tile.reduce and tile.scan over f16/bf16 values run in f32 (Triton cannot
//    lower every half-precision combine region). The combine region still rounds to the
//    half type at each step, so results are bit-identical. A max/min of values
//    just rounded from f32 reduces the f32 values and rounds the result.
//  - tile.extract_slice (Triton has no register slicing): a one-hot select
//    and a sum over the sliced dim.
#include "passes/Passes.h"

#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace helion {
#define GEN_PASS_DEF_LEGALIZEFORTRITON
#include "passes/Passes.h.inc"
} // namespace helion

using namespace mlir;
using namespace helion::tile;

namespace {

/// A tensor shape with the block-size slot of each dim (-1: static).
struct Dims {
  SmallVector<int64_t> shape, slots;

  static Dims of(Value v) {
    auto t = llvm::cast<RankedTensorType>(v.getType());
    Dims d;
    for (unsigned i = 0; i < t.getRank(); ++i) {
      d.shape.push_back(t.getDimSize(i));
      d.slots.push_back(getBlockSlot(t, i));
    }
    return d;
  }

  void insert(unsigned axis, int64_t size) {
    shape.insert(shape.begin() + axis, size);
    slots.insert(slots.begin() + axis, -1);
  }

  RankedTensorType type(Type element) const {
    Attribute encoding;
    if (llvm::any_of(slots, [](int64_t s) { return s >= 0; }))
      encoding = BlockDimsAttr::get(element.getContext(), slots);
    return RankedTensorType::get(shape, element, encoding);
  }
};

bool isHalf(Type t) { return t.isF16() || t.isBF16(); }

/// Builds the tensor ops of the rewrites at one insertion point.
class Emitter {
public:
  Emitter(Operation *at) : b(at), loc(at->getLoc()) {}

  Value constant(Type element, double value) {
    if (llvm::isa<FloatType>(element))
      return b.create<arith::ConstantOp>(loc, b.getFloatAttr(element, value));
    return b.create<arith::ConstantOp>(loc, b.getIntegerAttr(element, static_cast<int64_t>(value)));
  }

  Value full(Type element, double value, const Dims &dims) {
    return b.create<FullOp>(loc, dims.type(element), constant(element, value));
  }

  Value arange(int64_t start, int64_t end) {
    return b.create<ArangeOp>(loc, RankedTensorType::get({end - start}, b.getI32Type()), start, end);
  }

  Value expandDims(Value x, unsigned axis) {
    Dims d = Dims::of(x);
    d.insert(axis, 1);
    return b.create<ExpandDimsOp>(loc, d.type(elementOf(x)), x, axis);
  }

  Value broadcast(Value x, const Dims &to) { return b.create<BroadcastOp>(loc, to.type(elementOf(x)), x); }

  Value reshape(Value x, const Dims &to) { return b.create<ReshapeOp>(loc, to.type(elementOf(x)), x); }

  /// A tensor `v` of rank k placed at dims [axis, axis + k) of `to`, broadcast
  /// over the others.
  Value place(Value v, unsigned axis, const Dims &to) {
    for (unsigned i = 0; i < axis; ++i)
      v = expandDims(v, 0);
    while (Dims::of(v).shape.size() < to.shape.size())
      v = expandDims(v, Dims::of(v).shape.size());
    return v.getType() == to.type(elementOf(v)) ? v : broadcast(v, to);
  }

  /// Element type conversion: floats extend or truncate, integers extend
  /// (unsigned for i1) or truncate.
  Value cast(Value x, Type to) {
    Type from = elementOf(x);
    if (from == to)
      return x;
    Type result = resultType(x, to);
    if (llvm::isa<FloatType>(from))
      return from.getIntOrFloatBitWidth() < to.getIntOrFloatBitWidth()
                 ? b.create<arith::ExtFOp>(loc, result, x).getResult()
                 : b.create<arith::TruncFOp>(loc, result, x).getResult();
    if (from.getIntOrFloatBitWidth() < to.getIntOrFloatBitWidth())
      return from.isInteger(1) ? b.create<arith::ExtUIOp>(loc, result, x).getResult()
                               : b.create<arith::ExtSIOp>(loc, result, x).getResult();
    return b.create<arith::TruncIOp>(loc, result, x);
  }

  Value select(Value cond, Value a, Value c) { return b.create<arith::SelectOp>(loc, cond, a, c); }

  Value cmpEq(Value a, Value c) { return b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq, a, c); }

  /// The sum of x over `axis` (a scalar when x is 1-d).
  Value sum(Value x, unsigned axis) {
    Type element = elementOf(x);
    Dims d = Dims::of(x);
    d.shape.erase(d.shape.begin() + axis);
    d.slots.erase(d.slots.begin() + axis);
    Type result = d.shape.empty() ? element : Type(d.type(element));
    auto reduce = b.create<ReduceOp>(loc, TypeRange{result}, ValueRange{x}, b.getI64IntegerAttr(axis));
    Block *body = b.createBlock(&reduce.getCombine(), {}, {element, element}, {loc, loc});
    OpBuilder inner = OpBuilder::atBlockEnd(body);
    Value add = llvm::isa<FloatType>(element)
                    ? inner.create<arith::AddFOp>(loc, body->getArgument(0), body->getArgument(1)).getResult()
                    : inner.create<arith::AddIOp>(loc, body->getArgument(0), body->getArgument(1)).getResult();
    inner.create<YieldOp>(loc, ValueRange{add});
    b.setInsertionPointAfter(reduce);
    return reduce.getResult(0);
  }

  static Type elementOf(Value v) { return getElementTypeOrSelf(v.getType()); }

  static Type resultType(Value like, Type element) {
    if (auto t = llvm::dyn_cast<RankedTensorType>(like.getType()))
      return RankedTensorType::get(t.getShape(), element, t.getEncoding());
    return element;
  }

  OpBuilder b;
  Location loc;
};

/// The smallest K a tt.dot takes for operands of `element`.
int64_t dotKMin(Type element) { return element.getIntOrFloatBitWidth() == 8 ? 32 : 16; }

class LegalizeForTriton : public helion::impl::LegalizeForTritonBase<LegalizeForTriton> {
public:
  void runOnOperation() override {
    getOperation().walk([&](KernelOp kernel) {
      slots.clear();
      kernel.walk([&](BlockSizeOp op) { slots[op.getSlot()] = op; });
      SmallVector<Operation *> work;
      kernel.walk([&](Operation *op) {
        if (llvm::isa<DotOp, ReduceOp, ExtractSliceOp>(op))
          work.push_back(op);
      });
      for (Operation *op : work) {
        if (auto dot = llvm::dyn_cast<DotOp>(op))
          legalizeDot(dot);
        else if (auto slice = llvm::dyn_cast<ExtractSliceOp>(op))
          lowerSlice(slice);
      }
      // After the slices: their sums are reduces too.
      SmallVector<Operation *> combiners;
      kernel.walk([&](Operation *op) {
        if (llvm::isa<ReduceOp, ScanOp>(op))
          combiners.push_back(op);
      });
      for (Operation *op : combiners) {
        if (auto reduce = llvm::dyn_cast<ReduceOp>(op))
          upcastHalfCombiner(reduce);
        else
          upcastHalfCombiner(llvm::cast<ScanOp>(op));
      }
    });
  }

private:
  /// A reduction slot over a power-of-two extent is always that wide (it
  /// mixes with static sizes of the extent), so it cannot grow to a minimum.
  std::optional<int64_t> pinnedExtent(int64_t slot) {
    BlockSizeOp op = slots.lookup(slot);
    if (!op || !op.getReduction() || !op.getExtent() || !llvm::isPowerOf2_64(*op.getExtent()))
      return std::nullopt;
    return static_cast<int64_t>(*op.getExtent());
  }

  void requireBlock(Value v, unsigned dim, int64_t least) {
    int64_t slot = getBlockSlot(llvm::cast<RankedTensorType>(v.getType()), dim);
    BlockSizeOp op = slots.lookup(slot);
    if (slot < 0 || !op)
      return;
    if (std::optional<int64_t> pinned = pinnedExtent(slot); pinned && *pinned < least)
      return;
    if (std::optional<uint64_t> old = op.getMinBlock(); old && static_cast<int64_t>(*old) >= least)
      return;
    op.setMinBlock(least);
  }

  void legalizeDot(DotOp dot) {
    Value a = dot.getA(), b = dot.getB();
    unsigned rank = llvm::cast<RankedTensorType>(a.getType()).getRank();
    unsigned kA = rank - 1, kB = rank - 2;
    int64_t kmin = dotKMin(Emitter::elementOf(a));
    Emitter e(dot);
    // K over a small pinned reduction slot (`x[t, :]` of 8 columns): its
    // static extent, so that it can be widened below.
    int64_t kSlot = getBlockSlot(llvm::cast<RankedTensorType>(a.getType()), kA);
    if (std::optional<int64_t> pinned = pinnedExtent(kSlot); kSlot >= 0 && pinned && *pinned < kmin) {
      auto staticK = [&](Value x, unsigned axis) -> Value {
        Dims d = Dims::of(x);
        d.shape[axis] = *pinned;
        d.slots[axis] = -1;
        return e.b.create<RebindOp>(e.loc, d.type(Emitter::elementOf(x)), x);
      };
      a = staticK(a, kA);
      b = staticK(b, kB);
    }
    int64_t k = Dims::of(a).shape[kA];
    if (!ShapedType::isDynamic(k) && k < kmin && kmin % k == 0) {
      a = widenK(e, a, kA, k, kmin);
      b = widenK(e, b, kB, k, kmin);
    }
    dot.getAMutable().set(a);
    dot.getBMutable().set(b);
    requireBlock(a, rank - 2, 16);
    requireBlock(a, kA, kmin);
    requireBlock(b, rank - 1, 16);
  }

  /// x with dim `axis` (static, k wide) widened to kmin: repeated kmin / k
  /// times, and every copy past the first zeroed.
  Value widenK(Emitter &e, Value x, unsigned axis, int64_t k, int64_t kmin) {
    Dims d = Dims::of(x);
    Dims wide = d;
    wide.insert(axis, kmin / k);
    Value repeated = e.broadcast(e.expandDims(x, axis), wide);
    Dims flat = d;
    flat.shape[axis] = kmin;
    Value reshaped = e.reshape(repeated, flat);
    Value lanes = e.arange(0, kmin);
    Value bound = e.full(e.b.getI32Type(), static_cast<double>(k), Dims::of(lanes));
    Value first = e.b.create<arith::CmpIOp>(e.loc, arith::CmpIPredicate::slt, lanes, bound);
    Type element = Emitter::elementOf(x);
    return e.select(e.place(first, axis, flat), reshaped, e.full(element, 0.0, flat));
  }

  /// Elements [offset, offset + n) of dim `axis`: out[.., j, ..] is the sum
  /// over i of x[.., i, ..] where i == offset + j (one term is non-zero).
  void lowerSlice(ExtractSliceOp op) {
    Emitter e(op);
    Value x = op.getSource();
    Type element = Emitter::elementOf(x);
    // Sums of one non-zero term are exact in f32 and i8; -0.0 keeps signed zeros.
    Type compute = isHalf(element) ? e.b.getF32Type() : element.isInteger(1) ? e.b.getI8Type() : element;
    double zero = llvm::isa<FloatType>(compute) ? -0.0 : 0.0;
    Value xc = e.cast(x, compute);
    unsigned axis = op.getAxis();
    int64_t size = Dims::of(x).shape[axis], offset = op.getOffset();
    int64_t n = llvm::cast<RankedTensorType>(op.getType()).getDimSize(axis);
    Value lanes = e.arange(0, size);
    Value result;
    if (n == 1) {
      Value pick = e.cmpEq(lanes, e.full(e.b.getI32Type(), static_cast<double>(offset), Dims::of(lanes)));
      Dims d = Dims::of(xc);
      Value picked = e.select(e.place(pick, axis, d), xc, e.full(compute, zero, d));
      Value sum = e.sum(picked, axis);
      Dims one;
      one.shape = {1};
      one.slots = {-1};
      result = d.shape.size() == 1 ? e.b.create<FullOp>(e.loc, one.type(compute), sum).getResult()
                                   : e.expandDims(sum, axis);
    } else {
      // pick[j, i] = (i == offset + j), placed at dims (axis, axis + 1).
      Dims square;
      square.shape = {n, size};
      square.slots = {-1, -1};
      Value want = e.arange(offset, offset + n);
      Value pick = e.cmpEq(e.broadcast(e.expandDims(lanes, 0), square), e.broadcast(e.expandDims(want, 1), square));
      Dims wide = Dims::of(xc);
      wide.insert(axis, n);
      Value spread = e.broadcast(e.expandDims(xc, axis), wide);
      result = e.sum(e.select(e.place(pick, axis, wide), spread, e.full(compute, zero, wide)), axis + 1);
    }
    op.replaceAllUsesWith(e.cast(result, element));
    op.erase();
  }

  /// A reduce or scan with f16/bf16 operands: the same op over f32 operands,
  /// its combine region rounding to the half type on entry and widening on exit.
  /// A max/min reduce of rounded f32 values (truncf(x)) reduces x itself:
  /// rounding is monotone, so the rounded extreme is the extreme of the
  /// rounded values, and the elementwise widening is saved.
  template <typename Op>
  void upcastHalfCombiner(Op reduce) {
    if (llvm::none_of(reduce.getOperands(), [](Value v) { return isHalf(Emitter::elementOf(v)); }))
      return;
    Emitter e(reduce);
    Type f32 = e.b.getF32Type();
    bool extreme = std::is_same_v<Op, ReduceOp> && reduce->getNumOperands() == 1 &&
                   picksOnly(reduce.getCombine().front());
    SmallVector<Value> operands;
    for (Value v : reduce.getOperands()) {
      Value unrounded = extreme ? beforeRounding(v, e) : Value();
      operands.push_back(unrounded ? unrounded : isHalf(Emitter::elementOf(v)) ? e.cast(v, f32) : v);
    }
    SmallVector<Type> results;
    for (Value r : reduce.getResults())
      results.push_back(isHalf(getElementTypeOrSelf(r.getType())) ? Emitter::resultType(r, f32) : r.getType());
    auto wide = e.b.create<Op>(e.loc, results, operands, reduce->getAttrDictionary().getValue());
    Block &old = reduce.getCombine().front();
    SmallVector<Type> argTypes;
    SmallVector<Location> argLocs;
    for (BlockArgument arg : old.getArguments()) {
      argTypes.push_back(isHalf(arg.getType()) ? f32 : arg.getType());
      argLocs.push_back(arg.getLoc());
    }
    Block *body = e.b.createBlock(&wide.getCombine(), {}, argTypes, argLocs);
    Emitter inner(reduce);
    inner.b.setInsertionPointToEnd(body);
    IRMapping map;
    for (auto [oldArg, newArg] : llvm::zip(old.getArguments(), body->getArguments()))
      map.map(oldArg, inner.cast(newArg, oldArg.getType()));
    for (Operation &op : old.without_terminator())
      inner.b.clone(op, map);
    SmallVector<Value> yielded;
    for (auto [v, t] : llvm::zip(old.getTerminator()->getOperands(), argTypes))
      yielded.push_back(inner.cast(map.lookupOrDefault(v), t));
    inner.b.create<YieldOp>(e.loc, yielded);
    dropExactRoundTrips(*body);
    e.b.setInsertionPointAfter(wide);
    for (auto [oldResult, newResult] : llvm::zip(reduce.getResults(), wide.getResults()))
      oldResult.replaceAllUsesWith(e.cast(newResult, getElementTypeOrSelf(oldResult.getType())));
    reduce.erase();
  }

  /// Whether `op` picks one of its operands (a float max or min).
  static bool picks(Operation *op) {
    return llvm::isa_and_nonnull<arith::MaximumFOp, arith::MinimumFOp, arith::MaxNumFOp, arith::MinNumFOp>(op);
  }

  /// Whether a combine region only picks one of its arguments (max/min,
  /// through roundings): it then commutes with any monotone rounding.
  static bool picksOnly(Block &body) {
    return llvm::all_of(body.without_terminator(), [](Operation &op) {
      return picks(&op) || llvm::isa<arith::ExtFOp, arith::TruncFOp>(op);
    });
  }

  /// The f32 values that half tensor `v` rounds, where it is truncf(x) of
  /// f32 x, possibly under selects between such values and constants (a
  /// masked score tile); null otherwise. Emits the f32 selects at `e`.
  static Value beforeRounding(Value v, Emitter &e) {
    Operation *def = v.getDefiningOp();
    if (auto trunc = llvm::dyn_cast_or_null<arith::TruncFOp>(def))
      return Emitter::elementOf(trunc.getIn()).isF32() ? trunc.getIn() : Value();
    if (auto full = llvm::dyn_cast_or_null<FullOp>(def)) {
      auto cst = full->getOperand(0).getDefiningOp<arith::ConstantOp>();
      auto value = cst ? llvm::dyn_cast<FloatAttr>(cst.getValue()) : FloatAttr();
      return value ? e.full(e.b.getF32Type(), value.getValueAsDouble(), Dims::of(v)) : Value();
    }
    if (auto select = llvm::dyn_cast_or_null<arith::SelectOp>(def)) {
      Value a = beforeRounding(select.getTrueValue(), e);
      Value b = a ? beforeRounding(select.getFalseValue(), e) : Value();
      return b ? e.select(select.getCondition(), a, b) : Value();
    }
    return Value();
  }

  /// Whether f32 `v` always holds a half-representable value: a widened
  /// block argument (every step yields a rounded value), a widened half, or
  /// a max/min/select of such values (they pick, never compute).
  static bool holdsHalf(Value v, Block &body) {
    if (auto arg = llvm::dyn_cast<BlockArgument>(v))
      return arg.getOwner() == &body && v.getType().isF32();
    Operation *def = v.getDefiningOp();
    if (auto ext = llvm::dyn_cast_or_null<arith::ExtFOp>(def))
      return isHalf(ext.getIn().getType());
    if (picks(def))
      return holdsHalf(def->getOperand(0), body) && holdsHalf(def->getOperand(1), body);
    if (auto select = llvm::dyn_cast_or_null<arith::SelectOp>(def))
      return holdsHalf(select.getTrueValue(), body) && holdsHalf(select.getFalseValue(), body);
    return false;
  }

  /// extf(truncf(x)) is x when x holds a half value: max/min regions then
  /// run without conversions.
  static void dropExactRoundTrips(Block &body) {
    SmallVector<arith::ExtFOp> exts(body.getOps<arith::ExtFOp>());
    for (arith::ExtFOp ext : exts)
      if (auto trunc = ext.getIn().getDefiningOp<arith::TruncFOp>();
          trunc && trunc.getIn().getType() == ext.getType() && holdsHalf(trunc.getIn(), body))
        ext.replaceAllUsesWith(trunc.getIn());
    SmallVector<Operation *> ops;
    for (Operation &op : body.without_terminator())
      ops.push_back(&op);
    for (Operation *op : llvm::reverse(ops))
      if (isOpTriviallyDead(op))
        op->erase();
  }

  DenseMap<int64_t, BlockSizeOp> slots;
};

} // namespace
