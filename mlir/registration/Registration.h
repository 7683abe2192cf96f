// Every dialect and pass Helion uses, registered in one place.
#pragma once

#include "mlir/IR/DialectRegistry.h"

namespace helion {
void registerDialects(mlir::DialectRegistry &registry);
void registerPasses();
} // namespace helion
