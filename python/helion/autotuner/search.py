"""Search strategies over a kernel's ConfigSpec.

A search sees the kernel only through its ConfigSpec (which configs exist)
and a benchmark function: `benchmark(configs) -> times` in milliseconds, one
per config, `inf` for a config that failed (compile error, fault, wrong
output...). The benchmark takes whole batches so that the caller can compile
a generation in parallel. Searches are deterministic for a given seed and
benchmark, which is what the synthetic-landscape tests rely on.
"""
from __future__ import annotations

import math
import random
import statistics
from typing import Any, Callable, Sequence

from .. import exc
from ..config import Config
from .config_spec import ConfigSpec
from .logger import AutotuneLog

Benchmark = Callable[[list[Config]], list[float]]


def config_text(config: Config) -> str:
    """The seeds' log spelling: `Config(...)` without the module prefix."""
    return repr(config).removeprefix("helion.")


class BaseSearch:
    """Memoized evaluation, repair into the search space, the best so far."""

    def __init__(self, config_spec: ConfigSpec, benchmark: Benchmark, *, effort: str = "full", seed: int = 0,
                 log: AutotuneLog | None = None, results: dict[Config, float] | None = None,
                 max_seconds: float | None = None) -> None:
        self.spec = config_spec
        # Wall-clock budget (from the log's start): no new generation starts past it.
        self.max_seconds = max_seconds
        self._benchmark = benchmark
        self.effort = effort
        self.rng = random.Random(seed)
        self.log = log or AutotuneLog(quiet=True)
        # Shared with an earlier search (a refinement stage) so that no config is timed twice.
        self.results: dict[Config, float] = results if results is not None else {}
        self.best_config: Config | None = None
        self.best_time = math.inf
        # A refinement starts from the earlier stage's best: with a small
        # space it may have nothing new to time.
        for c, t in self.results.items():
            if t < self.best_time:
                self.best_time, self.best_config = t, c

    @property
    def configs_searched(self) -> int:
        return len(self.results)

    @property
    def failures(self) -> int:
        return sum(1 for t in self.results.values() if not math.isfinite(t))

    def describe(self) -> str:
        return f"Starting {type(self).__name__}"

    def search(self) -> Config:
        """Run the search; returns the fastest config that worked."""
        self.log(self.describe())
        self._search()
        if self.best_config is None:
            raise exc.AutotuneError(f"{self.spec.kernel_name}: every one of the {len(self.results)} configs tried failed "
                                    "(see the autotuning log above for why)")
        return self.best_config

    def _search(self) -> None:
        raise NotImplementedError

    # -- helpers for subclasses ------------------------------------------------
    def evaluate(self, configs: Sequence[Config], phase: str) -> list[float]:
        """Times of `configs`; each distinct config is benchmarked once."""
        fresh: list[Config] = []
        for c in configs:
            if c not in self.results and c not in fresh:
                fresh.append(c)
        if fresh:
            self.log.begin_phase(phase, len(fresh))
            try:
                times = self._benchmark(fresh)
            finally:
                self.log.end_phase()
            assert len(times) == len(fresh), "benchmark must return one time per config"
            for c, t in zip(fresh, times):
                t = float(t) if t is not None and t == t else math.inf  # NaN counts as a failure
                self.results[c] = t
                if t < self.best_time:
                    self.best_time, self.best_config = t, c
        return [self.results[c] for c in configs]

    def out_of_time(self) -> bool:
        if self.max_seconds is None or self.log.elapsed() < self.max_seconds:
            return False
        self.log(f"Stopping: the time budget of {self.max_seconds:.0f}s is spent")
        return True

    def repair(self, config: Config) -> Config | None:
        """`config` if the search space holds it, else with blocks halved until
        its tensors fit; None when even that does not make it legal."""
        if self.spec.in_search_space(config):
            return config
        shrunk = self.spec.shrink_to_fit(config)
        return shrunk if self.spec.in_search_space(shrunk) else None

    def random_configs(self, n: int) -> list[Config]:
        return [self.spec.random_config(self.rng) for _ in range(n)]

    def summary(self, phase: str, times: Sequence[float], **counts: int) -> str:
        ok = sorted(t for t in times if math.isfinite(t))
        failed = len(times) - len(ok)
        head = " ".join(f"{k}={v}" for k, v in counts.items())
        stats = (f"min={ok[0]:.4f} mid={statistics.median(ok):.4f} max={ok[-1]:.4f}" if ok else "min=- mid=- max=-")
        best = config_text(self.best_config) if self.best_config is not None else "none"
        return f"{phase}: {head + ' ' if head else ''}failed={failed} {stats} best={best}"


