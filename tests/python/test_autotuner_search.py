"""The searches against synthetic cost landscapes with a known optimum: a fake
benchmark of the flat config values stands in for compile + GPU timing, so
these tests are deterministic and need no GPU."""
from __future__ import annotations

import io
import logging
import math

import pytest
import torch

import helion
from helion import exc
from helion.autotuner import (DifferentialEvolutionSearch, FiniteSearch, PatternSearch, RandomSearch)
from helion.autotuner.config_fragment import EnumFragment, IntegerFragment, PermutationFragment, PowerOfTwoFragment
from helion.autotuner.logger import AutotuneLog

from matmul import readme_matmul
from softmax import softmax


@pytest.fixture(scope="module")
def matmul_spec():
    x = torch.randn(512, 256)
    y = torch.randn(256, 384)
    return readme_matmul.bind((x, y)).config_spec


@pytest.fixture(scope="module")
def wide_matmul_spec(matmul_spec):
    """The full effort's space: with per-loop knobs and eviction policies."""
    return matmul_spec.widened()


@pytest.fixture(scope="module")
def softmax_spec():
    return softmax.bind((torch.randn(256, 4096),)).config_spec


def _distance(frag, value, target) -> float:
    if isinstance(frag, PowerOfTwoFragment):
        return abs(math.log2(value) - math.log2(target))
    if isinstance(frag, IntegerFragment):
        return abs(value - target)
    if isinstance(frag, PermutationFragment):
        return sum(a != b for a, b in zip(value, target)) / 2
    assert isinstance(frag, EnumFragment)
    return 0.0 if value == target else 1.0


class Landscape:
    """time(config) = 1 + sum of per-field distances to `optimum`: separable,
    with its single minimum 1.0 at the optimum. Records every config it sees
    and checks that the spec accepts it."""

    def __init__(self, spec, optimum, fail=lambda cfg: False):
        self.spec = spec
        self.target = spec.flatten(optimum)
        self.fail = fail
        self.seen = []
        self.batches = 0

    def time(self, cfg) -> float:
        flat = self.spec.flatten(cfg)
        return 1.0 + sum(_distance(f, v, t) for (_, _, f), v, t in zip(self.spec.fields(), flat, self.target))

    def __call__(self, configs):
        self.batches += 1
        out = []
        for c in configs:
            assert self.spec.normalize(c) == c, c
            assert self.spec.in_search_space(c) or c == self.spec.default_config(), c
            self.seen.append(c)
            out.append(math.inf if self.fail(c) else self.time(c))
        return out


def _optimum(spec, seed=1234):
    # A random point of the space, with a few fields pushed away from the default.
    return spec.random_config(seed)


@pytest.mark.parametrize("spec_name", ["matmul_spec", "softmax_spec", "wide_matmul_spec"])
def test_pattern_search_finds_the_optimum(spec_name, request):
    spec = request.getfixturevalue(spec_name)
    land = Landscape(spec, _optimum(spec))
    best = PatternSearch(spec, land, effort="full", seed=0).search()
    assert land.time(best) == 1.0, (best, land.time(best))
    assert len(land.seen) == len(set(land.seen))  # each config benchmarked once


def test_pattern_search_quick_budget(matmul_spec):
    land = Landscape(matmul_spec, _optimum(matmul_spec, 7))
    search = PatternSearch(matmul_spec, land, effort="quick", seed=0)
    best = search.search()
    assert search.configs_searched <= 200
    assert land.time(best) <= 1.5  # at most half a field-step from the optimum


@pytest.mark.parametrize("spec_name", ["matmul_spec", "softmax_spec"])
def test_differential_evolution_reaches_the_optimum(spec_name, request):
    spec = request.getfixturevalue(spec_name)
    land = Landscape(spec, _optimum(spec))
    search = DifferentialEvolutionSearch(spec, land, effort="full", seed=0)
    best = search.search()
    assert search.configs_searched <= 40 * 20
    assert land.time(best) <= 1.5, (best, land.time(best))
    # Better than the best of its own initial population.
    initial = [land.time(c) for c in land.seen[:40]]
    assert land.time(best) <= min(initial)


