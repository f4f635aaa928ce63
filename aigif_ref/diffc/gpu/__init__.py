"""GPU implementations of the DiffC generator and candidate search, bit-identical to the NumPy reference.

- ``philox_torch`` / ``gaussian_torch``: the generator and the normal transform in torch tensor ops
  (CPU and CUDA, no extra dependency);
- ``triton_kernels``: Triton kernels (fused candidate search, winning-candidate noise); imported only
  when asked for, so nothing else in aigif_ref needs Triton.
"""