class FiniteSearch(BaseSearch):
    """Times exactly the given configs (`configs=[...]`)."""

    def __init__(self, config_spec: ConfigSpec, benchmark: Benchmark, configs: Sequence[Config], **kw: Any) -> None:
        super().__init__(config_spec, benchmark, **kw)
        if not configs:
            raise exc.InvalidConfig(f"{config_spec.kernel_name}: FiniteSearch needs at least one config")
        self.configs = [config_spec.normalize(c) for c in configs]

    def describe(self) -> str:
        return f"Starting FiniteSearch with configs={len(self.configs)}"

    def _search(self) -> None:
        times = self.evaluate(self.configs, "Configs")
        self.log(self.summary("Configs", times))


class RandomSearch(BaseSearch):
    """The default config plus `count` configs drawn uniformly."""

    COUNT = {"quick": 48, "full": 400}

    def __init__(self, config_spec: ConfigSpec, benchmark: Benchmark, count: int | None = None, **kw: Any) -> None:
        super().__init__(config_spec, benchmark, **kw)
        self.count = count if count is not None else self.COUNT.get(self.effort, 48)

    def describe(self) -> str:
        return f"Starting RandomSearch with count={self.count}"

    def _search(self) -> None:
        start = self.spec.starting_configs()
        configs = start + self.random_configs(max(0, self.count + 1 - len(start)))
        times = self.evaluate(configs, "Random configs")
        self.log(self.summary("Random configs", times))


class PatternSearch(BaseSearch):
    """Local search: start from the default and a few random configs, then
    repeatedly try every one-field move (Fragment.neighbors) around the
    `copies` best points, moving to the best improvement, until no move
    improves any of them by more than `min_improvement` or the generations
    run out."""

    DEFAULTS = {"quick": dict(initial_population=8, copies=2, max_generations=8),
                "full": dict(initial_population=40, copies=4, max_generations=24)}

    def __init__(self, config_spec: ConfigSpec, benchmark: Benchmark, *, initial_population: int | None = None,
                 copies: int | None = None, max_generations: int | None = None, min_improvement: float = 0.001,
                 initial_configs: Sequence[Config] | None = None, **kw: Any) -> None:
        super().__init__(config_spec, benchmark, **kw)
        self.initial_configs = list(initial_configs) if initial_configs else None
        d = self.DEFAULTS.get(self.effort, self.DEFAULTS["quick"])
        self.initial_population = initial_population if initial_population is not None else d["initial_population"]
        self.copies = copies if copies is not None else d["copies"]
        self.max_generations = max_generations if max_generations is not None else d["max_generations"]
        self.min_improvement = min_improvement

    def describe(self) -> str:
        start = len(self.initial_configs) if self.initial_configs else self.initial_population
        return (f"Starting PatternSearch with initial_population={start}, copies={self.copies}, "
                f"max_generations={self.max_generations}")

    def neighbors(self, config: Config) -> list[Config]:
        """Every legal config one field-step away from `config`."""
        flat = self.spec.flatten(config)
        out: list[Config] = []
        for j, (_, _, frag) in enumerate(self.spec.fields()):
            for v in frag.neighbors(flat[j]):
                moved = self.repair(self.spec.unflatten(flat[:j] + [v] + flat[j + 1:]))
                if moved is not None and moved != config and moved not in out:
                    out.append(moved)
        return out

    def _compound(self, point: Config, moves: list[Config]) -> Config | None:
        """`point` with each field set to its best improving single move, when
        at least two fields improve."""
        here, flat = self.results[point], self.spec.flatten(point)
        best: dict[int, tuple[float, Any]] = {}
        for m in moves:
            t = self.results[m]
            if t >= here:
                continue
            changed = [j for j, (a, b) in enumerate(zip(flat, self.spec.flatten(m))) if a != b]
            if len(changed) == 1 and t < best.get(changed[0], (math.inf, None))[0]:
                best[changed[0]] = (t, self.spec.flatten(m)[changed[0]])
        if len(best) < 2:
            return None
        for j, (_, v) in best.items():
            flat[j] = v
        return self.repair(self.spec.unflatten(flat))

    def _search(self) -> None:
        start = self.spec.starting_configs()
        initial = self.initial_configs or (start + self.random_configs(max(0, self.initial_population - len(start))))
        times = self.evaluate(initial, "Initial population")
        self.log(self.summary("Initial population", times))
        ranked = sorted((t, i) for i, t in enumerate(times) if math.isfinite(t))
        points = []
        for _, i in ranked:
            if initial[i] not in points:
                points.append(initial[i])
            if len(points) == self.copies:
                break
        active = list(points)
        for gen in range(1, self.max_generations + 1):
            if not active or self.out_of_time():
                break
            moves = {id(p): self.neighbors(p) for p in active}
            batch = [c for p in active for c in moves[id(p)]]
            self.evaluate(batch, f"Generation {gen}")
            # Every improving field at once: on a landscape where fields act
            # mostly independently this crosses several steps per generation.
            compounds = {id(p): self._compound(p, moves[id(p)]) for p in active}
            self.evaluate([c for c in compounds.values() if c is not None], f"Generation {gen} (combined)")
            improved, still = 0, []
            for p in active:
                here = self.results[p]
                cands = moves[id(p)] + ([compounds[id(p)]] if compounds[id(p)] is not None else [])
                best = min(cands, key=self.results.__getitem__, default=None)
                if best is not None and self.results[best] < here * (1 - self.min_improvement):
                    improved += 1
                    if best not in still:
                        still.append(best)
            self.log(self.summary(f"Generation {gen}", [self.results[c] for c in batch],
                                  improved=improved, searched=len(batch)))
            active = still


