"""The exceptions of lacv: two tiers of failure, never sentinels.

- :class:`InputError` — the caller passed something invalid (wrong shape, a
  NaN, too few points). It is a ``ValueError``, and its message names the
  argument, what was received and what was expected.
- :class:`DegenerateError` — the input is valid but has no unique answer
  (rank deficiency, coincident or collinear points).
- :class:`EstimationError` — a robust estimator found no model; it carries
  the statistics of the search.
- :class:`IllConditionedWarning` — an answer exists but is numerically
  fragile (a large condition number); ``strict=True`` turns it into a
  :class:`DegenerateError` where a function offers that option;
  :class:`RankDeficientWarning` is its special case of a non-unique answer.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "DegenerateError",
    "EstimationError",
    "IllConditionedWarning",
    "InputError",
    "LacvError",
    "RankDeficientWarning",
]


class LacvError(Exception):
    """Base class of every error raised by lacv."""


class InputError(LacvError, ValueError):
    """Invalid input: the message names the argument, what was received and what was expected."""


class DegenerateError(LacvError):
    """A configuration with no unique answer (rank deficiency, collinear or coincident points).

    Parameters
    ----------
    message : str
        What is degenerate, and why.
    singular_values : array_like, optional
        The singular values that revealed the degeneracy, when there are any.
    """

    def __init__(self, message: str, *, singular_values: Any = None) -> None:
        super().__init__(message)
        self.singular_values = singular_values


class EstimationError(LacvError):
    """A robust estimator found no model.

    Parameters
    ----------
    message : str
        What was tried and why it failed.
    stats : dict, optional
        The statistics of the search (trials, best inlier count, ...).
    """

    def __init__(self, message: str, *, stats: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.stats = dict(stats or {})


class IllConditionedWarning(UserWarning):
    """The problem has an answer, but it is numerically fragile (large condition number)."""


class RankDeficientWarning(IllConditionedWarning):
    """The problem is rank-deficient: its answer is not unique (a minimum-norm one is returned)."""
