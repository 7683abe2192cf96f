"""Every example kernel of examples/registry.py against its float64 torch
reference, through the real compiler: on the CPU executor (CI) and on the GPU
(marker gpu, scripts/gpu_run.sh). Each run takes fresh random inputs and
poisons torch.empty/empty_like (NaN) first, so an output element that a
kernel fails to store cannot pass. On the CPU, every config also compiles
through Triton to an sm_90 cubin.

Configs run per device: on the CPU the first five and every even index, in
fp32 and bf16; on the GPU every third and every looped-reduction config, in
fp32, bf16 and fp16.
"""
import zlib

import pytest
import torch

import helion
import helion.language as hl
from matmul import fp8_matmul, readme_matmul
from registry import EXAMPLES
from softmax import softmax
from attention import attention, attention_reference

DEVICE_DTYPES = {"cpu": (torch.float32, torch.bfloat16), "cuda": (torch.float32, torch.bfloat16, torch.float16)}


def _on(device):
    """pytest marks of a device: the GPU runs are marked gpu (skipped without CUDA)."""
    return [pytest.mark.gpu] if device == "cuda" else []


def _runs(device, ex, index):
    if device == "cpu":
        return index < 5 or index % 2 == 0
    return index % 3 == 0 or ex.looped(index)


def _dtype_id(dtype):
    return str(dtype)[6:]


NUMERIC = [pytest.param(device, name, i, dt, marks=_on(device), id=f"{device}-{name}-{i}-{_dtype_id(dt)}")
           for device, dtypes in DEVICE_DTYPES.items() for name, ex in EXAMPLES.items()
           for i in range(len(ex.configs)) if _runs(device, ex, i) for dt in dtypes]


@pytest.mark.parametrize("device,name,index,dtype", NUMERIC)
def test_matches_reference(device, name, index, dtype, poison_empty):
    ex = EXAMPLES[name]
    torch.manual_seed(zlib.crc32(f"{device}-{name}-{index}".encode()))
    args = ex.inputs(device, dtype)
    ex.kernel.bind(args).set_config(ex.configs[index])
    poison_empty()
    out = ex.kernel(*args)
    if device == "cuda":
        torch.cuda.synchronize()
    assert out.dtype == ex.expected_dtype(args)
    atol, rtol = ex.tolerance(dtype)
    torch.testing.assert_close(out.double(), ex.reference(*args), atol=atol, rtol=rtol)


SM90 = [pytest.param(name, i, torch.float32, id=f"{name}-{i}-float32")
        for name, ex in EXAMPLES.items() for i in range(len(ex.configs))]
SM90 += [pytest.param(name, 0, dt, id=f"{name}-0-{_dtype_id(dt)}") for name in EXAMPLES for dt in (torch.bfloat16, torch.float16)]


@pytest.mark.parametrize("name,index,dtype", SM90)
def test_compiles_to_sm90_cubin(name, index, dtype, compile_case_sm90):
    ex = EXAMPLES[name]
    ttir, ck, config = compile_case_sm90(ex.kernel, ex.inputs("cpu", dtype), ex.configs[index])
    assert len(ck.asm["cubin"]) > 1000
    assert ck.metadata.num_warps == (config.num_warps or 4)
    assert ('"tt.reduce"' in ttir.text) == ex.reduces


# Example-specific checks beyond the registry, each on both devices.

STRIDED = [pytest.param("cpu", (70, 50, 40), torch.float32, id="cpu-70x50x40-float32")]
STRIDED += [pytest.param("cuda", shape, dt, marks=_on("cuda"), id=f"cuda-{'x'.join(map(str, shape))}-{_dtype_id(dt)}")
            for shape in ((1000, 1000, 1000), (1023, 517, 259)) for dt in DEVICE_DTYPES["cuda"]]


@pytest.mark.parametrize("device,shape,dtype", STRIDED)
def test_matmul_transposed_inputs(device, shape, dtype, poison_empty):
    """Non-contiguous (transposed) views as inputs, ragged sizes."""
    m, k, n = shape
    x = torch.randn(k, m, device=device, dtype=dtype).t()
    y = torch.randn(n, k, device=device, dtype=dtype).t()
    poison_empty()
    for config in (helion.Config(block_sizes=[32, 16, 16]),
                   helion.Config(block_sizes=[64, 64, 32], num_warps=4, num_stages=3),
                   helion.Config(block_sizes=[128, 64, 64], l2_groupings=[8], loop_orders=[[1, 0]], num_warps=8, num_stages=3)):
        readme_matmul.bind((x, y)).set_config(config)
        out = readme_matmul(x, y)
        ref = x.double() @ y.double()
        tol = 2e-2 * k ** 0.5 / 8 if dtype == torch.float32 else 1e-1 * k ** 0.5 / 8
        torch.testing.assert_close(out.double(), ref, atol=tol, rtol=5e-2)


