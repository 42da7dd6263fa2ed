"""How numbers, arrays and nodes are written in pictures, captions and messages.

Everything here works on the graph protocol alone: a node's ``data`` is a float (a
scalar ``Value``) or a numpy array (a ``Tensor``), and its ``grad`` is a number, an
array, a graph node (after ``create_graph=True``) or None ("not computed yet").
"""

from __future__ import annotations

import math
from typing import Any

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


def node_name(node: Any, index: int | None = None) -> str:
    """What a caption calls a node: its label, else its op (``the * node``), else a leaf number."""
    if node.label:
        return node.label
    if node.op:
        return f"the {node.op} node" if index is None else f"{node.op} #{index}"
    return "a constant" if index is None else f"leaf #{index}"


def same(a: Any, b: Any) -> bool:
    """True when two gradients hold the same numbers (None only matches None)."""
    if a is None or b is None:
        return a is None and b is None
    a, b = plain(a), plain(b)
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return np.shape(a) == np.shape(b) and bool(np.allclose(a, b, rtol=1e-12, atol=0.0, equal_nan=True))
    return a == b or (math.isnan(a) and math.isnan(b))
