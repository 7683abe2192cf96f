"""torch ops in device code with torch's semantics: activations (softplus, mish,
elu, leaky_relu, hardswish, gelu), sign, erf/erfc, log1p/expm1, remainder,
floor_divide and fmod (and `%`, `//`), torch.where with Python scalars, the
method forms; views of device values (view, reshape, squeeze, unsqueeze,
flatten, permute, transpose) and flip.

Each numerics test runs on the CPU executor and, marked gpu, on CUDA, against a
float64 torch reference on fresh random inputs with the special values (inf,
NaN, signed zeros, tiny and huge) mixed in; ops that torch computes exactly
(sign, remainder, ...) must match torch's float32 result bit for bit.
"""
import inspect
import math
import zlib

import pytest
import torch
import torch.nn.functional as F

import helion
import helion.language as hl

DEVICES = ["cpu", pytest.param("cuda", marks=pytest.mark.gpu)]
SPECIAL = [0.0, -0.0, float("inf"), float("-inf"), float("nan"), 1e-8, -1e-8, 1e-30, -3e-6, 30.0, -30.0, 100.0,
           -100.0, 0.5, -0.5, 9.9, 10.2, -1.0, -0.999, 1e-3, 6.0, -6.0, 3.0, -3.0]


def _inputs(name: str, device: str, dtype: torch.dtype, n: int = 300):
    """x: the special values, then normal values of several scales; y: divisors
    away from 0 (|x / y| < 2^22, where torch's float fmod is exact for us too)."""
    g = torch.Generator().manual_seed(zlib.crc32(f"{name}-{device}-{dtype}".encode()))
    x = torch.randn(n, generator=g, dtype=torch.float64) * torch.tensor([0.01, 1.0, 4.0, 100.0]).repeat(n // 4 + 1)[:n]
    x[:len(SPECIAL)] = torch.tensor(SPECIAL, dtype=torch.float64)
    y = torch.randn(n, generator=g, dtype=torch.float64) * 3
    y = torch.where(y.abs() < 0.05, 0.7, y)
    y[:6] = torch.tensor([2.0, -2.0, float("inf"), -3.0, 2.0, float("-inf")])
    return x.to(dtype).to(device), y.to(dtype).to(device)


_KERNELS = {}


def _pointwise(f):
    """out[t] = f(x[t], y[t]) over 1-d tensors (one kernel per f)."""
    if f not in _KERNELS:
        @helion.kernel(config=helion.Config(block_sizes=[64]))
        def pointwise(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
            out = torch.empty_like(x)
            for t in hl.tile(x.size(0)):
                out[t] = f(x[t], y[t])
            return out
        _KERNELS[f] = pointwise
    return _KERNELS[f]


# name -> f(x, y); the same function is the kernel's body and, on float64 inputs, the reference.
APPROX = {
    "softplus": lambda x, y: F.softplus(x),
    "softplus_beta_threshold": lambda x, y: F.softplus(x, beta=2.0, threshold=5.0),
    "softplus_positional": lambda x, y: F.softplus(x, 0.5, 3.0),
    "mish": lambda x, y: F.mish(x),
    "elu": lambda x, y: F.elu(x),
    "elu_alpha": lambda x, y: F.elu(x, alpha=0.3),
    "hardswish": lambda x, y: F.hardswish(x),
    "hardsigmoid": lambda x, y: F.hardsigmoid(x),
    "selu": lambda x, y: F.selu(x) + torch.selu(y),
    "celu": lambda x, y: F.celu(x) + F.celu(y, alpha=0.4),
    "logsigmoid": lambda x, y: F.logsigmoid(x),
    "softsign": lambda x, y: F.softsign(x),
    "expit": lambda x, y: torch.special.expit(x),
    "gelu_tanh": lambda x, y: F.gelu(x, approximate="tanh"),
    "gelu": lambda x, y: F.gelu(x),
    "tanh": lambda x, y: torch.tanh(x),
    "erf": lambda x, y: torch.erf(x),
    "erfc": lambda x, y: torch.erfc(x),
    "erfc_method": lambda x, y: x.erfc() + torch.special.erfc(y),
    "log1p": lambda x, y: torch.log1p(x),
    "log1p_method": lambda x, y: x.log1p() + torch.special.log1p(y),
    "expm1": lambda x, y: torch.expm1(x),
    "expm1_method": lambda x, y: x.expm1() + torch.special.expm1(y),
}
# Ops torch computes exactly (up to the rounding of one float32 result): bit for bit.
EXACT = {
    "sign": lambda x, y: torch.sign(x),
    "sign_method": lambda x, y: x.sign(),
    "leaky_relu": lambda x, y: F.leaky_relu(x),
    "hardtanh": lambda x, y: F.hardtanh(x) + F.hardtanh(y, -0.5, max_val=2.0),
    "relu6": lambda x, y: F.relu6(x),
    "leaky_relu_slope": lambda x, y: F.leaky_relu(x, 0.2),
    "leaky_relu_keyword": lambda x, y: F.leaky_relu(x, negative_slope=0.05),
    "remainder": lambda x, y: torch.remainder(x, y),
    "remainder_method": lambda x, y: x.remainder(y),
    "remainder_operator": lambda x, y: x % y,
    "remainder_scalar": lambda x, y: x % 0.75,
    "remainder_scalar_left": lambda x, y: 2.5 % y,
    "floor_divide": lambda x, y: torch.floor_divide(x, y),
    "floor_divide_method": lambda x, y: x.floor_divide(y),
    "floor_divide_operator": lambda x, y: x // y,
    "floor_divide_scalar": lambda x, y: x // -1.5,
    "fmod": lambda x, y: torch.fmod(x, y),
    "fmod_method": lambda x, y: x.fmod(y),
    "where_scalar_else": lambda x, y: torch.where(x > y, x, 0.0),
    "where_scalar_then": lambda x, y: torch.where(x > y, -1.5, y),
    "where_scalars": lambda x, y: torch.where(x > 0, 2.0, -3),
    "where_method": lambda x, y: x.where(x < y, 0.25),
}


def _check(name, f, device, dtype, exact):
    x, y = _inputs(name, device, dtype)
    out = _pointwise(f)(x, y)
    assert out.dtype == dtype and out.device == x.device
    if exact:
        expected = f(x, y).to(dtype)  # torch on the same device and dtype
        torch.testing.assert_close(out, expected, rtol=0, atol=0, equal_nan=True)
        numbers = ~expected.isnan()
        if not (name == "relu6" and device == "cuda"):  # torch's CUDA relu6(-0.0) is +0.0, its CPU kernel's -0.0 (ours)
            assert torch.equal(out.signbit()[numbers], expected.signbit()[numbers]), "signed zeros differ"
        return
    expected = f(x.double(), y.double())
    if dtype == torch.float32:
        atol, rtol = (1e-6, 3e-6) if device == "cpu" else (1e-6, 5e-5)  # the GPU's exp is ex2.approx
    else:
        atol, rtol = 1e-2, 1e-2
    expected = expected.to(dtype).double()  # past float32's range: inf, as torch gives in float32
    torch.testing.assert_close(out.double(), expected, atol=atol, rtol=rtol, equal_nan=True)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16], ids=["float32", "bfloat16"])
