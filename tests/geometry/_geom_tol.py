"""Tolerances of the geometry tests (the shared ones are in tests/tolerances.py)."""

#: exact recovery on noise-free synthetic data (pixels, or relative for matrices)
EXACT_PX = 1e-8
EXACT_REL = 1e-9
#: agreement with OpenCV's float32-based estimators on float32-representable input
OPENCV_REL = 1e-6
#: analytic Jacobians against central differences
JAC_RTOL = 1e-6
