// helion-opt: run tile-dialect passes on textual IR (for compiler developers).
#include "Registration.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

#include <cstring>
#include <vector>

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  helion::registerDialects(registry);
  helion::registerPasses();
  // TTIR (the output of convert-tile-to-triton) is made of operations from
  // Triton's dialects, which are not linked in: accept them unregistered.
  std::vector<char *> args(argv, argv + argc);
  static char allow[] = "--allow-unregistered-dialect";
  bool given = false;
  for (int i = 1; i < argc; ++i)
    given |= std::strcmp(argv[i], allow) == 0;
  if (!given)
    args.insert(args.begin() + 1, allow);
  return mlir::asMainReturnCode(mlir::MlirOptMain(
      static_cast<int>(args.size()), args.data(), "Helion tile-dialect optimizer\n", registry));
}
