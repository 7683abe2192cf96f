"""`@helion.kernel`: host code runs as Python; the device loop is compiled
once per specialization and Config, and launched directly."""
from __future__ import annotations

import collections
import functools
import inspect
import logging
import sys
import threading
import time
import types
from typing import Any, Callable, Sequence

import torch

from .. import exc
from .. import language as hl
from ..compiler import pipeline
from ..frontend import host_split
from ..frontend.device_codegen import TracedKernel, trace
from ..autotuner import cache as autotune_cache
from ..autotuner.config_spec import ConfigSpec
from ..config import Config
from . import arguments, phases, repro, torch_op
from .settings import Settings

log = logging.getLogger(__name__)  # HELION_LOGS=kernel (helion/runtime/logs.py)


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


def _size_bucket(n: int) -> int:
    """0, 1 or 2 (standing for 2 or more); -1 for a negative int."""
    return -1 if n < 0 else min(n, 2)


def _bucket_key(values: tuple, wide_index: bool) -> tuple:
    """static_shapes=False: the key of the tuned config that every shape of
    one bucket shares (each exact shape still compiles on its own): per
    tensor its dtype, device type, each dim and stride as 0, 1 or >=2, and
    16-byte alignment; sizes that host code hands the device loop (ints,
    x.size(), the extent of hl.register_block_size) bucketed the same way; a
    function by its name and source; other values as in _specialization_key;
    last, whether indexing is 64-bit. Its repr is the same in every process:
    the disk cache keys on it."""
    key = []
    for v in values:
        if isinstance(v, torch.Tensor):
            key.append((str(v.dtype).removeprefix("torch."), v.device.type, tuple(map(_size_bucket, v.shape)),
                        tuple(map(_size_bucket, v.stride())), v.data_ptr() % 16 == 0))
        elif type(v) is int:
            key.append(("int", _size_bucket(v)))
        elif isinstance(v, tuple) and all(type(d) is int for d in v):
            key.append(("sizes", tuple(map(_size_bucket, v))))
        elif isinstance(v, hl.RegisteredBlockSize):
            extent = None if v.extent is None else _size_bucket(v.extent)
            key.append(("block_size", extent, v.min_size, v.max_size, v.pinned))
        elif isinstance(v, types.FunctionType):
            key.append(("function", v.__qualname__, autotune_cache.kernel_source(v)))
        else:
            key += _specialization_key((v,))
    return (*key, ("index_bits", 64 if wide_index else 32))


class CompiledEntry:
    """One specialization compiled with one Config, ready to launch."""

    def __init__(self, traced: TracedKernel, config: Config, device: torch.device, settings: Settings) -> None:
        self.traced = traced
        self.config = config
        self.device = device
        start = time.perf_counter()
        with repro.internal_errors("the pass pipeline", None, config):
            self.ttir = pipeline.lower_to_ttir(traced, config)
        log.debug("%s: passes for %r took %.1f ms", traced.name, config, 1e3 * (time.perf_counter() - start))
        if settings.print_output_code:  # Triton's readable form, with source lines (and PTX: print_ptx)
            from ..compiler import readable

            code = readable.render(traced, config, with_ptx=settings.print_ptx)
            print(f"// helion: TTIR of {traced.name} with {config!r}\n{code}", file=sys.stderr)
        self.grid = self.ttir.grid
        self.arg_index = [a.index for a in traced.runtime_args]
        # (launch, gx, gy, gz, stream_fn, tail, pointers): the call
        #   launch(gx, gy, gz, stream_fn(), *tail, *runtime_args)
        # that both `launch` and the generated fast launcher make; with
        # `pointers`, tensors are passed as their data_ptr() ints.
        if device.type == "cuda":
            start = time.perf_counter()
            with repro.internal_errors("triton.compile", None, config):
                ck = pipeline.compile_ttir(self.ttir, config, load=True)
            log.debug("%s: triton.compile and load took %.1f ms", traced.name, 1e3 * (time.perf_counter() - start))
            self.compiled = ck
            stream = functools.partial(torch._C._cuda_getCurrentRawStream, device.index or 0)
            launch, tail = _cuda_launch_call(ck)
            self.launch_tuple = (launch if self.ttir.num_programs else _no_launch, *self.grid, stream, tail, True)
        elif device.type == "cpu":
            self.compiled = None
            self.launch_tuple = (self._cpu_run if self.ttir.num_programs else _no_launch, *self.grid, _no_stream, (), False)
        else:
            raise exc.NotSupported(f"device {device} (CUDA and CPU are supported)")

    def launch(self, values: tuple) -> None:
        launch, gx, gy, gz, stream, tail, pointers = self.launch_tuple
        args = [values[i] for i in self.arg_index]
        if pointers:
            args = [a.data_ptr() if isinstance(a, torch.Tensor) else a for a in args]
        launch(gx, gy, gz, stream(), *tail, *args)

    def _cpu_run(self, gx, gy, gz, stream, *args) -> None:
        from . import cpu_executor

        with repro.internal_errors("the CPU executor", None, self.config):
            cpu_executor.run_ttir(self.ttir.text, (gx, gy, gz), list(args), kernel_name=self.traced.name)


