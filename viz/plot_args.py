"""Argument checks for the training pictures in ``viz.plots``: a bad argument is refused with a
``TypeError`` (not the right kind of thing) or a ``ValueError`` (the right kind, out of range)
whose message names the function and the argument, before numpy or matplotlib can fail on it
with an error that names neither (or draw a wrong picture without a word).

Single numbers, counts, flags and functions go through ``autodiff.checks``; what is particular
to pictures (numbers in arrays, axis limits, an Axes, a training history) is here.
"""

from __future__ import annotations

import numbers
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from autodiff import checks
from autodiff.checks import got

NUMERIC_KINDS = "biuf"  # numpy's bool, int, unsigned and float arrays


class UnknownSeriesError(KeyError, ValueError):
    """A series name that the history does not hold: a ``KeyError`` (a name not found, as
    before) that is also a ``ValueError`` (a bad argument, as everywhere else)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


def _number_of(value: Any) -> float:
    """One number: a real number, or a graph node's ``.data``."""
    if hasattr(value, "parents") and hasattr(value, "data"):
        value = value.data
    if isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in NUMERIC_KINDS:
        value = value.item()
    if not isinstance(value, (numbers.Real, np.bool_)):
        raise TypeError(got(value))
    return float(value)


def numbers_array(values: Any, owner: str, name: str) -> np.ndarray:
    """``values`` as a float array: numbers, (nested) lists or tuples of them, a numpy array,
    a generator, graph nodes (their ``.data``) or a tensor. A str, a complex number, None or
    anything else is refused."""
    if hasattr(values, "parents") and hasattr(values, "data"):
        values = values.data  # a Tensor (or a Value)
    if isinstance(values, (str, bytes)) or not (
        isinstance(values, (Iterable, numbers.Real, np.bool_)) or hasattr(values, "shape")
    ):
        raise TypeError(f"{owner}: {name} must be numbers (a list or an array of them), got {got(values)}")
    if isinstance(values, Iterable) and not hasattr(values, "shape"):
        values = list(values)  # a generator, a list of nodes
    try:
        array = np.asarray(values)
    except ValueError as error:  # ragged nesting
        raise ValueError(f"{owner}: {name} must be a rectangular array of numbers ({error})") from None
    if array.dtype == object:
        try:
            array = np.vectorize(_number_of, otypes=[float])(array) if array.size else array.astype(float)
        except TypeError as error:
            raise TypeError(f"{owner}: {name} must hold only numbers, got {error}") from None
    if array.dtype.kind not in NUMERIC_KINDS:
        raise TypeError(f"{owner}: {name} must hold only numbers, got an array of {array.dtype}")
    return array.astype(float, copy=False)


def sequence_of_numbers(values: Any, owner: str, name: str) -> np.ndarray:
    """``values`` as a float array of at least one axis (a series, not a single number)."""
    array = numbers_array(values, owner, name)
    if array.ndim == 0:
        raise TypeError(f"{owner}: {name} must be a sequence of numbers, got the single number {got(values)}")
    return array


def axes_or_none(ax: Any, owner: str) -> Any:
    """``ax`` if it is a matplotlib Axes (or None: a new figure is made)."""
    from matplotlib.axes import Axes

    if ax is not None and not isinstance(ax, Axes):
        raise TypeError(f"{owner}: ax must be a matplotlib Axes or None, got {got(ax)}")
    return ax


def limits(value: Any, owner: str, name: str) -> tuple[float, float] | None:
    """None, or ``(low, high)``: two finite numbers with low < high."""
    if value is None:
        return None
    if isinstance(value, (str, bytes)) or not isinstance(value, (Sequence, np.ndarray)) or len(value) != 2:
        raise TypeError(f"{owner}: {name} must be None or a pair (low, high) of numbers, got {got(value)}")
    low = checks.real(value[0], owner, f"{name}[0]")
    high = checks.real(value[1], owner, f"{name}[1]")
    if not low < high:
        raise ValueError(f"{owner}: {name} must be (low, high) with low < high, got ({low:g}, {high:g})")
    return low, high


def beta(value: Any, owner: str, name: str = "beta") -> float:
    """An averaging weight in [0, 1): beta = 1 would never move from v_0 = 0."""
    number = checks.real(value, owner, name, low=0)
    if number >= 1:
        raise ValueError(f"{owner}: {name} must be in [0, 1), got {number!r}")
    return number


def names(value: Any, owner: str, name: str) -> list[str]:
    """A non-empty list of str from a list, a tuple or any iterable of them (not one str)."""
    if isinstance(value, (str, bytes)):
        raise TypeError(f"{owner}: {name} must be a list of names such as [{value!r}], "
                        f"got the single str {value!r}")
    if not isinstance(value, Iterable):
        raise TypeError(f"{owner}: {name} must be a list of str, got {got(value)}")
    listed = list(value)
    if not listed:
        raise ValueError(f"{owner}: {name} must name at least one series, "
                         f"got an empty {type(value).__name__}")
    for i, item in enumerate(listed):
        checks.text(item, owner, f"{name}[{i}]")
    return listed


def history_mapping(history: Any, owner: str) -> Mapping:
    """The mapping of name -> values in a training history: the history itself, its
    ``history`` attribute (as Keras has) or its attributes (a dataclass, a namespace)."""
    if not isinstance(history, Mapping):
        inner = getattr(history, "history", None)
        if isinstance(inner, Mapping):
            history = inner
        elif isinstance(history, (str, bytes, Sequence, np.ndarray)) or not hasattr(history, "__dict__"):
            raise TypeError(f"{owner}: history must be a mapping of name -> list of numbers (or an object "
                            f"whose attributes are such lists), got {got(history)}")
        else:
            history = vars(history)
    for name in history:
        if not isinstance(name, str):
            raise TypeError(f"{owner}: history's series names must be str, got {got(name)}")
    return history
