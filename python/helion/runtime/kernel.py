"""`@helion.kernel`: host code runs as Python; the device loop is compiled
once per specialization and Config, and launched directly."""
from __future__ import annotations

import functools
import inspect
import sys
import time
import types
from typing import Any, Callable, Sequence

import torch

from .. import exc
from .. import language as hl
from ..compiler import pipeline
from ..frontend import host_split
from ..frontend.device_codegen import TracedKernel, trace
from .config import Config
from .settings import Settings


def _function_key(fn, _seen=None) -> tuple:
    """A host function that device code calls is traced inline, so it is keyed
    on its code and on what it closes over (values baked into the trace), not
    on its identity: a helper defined in host code is a new object each call."""
    seen = _seen or set()
    if id(fn) in seen:  # a closure that refers to itself
        return (types.FunctionType, fn.__code__)
    seen.add(id(fn))

    def value_key(v):
        if isinstance(v, torch.Tensor):
            return (v.dtype, v.device, v.shape, v.stride(), v.data_ptr() % 16 == 0)
        if isinstance(v, types.FunctionType):
            return _function_key(v, seen)
        try:
            hash(v)
        except TypeError:
            raise exc.NotSupported(f"function {fn.__name__} called from device code closes over a {type(v).__name__}; "
                                   "pass it as an argument") from None
        return (type(v), v)

    cells = []
    for c in fn.__closure__ or ():
        try:
            cells.append(value_key(c.cell_contents))
        except ValueError:  # an empty cell
            cells.append(None)
    defaults = tuple(value_key(d) for d in fn.__defaults__ or ())
    kwdefaults = tuple((k, value_key(d)) for k, d in sorted((fn.__kwdefaults__ or {}).items()))
    return (types.FunctionType, fn.__code__, tuple(cells), defaults, kwdefaults)


def _specialization_key(values: tuple) -> tuple:
    """Dtype, device, shape, strides and 16-byte alignment of each tensor;
    the value of each int/bool and hl.constexpr; only the type of floats
    (runtime args); the code and closure of each function."""
    key = []
    for v in values:
        if isinstance(v, torch.Tensor):
            key.append((v.dtype, v.device, v.shape, v.stride(), v.data_ptr() % 16 == 0))
        elif type(v) is float:
            key.append(float)
        elif isinstance(v, types.FunctionType):
            key.append(_function_key(v))
        else:
            if isinstance(v, hl.constexpr):
                v = (hl.constexpr, type(v.value), v.value)
            try:
                hash(v)
                key.append(v)
            except TypeError:
                raise exc.NotSupported(f"cannot pass a {type(v).__name__} into device code") from None
    return tuple(key)


class CompiledEntry:
    """One specialization compiled with one Config, ready to launch."""

    def __init__(self, traced: TracedKernel, config: Config, device: torch.device, settings: Settings) -> None:
        self.traced = traced
        self.config = config
        self.device = device
        self.ttir = pipeline.lower_to_ttir(traced, config)
        if settings.print_output_code:
            print(f"// helion: TTIR of {traced.name} with {config!r}\n{self.ttir.text}", file=sys.stderr)
        self.grid = self.ttir.num_programs
        self.arg_index = [a.index for a in traced.runtime_args]
        # (run, grid, stream_fn, function, packed): the CompiledKernel.run call
        # shape that both `launch` and the generated fast launcher use.
        if device.type == "cuda":
            ck = pipeline.compile_ttir(self.ttir, config)
            ck._init_handles()
            self.compiled = ck
            stream = functools.partial(torch._C._cuda_getCurrentRawStream, device.index or 0)
            run = ck.run if self.grid else _no_launch
            self.launch_tuple = (run, self.grid, stream, ck.function, ck.packed_metadata)
        elif device.type == "cpu":
            self.compiled = None
            self.launch_tuple = (self._cpu_run if self.grid else _no_launch, self.grid, _no_stream, None, None)
        else:
            raise exc.NotSupported(f"device {device} (CUDA and CPU are supported)")

    def launch(self, values: tuple) -> None:
        run, grid, stream, function, packed = self.launch_tuple
        run(grid, 1, 1, stream(), function, packed, None, None, None, *[values[i] for i in self.arg_index])

    def _cpu_run(self, gx, gy, gz, stream, function, packed, m, h1, h2, *args) -> None:
        from . import cpu_executor

        cpu_executor.run_ttir(self.ttir.text, (gx, gy, gz), list(args), kernel_name=self.traced.name)


def _no_launch(*args) -> None:
    """An empty grid launches nothing (CUDA rejects a zero-size grid)."""


def _no_stream() -> None:
    return None


