"""`helion.Settings`: how a kernel is compiled (not what it computes)."""
from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import random
import warnings

from .. import exc


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "") not in ("", "0", "false", "False")


def _env_int(name: str, default: int | None) -> int:
    text = os.environ.get(name, "")
    if not text:
        # No seed given: a fresh one per process (logged at DEBUG, so a run can be repeated).
        return default if default is not None else random.randrange(1 << 31)
    try:
        return int(text)
    except ValueError:
        raise exc.InvalidSetting(f"environment variable {name} must be an integer, got {text!r}") from None


@dataclasses.dataclass
class Settings:
    """Compilation settings, given as keyword arguments to `@helion.kernel`."""

    # "none" uses the default config; "quick" and "full" tune on the first call of each specialization.
    autotune_effort: str = dataclasses.field(default_factory=lambda: os.environ.get("HELION_AUTOTUNE_EFFORT") or "full")
    print_output_code: bool = dataclasses.field(default_factory=lambda: _env_flag("HELION_PRINT_OUTPUT_CODE"))
    print_ptx: bool = dataclasses.field(default_factory=lambda: _env_flag("HELION_PRINT_PTX"))  # with print_output_code
    # Print a standalone reproducer script for each new specialization and with
    # every InternalError (which always names the script's file).
    print_repro: bool = dataclasses.field(default_factory=lambda: _env_flag("HELION_PRINT_REPRO"))
    # False: shapes whose dims (and int inputs) fall in the same 0 / 1 / >=2 buckets share one tuned config;
    # each exact shape still compiles once (runtime/kernel.py: _bucket_key).
    static_shapes: bool = True
    index_dtype: object = None  # torch.int32 (default) or torch.int64
    autotune_log_level: int = logging.INFO
    use_default_config: bool = dataclasses.field(default_factory=lambda: _env_flag("HELION_USE_DEFAULT_CONFIG"))
    # Autotuner (helion.autotuner): tune even when config=/configs= are given.
    force_autotune: bool = dataclasses.field(default_factory=lambda: _env_flag("HELION_FORCE_AUTOTUNE"))
    autotune_random_seed: int = dataclasses.field(default_factory=lambda: _env_int("HELION_AUTOTUNE_RANDOM_SEED", None))
    autotune_compile_timeout: int = dataclasses.field(default_factory=lambda: _env_int("HELION_AUTOTUNE_COMPILE_TIMEOUT", 60))
    autotune_benchmark_timeout: int = 60  # seconds for one candidate's check and timing (a hang is killed)
    autotune_precompile: bool = True  # False: compile candidates one by one in this process (debugging)
    autotune_accuracy_check: bool = True
    autotune_baseline_fn: object = None  # called with the kernel's args; returns its expected outputs
    autotune_baseline_atol: float = 1e-2
    autotune_baseline_rtol: float = 1e-2
    autotune_skip_cache: bool = dataclasses.field(default_factory=lambda: _env_flag("HELION_SKIP_CACHE"))
    autotune_search: object = dataclasses.field(default_factory=lambda: os.environ.get("HELION_AUTOTUNE_SEARCH") or None)
    # A JSON file of shipped configs (python -m helion.aot); helion/aot.py states the lookup rule.
    aot_configs: object = dataclasses.field(default_factory=lambda: os.environ.get("HELION_AOT_CONFIGS") or None)
    # Specializations (traced and compiled shapes/dtypes) kept per kernel; the
    # least recently compiled-or-used one is dropped beyond this.
    max_specializations: int = 64
    # Warning classes (e.g. helion.exc.TensorOperationInWrapper) not shown while this kernel traces and compiles.
    ignore_warnings: list = dataclasses.field(default_factory=list)
    # How fp32 x fp32 dots (torch.matmul/mm/addmm/bmm, hl.dot) multiply: "tf32" (tensor cores, the
    # default), "tf32x3" (three tf32 products, ~fp32 accurate) or "ieee" (full fp32).
    dot_precision: str = "tf32"
    # Config fields (e.g. {"num_warps": 4}) forced onto the default config and every config the autotuner tries.
    autotune_config_overrides: dict = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):  # annotations are strings (postponed evaluation)
            value = getattr(self, f.name)
            if f.type == "bool" and not isinstance(value, bool):
                raise exc.InvalidSetting(f"setting {f.name} must be True or False, got {value!r}")
            if f.type == "int" and (not isinstance(value, int) or isinstance(value, bool)):
                raise exc.InvalidSetting(f"setting {f.name} must be an int, got {value!r}")
        if self.autotune_effort not in ("none", "quick", "full"):
            raise exc.InvalidSetting(f"autotune_effort must be 'none', 'quick' or 'full', got {self.autotune_effort!r}")
        if self.max_specializations < 1:
            raise exc.InvalidSetting(f"max_specializations must be at least 1, got {self.max_specializations}")
        if self.index_dtype is not None and repr(self.index_dtype) not in ("torch.int32", "torch.int64"):
            raise exc.InvalidSetting(f"index_dtype must be torch.int32 or torch.int64, got {self.index_dtype!r}")
        if self.aot_configs is not None and not isinstance(self.aot_configs, (str, os.PathLike)):
            raise exc.InvalidSetting(f"aot_configs must be a path to a JSON file, got {self.aot_configs!r}")
        if isinstance(self.ignore_warnings, type):
            self.ignore_warnings = [self.ignore_warnings]
        if not isinstance(self.ignore_warnings, (list, tuple)) or not all(
                isinstance(w, type) and issubclass(w, Warning) for w in self.ignore_warnings):
            raise exc.InvalidSetting(f"ignore_warnings must be a list of Warning classes, got {self.ignore_warnings!r}")
        self.ignore_warnings = list(self.ignore_warnings)
        if self.dot_precision not in ("tf32", "tf32x3", "ieee"):
            raise exc.InvalidSetting(f"dot_precision must be 'tf32', 'tf32x3' or 'ieee', got {self.dot_precision!r}")
        if not isinstance(self.autotune_config_overrides, dict) or not all(
                isinstance(k, str) for k in self.autotune_config_overrides):
            raise exc.InvalidSetting("autotune_config_overrides must be a dict of Config field names to values, got "
                                     f"{self.autotune_config_overrides!r}")
        if self.autotune_config_overrides:
            from ..config import Config

            try:
                Config(**self.autotune_config_overrides)
            except exc.InvalidConfig as e:
                raise exc.InvalidSetting(f"autotune_config_overrides: {e}") from None

    def silenced(self):
        """A context in which the warnings of `ignore_warnings` are not shown."""
        if not self.ignore_warnings:
            return contextlib.nullcontext()
        stack = contextlib.ExitStack()
        stack.enter_context(warnings.catch_warnings())
        for cls in self.ignore_warnings:
            warnings.filterwarnings("ignore", category=cls)
        return stack

    def forced(self, config, config_spec=None):
        """`config` with `autotune_config_overrides` applied (normalized by `config_spec` when given)."""
        if not self.autotune_config_overrides:
            return config
        from ..config import Config

        merged = Config(**{**config.config, **self.autotune_config_overrides})
        return config_spec.normalize(merged) if config_spec is not None else merged

    def apply_dot_precision(self, module) -> None:
        """Set every fp32 tile.dot of a traced module to `dot_precision`."""
        if self.dot_precision == "tf32":
            return
        def walk(op):
            for region in op.regions:
                for block in region.blocks:
                    for inner in block.operations:
                        yield inner
                        yield from walk(inner)

        for op in walk(module.body.operations[0]):
            if op.name == "tile.dot" and op.attributes.get("input_precision") == "tf32":
                op.set_attribute("input_precision", self.dot_precision)

    @classmethod
    def names(cls) -> set[str]:
        return {f.name for f in dataclasses.fields(cls)}
