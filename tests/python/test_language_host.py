"""The host-side language: host values that decide code, one name for a
multi-dim tile, late-bound module globals, epilogue functions (and the
tensors their closures read), block-size arithmetic, tunables, index_dtype.
Each feature: CPU executor numerics against a float64 torch reference with
fresh random inputs, the same on the GPU (marker gpu), an sm_90 compile
through Triton, and its bad input as a located helion.exc error."""
import re

import pytest
import torch

import helion
import helion.language as hl

DEVICES = ["cpu", pytest.param("cuda", marks=pytest.mark.gpu)]
HERE = re.escape(__file__)


def _line(fn, text: str) -> int:
    """The file line of the first source line of fn containing `text`."""
    import inspect

    lines, first = inspect.getsourcelines(fn)
    return first + next(i for i, line in enumerate(lines) if text in line)


def _sync(device):
    if device == "cuda":
        torch.cuda.synchronize()


# ----------------------------------------------------------- host values deciding code
@helion.kernel(config=helion.Config(block_sizes=[32]))
def scaled(x: torch.Tensor, beta: float, mode: str, flag: bool, bias) -> torch.Tensor:
    out = torch.empty_like(x)
    if mode == "sum":  # host code: plain Python
        out = torch.zeros_like(x)
    for tile in hl.tile(x.size(0)):
        if beta == 0.0:
            v = x[tile]
        else:
            v = x[tile] * beta
        if mode == "neg" or (mode == "abs" and not flag):
            v = -v.abs() if mode == "abs" else -v
        v = v + 1 if flag else v
        if bias is not None:
            v = v + bias[tile]
        out[tile] = v
    return out


def _scaled_reference(x, beta, mode, flag, bias):
    v = x.double() if beta == 0.0 else x.double() * beta
    if mode == "neg":
        v = -v
    elif mode == "abs" and not flag:
        v = -v.abs()
    v = v + 1 if flag else v
    return v + bias.double() if bias is not None else v


@pytest.mark.parametrize("device", DEVICES)
def test_host_values_decide_device_code(device):
    x = torch.randn(100, device=device)
    bias = torch.randn(100, device=device)
    cases = [(0.0, "neg", True, None), (2.5, "neg", True, None), (2.5, "abs", False, bias), (-1.5, "sum", True, bias),
             (0.0, "abs", True, None)]
    for beta, mode, flag, b in cases:
        out = scaled(x, beta, mode, flag, b)
        _sync(device)
        torch.testing.assert_close(out.double(), _scaled_reference(x, beta, mode, flag, b), atol=1e-5, rtol=1e-5,
                                   msg=str((beta, mode, flag)))
    # beta decides code, so its value is in the key; the same values reuse their specialization
    n = len(scaled._specs)
    scaled(x, 2.5, "neg", True, None)
    scaled(x, 7.0, "neg", True, None)
    assert len(scaled._specs) == n + 1


def test_float_in_arithmetic_only_stays_a_runtime_argument():
    @helion.kernel(config=helion.Config(block_sizes=[32]))
    def axpy(x: torch.Tensor, alpha: float) -> torch.Tensor:
        out = torch.empty_like(x)
        for tile in hl.tile(x.size(0)):
            out[tile] = x[tile] * alpha
        return out

    x = torch.randn(70)
    for alpha in (0.5, -2.0, 3.25):
        torch.testing.assert_close(axpy(x, alpha).double(), x.double() * alpha, atol=1e-5, rtol=1e-5)
    assert len(axpy._specs) == 1


def test_host_value_conditions_sm90(compile_case_sm90):
    x, bias = torch.randn(100), torch.randn(100)
    ttir, ck, _ = compile_case_sm90(scaled, (x, 0.0, "abs", False, bias), helion.Config(block_sizes=[64]))
    assert ck.asm["cubin"]
    assert "math.absf" in ttir.text


def test_condition_on_a_device_value_is_located():
    @helion.kernel(config=helion.Config(block_sizes=[32]))
    def bad(x: torch.Tensor, beta: float) -> torch.Tensor:
        out = torch.empty_like(x)
        for tile in hl.tile(x.size(0)):
            if x[tile].sum() > beta:
                out[tile] = x[tile]
        return out

    with pytest.raises(helion.exc.NotSupported, match=rf"{HERE}:{_line(bad, 'if x[tile]')}: `if` on a device value"):
        bad(torch.randn(64), 1.0)


