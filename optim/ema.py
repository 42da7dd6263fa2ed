"""The exponentially weighted moving average (the slides' example: London temperatures).

    v_t = β v_{t-1} + (1 - β) x_t,   v_0 = 0
    bias-corrected:  v̂_t = v_t / (1 - β^t)

Unrolled, v_t = (1 - β) Σ_τ β^(t-τ) x_τ: every earlier value still counts, with a weight
that shrinks by β per step. The weights fall to 1/e after about 1/(1 - β) steps, so v_t
is roughly the mean of the last 1/(1 - β) values: β = 0.9 averages about 10 days,
β = 0.98 about 50 (smoother, and later to follow a change).

Starting from v_0 = 0 pulls the first values towards 0 (v_1 = (1 - β) x_1 is a tenth
of x_1 for β = 0.9); dividing by 1 - β^t, the sum of the weights so far, undoes that and
matters less and less as β^t fades.

The update rules use the same two functions for their moment estimates (``moments.py``).
"""

from __future__ import annotations

import numbers
from typing import Any, Iterable

import numpy as np

from autodiff import checks


def ema_update(average: Any, x: Any, beta: float) -> Any:
    """One step of the average: β·v + (1 - β)·x (numbers or numpy arrays)."""
    return beta * average + (1 - beta) * x


def ema_update_of_square(average: Any, x: Any, beta: float) -> Any:
    """One step of the average of x²: β·v + (1 - β)·x·x, multiplied left to right as PyTorch
    does, (1 - β)·x first: x·x alone overflows to inf for |x| > 1.3e154 (float64) where
    (1 - β)·x·x is still a finite number."""
    return beta * average + (1 - beta) * x * x


def bias_correction(beta: float, t: int) -> float:
    """1 - β^t, the total weight the average has given its first t values."""
    return 1 - beta**t


def decay_rate_problem(beta: Any) -> str | None:
    """What is wrong with β as the decay rate of an average (None if it is in [0, 1))."""
    if isinstance(beta, bool) or not isinstance(beta, numbers.Real) or not 0 <= beta < 1:
        return f"must be a number in [0, 1), got {beta!r}"
    return None


def _observation(x: Any, owner: str, name: str) -> Any:
    """``x`` if it is a real number (not a bool) or an array of real numbers, else a TypeError naming it."""
    if isinstance(x, numbers.Real) and not isinstance(x, bool):
        return x
    if isinstance(x, (list, tuple, np.ndarray)):
        try:
            array = np.asarray(x)
        except ValueError:
            array = None
        if array is not None and array.dtype.kind in "iuf":
            return array
    raise TypeError(f"{owner}: {name} must be a real number or an array of real numbers, got {type(x).__name__} {x!r}")


class EMA:
    """The exponentially weighted moving average of a stream of numbers (or arrays).

    >>> ema = EMA(0.9)
    >>> [round(ema.update(x), 4) for x in (40.0, 49.0, 45.0)]  # London, days 1-3 (°F)
    [40.0, 44.7368, 44.8339]
    >>> EMA(0.9, bias_correction=False).smooth([40.0, 49.0, 45.0]).round(4).tolist()
    [4.0, 8.5, 12.15]
    """

    def __init__(self, beta: float, bias_correction: bool = True) -> None:
        problem = decay_rate_problem(beta)
        if problem is not None:
            raise ValueError(f"EMA: beta {problem}")
        if not isinstance(bias_correction, bool):
            raise TypeError(f"EMA: bias_correction must be True or False, got {bias_correction!r}")
        self.beta = float(beta)
        self.bias_correction = bias_correction
        self.t = 0  # how many values have been averaged
        self.average: Any = 0.0  # v_t, before any bias correction (v_0 = 0)

    @property
    def window(self) -> float:
        """1 / (1 - β): about how many recent values the average spans."""
        return 1 / (1 - self.beta)

    @property
    def value(self) -> Any:
        """The current estimate: v̂_t with bias correction, v_t without (v_0 = 0 before any update)."""
        if self.bias_correction and self.t > 0:
            return self.average / bias_correction(self.beta, self.t)
        return self.average

    def update(self, x: Any) -> Any:
        """Take in the next value x_t and return the estimate after it."""
        x = _observation(x, "EMA.update", "x")
        if self.t > 0 and np.shape(x) != np.shape(self.average):
            raise ValueError(
                f"EMA.update: x has shape {np.shape(x)} but the values averaged so far have shape "
                f"{np.shape(self.average)}; an average follows one quantity (use one EMA per shape)"
            )
        self.average = ema_update(self.average, x, self.beta)
        self.t += 1
        return self.value

    def smooth(self, xs: Iterable[Any]) -> np.ndarray:
        """The smoothed series: ``update(x)`` for each x of ``xs`` in turn, as an array.

        It continues from the current state, so on a fresh EMA it is the smoothed
        version of the whole sequence.
        """
        if not checks.collection(xs):
            raise TypeError(f"EMA.smooth: xs must be a sequence of numbers (or arrays), got {type(xs).__name__}")
        return np.array([self.update(_observation(x, "EMA.smooth", f"xs[{i}]")) for i, x in enumerate(xs)])

    def __repr__(self) -> str:
        return f"EMA(beta={self.beta}, bias_correction={self.bias_correction}, t={self.t})"
