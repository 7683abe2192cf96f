"""Console entry points of the installed package (see pyproject.toml)."""
from __future__ import annotations

import os
import sys
import sysconfig


def _bundled(name: str) -> str | None:
    """helion/bin/<name> beside the package; an editable install imports the
    package from the source tree but installs the binary in site-packages."""
    dirs = [os.path.dirname(os.path.abspath(__file__))]
    dirs += [os.path.join(sysconfig.get_paths()[key], "helion") for key in ("platlib", "purelib")]
    for d in dirs:
        exe = os.path.join(d, "bin", name)
        if os.access(exe, os.X_OK):
            return exe
    return None


def helion_opt() -> None:
    """`helion-opt`: exec the MLIR opt tool bundled in helion/bin (every
    Helion dialect and pass; `helion-opt --help` lists them)."""
    exe = _bundled("helion-opt")
    if exe is None:
        sys.exit("helion-opt: the bundled binary helion/bin/helion-opt is missing; reinstall helion (pip install .)")
    os.execv(exe, [exe, *sys.argv[1:]])
