"""Helion: PyTorch with tiles. Kernels compile through the `tile` MLIR dialect to Triton."""