def test_full_effort_stages_reach_the_optimum_of_the_widened_space(matmul_spec, wide_matmul_spec):
    """What tuner.py runs at full effort: DE over the spec, then a
    PatternSearch over the widened spec (the fine knobs too) from DE's best
    four, sharing the results."""
    land = Landscape(wide_matmul_spec, _optimum(wide_matmul_spec, 5))
    de = DifferentialEvolutionSearch(matmul_spec, lambda cs: land([wide_matmul_spec.normalize(c) for c in cs]),
                                     effort="full", seed=0)
    de.search()
    top = sorted((t, i) for i, t in enumerate(de.results.values()) if math.isfinite(t))[:4]
    starts = [wide_matmul_spec.normalize(list(de.results)[i]) for _, i in top]
    best = PatternSearch(wide_matmul_spec, land, initial_configs=starts, copies=4, results=de.results,
                         effort="full").search()
    assert land.time(best) == 1.0, (best, land.time(best))


def test_differential_evolution_quick_beats_random_of_same_budget(matmul_spec):
    land = Landscape(matmul_spec, _optimum(matmul_spec, 99))
    de = DifferentialEvolutionSearch(matmul_spec, land, effort="quick", seed=3)
    de_best = land.time(de.search())
    rand_land = Landscape(matmul_spec, _optimum(matmul_spec, 99))
    rnd = RandomSearch(matmul_spec, rand_land, count=de.configs_searched - 1, seed=3)
    assert de_best <= land.time(rnd.search())


def test_random_search_budget_and_validity(softmax_spec):
    land = Landscape(softmax_spec, _optimum(softmax_spec))
    search = RandomSearch(softmax_spec, land, count=60, seed=5)
    best = search.search()
    assert land.batches == 1  # one batch: compiled in parallel by the caller
    assert search.configs_searched <= 61
    assert land.time(best) == min(land.time(c) for c in land.seen)


def test_finite_search_times_exactly_the_given_configs(matmul_spec):
    configs = [helion.Config(block_sizes=[64, 64, 32]), helion.Config(block_sizes=[128, 64, 32], num_warps=8)]
    land = Landscape(matmul_spec, matmul_spec.normalize(configs[1]))
    best = FiniteSearch(matmul_spec, land, configs).search()
    assert best == matmul_spec.normalize(configs[1])
    assert land.seen == [matmul_spec.normalize(c) for c in configs]


def test_finite_search_refuses_an_illegal_config(matmul_spec):
    with pytest.raises(exc.InvalidConfig, match="block_sizes"):
        FiniteSearch(matmul_spec, lambda cs: [1.0] * len(cs), [helion.Config(block_sizes=[3, 64, 32])])


def test_searches_are_deterministic_per_seed(matmul_spec):
    def run(seed):
        land = Landscape(matmul_spec, _optimum(matmul_spec))
        DifferentialEvolutionSearch(matmul_spec, land, effort="quick", seed=seed).search()
        return land.seen

    assert run(11) == run(11)
    assert run(11) != run(12)


def test_failed_configs_are_skipped(matmul_spec):
    optimum = _optimum(matmul_spec)
    # Every config with 32 warps "fails to compile"; the optimum has fewer.
    optimum = matmul_spec.unflatten([4 if name == "num_warps" else v
                                     for (name, _, _), v in zip(matmul_spec.fields(), matmul_spec.flatten(optimum))])
    land = Landscape(matmul_spec, optimum, fail=lambda c: c.num_warps == 32)
    search = PatternSearch(matmul_spec, land, effort="full", seed=1)
    best = search.search()
    assert best.num_warps != 32 and land.time(best) == 1.0
    assert search.failures == sum(1 for c in land.seen if c.num_warps == 32) > 0


def test_all_failed_raises(softmax_spec):
    with pytest.raises(exc.AutotuneError, match="every one of the"):
        RandomSearch(softmax_spec, lambda cs: [math.inf] * len(cs), count=5).search()


