"""GPU numerics of the reduction kernels (softmax variants, norms, puzzles
7-9, attention): bf16/fp16/fp32, poisoned outputs, float64 references."""
import pytest
import torch

import reduction_kernels as rk

pytestmark = pytest.mark.gpu

DTYPES = [torch.float32, torch.bfloat16, torch.float16]
CASES = [(name, i, dt) for name, case in rk.CASES.items() for i in range(0, len(case[3]), 3) for dt in DTYPES]
# Every looped-reduction config (reduction_loops set), all dtypes.
CASES += [(name, i, dt) for name, case in rk.CASES.items() for i, c in enumerate(case[3])
          if i % 3 and c.config.get("reduction_loops") for dt in DTYPES]


@pytest.mark.parametrize("name,index,dtype", CASES, ids=[f"{n}-{i}-{str(d)[6:]}" for n, i, d in CASES])
def test_reduction_kernel_matches_torch(name, index, dtype, poison_empty):
    kernel, make, ref, configs = rk.CASES[name]
    torch.manual_seed(2000 + index)
    args = make("cuda", dtype)
    kernel.bind(args).set_config(configs[index])
    poison_empty()
    out = kernel(*args)
    torch.cuda.synchronize()
    atol, rtol = rk.tolerance(dtype, name)
    torch.testing.assert_close(out.double(), ref(*args), atol=atol, rtol=rtol)


@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("head_dim", [64, 128])
@pytest.mark.parametrize("dtype", DTYPES)
def test_attention_shapes(causal, head_dim, dtype):
    q, k, v = (torch.randn(4, 333, head_dim, device="cuda", dtype=dtype) for _ in range(3))
    rk.attention.bind((q, k, v, causal)).set_config(rk.C(block_sizes=[64, 64], num_warps=4, num_stages=2))
    out = rk.attention(q, k, v, causal)
    torch.testing.assert_close(out.double(), rk.attention_reference(q, k, v, causal), atol=3e-2, rtol=3e-2)


@pytest.mark.parametrize("chunk", [256, 512])
@pytest.mark.parametrize("n", [1024, 4000])
def test_looped_softmax_long_rows(n, chunk, poison_empty):
    x = torch.randn(64, n, device="cuda", dtype=torch.bfloat16)
    rk.softmax.bind((x,)).set_config(rk.C(block_sizes=[1], reduction_loops=[chunk], num_warps=8))
    poison_empty()
    out = rk.softmax(x)
    torch.testing.assert_close(out.double(), torch.softmax(x.double(), 1), atol=2e-2, rtol=2e-2)
