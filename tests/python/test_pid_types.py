"""Config.pid_type: persistent kernels (helion-lower-grid) launch
min(tiles, SMs x num_sm_multiplier) programs that loop over tiles, blocked or
interleaved, with L2 grouping kept and the grid loop's knobs (entry 0 of the
range_* lists) on that loop. Numerics on the CPU executor and the GPU, TTIR
facts, sm_90 compiles, and refusals of bad values."""
import re

import pytest
import torch

import helion
import helion.language as hl
from matmul import readme_matmul
from pointwise import add

PERSISTENT = ["persistent_blocked", "persistent_interleaved"]
DEVICES = ["cpu", pytest.param("cuda", marks=pytest.mark.gpu)]


def _mm_args(device, m=80, k=64, n=72, dtype=torch.float32):
    return torch.randn(m, k, device=device, dtype=dtype), torch.randn(k, n, device=device, dtype=dtype)


def _programs(ttir: str) -> int:
    return int(re.search(r"tile.num_programs = (\d+)", ttir).group(1))


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("pid_type", PERSISTENT)
@pytest.mark.parametrize("extra", [
    {},
    dict(l2_groupings=[4]),
    dict(num_sm_multiplier=2, range_num_stages=[2, 0]),
    dict(range_unroll_factors=[2, 0], range_warp_specializes=[False, None]),
])
def test_persistent_matmul_matches_torch(device, pid_type, extra, poison_empty):
    x, y = _mm_args(device)
    cfg = helion.Config(block_sizes=[16, 16, 16], pid_type=pid_type, **extra)
    readme_matmul.bind((x, y)).set_config(cfg)
    poison_empty()
    torch.testing.assert_close(readme_matmul(x, y).double(), x.double() @ y.double(), atol=1e-2, rtol=1e-2)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("pid_type", PERSISTENT)
def test_persistent_pointwise_more_tiles_than_programs(device, pid_type, poison_empty):
    """1000 elements in tiles of 8: 125 tiles over a few programs, the last tile partial."""
    x, y = torch.randn(1000, device=device), torch.randn(1000, device=device)
    add.bind((x, y)).set_config(helion.Config(block_sizes=[8], pid_type=pid_type))
    poison_empty()
    torch.testing.assert_close(add(x, y), x + y)


def test_launch_size_is_min_of_tiles_and_workers():
    x, y = _mm_args("cpu")
    bound = readme_matmul.bind((x, y))
    workers = helion.runtime.get_num_sm("cpu")
    tiles = 5 * 5  # ceil(80/16) x ceil(72/16)
    for pid_type, mult, want in (("flat", 1, tiles), ("persistent_blocked", 1, min(tiles, workers)),
                                 ("persistent_interleaved", 4, min(tiles, 4 * workers))):
        ttir = bound.to_triton_code(helion.Config(block_sizes=[16, 16, 16], pid_type=pid_type, num_sm_multiplier=mult))
        assert _programs(ttir) == want, pid_type
        assert ttir.count("scf.for") == 1 + (pid_type != "flat")  # the K loop, inside the loop over tiles


def test_grid_loop_knobs_reach_the_persistent_loop():
    bound = readme_matmul.bind(_mm_args("cpu"))
    ttir = bound.to_triton_code(helion.Config(block_sizes=[16, 16, 16], pid_type="persistent_blocked",
                                              range_num_stages=[3, 0], range_flattens=[True, None]))
    assert re.search(r"tt.flatten, tt.num_stages = 3 : i32", ttir)


@pytest.mark.parametrize("pid_type", PERSISTENT)
def test_compiles_for_sm90(pid_type, compile_case_sm90):
    args = _mm_args("cpu", 256, 128, 256, torch.bfloat16)
    ttir, compiled, _ = compile_case_sm90(readme_matmul, args, helion.Config(
        block_sizes=[64, 64, 32], l2_groupings=[8], pid_type=pid_type, range_num_stages=[2, 3]))
    assert compiled.asm["cubin"]


@pytest.mark.parametrize("cfg,match", [
    (dict(pid_type="diagonal"), r"pid_type = 'diagonal' is not legal; expected one of 'flat', 'xyz', 'persistent_blocked'"),
    (dict(num_sm_multiplier=3), r"num_sm_multiplier = 3 is not legal"),
    (dict(range_num_stages=[2, 0]), r"range_num_stages\[0\] = 2 is not legal; .*persistent pid_type"),
    (dict(pid_type="persistent_blocked", static_ranges=[True, False]), r"static_ranges\[0\] = True is not legal; .*cannot be unrolled fully"),
])
def test_bad_values_are_refused(cfg, match):
    bound = readme_matmul.bind(_mm_args("cpu"))
    with pytest.raises(helion.exc.InvalidConfig, match=match):
        bound.to_triton_code(helion.Config(block_sizes=[16, 16, 16], **cfg))


