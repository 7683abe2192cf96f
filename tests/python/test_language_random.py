"""hl.rand / hl.randint: Philox-4x32-10 numbers that depend only on (seed,
element position). Checked bit for bit against a torch implementation of the
generator (itself checked against the published known answer), the same for
every Config, uniform statistics, seeds loaded in the kernel, the GPU against
the CPU executor bit for bit (marker gpu), sm_90 compiles, and bad calls."""

import pytest
import torch

import helion
import helion.language as hl
from helion import exc
from random_ops import dropout, dropout_reference, philox_uniform, philox_words
from language_helpers import DEVICES, line_of

C = helion.Config


def _run(kernel, args, config):
    kernel.bind(args).set_config(config)
    out = kernel(*args)
    if args[0].device.type == "cuda":
        torch.cuda.synchronize()
    return out


def test_reference_generator_known_answer():
    """Random123's known answer for Philox-4x32-10 with a zero counter and key."""
    assert int(philox_words(torch.tensor([0]), 0)[0]) == 0x6627E8D5


@helion.kernel()
def rand_2d(x: torch.Tensor, seed: int) -> torch.Tensor:
    out = torch.empty_like(x)
    for tm, tn in hl.tile(x.size()):
        out[tm, tn] = hl.rand([tm, tn], seed)
    return out


@helion.kernel()
def rand_3d(x: torch.Tensor, seed: int) -> torch.Tensor:
    """A grid index, a tile and a static dim: positions over [b, m, 4]."""
    out = torch.empty_like(x)
    for b in hl.grid(x.size(0)):
        for tm in hl.tile(x.size(1)):
            out[b, tm, :] = hl.rand([b, tm, 4], seed=seed)[0, :, :]
    return out


CONFIGS_2D = [C(block_sizes=[16, 16]), C(block_sizes=[64, 8], loop_orders=[[1, 0]]),
              C(block_sizes=[8, 128], num_warps=8), C(block_sizes=[1, 32], l2_groupings=[4])]


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("seed", [0, 12345, 2 ** 40 + 7])
def test_rand_is_the_generator_at_each_position_for_every_config(device, seed):
    x = torch.empty(100, 77, device=device)
    ref = philox_uniform((100, 77), seed, device)
    for config in CONFIGS_2D:
        assert torch.equal(_run(rand_2d, (x, seed), config), ref), config


@pytest.mark.parametrize("device", DEVICES)
def test_rand_3d_with_grid_and_static_dims(device):
    x = torch.empty(3, 50, 4, device=device)
    for config in (C(block_sizes=[16]), C(block_sizes=[64])):
        assert torch.equal(_run(rand_3d, (x, 99), config), philox_uniform((3, 50, 4), 99, device))


@helion.kernel()
def rand_rows(x: torch.Tensor, seed: int) -> torch.Tensor:
    """Whole rows of 37: that int of the shape is the full slice's dim (`x[t, :]`)."""
    out = torch.empty_like(x)
    for tm in hl.tile(x.size(0)):
        out[tm, :] = x[tm, :] + hl.rand([tm, x.size(1)], seed)
    return out


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("config", [C(block_sizes=[4]), C(block_sizes=[8], reduction_loops=[16]),
                                    C(block_sizes=[1], reduction_loops=[64])])
def test_rand_over_full_rows(device, config):
    x = torch.randn(21, 37, device=device)
    out = _run(rand_rows, (x, 5), config)
    assert torch.equal(out, x + philox_uniform((21, 37), 5, device))


@pytest.mark.parametrize("device", DEVICES)
def test_rand_statistics(device):
    """300K draws: mean 1/2 and variance 1/12 within 6 standard errors, ten
    equal bins within 6 standard deviations, range [0, 1), and numbers of
    different seeds uncorrelated."""
    x = torch.empty(600, 500, device=device)
    u = _run(rand_2d, (x, 7), C(block_sizes=[32, 64])).double().flatten()
    n = u.numel()
    assert 0.0 <= float(u.min()) and float(u.max()) < 1.0
    assert abs(float(u.mean()) - 0.5) < 6 * (1 / 12 / n) ** 0.5
    assert abs(float(u.var()) - 1 / 12) < 6 * (1 / 180 / n) ** 0.5  # the variance of (u - 1/2)^2 is 1/180
    counts = torch.histc(u, bins=10, min=0.0, max=1.0)
    assert float((counts - n / 10).abs().max()) < 6 * (n * 0.1 * 0.9) ** 0.5
    v = _run(rand_2d, (x, 8), C(block_sizes=[32, 64])).double().flatten()
    assert abs(float(torch.corrcoef(torch.stack([u, v]))[0, 1])) < 6 / n ** 0.5


@helion.kernel()
def rand_loaded_seed(x: torch.Tensor, seeds: torch.Tensor) -> torch.Tensor:
    """The seed read in the kernel (a runtime value: no recompile per seed)."""
    out = torch.empty_like(x)
    for tm, tn in hl.tile(x.size()):
        out[tm, tn] = hl.rand([tm, tn], seeds[1])
    return out


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", [torch.int64, torch.int32])
def test_seed_loaded_in_the_kernel(device, dtype):
    x = torch.empty(40, 33, device=device)
    seeds = torch.tensor([5, 2 ** 31 - 3 if dtype == torch.int32 else 2 ** 45 + 11], device=device, dtype=dtype)
    out = _run(rand_loaded_seed, (x, seeds), C(block_sizes=[16, 16]))
    assert torch.equal(out, philox_uniform((40, 33), int(seeds[1]), device))