@pytest.mark.parametrize("name", list(APPROX))
def test_float_ops_match_float64_reference(name, dtype, device):
    _check(name, APPROX[name], device, dtype, exact=False)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("name", list(EXACT))
def test_exact_float_ops_match_torch_bit_for_bit(name, dtype, device):
    _check(name, EXACT[name], device, dtype, exact=True)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["float32", "float64"])
def test_remainder_with_large_quotients(dtype, device):
    """Quotients up to 2^21 (float32) and 2^40 (float64), where x / y rounds across
    integers: the fma residual and its sign fix-up keep torch's exact results."""
    g = torch.Generator().manual_seed(zlib.crc32(f"large-{device}-{dtype}".encode()))
    scale = 2.0 ** 20 if dtype == torch.float32 else 2.0 ** 39
    x = (torch.randn(2000, generator=g, dtype=torch.float64) * scale).to(dtype).to(device)
    y = (torch.rand(2000, generator=g, dtype=torch.float64) * 2 + 0.5).to(dtype).to(device) * torch.sign(x)
    y[::3] = -y[::3]
    for f in (EXACT["remainder"], EXACT["floor_divide"], EXACT["fmod"]):
        torch.testing.assert_close(_pointwise(f)(x, y), f(x, y), rtol=0, atol=0)


