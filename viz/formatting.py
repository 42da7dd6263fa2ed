"""How numbers, arrays and nodes are written in pictures, captions and messages.

Everything here works on the graph protocol alone: a node's ``data`` is a float (a
scalar ``Value``) or a numpy array (a ``Tensor``), and its ``grad`` is a number, an
array, a graph node (after ``create_graph=True``) or None ("not computed yet").
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

#: Arrays with at most this many elements are written out in full; larger ones summarized.
FULL_ARRAY_SIZE = 6

#: What a gradient that no backward step has reached yet reads as.
NOT_COMPUTED = "not computed yet"

#: What a hidden quantity reads as in exercise mode (a blank to fill in).
BLANK = "____"


def number(x: Any) -> str:
    """A scalar for a picture: 4 significant digits, ``-4`` not ``-4.0``, ``0`` not ``-0``."""
    x = plain(x)
    if isinstance(x, np.ndarray):
        return array_summary(x)
    x = float(x)
    if x == 0:
        return "0"
    if math.isnan(x) or math.isinf(x):
        return str(x)
    return f"{x:.4g}"


def plain(x: Any) -> Any:
    """The number or array inside ``x``: a graph node's ``data`` (a gradient built with
    ``create_graph=True`` is a node), a 0-d array's item, or ``x`` itself."""
    if hasattr(x, "parents"):  # a graph node (not a numpy scalar, whose .data is a buffer)
        x = x.data
    if isinstance(x, np.ndarray) and x.ndim == 0:
        return x.item()
    return x


def is_array(x: Any) -> bool:
    """True for array data or gradients (tensor nodes), False for scalars."""
    return isinstance(plain(x), np.ndarray)


def shape_text(shape: Any) -> str:
    """``(2, 3)``; a 1-d shape keeps its comma, ``(3,)``, as numpy writes it."""
    return str(tuple(int(n) for n in shape))


def array_lines(a: np.ndarray) -> list[str]:
    """An array for a picture, one string per line: in full when it has at most
    ``FULL_ARRAY_SIZE`` elements (one line per row), else a summary."""
    if a.size > FULL_ARRAY_SIZE:
        return [array_summary(a)]
    if a.ndim <= 1:
        return ["[" + " ".join(number(v) for v in a.ravel()) + "]"]
    rows = a.reshape(-1, a.shape[-1])
    return ["[" + " ".join(number(v) for v in row) + "]" for row in rows]


def array_summary(a: np.ndarray) -> str:
    """``mean 0.12  min -1.3  max 2.1  norm 4.5`` (or the full array when it is small)."""
    if a.size == 0:
        return "empty"
    if a.size <= FULL_ARRAY_SIZE:
        return " ".join(array_lines(a))
    values = a.astype(float, copy=False)
    return (
        f"mean {number(values.mean())}  min {number(values.min())}  "
        f"max {number(values.max())}  norm {number(np.linalg.norm(values))}"
    )


def value_lines(x: Any) -> list[str]:
    """A node's data or gradient as lines of text: one number, or an array's lines."""
    x = plain(x)
    if isinstance(x, np.ndarray):
        return array_lines(x)
    return [number(x)]


def tensor_header(node: Any) -> str | None:
    """``(2, 3) float64`` for a tensor node, None for a scalar one."""
    data = plain(node.data)
    if not isinstance(data, np.ndarray):
        return None
    return f"{shape_text(data.shape)} {data.dtype}"


def op_numbers(order: Any) -> dict[int, int]:
    """The number a forward picture shows on each op node (``#1`` for the first op in
    evaluation order), by ``id(node)``: leaves get none."""
    numbers: dict[int, int] = {}
    for node in order:
        if node.parents:
            numbers[id(node)] = len(numbers) + 1
    return numbers


def node_name(node: Any, numbers: dict[int, int] | None = None) -> str:
    """What a caption calls a node: its label; else an op node by its number and op,
    ``#3 +``, as the forward picture numbers it (``numbers`` from :func:`op_numbers`);
    else a leaf by its value (``2``, or ``(4, 3) array``)."""
    if node.label:
        return node.label
    if node.parents:
        number = (numbers or {}).get(id(node))
        return f"#{number} {node.op}" if number is not None else f"the {node.op} node"
    return short(node.data)


def short(x: Any) -> str:
    """A number for a caption; an array by its shape, ``(2, 3) array``."""
    x = plain(x)
    return f"{shape_text(x.shape)} array" if is_array(x) else number(x)


def spell(node: Any, operands: Sequence[str]) -> str:
    """``node``'s op written around ``operands`` the way the op spells itself (its
    ``primitive``'s ``spell``, with a Tensor node's keyword ``params``): ``x + y``,
    ``-x``, ``x**2``, ``tanh(x)``; ``op(a, b)`` for a node with no op metadata."""
    primitive = getattr(node, "primitive", None)
    spell_with = getattr(primitive, "spell", None)
    if callable(spell_with):
        params = getattr(node, "params", None) or {}
        try:
            return spell_with(*operands, **params) if params else spell_with(*operands)
        except (IndexError, KeyError, ValueError, TypeError):  # a template that does not fit
            pass
    return f"{node.op}({', '.join(operands)})"


def notation(node: Any) -> str | None:
    """The ``str.format`` template ``node``'s op is written with (``"{0} + {1}"``), None
    when it is written as a function call or has no op metadata."""
    primitive = getattr(node, "primitive", None)
    template = getattr(primitive, "notation", None)
    return template if isinstance(template, str) else None


def same(a: Any, b: Any) -> bool:
    """True when two gradients hold the same numbers (None only matches None)."""
    if a is None or b is None:
        return a is None and b is None
    a, b = plain(a), plain(b)
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return np.shape(a) == np.shape(b) and bool(np.allclose(a, b, rtol=1e-12, atol=0.0, equal_nan=True))
    return a == b or (math.isnan(a) and math.isnan(b))
