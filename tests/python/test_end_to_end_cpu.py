"""Every kernel of the end-to-end issue x its configs, through the real
compiler: TTIR that Triton compiles to an sm_90 cubin, and numerics of the
same TTIR executed on the CPU against a float64 torch reference."""

import pytest
import torch

import helion
import kernels

ALL = [(name, i, torch.float32) for name, case in kernels.CASES.items() for i in range(len(case[3]))]
ALL += [(name, 0, dt) for name in kernels.CASES for dt in (torch.bfloat16, torch.float16)]


@pytest.mark.parametrize("name,index,dtype", ALL, ids=[f"{n}-{i}-{str(d)[6:]}" for n, i, d in ALL])
def test_compiles_to_sm90_cubin(name, index, dtype, compile_case_sm90):
    _, ck, config = compile_case_sm90(kernels.CASES[name], index, dtype)
    assert len(ck.asm["cubin"]) > 1000
    assert ck.metadata.num_warps == (config.num_warps or 4)


NUMERIC = [(name, i, dt) for name, case in kernels.CASES.items() for i in range(min(5, len(case[3])))
           for dt in (torch.float32, torch.bfloat16)]


@pytest.mark.parametrize("name,index,dtype", NUMERIC, ids=[f"{n}-{i}-{str(d)[6:]}" for n, i, d in NUMERIC])
def test_cpu_numerics(name, index, dtype):
    kernel, make, _, configs = kernels.CASES[name]
    torch.manual_seed(index)
    args = make("cpu", dtype)
    bound = kernel.bind(args)
    bound.set_config(configs[index])
    out = kernel(*args)
    expected = kernels.reference(name, *args)
    atol, rtol = kernels.tolerance(dtype, name)
    assert out.dtype == args[0].dtype
    torch.testing.assert_close(out.double(), expected, atol=atol, rtol=rtol)


def test_non_contiguous_inputs_on_cpu():
    x = torch.randn(50, 70).t()  # 70x50, strides (1, 70)
    y = torch.randn(40, 50).t()  # 50x40
    kernels.readme_matmul.bind((x, y)).set_config(helion.Config(block_sizes=[32, 16, 16]))
    torch.testing.assert_close(kernels.readme_matmul(x, y).double(), x.double() @ y.double(), atol=2e-2, rtol=2e-2)



def _ragged_add_ttir(drop_masks: bool):
    import dataclasses
    import re

    from helion import _mlir as ir
    from helion.compiler import pipeline

    x = torch.randn(1000)
    traced = kernels.add_const.bind((x,)).spec.traced
    config = kernels.add_const.bind((x,)).config_spec.normalize(helion.Config(block_sizes=[128]))
    if drop_masks:
        # Simulate a masking-elimination bug: claim no tile needs its mask.
        text = re.sub(r"(tile\.(?:load|store) [^:]*\])", r"\1 {bounds_check = array<i1: false>}", str(traced.module))
        traced = dataclasses.replace(traced, module=ir.Context().parse_module(text))
    return x, pipeline.lower_to_ttir(traced, config)


def test_executor_catches_a_dropped_mask():
    from helion.runtime import cpu_executor

    x, good = _ragged_add_ttir(drop_masks=False)
    out = torch.full_like(x, float("nan"))
    cpu_executor.run_ttir(good.text, (good.num_programs, 1, 1), [x, out], kernel_name="add_const")
    torch.testing.assert_close(out, x + 10)
    _, bad = _ragged_add_ttir(drop_masks=True)
    assert bad.text.count("array<i32: 1, 0, 0>") == 1  # the load lost its mask
    with pytest.raises(helion.exc.CpuExecutionError, match=r"add_const.*program.*\(7, 0, 0\).*tt\.(load|store)"):
        cpu_executor.run_ttir(bad.text, (bad.num_programs, 1, 1), [x, torch.empty_like(x)], kernel_name="add_const")


def test_executor_catches_an_off_by_one_offset():
    from helion.runtime import cpu_executor

    x, good = _ragged_add_ttir(drop_masks=False)
    shifted = good.text.replace("{end = 128 : i32, start = 0 : i32}", "{end = 129 : i32, start = 1 : i32}")
    assert shifted != good.text
    out = torch.full_like(x, float("nan"))
    try:
        cpu_executor.run_ttir(shifted, (good.num_programs, 1, 1), [x, out], kernel_name="add_const")
    except helion.exc.CpuExecutionError:
        return  # caught as an out-of-bounds access
    with pytest.raises(AssertionError):
        torch.testing.assert_close(out, x + 10)


@pytest.mark.parametrize("fp8", [torch.float8_e4m3fn, torch.float8_e5m2])
def test_fp8_matmul_compiles_and_runs_on_cpu(fp8, compile_case_sm90):
    """fp8 inputs with fp32 accumulation: sm_90 cubin, and CPU numerics
    against a float64 product of the same fp8 values."""
    x = torch.randn(64, 96).to(fp8)
    y = torch.randn(96, 48).to(fp8)
    out = torch.empty(64, 48, dtype=torch.float32)

    config = helion.Config(block_sizes=[32, 16, 32])
    case = (kernels.fp8_matmul, lambda dev, dt: (x, y, out), None, [config])
    ttir, ck, _ = compile_case_sm90(case, 0, None)
    assert "f8E4M3FN" in ttir.text or "f8E5M2" in ttir.text
    assert len(ck.asm["cubin"]) > 1000
    kernels.fp8_matmul.bind((x, y, out)).set_config(config)
    torch.testing.assert_close(kernels.fp8_matmul(x, y, out).double(), x.double() @ y.double(), atol=1e-4, rtol=1e-4)