def test_log_lines_follow_the_seeds_format(matmul_spec):
    out = io.StringIO()
    log = AutotuneLog(logging.INFO, stream=out, progress=False)
    land = Landscape(matmul_spec, _optimum(matmul_spec))
    DifferentialEvolutionSearch(matmul_spec, land, effort="quick", seed=0, log=log).search()
    lines = out.getvalue().splitlines()
    assert lines[0] == "[0s] Starting DifferentialEvolutionSearch with population=16, generations=6, crossover_rate=0.8"
    assert lines[1].startswith("[0s] Initial population: failed=0 min=")
    assert " mid=" in lines[1] and " max=" in lines[1] and " best=Config(block_sizes=[" in lines[1]
    assert lines[2].startswith("[0s] Generation 2: replaced=")
    assert len(lines) == 1 + 6


def test_quiet_log_prints_nothing(matmul_spec):
    out = io.StringIO()
    log = AutotuneLog(logging.WARNING, stream=out)
    RandomSearch(matmul_spec, Landscape(matmul_spec, _optimum(matmul_spec)), count=4, log=log).search()
    assert out.getvalue() == ""


def test_time_budget_stops_between_generations(matmul_spec):
    out = io.StringIO()
    log = AutotuneLog(logging.INFO, stream=out, progress=False)
    log.start -= 100  # a hundred seconds already spent
    land = Landscape(matmul_spec, _optimum(matmul_spec))
    search = DifferentialEvolutionSearch(matmul_spec, land, effort="full", seed=0, log=log, max_seconds=50)
    search.search()
    assert search.configs_searched <= 40  # the initial population only
    assert "Stopping: the time budget of 50s is spent" in out.getvalue()


def test_refinement_with_nothing_new_to_time_keeps_the_earlier_best(matmul_spec):
    """Full effort refines the global search's best configs with a
    PatternSearch sharing its results. When every neighbour was already timed
    (a kernel with a tiny space, e.g. only hl.grid), the refinement must
    return the earlier best, not fail as if every config had failed."""
    land = Landscape(matmul_spec, matmul_spec.default_config())
    first = RandomSearch(matmul_spec, land, count=6, seed=3)
    best = first.search()
    refine = PatternSearch(matmul_spec, lambda cs: [math.inf] * len(cs), initial_configs=[best], copies=1,
                           results=first.results, max_generations=1)
    assert refine.search() == best and refine.best_time == first.best_time


def test_searches_start_from_the_persistent_flattened_form_of_a_dot(matmul_spec, softmax_spec):
    # Beside the default, a dot kernel's searches start from the same tiles
    # persistent, by TMA, with the grid loop flattened: one local move at a
    # time could not reach it from the default (three fields change).
    start = matmul_spec.starting_configs()
    assert start[0] == matmul_spec.default_config()
    assert (start[1].pid_type, start[1].indexing, start[1].range_flattens[0]) == (
        "persistent_interleaved", "tensor_descriptor", True)
    assert start[1].block_sizes == start[0].block_sizes
    assert softmax_spec.starting_configs() == [softmax_spec.default_config()]
    for search in (PatternSearch, DifferentialEvolutionSearch, RandomSearch):
        land = Landscape(matmul_spec, _optimum(matmul_spec))
        search(matmul_spec, land, effort="quick", seed=0).search()
        assert land.seen[:2] == start, search


def test_attention_searches_start_from_one_warp_group_two_stages():
    # Chained dots in a loop (flash attention): beside the default, the same
    # tiles on 4 warps and 2 stages (two programs share an SM).
    from attention import attention

    q = torch.randn(2, 256, 64)
    spec = attention.bind((q, q, q, False)).config_spec
    start = spec.starting_configs()
    assert spec.dots == 2 and len(start) == 2
    assert start[1].block_sizes == start[0].block_sizes and (start[1].num_warps, start[1].num_stages) == (4, 2)
    assert spec.normalize(start[1]) == start[1]
