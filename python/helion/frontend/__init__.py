"""Frontend: Python kernel source -> tile IR (host/device split, tracing)."""
