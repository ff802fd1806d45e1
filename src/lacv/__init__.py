"""lacv — linear algebra for computer vision and AI.

The methods of the lecture "Basic Linear Algebra for AI and Computer Vision"
(least squares, the SVD solution of Ax = 0, the SVD toolkit, transform
estimation, stitching, calibration, epipolar geometry, derivatives and
neural networks with hand-derived backpropagation) as a library and a
command-line tool.

Conventions (one set, used everywhere)
--------------------------------------
- Arrays are float64. Points are ``(N, 2)`` arrays in ``(x, y)`` pixel order;
  homogeneous points are ``(N, 3)``.
- 3×3 matrices act on column vectors, ``x' ~ H @ x``, exactly as in OpenCV and
  the lecture notes, so matrices pass between the two without transposing.
- Jacobians use the numerator layout: for ``f: R^d -> R^m`` the Jacobian is
  ``m × d``.
- Every random choice takes ``rng``: a ``numpy.random.Generator``, an integer
  seed, or ``None``. The same seed gives the same result.
- Bad input raises :class:`lacv.errors.InputError` (a ``ValueError``) naming
  the argument; a configuration with no unique answer raises
  :class:`lacv.errors.DegenerateError`. Nothing returns a sentinel.
"""

from lacv.errors import DegenerateError, EstimationError, InputError, LacvError

__version__ = "0.1.0"

__all__ = [
    "DegenerateError",
    "EstimationError",
    "InputError",
    "LacvError",
    "__version__",
]
