// convert-tile-to-triton: a configured, grid-lowered tile kernel -> TTIR.
//
// Triton's dialects are not linked into Helion: TTIR is built from
// unregistered `tt.*` operations and opaque `!tt.ptr<T>` types, printed in
// generic form, and parsed by Triton. arith/math/scf ops are shared.
#include "conversion/TileToTriton/TileToTriton.h"

#include "dialects/TileOps/TileDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/TypeSwitch.h"

#include <limits>
#include <map>

namespace helion {
#define GEN_PASS_DEF_CONVERTTILETOTRITON
#include "conversion/TileToTriton/TileToTriton.h.inc"
} // namespace helion

using namespace mlir;
using namespace helion::tile;

namespace {

enum class AtomicOp : int32_t { And = 1, Or = 2, Xor = 3, Add = 4, FAdd = 5, Max = 6, Min = 7, UMax = 8, UMin = 9, Xchg = 10 };
// Triton's MemSemantic and EvictionPolicy enum values.
constexpr int32_t kSemRelaxed = 1, kSemAcquire = 2, kSemRelease = 3, kSemAcqRel = 4;
constexpr int32_t kEvictNormal = 1, kEvictFirst = 2, kEvictLast = 3;
constexpr int32_t kScopeGpu = 1;

/// Triton's MemSemantic for a tile atomic's `sem` (acq_rel by default, as Triton's).
int32_t semValue(std::optional<StringRef> sem) {
  return llvm::StringSwitch<int32_t>(sem.value_or("acq_rel"))
      .Case("relaxed", kSemRelaxed)
      .Case("acquire", kSemAcquire)
      .Case("release", kSemRelease)
      .Default(kSemAcqRel);
}

/// What a !tile.tile is once lowered: begin and bound as integers, block static.
struct TileInfo {
  Value begin;
  Value bound;
  int64_t block;
};

class Converter {
public:
  Converter(MLIRContext *ctx, unsigned indexBits) : ctx(ctx), b(ctx), indexBits(indexBits) {}

  LogicalResult convert(KernelOp kernel);

private:
  MLIRContext *ctx;
  OpBuilder b;
  unsigned indexBits;
  IRMapping map;
  DenseMap<Value, TileInfo> tiles;
  DenseMap<Value, MemRefType> memrefOf; // converted pointer arg -> its memref type
  DenseSet<Value> alignedArgs;            // converted pointer args with 16-byte aligned data
  Block *entry = nullptr;                 // the tt.func's entry block (descriptors are made there)
  std::map<std::pair<void *, SmallVector<int64_t>>, Value> descriptors; // (base, block) -> descriptor
  SmallVector<std::string> fallbacks;     // block accesses that fell back to pointers, and why

  Type indexType() { return b.getIntegerType(indexBits); }

  Type ptrType(Type elt) {
    std::string s;
    llvm::raw_string_ostream os(s);
    os << "ptr<" << elt << ">";
    return OpaqueType::get(StringAttr::get(ctx, "tt"), s);
  }

  Type convertType(Type t) {
    if (t.isIndex())
      return indexType();
    if (auto m = llvm::dyn_cast<MemRefType>(t)) // bool tensors are bytes (Triton's backend aborts on i1 pointers)
      return ptrType(m.getElementType().isInteger(1) ? b.getI8Type() : m.getElementType());
    if (auto r = llvm::dyn_cast<RankedTensorType>(t)) {
      Type elt = r.getElementType().isIndex() ? indexType() : r.getElementType();
      return RankedTensorType::get(r.getShape(), elt);
    }
    return t;
  }

  Operation *tt(Location loc, StringRef name, ValueRange operands, TypeRange results,
                ArrayRef<NamedAttribute> attrs = {}, unsigned regions = 0) {
    OperationState st(loc, name);
    st.addOperands(operands);
    st.addTypes(results);
    st.addAttributes(attrs);
    for (unsigned i = 0; i < regions; ++i)
      st.addRegion();
    return b.create(st);
  }
  NamedAttribute attr(StringRef name, Attribute a) { return b.getNamedAttr(name, a); }
  IntegerAttr i32(int64_t v) { return b.getI32IntegerAttr(v); }

  Value constInt(Location loc, int64_t v, Type t) {
    if (auto r = llvm::dyn_cast<RankedTensorType>(t))
      return b.create<arith::ConstantOp>(loc, DenseElementsAttr::get(r, b.getIntegerAttr(r.getElementType(), v)));
    return b.create<arith::ConstantOp>(loc, b.getIntegerAttr(t, v));
  }

  Value splat(Location loc, Value scalar, ArrayRef<int64_t> shape) {
    auto t = RankedTensorType::get(shape, scalar.getType());
    if (APInt v; matchPattern(scalar, m_ConstantInt(&v)))
      return b.create<arith::ConstantOp>(loc, DenseElementsAttr::get(t, b.getIntegerAttr(scalar.getType(), v)));
    if (APFloat v(0.0); matchPattern(scalar, m_ConstantFloat(&v)))
      return b.create<arith::ConstantOp>(loc, DenseElementsAttr::get(t, b.getFloatAttr(scalar.getType(), v)));
    return tt(loc, "tt.splat", scalar, t)->getResult(0);
  }

