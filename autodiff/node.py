"""``autodiff.Node``: the graph protocol, everything the engine and the pictures rely on.

``Value`` and ``Tensor`` follow it, and so can a node class of your own: the
backward pass (``autodiff.backward``, ``backward_steps``, ``grad``), the step-through
and every renderer in ``viz`` then work on it unchanged.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class Node(Protocol):
    """A node of a computation graph.

    What every node holds:

    - ``data``: its value, a float or a numpy array;
    - ``grad``: dL/d(node), summed over every use of the node. None means "not
      computed yet"; a backward pass sets it for every node it reaches (leaves add to
      what they hold, intermediate nodes start again from None);
    - ``parents``: the nodes it was computed from, ``()`` for a leaf;
    - ``op``: the name of the operation that made it, ``""`` for a leaf;
    - ``label``: a name for pictures and messages (``""`` for none).

    What the backward pass asks of it:

    - ``vjp(upstream, create_graph=False)``: given ``upstream`` = dL/d(node), for
      each parent the contribution ``upstream × local`` to add to that parent's
      gradient (the vector-Jacobian product, for arrays), or None for a parent that
      needs no gradient. With ``create_graph`` the contributions are graph nodes
      themselves, so that they can be differentiated again;
    - ``local_derivatives()``: d(node)/d(parent) for each parent as one number, or
      None where it is not one number (a Jacobian): what the step-through shows;
    - ``initial_grad(grad=None)``: the gradient a backward pass from this node starts
      from: ``grad`` checked against the node, or 1 when it is None.

    Optional: ``primitive``, the op object that made the node (its ``name``,
    ``symbol``, ``arity`` and ``spell(*operands, **params)`` tell pictures how to write
    it), ``params``, the keyword parameters it was applied with (a Tensor's axis),
    ``requires_grad`` (False: no gradient is wanted for it) and ``scope`` (the
    ``autodiff.Scope`` it was made in, for grouped pictures).
    """

    data: Any
    grad: Any
    label: str

    @property
    def parents(self) -> tuple: ...

    @property
    def op(self) -> str: ...

    def vjp(self, upstream: Any, create_graph: bool = False) -> tuple: ...

    def local_derivatives(self) -> tuple: ...

    def initial_grad(self, grad: Any = None) -> Any: ...
