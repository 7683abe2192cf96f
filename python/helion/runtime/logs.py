"""Helion's logs go through Python's `logging`, under the logger "helion"
(each module logs to `logging.getLogger(__name__)`); warnings go through
`warnings`. Nothing is printed unless asked for:

    HELION_LOGS=all                  every helion logger at DEBUG
    HELION_LOGS=kernel,aot           those (short names below, or full logger names)
    HELION_LOGS=+kernel              a leading + is accepted (same as kernel)

or `helion.set_logs("kernel,autotuner")` from code; applications may also
configure the "helion" logger themselves instead. Short names: see SHORT_NAMES.
"""
from __future__ import annotations

import logging
import os
import warnings

SHORT_NAMES = {
    "kernel": "helion.runtime.kernel",  # specializations, compiles and their times
    "torch_op": "helion.runtime.torch_op",  # torch.compile custom operators
    "cpu_executor": "helion.runtime.cpu_executor",
    "compiler": "helion.compiler",
    "frontend": "helion.frontend",
    "autotuner": "helion.autotuner",
    "aot": "helion.aot",  # ahead-of-time config lookups
}
_FORMAT = "[%(asctime)s.%(msecs)03d] %(name)s %(levelname)s: %(message)s"
_handler: logging.Handler | None = None


def logger_names(spec: str) -> list[str]:
    """The logger names a HELION_LOGS value asks for; unknown names warn."""
    names = []
    for part in (p.strip().lstrip("+") for p in spec.split(",")):
        if not part:
            continue
        if part == "all":
            names.append("helion")
        elif part in SHORT_NAMES:
            names.append(SHORT_NAMES[part])
        elif part == "helion" or part.startswith("helion."):
            names.append(part)
        else:
            warnings.warn(f"HELION_LOGS: unknown log name {part!r}; use 'all', a helion logger name, or one of "
                          f"{sorted(SHORT_NAMES)}", stacklevel=3)
    return names


def set_logs(spec: str | None) -> list[str]:
    """Send the named helion loggers (see module doc) to stderr at DEBUG;
    None or "" turns Helion's own handler off. Returns the logger names."""
    global _handler
    root = logging.getLogger("helion")
    if _handler is not None:  # undo the previous call
        for name in _handler.helion_names + ["helion"] * _handler.set_root:
            logging.getLogger(name).setLevel(logging.NOTSET)
        root.removeHandler(_handler)
        _handler = None
    names = logger_names(spec or "")
    if not names:
        return []
    _handler = logging.StreamHandler()
    _handler.setFormatter(logging.Formatter(_FORMAT, datefmt="%H:%M:%S"))
    _handler.helion_names = names
    _handler.set_root = root.level == logging.NOTSET
    root.addHandler(_handler)
    if _handler.set_root:
        root.setLevel(logging.WARNING)  # loggers not asked for stay quiet
    for name in names:
        logging.getLogger(name).setLevel(logging.DEBUG)
    return names


def init_from_env() -> None:
    spec = os.environ.get("HELION_LOGS")
    if spec:
        set_logs(spec)