def _cuda_launch_call(ck):
    """(launch function, fixed arguments after the stream) for a Triton
    CompiledKernel. Triton's launcher object wraps a C `launch`; when the
    kernel needs no scratch memory we call that C function directly, which
    skips the wrapper's per-call Python work. Pointers go in as ints, which
    skips its per-pointer driver query (our specialization key already
    checks that every tensor is on the GPU)."""
    launcher = ck.run
    direct = getattr(launcher, "launch", None)
    if (direct is not None and getattr(launcher, "global_scratch_size", 1) == 0
            and getattr(launcher, "profile_scratch_size", 1) == 0
            and hasattr(launcher, "launch_cooperative_grid") and hasattr(launcher, "launch_pdl")):
        return direct, (ck.function, launcher.launch_cooperative_grid, launcher.launch_pdl, None, None,
                        ck.packed_metadata, None, None, None)
    if getattr(launcher, "global_scratch_size", 0):
        launcher = _with_scratch_allocator(launcher)
    return launcher, (ck.function, ck.packed_metadata, None, None, None)


def _with_scratch_allocator(launcher):
    """Kernels that need global scratch memory (TMA descriptors made on the
    device) get it from Triton's allocator, a per-thread context variable
    that is unset by default: unless the user set one, use torch's."""
    from triton.runtime import _allocation

    def launch(*args):
        if _allocation._allocator.get() is _allocation._NULL_ALLOCATOR:
            _allocation.set_allocator(_torch_scratch)
        return launcher(*args)
    return launch


def _torch_scratch(size: int, alignment: int, stream) -> torch.Tensor:
    return torch.empty(size, dtype=torch.int8, device="cuda")


def _no_launch(*args) -> None:
    """An empty grid launches nothing (CUDA rejects a zero-size grid)."""


def _no_stream() -> None:
    return None


def _value_kind(v) -> str:
    if isinstance(v, torch.Tensor):
        return "tensor"
    if isinstance(v, types.FunctionType):
        return "function"
    if isinstance(v, hl.constexpr):
        return "constexpr"
    return "float" if type(v) is float else "value"


try:  # a C++ check of dtype, device, shape and strides of several tensors
    from torch._C._dynamo.guards import TensorGuards as _TensorGuards
except ImportError:  # pragma: no cover - older torch
    _TensorGuards = None


def _hot_entry(values: tuple, launch_tuple):
    """(tensor check, launch tuple, expected scalars) for the launcher's hot
    path, or None when these values cannot take it (unaligned tensors,
    functions)."""
    if _TensorGuards is None:
        return None
    tensors = [v for v in values if isinstance(v, torch.Tensor)]
    if not tensors or any(t.data_ptr() & 15 for t in tensors) or any(isinstance(v, types.FunctionType) for v in values):
        return None
    scalars = []
    for v in values:
        if isinstance(v, hl.constexpr):
            scalars += [type(v.value), v.value]
        elif not isinstance(v, torch.Tensor) and type(v) is not float:
            scalars += [type(v), v]
    guards = _TensorGuards(*tensors, dynamic_dims_sizes=None, dynamic_dims_strides=None)
    return (guards.check, launch_tuple, tuple(scalars))


