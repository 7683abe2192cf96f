// Parsers, printers and verifiers of the tile dialect's operations.
#include "dialects/TileOps/TileDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/Interfaces/FunctionImplementation.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/MathExtras.h"

using namespace mlir;
using namespace helion::tile;

#define GET_OP_CLASSES
#include "dialects/TileOps/TileOps.cpp.inc"

namespace {

/// Two tensor dims are equal when both are the same static size or both are
/// the same block-size slot.
bool sameDim(RankedTensorType a, unsigned i, RankedTensorType b, unsigned j) {
  if (a.isDynamicDim(i) != b.isDynamicDim(j))
    return false;
  if (!a.isDynamicDim(i))
    return a.getDimSize(i) == b.getDimSize(j);
  return getBlockSlot(a, i) == getBlockSlot(b, j);
}

bool sameShape(RankedTensorType a, RankedTensorType b) {
  if (a.getRank() != b.getRank())
    return false;
  for (unsigned i = 0; i < a.getRank(); ++i)
    if (!sameDim(a, i, b, i))
      return false;
  return true;
}

Type elementTypeOf(Type t) {
  if (auto tensor = llvm::dyn_cast<RankedTensorType>(t))
    return tensor.getElementType();
  return t;
}

LogicalResult verifyResultTypes(Operation *op) {
  for (Type t : op->getResultTypes())
    if (failed(verifyDeviceTensorType(op, t, "result type")))
      return failure();
  for (Type t : op->getOperandTypes())
    if (failed(verifyDeviceTensorType(op, t, "operand type")))
      return failure();
  return success();
}

//===- Loops ---------------------------------------------------------------===//

/// Parses `(%t0, ...) = (%lb0, ...) to (%ub0, ...) step (%s0, ...)`.
ParseResult parseLoopHeader(OpAsmParser &parser, OperationState &result,
                            SmallVectorImpl<OpAsmParser::Argument> &tiles,
                            unsigned &numDims) {
  SmallVector<OpAsmParser::UnresolvedOperand> lbs, ubs, steps;
  if (parser.parseArgumentList(tiles, OpAsmParser::Delimiter::Paren) ||
      parser.parseEqual() ||
      parser.parseOperandList(lbs, OpAsmParser::Delimiter::Paren) ||
      parser.parseKeyword("to") ||
      parser.parseOperandList(ubs, OpAsmParser::Delimiter::Paren) ||
      parser.parseKeyword("step") ||
      parser.parseOperandList(steps, OpAsmParser::Delimiter::Paren))
    return failure();
  numDims = tiles.size();
  if (lbs.size() != numDims || ubs.size() != numDims || steps.size() != numDims)
    return parser.emitError(parser.getCurrentLocation(),
                            "expected one lower bound, upper bound and step per tile");
  Type indexType = parser.getBuilder().getIndexType();
  Type tileType = TileType::get(parser.getContext());
  for (auto &t : tiles)
    t.type = tileType;
  if (parser.resolveOperands(lbs, indexType, result.operands) ||
      parser.resolveOperands(ubs, indexType, result.operands) ||
      parser.resolveOperands(steps, indexType, result.operands))
    return failure();
  return success();
}

/// Parses the optional `attributes {...}` of a loop. Inherent attributes of
/// the wrong type would be dropped silently when stored as properties, so
/// they are checked here.
ParseResult parseLoopAttributes(OpAsmParser &parser, OperationState &result) {
  SMLoc loc = parser.getCurrentLocation();
  if (parser.parseOptionalAttrDictWithKeyword(result.attributes))
    return failure();
  return result.name.verifyInherentAttrs(result.attributes, [&]() {
    return parser.emitError(loc) << "'" << result.name << "' op ";
  });
}

void printLoopHeader(OpAsmPrinter &p, Block &body, unsigned numDims,
                     OperandRange lbs, OperandRange ubs, OperandRange steps) {
  p << " (";
  llvm::interleaveComma(body.getArguments().take_front(numDims), p,
                        [&](BlockArgument a) { p << a; });
  p << ") = (" << lbs << ") to (" << ubs << ") step (" << steps << ")";
}

LogicalResult verifyLoopCommon(Operation *op, unsigned numDims, size_t numUbs,
                               size_t numSteps, Block &body) {
  if (numDims == 0)
    return op->emitOpError("needs at least one dimension");
  if (numUbs != numDims || numSteps != numDims)
    return op->emitOpError("needs one lower bound, upper bound and step per dimension");
  if (body.getNumArguments() < numDims)
    return op->emitOpError("body must take one !tile.tile argument per dimension");
  for (unsigned i = 0; i < numDims; ++i)
    if (!llvm::isa<TileType>(body.getArgument(i).getType()))
      return op->emitOpError("body argument ") << i << " must be !tile.tile";
  if (body.empty() || !llvm::isa<YieldOp>(body.back()))
    return op->emitOpError("body must end with tile.yield");
  return success();
}

/// `loop_order` must name each of the loop's dims exactly once: passes index
/// bounds and block arguments with it.
LogicalResult verifyLoopOrder(Operation *op, std::optional<ArrayRef<int64_t>> order,
                              unsigned numDims) {
  if (!order)
    return success();
  auto fail = [&]() -> LogicalResult {
    InFlightDiagnostic d = op->emitOpError("loop_order must be a permutation of [0, ");
    d << numDims << "), got [";
    llvm::interleaveComma(*order, d);
    return d << "]";
  };
  if (order->size() != numDims)
    return fail();
  SmallVector<bool> seen(numDims, false);
  for (int64_t d : *order) {
    if (d < 0 || d >= static_cast<int64_t>(numDims) || seen[d])
      return fail();
    seen[d] = true;
  }
  return success();
}

//===- Indexed memory access -----------------------------------------------===//

/// Verifies the indices of a load/store/atomic and the type of the tile it
/// reads or writes.
LogicalResult verifyIndexedAccess(Operation *op, MemRefType base,
                                  ValueRange indices, Type data, Value mask,
                                  std::optional<ArrayRef<bool>> boundsCheck,
                                  StringRef dataName) {
  if (static_cast<int64_t>(indices.size()) != base.getRank())
    return op->emitOpError() << "expected " << base.getRank()
                             << " indices for a rank-" << base.getRank()
                             << " tensor, got " << indices.size();
  if (boundsCheck && boundsCheck->size() != indices.size())
    return op->emitOpError("bounds_check needs one flag per index");
  // Expected dims of the data: one per tile, those of each gather tensor.
  struct ExpectedDim {
    RankedTensorType from; // gather tensor, or null for a tile dim
    unsigned dim;
  };
  SmallVector<ExpectedDim> expected;
  for (auto [i, index] : llvm::enumerate(indices)) {
    Type t = index.getType();
    if (llvm::isa<TileType>(t)) {
      expected.push_back({nullptr, 0});
    } else if (t.isIndex() || t.isSignlessInteger()) {
      continue;
    } else if (auto tensor = llvm::dyn_cast<RankedTensorType>(t);
               tensor && tensor.getElementType().isSignlessInteger()) {
      for (unsigned d = 0; d < tensor.getRank(); ++d)
        expected.push_back({tensor, d});
    } else {
      return op->emitOpError() << "index " << i << " has type " << t
                               << "; expected !tile.tile, an integer scalar or "
                                  "an integer tensor";
    }
  }
  Type elt = base.getElementType();
  if (expected.empty()) {
    if (data != elt)
      return op->emitOpError() << "indexing selects one element, so the "
                               << dataName << " must be " << elt << ", got "
                               << data;
  } else {
    auto tensor = llvm::dyn_cast<RankedTensorType>(data);
    if (!tensor || tensor.getElementType() != elt ||
        tensor.getRank() != static_cast<int64_t>(expected.size()))
      return op->emitOpError() << "the " << dataName << " must be a rank-"
                               << expected.size() << " tensor of " << elt
                               << ", got " << data;
    for (auto [d, e] : llvm::enumerate(expected))
      if (e.from && !sameDim(tensor, d, e.from, e.dim))
        return op->emitOpError() << "dim " << d << " of the " << dataName
                                 << " does not match the gather index";
  }
  if (mask) {
    Type m = mask.getType();
    bool ok = m.isInteger(1);
    if (auto mt = llvm::dyn_cast<RankedTensorType>(m)) {
      auto dt = llvm::dyn_cast<RankedTensorType>(data);
      ok = mt.getElementType().isInteger(1) && dt && sameShape(mt, dt);
    }
    if (!ok)
      return op->emitOpError() << "mask must be i1 or an i1 tensor shaped like the "
                               << dataName << ", got " << m;
  }
  return verifyResultTypes(op);
}

/// Config.indexing's values (tile.load, tile.store).
LogicalResult verifyIndexing(Operation *op, std::optional<StringRef> indexing) {
  if (indexing && *indexing != "pointer" && *indexing != "block_ptr" && *indexing != "tensor_descriptor")
    return op->emitOpError() << "unknown indexing '" << *indexing
                             << "'; expected pointer, block_ptr or tensor_descriptor";
  return success();
}

} // namespace