# Where a naive formula loses every digit: 1 + x - 1, 1 - erf(x), 2 * sigmoid(2x) - 1.
TAILS = {
    "log1p": lambda x, y: torch.log1p(x),
    "expm1": lambda x, y: torch.expm1(x),
    "tanh": lambda x, y: torch.tanh(x),
    "erfc": lambda x, y: torch.erfc(x),
}


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("name", list(TAILS))
def test_relative_accuracy_near_zero_and_in_the_tails(name, device):
    x = torch.tensor([1e-7, -1e-7, 3e-10, 1e-20, -2e-5, 4.5, 6.0, 8.0, 9.5, 10.0], device=device)
    out = _pointwise(TAILS[name])(x, x).double()
    expected = TAILS[name](x.double(), None).float().double()  # erfc(9.5) is a float32 denormal
    assert ((out - expected).abs() <= 5e-6 * expected.abs() + 1e-44).all(), (out, expected)


INT = {
    "remainder": lambda x, y: torch.remainder(x, y),
    "remainder_operator": lambda x, y: x % y,
    "remainder_scalar": lambda x, y: x % -3,
    "floor_divide": lambda x, y: torch.floor_divide(x, y),
    "floor_divide_operator": lambda x, y: x // y,
    "floor_divide_scalar": lambda x, y: x // 4,
    "fmod": lambda x, y: torch.fmod(x, y),
    "sign": lambda x, y: torch.sign(x) * 10 + y.sign(),
    "where_int_scalars": lambda x, y: torch.where(x > y, 7, x),
    "hardtanh_relu6": lambda x, y: F.hardtanh(x, -50, 30.0) + F.relu6(y * 2),
}


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", [torch.int32, torch.int64, torch.int8], ids=["int32", "int64", "int8"])
@pytest.mark.parametrize("name", list(INT))
def test_integer_ops_match_torch(name, dtype, device):
    g = torch.Generator().manual_seed(zlib.crc32(f"{name}-{device}-{dtype}".encode()))
    x = torch.randint(-100, 100, (200,), generator=g).to(dtype).to(device)
    y = torch.randint(1, 12, (200,), generator=g) * (torch.randint(0, 2, (200,), generator=g) * 2 - 1)
    y = y.to(dtype).to(device)
    out = _pointwise(INT[name])(x, y)
    expected = INT[name](x, y)
    assert out.dtype == expected.dtype
    assert torch.equal(out, expected)


@pytest.mark.parametrize("device", DEVICES)
def test_where_promotes_like_torch(device):
    """torch.where with Python scalars: the result dtype is torch's (an int
    tensor and a float scalar give float32), written to a float32 output."""
    @helion.kernel(config=helion.Config(block_sizes=[32]))
    def k(x: torch.Tensor, i: torch.Tensor) -> torch.Tensor:
        out = torch.empty([x.size(0), 4], dtype=torch.float32, device=x.device)
        for t in hl.tile(x.size(0)):
            a = torch.where(i[t] > 0, i[t], 2.5)  # int32 tensor, float scalar: float32
            b = torch.where(x[t] > 0, 1, 0)  # both Python ints: int64
            c = torch.where(x[t] > 0, x[t], -1)  # bfloat16
            d = torch.where(i[t] > 2, True, i[t] < -2)  # bool
            out[t, 0] = a
            out[t, 1] = b * 3 + (b.dtype == torch.int64)
            out[t, 2] = c + (c.dtype == torch.bfloat16)
            out[t, 3] = d.to(torch.float32) + (d.dtype == torch.bool)
        return out

    x = torch.randn(50, device=device, dtype=torch.bfloat16)
    i = torch.randint(-5, 5, (50,), device=device, dtype=torch.int32)
    expected = torch.stack([torch.where(i > 0, i, 2.5), torch.where(x > 0, 1, 0) * 3.0 + 1,
                            (torch.where(x > 0, x, -1) + 1).float(), torch.where(i > 2, True, i < -2).float() + 1], 1)
    torch.testing.assert_close(k(x, i), expected, rtol=0, atol=0)


