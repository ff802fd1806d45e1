"""Tolerances used by the tests, in one place."""

#: agreement with a LAPACK / NumPy / SciPy reference on well-conditioned input
REF_RTOL = 1e-9
REF_ATOL = 1e-10
#: central differences against analytic derivatives (float64)
FD_RTOL = 1e-7
#: hand-derived gradients against PyTorch autograd (float64)
ORACLE_RTOL = 1e-10
