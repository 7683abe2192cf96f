#include "dialects/TileOps/TileDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace helion::tile;

#include "dialects/TileOps/TileDialect.cpp.inc"

#define GET_TYPEDEF_CLASSES
#include "dialects/TileOps/TileTypes.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/TileOps/TileAttrs.cpp.inc"

void TileDialect::initialize() {
  addTypes<
#define GET_TYPEDEF_LIST
#include "dialects/TileOps/TileTypes.cpp.inc"
      >();
  addAttributes<
#define GET_ATTRDEF_LIST
#include "dialects/TileOps/TileAttrs.cpp.inc"
      >();
  addOperations<
#define GET_OP_LIST
#include "dialects/TileOps/TileOps.cpp.inc"
      >();
}

Operation *TileDialect::materializeConstant(OpBuilder &builder, Attribute value,
                                           Type type, Location loc) {
  if (arith::ConstantOp::isBuildableWith(value, type))
    return builder.create<arith::ConstantOp>(loc, type, llvm::cast<TypedAttr>(value));
  return nullptr;
}

int64_t helion::tile::getBlockSlot(RankedTensorType type, unsigned dim) {
  auto dims = llvm::dyn_cast_or_null<BlockDimsAttr>(type.getEncoding());
  if (!dims || dim >= dims.getSlots().size())
    return -1;
  return dims.getSlots()[dim];
}

LogicalResult helion::tile::verifyDeviceTensorType(Operation *op, Type type,
                                                   StringRef what) {
  auto tensor = llvm::dyn_cast<RankedTensorType>(type);
  if (!tensor)
    return success();
  auto dims = llvm::dyn_cast_or_null<BlockDimsAttr>(tensor.getEncoding());
  if (!dims) {
    if (!tensor.hasStaticShape())
      return op->emitOpError() << what << " " << type
                               << " has dynamic dims but no #tile.dims encoding "
                                  "naming their block-size slots";
    return success();
  }
  if (dims.getSlots().size() != static_cast<size_t>(tensor.getRank()))
    return op->emitOpError() << what << " " << type << ": #tile.dims has "
                             << dims.getSlots().size() << " entries for rank "
                             << tensor.getRank();
  for (auto [i, slot] : llvm::enumerate(dims.getSlots())) {
    bool dynamic = tensor.isDynamicDim(i);
    if (dynamic && slot < 0)
      return op->emitOpError() << what << " " << type << ": dynamic dim " << i
                               << " has no block-size slot";
    if (!dynamic && slot >= 0)
      return op->emitOpError() << what << " " << type << ": static dim " << i
                               << " must have slot -1, got " << slot;
  }
  return success();
}

LogicalResult TileDialect::verifyOperationAttribute(Operation *op, NamedAttribute attr) {
  if (attr.getName() == getNumProgramsAttrHelper().getName()) {
    auto n = llvm::dyn_cast<IntegerAttr>(attr.getValue());
    // convert-tile-to-triton carries it over to the tt.func for the launcher.
    bool onKernel = llvm::isa<KernelOp>(op) || op->getName().getStringRef() == "tt.func";
    if (!onKernel || !n || !n.getType().isInteger(64) || n.getInt() < 0)
      return op->emitOpError() << "'" << attr.getName().getValue()
                               << "' must be a non-negative i64 on a tile.kernel";
    return success();
  }
  if (attr.getName() == getGridShapeAttrHelper().getName()) {
    auto shape = llvm::dyn_cast<DenseI64ArrayAttr>(attr.getValue());
    bool onKernel = llvm::isa<KernelOp>(op) || op->getName().getStringRef() == "tt.func";
    if (!onKernel || !shape || shape.size() != 3 || llvm::any_of(shape.asArrayRef(), [](int64_t n) { return n < 0; }))
      return op->emitOpError() << "'" << attr.getName().getValue()
                               << "' must be three non-negative sizes [x, y, z] on a tile.kernel";
    return success();
  }
  if (attr.getName() == getIndexBitsAttrHelper().getName()) {
    auto n = llvm::dyn_cast<IntegerAttr>(attr.getValue());
    bool onKernel = llvm::isa<KernelOp>(op) || op->getName().getStringRef() == "tt.func";
    if (!onKernel || !n || (n.getInt() != 32 && n.getInt() != 64))
      return op->emitOpError() << "'" << attr.getName().getValue() << "' must be 32 or 64 on a tile.kernel";
    return success();
  }
  if (attr.getName() == getIndexingFallbacksAttrHelper().getName()) {
    auto notes = llvm::dyn_cast<ArrayAttr>(attr.getValue());
    if (op->getName().getStringRef() != "tt.func" || !notes ||
        !llvm::all_of(notes, [](Attribute a) { return llvm::isa<StringAttr>(a); }))
      return op->emitOpError() << "'" << attr.getName().getValue() << "' must be a list of strings on a tt.func";
    return success();
  }
  return op->emitOpError() << "unknown tile dialect attribute '" << attr.getName().getValue() << "'";
}

LogicalResult TileDialect::verifyRegionArgAttribute(Operation *op, unsigned region,
                                                    unsigned argIndex, NamedAttribute attr) {
  if (attr.getName() == getAlignedAttrHelper().getName()) {
    Region &r = op->getRegion(region);
    if (!llvm::isa<KernelOp>(op) || !llvm::isa<UnitAttr>(attr.getValue()) || r.empty() ||
        argIndex >= r.front().getNumArguments() ||
        !llvm::isa<MemRefType>(r.front().getArgument(argIndex).getType()))
      return op->emitOpError() << "'" << attr.getName().getValue()
                               << "' is a unit attribute of tensor arguments of a tile.kernel";
    return success();
  }
  return op->emitOpError() << "unknown tile dialect argument attribute '" << attr.getName().getValue() << "'";
}
