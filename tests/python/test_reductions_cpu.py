"""Reduction kernels (puzzles 7-9, softmax variants, norms, row statistics)
x 10 configs: TTIR compiles to an sm_90 cubin; numerics on the CPU executor."""
import pytest
import torch

import helion
import helion.language as hl

import reduction_kernels as rk

ALL = [(name, i, torch.float32) for name, case in rk.CASES.items() for i in range(len(case[3]))]
ALL += [(name, 0, dt) for name in rk.CASES for dt in (torch.bfloat16, torch.float16)]


@pytest.mark.parametrize("name,index,dtype", ALL, ids=[f"{n}-{i}-{str(d)[6:]}" for n, i, d in ALL])
def test_compiles_to_sm90_cubin(name, index, dtype, compile_case_sm90):
    ttir, ck, _ = compile_case_sm90(rk.CASES[name], index, dtype)
    if name not in ("embedding", "swiglu", "geglu"):
        assert '"tt.reduce"' in ttir.text
    assert len(ck.asm["cubin"]) > 1000


NUMERIC = [(name, i, dt) for name, case in rk.CASES.items() for i in range(0, len(case[3]), 2)
           for dt in (torch.float32, torch.bfloat16)]


@pytest.mark.parametrize("name,index,dtype", NUMERIC, ids=[f"{n}-{i}-{str(d)[6:]}" for n, i, d in NUMERIC])
def test_cpu_numerics(name, index, dtype):
    kernel, make, ref, configs = rk.CASES[name]
    torch.manual_seed(index)
    args = make("cpu", dtype)
    kernel.bind(args).set_config(configs[index])
    out = kernel(*args)
    atol, rtol = rk.tolerance(dtype, name)
    torch.testing.assert_close(out.double(), ref(*args), atol=atol, rtol=rtol)


def test_masked_lanes_do_not_leak_into_max(filecheck):
    """All-negative rows whose length no block divides: padded lanes (loaded
    as 0) must not win the max. The tile IR selects the identity there."""
    x = -torch.rand(5, 1000) - 1.0
    rk.softmax.bind((x,)).set_config(rk.C(block_sizes=[2]))
    torch.testing.assert_close(rk.softmax(x).double(), torch.softmax(x.double(), 1), atol=1e-5, rtol=1e-5)
    filecheck(rk.softmax.bind((x,)).tile_ir, """
CHECK: tile.block_size 1 {extent = 1000 : i64, reduction}
CHECK: %[[M:.*]] = tile.mask %{{.*}} : tensor<?xi1, #tile.dims<[1]>>
CHECK: arith.select
CHECK: tile.reduce
CHECK: arith.maximumf
""")


def test_full_tiles_fold_their_reduction_masks():
    x = torch.randn(8, 1024)
    ttir = rk.softmax.bind((x,)).to_triton_code(rk.C(block_sizes=[2]))
    assert "arith.select" not in ttir  # 1024 is a power of two: no padded lanes
    ragged = rk.softmax.bind((torch.randn(8, 1000),)).to_triton_code(rk.C(block_sizes=[2]))
    assert "arith.select" in ragged


def test_looped_reduction_rolls_each_sink_into_a_chunk_loop():
    """reduction_loops=[256] on rows of 1024: the max, the sum and the store
    each loop over chunks; 256 divides 1024, so no lane is masked."""
    x = torch.randn(8, 1024)
    looped = rk.C(block_sizes=[2], reduction_loops=[256])
    ttir = rk.softmax.bind((x,)).to_triton_code(looped)
    assert ttir.count("scf.for") == 3 and ttir.count('"tt.reduce"') == 2
    assert "arith.select" not in ttir and "tensor<2x256xf32>" in ttir
    persistent = rk.softmax.bind((x,)).to_triton_code(rk.C(block_sizes=[2]))
    assert "scf.for" not in persistent and "tensor<2x1024xf32>" in persistent
    rk.softmax.bind((x,)).set_config(looped)
    torch.testing.assert_close(rk.softmax(x).double(), torch.softmax(x.double(), 1), atol=1e-6, rtol=1e-6)


def test_looped_reduction_that_cannot_be_chunked_is_refused():
    """Flash attention mixes the head dim with a static hl.zeros shape and a
    nested loop: looping it is refused with the op's source line."""
    q = torch.randn(2, 64, 64)
    bound = rk.attention.bind((q, q, q, False))
    config = bound.default_config()
    with pytest.raises(helion.exc.CompilationError, match=r"reduction_kernels.py\":\d+:\d+\): error: 'tile.dot' op cannot loop reduction_loops\[0\] "
                                                           r"\(the dim of extent 64\)"):
        bound.to_triton_code(helion.Config(**{**config.config, "reduction_loops": [32]}))


@pytest.mark.parametrize("value", [100, 0, -4, "64"])
def test_reduction_loops_must_be_a_power_of_two_or_none(value):
    x = torch.randn(4, 300)
    with pytest.raises(helion.exc.InvalidConfig, match=r"reduction_loops\[0\] = .* is not legal; expected None \(persistent\) or a power of two"):
        rk.softmax.bind((x,)).to_triton_code(rk.C(block_sizes=[2], reduction_loops=[value]))


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
    _softmax_in_place.bind((x,)).set_config(rk.C(block_sizes=[2], reduction_loops=[64]))
    torch.testing.assert_close(_softmax_in_place(x).double(), expected, atol=1e-6, rtol=1e-6)
    y = torch.randn(6, 300)
    bound = _sum_after_overwrite.bind((y,))
    with pytest.raises(helion.exc.CompilationError, match="it re-reads a tensor written after the first read"):
        bound.to_triton_code(rk.C(block_sizes=[2], reduction_loops=[64]))
    ref = y.sum(-1)
    bound.set_config(rk.C(block_sizes=[2]))
    torch.testing.assert_close(_sum_after_overwrite(y), ref)