@pytest.mark.parametrize("device", DEVICES)
def test_runtime_float_operands_and_parameters(device):
    """A float kernel argument (a runtime scalar) in %, //, fmod and as softplus's beta."""
    @helion.kernel(config=helion.Config(block_sizes=[8]))
    def k(x: torch.Tensor, s: float) -> torch.Tensor:
        out = torch.empty_like(x)
        for t in hl.tile(x.size(0)):
            out[t] = x[t] + (s % 0.7) + (s // -0.3) + torch.fmod(s, 0.4) + F.softplus(x[t], beta=s, threshold=s * 4)
        return out

    x = torch.randn(40, device=device) * 3
    for s in (2.5, -1.3):
        expected = x + (s % 0.7) + (s // -0.3) + math.fmod(s, 0.4) + F.softplus(x, beta=s, threshold=s * 4)
        torch.testing.assert_close(k(x, s), expected, atol=2e-6, rtol=2e-6)


# ---------------------------------------------------------------- views and flip


@helion.kernel(config=helion.Config(block_sizes=[8]))
def views(x: torch.Tensor) -> torch.Tensor:
    """Every view of a value computed in the kernel ([tile, 4, 8]), each back to [tile, 32]."""
    out = torch.empty([x.size(0), 9, 32], dtype=x.dtype, device=x.device)
    for t in hl.tile(x.size(0)):
        v = x[t, 0:4, 0:8] * 2
        n = t.size(0)
        out[t, 0, :] = v.view(t, -1)
        out[t, 1, :] = torch.reshape(v.permute(0, 2, 1), [n, 32])
        out[t, 2, :] = v.unsqueeze(1).transpose(-1, -2).squeeze(1).transpose(1, 2).flatten(1)
        out[t, 3, :] = torch.flatten(torch.unsqueeze(v, -1), start_dim=1)
        out[t, 4, :] = torch.transpose(v, 1, 2).reshape(n, 2, 4, 4).flatten(1, 2).flatten(-2)
        out[t, 5, :] = torch.squeeze(v.reshape(n, 1, 32), 1).view(n, 4, 8).swapaxes(1, 2).reshape(n, -1)
        out[t, 6, :] = torch.permute(v.view(n, 2, 2, 8), (0, 3, 1, 2)).reshape(n, 32)
        out[t, 7, :] = v.flip(2).flip(-2).reshape(n, 32)
        out[t, 8, :] = torch.flip(v.reshape(n, 32, 1).squeeze(), dims=[1])
    return out


def _views_reference(x):
    v, n = (x * 2).to(x.dtype), x.size(0)
    return torch.stack([v.reshape(n, 32), v.permute(0, 2, 1).reshape(n, 32), v.reshape(n, 32), v.reshape(n, 32),
                        v.transpose(1, 2).reshape(n, 32), v.transpose(1, 2).reshape(n, 32),
                        v.view(n, 2, 2, 8).permute(0, 3, 1, 2).reshape(n, 32), v.flip(1, 2).reshape(n, 32),
                        v.reshape(n, 32).flip(1)], 1)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16, torch.int32], ids=["float32", "bfloat16", "int32"])
def test_views_and_flip_of_device_values(dtype, device):
    x = (torch.randn(21, 5, 9) * 10).to(dtype).to(device)
    if dtype.is_floating_point:
        x[0, 0, :4] = torch.tensor([float("nan"), float("inf"), -0.0, float("-inf")])
    out = views(x)
    expected = _views_reference(x[:, :4, :8])
    torch.testing.assert_close(out, expected, rtol=0, atol=0, equal_nan=True)
    if dtype.is_floating_point:
        numbers = ~expected.isnan()
        assert torch.equal(out.signbit()[numbers], expected.signbit()[numbers])


@helion.kernel(config=helion.Config(block_sizes=[8]))
def bool_views(x: torch.Tensor) -> torch.Tensor:
    """Views and flips of a bool value computed in the kernel."""
    out = torch.empty([x.size(0), 2, 32], dtype=torch.int8, device=x.device)
    for t in hl.tile(x.size(0)):
        b = x[t, 0:4, 0:8] > 0
        out[t, 0, :] = b.flip(2).permute(0, 2, 1).reshape(t.size(0), 32).to(torch.int8)
        out[t, 1, :] = torch.flip(b.view(t, 32), [-1]).to(torch.int8)
    return out