  /// Bool data in memory is one byte per element: i1 values widen to i8
  /// before stores and narrow (!= 0) after loads.
  Type asBytes(Type t, bool isBool) {
    if (!isBool)
      return t;
    if (auto r = llvm::dyn_cast<RankedTensorType>(t))
      return RankedTensorType::get(r.getShape(), b.getI8Type());
    return b.getI8Type();
  }
  Value toBytes(Location loc, Value v, bool isBool) {
    return isBool ? b.create<arith::ExtUIOp>(loc, asBytes(v.getType(), true), v).getResult() : v;
  }
  Value fromBytes(Location loc, Value v, bool isBool) {
    if (!isBool)
      return v;
    Value zero = constInt(loc, 0, v.getType());
    return b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::ne, v, zero);
  }

  /// Integer cast between widths (sign-extending).
  Value castInt(Location loc, Value v, Type to) {
    Type from = v.getType();
    auto width = [](Type t) { return getElementTypeOrSelf(t).getIntOrFloatBitWidth(); };
    if (from == to)
      return v;
    if (width(from) < width(to))
      return b.create<arith::ExtSIOp>(loc, to, v);
    return b.create<arith::TruncIOp>(loc, to, v);
  }

  /// Places `v` (shape G) at dims [pos, pos + rank(G)) of a rank-R tensor and
  /// broadcasts it to `shape`.
  Value place(Location loc, Value v, unsigned pos, ArrayRef<int64_t> shape) {
    auto t = llvm::cast<RankedTensorType>(v.getType());
    SmallVector<int64_t> cur(t.getShape());
    for (unsigned i = 0; i < pos; ++i) {
      cur.insert(cur.begin(), 1);
      v = tt(loc, "tt.expand_dims", v, RankedTensorType::get(cur, t.getElementType()),
             {attr("axis", i32(0))})->getResult(0);
    }
    while (cur.size() < shape.size()) {
      int64_t axis = cur.size();
      cur.push_back(1);
      v = tt(loc, "tt.expand_dims", v, RankedTensorType::get(cur, t.getElementType()),
             {attr("axis", i32(axis))})->getResult(0);
    }
    if (ArrayRef<int64_t>(cur) != shape)
      v = tt(loc, "tt.broadcast", v, RankedTensorType::get(shape, t.getElementType()))->getResult(0);
    return v;
  }

  Value tileIndices(Location loc, const TileInfo &tile, Type eltType) {
    auto rangeType = RankedTensorType::get({tile.block}, b.getI32Type());
    Value range = tt(loc, "tt.make_range", {}, rangeType,
                     {attr("start", i32(0)), attr("end", i32(tile.block))})->getResult(0);
    auto t = RankedTensorType::get({tile.block}, eltType);
    range = castInt(loc, range, t);
    Value begin = castInt(loc, tile.begin, eltType);
    return b.create<arith::AddIOp>(loc, splat(loc, begin, {tile.block}), range);
  }

  FailureOr<TileInfo> tileOf(Operation *user, Value tile) {
    auto it = tiles.find(tile);
    if (it == tiles.end())
      return user->emitOpError("uses a tile that is not a tile.make_tile; run helion-lower-grid and helion-lower-tile-loops first");
    return it->second;
  }

  struct Access {
    Value ptr;
    Value mask;
  };
  FailureOr<Access> buildAccess(Operation *op, Value base, ValueRange indices, Type data,
                                Value userMask, std::optional<ArrayRef<bool>> boundsCheck);

  /// Float atomic max/min, which GPUs lack, as integer atomics on the bits:
  /// non-negative floats order as signed ints (max/min there), negative ones
  /// in reverse as unsigned ints (umin/umax); each lane takes one of the two.
  LogicalResult convertFloatMinMax(AtomicRMWOp o, const Access &a) {
    Location loc = o.getLoc();
    Type elt = getElementTypeOrSelf(o.getValue().getType());
    Type intElt = b.getIntegerType(elt.getIntOrFloatBitWidth());
    auto shaped = [&](Type e, Value like) -> Type {
      if (auto r = llvm::dyn_cast<RankedTensorType>(like.getType()))
        return RankedTensorType::get(r.getShape(), e);
      return e;
    };
    Value value = map.lookup(o.getValue());
    Value bits = tt(loc, "tt.bitcast", {value}, shaped(intElt, value))->getResult(0);
    Value ptr = tt(loc, "tt.bitcast", {a.ptr}, shaped(ptrType(intElt), a.ptr))->getResult(0);
    Value zero = b.create<arith::ConstantOp>(loc, b.getZeroAttr(bits.getType()));
    Value nonNeg = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::sge, bits, zero);
    Value neg = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::slt, bits, zero);
    if (a.mask) {
      nonNeg = b.create<arith::AndIOp>(loc, nonNeg, a.mask);
      neg = b.create<arith::AndIOp>(loc, neg, a.mask);
    }
    bool isMax = o.getKind() == "max";
    auto atomic = [&](AtomicOp rmw, Value mask) {
      return tt(loc, "tt.atomic_rmw", {ptr, bits, mask}, bits.getType(),
                {attr("atomic_rmw_op", i32(static_cast<int32_t>(rmw))), attr("sem", i32(semValue(o.getSem()))),
                 attr("scope", i32(kScopeGpu))})->getResult(0);
    };
    Value fromNonNeg = atomic(isMax ? AtomicOp::Max : AtomicOp::Min, nonNeg);
    Value fromNeg = atomic(isMax ? AtomicOp::UMin : AtomicOp::UMax, neg);
    Value old = b.create<arith::SelectOp>(loc, nonNeg, fromNonNeg, fromNeg);
    map.map(o.getResult(), tt(loc, "tt.bitcast", {old}, convertType(o.getType()))->getResult(0));
    return success();
  }

  /// A load or store addressed as one block (Config.indexing block_ptr or
  /// tensor_descriptor): the block shape (1 at scalar indices), the i32
  /// offsets, and the dims that need Triton's bounds check.
  struct BlockAccess {
    SmallVector<int64_t> block;
    SmallVector<Value> offsets;
    SmallVector<int32_t> checked;
    MemRefType memref;
    Value base;
  };
  std::optional<BlockAccess> planBlockAccess(Operation *op, StringRef kind, Value base, ValueRange indices,
                                             Type data, Value userMask, std::optional<ArrayRef<bool>> boundsCheck);
  SmallVector<Value> blockOperands(Location loc, const BlockAccess &a, Type sizeType);
  Type blockType(StringRef kind, const BlockAccess &a);
  Value descriptorFor(Location loc, const BlockAccess &a);
  Value blockPointerFor(Location loc, const BlockAccess &a);
  Value toBlockShape(Location loc, Value v, ArrayRef<int64_t> shape);
  void fallBack(Operation *op, StringRef kind, const Twine &why);

  LogicalResult convertOp(Operation *op);
  LogicalResult convertRegion(Region &from, Region &to);
  LogicalResult convertCombiner(Operation *op, StringRef name, ArrayRef<NamedAttribute> attrs);
  LogicalResult convertGeneric(Operation *op);
};