@helion.kernel()
def _scale(x: torch.Tensor) -> torch.Tensor:
    """A grid of x.dim() dims."""
    out = torch.empty_like(x)
    for t in hl.tile(x.size()):
        out[t] = x[t] * 2.0
    return out


@pytest.mark.parametrize("device", DEVICES)
def test_xyz_matmul_one_launch_axis_per_grid_dim(device, poison_empty):
    x, y = _mm_args(device, m=80, k=64, n=48)
    bound = readme_matmul.bind((x, y))
    cfg = helion.Config(block_sizes=[16, 16, 16], pid_type="xyz")
    assert bound.compile_config(cfg).grid == (5, 3, 1)  # ceil(80/16) tiles on x, ceil(48/16) on y
    ttir = bound.to_triton_code(cfg)
    assert re.search(r'"tt.get_program_id"\(\) <?\{axis = 1 : i32\}', ttir)
    bound.set_config(cfg)
    poison_empty()
    torch.testing.assert_close(readme_matmul(x, y).double(), x.double() @ y.double(), atol=1e-2, rtol=1e-2)


@pytest.mark.parametrize("device", DEVICES)
def test_xyz_three_dim_grid(device, poison_empty):
    x = torch.randn(5, 6, 7, device=device)
    bound = _scale.bind((x,))
    cfg = helion.Config(block_sizes=[2, 4, 4], pid_type="xyz")
    assert bound.compile_config(cfg).grid == (3, 2, 2)
    bound.set_config(cfg)
    poison_empty()
    torch.testing.assert_close(_scale(x), x * 2)


@pytest.mark.parametrize("device", DEVICES)
def test_xyz_one_dim_grid_is_flat(device, poison_empty):
    x, y = torch.randn(1000, device=device), torch.randn(1000, device=device)
    bound = add.bind((x, y))
    bound.set_config(helion.Config(block_sizes=[64], pid_type="xyz"))
    assert bound.compile_config(helion.Config(block_sizes=[64], pid_type="xyz")).grid == (16, 1, 1)
    poison_empty()
    torch.testing.assert_close(add(x, y), x + y)


def test_xyz_compiles_for_sm90(compile_case_sm90):
    args = _mm_args("cpu", 256, 128, 192, torch.bfloat16)
    _, compiled, _ = compile_case_sm90(readme_matmul, args, helion.Config(block_sizes=[64, 64, 32], pid_type="xyz"))
    assert compiled.asm["cubin"]
    assert "%ctaid.y" in compiled.asm["ptx"]


@pytest.mark.parametrize("kernel,args,cfg,match", [
    (readme_matmul, None, dict(block_sizes=[16, 16, 16], pid_type="xyz", l2_groupings=[4]),
     r"l2_groupings\[0\] = 4 is not legal; expected 1 with pid_type='xyz'"),
    (readme_matmul, None, dict(block_sizes=[16, 16, 16], pid_type="xyz", flatten_loops=[True]),
     r"flatten_loops\[0\] = True is not legal; expected False: with pid_type='xyz'"),
    (readme_matmul, None, dict(block_sizes=[16, 16, 16], flatten_loops=[False]),
     r"flatten_loops\[0\] = False is not legal; expected True"),
    (_scale, (torch.randn(2, 2, 2, 2),), dict(block_sizes=[1, 1, 1, 1], pid_type="xyz"),
     r"pid_type = 'xyz' is not legal; .*grid has 4 dims"),
])
def test_xyz_refusals(kernel, args, cfg, match):
    bound = kernel.bind(args or _mm_args("cpu"))
    with pytest.raises(helion.exc.InvalidConfig, match=match):
        bound.to_triton_code(helion.Config(**cfg))


def test_xyz_launch_axis_limit_is_a_compilation_error():
    x = torch.randn(2, 131072)
    with pytest.raises(helion.exc.CompilationError, match="grid dim 1 has 131072 tiles, over the launch axis limit of 65535"):
        _scale.bind((x.view(2, 131072, 1),)).to_triton_code(helion.Config(block_sizes=[1, 1, 1], pid_type="xyz"))
