"""Domains of single Config entries: what a value may be, how to draw one,
and which values lie next to it (for local search)."""
from __future__ import annotations

import random
from typing import Any, Sequence


class Fragment:
    """The legal values of one Config entry (one block size, one loop order...)."""

    default: Any

    def contains(self, value: Any) -> bool:
        raise NotImplementedError

    def random(self, rng: random.Random) -> Any:
        raise NotImplementedError

    def neighbors(self, value: Any) -> list:
        """Legal values one step away from `value` (never `value` itself)."""
        raise NotImplementedError

    def describe(self) -> str:
        """The legal values, for error messages."""
        raise NotImplementedError


def is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


class PowerOfTwoFragment(Fragment):
    def __init__(self, low: int, high: int, default: int) -> None:
        assert low >= 1 and high >= low and not (low & (low - 1)) and not (high & (high - 1))
        self.low, self.high = low, high
        self.default = min(max(default, low), high)
        self.choices = [1 << e for e in range(low.bit_length() - 1, high.bit_length())]

    def contains(self, value: Any) -> bool:
        return is_int(value) and self.low <= value <= self.high and not (value & (value - 1))

    def random(self, rng: random.Random) -> int:
        return rng.choice(self.choices)

    def neighbors(self, value: int) -> list[int]:
        return [v for v in (value // 2, value * 2) if self.low <= v <= self.high and v != value]

    def describe(self) -> str:
        return f"a power of two in [{self.low}, {self.high}]"


class IntegerFragment(Fragment):
    def __init__(self, low: int, high: int, default: int) -> None:
        assert low <= high
        self.low, self.high = low, high
        self.default = min(max(default, low), high)

    def contains(self, value: Any) -> bool:
        return is_int(value) and self.low <= value <= self.high

    def random(self, rng: random.Random) -> int:
        return rng.randint(self.low, self.high)

    def neighbors(self, value: int) -> list[int]:
        return [v for v in (value - 1, value + 1) if self.low <= v <= self.high]

    def describe(self) -> str:
        return f"an integer in [{self.low}, {self.high}]"


class EnumFragment(Fragment):
    def __init__(self, choices: Sequence[Any], default: Any = None) -> None:
        assert choices
        self.choices = list(choices)
        self.default = default if default in self.choices else self.choices[0]

    def contains(self, value: Any) -> bool:
        # bool is an int in Python: True must not pass for 1, nor 1 for True.
        return any(value == c and type(value) is type(c) for c in self.choices)

    def random(self, rng: random.Random) -> Any:
        return rng.choice(self.choices)

    def neighbors(self, value: Any) -> list:
        return [c for c in self.choices if not (c == value and type(c) is type(value))]

    def describe(self) -> str:
        return "one of " + ", ".join(repr(c) for c in self.choices)


class BooleanFragment(EnumFragment):
    def __init__(self, default: bool = False) -> None:
        super().__init__([False, True], default)


class PermutationFragment(Fragment):
    """A loop order: a permutation of range(n); neighbors swap two entries."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.default = list(range(n))

    def contains(self, value: Any) -> bool:
        return isinstance(value, (list, tuple)) and all(is_int(v) for v in value) and sorted(value) == list(range(self.n))

    def random(self, rng: random.Random) -> list[int]:
        out = list(range(self.n))
        rng.shuffle(out)
        return out

    def neighbors(self, value: list[int]) -> list[list[int]]:
        out = []
        for i in range(self.n):
            for j in range(i + 1, self.n):
                v = list(value)
                v[i], v[j] = v[j], v[i]
                out.append(v)
        return out

    def describe(self) -> str:
        return f"a permutation of {list(range(self.n))}"
