// The `tile` dialect: Helion's device-code IR.
#pragma once

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/CallInterfaces.h"
#include "mlir/Interfaces/ControlFlowInterfaces.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "dialects/TileOps/TileDialect.h.inc"

#define GET_TYPEDEF_CLASSES
#include "dialects/TileOps/TileTypes.h.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/TileOps/TileAttrs.h.inc"

#define GET_OP_CLASSES
#include "dialects/TileOps/TileOps.h.inc"

namespace helion::tile {

/// Checks a device tensor type: every dynamic dim must name a block-size slot
/// through a `#tile.dims` encoding. Emits an error on `op` and fails otherwise.
mlir::LogicalResult verifyDeviceTensorType(mlir::Operation *op, mlir::Type type,
                                           llvm::StringRef what);

/// The block-size slot of dim `dim` of `type`, or -1 when the dim is static.
int64_t getBlockSlot(mlir::RankedTensorType type, unsigned dim);

} // namespace helion::tile