FailureOr<Converter::Access>
Converter::buildAccess(Operation *op, Value base, ValueRange indices, Type data,
                       Value userMask, std::optional<ArrayRef<bool>> boundsCheck) {
  Location loc = op->getLoc();
  auto memref = llvm::cast<MemRefType>(base.getType());
  SmallVector<int64_t> strides;
  int64_t offset;
  if (failed(memref.getStridesAndOffset(strides, offset)) || offset != 0 ||
      llvm::any_of(strides, ShapedType::isDynamic) || !memref.hasStaticShape())
    return op->emitOpError("needs static sizes and strides (static_shapes=True)");
  // Widest element offset reachable decides 32- or 64-bit offsets.
  int64_t maxOffset = 0;
  for (auto [size, stride] : llvm::zip(memref.getShape(), strides))
    maxOffset += std::max<int64_t>(size - 1, 0) * std::abs(stride);
  Type offType = maxOffset >= (int64_t(1) << 31) - 1 ? b.getI64Type() : b.getI32Type();

  auto dataTensor = llvm::dyn_cast<RankedTensorType>(data);
  SmallVector<int64_t> shape;
  if (dataTensor)
    shape.assign(dataTensor.getShape().begin(), dataTensor.getShape().end());
  Value scalarOff, tensorOff, mask;
  unsigned pos = 0;
  auto addTensor = [&](Value &acc, Value v, bool isAnd) {
    if (!acc)
      acc = v;
    else if (isAnd)
      acc = b.create<arith::AndIOp>(loc, acc, v);
    else
      acc = b.create<arith::AddIOp>(loc, acc, v);
  };
  for (auto [i, index] : llvm::enumerate(indices)) {
    int64_t stride = strides[i];
    Type t = index.getType();
    if (llvm::isa<TileType>(t)) {
      FailureOr<TileInfo> tile = tileOf(op, index);
      if (failed(tile))
        return failure();
      if (tile->block != shape[pos])
        return op->emitOpError() << "tile of block " << tile->block
                                 << " indexes a dim of size " << shape[pos];
      auto vecType = RankedTensorType::get({tile->block}, offType);
      Value idx = tileIndices(loc, *tile, offType);
      if (!boundsCheck || (*boundsCheck)[i]) {
        Value bound = splat(loc, castInt(loc, tile->bound, offType), {tile->block});
        Value inBounds = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::slt, idx, bound);
        addTensor(mask, place(loc, inBounds, pos, shape), true);
      }
      if (stride != 1)
        idx = b.create<arith::MulIOp>(loc, idx, constInt(loc, stride, vecType));
      addTensor(tensorOff, place(loc, idx, pos, shape), false);
      ++pos;
    } else if (auto gather = llvm::dyn_cast<RankedTensorType>(t)) {
      auto offTensor = RankedTensorType::get(gather.getShape(), offType);
      Value idx = castInt(loc, map.lookup(index), offTensor);
      if (stride != 1)
        idx = b.create<arith::MulIOp>(loc, idx, constInt(loc, stride, offTensor));
      addTensor(tensorOff, place(loc, idx, pos, shape), false);
      pos += gather.getRank();
    } else {
      Value v = castInt(loc, map.lookup(index), offType);
      if (stride != 1)
        v = b.create<arith::MulIOp>(loc, v, constInt(loc, stride, offType));
      addTensor(scalarOff, v, false);
    }
  }
  Value ptr = map.lookup(base);
  if (scalarOff)
    ptr = tt(loc, "tt.addptr", {ptr, scalarOff}, ptr.getType())->getResult(0);
  if (dataTensor) {
    auto ptrTensor = RankedTensorType::get(shape, ptr.getType());
    ptr = tt(loc, "tt.splat", ptr, ptrTensor)->getResult(0);
    if (tensorOff)
      ptr = tt(loc, "tt.addptr", {ptr, tensorOff}, ptrTensor)->getResult(0);
  }
  if (userMask) {
    Value m = map.lookup(userMask);
    if (dataTensor && !llvm::isa<RankedTensorType>(m.getType()))
      m = splat(loc, m, shape);
    addTensor(mask, m, true);
  }
  return Access{ptr, mask};
}