def _make_fast_launcher(values: tuple, runtime_positions: list[int], slow, cache: dict, hot: list):
    """Generate `launch(v0, v1, ...)` for this arity and these argument kinds.
    Hot path: the last specialization launched, checked by one C++ tensor
    guard, a 16-byte alignment test and the scalars' values. Otherwise a flat
    specialization key and one dict lookup. Both end in CompiledKernel.run
    with the runtime arguments; anything unexpected falls back to `slow`."""
    names = [f"v{i}" for i in range(len(values))]
    parts, tensors, hot_checks = [], [], []
    k = 0  # next index into the hot entry's expected scalars
    for n, v in zip(names, values):
        kind = _value_kind(v)
        if kind == "tensor":
            parts.append(f"{n}.dtype, {n}.shape, {n}.stride(), {n}.data_ptr() & 15, {n}.is_cuda")
            tensors.append(n)
        elif kind == "function":
            parts.append(f"function_key({n})")
        elif kind == "constexpr":
            parts.append(f"type({n}.value), {n}.value")
            hot_checks.append(f"type({n}) is constexpr and type({n}.value) is h[2][{k}] and {n}.value == h[2][{k + 1}]")
            k += 2
        elif kind == "float":
            parts.append(f"type({n})")
            hot_checks.append(f"type({n}) is float")
        else:
            parts.append(f"type({n}), {n}")
            hot_checks.append(f"type({n}) is h[2][{k}] and {n} == h[2][{k + 1}]")
            k += 2
    key_expr = f"({', '.join(parts)},)"
    runtime = ", ".join(names[i] for i in runtime_positions)
    ptr = {n: f"p{n[1:]}" for n in tensors}  # each tensor's data_ptr(), read once
    runtime_ptrs = ", ".join(ptr.get(names[i], names[i]) for i in runtime_positions)
    sig = ", ".join(names)

    def call(indent: str) -> str:
        tail = f", {runtime}" if runtime else ""
        tail_ptrs = f", {runtime_ptrs}" if runtime else ""
        return (f"{indent}if e[6]:\n{indent}    e[0](e[1], e[2], e[3], e[4](), *e[5]{tail_ptrs})\n"
                f"{indent}else:\n{indent}    e[0](e[1], e[2], e[3], e[4](), *e[5]{tail})\n")

    reads = ("    try:\n" + "".join(f"        {ptr[t]} = {t}.data_ptr()\n" for t in tensors)
             + f"    except Exception:\n        return slow({sig})\n") if tensors else ""
    launch_key = key_expr
    for t in tensors:
        launch_key = launch_key.replace(f"{t}.data_ptr() & 15", f"{ptr[t]} & 15")
    hot_test = " and ".join([f"not (({' | '.join(ptr[t] for t in tensors)}) & 15)"] + hot_checks)
    hot_path = (f"    h = hot[0]\n"
                f"    if h is not None and h[0]({', '.join(tensors)}) and {hot_test}:\n"
                f"        e = h[1]\n{call('        ')}        return\n") if tensors else ""
    src = f"""
def flat_key({sig}):
    return {key_expr}

def launch({sig}):
{reads}{hot_path}    try:
        e = cache_get({launch_key})
    except Exception:
        e = None
    if e is None:
        return slow({sig})
{call('    ')}"""
    ns = {"cache_get": cache.get, "slow": slow, "function_key": _function_key, "hot": hot, "constexpr": hl.constexpr}
    exec(src, ns)  # noqa: S102 - generated from argument kinds only
    return ns["flat_key"], ns["launch"]


class _Specialization:
    """Everything cached for one specialization key."""

    def __init__(self, traced: TracedKernel, device: torch.device, tunables: dict | None = None) -> None:
        self.traced = traced
        self.device = device
        self.tunables = tunables  # hl.register_tunable name -> (fragment, value the host code used)
        self.entries: dict[Config, CompiledEntry] = {}
        self.best: CompiledEntry | None = None
        self._config_spec: ConfigSpec | None = None
        self.bucket: tuple | None = None  # static_shapes=False: _bucket_key (+ the key= function's value)

    @property
    def config_spec(self) -> ConfigSpec:
        if self._config_spec is None:
            self._config_spec = ConfigSpec(self.traced, self.tunables)
        return self._config_spec


def _as_config(c, where: str | None) -> Config:
    if isinstance(c, Config):
        return c
    if isinstance(c, dict):
        return Config(**c)
    raise exc.InvalidSetting(f"config= and configs=[...] take helion.Config objects (or dicts of Config fields), "
                             f"got {type(c).__name__} {c!r}", location=where)