//===----------------------------------------------------------------------===//
// KernelOp
//===----------------------------------------------------------------------===//

ParseResult KernelOp::parse(OpAsmParser &parser, OperationState &result) {
  auto buildType = [](Builder &b, ArrayRef<Type> args, ArrayRef<Type> results,
                      function_interface_impl::VariadicFlag, std::string &) {
    return b.getFunctionType(args, results);
  };
  return function_interface_impl::parseFunctionOp(
      parser, result, /*allowVariadic=*/false,
      getFunctionTypeAttrName(result.name), buildType,
      getArgAttrsAttrName(result.name), getResAttrsAttrName(result.name));
}

void KernelOp::print(OpAsmPrinter &p) {
  function_interface_impl::printFunctionOp(
      p, *this, /*isVariadic=*/false, getFunctionTypeAttrName(),
      getArgAttrsAttrName(), getResAttrsAttrName());
}

LogicalResult KernelOp::verify() {
  if (!getFunctionType().getResults().empty())
    return emitOpError("kernels return nothing; write outputs through tensor arguments");
  for (auto [i, t] : llvm::enumerate(getArgumentTypes())) {
    if (auto memref = llvm::dyn_cast<MemRefType>(t)) {
      Type elt = memref.getElementType();
      if (!elt.isIntOrFloat())
        return emitOpError() << "tensor argument " << i
                             << " must have an integer or float dtype, got " << elt;
      if (!memref.isStrided())
        return emitOpError() << "tensor argument " << i << " must have a strided layout";
      continue;
    }
    if (!t.isIntOrIndexOrFloat())
      return emitOpError() << "argument " << i << " has type " << t
                           << "; expected a memref or an int/float/index scalar";
  }
  Block &body = getBody().front();
  if (body.empty() || !llvm::isa<ReturnOp>(body.back()))
    return emitOpError("body must end with tile.return");
  if (body.getNumArguments() != getArgumentTypes().size())
    return emitOpError("body arguments do not match the function type");
  for (auto [a, t] : llvm::zip(body.getArgumentTypes(), getArgumentTypes()))
    if (a != t)
      return emitOpError("body argument types do not match the function type");
  return success();
}

