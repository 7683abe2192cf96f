"""Config.load_eviction_policies and hl.load's eviction_policy: one entry per
load in program order (helion-apply-eviction-policies), "" keeps the kernel's
own; the hint reaches tt.load's `evict` (1 none, 2 evict_first, 3 evict_last),
survives helion-roll-reductions' cloned loads, and leaves numerics alone."""
import re

import pytest
import torch

import helion
import helion.language as hl


@helion.kernel(config=helion.Config(block_sizes=[4]))
def _row_sum_plus(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    out = torch.empty([x.size(0)], dtype=torch.float32, device=x.device)
    for t in hl.tile(x.size(0)):
        out[t] = x[t, :].float().sum(-1) + hl.load(y, [t], eviction_policy="evict_last")
    return out


def _evicts(ttir: str) -> list[int]:
    return [int(m) for m in re.findall(r'"tt.load".*?evict = (\d+) : i32', ttir)]


def _args(device="cpu"):
    return torch.randn(12, 64, device=device), torch.randn(12, device=device)


def test_policies_reach_tt_load_in_program_order():
    bound = _row_sum_plus.bind(_args())
    assert bound.config_spec.num_loads == 2
    assert _evicts(bound.to_triton_code(helion.Config(block_sizes=[4]))) == [1, 3]  # hl.load's own hint
    assert _evicts(bound.to_triton_code(helion.Config(block_sizes=[4], load_eviction_policies=["first", ""]))) == [2, 3]
    assert _evicts(bound.to_triton_code(helion.Config(block_sizes=[4], load_eviction_policies=["last", "first"]))) == [3, 2]


def test_looped_reduction_clones_keep_the_policy():
    """roll-reductions recomputes the row load in its chunk loop: the hint comes along."""
    bound = _row_sum_plus.bind(_args())
    cfg = helion.Config(block_sizes=[4], reduction_loops=[16], load_eviction_policies=["first", ""])
    ttir = bound.to_triton_code(cfg)
    assert "scf.for" in ttir and sorted(set(_evicts(ttir))) == [2, 3]  # the peeled first chunk and the loop


@pytest.mark.parametrize("device", ["cpu", pytest.param("cuda", marks=pytest.mark.gpu)])
@pytest.mark.parametrize("policies", [["", ""], ["first", "last"], ["last", "first"]])
def test_numerics_do_not_change(device, policies):
    x, y = _args(device)
    for loop in (None, 16):
        _row_sum_plus.bind((x, y)).set_config(helion.Config(block_sizes=[4], reduction_loops=[loop],
                                                            load_eviction_policies=policies))
        torch.testing.assert_close(_row_sum_plus(x, y), x.double().sum(-1).float() + y, atol=1e-4, rtol=1e-4)


def test_compiles_for_sm90(compile_case_sm90):
    ttir, compiled, _ = compile_case_sm90(_row_sum_plus, _args(), helion.Config(block_sizes=[4], load_eviction_policies=["first", "last"]))
    assert _evicts(ttir.text) == [2, 3] and compiled.asm["cubin"]


@pytest.mark.parametrize("policies,match", [
    (["first"], r"load_eviction_policies has 1 entries, this kernel needs 2"),
    (["first", "evict_last"], r"load_eviction_policies\[1\] = 'evict_last' is not legal; expected one of '', 'first', 'last'"),
    ("first", r"load_eviction_policies = 'first' must be a list"),
])
def test_bad_values_name_field_value_and_legal_values(policies, match):
    bound = _row_sum_plus.bind(_args())
    with pytest.raises(helion.exc.InvalidConfig, match=match):
        bound.to_triton_code(helion.Config(block_sizes=[4], load_eviction_policies=policies))
