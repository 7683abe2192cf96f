// helion-opt: run tile-dialect passes on textual IR (for compiler developers).
#include "Registration.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  helion::registerDialects(registry);
  helion::registerPasses();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "Helion tile-dialect optimizer\n", registry));
}