void Converter::fallBack(Operation *op, StringRef kind, const Twine &why) {
  std::string where;
  llvm::raw_string_ostream os(where);
  if (auto file = llvm::dyn_cast<FileLineColLoc>(op->getLoc()))
    os << file.getFilename().getValue() << ":" << file.getLine() << ": ";
  os << op->getName().getStringRef().drop_front(5) << " uses pointers, not " << kind << ": " << why;
  fallbacks.push_back(where);
}

std::optional<Converter::BlockAccess>
Converter::planBlockAccess(Operation *op, StringRef kind, Value base, ValueRange indices, Type data,
                           Value userMask, std::optional<ArrayRef<bool>> boundsCheck) {
  Location loc = op->getLoc();
  auto memref = llvm::cast<MemRefType>(base.getType());
  auto refuse = [&](const Twine &why) -> std::optional<BlockAccess> {
    fallBack(op, kind, why);
    return std::nullopt;
  };
  if (!llvm::isa<RankedTensorType>(data))
    return std::nullopt; // one element: there is no block to address (not worth a warning)
  if (userMask)
    return refuse("it has a mask of its own");
  if (memref.getElementType().isInteger(1))
    return refuse("bool tensors have no block accesses");
  BlockAccess a{{}, {}, {}, memref, map.lookup(base)};
  for (auto [i, index] : llvm::enumerate(indices)) {
    Type t = index.getType();
    if (llvm::isa<RankedTensorType>(t))
      return refuse("it gathers with an index tensor");
    if (llvm::isa<TileType>(t)) {
      FailureOr<TileInfo> tile = tileOf(op, index);
      if (failed(tile))
        return std::nullopt;
      if (!boundsCheck || (*boundsCheck)[i]) {
        // Block accesses check bounds against the tensor's edge only.
        APInt bound;
        if (!matchPattern(tile->bound, m_ConstantInt(&bound)) || bound.getSExtValue() != memref.getDimSize(i))
          return refuse("a tile of it ends before the tensor does");
        a.checked.push_back(static_cast<int32_t>(i));
      }
      a.block.push_back(tile->block);
      a.offsets.push_back(castInt(loc, tile->begin, b.getI32Type()));
    } else {
      a.block.push_back(1);
      a.offsets.push_back(castInt(loc, map.lookup(index), b.getI32Type()));
    }
  }
  if (kind != "tensor_descriptor")
    return a;
  // TMA's limits (Hopper): rank <= 5, contiguous last dim, 16-byte aligned
  // base and strides, boxes of at most 256 per dim and 16 bytes per row.
  SmallVector<int64_t> strides;
  int64_t offset;
  (void)memref.getStridesAndOffset(strides, offset);
  int64_t bytes = memref.getElementTypeBitWidth() / 8;
  if (memref.getRank() > 5)
    return refuse("TMA takes at most 5 dims");
  if (strides.back() != 1)
    return refuse("its last dim is not contiguous");
  for (int64_t stride : ArrayRef<int64_t>(strides).drop_back())
    if (stride * bytes % 16)
      return refuse("a stride is not a multiple of 16 bytes");
  if (!alignedArgs.contains(a.base))
    return refuse("the tensor's data is not 16-byte aligned");
  if (llvm::any_of(a.block, [](int64_t d) { return d > 256; }))
    return refuse("a block dim is over 256 (TMA's box limit)");
  if (a.block.back() * bytes % 16)
    return refuse("a block row is not a multiple of 16 bytes");
  // Seen on an H200 with Triton 3.6: flash attention loading q, k and v by
  // TMA with 128 x 128 bf16 key/value boxes in its loop gave wrong numbers
  // (any one of them alone, or 64-row boxes, were right). Until that is
  // understood, loads of boxes this large inside loops use pointers.
  int64_t rows = 1;
  for (int64_t d : ArrayRef<int64_t>(a.block).drop_back())
    rows *= d;
  if (llvm::isa<LoadOp>(op) && op->getParentOfType<scf::ForOp>() && rows >= 128 && a.block.back() * bytes >= 256)
    return refuse("a box of 128+ rows of 256+ bytes loaded in a loop (Triton miscompiled such loads on an H200)");
  return a;
}

/// One descriptor per (tensor, block shape), made at the kernel's entry so
/// loops and persistent programs reuse it.
Value Converter::descriptorFor(Location loc, const BlockAccess &a) {
  SmallVector<int64_t> key(a.block);
  auto it = descriptors.find({a.base.getAsOpaquePointer(), key});
  if (it != descriptors.end())
    return it->second;
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(entry);
  Value desc = tt(loc, "tt.make_tensor_descriptor", blockOperands(loc, a, b.getI32Type()), blockType("tensordesc", a))
                   ->getResult(0);
  descriptors[{a.base.getAsOpaquePointer(), key}] = desc;
  return desc;
}

