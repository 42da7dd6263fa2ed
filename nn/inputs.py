"""What layers and losses accept: Tensors, or numbers and arrays that become constant Tensors."""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from autodiff import Tensor

REDUCTIONS = ("mean", "sum", "none")


def as_tensor(x: Any) -> Tensor:
    """``x`` if it is a Tensor, else a constant Tensor of its numbers (no gradient)."""
    return x if isinstance(x, Tensor) else Tensor(x)


def numbers_of(x: Any, what: str = "the input") -> np.ndarray:
    """The numbers of a Tensor (its ``.data``) or of anything numpy reads; a ragged list
    (rows of different lengths) is a ``ValueError`` naming ``what``."""
    if isinstance(x, Tensor):
        return x.data
    try:
        return np.asarray(x)
    except ValueError as error:
        raise ValueError(
            f"{what} is not a rectangular array of numbers (rows of different lengths?): {error}"
        ) from None


def check_reduction(reduction: str, owner: str) -> str:
    return choice(reduction, REDUCTIONS, owner, "reduction")


def reduce(loss: Tensor, reduction: str) -> Tensor:
    """The mean or the sum of the per-element losses, or the losses themselves ("none")."""
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def float_dtype(dtype: Any, owner: str) -> np.dtype:
    """``dtype`` as a numpy floating-point dtype (float16, float32, float64, ...); a
    ``TypeError`` naming it for anything else: an integer or bool dtype would truncate
    the weights and the running statistics, a complex one has no order for ReLU."""
    try:
        resolved = np.dtype(dtype)
    except (TypeError, ValueError):
        raise TypeError(f"{owner}: dtype must be a floating-point numpy dtype (float32, float64), got {dtype!r}") from None
    if resolved.kind != "f":
        raise TypeError(
            f"{owner}: dtype must be a floating-point numpy dtype (float32, float64), got {resolved.name}"
        )
    return resolved


def real_number(value: Any, owner: str, name: str, low: float | None = None, high: float | None = None,
                low_open: bool = False) -> float:
    """``value`` as a finite float within [low, high] (``low_open``: > low), or a ``TypeError``
    (not a real number) or ``ValueError`` (NaN, infinite, out of range) naming ``name``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{owner}: {name} must be a real number, got {type(value).__name__} {value!r}")
    number = float(value) + 0.0  # -0.0 becomes 0.0
    if not math.isfinite(number):
        raise ValueError(f"{owner}: {name} must be a finite number, got {number!r}")
    below = low is not None and (number <= low if low_open else number < low)
    if below or (high is not None and number > high):
        bounds = (f"> {low}" if low_open else f">= {low}") if high is None else f"in [{low}, {high}]"
        if low_open and high is not None:
            bounds = f"in ({low}, {high}]"
        raise ValueError(f"{owner}: {name} must be {bounds}, got {number!r}")
    return number


def choice(value: Any, choices: tuple, owner: str, name: str) -> Any:
    """``value`` if it is one of ``choices`` (strings, or None), else a ``ValueError``
    (``TypeError`` for what is not even a string) naming ``name`` and the choices."""
    listed = ", ".join(map(repr, choices))
    if value is not None and not isinstance(value, str):
        raise TypeError(f"{owner}: {name} must be one of {listed}, got a {type(value).__name__}")
    if value not in choices:
        raise ValueError(f"{owner}: {name} must be one of {listed}, got {value!r}")
    return value


def whole_number(value: Any, owner: str, name: str, minimum: int | None = None) -> int:
    """``value`` as an int (a bool is refused), at least ``minimum``; ``TypeError`` or
    ``ValueError`` naming ``name``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{owner}: {name} must be an int, got {type(value).__name__} {value!r}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{owner}: {name} must be an int >= {minimum}, got {value!r}")
    return int(value)