class Kernel:
    """A compiled-on-demand Helion kernel; see `helion.kernel`."""

    _launch_hook = host_split.LAUNCH_NAME  # the host code's name of the launch this object serves

    def __init__(self, fn: Callable, *, configs: Sequence[Config | dict] | None = None,
                 settings: Settings | None = None, key: Callable | None = None) -> None:
        self.fn = fn
        self.settings = settings or Settings()
        code = getattr(fn, "__code__", None)
        where = f"{code.co_filename}:{code.co_firstlineno}" if code else None
        self.configs = [_as_config(c, where) for c in (configs or [])]
        if key is not None and not callable(key):
            raise exc.InvalidSetting(f"key= must be a function of the kernel's arguments, got {key!r}", location=where)
        self.key = key
        self._split = host_split.split_kernel(fn)  # first: it explains what is not a kernel function
        self._split.host_configs = self.configs
        self.signature = inspect.signature(fn)
        # Specializations, least recently used first; at most settings.max_specializations.
        self._specs: collections.OrderedDict[tuple, _Specialization] = collections.OrderedDict()
        # static_shapes=False: (device, bucket) -> the Config tuned for a shape of that bucket.
        self._tuned: dict[tuple, Config] = {}
        # Held while tracing, compiling and changing what launches. The launch
        # hot path takes no lock: it reads one list slot and one dict, which
        # are replaced whole under this lock.
        self._lock = threading.RLock()
        self._warned_default = False
        self._fast_cache: dict = {}
        self._hot: list = [None]  # the fast launcher's hot entry (see _make_fast_launcher)
        self._flat_key = None
        self._fast_kinds: list[str] = []
        self._host, self._host_globals = host_split.make_host_fn(self._split, self._launch)
        # bind() runs its own copy of the host code, whose launch records the
        # values for the calling thread only: other threads' calls still launch.
        self._captures = threading.local()
        self._capture_host, _ = host_split.make_host_fn(self._split, self._capture_launch)
        self._host_codes = arguments.host_codes(self._host, self._capture_host)
        # Several top-level device loops: each is a phase with its own launches (_PhaseKernel).
        self._phases = [_PhaseKernel(self, i) for i in range(len(self._split.loops))] if len(self._split.loops) > 1 else []
        for phase in self._phases:
            self._host_globals[phase._launch_hook] = phase._launch
        if self._phases and self.settings.aot_configs:
            raise exc.NotSupported(f"kernel {fn.__name__} has several device loops: aot_configs does not take such "
                                   "kernels yet; give config= (the loops' entries one after another)", location=where)
        if self.settings.print_repro or (key is not None and not self.settings.static_shapes):
            self._host = self._recording_host(self._host)  # key= reads the call's arguments
        functools.update_wrapper(self, fn)
        self._torch_op = torch_op.register(self)  # what torch.compile puts in its graph

    # -- public API --------------------------------------------------------
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            if kwargs:
                args, kwargs = self.normalize_args(*args, **kwargs), {}
            return self._host(*args)
        except Exception as e:  # off the hot path: costs nothing until raised
            self._explain(e, args, kwargs)
            raise

    def _explain(self, error: Exception, args: tuple, kwargs: dict) -> None:
        """Give an InternalError its reproducer; turn an error the arguments
        explain into InvalidArgument at the user's call."""
        if isinstance(error, exc.InternalError):
            error.amend(location=self._loop_location())
            repro.attach(error, self, None if kwargs else args)
        elif not isinstance(error, exc.Base):
            arguments.explain_bad_call(self, args, kwargs, error, arguments.call_site(self._host_codes))

    def _recording_host(self, host: Callable) -> Callable:
        """print_repro: the host code, remembering each call's arguments for
        the reproducer printed when a new specialization compiles (and for
        key= in the shape bucket)."""
        def record(*args):
            self._captures.call_args = args
            return host(*args)
        return record

    def _loop_location(self) -> str:
        return f"{self._split.filename}:{self._split.device_loop.lineno}"

    def normalize_args(self, *args: Any, **kwargs: Any) -> tuple:
        bound = self.signature.bind(*args, **kwargs)
        bound.apply_defaults()
        return tuple(bound.args)

    def bind(self, args: tuple) -> BoundKernel:
        """Run the host code once to find the device loop's inputs; returns a
        BoundKernel for that specialization (nothing is launched)."""
        args = tuple(args) if isinstance(args, (tuple, list)) else (args,)
        captured = self._captures.values = []
        try:
            args = self.normalize_args(*args)
            self._capture_host(*args)
            if len(captured) < max(1, len(self._phases)):
                raise exc.Base(f"kernel {self.fn.__name__} did not reach its device loop"
                               + (f" {len(captured)} (of {len(self._phases)})" if captured else ""))
            if self._phases:
                return PhasedBoundKernel(self, captured, args)
            return BoundKernel(self, captured[0], args)
        except Exception as e:
            self._explain(e, args, {})
            raise
        finally:
            self._captures.values = None

    def _capture_launch(self, *values: Any) -> None:
        self._captures.values.append(values)

    def specialization_key(self, args: Sequence[object]) -> tuple:
        extra = (self.key(*args),) if self.key else ()
        return _specialization_key(tuple(a for a in args)) + extra

    def reset(self) -> None:
        """Drop every specialization and compiled kernel."""
        with self._lock:
            self._specs.clear()
            self._tuned.clear()
            self.clear_fast_path()
            for phase in self._phases:
                phase.reset()

    def clear_fast_path(self) -> None:
        with self._lock:
            self._fast_cache.clear()
            self._hot[0] = None
            for phase in self._phases:
                phase.clear_fast_path()

    def _config_to_paste(self, config: Config) -> Config | None:
        """The Config the tuner's final hint shows for `config`, just tuned."""
        return config

    def autotune(self, args, *, force: bool = False, **options) -> Config:
        """Tune the specialization of `args`; returns the best Config and makes
        it the one calls use. With config=/configs= given, only those are
        timed unless `force`. `options`: effort=, search=, seed=, devices=,
        or a search's own parameters (population=, generations=, ...)."""
        args = tuple(args) if isinstance(args, (tuple, list)) else (args,)
        return self.bind(args).autotune(args, force=force, **options)

    # -- launch path ----------------------------------------------------------
    def _launch(self, *values: Any) -> None:
        """The slow path: a call the generated launcher could not serve."""
        given = values
        values = arguments.with_lifted_tensors(self, values)
        try:
            key = _specialization_key(values)
        except Exception as e:  # noqa: BLE001 - explained by the argument checks
            raise arguments.argument_error(self, values, e, arguments.call_site(self._host_codes)) from None
        spec = self._specs.get(key)
        if spec is None or spec.best is None:
            with self._lock:  # one thread compiles; the others wait for its result
                spec = self._specs.get(key)
                if spec is None or spec.best is None:
                    with self.settings.silenced():
                        spec = self._prepare(values, key)
                    if self.settings.print_repro:
                        script = repro.repro_script(self, getattr(self._captures, "call_args", None), spec.best.config)
                        print(script, file=sys.stderr)
        else:
            try:
                self._specs.move_to_end(key)  # most recently used
            except KeyError:  # dropped by another thread meanwhile
                pass
        entry = spec.best
        entry.launch(values)
        with self._lock:
            # Not replaced by set_config/reset meanwhile; lifted tensors (globals,
            # epilogue closures) are no launcher arguments: such calls stay on this path.
            if spec.best is entry and self._specs.get(key) is spec and values is given:
                self._install_fast_path(values, entry)

    def _install_fast_path(self, values: tuple, entry: CompiledEntry) -> None:
        if self._flat_key is None:
            self._flat_key, fast = _make_fast_launcher(values, entry.arg_index, self._launch, self._fast_cache, self._hot)
            self._fast_kinds = [_value_kind(v) for v in values]
            self._host_globals[self._launch_hook] = fast
        if [_value_kind(v) for v in values] != self._fast_kinds:
            return  # argument kinds differ from the first call: the slow path serves them
        try:
            self._fast_cache[self._flat_key(*values)] = entry.launch_tuple
        except Exception:
            return
        self._hot[0] = _hot_entry(values, entry.launch_tuple)

    def _specialize(self, values: tuple, key: tuple, args: tuple | None = None) -> _Specialization:
        """`args`: the kernel's own arguments (for key=); by default the
        current call's, which the recording host code keeps."""
        with self._lock:
            spec = self._specs.get(key)
            if spec is not None:
                self._specs.move_to_end(key)
                return spec
            device = arguments.check_new_specialization(self, values, arguments.call_site(self._host_codes))
            wide_index = self.settings.index_dtype == torch.int64 or arguments.needs_64bit_indexing(values)
            bucket = None
            if not self.settings.static_shapes:
                extra = (self.key(*(args if args is not None else self._captures.call_args)),) if self.key else ()
                loop = ("loop", self._split.device_loop.lineno - self.fn.__code__.co_firstlineno)  # which phase
                bucket = (*_bucket_key(values, wide_index), loop) + extra
            start = time.perf_counter()
            with repro.internal_errors("tracing device code", self._loop_location()):
                with self.settings.silenced():
                    traced = trace(self._split, values)
            self.settings.apply_dot_precision(traced.module)
            if wide_index:
                traced.module.body.operations[0].set_attribute("tile.index_bits", 64)
            log.debug("%s: new specialization %d traced in %.1f ms", self.fn.__name__, len(self._specs) + 1,
                      1e3 * (time.perf_counter() - start))
            spec = self._specs[key] = _Specialization(traced, device, dict(self._split.tunables))
            spec.bucket = bucket
            if len(self._specs) > self.settings.max_specializations:
                while len(self._specs) > self.settings.max_specializations:
                    self._specs.popitem(last=False)
                self.clear_fast_path()  # it may hold launches of the dropped ones
            return spec

    def _entry(self, spec: _Specialization, config: Config) -> CompiledEntry:
        config = spec.config_spec.normalize(config)
        entry = spec.entries.get(config)
        if entry is None:
            entry = spec.entries[config] = CompiledEntry(spec.traced, config, spec.device, self.settings)
        return entry

    def _prepare(self, values: tuple, key: tuple) -> _Specialization:
        spec = self._specialize(values, key)
        s = self.settings
        if s.aot_configs and not self.configs:  # shipped configs (helion.aot): never tune at deploy
            from .. import aot

            entry = aot.entry_for(self, spec, values)
            if entry is not None:
                spec.best = entry
                return spec
        shared = self._shared_entry(spec)
        if shared is not None:
            spec.best = shared
            return spec
        # CUDA tensors and no config: tune on the first call of each specialization.
        if spec.device.type == "cuda" and (s.force_autotune or (
                not self.configs and s.autotune_effort != "none" and not s.use_default_config)):
            from ..autotuner import tuner

            spec.best = self._entry(spec, self._share(spec, tuner.autotune(self, spec, values, force=s.force_autotune)))
        elif len(self.configs) == 1:
            spec.best = self._entry(spec, self.configs[0])
        elif len(self.configs) > 1:
            spec.best = self._pick_fastest(spec, values)
        else:
            spec.best = self._default_entry(spec)
            if not self._warned_default:
                reason = "autotune_effort='none'" if self.settings.autotune_effort == "none" or self.settings.use_default_config \
                    else "CPU tensors: the autotuner times on a GPU; kernel.autotune(args) checks candidates here"
                print(f"[helion] {self.fn.__name__}: using the default config ({reason}): "
                      f"{self._config_to_paste(spec.best.config)!r}", file=sys.stderr)
                self._warned_default = True
        return spec

    def _default_entry(self, spec: _Specialization) -> CompiledEntry:
        """The first default candidate that compiles (and, on a GPU, loads):
        fallbacks cover shared memory and loops a pass refuses."""
        *tried, last = [self.settings.forced(c, spec.config_spec) for c in spec.config_spec.default_candidates()]
        for config in tried:
            try:
                return self._entry(spec, config)
            except exc.CompilationError:
                pass  # the next candidate is safer
        return self._entry(spec, last)  # its error, if any, is the user's

    def _pick_fastest(self, spec: _Specialization, values: tuple) -> CompiledEntry:
        if spec.device.type != "cuda":
            entries = [self._entry(spec, c) for c in self.configs]
            return entries[0]  # nothing to time on the CPU
        from ..autotuner import tuner

        # A FiniteSearch: compiled in parallel, timed in the isolated workers.
        return self._entry(spec, self._share(spec, tuner.autotune(self, spec, values, configs=self.configs)))

    def _share(self, spec: _Specialization, config: Config) -> Config:
        """static_shapes=False: `config`, tuned for spec, becomes its bucket's."""
        if spec.bucket is not None:
            self._tuned[(spec.device, spec.bucket)] = config
        return config

    def _shared_entry(self, spec: _Specialization) -> CompiledEntry | None:
        """static_shapes=False: the entry of the config tuned for another
        shape of spec's bucket, unless this shape refuses it (then it is
        tuned, or takes its default config when tuning is off)."""
        config = None if spec.bucket is None else self._tuned.get((spec.device, spec.bucket))
        if config is None:
            return None
        try:
            entry = self._entry(spec, config)
        except (exc.InvalidConfig, exc.CompilationError) as e:
            log.debug("%s: %r, tuned for another shape of this bucket, does not fit this one (%s)",
                      self.fn.__name__, config, e)
            return None
        log.debug("%s: %r, tuned for another shape of this bucket, serves this one", self.fn.__name__, config)
        return entry


