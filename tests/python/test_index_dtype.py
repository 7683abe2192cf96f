"""index_dtype=torch.int64 (and tensors past 2**31 - 1 elements, detected per
specialization): the kernel's index arithmetic is 64-bit in the TTIR
(tile.index_bits on the kernel, the pipeline's index-bits option)."""
import pytest
import torch

import helion
import helion.language as hl
from helion.runtime import arguments


def _add(index_dtype):
    @helion.kernel(config=helion.Config(block_sizes=[32, 16]), index_dtype=index_dtype)
    def add(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        out = torch.empty_like(x)
        for tm, tn in hl.tile(x.size()):
            out[tm, tn] = x[tm, tn] + y[tm, tn]
        return out
    return add


@pytest.mark.parametrize("device", ["cpu", pytest.param("cuda", marks=pytest.mark.gpu)])
@pytest.mark.parametrize("index_dtype", [None, torch.int32, torch.int64])
def test_index_dtype_reaches_the_ttir(device, index_dtype):
    x, y = torch.randn(70, 40, device=device), torch.randn(70, 40, device=device)
    add = _add(index_dtype)
    torch.testing.assert_close(add(x, y), x + y)
    ttir = add.bind((x, y)).to_triton_code(helion.Config(block_sizes=[32, 16]))
    wide = index_dtype == torch.int64
    assert ('"arith.muli"(%' in ttir) and (": (i64, i64) -> i64" in ttir) == wide


def test_large_tensors_are_detected_without_allocating():
    small = torch.empty(8)
    big = torch.empty(1).expand(2**31)  # a 2**31-element view of one element
    assert not arguments.needs_64bit_indexing((small, 3))
    assert arguments.needs_64bit_indexing((small, big))


def test_compiles_for_sm90_with_64_bit_indices(compile_case_sm90):
    x, y = torch.randn(70, 40), torch.randn(70, 40)
    ttir, compiled, _ = compile_case_sm90(_add(torch.int64), (x, y), helion.Config(block_sizes=[32, 16]))
    assert ": (i64, i64) -> i64" in ttir.text and compiled.asm["cubin"]
