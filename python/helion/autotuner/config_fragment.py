"""Domains of single Config entries: what a value may be, how to draw one,
and which values lie next to it (for local search). Kernels declare their
own entries with `hl.register_tunable(name, fragment)`, so the constructors
check their arguments (helion.exc.InvalidArgument at the caller's line)."""
from __future__ import annotations

import random
import sys
from typing import Any, Sequence

from .. import exc


def _refuse(message: str) -> exc.InvalidArgument:
    caller = sys._getframe(2)  # the user's call of the constructor
    return exc.InvalidArgument(message, location=f"{caller.f_code.co_filename}:{caller.f_lineno}")


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
    """A power of two in [low, high] (default: `default`, else low)."""

    def __init__(self, low: int, high: int, default: int | None = None) -> None:
        if not (is_int(low) and is_int(high) and 1 <= low <= high and not low & (low - 1) and not high & (high - 1)):
            raise _refuse(f"PowerOfTwoFragment({low!r}, {high!r}): low and high must be powers of two with 1 <= low <= high")
        if default is not None and not (is_int(default) and low <= default <= high and not default & (default - 1)):
            raise _refuse(f"PowerOfTwoFragment({low}, {high}, {default!r}): the default must be a power of two in [{low}, {high}]")
        self.low, self.high = low, high
        self.default = low if default is None else default
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
    """An integer in [low, high] (default: `default`, else low)."""

    def __init__(self, low: int, high: int, default: int | None = None) -> None:
        if not (is_int(low) and is_int(high) and low <= high):
            raise _refuse(f"IntegerFragment({low!r}, {high!r}): low and high must be ints with low <= high")
        if default is not None and not (is_int(default) and low <= default <= high):
            raise _refuse(f"IntegerFragment({low}, {high}, {default!r}): the default must be an int in [{low}, {high}]")
        self.low, self.high = low, high
        self.default = low if default is None else default

    def contains(self, value: Any) -> bool:
        return is_int(value) and self.low <= value <= self.high

    def random(self, rng: random.Random) -> int:
        return rng.randint(self.low, self.high)

    def neighbors(self, value: int) -> list[int]:
        return [v for v in (value - 1, value + 1) if self.low <= v <= self.high]

    def describe(self) -> str:
        return f"an integer in [{self.low}, {self.high}]"


class EnumFragment(Fragment):
    """One of `choices` (default: `default` if among them, else the first)."""

    def __init__(self, choices: Sequence[Any], default: Any = None) -> None:
        if isinstance(choices, (str, bytes)) or not isinstance(choices, Sequence) or not choices:
            raise _refuse(f"EnumFragment({choices!r}): choices must be a non-empty list or tuple of values")
        try:
            hash(tuple(choices))
        except TypeError:
            raise _refuse(f"EnumFragment({choices!r}): choices must be hashable values (numbers, strings, bools, None)") from None
        self.choices = list(choices)
        self.default = default if self.contains(default) else self.choices[0]

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
    """False or True (default False)."""

    def __init__(self, default: bool = False) -> None:
        if not isinstance(default, bool):
            raise _refuse(f"BooleanFragment({default!r}): the default must be True or False")
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