class _PhaseKernel(Kernel):
    """Top-level device loop `index` of a kernel with several (a phase),
    launched in program order on the kernel's stream: its own
    specializations, compiled entries, fast launch path and tuning; its
    Configs are its part of the kernel's (phases.phase_config). Everything
    else is the kernel's."""

    def __init__(self, kernel: Kernel, index: int) -> None:
        self._kernel, self._index = kernel, index
        self._split = kernel._split.phase(index)
        self._launch_hook = self._split.loops[index].hook
        self._phases = []
        self._lock = kernel._lock
        self._specs = collections.OrderedDict()
        self._tuned = {}
        self._fast_cache, self._hot, self._flat_key, self._fast_kinds = {}, [None], None, []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._kernel, name)

    @property
    def _warned_default(self) -> bool:
        """The default-config note is the kernel's: the last phase says it, with the whole Config."""
        return self._kernel._warned_default or self._index < len(self._kernel._phases) - 1

    @_warned_default.setter
    def _warned_default(self, value: bool) -> None:
        self._kernel._warned_default = value

    def _latest(self) -> _Specialization | None:
        """The specialization made or looked up last: in a call, the one
        this phase runs (phases run in order, so earlier ones have one)."""
        return next(reversed(self._specs.values()), None)

    @property
    def configs(self) -> list[Config]:
        kernel = self._kernel
        if not kernel.configs:
            return []
        counts = [phases.slot_counts(p._latest().config_spec) for p in kernel._phases[:self._index + 1]]
        return [phases.phase_config(c, counts, len(kernel._phases), self.fn.__name__) for c in kernel.configs]

    def _config_to_paste(self, config: Config) -> Config | None:
        """The whole kernel's Config once every phase has one (else None)."""
        specs = [p._latest() for p in self._kernel._phases]
        if any(s is None or (s.best is None and p is not self) for s, p in zip(specs, self._kernel._phases)):
            return None
        configs = [config if p is self else s.best.config for s, p in zip(specs, self._kernel._phases)]
        return phases.combine(configs, [phases.slot_counts(s.config_spec) for s in specs], self.fn.__name__)