FP8 = [pytest.param(device, fp8, marks=_on(device), id=f"{device}-{_dtype_id(fp8)}")
       for device in DEVICE_DTYPES for fp8 in (torch.float8_e4m3fn, torch.float8_e5m2)]


@pytest.mark.parametrize("device,fp8", FP8)
def test_fp8_matmul(device, fp8, compile_case_sm90):
    """fp8 inputs, fp32 accumulation: numerics against a float64 product of
    the same fp8 values; on the CPU also the sm_90 cubin (fp8 wgmma)."""
    m, k, n = (64, 96, 48) if device == "cpu" else (256, 512, 192)
    x = torch.randn(m, k, device=device).to(fp8)
    y = torch.randn(k, n, device=device).to(fp8).t().contiguous().t()  # column-major B, as fp8 wgmma wants
    out = torch.full((m, n), float("nan"), device=device)
    config = helion.Config(block_sizes=[32, 16, 32] if device == "cpu" else [64, 64, 64], num_warps=4, num_stages=3)
    if device == "cpu":
        ttir, ck, _ = compile_case_sm90(fp8_matmul, (x, y, out), config)
        assert "f8E4M3FN" in ttir.text or "f8E5M2" in ttir.text
        assert len(ck.asm["cubin"]) > 1000
    fp8_matmul.bind((x, y, out)).set_config(config)
    atol, rtol = (1e-4, 1e-4) if device == "cpu" else (1e-2, 1e-3)  # the GPU sums 512 products in its own order
    torch.testing.assert_close(fp8_matmul(x, y, out).double(), x.double() @ y.double(), atol=atol, rtol=rtol)


ATTENTION = [pytest.param(device, causal, head_dim, dt, marks=_on(device), id=f"{device}-{causal}-{head_dim}-{_dtype_id(dt)}")
             for device, dtypes in DEVICE_DTYPES.items() for causal in (False, True) for head_dim in (64, 128)
             for dt in (dtypes if device == "cuda" else dtypes[:1])]


@pytest.mark.parametrize("device,causal,head_dim,dtype", ATTENTION)
def test_attention_shapes(device, causal, head_dim, dtype, poison_empty):
    """A sequence no block divides, both head dims."""
    seq = 333 if device == "cuda" else 77
    q, k, v = (torch.randn(4 if device == "cuda" else 1, seq, head_dim, device=device, dtype=dtype) for _ in range(3))
    attention.bind((q, k, v, causal)).set_config(helion.Config(block_sizes=[64, 64], num_warps=4, num_stages=2))
    poison_empty()
    out = attention(q, k, v, causal)
    torch.testing.assert_close(out.double(), attention_reference(q, k, v, causal), atol=3e-2, rtol=3e-2)


LONG_ROWS = [pytest.param(device, n, chunk, marks=_on(device), id=f"{device}-{n}-{chunk}")
             for device in DEVICE_DTYPES for n in (1024, 4000) for chunk in (256, 512)]


@pytest.mark.parametrize("device,n,chunk", LONG_ROWS)
def test_looped_softmax_long_rows(device, n, chunk, poison_empty):
    x = torch.randn(64 if device == "cuda" else 4, n, device=device, dtype=torch.bfloat16)
    softmax.bind((x,)).set_config(helion.Config(block_sizes=[1], reduction_loops=[chunk], num_warps=8))
    poison_empty()
    out = softmax(x)
    torch.testing.assert_close(out.double(), torch.softmax(x.double(), 1), atol=2e-2, rtol=2e-2)


@pytest.mark.parametrize("device", [pytest.param(d, marks=_on(d)) for d in DEVICE_DTYPES])
def test_configs_list_picks_fastest(device):
    """configs=[...]: on the GPU each is timed and the fastest kept; on the CPU the first."""
    @helion.kernel(configs=[helion.Config(block_sizes=[32]), helion.Config(block_sizes=[1024])])
    def add1(x: torch.Tensor) -> torch.Tensor:
        out = torch.empty_like(x)
        for t in hl.tile(x.size(0)):
            out[t] = x[t] + 1
        return out

    x = torch.randn(1 << 20 if device == "cuda" else 1 << 12, device=device)
    torch.testing.assert_close(add1(x), x + 1)
    key = next(iter(add1._specs))
    assert add1._specs[key].best.config.block_sizes == ([1024] if device == "cuda" else [32])
