"""Argument checks for autodiff's public entry points: bad input is refused with a
``TypeError`` (not the right kind of thing) or a ``ValueError`` (the right kind, out of
range) whose message names the function and the argument, before any numpy or graph code
can fail on it with an error that names neither.

The checks run where the argument arrives (a method's parameter, a constructor), never on
the path of an operator between two nodes: ``x * y`` checks nothing new.

Also here: the engine's public functions (``grad``, ``backward``, ``backward_steps``,
``topological_order``) with their arguments checked first, so that ``engine.py`` stays
the loop a student reads.
"""

from __future__ import annotations

import functools
import math
import numbers
from typing import Any, Callable, Iterable

import numpy as np

from . import engine


def collection(value: Any) -> bool:
    """Whether ``value`` is an iterable of items: a list, tuple, generator, array... but not a
    str or bytes (which iterate over their characters: "abc" is one name, not three)."""
    return isinstance(value, Iterable) and not isinstance(value, (str, bytes))


def got(value: Any) -> str:
    """How a refused value is shown: its type, and its repr when that is short (a refused
    100,000-element array is not echoed back)."""
    shown = repr(value)
    return f"{type(value).__name__} {shown}" if len(shown) <= 60 else type(value).__name__


def real(value: Any, owner: str, name: str, *, finite: bool = True, low: float | None = None,
         low_open: bool = False, nonzero: bool = False, allow_inf: bool = False) -> float:
    """``value`` as a float: a real number (a bool is refused: True is 1 only by accident),
    finite unless ``allow_inf`` (then only nan is refused) or ``finite=False``, at least
    ``low`` (more than ``low`` with ``low_open``), not 0 with ``nonzero``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{owner}: {name} must be a real number, got {got(value)}")
    number = float(value) + 0.0  # -0.0 becomes 0.0
    if finite and not math.isfinite(number) and not (allow_inf and not math.isnan(number)):
        kind = "a number (not nan)" if allow_inf else "a finite number"
        raise ValueError(f"{owner}: {name} must be {kind}, got {number!r}")
    if low is not None and (number <= low if low_open else number < low):
        raise ValueError(f"{owner}: {name} must be a finite number {'>' if low_open else '>='} {low:g}, got {number!r}")
    if nonzero and number == 0:
        raise ValueError(f"{owner}: {name} must not be 0")
    return number


def whole(value: Any, owner: str, name: str, minimum: int | None = None, maximum: int | None = None) -> int:
    """``value`` as an int (a bool, or a float such as 2.0, is refused), within the bounds."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{owner}: {name} must be an int, got {got(value)}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{owner}: {name} must be an int >= {minimum}, got {value!r}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{owner}: {name} must be an int <= {maximum}, got {value!r}")
    return int(value)


def flag(value: Any, owner: str, name: str) -> bool:
    """``value`` if it is True or False (numpy's bools too): ``bool("False")`` is True."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{owner}: {name} must be True or False, got {got(value)}")
    return bool(value)


def text(value: Any, owner: str, name: str, optional: bool = False) -> str | None:
    """``value`` if it is a str (or None, when ``optional``)."""
    if value is None and optional:
        return None
    if not isinstance(value, str):
        what = "a str or None" if optional else "a str"
        raise TypeError(f"{owner}: {name} must be {what}, got {got(value)}")
    return value


def function(value: Any, owner: str, name: str, optional: bool = False) -> Callable | None:
    """``value`` if it can be called (or None, when ``optional``)."""
    if value is None and optional:
        return None
    if not callable(value):
        what = "a function or None" if optional else "a function"
        raise TypeError(f"{owner}: {name} must be {what}, got {got(value)}")
    return value


def axis(value: Any, ndim: int, owner: str, name: str = "axis") -> int:
    """``value`` as an axis of an array of ``ndim`` axes (negative counts from the end)."""
    ax = whole(value, owner, name)
    if not -ndim <= ax < ndim:
        raise ValueError(f"{owner}: {name} {ax} is out of range for {ndim} axes (from {-ndim} to {ndim - 1})")
    return ax % ndim


def shape(value: Any, owner: str, name: str = "shape") -> tuple:
    """``value`` as a shape: a tuple (or list) of ints >= 0."""
    if not isinstance(value, (tuple, list)):
        raise TypeError(f"{owner}: {name} must be a tuple of ints >= 0, got {got(value)}")
    return tuple(whole(n, owner, f"{name}[{i}]", minimum=0) for i, n in enumerate(value))


def node(value: Any, owner: str, name: str) -> Any:
    """``value`` if it is a graph node (``autodiff.Node``: data, grad, parents, vjp, ...)."""
    from .node import Node
    from .scalar import Value
    from .tensor import Tensor

    if value.__class__ is Value or value.__class__ is Tensor or isinstance(value, Node):
        return value
    hint = "; make it a Value or a Tensor" if isinstance(value, (numbers.Number, np.ndarray, list)) else ""
    raise TypeError(f"{owner}: {name} must be a graph node (a Value or a Tensor), got {type(value).__name__}{hint}")


def nodes(value: Any, owner: str, name: str) -> list:
    """``value`` as a non-empty list of graph nodes: one node, or a list or tuple of them."""
    if not isinstance(value, (list, tuple)):
        return [node(value, owner, name)]
    if not value:
        raise ValueError(f"{owner}: {name} must hold at least one node, got an empty {type(value).__name__}")
    return [node(v, owner, f"{name}[{i}]") for i, v in enumerate(value)]


# -- the engine's public functions, their arguments checked first -------------------------------


@functools.wraps(engine.topological_order)
def topological_order(output: Any) -> list:
    return engine.topological_order(node(output, "topological_order", "output"))


@functools.wraps(engine.backward_steps)
def backward_steps(output: Any, grad: Any = None, create_graph: bool = False) -> Any:
    node(output, "backward_steps", "output")
    flag(create_graph, "backward_steps", "create_graph")
    return engine.backward_steps(output, grad, create_graph)


@functools.wraps(engine.backward)
def backward(root: Any, grad: Any = None, create_graph: bool = False) -> None:
    node(root, "backward", "root")
    flag(create_graph, "backward", "create_graph")
    engine.backward(root, grad, create_graph)


@functools.wraps(engine.grad)
def grad(output: Any, inputs: Any, create_graph: bool = False) -> tuple:
    node(output, "grad", "output")
    inputs = nodes(inputs, "grad", "inputs")
    flag(create_graph, "grad", "create_graph")
    return engine.grad(output, inputs, create_graph)
