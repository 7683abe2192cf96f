"""Source locations of TTIR ops, for error messages.

MLIR's parser keeps each op's location: either one the text carries (inline
`loc("kernel.py":16:11)` or a `#loc3` alias defined at the end of the module)
or, when the text has none, the op's own position in the text, under the
buffer name "-". The first kind names the user's source line; the second
only the TTIR line. Callsite locations (a helper called from a kernel) name
the helper's line and the kernel line that called it.
"""
from __future__ import annotations

import re

# The buffer name MLIR's parser gives ops whose text carries no location.
_TEXT_BUFFER = "-"
_FILE_LOC = re.compile(r'"((?:[^"\\]|\\.)*)":(\d+):(\d+)')
_ESCAPE = re.compile(r"\\(\\|[0-9A-Fa-f]{2})")


def _unescape(s: str) -> str:
    # MLIR prints a backslash as \\ and quotes, unprintable and non-ASCII
    # bytes as \XX (hex, one per UTF-8 byte): the rest is ASCII.
    raw = _ESCAPE.sub(lambda m: "\\" if m.group(1) == "\\" else chr(int(m.group(1), 16)), s)
    return raw.encode("latin-1").decode("utf-8", errors="replace")


def user_location(loc_text: str) -> str | None:
    """'file:line' of the user's source in a printed MLIR location, or None
    when it names no user file (unknown, or a position in the TTIR text)."""
    files = [(_unescape(f), line) for f, line, _ in _FILE_LOC.findall(loc_text) if f != _TEXT_BUFFER]
    if not files:
        return None
    first = f"{files[0][0]}:{files[0][1]}"
    if "callsite(" in loc_text and len(files) > 1:
        return f"{first} (called from {files[-1][0]}:{files[-1][1]})"
    return first


def ttir_location(loc_text: str) -> str | None:
    """'<ttir>:line:col' when the location is a position in the TTIR text."""
    for f, line, col in _FILE_LOC.findall(loc_text):
        if f == _TEXT_BUFFER:
            return f"<ttir>:{line}:{col}"
    return None


def describe(op) -> str:
    """Where an op comes from: the user's file:line when the TTIR carries it,
    else the op's line in the TTIR. Ops without a location of their own (an
    unknown loc) take their enclosing op's."""
    fallback = None
    while op is not None:
        text = op.location
        user = user_location(text)
        if user is not None:
            return user
        if fallback is None:
            fallback = ttir_location(text)
        op = op.parent
    return fallback or "an unknown location"
