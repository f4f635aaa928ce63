"""GPU implementations of the DiffC generator and candidate search, bit-identical to the NumPy reference.

- ``philox_torch`` / ``gaussian_torch``: the generator and the normal transform in torch tensor ops
  (CPU and CUDA, no extra dependency);
- ``search``: the PFR candidate search of one chunk on torch or Triton;
- ``triton_kernels``: the Triton kernels (fused candidate search, winning-candidate noise); imported only
  when used, so nothing else in aigif_ref needs Triton;
- ``backend``: plugs "torch" and (with CUDA and Triton) "triton" into aigif_ref.diffc.pfr.

Importing this package registers those backends (aigif_ref.diffc.cli imports it to find them).
"""

from aigif_ref.diffc.gpu.backend import register

BACKENDS = register()
