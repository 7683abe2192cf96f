# lit configuration: runs helion-opt on tests/lit/**/*.mlir and checks the
# output with FileCheck.
import glob
import os
import sysconfig

import lit.formats

config.name = "Helion"
config.test_format = lit.formats.ShTest(execute_external=False)
config.suffixes = [".mlir"]
config.excludes = ["Inputs"]
config.test_source_root = os.path.dirname(__file__)
repo = os.path.dirname(os.path.dirname(config.test_source_root))


def find_helion_opt():
    if os.environ.get("HELION_OPT"):
        return os.environ["HELION_OPT"]
    candidates = []
    for key in ("platlib", "purelib"):
        candidates.append(os.path.join(sysconfig.get_paths()[key], "helion", "bin", "helion-opt"))
    candidates += sorted(glob.glob(os.path.join(repo, "build", "*", "mlir", "tools", "helion-opt", "helion-opt")))
    for c in candidates:
        if os.path.isfile(c) and os.access(c, os.X_OK):
            return c
    lit_config.fatal("helion-opt not found: run `make build` or set HELION_OPT")


helion_opt = find_helion_opt()
llvm_bin = "/usr/lib/llvm-22/bin"
config.environment["PATH"] = os.pathsep.join(
    [os.path.dirname(helion_opt), llvm_bin, config.environment.get("PATH", os.environ.get("PATH", ""))]
)
config.substitutions.append(("helion-opt", helion_opt))
for tool in ("FileCheck", "not"):
    if not os.path.exists(os.path.join(llvm_bin, tool)):
        lit_config.fatal(f"{tool} not found in {llvm_bin}: apt-get install llvm-22-tools")
lit_config.note(f"using {helion_opt}")