class DifferentialEvolutionSearch(BaseSearch):
    """Discrete differential evolution over the flat view of the ConfigSpec.

    Each generation makes one trial per population member: with probability
    `crossover_rate` a field takes the value of a donor built from three other
    members (a's value, or b's where b and c disagree: the discrete analogue
    of a + F(b - c)); otherwise it keeps the member's own. A small mutation
    rate draws a fresh value. A trial that beats its member replaces it."""

    DEFAULTS = {"quick": dict(population=16, generations=6), "full": dict(population=40, generations=20)}

    def __init__(self, config_spec: ConfigSpec, benchmark: Benchmark, *, population: int | None = None,
                 generations: int | None = None, crossover_rate: float = 0.8, mutation_rate: float = 0.1,
                 **kw: Any) -> None:
        super().__init__(config_spec, benchmark, **kw)
        d = self.DEFAULTS.get(self.effort, self.DEFAULTS["quick"])
        self.population = max(4, population if population is not None else d["population"])
        self.generations = generations if generations is not None else d["generations"]
        self.crossover_rate = crossover_rate
        self.mutation_rate = mutation_rate

    def describe(self) -> str:
        return (f"Starting DifferentialEvolutionSearch with population={self.population}, "
                f"generations={self.generations}, crossover_rate={self.crossover_rate}")

    def _trial(self, pop: list[Config], i: int) -> Config:
        fields = self.spec.fields()
        others = [j for j in range(len(pop)) if j != i]
        a, b, c = (self.spec.flatten(pop[j]) for j in self.rng.sample(others, 3))
        x = self.spec.flatten(pop[i])
        forced = self.rng.randrange(len(fields))  # at least one field comes from the donor
        child = list(x)
        for j, (_, _, frag) in enumerate(fields):
            if j == forced or self.rng.random() < self.crossover_rate:
                child[j] = b[j] if b[j] != c[j] and self.rng.random() < 0.5 else a[j]
            if self.rng.random() < self.mutation_rate:
                child[j] = frag.random(self.rng)
        if child == x:  # the donor agreed with x everywhere: step one field instead
            moves = fields[forced][2].neighbors(x[forced])
            if moves:
                child[forced] = self.rng.choice(moves)
        return self.repair(self.spec.unflatten(child)) or self.spec.random_config(self.rng)

    def _search(self) -> None:
        start = self.spec.starting_configs()
        pop = start + self.random_configs(max(0, self.population - len(start)))
        times = self.evaluate(pop, "Initial population")
        self.log(self.summary("Initial population", times))
        for gen in range(2, self.generations + 1):
            if self.out_of_time():
                break
            trials = [self._trial(pop, i) for i in range(len(pop))]
            trial_times = self.evaluate(trials, f"Generation {gen}")
            replaced = 0
            for i, (t, tt) in enumerate(zip(times, trial_times)):
                if tt < t:
                    pop[i], times[i] = trials[i], tt
                    replaced += 1
            self.log(self.summary(f"Generation {gen}", times, replaced=replaced))


SEARCHES = {cls.__name__: cls for cls in (FiniteSearch, RandomSearch, PatternSearch, DifferentialEvolutionSearch)}
# The default search per effort: quick refines the default config locally
# (few configs, each an informed guess); full explores the space globally.
DEFAULT_SEARCH = {"quick": PatternSearch, "full": DifferentialEvolutionSearch}
