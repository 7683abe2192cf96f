"""torch.bool tensor arguments: stored one byte per element, so the TTIR
addresses them through i8 pointers (Triton's backend aborts on i1 pointers),
widening before stores and comparing != 0 after loads. Loads, stores, masks
and gathers of bool tensors on the CPU executor and the GPU, and sm_90
compiles (a process abort before this change)."""
import pytest
import torch

import helion
import helion.language as hl

DEVICES = ["cpu", pytest.param("cuda", marks=pytest.mark.gpu)]


@helion.kernel(config=helion.Config(block_sizes=[16, 8]))
def _masked(x: torch.Tensor, keep: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    out = torch.empty_like(keep)
    vals = torch.empty_like(x)
    for tm, tn in hl.tile(x.size()):
        k = keep[tm, tn]
        out[tm, tn] = ~k | (x[tm, tn] > 0)
        vals[tm, tn] = torch.where(k, x[tm, tn], 0.0)
    return out, vals


@helion.kernel(config=helion.Config(block_sizes=[16]))
def _masked_load(x: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
    out = torch.empty_like(x)
    for t in hl.tile(x.size(0)):
        out[t] = hl.load(x, [t], extra_mask=keep[t]) + 1
    return out


@pytest.mark.parametrize("device", DEVICES)
def test_bool_loads_and_stores(device):
    x = torch.randn(37, 21, device=device)  # partial tiles on both dims
    keep = torch.rand(37, 21, device=device) > 0.5
    out, vals = _masked(x, keep)
    assert out.dtype == torch.bool
    assert torch.equal(out, ~keep | (x > 0)) and torch.equal(vals, torch.where(keep, x, 0.0))


@pytest.mark.parametrize("device", DEVICES)
def test_bool_tensor_as_load_mask(device):
    x, keep = torch.randn(50, device=device), torch.rand(50, device=device) > 0.3
    torch.testing.assert_close(_masked_load(x, keep), torch.where(keep, x, 0.0) + 1)


def test_bool_kernels_compile_for_sm90(compile_case_sm90):
    x, keep = torch.randn(37, 21), torch.rand(37, 21) > 0.5
    ttir, compiled, _ = compile_case_sm90(_masked, (x, keep), helion.Config(block_sizes=[16, 8]))
    assert "!tt.ptr<i1>" not in ttir.text and "!tt.ptr<i8>" in ttir.text and compiled.asm["cubin"]