LogicalResult KernelOp::verifyRegions() {
  auto grids = getBody().front().getOps<GridOp>();
  auto pids = getBody().front().getOps<ProgramIdOp>();
  int64_t numGrids = std::distance(grids.begin(), grids.end());
  // lower-grid records the launch size; the program id may then fold away.
  auto numPrograms = getOperation()->getContext()
                         ->getLoadedDialect<TileDialect>()
                         ->getNumProgramsAttrHelper();
  bool lowered = !pids.empty() || numPrograms.isAttrPresent(*this);
  if (numGrids > 1 || (numGrids == 0 && !lowered))
    return emitOpError("must contain exactly one tile.grid at its top level");
  if (numGrids == 1 && lowered)
    return emitOpError("cannot mix tile.grid and tile.program_id");
  return success();
}

//===----------------------------------------------------------------------===//
// BlockSizeOp, DimOp
//===----------------------------------------------------------------------===//

LogicalResult BlockSizeOp::verify() {
  if (static_cast<int64_t>(getSlot()) < 0)
    return emitOpError("slot must be non-negative, got ")
           << static_cast<int64_t>(getSlot());
  if (getExtent() && static_cast<int64_t>(*getExtent()) < 0)
    return emitOpError("extent must be non-negative");
  for (auto [name, value] : {std::pair{"looped_block", getLoopedBlock()},
                             std::pair{"min_block", getMinBlock()}}) {
    if (!value)
      continue;
    if (!getReduction() && name == llvm::StringRef("looped_block"))
      return emitOpError() << name << " is only valid on a reduction slot";
    int64_t v = static_cast<int64_t>(*value);
    if (v < 1 || !llvm::isPowerOf2_64(v))
      return emitOpError() << name << " must be a positive power of two, got " << v;
  }
  return success();
}

LogicalResult DimOp::verify() {
  int64_t rank = getSource().getType().getRank();
  int64_t dim = static_cast<int64_t>(getDim());
  if (dim < 0 || dim >= rank)
    return emitOpError() << "dim " << dim << " is out of range for rank " << rank;
  return success();
}

//===----------------------------------------------------------------------===//
// GridOp
//===----------------------------------------------------------------------===//