@pytest.mark.parametrize("device", DEVICES)
def test_views_and_flip_of_bool_values(device):
    x = torch.randn(21, 4, 8, device=device)
    b, n = x > 0, x.size(0)
    expected = torch.stack([b.flip(2).permute(0, 2, 1).reshape(n, 32), b.reshape(n, 32).flip(1)], 1).to(torch.int8)
    assert torch.equal(bool_views(x), expected)


@pytest.mark.parametrize("device", DEVICES)
def test_views_over_several_configs(device):
    x = torch.randn(37, 4, 8, device=device)
    bound = views.bind((x,))
    for block in (1, 4, 16, 64):
        bound.set_config(helion.Config(block_sizes=[block]))
        torch.testing.assert_close(views(x), _views_reference(x), rtol=0, atol=0)


@helion.kernel(config=helion.Config(block_sizes=[4]))
def row_views(x: torch.Tensor) -> torch.Tensor:
    """Views of full rows (`x[t, :]` over 64): the row dim becomes static, the row persistent."""
    out = torch.empty([x.size(0), 3, 64], dtype=x.dtype, device=x.device)
    for t in hl.tile(x.size(0)):
        v = x[t, :]
        out[t, 0, :] = v.view(t, 4, 16).flip(-1).reshape(t, 64)
        out[t, 1, :] = torch.flip(v, [1])
        out[t, 2, :] = v.view(t, 4, 16).transpose(1, 2).flatten(1) + v.sum(-1, keepdim=True)
    return out


@pytest.mark.parametrize("device", DEVICES)
def test_views_of_full_rows(device):
    x = torch.randn(10, 64, device=device)
    v = x.view(10, 4, 16)
    expected = torch.stack([v.flip(-1).reshape(10, 64), x.flip(1), v.transpose(1, 2).flatten(1) + x.sum(-1, keepdim=True)], 1)
    torch.testing.assert_close(row_views(x), expected, rtol=1e-6, atol=1e-5)


def test_views_of_full_rows_refuse_a_looped_row():
    x = torch.randn(10, 64)
    bound = row_views.bind((x,))
    with pytest.raises(helion.exc.CompilationError, match="cannot loop reduction_loops") as e:
        bound.set_config(helion.Config(block_sizes=[4], reduction_loops=[16]))
        row_views(x)
    lines, start = inspect.getsourcelines(row_views.fn)
    line = start + next(i for i, text in enumerate(lines) if "out[t, 0, :]" in text)
    assert f'test_language_torch_ops.py":{line}:' in str(e.value)  # the first view of the row


# ---------------------------------------------------------------- sm_90


@helion.kernel()
def all_pointwise(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    out = torch.empty_like(x)
    for t in hl.tile(x.size(0)):
        a, b = x[t], y[t]
        v = F.softplus(a, 2.0, 5.0) + F.mish(a) + F.elu(a, 0.3) + F.leaky_relu(a, 0.2) + F.hardswish(a)
        v = v + F.gelu(a, approximate="tanh") + torch.sign(a) + torch.erfc(a) + torch.log1p(a) + torch.expm1(a)
        v = v + a % b + a // b + torch.fmod(a, b) + torch.where(a > b, a, 0.0)
        v = v + F.hardsigmoid(a) + F.selu(a) + F.celu(a, 0.4) + F.logsigmoid(a) + F.softsign(a) + F.hardtanh(a) + F.relu6(b)
        out[t] = v
    return out


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16], ids=["float32", "bfloat16"])
def test_pointwise_ops_compile_for_sm90(dtype, compile_case_sm90):
    args = (torch.randn(1000, dtype=dtype), torch.randn(1000, dtype=dtype))
    ttir, ck, _ = compile_case_sm90(all_pointwise, args, helion.Config(block_sizes=[256]))
    assert len(ck.asm["cubin"]) > 1000
    assert '"math.fma"' in ttir.text  # the exact fmod residual


def test_views_compile_for_sm90(compile_case_sm90):
    ttir, ck, _ = compile_case_sm90(views, (torch.randn(37, 4, 8),), helion.Config(block_sizes=[16]))
    assert len(ck.asm["cubin"]) > 1000
    assert '"tt.reshape"' in ttir.text and '"tt.trans"' in ttir.text
    _, ck, _ = compile_case_sm90(bool_views, (torch.randn(37, 4, 8),), helion.Config(block_sizes=[16]))
    assert len(ck.asm["cubin"]) > 1000


