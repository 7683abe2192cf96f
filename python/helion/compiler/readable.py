"""Generated code for people: the TTIR in Triton's own assembly form (parsed
and re-printed by Triton's MLIR bindings) with the user's source lines as
locations, and optionally the PTX.

The generic-form TTIR of `pipeline.lower_to_ttir` stays what is compiled and
cached; this module only prints."""
from __future__ import annotations

import linecache
import os
import re
import tempfile

from ..config import Config
from ..frontend.device_codegen import TracedKernel
from . import pipeline

_LOC_DEF = re.compile(r'^(#loc\d*) = loc\("(?P<file>[^"]+)":(?P<line>\d+):(?P<col>\d+)\)\s*$')


def generic_ttir_with_locations(traced: TracedKernel, config: Config) -> str:
    """The same TTIR as lower_to_ttir, printed with its locations."""
    module = traced.module.clone()
    module.run_passes(pipeline.pass_pipeline(config))
    return module.to_string(generic=True, debug_info=True)


def _triton_context():
    from triton._C.libtriton import ir
    from triton.backends.compiler import GPUTarget
    from triton.compiler.compiler import make_backend

    ctx = ir.context()
    ir.load_dialects(ctx)
    make_backend(GPUTarget("cuda", 90, 32)).load_dialects(ctx)
    return ir, ctx


def pretty(generic_text: str) -> str:
    """Re-print generic-form TTIR through Triton's parser and printer; each
    `#locN = loc("file":line:col)` gets the source line as a comment."""
    ir, ctx = _triton_context()
    fd, path = tempfile.mkstemp(suffix=".ttir")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(generic_text)
        text = ir.parse_mlir_module(path, ctx).str()
    finally:
        os.unlink(path)
    return "\n".join(_with_source(line) for line in text.splitlines()) + "\n"


def _with_source(line: str) -> str:
    m = _LOC_DEF.match(line)
    if m is None:
        return line
    source = linecache.getline(m["file"], int(m["line"])).strip()
    return f"{line}  // {source}" if source else line


def ptx(ttir: pipeline.TTIRResult, config: Config) -> tuple[str, str]:
    """(target name, PTX) for the current GPU, or sm_90 without one."""
    import torch
    from triton.backends.compiler import GPUTarget

    target = None if torch.cuda.is_available() else GPUTarget("cuda", 90, 32)
    compiled = pipeline.compile_ttir(ttir, config, target=target)
    arch = compiled.metadata.target.arch if hasattr(compiled.metadata, "target") else 90
    return f"sm_{arch}", compiled.asm["ptx"]


def render(traced: TracedKernel, config: Config, *, with_ptx: bool = False) -> str:
    """The readable TTIR of `traced` under a normalized `config`, and its PTX."""
    text = pretty(generic_ttir_with_locations(traced, config))
    if with_ptx:
        arch, code = ptx(pipeline.lower_to_ttir(traced, config), config)
        text += f"\n// ---- PTX for {arch} ----\n{code}"
    return text