# torch.compile traces torch_op.dynamo_call (one custom-op call) in place of
# the host code; eager calls are unaffected.
Kernel.__call__._torchdynamo_inline = torch_op.dynamo_call


class BoundKernel:
    """A kernel specialized to one set of argument properties."""

    def __init__(self, kernel: Kernel, values: tuple, args: tuple | None = None) -> None:
        self.kernel = kernel
        self.values = values = arguments.with_lifted_tensors(kernel, values)
        try:
            self.key = _specialization_key(values)
        except Exception as e:  # noqa: BLE001 - explained by the argument checks
            raise arguments.argument_error(kernel, values, e, arguments.call_site(kernel._host_codes)) from None
        self.spec = kernel._specialize(values, self.key, args)

    @property
    def tile_ir(self) -> str:
        return str(self.spec.traced.module)

    @property
    def config_spec(self) -> ConfigSpec:
        """The legal and searched Configs of this specialization."""
        return self.spec.config_spec

    def default_config(self) -> Config:
        return self.spec.config_spec.default_config()

    def to_triton_code(self, config: Config | dict | None = None, *, readable: bool = False, ptx: bool = False) -> str:
        """The TTIR this kernel compiles to under `config`: the generic form
        that is compiled and cached; `readable=True`: Triton's assembly form
        with the source lines as locations; `ptx=True`: that and the PTX."""
        config = self.config_spec.normalize(self._config(config))
        if readable or ptx:
            from ..compiler import readable as readable_code

            return readable_code.render(self.spec.traced, config, with_ptx=ptx)
        return pipeline.lower_to_ttir(self.spec.traced, config).text

    def compile_config(self, config: Config | dict | None = None) -> CompiledEntry:
        return self.kernel._entry(self.spec, self._config(config))

    def set_config(self, config: Config | dict) -> None:
        self.spec.best = self.compile_config(config)
        self.kernel.clear_fast_path()

    def autotune(self, args=None, *, force: bool = False, **options) -> Config:
        """Tune this specialization (see Kernel.autotune); `args`, the kernel's
        own arguments, are what autotune_baseline_fn is called with."""
        from ..autotuner import tuner

        force = force or self.kernel.settings.force_autotune
        args = None if args is None else tuple(args) if isinstance(args, (tuple, list)) else (args,)
        best = tuner.autotune(self.kernel, self.spec, self.values, args=args,
                              configs=None if force else self.kernel.configs, force=force, **options)
        self.set_config(best)
        self.kernel._share(self.spec, best)
        return best

    def __call__(self, *args):
        return self.kernel(*args)

    def _config(self, config) -> Config:
        if config is None:
            if self.spec.best is not None:
                return self.spec.best.config
            if len(self.kernel.configs) == 1:
                return self.kernel.configs[0]
            return self.default_config()
        return config  # ConfigSpec.normalize checks it


