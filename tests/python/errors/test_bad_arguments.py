"""Bad calls of good kernels, and bad decorator/Settings arguments: each
raises a helion.exc error of the right class, with a message that names the
problem and the `file:line` of the user's call (or of the kernel line that
cannot take the value)."""
import inspect
import itertools
import os
import re
import traceback
import warnings

import numpy as np
import pytest
import torch

import helion
import helion.language as hl
from helion import exc
from reductions import row_sum  # examples/ (on sys.path through conftest)

CFG = helion.Config(block_sizes=[16])


@helion.kernel(config=CFG)
def add(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    out = torch.empty_like(x)
    for t in hl.tile(out.size(0)):
        out[t] = x[t] + y[t]  # ADD-BODY
    return out


@helion.kernel(config=CFG)
def scale(x: torch.Tensor, s: float, n: int) -> torch.Tensor:
    out = torch.empty_like(x)
    for t in hl.tile(out.size(0)):
        out[t] = x[t] * s + n
    return out


@helion.kernel(config=CFG)
def untyped(x, y):
    out = torch.empty(16)
    for t in hl.tile(16):
        out[t] = x[t] + y[t]  # UNTYPED-BODY
    return out


@helion.kernel(config=CFG)
def with_constexpr(x: torch.Tensor, k: hl.constexpr) -> torch.Tensor:
    out = torch.empty_like(x)
    for t in hl.tile(out.size(0)):
        out[t] = x[t] + k
    return out


def _line_of(kernel, marker: str) -> str:
    lines, first = inspect.getsourcelines(kernel.fn)
    return f"{__file__}:{first + next(i for i, line in enumerate(lines) if marker in line)}"


X = torch.randn(32)
META = torch.randn(32, device="meta")
CALL = "call"  # the error names the line of the failing call in this file

# (id, call, exception class, message pattern, where: CALL, a kernel marker, or None)
BAD_CALLS = [
    ("too-few-args", lambda: add(X), exc.InvalidArgument, r"kernel add\(x: torch.Tensor, y: torch.Tensor\).*missing a required argument: 'y'", CALL),
    ("too-many-args", lambda: add(X, X, X), exc.InvalidArgument, r"called with 3 positional argument\(s\): too many positional arguments", CALL),
    ("unknown-kwarg", lambda: add(X, y=X, z=X), exc.InvalidArgument, r"and 'y', 'z': got an unexpected keyword argument 'z'", CALL),
    ("duplicate-kwarg", lambda: add(X, x=X), exc.InvalidArgument, r"multiple values for argument 'x'", CALL),
    ("only-kwargs-missing", lambda: add(y=X), exc.InvalidArgument, r"missing a required argument: 'x'", CALL),
    ("meta-device", lambda: add(META, META), exc.InvalidArgument, r"tensor '\w+' is on meta \(CUDA and CPU are supported\)", CALL),
    ("mixed-devices", lambda: add(X, META), exc.InvalidArgument, r"tensor 'y' is on meta", CALL),
    ("list-as-tensor", lambda: add([1.0] * 32, X), exc.InvalidArgument, r"argument 'x' of kernel add must be a torch.Tensor, got a list", CALL),
    ("dict-as-tensor", lambda: add({"a": X}, X), exc.InvalidArgument, r"argument 'x' of kernel add must be a torch.Tensor, got a dict", CALL),
    ("none-as-tensor", lambda: add(None, X), exc.InvalidArgument, r"argument 'x' .* got a NoneType", CALL),
    ("none-as-second-tensor", lambda: add(X, None), exc.InvalidArgument, r"argument 'y' of kernel add must be a torch.Tensor, got a NoneType", CALL),
    ("list-as-second-tensor", lambda: add(X, [1.0] * 32), exc.InvalidArgument, r"argument 'y' of kernel add must be a torch.Tensor, got a list", CALL),
    ("tuple-as-tensor", lambda: add(X, (1.0, 2.0)), exc.InvalidArgument, r"argument 'y' .* got a tuple", CALL),
    ("numpy-array", lambda: add(np.ones(32, dtype=np.float32), X), exc.InvalidArgument, r"must be a torch.Tensor, got a ndarray", CALL),
    ("int-as-tensor", lambda: add(3, X), exc.InvalidArgument, r"argument 'x' .* got a int", CALL),
    ("sparse-tensor", lambda: add(X.to_sparse(), X.to_sparse()), exc.InvalidArgument, r"tensor '\w+' \(sparse_coo\) cannot be read by device code.*pass a dense", CALL),
    ("nested-tensor", lambda: add(torch.nested.nested_tensor([torch.randn(2)]), X), exc.InvalidArgument, r"\(nested\) cannot be read by device code", CALL),
    ("huge-int", lambda: scale(X, 1.0, 2**70), exc.InvalidArgument, r"int 'n' = 1180591620717411303424 does not fit in 64 bits", CALL),
    ("huge-negative-int", lambda: scale(X, 1.0, -(2**64)), exc.InvalidArgument, r"int 'n' = -18446744073709551616 does not fit in 64 bits", CALL),
    ("huge-constexpr", lambda: with_constexpr(X, 2**64), exc.InvalidArgument, r"hl.constexpr 'k' = 18446744073709551616 does not fit", CALL),
    ("str-for-float", lambda: scale(X, "2", 1), exc.InvalidArgument, r"argument 's' of kernel scale must be a float, got a str", CALL),
    ("0-dim-tensor-for-float", lambda: scale(X, torch.tensor(2.0), 1), exc.InvalidArgument, r"argument 's' .* must be a float, got a torch.float32 tensor of shape \[\]", CALL),
    ("float-for-int", lambda: scale(X, 1.0, 2.5), exc.InvalidArgument, r"argument 'n' of kernel scale must be an int, got a float", CALL),
    ("bool-for-float", lambda: scale(X, True, 1), exc.InvalidArgument, r"argument 's' .* must be a float, got a bool", CALL),
    ("tensor-for-int", lambda: scale(X, 1.0, X), exc.InvalidArgument, r"argument 'n' .* must be an int, got a torch.float32 tensor of shape \[32\]", CALL),
    ("bad-kwarg-value", lambda: scale(X, s=None, n=1), exc.InvalidArgument, r"argument 's' .* must be a float, got a NoneType", CALL),
    ("unannotated-list", lambda: untyped([1.0] * 16, X), exc.InvalidArgument, r"device code reads 'x', which is a list; device code takes tensors", CALL),
    ("bind-too-few", lambda: add.bind((X,)), exc.InvalidArgument, r"missing a required argument: 'y'", CALL),
    ("bind-bad-value", lambda: add.bind((X, None)), exc.InvalidArgument, r"argument 'y' .* got a NoneType", CALL),
    ("bound-kernel-call", lambda: add.bind((X, X))(X), exc.InvalidArgument, r"missing a required argument: 'y'", CALL),
    ("complex-dtype", lambda: add(X.to(torch.complex64), X.to(torch.complex64)), exc.NotSupported, r"dtype torch.complex64 is not supported", "for t in hl.tile"),
    ("uint16-dtype", lambda: add(torch.zeros(32, dtype=torch.uint16), torch.zeros(32, dtype=torch.uint16)), exc.NotSupported, r"dtype torch.uint16 is not supported", "for t in hl.tile"),
    ("0-dim-tensors", lambda: add(torch.tensor(1.0), torch.tensor(2.0)), exc.NotSupported, r"0-dim tensor argument '\w+'; pass a Python number", "for t in hl.tile"),
    ("shorter-second-tensor", lambda: add(X, torch.randn(8)), exc.TypeError_, r"indexes dim 0 of 'y', of size 8", "ADD-BODY"),
    ("unannotated-int", lambda: untyped(3, X), exc.TypeError_, r"cannot index int", "UNTYPED-BODY"),
]


@pytest.mark.parametrize("case", BAD_CALLS, ids=[c[0] for c in BAD_CALLS])
def test_bad_call(case):
    _, call, cls, pattern, where = case
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's prototype/deprecation warnings
        with pytest.raises(cls) as info:
            call()
    text = str(info.value)
    assert re.search(pattern, text), text
    if where == CALL:
        expected = f"{__file__}:{call.__code__.co_firstlineno}"
    else:
        kernel = {"ADD-BODY": add, "UNTYPED-BODY": untyped}.get(where, add)
        expected = _line_of(kernel, where)
    assert text.startswith(expected + ": "), f"expected {expected}, got: {text}"


def _decorate(**kwargs):
    def k(x: torch.Tensor) -> torch.Tensor:
        out = torch.empty_like(x)
        for t in hl.tile(x.size(0)):
            out[t] = x[t]
        return out

    return helion.kernel(**kwargs)(k)


def _varargs():
    @helion.kernel(config=CFG)
    def k(*xs):
        out = torch.empty_like(xs[0])
        for t in hl.tile(out.size(0)):
            out[t] = xs[0][t]
        return out


# (id, call, exception class, message pattern, location pattern or None)
BAD_SETUP = [
    ("settings-effort", lambda: helion.Settings(autotune_effort="fast"), exc.InvalidSetting, r"autotune_effort must be 'none', 'quick' or 'full', got 'fast'", None),
    ("settings-bool-type", lambda: _decorate(print_output_code="yes"), exc.InvalidSetting, r"setting print_output_code must be True or False, got 'yes'", None),
    ("settings-int-type", lambda: helion.Settings(max_specializations="8"), exc.InvalidSetting, r"setting max_specializations must be an int, got '8'", None),
    ("settings-max-specializations", lambda: helion.Settings(max_specializations=0), exc.InvalidSetting, r"max_specializations must be at least 1, got 0", None),
    ("settings-index-dtype", lambda: helion.Settings(index_dtype=torch.float32), exc.InvalidSetting, r"index_dtype must be torch.int32 or torch.int64", None),
    ("unknown-setting", lambda: _decorate(not_a_setting=1), exc.Base, r"unknown helion.kernel settings: \['not_a_setting'\]", None),
    ("config-and-configs", lambda: _decorate(config=CFG, configs=[CFG]), exc.Base, r"either config= or configs=, not both", None),
    ("config-is-a-string", lambda: _decorate(config="fast"), exc.InvalidSetting, r"take helion.Config objects .* got str 'fast'", r"test_bad_arguments.py:\d+"),
    ("configs-hold-an-int", lambda: _decorate(configs=[CFG, 1]), exc.InvalidSetting, r"got int 1", r"test_bad_arguments.py:\d+"),
    ("key-not-callable", lambda: _decorate(key=3), exc.InvalidSetting, r"key= must be a function of the kernel's arguments, got 3", r"test_bad_arguments.py:\d+"),
    ("config-unknown-field", lambda: helion.Config(blok_sizes=[16]), exc.InvalidConfig, r"unknown Config fields: \['blok_sizes'\]", None),
    ("kernel-of-a-class", lambda: helion.kernel(int), exc.NotSupported, r"decorates a Python function \(`def`\), got type", None),
    ("kernel-of-none", lambda: helion.kernel()(None), exc.NotSupported, r"decorates a Python function \(`def`\), got NoneType", None),
    ("kernel-of-a-lambda", lambda: helion.kernel(lambda x: x), exc.NotSupported, r"cannot compile a lambda", r"test_bad_arguments.py:\d+"),
    ("kernel-with-varargs", _varargs, exc.NotSupported, r"kernel parameter `\*xs` is not supported", r"test_bad_arguments.py:\d+"),
]


@pytest.mark.parametrize("case", BAD_SETUP, ids=[c[0] for c in BAD_SETUP])
def test_bad_setup(case):
    _, call, cls, pattern, location = case
    with pytest.raises(cls) as info:
        call()
    text = str(info.value)
    assert re.search(pattern, text), text
    if location:
        assert re.match(f".*{location}: ", text), text


def test_edge_arguments_that_work():
    """Valid but unusual arguments run and match torch."""
    empty = torch.randn(0)
    assert add(empty, empty).shape == (0,)
    a, b = torch.randn(32, 3)[:, 1], torch.randn(64)[::2]  # strided views
    torch.testing.assert_close(add(a, b), a + b)
    torch.testing.assert_close(add(X.double(), X.double()), X.double() * 2)
    torch.testing.assert_close(scale(X, 0.5, 2**40), X * 0.5 + 2**40)
    g = X.clone().requires_grad_()
    torch.testing.assert_close(add(g, X), (g + X).detach())
    torch.testing.assert_close(scale(X, 2, 1), X * 2 + 1)  # an int where a float is annotated
    torch.testing.assert_close(with_constexpr(X, 3), X + 3)
    torch.testing.assert_close(with_constexpr(X, hl.constexpr(4)), X + 4)  # already wrapped


def _sweep_values():
    return {
        "None": None, "list": [1.0] * 16, "dict": {}, "str": "s", "int": 3, "float": 2.5, "bool": True,
        "huge-int": 2**70, "object": object(), "numpy": np.ones(16, dtype=np.float32),
        "0-dim": torch.tensor(1.0), "t16": torch.randn(16), "empty": torch.randn(0), "2-d": torch.randn(16, 16),
        "3-d": torch.randn(2, 4, 4), "complex": torch.randn(16, dtype=torch.complex64),
        "int32": torch.arange(16, dtype=torch.int32), "bool-tensor": torch.rand(16) > 0.5,
        "meta": torch.randn(16, device="meta"), "sparse": torch.randn(16).to_sparse(),
        "float16": torch.randn(16, dtype=torch.float16), "uint8": torch.zeros(16, dtype=torch.uint8),
        "17-long": torch.randn(17), "strided": torch.randn(32)[::2], "expanded": torch.randn(1).expand(16),
    }


def test_no_bare_exception_escapes_helion():
    """Every combination of good and bad values: a call either works or raises
    a helion.exc error; any other exception comes from the kernel's own host
    code (plain Python the user wrote, like `m, n = x.size()` on a 0-dim
    tensor), never from inside Helion."""
    helion_dir = os.path.dirname(helion.__file__)
    values = _sweep_values()
    calls = [(add, combo) for combo in itertools.product(values, repeat=2)]
    calls += [(scale, (x, s, n)) for x in ("t16", "2-d", "list") for s in values for n in ("int", "float", "huge-int", "0-dim")]
    calls += [(row_sum, (x,)) for x in values]
    worked = host_errors = 0
    for kernel, names in calls:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                kernel(*[values[n] for n in names])
            worked += 1
        except exc.Base:
            pass
        except Exception as e:  # noqa: BLE001 - checked below
            host_file = kernel.fn.__code__.co_filename
            frames = [f for f, _ in traceback.walk_tb(e.__traceback__)
                      if f.f_code.co_filename in (host_file, __file__) or f.f_code.co_filename.startswith(helion_dir)]
            assert frames[-1].f_code.co_filename == host_file, f"{kernel.fn.__name__}{names}: {type(e).__name__}: {e}"
            host_errors += 1
    assert worked > 50 and host_errors < 20, (worked, host_errors)


@pytest.mark.gpu
def test_tensors_on_the_cpu_and_the_gpu():
    with pytest.raises(exc.InvalidArgument) as info:
        add(X, X.cuda())  # MIXED-CALL
    assert re.search(r"got tensors on several devices \('\w+' on cpu, 'y' on cuda:0\); move them to one device",
                     str(info.value)), str(info.value)
    assert str(info.value).startswith(_line_of_test("MIXED-CALL") + ": ")


def _line_of_test(marker: str) -> str:
    lines = open(__file__).read().splitlines()
    return f"{__file__}:{1 + next(i for i, line in enumerate(lines) if marker in line and 'def ' not in line)}"


# -- kernel functions @helion.kernel refuses at decoration (host/device split) --------------------
def _tile_as_host_value():
    @helion.kernel(config=CFG)
    def k(x):
        out = torch.empty_like(x)
        tiles = hl.tile(x.size(0))  # SPLIT-BAD
        for t in tiles:
            out[t] = x[t]
        return out


def _read_before_assigned():
    @helion.kernel(config=CFG)
    def k(x):
        out = torch.empty_like(x)
        for t in hl.tile(x.size(0)):
            out[t] = x[t] * factor  # SPLIT-BAD
        factor = 2.0
        return out


def _loop_in_with():
    @helion.kernel(config=CFG)
    def k(x):
        out = torch.empty_like(x)
        with torch.no_grad():
            for t in hl.tile(x.size(0)):  # SPLIT-BAD
                out[t] = x[t]
        return out


def _loop_in_host_for():
    @helion.kernel(config=CFG)
    def k(x):
        out = torch.empty_like(x)
        for _ in range(2):
            for t in hl.tile(x.size(0)):  # SPLIT-BAD
                out[t] = x[t]
        return out


def _loop_in_nested_function():
    @helion.kernel(config=CFG)
    def k(x):
        out = torch.empty_like(x)

        def body():
            for t in hl.tile(x.size(0)):  # SPLIT-BAD
                out[t] = x[t]
        body()
        return out


BAD_SPLITS = [
    (_tile_as_host_value, r"hl.tile\(\)/hl.grid\(\) is only valid as the iterable of a top-level `for` loop"),
    (_read_before_assigned, r"the device loop reads 'factor', which the kernel assigns only after the loop"),
    (_loop_in_with, r"inside a `with` block \(line \d+\).*enter the context around the kernel call"),
    (_loop_in_host_for, r"inside a host `for` loop \(line \d+\).*loop around the kernel call"),
    (_loop_in_nested_function, r"inside a nested function \(line \d+\).*write the loop in the kernel body"),
]


@pytest.mark.parametrize("make,pattern", BAD_SPLITS, ids=[m.__name__.strip("_") for m, _ in BAD_SPLITS])
def test_bad_kernel_function(make, pattern):
    with pytest.raises(exc.NotSupported) as info:
        make()
    lines, first = inspect.getsourcelines(make)
    where = f"{__file__}:{first + next(i for i, line in enumerate(lines) if 'SPLIT-BAD' in line)}: "
    text = str(info.value)
    assert text.startswith(where) and re.search(pattern, text), text