ParseResult GridOp::parse(OpAsmParser &parser, OperationState &result) {
  SmallVector<OpAsmParser::Argument> tiles;
  unsigned n;
  if (parseLoopHeader(parser, result, tiles, n) || parseLoopAttributes(parser, result))
    return failure();
  int32_t dims = static_cast<int32_t>(n);
  result.getOrAddProperties<Properties>().operandSegmentSizes = {dims, dims, dims};
  return parser.parseRegion(*result.addRegion(), tiles);
}

void GridOp::print(OpAsmPrinter &p) {
  printLoopHeader(p, getBodyBlock(), getNumDims(), getLowerBounds(),
                  getUpperBounds(), getSteps());
  p.printOptionalAttrDictWithKeyword((*this)->getAttrs(), {"operandSegmentSizes"});
  p << " ";
  p.printRegion(getBody(), /*printEntryBlockArgs=*/false);
}

/// The per-loop Config knobs tile.grid and tile.for share.
template <typename Loop>
LogicalResult verifyLoopKnobs(Loop op) {
  if (std::optional<uint64_t> stages = op.getNumStages(); stages && *stages < 1)
    return op.emitOpError() << "num_stages must be >= 1, got " << *stages;
  if (std::optional<uint64_t> unroll = op.getUnrollFactor(); unroll && *unroll < 2)
    return op.emitOpError() << "unroll_factor must be >= 2, got " << *unroll;
  return success();
}

LogicalResult GridOp::verify() {
  Block &body = getBodyBlock();
  if (failed(verifyLoopCommon(*this, getNumDims(), getUpperBounds().size(),
                              getSteps().size(), body)))
    return failure();
  if (body.getNumArguments() != getNumDims())
    return emitOpError("body takes exactly one !tile.tile per dimension");
  if (!llvm::isa<KernelOp>((*this)->getParentOp()))
    return emitOpError("must be directly inside a tile.kernel");
  if (body.back().getNumOperands() != 0)
    return emitOpError("tile.yield of a grid carries no values");
  if (std::optional<uint64_t> g = getL2Grouping(); g && static_cast<int64_t>(*g) < 1)
    return emitOpError() << "l2_grouping must be at least 1, got " << static_cast<int64_t>(*g);
  if (failed(verifyLoopKnobs(*this)))
    return failure();
  return verifyLoopOrder(*this, getLoopOrder(), getNumDims());
}

//===----------------------------------------------------------------------===//
// ForOp
//===----------------------------------------------------------------------===//

ParseResult ForOp::parse(OpAsmParser &parser, OperationState &result) {
  SmallVector<OpAsmParser::Argument> args;
  unsigned n;
  if (parseLoopHeader(parser, result, args, n))
    return failure();
  SmallVector<OpAsmParser::Argument> iterArgs;
  SmallVector<OpAsmParser::UnresolvedOperand> inits;
  if (succeeded(parser.parseOptionalKeyword("iter_args"))) {
    if (parser.parseAssignmentList(iterArgs, inits) ||
        parser.parseArrowTypeList(result.types))
      return failure();
    if (iterArgs.size() != result.types.size())
      return parser.emitError(parser.getCurrentLocation(),
                              "expected one result type per iter_arg");
    for (auto [arg, t] : llvm::zip(iterArgs, result.types))
      arg.type = t;
    if (parser.resolveOperands(inits, result.types, parser.getCurrentLocation(),
                               result.operands))
      return failure();
  }
  if (parseLoopAttributes(parser, result))
    return failure();
  int32_t dims = static_cast<int32_t>(n);
  result.getOrAddProperties<Properties>().operandSegmentSizes = {
      dims, dims, dims, static_cast<int32_t>(inits.size())};
  args.append(iterArgs.begin(), iterArgs.end());
  return parser.parseRegion(*result.addRegion(), args);
}

void ForOp::print(OpAsmPrinter &p) {
  Block &body = getBodyBlock();
  printLoopHeader(p, body, getNumDims(), getLowerBounds(), getUpperBounds(),
                  getSteps());
  if (!getInits().empty()) {
    p << " iter_args(";
    llvm::interleaveComma(
        llvm::zip(body.getArguments().drop_front(getNumDims()), getInits()), p,
        [&](auto pair) { p << std::get<0>(pair) << " = " << std::get<1>(pair); });
    p << ") -> (" << getResultTypes() << ")";
  }
  p.printOptionalAttrDictWithKeyword((*this)->getAttrs(), {"operandSegmentSizes"});
  p << " ";
  p.printRegion(getBody(), /*printEntryBlockArgs=*/false);
}

