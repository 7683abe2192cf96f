// helion-opt: run tile-dialect passes on textual IR (for compiler developers).
#include "Registration.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

#include <cstring>
#include <vector>

using namespace mlir;

int main(int argc, char **argv) {
  DialectRegistry registry;
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
  int n = static_cast<int>(args.size());
  auto [inputName, outputName] = registerAndParseCLIOptions(
      n, args.data(), "Helion tile-dialect optimizer\n", registry);
  MlirOptMainConfig config = MlirOptMainConfig::createFromCLOptions();
  if (config.shouldShowDialects() || config.shouldListPasses())
    return asMainReturnCode(MlirOptMain(n, args.data(), inputName, outputName, registry));

  // Read the input here so that text known to crash MLIR's parser is refused
  // with an error instead.
  std::string error;
  std::unique_ptr<llvm::MemoryBuffer> input = openInputFile(inputName, &error);
  if (!input) {
    llvm::errs() << error << "\n";
    return 1;
  }
  std::string hazard;
  if (std::optional<size_t> at = helion::findParserHazard(input->getBuffer(), hazard)) {
    llvm::SourceMgr sources;
    llvm::StringRef text = input->getBuffer();
    sources.AddNewSourceBuffer(std::move(input), llvm::SMLoc());
    sources.PrintMessage(llvm::SMLoc::getFromPointer(text.data() + *at),
                         llvm::SourceMgr::DK_Error, hazard);
    return 1;
  }
  std::unique_ptr<llvm::ToolOutputFile> output = openOutputFile(outputName, &error);
  if (!output) {
    llvm::errs() << error << "\n";
    return 1;
  }
  if (failed(MlirOptMain(output->os(), std::move(input), registry, config)))
    return 1;
  output->keep();
  return 0;
}
