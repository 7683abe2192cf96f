"""`helion.Settings`: how a kernel is compiled (not what it computes)."""
from __future__ import annotations

import dataclasses
import logging
import os

from .. import exc


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "") not in ("", "0", "false", "False")


@dataclasses.dataclass
class Settings:
    """Compilation settings, given as keyword arguments to `@helion.kernel`."""

    autotune_effort: str = "full"  # "none" uses the default config
    print_output_code: bool = dataclasses.field(default_factory=lambda: _env_flag("HELION_PRINT_OUTPUT_CODE"))
    print_repro: bool = False
    static_shapes: bool = True
    index_dtype: object = None  # torch.int32 (default) or torch.int64
    autotune_log_level: int = logging.INFO
    use_default_config: bool = dataclasses.field(default_factory=lambda: _env_flag("HELION_USE_DEFAULT_CONFIG"))

    def __post_init__(self) -> None:
        if self.autotune_effort not in ("none", "quick", "full"):
            raise exc.Base(f"autotune_effort must be 'none', 'quick' or 'full', got {self.autotune_effort!r}")
        if not self.static_shapes:
            raise exc.NotSupported("static_shapes=False is not supported yet; kernels specialize on shapes")

    @classmethod
    def names(cls) -> set[str]:
        return {f.name for f in dataclasses.fields(cls)}