/// The base pointer, the tensor's sizes (as `sizeType`) and its i64 strides:
/// what block pointers and descriptors are made from.
SmallVector<Value> Converter::blockOperands(Location loc, const BlockAccess &a, Type sizeType) {
  SmallVector<int64_t> strides;
  int64_t offset;
  (void)a.memref.getStridesAndOffset(strides, offset);
  SmallVector<Value> operands{a.base};
  for (int64_t size : a.memref.getShape())
    operands.push_back(constInt(loc, size, sizeType));
  for (int64_t stride : strides)
    operands.push_back(constInt(loc, stride, b.getI64Type()));
  return operands;
}

/// `!tt.<kind><tensor<block x element>>`: a block pointer (kind "ptr") or a
/// descriptor (kind "tensordesc").
Type Converter::blockType(StringRef kind, const BlockAccess &a) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << kind << "<" << RankedTensorType::get(a.block, a.memref.getElementType()) << ">";
  return OpaqueType::get(StringAttr::get(ctx, "tt"), text);
}

Value Converter::blockPointerFor(Location loc, const BlockAccess &a) {
  SmallVector<Value> operands = blockOperands(loc, a, b.getI64Type());
  operands.append(a.offsets.begin(), a.offsets.end());
  SmallVector<int32_t> order;
  for (int64_t d = a.memref.getRank() - 1; d >= 0; --d)
    order.push_back(static_cast<int32_t>(d));
  return tt(loc, "tt.make_tensor_ptr", operands, blockType("ptr", a), {attr("order", b.getDenseI32ArrayAttr(order))})
      ->getResult(0);
}

/// v reshaped to `shape` (same elements; the 1s of scalar indices).
Value Converter::toBlockShape(Location loc, Value v, ArrayRef<int64_t> shape) {
  auto t = llvm::cast<RankedTensorType>(v.getType());
  if (t.getShape() == shape)
    return v;
  return tt(loc, "tt.reshape", v, RankedTensorType::get(shape, t.getElementType()))->getResult(0);
}

/// tile.reduce / tile.scan as tt.reduce / tt.scan: the same operands and
/// results, the combine region converted in place.
LogicalResult Converter::convertCombiner(Operation *op, StringRef name, ArrayRef<NamedAttribute> attrs) {
  SmallVector<Value> operands;
  for (Value v : op->getOperands())
    operands.push_back(map.lookup(v));
  SmallVector<Type> types;
  for (Type t : op->getResultTypes())
    types.push_back(convertType(t));
  Operation *r = tt(op->getLoc(), name, operands, types, attrs, 1);
  if (failed(convertRegion(op->getRegion(0), r->getRegion(0))))
    return failure();
  map.map(op->getResults(), r->getResults());
  return success();
}

LogicalResult Converter::convertRegion(Region &from, Region &to) {
  for (Block &block : from) {
    Block *nb = new Block();
    to.push_back(nb);
    for (BlockArgument a : block.getArguments())
      map.map(a, nb->addArgument(convertType(a.getType()), a.getLoc()));
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToEnd(nb);
    for (Operation &op : block)
      if (failed(convertOp(&op)))
        return failure();
  }
  return success();
}

/// arith, math and scf ops: same op with converted types (index -> iN).
LogicalResult Converter::convertGeneric(Operation *op) {
  Location loc = op->getLoc();
  if (auto c = llvm::dyn_cast<arith::ConstantOp>(op)) {
    if (c.getType().isIndex()) {
      auto v = llvm::cast<IntegerAttr>(c.getValue()).getInt();
      map.map(c.getResult(), constInt(loc, v, indexType()));
      return success();
    }
  }
  if (llvm::isa<arith::IndexCastOp, arith::IndexCastUIOp>(op)) {
    Value in = map.lookup(op->getOperand(0));
    Type to = convertType(op->getResult(0).getType());
    map.map(op->getResult(0), castInt(loc, in, to));
    return success();
  }
  StringRef ns = op->getName().getDialectNamespace();
  if (ns != "arith" && ns != "math" && ns != "scf")
    return op->emitOpError("cannot be lowered to TTIR");
  OperationState st(loc, op->getName());
  for (Value v : op->getOperands())
    st.addOperands(map.lookup(v));
  for (Type t : op->getResultTypes())
    st.addTypes(convertType(t));
  for (NamedAttribute a : op->getDiscardableAttrs())
    st.addAttribute(a.getName(), a.getValue());
  st.propertiesAttr = op->getPropertiesAsAttribute();
  for (unsigned i = 0; i < op->getNumRegions(); ++i)
    st.addRegion();
  Operation *created = b.create(st);
  for (auto [from, to] : llvm::zip(op->getRegions(), created->getRegions()))
    if (failed(convertRegion(from, to)))
      return failure();
  map.map(op->getResults(), created->getResults());
  return success();
}