# ----------------------------------------------------------- one name for a multi-dim tile
@helion.kernel(config=helion.Config(block_sizes=[16, 32]))
def add_tiles(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    out = torch.empty_like(x)
    for tile in hl.tile(out.size()):
        out[tile] = x[tile] + y[tile]
    return out


@helion.kernel(config=helion.Config(block_sizes=[16, 16, 16]))
def tile_parts(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    m, k = x.size()
    _, n = y.size()
    out = torch.empty([m, n], dtype=torch.float32, device=x.device)
    for tile in hl.tile([m, n]):
        tm, tn = tile
        acc = hl.zeros(tile, dtype=torch.float32)
        for tk in hl.tile(k):
            acc = acc + torch.matmul(x[tile[0], tk], y[tk, tn])
        out[tile] = acc + tile[1].index.to(torch.float32)[None, :] - tm.index.to(torch.float32)[:, None]
    return out


@helion.kernel(config=helion.Config(block_sizes=[8, 4, 8]))
def inner_multi(x: torch.Tensor) -> torch.Tensor:
    b, m, n = x.size()
    out = torch.empty([b], dtype=torch.float32, device=x.device)
    for tb in hl.tile(b):
        acc = hl.zeros([tb], dtype=torch.float32)
        for t in hl.tile([m, n]):
            acc = acc + x[tb, t].to(torch.float32).sum(-1).sum(-1)
        out[tb] = acc
    return out


@pytest.mark.parametrize("device", DEVICES)
def test_one_name_for_a_multi_dim_tile(device, poison_empty):
    x, y = torch.randn(37, 50, device=device), torch.randn(37, 50, device=device)
    a, b = torch.randn(40, 24, device=device), torch.randn(24, 33, device=device)
    z = torch.randn(19, 21, 30, device=device)
    poison_empty()
    got = add_tiles(x, y), tile_parts(a, b), inner_multi(z)
    _sync(device)
    torch.testing.assert_close(got[0].double(), x.double() + y.double(), atol=1e-5, rtol=1e-5)
    cols = torch.arange(33, device=device, dtype=torch.float64)[None, :]
    rows = torch.arange(40, device=device, dtype=torch.float64)[:, None]
    torch.testing.assert_close(got[1].double(), a.double() @ b.double() + cols - rows, atol=2e-2, rtol=1e-2)
    torch.testing.assert_close(got[2].double(), z.double().sum((1, 2)), atol=1e-3, rtol=1e-4)


def test_one_name_for_a_multi_dim_tile_sm90(compile_case_sm90):
    x = torch.randn(64, 48)
    _, ck, _ = compile_case_sm90(add_tiles, (x, x), helion.Config(block_sizes=[32, 16], loop_orders=[[1, 0]]))
    assert ck.asm["cubin"]
    _, ck, _ = compile_case_sm90(tile_parts, (torch.randn(64, 32), torch.randn(32, 48)), helion.Config(block_sizes=[32, 16, 16]))
    assert ck.asm["cubin"]


def test_multi_dim_tile_bad_unpacking_is_located():
    @helion.kernel(config=helion.Config(block_sizes=[16, 16]))
    def bad(x: torch.Tensor) -> torch.Tensor:
        out = torch.empty_like(x)
        for a, b, c in hl.tile(x.size()):
            out[a, b] = x[a, b]
        return out

    with pytest.raises(helion.exc.TypeError_, match=rf"{HERE}:{_line(bad, 'for a, b, c')}: the loop has 2 dimensions; "
                                                     r"unpack them as `for t0, t1 in \.\.\.` or take them as one name"):
        bad(torch.randn(8, 8))


# ----------------------------------------------------------- module globals bound late
@helion.kernel(config=helion.Config(block_sizes=[32]))
def uses_late_globals(x: torch.Tensor) -> torch.Tensor:
    out = torch.empty_like(x)
    scale = LATE_SCALE * 2  # host code reads it at call time too
    for tile in hl.tile(x.size(0)):
        out[tile] = late_helper(x[tile]) * scale + LATE_SCALE
    return out


def late_helper(v):
    return torch.sigmoid(v) + LATE_OFFSET


LATE_SCALE = 1.5
LATE_OFFSET = 0.25


@pytest.mark.parametrize("device", DEVICES)
def test_module_globals_defined_after_the_kernel(device):
    x = torch.randn(90, device=device)
    out = uses_late_globals(x)
    _sync(device)
    xd = x.double()
    torch.testing.assert_close(out.double(), (torch.sigmoid(xd) + LATE_OFFSET) * 3.0 + 1.5, atol=1e-5, rtol=1e-5)


def test_undefined_global_is_located():
    @helion.kernel(config=helion.Config(block_sizes=[32]))
    def bad(x: torch.Tensor) -> torch.Tensor:
        out = torch.empty_like(x)
        for tile in hl.tile(x.size(0)):
            out[tile] = never_defined_helper(x[tile])  # noqa: F821
        return out

    with pytest.raises(helion.exc.NotSupported, match=rf"{HERE}:{_line(bad, 'never_defined')}: name 'never_defined_helper' is not defined"):
        bad(torch.randn(8))


# ----------------------------------------------------------- epilogues
@helion.kernel(config=helion.Config(block_sizes=[16, 16, 16]))
def matmul_epilogue(x: torch.Tensor, y: torch.Tensor, epilogue) -> torch.Tensor:
    m, k = x.size()
    _, n = y.size()
    out = torch.empty([m, n], dtype=x.dtype, device=x.device)
    for tile_m, tile_n in hl.tile([m, n]):
        acc = hl.zeros([tile_m, tile_n], dtype=torch.float32)
        for tile_k in hl.tile(k):
            acc = torch.addmm(acc, x[tile_m, tile_k], y[tile_k, tile_n])
        out[tile_m, tile_n] = epilogue(acc, (tile_m, tile_n))
    return out


EPILOGUE_BIAS = None  # a module-level tensor an epilogue reads (set by the test)


def _global_bias_epilogue(acc, tile):
    return acc * 2 - EPILOGUE_BIAS[tile[1]]


@pytest.mark.parametrize("device", DEVICES)
def test_epilogues_and_captured_tensors(device, monkeypatch):
    x, y = torch.randn(40, 24, device=device), torch.randn(24, 36, device=device)
    bias, rows = torch.randn(36, device=device), torch.randn(40, device=device)
    ref = x.double() @ y.double()

    def relu_bias(acc, tile):  # a closure over two host tensors and a float
        tm, tn = tile
        return torch.relu(acc + bias[tn]) * rows[tm][:, None] * scale

    scale = 0.5
    cases = [(lambda acc, tile: acc + 1.0, ref + 1),
             (relu_bias, torch.relu(ref + bias.double()) * rows.double()[:, None] * 0.5)]
    for fn, want in cases:
        out = matmul_epilogue(x, y, fn)
        _sync(device)
        torch.testing.assert_close(out.double(), want, atol=2e-2, rtol=1e-2)
    # new tensors in the closure on the next call: read, not baked in
    bias, rows = torch.randn(36, device=device), torch.randn(40, device=device)
    out = matmul_epilogue(x, y, relu_bias)
    _sync(device)
    torch.testing.assert_close(out.double(), torch.relu(ref + bias.double()) * rows.double()[:, None] * 0.5, atol=2e-2, rtol=1e-2)
    # a module global tensor read by a module-level epilogue
    monkeypatch.setitem(globals(), "EPILOGUE_BIAS", torch.randn(36, device=device))
    out = matmul_epilogue(x, y, _global_bias_epilogue)
    _sync(device)
    torch.testing.assert_close(out.double(), ref * 2 - EPILOGUE_BIAS.double(), atol=2e-2, rtol=1e-2)


def test_epilogue_sm90(compile_case_sm90):
    x, y, bias = torch.randn(64, 32), torch.randn(32, 64), torch.randn(64)
    bound_args = (x, y, lambda acc, tile: torch.sigmoid(acc) + bias[tile[1]])
    ttir, ck, _ = compile_case_sm90(matmul_epilogue, bound_args, helion.Config(block_sizes=[32, 32, 16]))
    assert ck.asm["cubin"]
    assert ttir.text.count("!tt.ptr<f32>") >= 4  # x, y, out and the captured bias


def test_epilogue_tensor_on_another_device_is_refused():
    other = torch.randn(36, device="meta")
    with pytest.raises(helion.exc.InvalidArgument, match=r"'epilogue\.other'"):
        matmul_epilogue(torch.randn(8, 8), torch.randn(8, 36), lambda acc, tile: acc + other[tile[1]])