LogicalResult ForOp::verify() {
  Block &body = getBodyBlock();
  if (failed(verifyLoopCommon(*this, getNumDims(), getUpperBounds().size(),
                              getSteps().size(), body)))
    return failure();
  auto kernel = (*this)->getParentOfType<KernelOp>();
  bool kernelHasGrid = kernel && !kernel.getBody().front().getOps<GridOp>().empty();
  if (!kernel || (kernelHasGrid && !(*this)->getParentOfType<GridOp>()))
    return emitOpError("must be nested inside a tile.grid");
  if (getInits().size() != getNumResults())
    return emitOpError("needs one iter_arg per result");
  if (body.getNumArguments() != getNumDims() + getNumResults())
    return emitOpError("body takes one !tile.tile per dimension then one value per iter_arg");
  auto yield = llvm::cast<YieldOp>(body.back());
  if (yield.getNumOperands() != getNumResults())
    return emitOpError() << "tile.yield carries " << yield.getNumOperands()
                         << " values; the loop has " << getNumResults() << " iter_args";
  for (unsigned i = 0; i < getNumResults(); ++i) {
    Type t = getResult(i).getType();
    if (getInits()[i].getType() != t ||
        body.getArgument(getNumDims() + i).getType() != t ||
        yield.getOperand(i).getType() != t)
      return emitOpError() << "iter_arg " << i
                           << " has different types in init, body, yield or result";
  }
  if (failed(verifyLoopOrder(*this, getLoopOrder(), getNumDims())))
    return failure();
  if (failed(verifyLoopKnobs(*this)))
    return failure();
  if (getStaticRange() && getUnrollFactor())
    return emitOpError("static_range (full unroll) and unroll_factor exclude each other");
  return verifyResultTypes(*this);
}

//===----------------------------------------------------------------------===//
// Tiles
//===----------------------------------------------------------------------===//

LogicalResult ProgramIdOp::verify() {
  if ((*this)->getParentOfType<GridOp>())
    return emitOpError("is only valid after lower-grid, outside any tile.grid");
  if (getAxis() > 2)
    return emitOpError("axis must be 0, 1 or 2, got ") << getAxis();
  return success();
}

LogicalResult MaskOp::verify() {
  if (getType().getRank() != 1)
    return emitOpError("result must be a 1-d tensor");
  return verifyResultTypes(*this);
}

LogicalResult IndexOp::verify() {
  if (getType().getRank() != 1)
    return emitOpError("result must be a 1-d tensor");
  return verifyResultTypes(*this);
}

//===----------------------------------------------------------------------===//
// Memory
//===----------------------------------------------------------------------===//

LogicalResult LoadOp::verify() {
  if (failed(verifyIndexing(*this, getIndexing())))
    return failure();
  if (failed(verifyIndexedAccess(*this, getBase().getType(), getIndices(),
                                 getType(), getMask(), getBoundsCheck(), "result")))
    return failure();
  if (Value other = getOther()) {
    Type t = other.getType();
    if (t != getType() && t != elementTypeOf(getType()))
      return emitOpError() << "other must be a " << elementTypeOf(getType())
                           << " scalar or match the result type, got " << t;
  }
  if (std::optional<StringRef> policy = getEvictionPolicy();
      policy && *policy != "evict_first" && *policy != "evict_last")
    return emitOpError() << "unknown eviction_policy '" << *policy
                         << "'; expected evict_first or evict_last";
  return success();
}

LogicalResult StoreOp::verify() {
  if (failed(verifyIndexing(*this, getIndexing())))
    return failure();
  return verifyIndexedAccess(*this, getBase().getType(), getIndices(),
                             getValue().getType(), getMask(), getBoundsCheck(),
                             "stored value");
}

/// The memory orderings of atomics (tile.atomic_rmw, tile.atomic_cas).
LogicalResult verifySem(Operation *op, std::optional<StringRef> sem) {
  static constexpr llvm::StringLiteral sems[] = {"relaxed", "acquire", "release", "acq_rel"};
  if (sem && !llvm::is_contained(sems, *sem))
    return op->emitOpError() << "unknown sem '" << *sem << "'; expected relaxed, acquire, release or acq_rel";
  return success();
}

LogicalResult AtomicCASOp::verify() {
  if (getResult().getType() != getValue().getType() || getCmp().getType() != getValue().getType())
    return emitOpError("cmp, value and result must have one type");
  if (failed(verifySem(*this, getSem())))
    return failure();
  return verifyIndexedAccess(*this, getBase().getType(), getIndices(), getValue().getType(), Value(),
                             getBoundsCheck(), "value");
}

