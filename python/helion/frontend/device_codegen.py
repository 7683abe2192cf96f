"""Entry point of device-code tracing, kept for the modules that import it:
the tracer lives in tracer.py, its result in traced_kernel.py."""
from .traced_kernel import RuntimeArg, SlotInfo, TracedKernel
from .tracer import trace

__all__ = ["RuntimeArg", "SlotInfo", "TracedKernel", "trace"]
