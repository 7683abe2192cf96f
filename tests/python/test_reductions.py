"""How reductions compile: masked lanes of ragged rows, masks folded for full
tiles, looped reductions (reduction_loops) and the cases they refuse. The
numerics of every reduction example are in test_examples.py."""
import re

import pytest
import torch

import helion
import helion.language as hl
from attention import attention
from softmax import softmax

C = helion.Config


def test_masked_lanes_do_not_leak_into_max(filecheck):
    """All-negative rows whose length no block divides: padded lanes (loaded
    as 0) must not win the max. The tile IR selects the identity there."""
    x = -torch.rand(5, 1000) - 1.0
    softmax.bind((x,)).set_config(C(block_sizes=[2]))
    torch.testing.assert_close(softmax(x).double(), torch.softmax(x.double(), 1), atol=1e-5, rtol=1e-5)
    filecheck(softmax.bind((x,)).tile_ir, """
CHECK: tile.block_size 1 {extent = 1000 : i64, reduction}
CHECK: %[[M:.*]] = tile.mask %{{.*}} : tensor<?xi1, #tile.dims<[1]>>
CHECK: arith.select
CHECK: tile.reduce
CHECK: arith.maximumf
""")


def test_full_tiles_fold_their_reduction_masks():
    x = torch.randn(8, 1024)
    ttir = softmax.bind((x,)).to_triton_code(C(block_sizes=[2]))
    assert "arith.select" not in ttir  # 1024 is a power of two: no padded lanes
    ragged = softmax.bind((torch.randn(8, 1000),)).to_triton_code(C(block_sizes=[2]))
    assert "arith.select" in ragged


def test_looped_reduction_rolls_each_sink_into_a_chunk_loop():
    """reduction_loops=[256] on rows of 1024: the max, the sum and the store
    each loop over chunks; 256 divides 1024, so no lane is masked."""
    x = torch.randn(8, 1024)
    looped = C(block_sizes=[2], reduction_loops=[256])
    ttir = softmax.bind((x,)).to_triton_code(looped)
    assert ttir.count("scf.for") == 3 and ttir.count('"tt.reduce"') == 2
    assert "arith.select" not in ttir and "tensor<2x256xf32>" in ttir
    persistent = softmax.bind((x,)).to_triton_code(C(block_sizes=[2]))
    assert "scf.for" not in persistent and "tensor<2x1024xf32>" in persistent
    softmax.bind((x,)).set_config(looped)
    torch.testing.assert_close(softmax(x).double(), torch.softmax(x.double(), 1), atol=1e-6, rtol=1e-6)


def test_looped_reduction_that_cannot_be_chunked_is_refused():
    """Flash attention mixes the head dim with a static hl.zeros shape and a
    nested loop: looping it is refused with the op's source line."""
    q = torch.randn(2, 64, 64)
    bound = attention.bind((q, q, q, False))
    config = bound.default_config()
    with pytest.raises(helion.exc.CompilationError, match=r"attention.py\":\d+:\d+\): error: 'tile.dot' op cannot loop reduction_loops\[0\] "
                                                           r"\(the dim of extent 64\)"):
        bound.to_triton_code(helion.Config(**{**config.config, "reduction_loops": [32]}))


@pytest.mark.parametrize("value", [100, 0, -4, "64"])
def test_reduction_loops_must_be_a_power_of_two_or_none(value):
    x = torch.randn(4, 300)
    with pytest.raises(helion.exc.InvalidConfig, match=r"reduction_loops\[0\] = .* is not legal; expected None \(persistent\) or a power of two"):
        softmax.bind((x,)).to_triton_code(C(block_sizes=[2], reduction_loops=[value]))


@helion.kernel()
def _softmax_in_place(x: torch.Tensor) -> torch.Tensor:
    for tile_m in hl.tile(x.size(0)):
        x[tile_m, :] = torch.softmax(x[tile_m, :], dim=-1)
    return x


@helion.kernel()
def _sum_after_overwrite(x: torch.Tensor) -> torch.Tensor:
    out = torch.empty([x.size(0)], dtype=x.dtype, device=x.device)
    for tile_m in hl.tile(x.size(0)):
        row = x[tile_m, :]
        x[tile_m, :] = row * 0.0
        out[tile_m] = row.sum(-1)
    return out


def test_looped_reduction_in_place_and_overwritten_inputs():
    """In place, every chunk is read before it is written: looping is fine.
    Reading x again after x was overwritten would be wrong: refused."""
    x = torch.randn(6, 300)
    expected = torch.softmax(x.double(), -1)
    _softmax_in_place.bind((x,)).set_config(C(block_sizes=[2], reduction_loops=[64]))
    torch.testing.assert_close(_softmax_in_place(x).double(), expected, atol=1e-6, rtol=1e-6)
    y = torch.randn(6, 300)
    bound = _sum_after_overwrite.bind((y,))
    with pytest.raises(helion.exc.CompilationError, match="it re-reads a tensor written after the first read"):
        bound.to_triton_code(C(block_sizes=[2], reduction_loops=[64]))
    ref = y.sum(-1)
    bound.set_config(C(block_sizes=[2]))
    torch.testing.assert_close(_sum_after_overwrite(y), ref)


@helion.kernel()
def rounded_row_extremes(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    m, n = x.size()
    hi = torch.empty([m], dtype=torch.bfloat16, device=x.device)
    lo = torch.empty([m], dtype=torch.bfloat16, device=x.device)
    for tm in hl.tile(m):
        v = x[tm, :]
        h = (v * 3.1).to(torch.bfloat16)  # rounded f32 values: the max/min reduce the f32 ones
        hi[tm] = torch.amax(torch.where(v > 0, h, float("-inf")), dim=1)
        lo[tm] = torch.amin(h, dim=1)
    return hi, lo


@pytest.mark.parametrize("device", ["cpu", pytest.param("cuda", marks=pytest.mark.gpu)])
def test_max_of_rounded_values_is_bit_exact(device, poison_empty):
    if device == "cuda" and not torch.cuda.is_available():
        pytest.skip("no GPU")
    x = torch.randn(40, 96, device=device) * 1000
    hi, lo = rounded_row_extremes(x)
    h = (x * 3.1).to(torch.bfloat16)
    want_hi = torch.where(x > 0, h, torch.tensor(float("-inf"), dtype=torch.bfloat16, device=device)).amax(dim=1)
    assert torch.equal(hi, want_hi) and torch.equal(lo, h.amin(dim=1))
    bound = rounded_row_extremes.bind((x,))
    ttir = bound.to_triton_code(bound.config_spec.default_config())
    operands = re.findall(r'"tt.reduce"\((%[\w]+)\)', ttir)
    assert len(operands) == 2
    for v in operands:  # each reduces f32 values, not bf16 values widened again
        assert not re.search(rf'{v} = "?arith.extf', ttir), v