LogicalResult AtomicRMWOp::verify() {
  static constexpr llvm::StringLiteral kinds[] = {"add", "max", "min", "and",
                                                  "or",  "xor", "xchg"};
  if (!llvm::is_contained(kinds, getKind()))
    return emitOpError() << "unknown atomic kind '" << getKind()
                         << "'; expected add, max, min, and, or, xor or xchg";
  if (getResult().getType() != getValue().getType())
    return emitOpError("result type must equal the value type");
  if (failed(verifySem(*this, getSem())))
    return failure();
  return verifyIndexedAccess(*this, getBase().getType(), getIndices(),
                             getValue().getType(), getMask(), getBoundsCheck(),
                             "value");
}

//===----------------------------------------------------------------------===//
// Tensor creation and shape
//===----------------------------------------------------------------------===//

LogicalResult FullOp::verify() {
  if (getType().getElementType() != getValue().getType())
    return emitOpError() << "fill value of type " << getValue().getType()
                         << " does not match the element type "
                         << getType().getElementType();
  return verifyResultTypes(*this);
}

LogicalResult ArangeOp::verify() {
  auto t = getType();
  if (t.getRank() != 1 || !t.hasStaticShape())
    return emitOpError("result must be a static 1-d tensor");
  int64_t start = static_cast<int64_t>(getStart()), end = static_cast<int64_t>(getEnd());
  if (end <= start)
    return emitOpError() << "empty range [" << start << ", " << end << ")";
  if (t.getDimSize(0) != end - start)
    return emitOpError() << "result has " << t.getDimSize(0)
                         << " elements; the range has " << end - start;
  return success();
}

LogicalResult BroadcastOp::verify() {
  auto src = getSource().getType();
  auto dst = llvm::cast<RankedTensorType>(getType());
  if (src.getElementType() != dst.getElementType() || src.getRank() != dst.getRank())
    return emitOpError("source and result must have the same rank and element type");
  for (unsigned i = 0; i < src.getRank(); ++i)
    if (!sameDim(src, i, dst, i) && src.getDimSize(i) != 1)
      return emitOpError() << "dim " << i
                           << " of the source must be 1 or equal the result's";
  return verifyResultTypes(*this);
}

LogicalResult RebindOp::verify() {
  auto src = getSource().getType();
  auto dst = llvm::cast<RankedTensorType>(getType());
  if (src.getElementType() != dst.getElementType() || src.getRank() != dst.getRank())
    return emitOpError("source and result must have the same rank and element type");
  for (unsigned i = 0; i < src.getRank(); ++i)
    if (!sameDim(src, i, dst, i) && src.isDynamicDim(i) == dst.isDynamicDim(i))
      return emitOpError() << "dim " << i
                           << " must stay the same or switch between a static size "
                              "and a block-size slot";
  return verifyResultTypes(*this);
}

LogicalResult ExpandDimsOp::verify() {
  auto src = getSource().getType();
  auto dst = llvm::cast<RankedTensorType>(getType());
  int64_t axis = getAxis();
  if (axis < 0 || axis > src.getRank())
    return emitOpError() << "axis " << axis << " out of range for rank " << src.getRank();
  if (dst.getRank() != src.getRank() + 1 || dst.getDimSize(axis) != 1 ||
      src.getElementType() != dst.getElementType())
    return emitOpError("result must be the source with a size-1 dim inserted at axis");
  for (int64_t i = 0, j = 0; i < dst.getRank(); ++i) {
    if (i == axis)
      continue;
    if (!sameDim(src, j++, dst, i))
      return emitOpError("result must be the source with a size-1 dim inserted at axis");
  }
  return verifyResultTypes(*this);
}

LogicalResult ReshapeOp::verify() {
  auto src = getSource().getType();
  auto dst = llvm::cast<RankedTensorType>(getType());
  if (src.getElementType() != dst.getElementType())
    return emitOpError("source and result must have the same element type");
  auto staticCount = [](RankedTensorType t, SmallVectorImpl<int64_t> &slots) {
    int64_t n = 1;
    for (unsigned i = 0; i < t.getRank(); ++i) {
      if (t.isDynamicDim(i))
        slots.push_back(getBlockSlot(t, i));
      else
        n *= t.getDimSize(i);
    }
    llvm::sort(slots);
    return n;
  };
  SmallVector<int64_t> a, b;
  if (staticCount(src, a) != staticCount(dst, b) || a != b)
    return emitOpError() << "cannot reshape " << src << " to " << dst
                         << ": the element counts differ";
  return verifyResultTypes(*this);
}

