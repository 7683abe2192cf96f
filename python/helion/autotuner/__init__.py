"""The autotuner: searches over a kernel's ConfigSpec, parallel compilation,
isolated GPU timing with accuracy checks, and a disk cache of the best config."""
from .search import (BaseSearch, DifferentialEvolutionSearch, FiniteSearch, PatternSearch, RandomSearch)

__all__ = ["BaseSearch", "DifferentialEvolutionSearch", "FiniteSearch", "PatternSearch", "RandomSearch"]