@helion.kernel()
def randint_2d(x: torch.Tensor, low: int, high: int) -> torch.Tensor:
    out = torch.empty(x.shape, dtype=torch.int32, device=x.device)
    for tm, tn in hl.tile(x.size()):
        out[tm, tn] = hl.randint([tm, tn], low, high, 42)
    return out


def _randint_reference(shape, low, high, seed, device):
    positions = torch.arange(shape[0] * shape[1], dtype=torch.int64, device=device).reshape(shape)
    word = philox_words(positions, seed)
    return (low + ((word * (high - low)) >> 32 & 0xFFFFFFFF)).to(torch.int32)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("low,high", [(0, 10), (-7, 5), (-2 ** 31, 2 ** 31), (3, 4)])
def test_randint(device, low, high):
    x = torch.empty(300, 200, device=device)
    out = _run(randint_2d, (x, low, high), C(block_sizes=[32, 16]))
    assert torch.equal(out, _randint_reference((300, 200), low, high, 42, device))
    assert int(out.min()) >= low and int(out.max()) < high
    if high - low <= 10:  # every value drawn, in about equal numbers
        counts = torch.bincount((out - low).flatten().long(), minlength=high - low)
        n = out.numel()
        p = 1 / (high - low)
        assert float((counts - n * p).abs().max()) <= 6 * (n * p * (1 - p)) ** 0.5 + 1e-9


@pytest.mark.gpu
def test_gpu_numbers_match_the_cpu_executor_bit_for_bit():
    """The same kernel and Config on both devices: identical floats and ints."""
    for kernel, make in ((rand_2d, lambda d: (torch.empty(300, 257, device=d), 31337)),
                         (randint_2d, lambda d: (torch.empty(300, 257, device=d), -1000, 1000))):
        config = C(block_sizes=[64, 32])
        cpu = _run(kernel, make("cpu"), config)
        gpu = _run(kernel, make("cuda"), config)
        assert torch.equal(gpu.cpu(), cpu)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_dropout_example(device, dtype):
    x = torch.randn(100, 77, device=device, dtype=dtype)
    out = _run(dropout, (x, 0.25, 2024), C(block_sizes=[32, 16]))
    rtol = 1e-6 if dtype == torch.float32 else 1e-2  # x * scale rounds to x's dtype
    torch.testing.assert_close(out.double(), dropout_reference(x, 0.25, 2024), atol=0, rtol=rtol)
    assert abs(float((out == 0).double().mean()) - 0.25) < 0.02


@pytest.mark.parametrize("kernel,args", [
    (rand_2d, (torch.empty(100, 77), 3)),
    (randint_2d, (torch.empty(100, 77), -5, 5)),
    (rand_loaded_seed, (torch.empty(40, 33), torch.tensor([1, 2]))),
    (rand_rows, (torch.empty(21, 37), 5)),
], ids=["rand", "randint", "loaded_seed", "rows"])
def test_compiles_for_sm90(compile_case_sm90, kernel, args):
    config = C(block_sizes=[32, 32]) if kernel is not rand_rows else C(block_sizes=[8], reduction_loops=[16])
    ttir, compiled, _ = compile_case_sm90(kernel, args, config)
    assert compiled.asm.get("ptx")


# ------------------------------------------------------------------ bad calls
@helion.kernel()
def bad_seed(x: torch.Tensor) -> torch.Tensor:
    out = torch.empty_like(x)
    for t in hl.tile(x.size(0)):
        out[t] = hl.rand([t], x[t])
    return out


@helion.kernel()
def bad_range(x: torch.Tensor) -> torch.Tensor:
    out = torch.empty(x.shape, dtype=torch.int32)
    for t in hl.tile(x.size(0)):
        out[t] = hl.randint([t], 5, 5, 1)
    return out


@helion.kernel()
def bad_shape(x: torch.Tensor) -> torch.Tensor:
    out = torch.empty_like(x)
    for t in hl.tile(x.size(0)):
        out[t] = hl.rand([t], 1, 2, 3)
    return out


@helion.kernel()
def bad_block_size_shape(x: torch.Tensor) -> torch.Tensor:
    out = torch.empty_like(x)
    bs = hl.register_block_size(x.size(0))
    for t in hl.tile(x.size(0), block_size=bs):
        out[t] = hl.rand([bs], 1)
    return out


@pytest.mark.parametrize("kernel,error,match,marker", [
    (bad_seed, exc.TypeError_, "seed must be an int or an integer scalar", "hl.rand"),
    (bad_range, exc.TypeError_, r"the range \[5, 5\) is empty", "hl.randint"),
    (bad_shape, exc.TypeError_, r"hl.rand\(shape, seed, device=None\): too many positional arguments", "hl.rand"),
    (bad_block_size_shape, exc.TypeError_, "shape entry 0 must be a loop tile or an int", "hl.rand"),
], ids=["seed", "range", "arguments", "block_size"])
def test_bad_calls(kernel, error, match, marker):
    with pytest.raises(error, match=match) as e:
        kernel.bind((torch.randn(16),))
    assert e.value.location.endswith(f"test_language_random.py:{line_of(kernel, marker)}")
