"""Config.flatten_loops: one bool per multi-dim hl.tile (as loop_orders). An
inner multi-dim loop marked True is lowered as one loop over all its tile
combinations; the grid is one program-id axis (its entry is True) unless pid_type="xyz".
Numerics on the CPU executor and the GPU, the TTIR's loop count, sm_90, and
refusals."""
import pytest
import torch

import helion
import helion.language as hl

DEVICES = ["cpu", pytest.param("cuda", marks=pytest.mark.gpu)]


@helion.kernel()
def _block_sums(x: torch.Tensor) -> torch.Tensor:
    """out[b] = sum of x[b] over its last two dims, through a 2-d inner loop."""
    out = torch.empty([x.size(0)], dtype=torch.float32, device=x.device)
    for tb in hl.tile(x.size(0)):
        acc = hl.zeros([tb], dtype=torch.float32)
        for ti, tj in hl.tile([x.size(1), x.size(2)]):
            acc = acc + x[tb, ti, tj].float().sum(-1).sum(-1)
        out[tb] = acc
    return out


def _cfg(flat, order=(0, 1)):
    return helion.Config(block_sizes=[4, 16, 8], loop_orders=[list(order)], flatten_loops=[flat])


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("flat", [False, True])
@pytest.mark.parametrize("order", [(0, 1), (1, 0)])
def test_numerics(device, flat, order):
    x = torch.randn(10, 40, 20, device=device)  # partial tiles on every dim
    _block_sums.bind((x,)).set_config(_cfg(flat, order))
    torch.testing.assert_close(_block_sums(x).double(), x.double().sum((1, 2)), atol=1e-3, rtol=1e-4)


def test_one_loop_instead_of_a_nest():
    bound = _block_sums.bind((torch.randn(10, 40, 20),))
    assert bound.to_triton_code(_cfg(False)).count('"scf.for"') == 2
    assert bound.to_triton_code(_cfg(True)).count('"scf.for"') == 1


def test_compiles_for_sm90(compile_case_sm90):
    _, compiled, _ = compile_case_sm90(_block_sums, (torch.randn(10, 40, 20),), _cfg(True))
    assert compiled.asm["cubin"]


@helion.kernel()
def _add2d(x: torch.Tensor) -> torch.Tensor:
    out = torch.empty_like(x)
    for tm, tn in hl.tile(x.size()):
        out[tm, tn] = x[tm, tn] + 1
    return out


@pytest.mark.parametrize("kernel,cfg,match", [
    (_block_sums, dict(block_sizes=[4, 16, 8], flatten_loops=[True, False]), r"flatten_loops has 2 entries, this kernel needs 1"),
    (_block_sums, dict(block_sizes=[4, 16, 8], flatten_loops=[1]), r"flatten_loops\[0\] = 1 is not legal; expected one of False, True"),
    (_add2d, dict(block_sizes=[8, 8], flatten_loops=[False]), r"flatten_loops\[0\] = False is not legal; expected True: the grid is one program-id axis"),
])
def test_bad_values_are_refused(kernel, cfg, match):
    args = (torch.randn(10, 40, 20),) if kernel is _block_sums else (torch.randn(16, 16),)
    with pytest.raises(helion.exc.InvalidConfig, match=match):
        kernel.bind(args).to_triton_code(helion.Config(**cfg))