LogicalResult Converter::convertOp(Operation *op) {
  Location loc = op->getLoc();
  auto lookup = [&](Value v) { return map.lookup(v); };
  return llvm::TypeSwitch<Operation *, LogicalResult>(op)
      .Case([&](ProgramIdOp p) -> LogicalResult {
        Value pid = tt(loc, "tt.get_program_id", {}, b.getI32Type(), {attr("axis", i32(p.getAxis()))})->getResult(0);
        map.map(p.getResult(), castInt(loc, pid, indexType()));
        return success();
      })
      .Case([&](MakeTileOp m) -> LogicalResult {
        APInt block;
        if (!matchPattern(m.getBlock(), m_ConstantInt(&block)))
          return m.emitOpError("block size must be a constant; run helion-apply-config first");
        tiles[m.getResult()] = TileInfo{lookup(m.getBegin()), lookup(m.getBound()), block.getSExtValue()};
        return success();
      })
      .Case([&](BeginOp o) -> LogicalResult {
        FailureOr<TileInfo> t = tileOf(o, o.getTile());
        if (failed(t))
          return failure();
        map.map(o.getResult(), t->begin);
        return success();
      })
      .Case([&](BlockOp o) -> LogicalResult {
        FailureOr<TileInfo> t = tileOf(o, o.getTile());
        if (failed(t))
          return failure();
        map.map(o.getResult(), constInt(loc, t->block, indexType()));
        return success();
      })
      .Case([&](EndOp o) -> LogicalResult {
        FailureOr<TileInfo> t = tileOf(o, o.getTile());
        if (failed(t))
          return failure();
        Value end = b.create<arith::AddIOp>(loc, t->begin, constInt(loc, t->block, indexType()));
        map.map(o.getResult(), b.create<arith::MinSIOp>(loc, end, t->bound));
        return success();
      })
      .Case([&](IndexOp o) -> LogicalResult {
        FailureOr<TileInfo> t = tileOf(o, o.getTile());
        if (failed(t))
          return failure();
        map.map(o.getResult(), tileIndices(loc, *t, o.getType().getElementType()));
        return success();
      })
      .Case([&](MaskOp o) -> LogicalResult {
        FailureOr<TileInfo> t = tileOf(o, o.getTile());
        if (failed(t))
          return failure();
        Value idx = tileIndices(loc, *t, b.getI32Type());
        Value bound = splat(loc, castInt(loc, t->bound, b.getI32Type()), {t->block});
        map.map(o.getResult(), b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::slt, idx, bound));
        return success();
      })
      .Case([&](DimOp o) -> LogicalResult {
        int64_t size = o.getSource().getType().getDimSize(o.getDim());
        if (ShapedType::isDynamic(size))
          return o.emitOpError("dynamic sizes need static_shapes=True");
        map.map(o.getResult(), constInt(loc, size, indexType()));
        return success();
      })
      .Case([&](LoadOp o) -> LogicalResult {
        StringRef kind = o.getIndexing().value_or("pointer");
        if (kind != "pointer") {
          if (std::optional<BlockAccess> ba = planBlockAccess(o, kind, o.getBase(), o.getIndices(), o.getType(),
                                                               o.getMask(), o.getBoundsCheck())) {
            auto blockType = RankedTensorType::get(ba->block, ba->memref.getElementType());
            Value v;
            if (kind == "tensor_descriptor") {
              SmallVector<Value> operands{descriptorFor(loc, *ba)};
              operands.append(ba->offsets.begin(), ba->offsets.end());
              v = tt(loc, "tt.descriptor_load", operands, blockType)->getResult(0);
            } else {
              SmallVector<NamedAttribute> attrs{attr("boundaryCheck", b.getDenseI32ArrayAttr(ba->checked)),
                                                attr("cache", i32(1)), attr("evict", i32(1)),
                                                attr("isVolatile", b.getBoolAttr(false)),
                                                attr("operandSegmentSizes", b.getDenseI32ArrayAttr({1, 0, 0}))};
              if (!ba->checked.empty())
                attrs.push_back(attr("padding", i32(1))); // zero
              v = tt(loc, "tt.load", blockPointerFor(loc, *ba), blockType, attrs)->getResult(0);
            }
            map.map(o.getResult(), toBlockShape(loc, v, llvm::cast<RankedTensorType>(o.getType()).getShape()));
            return success();
          }
        }
        FailureOr<Access> a = buildAccess(o, o.getBase(), o.getIndices(), o.getType(), o.getMask(), o.getBoundsCheck());
        if (failed(a))
          return failure();
        bool isBool = getElementTypeOrSelf(o.getType()).isInteger(1);
        Type result = asBytes(convertType(o.getType()), isBool);
        SmallVector<Value> operands{a->ptr};
        Value other;
        if (a->mask) {
          operands.push_back(a->mask);
          Type elt = getElementTypeOrSelf(result);
          other = o.getOther() ? toBytes(loc, lookup(o.getOther()), isBool) : Value();
          if (!other)
            other = llvm::isa<FloatType>(elt)
                        ? Value(b.create<arith::ConstantOp>(loc, b.getFloatAttr(elt, 0.0)))
                        : constInt(loc, 0, elt);
          if (auto rt = llvm::dyn_cast<RankedTensorType>(result); rt && !llvm::isa<RankedTensorType>(other.getType()))
            other = splat(loc, other, rt.getShape());
          operands.push_back(other);
        }
        int32_t evict = llvm::StringSwitch<int32_t>(o.getEvictionPolicy().value_or(""))
                            .Case("evict_first", kEvictFirst)
                            .Case("evict_last", kEvictLast)
                            .Default(kEvictNormal);
        Operation *ld = tt(loc, "tt.load", operands, result,
                           {attr("boundaryCheck", b.getDenseI32ArrayAttr({})),
                            attr("cache", i32(1)), attr("evict", i32(evict)),
                            attr("isVolatile", b.getBoolAttr(false)),
                            attr("operandSegmentSizes",
                                 b.getDenseI32ArrayAttr({1, a->mask ? 1 : 0, a->mask ? 1 : 0}))});
        map.map(o.getResult(), fromBytes(loc, ld->getResult(0), isBool));
        return success();
      })
      .Case([&](StoreOp o) -> LogicalResult {
        StringRef kind = o.getIndexing().value_or("pointer");
        if (kind != "pointer") {
          if (std::optional<BlockAccess> ba = planBlockAccess(o, kind, o.getBase(), o.getIndices(),
                                                               o.getValue().getType(), o.getMask(), o.getBoundsCheck())) {
            Value v = toBlockShape(loc, lookup(o.getValue()), ba->block);
            if (kind == "tensor_descriptor") {
              SmallVector<Value> operands{descriptorFor(loc, *ba), v};
              operands.append(ba->offsets.begin(), ba->offsets.end());
              tt(loc, "tt.descriptor_store", operands, {});
            } else {
              tt(loc, "tt.store", {blockPointerFor(loc, *ba), v}, {},
                 {attr("boundaryCheck", b.getDenseI32ArrayAttr(ba->checked)), attr("cache", i32(1)),
                  attr("evict", i32(1))});
            }
            return success();
          }
        }
        FailureOr<Access> a = buildAccess(o, o.getBase(), o.getIndices(), o.getValue().getType(), o.getMask(), o.getBoundsCheck());
        if (failed(a))
          return failure();
        bool isBool = getElementTypeOrSelf(o.getValue().getType()).isInteger(1);
        SmallVector<Value> operands{a->ptr, toBytes(loc, lookup(o.getValue()), isBool)};
        if (a->mask)
          operands.push_back(a->mask);
        tt(loc, "tt.store", operands, {},
           {attr("boundaryCheck", b.getDenseI32ArrayAttr({})), attr("cache", i32(1)),
            attr("evict", i32(1))});
        return success();
      })
      .Case([&](AtomicRMWOp o) -> LogicalResult {
        FailureOr<Access> a = buildAccess(o, o.getBase(), o.getIndices(), o.getValue().getType(), o.getMask(), o.getBoundsCheck());
        if (failed(a))
          return failure();
        Type elt = getElementTypeOrSelf(o.getValue().getType());
        bool isFloat = llvm::isa<FloatType>(elt);
        StringRef kind = o.getKind();
        if (isFloat && (kind == "max" || kind == "min"))
          return convertFloatMinMax(o, *a);
        AtomicOp rmw;
        if (kind == "add")
          rmw = isFloat ? AtomicOp::FAdd : AtomicOp::Add;
        else if (isFloat && kind != "xchg")
          return o.emitOpError() << "atomic " << kind << " on floats is not supported";
        else
          rmw = llvm::StringSwitch<AtomicOp>(kind)
                    .Case("max", AtomicOp::Max).Case("min", AtomicOp::Min)
                    .Case("and", AtomicOp::And).Case("or", AtomicOp::Or)
                    .Case("xor", AtomicOp::Xor).Default(AtomicOp::Xchg);
        SmallVector<Value> operands{a->ptr, lookup(o.getValue())};
        if (a->mask)
          operands.push_back(a->mask);
        Operation *r = tt(loc, "tt.atomic_rmw", operands, convertType(o.getType()),
                          {attr("atomic_rmw_op", i32(static_cast<int32_t>(rmw))),
                           attr("sem", i32(semValue(o.getSem()))), attr("scope", i32(kScopeGpu))});
        map.map(o.getResult(), r->getResult(0));
        return success();
      })
      .Case([&](AtomicCASOp o) -> LogicalResult {
        FailureOr<Access> a = buildAccess(o, o.getBase(), o.getIndices(), o.getValue().getType(), Value(), o.getBoundsCheck());
        if (failed(a))
          return failure();
        if (a->mask)
          return o.emitOpError("needs indices that stay in bounds: Triton's atomic_cas takes no mask "
                               "(use a block size that divides the dim, or scalar indices)");
        Operation *r = tt(loc, "tt.atomic_cas", {a->ptr, lookup(o.getCmp()), lookup(o.getValue())},
                          convertType(o.getType()),
                          {attr("sem", i32(semValue(o.getSem()))), attr("scope", i32(kScopeGpu))});
        map.map(o.getResult(), r->getResult(0));
        return success();
      })
      .Case([&](FullOp o) -> LogicalResult {
        map.map(o.getResult(), splat(loc, lookup(o.getValue()), o.getType().getShape()));
        return success();
      })
      .Case([&](ArangeOp o) -> LogicalResult {
        int64_t start = static_cast<int64_t>(o.getStart()), end = static_cast<int64_t>(o.getEnd());
        if (start < std::numeric_limits<int32_t>::min() || end > std::numeric_limits<int32_t>::max())
          return o.emitOpError() << "range [" << start << ", " << end
                                 << ") does not fit tt.make_range's 32-bit bounds";
        auto t = RankedTensorType::get({end - start}, b.getI32Type());
        Value r = tt(loc, "tt.make_range", {}, t, {attr("start", i32(start)), attr("end", i32(end))})->getResult(0);
        map.map(o.getResult(), castInt(loc, r, o.getType()));
        return success();
      })
      .Case([&](BroadcastOp o) -> LogicalResult {
        Value src = lookup(o.getSource());
        Type t = convertType(o.getType());
        map.map(o.getResult(), src.getType() == t ? src : tt(loc, "tt.broadcast", src, t)->getResult(0));
        return success();
      })
      .Case([&](ExpandDimsOp o) -> LogicalResult {
        map.map(o.getResult(), tt(loc, "tt.expand_dims", lookup(o.getSource()), convertType(o.getType()),
                                  {attr("axis", i32(o.getAxis()))})->getResult(0));
        return success();
      })
      .Case([&](ReshapeOp o) -> LogicalResult {
        // No allow_reorder: element order is preserved, as torch's reshape requires.
        map.map(o.getResult(), tt(loc, "tt.reshape", lookup(o.getSource()), convertType(o.getType()))->getResult(0));
        return success();
      })
      .Case([&](PermuteOp o) -> LogicalResult {
        SmallVector<int32_t> order(o.getPermutation().begin(), o.getPermutation().end());
        map.map(o.getResult(), tt(loc, "tt.trans", lookup(o.getSource()), convertType(o.getType()),
                                  {attr("order", b.getDenseI32ArrayAttr(order))})->getResult(0));
        return success();
      })
      .Case([&](DotOp o) -> LogicalResult {
        int32_t precision = llvm::StringSwitch<int32_t>(o.getInputPrecision())
                                .Case("tf32", 0).Case("tf32x3", 1).Case("ieee", 2).Default(3);
        Operation *d = tt(loc, "tt.dot", {lookup(o.getA()), lookup(o.getB()), lookup(o.getAcc())},
                          convertType(o.getType()),
                          {attr("inputPrecision", i32(precision)), attr("maxNumImpreciseAcc", i32(0))});
        map.map(o.getResult(), d->getResult(0));
        return success();
      })
      .Case([&](ReduceOp o) -> LogicalResult {
        return convertCombiner(o, "tt.reduce", {attr("axis", i32(o.getAxis()))});
      })
      .Case([&](ScanOp o) -> LogicalResult {
        return convertCombiner(o, "tt.scan",
                               {attr("axis", i32(o.getAxis())), attr("reverse", b.getBoolAttr(o.getReverse()))});
      })
      .Case([&](YieldOp y) -> LogicalResult {
        // Only combine regions of tile.reduce and tile.scan remain at this point.
        SmallVector<Value> values;
        for (Value v : y.getValues())
          values.push_back(lookup(v));
        tt(loc, llvm::isa<ScanOp>(y->getParentOp()) ? "tt.scan.return" : "tt.reduce.return", values, {});
        return success();
      })
      .Case([&](ReturnOp) -> LogicalResult {
        tt(loc, "tt.return", {}, {});
        return success();
      })
      .Case<GridOp, ForOp, BlockSizeOp>([&](Operation *x) -> LogicalResult {
        return x->emitOpError("must be lowered before convert-tile-to-triton "
                              "(run helion-apply-config, helion-lower-grid, helion-lower-tile-loops)");
      })
      .Default([&](Operation *x) -> LogicalResult { return convertGeneric(x); });
}