# ---------------------------------------------------------------- errors


def _bad_view(body):
    """A kernel applying body(v, t) to v = x[t, 0:4, 0:8]."""
    @helion.kernel(config=helion.Config(block_sizes=[8]))
    def k(x: torch.Tensor) -> torch.Tensor:
        out = torch.empty([x.size(0)], dtype=x.dtype, device=x.device)
        for t in hl.tile(x.size(0)):
            v = x[t, 0:4, 0:8]
            out[t] = body(v, t).sum(-1)
        return out
    return k


@pytest.mark.parametrize("body,err,match", [
    (lambda v, t: v.reshape(t.size(0), 3, 8), helion.exc.TypeError_, r"32 elements do not fit the new shape"),
    (lambda v, t: v.view(4, t.size(0), 8), helion.exc.TypeError_, r"a reshape keeps every tile dim in place"),
    (lambda v, t: v.reshape(-1), helion.exc.TypeError_, r"a reshape keeps every tile dim in place"),
    (lambda v, t: v.flatten(), helion.exc.TypeError_, r"cannot flatten dims 0..2 .* they include a tile dim"),
    (lambda v, t: v.flatten(2, 1), helion.exc.TypeError_, r"start_dim 2 comes after end_dim 1"),
    (lambda v, t: v.squeeze(3), helion.exc.TypeError_, r"dim 3 is out of range"),  # (a tile dim stays: no error)
    (lambda v, t: v.view(torch.int32), helion.exc.NotSupported, r"view\(torch.int32\) \(a bitcast\)"),
    (lambda v, t: v.flip(0), helion.exc.NotSupported, r"flip\(\) of dim 0 .* load the elements in reverse"),
    (lambda v, t: hl.zeros([t, 6], dtype=v.dtype).flip(1), helion.exc.NotSupported, r"dim 1 of size 6: needs a power-of-two"),
    (lambda v, t: torch.permute(v, (0, 1)), helion.exc.TypeError_, r"is not a permutation"),
    (lambda v, t: torch.transpose(v, 0, 3), helion.exc.TypeError_, r"dim 3 is out of range for a tensor of rank 3"),
    (lambda v, t: F.elu(v, inplace=True), helion.exc.NotSupported, r"elu\(inplace=True\)"),
    (lambda v, t: F.softplus(v.to(torch.int32)), helion.exc.TypeError_, r"softplus\(\) needs a floating-point tensor"),
    (lambda v, t: torch.where(v, v, 0.0), helion.exc.TypeError_, r"torch.where\(\) needs a bool condition"),
    (lambda v, t: torch.fmod(v.to(torch.int32), 0), helion.exc.TypeError_, r"torch.fmod\(x, 0\)`: division by zero"),
    (lambda v, t: F.softplus(v, beta=2.0, bogus=1), helion.exc.NotSupported, r"keyword arguments \['bogus'\]"),
    (lambda v, t: v.reshape(), helion.exc.TypeError_, r"reshape\(\)/view\(\) needs the new shape"),
    (lambda v, t: hl.zeros([1], dtype=v.dtype).reshape([]), helion.exc.NotSupported, r"reshape to a 0-d tensor"),
], ids=["size_mismatch", "tile_dim_moved", "tile_dim_merged", "flatten_tile_dim", "flatten_backwards",
        "squeeze_bad_dim", "view_dtype", "flip_tile_dim", "flip_not_power_of_two", "permute_short",
        "transpose_bad_dim", "inplace", "softplus_int", "where_float_condition", "fmod_int_zero", "unknown_keyword",
        "reshape_no_shape", "reshape_0d"])
def test_bad_uses_name_the_problem_and_the_line(body, err, match):
    """The error names the line of the bad call (the lambda, traced inline)."""
    with pytest.raises(err, match=match) as e:
        _bad_view(body)(torch.randn(16, 4, 8))
    assert f"test_language_torch_ops.py:{inspect.getsourcelines(body)[1]}" in str(e.value), str(e.value)
