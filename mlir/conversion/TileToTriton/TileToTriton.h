// Conversion of the tile dialect to Triton's TTIR.
#pragma once

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace helion {

#define GEN_PASS_DECL
#include "conversion/TileToTriton/TileToTriton.h.inc"

#define GEN_PASS_REGISTRATION
#include "conversion/TileToTriton/TileToTriton.h.inc"

} // namespace helion