def _make_fast_launcher(values: tuple, runtime_positions: list[int], slow, cache: dict):
    """Generate `launch(v0, v1, ...)` for this arity and these argument kinds:
    a flat specialization key, one dict lookup, and CompiledKernel.run with
    the runtime arguments; anything unexpected falls back to `slow`."""
    names = [f"v{i}" for i in range(len(values))]
    parts = []
    first_tensor = True
    for n, v in zip(names, values):
        if isinstance(v, torch.Tensor):
            # One device check suffices: mixed devices are rejected at compile time.
            parts.append(f"{n}.dtype, {n}.shape, {n}.stride(), {n}.data_ptr() & 15" + (f", {n}.is_cuda" if first_tensor else ""))
            first_tensor = False
        else:
            parts.append(f"function_key({n})" if isinstance(v, types.FunctionType)
                         else f"type({n}.value), {n}.value" if isinstance(v, hl.constexpr)
                         else f"type({n}), {n}" if type(v) is not float else f"type({n})")
    key_expr = f"({', '.join(parts)},)"
    runtime = ", ".join(names[i] for i in runtime_positions)
    sig = ", ".join(names)
    src = f"""
def flat_key({sig}):
    return {key_expr}

def launch({sig}):
    try:
        e = cache_get({key_expr})
    except Exception:
        e = None
    if e is None:
        return slow({sig})
    e[0](e[1], 1, 1, e[2](), e[3], e[4], None, None, None{', ' + runtime if runtime else ''})
"""
    ns = {"cache_get": cache.get, "slow": slow, "function_key": _function_key}
    exec(src, ns)  # noqa: S102 - generated from argument kinds only
    return ns["flat_key"], ns["launch"]


class _Specialization:
    """Everything cached for one specialization key."""

    def __init__(self, traced: TracedKernel, device: torch.device) -> None:
        self.traced = traced
        self.device = device
        self.entries: dict[Config, CompiledEntry] = {}
        self.best: CompiledEntry | None = None


class Kernel:
    """A compiled-on-demand Helion kernel; see `helion.kernel`."""

    def __init__(self, fn: Callable, *, configs: Sequence[Config | dict] | None = None,
                 settings: Settings | None = None, key: Callable | None = None) -> None:
        self.fn = fn
        self.settings = settings or Settings()
        self.configs = [c if isinstance(c, Config) else Config(**c) for c in (configs or [])]
        self.key = key
        self.signature = inspect.signature(fn)
        self._split = host_split.split_kernel(fn)
        self._specs: dict[tuple, _Specialization] = {}
        self._warned_default = False
        self._capture: list | None = None
        self._fast_cache: dict = {}
        self._flat_key = None
        self._host, self._host_globals = host_split.make_host_fn(self._split, self._launch)
        functools.update_wrapper(self, fn)

    # -- public API --------------------------------------------------------
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if kwargs:
            args = self.normalize_args(*args, **kwargs)
        return self._host(*args)

    def normalize_args(self, *args: Any, **kwargs: Any) -> tuple:
        bound = self.signature.bind(*args, **kwargs)
        bound.apply_defaults()
        return tuple(bound.args)

    def bind(self, args: tuple) -> BoundKernel:
        """Run the host code once to find the device loop's inputs; returns a
        BoundKernel for that specialization (nothing is launched)."""
        args = self.normalize_args(*args) if not isinstance(args, tuple) or len(args) != len(self.signature.parameters) else args
        self._capture = []
        fast = self._host_globals[host_split.LAUNCH_NAME]
        self._host_globals[host_split.LAUNCH_NAME] = self._launch
        try:
            self._host(*args)
        finally:
            captured, self._capture = self._capture, None
            self._host_globals[host_split.LAUNCH_NAME] = fast
        if not captured:
            raise exc.Base(f"kernel {self.fn.__name__} did not reach its device loop")
        return BoundKernel(self, captured[0])

    def specialization_key(self, args: Sequence[object]) -> tuple:
        extra = (self.key(*args),) if self.key else ()
        return _specialization_key(tuple(a for a in args)) + extra

    def reset(self) -> None:
        self._specs.clear()
        self._fast_cache.clear()

    def autotune(self, args, *, force: bool = True, **options):
        bound = self.bind(tuple(args))
        return bound.autotune(args, force=force, **options)

    # -- launch path ----------------------------------------------------------
    def _launch(self, *values: Any) -> None:
        if self._capture is not None:
            self._capture.append(values)
            return
        key = _specialization_key(values)
        spec = self._specs.get(key)
        if spec is None or spec.best is None:
            spec = self._prepare(values, key)
        spec.best.launch(values)
        self._install_fast_path(values, spec.best)

    def _install_fast_path(self, values: tuple, entry: CompiledEntry) -> None:
        if self._flat_key is None:
            self._flat_key, fast = _make_fast_launcher(values, entry.arg_index, self._launch, self._fast_cache)
            self._host_globals[host_split.LAUNCH_NAME] = fast
        try:
            self._fast_cache[self._flat_key(*values)] = entry.launch_tuple
        except Exception:
            pass  # argument kinds differ from the first call: the slow path serves them

    def _specialize(self, values: tuple, key: tuple) -> _Specialization:
        spec = self._specs.get(key)
        if spec is None:
            devices = {v.device for v in values if isinstance(v, torch.Tensor)}
            if len(devices) > 1:
                raise exc.Base(f"kernel {self.fn.__name__} got tensors on several devices: {sorted(map(str, devices))}")
            device = devices.pop() if devices else torch.device("cpu")
            spec = self._specs[key] = _Specialization(trace(self._split, values), device)
        return spec

    def _entry(self, spec: _Specialization, config: Config) -> CompiledEntry:
        config = pipeline.check_config(spec.traced, config)
        entry = spec.entries.get(config)
        if entry is None:
            entry = spec.entries[config] = CompiledEntry(spec.traced, config, spec.device, self.settings)
        return entry

    def _prepare(self, values: tuple, key: tuple) -> _Specialization:
        spec = self._specialize(values, key)
        if len(self.configs) == 1:
            spec.best = self._entry(spec, self.configs[0])
        elif len(self.configs) > 1:
            spec.best = self._pick_fastest(spec, values)
        else:
            if not self._warned_default:
                reason = "autotune_effort='none'" if self.settings.autotune_effort == "none" or self.settings.use_default_config \
                    else "no config= given and the autotuner is not available yet"
                print(f"[helion] {self.fn.__name__}: using the default config ({reason}): "
                      f"{pipeline.default_config(spec.traced)!r}", file=sys.stderr)
                self._warned_default = True
            spec.best = self._entry(spec, pipeline.default_config(spec.traced))
        return spec

    def _pick_fastest(self, spec: _Specialization, values: tuple) -> CompiledEntry:
        entries = [self._entry(spec, c) for c in self.configs]
        if spec.device.type != "cuda":
            return entries[0]  # nothing to time on the CPU
        from triton.testing import do_bench

        timings = []
        for e in entries:
            t = do_bench(lambda e=e: e.launch(values), warmup=5, rep=20)
            timings.append(t)
        best = min(range(len(entries)), key=timings.__getitem__)
        print(f"[helion] {self.fn.__name__}: {len(entries)} configs timed, best {timings[best]:.4f} ms: "
              f"{entries[best].config!r}", file=sys.stderr)
        return entries[best]