class PhasedBoundKernel:
    """kernel.bind(args) of a kernel with several top-level device loops:
    `phases` holds a BoundKernel per loop; Configs given and returned are the
    whole kernel's (the loops' per-slot entries one after another)."""

    def __init__(self, kernel: Kernel, values: list[tuple], args: tuple | None = None) -> None:
        self.kernel = kernel
        self.phases = [BoundKernel(p, v, args) for p, v in zip(kernel._phases, values)]

    @property
    def tile_ir(self) -> str:
        return "\n".join(b.tile_ir for b in self.phases)

    @property
    def config_spec(self) -> ConfigSpec:
        raise exc.NotSupported(f"kernel {self.kernel.fn.__name__} has {len(self.phases)} device loops, each with its own "
                               "ConfigSpec: use bound.phases[i].config_spec")

    def _counts(self) -> list[dict[str, int]]:
        return [phases.slot_counts(b.config_spec) for b in self.phases]

    def phase_configs(self, config: Config | dict) -> list[Config]:
        """Each device loop's part of the whole kernel's `config`, in loop order."""
        config = Config(**config) if isinstance(config, dict) else config
        if not isinstance(config, Config):
            raise exc.InvalidConfig(f"expected a helion.Config or a dict, got {type(config).__name__}")
        counts = self._counts()
        return [phases.phase_config(config, counts[:i + 1], len(counts), self.kernel.fn.__name__)
                for i in range(len(counts))]

    def _combine(self, configs: list[Config]) -> Config:
        return phases.combine(configs, self._counts(), self.kernel.fn.__name__)

    def default_config(self) -> Config:
        return self._combine([b.default_config() for b in self.phases])

    def to_triton_code(self, config: Config | dict | None = None, *, readable: bool = False, ptx: bool = False) -> str:
        """Each device loop's TTIR under its part of `config`, in loop order."""
        configs = [None] * len(self.phases) if config is None else self.phase_configs(config)
        return "\n".join(f"// device loop {i} (line {b.kernel._split.device_loop.lineno})\n"
                         + b.to_triton_code(c, readable=readable, ptx=ptx)
                         for i, (b, c) in enumerate(zip(self.phases, configs)))

    def set_config(self, config: Config | dict) -> None:
        for b, c in zip(self.phases, self.phase_configs(config)):
            b.set_config(c)

    def autotune(self, args=None, *, force: bool = False, **options) -> Config:
        """Tune each device loop in order; returns the whole kernel's Config."""
        from ..autotuner import tuner

        if tuner.Session(self.kernel.settings, options).baseline_fn is not None:
            raise exc.NotSupported(f"kernel {self.kernel.fn.__name__} has several device loops: autotune_baseline_fn "
                                   "(the whole kernel's outputs) cannot check one loop; each loop is checked against "
                                   "its default config instead")
        return self._combine([b.autotune(None, force=force, **options) for b in self.phases])

    def __call__(self, *args):
        return self.kernel(*args)


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
