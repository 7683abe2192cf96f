"""The autotuner: searches over a kernel's ConfigSpec, parallel compilation,
isolated GPU timing with accuracy checks, and a disk cache of the best config."""
from .config_fragment import BooleanFragment, EnumFragment, Fragment, IntegerFragment, PowerOfTwoFragment
from .search import (BaseSearch, DifferentialEvolutionSearch, FiniteSearch, PatternSearch, RandomSearch)

__all__ = ["BaseSearch", "BooleanFragment", "DifferentialEvolutionSearch", "EnumFragment", "FiniteSearch", "Fragment",
           "IntegerFragment", "PatternSearch", "PowerOfTwoFragment", "RandomSearch"]