class BoundKernel:
    """A kernel specialized to one set of argument properties."""

    def __init__(self, kernel: Kernel, values: tuple) -> None:
        self.kernel = kernel
        self.values = values
        self.key = _specialization_key(values)
        self.spec = kernel._specialize(values, self.key)

    @property
    def tile_ir(self) -> str:
        return str(self.spec.traced.module)

    def default_config(self) -> Config:
        return pipeline.default_config(self.spec.traced)

    def to_triton_code(self, config: Config | dict | None = None) -> str:
        """The TTIR this kernel compiles to under `config`."""
        config = self._config(config)
        return pipeline.lower_to_ttir(self.spec.traced, pipeline.check_config(self.spec.traced, config)).text

    def compile_config(self, config: Config | dict | None = None) -> CompiledEntry:
        return self.kernel._entry(self.spec, self._config(config))

    def set_config(self, config: Config | dict) -> None:
        self.spec.best = self.compile_config(config)
        self.kernel._fast_cache.clear()

    def autotune(self, args, *, force: bool = True, **options) -> Config:
        raise exc.NotSupported("the autotuner is not implemented yet; pass config= or configs=[...]")

    def __call__(self, *args):
        return self.kernel(*args)

    def _config(self, config) -> Config:
        if config is None:
            if self.spec.best is not None:
                return self.spec.best.config
            if len(self.kernel.configs) == 1:
                return self.kernel.configs[0]
            return self.default_config()
        return config if isinstance(config, Config) else Config(**config)


def kernel(fn: Callable | None = None, *, config: Config | dict | None = None,
           configs: Sequence[Config | dict] | None = None, key: Callable | None = None, **settings: Any):
    """Decorator: `@helion.kernel()` or `@helion.kernel(config=..., **settings)`."""
    unknown = set(settings) - Settings.names()
    if unknown:
        raise exc.Base(f"unknown helion.kernel settings: {sorted(unknown)}; known: {sorted(Settings.names())}")
    if config is not None and configs is not None:
        raise exc.Base("give either config= or configs=, not both")
    all_configs = [config] if config is not None else list(configs or [])

    def wrap(f: Callable) -> Kernel:
        return Kernel(f, configs=all_configs, settings=Settings(**settings), key=key)

    return wrap(fn) if fn is not None else wrap
