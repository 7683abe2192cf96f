"""Compiler driver: Config -> pass pipeline -> TTIR -> Triton."""
