"""The reverse-mode engine: one loop over the graph, for Values and Tensors alike.

It relies only on the graph protocol every node follows:

- ``node.parents``: the nodes it was computed from (``()`` for a leaf);
- ``node.grad``: the running sum of dL/d(node);
- ``node._vjp(upstream, create_graph)``: for each parent, the contribution
  ``upstream x local`` to add to ``parent.grad`` (None for a parent that needs none);
- ``node._local_derivatives()``: for each parent, d(node)/d(parent) as a number (None
  where it is not one number, as for tensors), shown by the step-through;
- ``node._default_seed()``, ``node._check_seed(grad)``, ``node._accumulate_grad(g)``
  and ``node._gradient_result(g, create_graph)``.

Gradients are never changed in place: accumulating makes a new float or array, so a
gradient may be shared between nodes safely.

The chain rule in one line: ``parent.grad += local * node.grad``, done for every node
in reverse topological order, so a node's gradient is complete before it is passed on.
"""

from __future__ import annotations

import contextlib
from typing import Any, Iterator, Sequence

from . import context


def topological_order(output: Any) -> list:
    """Every node ``output`` depends on, each after all of its parents (inputs first).

    Iterative depth-first search with an explicit stack, so a chain of a million
    operations needs no Python recursion. Nodes are hashed by identity.
    """
    return [node for node, _ in _graph(output)]


def _graph(root: Any, for_backward: bool = False) -> list:
    """``(node, node.parents)`` for every node ``root`` depends on, parents first.

    Depth-first with an explicit stack of ``(node, parents, parents not yet looked at)``:
    the top node goes on through its parents; an unvisited parent that is itself an op
    is pushed (its own parents come first), a leaf is placed at once; once all its
    parents are placed, the node is popped and placed. Each node's ``parents`` is read
    once and kept with it, since the backward loop needs it again.
    ``for_backward``: the order a backward pass walks. The visit also sets every
    non-leaf's ``grad`` to None ("not computed yet"), and leaves are left out (no
    gradient flows on from a leaf).
    """
    parents = root.parents
    if not parents:
        return [] if for_backward else [(root, parents)]
    if for_backward:
        root.grad = None
    order: list = []
    visited = {root}
    stack = [(root, parents, iter(parents))]
    while stack:
        node, parents, unvisited = stack[-1]
        for parent in unvisited:
            if parent in visited:
                continue
            visited.add(parent)
            grandparents = parent.parents
            if grandparents:  # an op: its parents first
                if for_backward:
                    parent.grad = None
                stack.append((parent, grandparents, iter(grandparents)))
                break
            if not for_backward:  # a leaf is placed at once
                order.append((parent, grandparents))
        else:  # all its parents are placed
            stack.pop()
            order.append((node, parents))
    return order


class Edge:
    """One parent edge of a backward step: ``upstream x local = contribution``."""

    __slots__ = ("parent", "local", "contribution")

    def __init__(self, parent: Any, local: Any, contribution: Any) -> None:
        self.parent = parent
        self.local = local
        self.contribution = contribution

    def __repr__(self) -> str:
        return f"Edge(parent={_name(self.parent)}, local={self.local!r}, contribution={self.contribution!r})"


class Step:
    """What one step of the backward pass did at ``node``.

    ``upstream`` is dL/d(node), complete when the step runs; ``contributions[i]`` is
    what was added to ``node.parents[i].grad``. ``edges`` pairs each parent with its
    local derivative and contribution: ``upstream x local = contribution``.
    """

    __slots__ = ("node", "upstream", "contributions")

    def __init__(self, node: Any, upstream: Any, contributions: Sequence) -> None:
        self.node = node
        self.upstream = upstream
        self.contributions = contributions

    @property
    def locals(self) -> tuple:
        """d(node)/d(parent) for each parent (None where it is not one number, as for tensors)."""
        return self.node._local_derivatives()

    @property
    def edges(self) -> tuple[Edge, ...]:
        return tuple(
            Edge(parent, local, contribution)
            for parent, local, contribution in zip(self.node.parents, self.locals, self.contributions)
        )

    def __repr__(self) -> str:
        return f"Step(node={_name(self.node)}, upstream={self.upstream!r}, edges={list(self.edges)!r})"


def _name(node: Any) -> str:
    return repr(node.label) if getattr(node, "label", "") else f"<{node.op or 'leaf'} node>"


def backward_steps(output: Any, grad: Any = None, create_graph: bool = False) -> Iterator[Step]:
    """Run the backward pass one node at a time, yielding a :class:`Step` after each.

    Consuming the iterator fully is exactly ``output.backward(grad)``. Gradients of
    intermediate nodes are recomputed from scratch (reset to None, "not computed
    yet", first); leaves accumulate, so running it twice leaves every leaf with twice
    the gradient, as in PyTorch.
    """
    return _propagate(_start(output, grad), create_graph, record=True)


def backward(root: Any, grad: Any = None, create_graph: bool = False) -> None:
    """Fill in ``.grad`` of every node ``root`` depends on: the same loop, run to the end.

    The pass makes no reference cycles, so the cycle collector is paused while it
    runs (see ``context.collector_paused``).
    """
    with context.collector_paused():
        for _ in _propagate(_start(root, grad), create_graph, record=False):
            pass


def _start(root: Any, grad: Any) -> list:
    """The graph in topological order, intermediate gradients reset ("not computed yet";
    leaves keep theirs and accumulate) and the root seeded."""
    seed = root._default_seed() if grad is None else root._check_seed(grad)
    graph = _graph(root, for_backward=True)
    root._accumulate_grad(seed)
    return graph


def _propagate(graph: list, create_graph: bool, record: bool) -> Iterator[Step]:
    """The chain rule, node by node in reverse topological order:
    ``parent.grad += upstream x local`` for every parent (the contribution)."""
    for node, parents in reversed(graph):
        upstream = node.grad
        if upstream is None:
            continue  # a node the gradient does not reach
        contributions = node._vjp(upstream, create_graph)
        for parent, contribution in zip(parents, contributions):
            if contribution is not None:  # None: the parent needs no gradient
                if parent.grad is None:
                    parent.grad = contribution
                else:  # fan-out: the node adds it to what it has (a Tensor keeps an array)
                    parent._accumulate_grad(contribution)
        if record:
            yield Step(node, upstream, contributions)


def grad(output: Any, inputs: Any, create_graph: bool = False) -> tuple:
    """d(output)/d(input) for each input, as a tuple of nodes of the inputs' type.

    Leaves every ``.grad`` as it was (like ``torch.autograd.grad``). With
    ``create_graph=True`` the derivative rules run on graph nodes, so the returned
    gradients are part of a graph and can be differentiated again.
    An input the output does not depend on gets a zero gradient.
    """
    inputs = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
    order = topological_order(output)
    saved = [(node, node.grad) for node in order]
    saved += [(node, node.grad) for node in inputs]
    try:
        for node, _ in saved:
            node.grad = None
        with context.enable_grad() if create_graph else contextlib.nullcontext():
            backward(output, create_graph=create_graph)
        results = tuple(node._gradient_result(node.grad, create_graph) for node in inputs)
    finally:
        for node, old in reversed(saved):
            node.grad = old
    return results