LogicalResult Converter::convert(KernelOp kernel) {
  b.setInsertionPoint(kernel);
  SmallVector<Type> argTypes;
  SmallVector<Attribute> argAttrs;
  StringAttr aligned = ctx->getLoadedDialect<TileDialect>()->getAlignedAttrHelper().getName();
  for (auto [i, t] : llvm::enumerate(kernel.getArgumentTypes())) {
    argTypes.push_back(convertType(t));
    SmallVector<NamedAttribute> attrs;
    if (kernel.getArgAttr(i, aligned))
      attrs.push_back(attr("tt.divisibility", i32(16)));
    argAttrs.push_back(b.getDictionaryAttr(attrs));
  }
  auto fnType = b.getFunctionType(argTypes, {});
  Operation *fn = tt(kernel.getLoc(), "tt.func", {}, {},
                     {attr("sym_name", kernel.getSymNameAttr()), attr("function_type", TypeAttr::get(fnType)),
                      attr("arg_attrs", b.getArrayAttr(argAttrs))},
                     1);
  for (NamedAttribute a : kernel->getDiscardableAttrs())
    fn->setAttr(a.getName(), a.getValue());
  Block &body = kernel.getBody().front();
  Block *nb = new Block();
  fn->getRegion(0).push_back(nb);
  for (BlockArgument a : body.getArguments()) {
    Value arg = nb->addArgument(convertType(a.getType()), a.getLoc());
    map.map(a, arg);
    if (kernel.getArgAttr(a.getArgNumber(), aligned))
      alignedArgs.insert(arg);
  }
  entry = nb;
  b.setInsertionPointToEnd(nb);
  for (Operation &op : body)
    if (failed(convertOp(&op)))
      return failure();
  if (!fallbacks.empty()) { // Python turns these into one warning
    SmallVector<Attribute> notes;
    for (const std::string &f : fallbacks)
      notes.push_back(b.getStringAttr(f));
    ctx->getLoadedDialect<TileDialect>()->getIndexingFallbacksAttrHelper().setAttr(fn, b.getArrayAttr(notes));
  }
  kernel.erase();
  return success();
}

struct ConvertTileToTritonPass
    : public helion::impl::ConvertTileToTritonBase<ConvertTileToTritonPass> {
  using ConvertTileToTritonBase::ConvertTileToTritonBase;
  void runOnOperation() override {
    if (indexBits != 32 && indexBits != 64) {
      getOperation().emitError("index-bits must be 32 or 64");
      return signalPassFailure();
    }
    SmallVector<KernelOp> kernels(getOperation().getOps<KernelOp>());
    for (KernelOp k : kernels) {
      Converter c(&getContext(), indexBits);
      if (failed(c.convert(k)))
        return signalPassFailure();
    }
  }
};

} // namespace
