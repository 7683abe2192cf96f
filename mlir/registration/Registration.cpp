#include "Registration.h"


#include "conversion/TileToTriton/TileToTriton.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/ADT/StringExtras.h"

void helion::registerDialects(mlir::DialectRegistry &registry) {
  registry.insert<tile::TileDialect, mlir::arith::ArithDialect,
                  mlir::math::MathDialect, mlir::scf::SCFDialect,
                  mlir::func::FuncDialect>();
}

void helion::registerPasses() {
  registerHelionPasses();
  registerTileToTritonPasses();

  mlir::registerCanonicalizerPass();
  mlir::registerCSEPass();
  mlir::registerSymbolDCEPass();
  registerPipelines();
}

std::optional<size_t> helion::findParserHazard(llvm::StringRef text, std::string &message) {
  // `array<index: ...>`: the dense-array parser asks `index` for a bit width
  // and crashes (LLVM 22). Line comments are skipped.
  size_t pos = 0;
  while ((pos = text.find("array", pos)) != llvm::StringRef::npos) {
    size_t lineStart = text.rfind('\n', pos);
    lineStart = lineStart == llvm::StringRef::npos ? 0 : lineStart + 1;
    bool inComment = text.slice(lineStart, pos).contains("//");
    llvm::StringRef rest = text.drop_front(pos + 5).ltrim();
    if (!inComment && rest.consume_front("<") && rest.ltrim().starts_with("index")) {
      llvm::StringRef after = rest.ltrim().drop_front(5);
      if (after.empty() || !(llvm::isAlnum(after.front()) || after.front() == '_')) {
        message = "dense arrays of 'index' are not supported; use array<i64: ...>";
        return pos;
      }
    }
    pos += 5;
  }
  return std::nullopt;
}
