"""Tolerances of the epipolar tests (the shared ones are in tests/tolerances.py)."""

#: x2ᵀ F x1 on Hartley-normalised points with ‖F‖ = 1, noise-free data
ALGEBRAIC = 1e-9
#: pixels, noise-free data (Sampson distance, reprojection, triangulation)
EXACT_PX = 1e-8
#: relative agreement of matrices recovered from noise-free data
EXACT_REL = 1e-8
#: rotation angle (degrees) of a pose recovered from noise-free data
EXACT_DEG = 1e-6
#: agreement with OpenCV on the same input (it computes partly in float32)
OPENCV_REL = 1e-6