LogicalResult ExtractSliceOp::verify() {
  auto src = getSource().getType();
  auto dst = llvm::cast<RankedTensorType>(getType());
  int64_t axis = getAxis(), offset = getOffset();
  if (src.getElementType() != dst.getElementType() || src.getRank() != dst.getRank())
    return emitOpError("source and result must have the same rank and element type");
  if (axis < 0 || axis >= src.getRank())
    return emitOpError() << "axis " << axis << " out of range for rank " << src.getRank();
  if (src.isDynamicDim(axis) || dst.isDynamicDim(axis))
    return emitOpError() << "dim " << axis << " must be static in the source and the result";
  int64_t size = dst.getDimSize(axis);
  if (offset < 0 || size < 1 || offset + size > src.getDimSize(axis))
    return emitOpError() << "slice [" << offset << ", " << offset + size << ") is outside dim " << axis
                         << " of size " << src.getDimSize(axis);
  for (int64_t i = 0; i < src.getRank(); ++i)
    if (i != axis && !sameDim(src, i, dst, i))
      return emitOpError() << "dim " << i << " must be the same in the source and the result";
  return verifyResultTypes(*this);
}

LogicalResult PermuteOp::verify() {
  auto src = getSource().getType();
  auto dst = llvm::cast<RankedTensorType>(getType());
  ArrayRef<int64_t> perm = getPermutation();
  SmallVector<bool> seen(src.getRank(), false);
  if (static_cast<int64_t>(perm.size()) != src.getRank())
    return emitOpError("permutation must have one entry per dim");
  for (int64_t p : perm) {
    if (p < 0 || p >= src.getRank() || seen[p])
      return emitOpError("permutation must contain each dim exactly once");
    seen[p] = true;
  }
  if (dst.getRank() != src.getRank() || dst.getElementType() != src.getElementType())
    return emitOpError("result must have the rank and element type of the source");
  for (auto [i, p] : llvm::enumerate(perm))
    if (!sameDim(dst, i, src, p))
      return emitOpError() << "result dim " << i << " must equal source dim " << p;
  return verifyResultTypes(*this);
}

//===----------------------------------------------------------------------===//
// Folders: shape ops of splat constants are splat constants, so masks that
// eliminate-masks proves all-true fold away through broadcasts.
//===----------------------------------------------------------------------===//

static OpFoldResult foldSplat(Attribute operand, Type resultType) {
  auto splat = llvm::dyn_cast_or_null<SplatElementsAttr>(operand);
  auto type = llvm::dyn_cast<RankedTensorType>(resultType);
  if (!splat || !type || !type.hasStaticShape() || type.getEncoding())
    return {};
  return SplatElementsAttr::get(type, splat.getSplatValue<Attribute>());
}

OpFoldResult FullOp::fold(FoldAdaptor adaptor) {
  auto type = getType();
  Attribute value = adaptor.getValue();
  if (!value || !type.hasStaticShape() || type.getEncoding() || type.getElementType().isIndex())
    return {};
  if (!llvm::isa<IntegerAttr, FloatAttr>(value))
    return {};
  return SplatElementsAttr::get(type, value);
}

OpFoldResult BroadcastOp::fold(FoldAdaptor adaptor) {
  if (getSource().getType() == getType())
    return getSource();
  return foldSplat(adaptor.getSource(), getType());
}

OpFoldResult ExpandDimsOp::fold(FoldAdaptor adaptor) {
  return foldSplat(adaptor.getSource(), getType());
}

OpFoldResult ReshapeOp::fold(FoldAdaptor adaptor) {
  if (getSource().getType() == getType())
    return getSource();
  return foldSplat(adaptor.getSource(), getType());
}

OpFoldResult RebindOp::fold(FoldAdaptor adaptor) {
  if (getSource().getType() == getType())
    return getSource();
  return foldSplat(adaptor.getSource(), getType());
}

OpFoldResult PermuteOp::fold(FoldAdaptor adaptor) {
  return foldSplat(adaptor.getSource(), getType());
}

//===----------------------------------------------------------------------===//
// Compute
//===----------------------------------------------------------------------===//

