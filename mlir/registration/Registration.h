// Every dialect and pass Helion uses, registered in one place.
#pragma once

#include "mlir/IR/DialectRegistry.h"
#include "llvm/ADT/StringRef.h"

#include <optional>
#include <string>

namespace helion {
void registerDialects(mlir::DialectRegistry &registry);
/// Registers every pass and the named pipelines (registerPipelines).
void registerPasses();
/// `helion-to-ttir{block-sizes=.. loop-orders=.. l2-groupings=..
/// reduction-loops=.. index-bits=..}`: the whole compilation for one Config.
void registerPipelines();

/// Text that crashes MLIR's own parser (upstream bugs) must be refused before
/// parsing. Returns the offset of the first such spot in `text` and, in
/// `message`, what is wrong; std::nullopt when the text is safe to parse.
std::optional<size_t> findParserHazard(llvm::StringRef text, std::string &message);
} // namespace helion
