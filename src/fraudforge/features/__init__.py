"""features: the model features as Numba kernels, identical in batch and online."""