LogicalResult DotOp::verify() {
  auto a = getA().getType(), b = getB().getType(), acc = getAcc().getType();
  int64_t r = a.getRank();
  if ((r != 2 && r != 3) || b.getRank() != r || acc.getRank() != r)
    return emitOpError("a, b and acc must all be 2-d, or all 3-d (batched)");
  if (getType() != acc)
    return emitOpError("result type must equal the accumulator type");
  if (r == 3 && !(sameDim(a, 0, b, 0) && sameDim(a, 0, acc, 0)))
    return emitOpError("batch dims of a, b and acc differ");
  unsigned m = r - 2, k = r - 1;
  if (!sameDim(a, k, b, m))
    return emitOpError("contraction dims differ: a is [.., M, K], b must be [.., K, N]");
  if (!sameDim(a, m, acc, m) || !sameDim(b, k, acc, k))
    return emitOpError("accumulator must be [.., M, N]");
  Type ea = a.getElementType(), eb = b.getElementType(), ec = acc.getElementType();
  bool fp8 = llvm::isa<Float8E4M3FNType, Float8E5M2Type>(ea) &&
             llvm::isa<Float8E4M3FNType, Float8E5M2Type>(eb);
  if (ea != eb && !fp8)
    return emitOpError() << "a and b must have the same element type, got " << ea
                         << " and " << eb;
  if (!(ec.isF32() || ec.isF16() || ec.isInteger(32)))
    return emitOpError() << "accumulator must be f32, f16 or i32, got " << ec;
  StringRef p = getInputPrecision();
  if (p != "tf32" && p != "tf32x3" && p != "ieee" && p != "bf16x3")
    return emitOpError() << "unknown input_precision '" << p
                         << "'; expected tf32, tf32x3, ieee or bf16x3";
  return verifyResultTypes(*this);
}

/// The operand and combine-region rules tile.reduce and tile.scan share;
/// `resultOk(i, operandType)` checks result i against operand i.
template <typename Op>
LogicalResult verifyCombiner(Op op, function_ref<LogicalResult(unsigned, RankedTensorType)> resultOk) {
  if (op.getOperands().empty())
    return op.emitOpError("needs at least one operand");
  auto first = llvm::cast<RankedTensorType>(op.getOperands()[0].getType());
  int64_t axis = op.getAxis();
  if (axis < 0 || axis >= first.getRank())
    return op.emitOpError() << "axis " << axis << " out of range for rank " << first.getRank();
  unsigned n = op.getOperands().size();
  if (op->getNumResults() != n)
    return op.emitOpError("needs one result per operand");
  Block &combine = op.getCombine().front();
  if (combine.getNumArguments() != 2 * n)
    return op.emitOpError() << "combine region must take " << 2 * n << " scalars";
  for (unsigned i = 0; i < n; ++i) {
    auto t = llvm::cast<RankedTensorType>(op.getOperands()[i].getType());
    if (t.getRank() != first.getRank() || (i > 0 && !sameShape(t, first)))
      return op.emitOpError("all operands must have the same shape");
    if (failed(resultOk(i, t)))
      return failure();
    Type elt = t.getElementType();
    if (combine.getArgument(i).getType() != elt || combine.getArgument(n + i).getType() != elt)
      return op.emitOpError() << "combine arguments " << i << " and " << n + i << " must be " << elt;
  }
  auto yield = combine.empty() ? YieldOp() : llvm::dyn_cast<YieldOp>(combine.back());
  if (!yield || yield.getNumOperands() != n)
    return op.emitOpError() << "combine region must end with tile.yield of " << n << " values";
  for (unsigned i = 0; i < n; ++i)
    if (yield.getOperand(i).getType() != combine.getArgument(i).getType())
      return op.emitOpError() << "combine region yields a " << yield.getOperand(i).getType()
                              << " for operand " << i;
  return verifyResultTypes(op);
}

LogicalResult ReduceOp::verify() {
  int64_t axis = getAxis();
  return verifyCombiner(*this, [&](unsigned i, RankedTensorType t) -> LogicalResult {
    Type elt = t.getElementType();
    Type res = getResult(i).getType();
    if (t.getRank() == 1) {
      if (res != elt)
        return emitOpError() << "result " << i << " must be the scalar " << elt;
      return success();
    }
    auto rt = llvm::dyn_cast<RankedTensorType>(res);
    bool ok = rt && rt.getRank() == t.getRank() - 1 && rt.getElementType() == elt;
    for (int64_t d = 0, j = 0; ok && d < t.getRank(); ++d)
      if (d != axis)
        ok = sameDim(t, d, rt, j++);
    if (!ok)
      return emitOpError() << "result " << i << " must be the operand's shape without the reduced axis";
    return success();
  });
}

LogicalResult ScanOp::verify() {
  return verifyCombiner(*this, [&](unsigned i, RankedTensorType t) -> LogicalResult {
    auto rt = llvm::dyn_cast<RankedTensorType>(getResult(i).getType());
    if (!rt || rt.getElementType() != t.getElementType() || !sameShape(rt, t))
      return emitOpError() << "result " << i << " must have the operand's type";
    return success();
  });
}
