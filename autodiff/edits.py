"""Catching a ``.data`` edit between the forward and the backward pass.

The backward pass reads every node's data again (the local derivative of ``a * b``
with respect to ``a`` is ``b.data``). If a student changes ``b.data`` after ``a * b``
was computed and before ``backward()``, the gradient would silently mix old and new
values; PyTorch refuses such a backward pass ("modified by an inplace operation"),
and so does this engine.

How: one clock, counting the edits of leaves. Every node is stamped with the
clock's value when it is made. Assigning a leaf's ``.data`` moves the clock on and
stamps the leaf with the new value; assigning the data of an op's result stamps it
``CHANGED``, later than any clock (its data no longer follows from its parents, so
no gradient may pass through it). In the backward pass, at a node made from
``parents``, a parent whose stamp is later than the node's was changed after the
node was computed from it. (Changing a leaf between passes, as every optimizer
step does, is what training is: the next forward pass is stamped later still.)

Assigning ``.data`` is what is seen (``x.data = 3.0``, ``p.data -= lr * p.grad``);
changing a Tensor's array in place through numpy (``t.data[0] = 1``) is not.
"""

from __future__ import annotations

import sys
import threading
from typing import Any

clock = 0  # read by every node as it is made
CHANGED = sys.maxsize  # the stamp of an op's result whose data was assigned
_lock = threading.Lock()


def edited(node: Any) -> int:
    """The stamp of ``node`` once its ``.data`` is assigned now."""
    global clock
    if node.parents:
        return CHANGED
    with _lock:  # two threads editing at once must not move the clock back
        clock += 1
        return clock


def check_unchanged(node: Any) -> None:
    """Raise if ``node``'s data, or a parent's, was assigned after ``node`` was computed."""
    stamp = node._stamp
    for parent in (node, *node.parents):
        if parent._stamp == CHANGED:
            raise RuntimeError(
                f"backward: the data of {_name(parent)} was changed after it was computed, so gradients "
                "through it would mix old and new values; compute the forward pass again after changing .data"
            )
    for parent in node.parents:
        if parent._stamp > stamp:
            raise RuntimeError(
                f"backward: the data of {_name(parent)} was changed after {_name(node)} was computed from it, "
                "so the gradient would mix old and new values; compute the forward pass again after "
                "changing .data (or change it only after backward())"
            )


def _name(node: Any) -> str:
    label = getattr(node, "label", "")
    kind = type(node).__name__
    return f"{kind} {label!r}" if label else f"the {kind} made by {node.op!r}" if node.op else f"an unlabelled {kind} leaf"
