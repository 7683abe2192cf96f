"""Integer helpers shared by host code, the ConfigSpec and users (`helion.cdiv`,
`helion.next_power_of_2`)."""
from __future__ import annotations


def cdiv(a: int, b: int) -> int:
    """ceil(a / b) for integers (b > 0), as in grid-size arithmetic."""
    return -(-a // b)


def next_power_of_2(n: int) -> int:
    """The smallest power of two >= n (1 for n <= 1)."""
    return 1 if n <= 1 else 1 << (n - 1).bit_length()
