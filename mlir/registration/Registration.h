// Every dialect and pass Helion uses, registered in one place.
#pragma once

#include "mlir/IR/DialectRegistry.h"

namespace helion {
void registerDialects(mlir::DialectRegistry &registry);
/// Registers every pass and the named pipelines (registerPipelines).
void registerPasses();
/// `helion-to-ttir{block-sizes=.. loop-orders=.. l2-groupings=..
/// reduction-loops=.. index-bits=..}`: the whole compilation for one Config.
void registerPipelines();
} // namespace helion
