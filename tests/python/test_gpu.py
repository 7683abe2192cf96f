"""GPU numerics (run on the device machine: scripts/gpu_run.sh): every kernel
of the end-to-end issue, several configs, fp32/bf16/fp16, ragged sizes and
transposed inputs, against a float64 torch reference. Outputs are poisoned
(NaN) before each launch so a missed store cannot pass."""
import pytest
import torch

import helion
import helion.language as hl
import kernels

pytestmark = pytest.mark.gpu

DTYPES = [torch.float32, torch.bfloat16, torch.float16]
CASES = [(name, i, dt) for name, case in kernels.CASES.items() for i in range(0, len(case[3]), 3) for dt in DTYPES]


@pytest.mark.parametrize("name,index,dtype", CASES, ids=[f"{n}-{i}-{str(d)[6:]}" for n, i, d in CASES])
def test_kernel_matches_torch(name, index, dtype, poison_empty):
    kernel, make, _, configs = kernels.CASES[name]
    torch.manual_seed(1000 + index)
    args = make("cuda", dtype)
    kernel.bind(args).set_config(configs[index])
    poison_empty()
    out = kernel(*args)
    torch.cuda.synchronize()
    atol, rtol = kernels.tolerance(dtype, name)
    torch.testing.assert_close(out.double(), kernels.reference(name, *args), atol=atol, rtol=rtol)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(1000, 1000, 1000), (1023, 517, 259)])
def test_matmul_ragged_and_transposed(shape, dtype, poison_empty):
    m, k, n = shape
    x = torch.randn(k, m, device="cuda", dtype=dtype).t()  # non-contiguous view
    y = torch.randn(n, k, device="cuda", dtype=dtype).t()
    poison_empty()
    for config in (helion.Config(block_sizes=[64, 64, 32], num_warps=4, num_stages=3),
                   helion.Config(block_sizes=[128, 64, 64], l2_groupings=[8], loop_orders=[[1, 0]], num_warps=8, num_stages=3)):
        kernels.readme_matmul.bind((x, y)).set_config(config)
        out = kernels.readme_matmul(x, y)
        torch.cuda.synchronize()
        ref = x.double() @ y.double()
        tol = 2e-2 * k ** 0.5 / 8 if dtype == torch.float32 else 1e-1 * k ** 0.5 / 8
        torch.testing.assert_close(out.double(), ref, atol=tol, rtol=5e-2)


def test_configs_list_picks_fastest():
    @helion.kernel(configs=[helion.Config(block_sizes=[32]), helion.Config(block_sizes=[1024])])
    def add1(x: torch.Tensor) -> torch.Tensor:
        out = torch.empty_like(x)
        for t in hl.tile(x.size(0)):
            out[t] = x[t] + 1
        return out

    x = torch.randn(1 << 20, device="cuda")
    torch.testing.assert_close(add1(x), x + 1)
    key = next(iter(add1._specs))
    assert add1._specs[key].best.config.block_sizes == [1024]


@pytest.mark.parametrize("fp8", [torch.float8_e4m3fn, torch.float8_e5m2])
def test_fp8_matmul(fp8):
    x = torch.randn(256, 512, device="cuda").to(fp8)
    y = torch.randn(512, 192, device="cuda").to(fp8).t().contiguous().t()  # column-major B, as fp8 wgmma wants
    out = torch.full((256, 192), float("nan"), device="cuda")

    kernels.fp8_matmul.bind((x, y, out)).set_config(helion.Config(block_sizes=[64, 64, 64], num_warps=4, num_stages=3))
    torch.testing.assert_close(kernels.fp8_matmul(x, y, out).double(), x.double() @ y.double(), atol=1e-2, rtol=1e-3)
