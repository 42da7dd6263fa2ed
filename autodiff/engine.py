"""The reverse-mode engine: one loop over the graph, for Values and Tensors alike.

It relies only on the graph protocol every node follows (``autodiff.Node``):
``parents``, ``grad``, ``vjp(upstream, create_graph)`` (for each parent, the
contribution ``upstream × local`` to add to its gradient, None where it needs none),
``local_derivatives()`` (shown by the step-through) and ``initial_grad(grad)``.

The chain rule in one line: ``parent.grad += upstream × local``, done for every node
in reverse topological order, so a node's gradient is complete before it is passed on.
"""

from __future__ import annotations

import contextlib
from typing import Any, Iterator, Sequence

import numpy as np

from . import context


def topological_order(output: Any) -> list:
    """Every node ``output`` depends on, each after all of its parents (inputs first).

    Depth-first with an explicit stack of (node, iterator over its parents), so a chain
    of a million operations needs no Python recursion: the top node goes on to its next
    unseen parent; once it has none left, it is placed. Nodes are told apart by identity.
    """
    order = []
    seen = {id(output)}
    stack = [(output, iter(output.parents))]
    while stack:
        node, parents = stack[-1]
        for parent in parents:
            if id(parent) not in seen:
                seen.add(id(parent))
                stack.append((parent, iter(parent.parents)))
                break
        else:  # all its parents are placed
            stack.pop()
            order.append(node)
    return order


class Edge:
    """One parent edge of a backward step: ``upstream × local = contribution``."""

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
    local derivative and contribution: ``upstream × local = contribution``.
    """

    __slots__ = ("node", "upstream", "contributions")

    def __init__(self, node: Any, upstream: Any, contributions: Sequence) -> None:
        self.node = node
        self.upstream = upstream
        self.contributions = contributions

    @property
    def locals(self) -> tuple:
        """d(node)/d(parent) for each parent (None where it is not one number, as for tensors)."""
        return self.node.local_derivatives()

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


def add_gradients(total: Any, contribution: Any) -> Any:
    """``total + contribution``, where ``total`` None means nothing yet. (numpy adds two
    0-d arrays into a numpy scalar; the sum is kept an array, as the gradients are.)"""
    if total is None:
        return contribution
    total = total + contribution
    return np.asarray(total) if isinstance(total, np.generic) else total


def backward_steps(output: Any, grad: Any = None, create_graph: bool = False) -> Iterator[Step]:
    """Run the backward pass one node at a time, yielding a :class:`Step` after each.

    Consuming the iterator fully is exactly ``backward(output, grad)``. Gradients of
    intermediate nodes are recomputed from scratch (reset to None, "not computed
    yet", first); leaves accumulate, so running it twice leaves every leaf with twice
    the gradient, as in PyTorch. The reset and the seed happen at once, on the call.
    """
    order = _start(output, grad)
    return (Step(*step) for step in _chain_rule(order, create_graph))


def _start(root: Any, grad: Any) -> list:
    """The graph in topological order, with the gradients of intermediate nodes reset
    (None: "not computed yet"; leaves keep theirs, to accumulate) and the root seeded."""
    seed = root.initial_grad(grad)
    order = topological_order(root)
    for node in order:
        if node.parents:
            node.grad = None
    root.grad = add_gradients(root.grad, seed)
    return order


def _chain_rule(order: list, create_graph: bool) -> Iterator[tuple]:
    """``parent.grad += upstream × local`` for every parent of every node, in reverse
    topological order (so each node's gradient is complete before it is passed on);
    yields what each node did: ``(node, upstream, contributions)``."""
    for node in reversed(order):
        upstream = node.grad
        if not node.parents or upstream is None:
            continue  # a leaf, or a node the gradient does not reach
        contributions = node.vjp(upstream, create_graph)
        for parent, contribution in zip(node.parents, contributions):
            if contribution is None:  # this parent needs no gradient
                continue
            if parent.grad is None:
                parent.grad = contribution
            else:  # a node used more than once, or a leaf that accumulates
                parent.grad = add_gradients(parent.grad, contribution)
        yield node, upstream, contributions


def backward(root: Any, grad: Any = None, create_graph: bool = False) -> None:
    """Fill in ``.grad`` of every node ``root`` depends on: the same loop, run to the end.

    The pass makes no reference cycles, so the cycle collector is paused while it
    runs (see ``context.collector_paused``).
    """
    with context.collector_paused():
        for _ in _chain_rule(_start(root, grad), create_graph):
            pass


def grad(output: Any, inputs: Any, create_graph: bool = False) -> tuple:
    """d(output)/d(input) for each input, as a tuple of nodes of the inputs' type.

    Leaves every ``.grad`` as it was (like ``torch.autograd.grad``). With
    ``create_graph=True`` the derivative rules run on graph nodes, so the returned
    gradients are part of a graph and can be differentiated again.
    An input the output does not depend on gets a zero gradient.
    """
    inputs = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
    _check_differentiable(output, inputs)
    order = topological_order(output)
    saved = [(node, node.grad) for node in order]
    saved += [(node, node.grad) for node in inputs]
    try:
        for node, _ in saved:
            node.grad = None
        with context.enable_grad() if create_graph else contextlib.nullcontext():
            backward(output, create_graph=create_graph)
        results = tuple(_as_node(node, node.grad) for node in inputs)
    finally:
        for node, old in reversed(saved):
            node.grad = old
    return results


def _check_differentiable(output: Any, inputs: list) -> None:
    """As PyTorch: every input must require a gradient, and so must the output (a result
    computed under ``no_grad()``, or from constants only, has no graph to go back through)."""
    for i, node in enumerate(inputs):
        if not getattr(node, "requires_grad", True):
            raise RuntimeError(f"grad: input {i}{_label(node)} does not require grad (make it with requires_grad=True)")
    if not getattr(output, "requires_grad", True):
        raise RuntimeError(
            f"grad: the output{_label(output)} does not require grad: it was computed under no_grad(), "
            "or from no input that requires grad"
        )


def _label(node: Any) -> str:
    label = getattr(node, "label", "")
    return f" {label!r}" if label else ""


def _as_node(input_: Any, gradient: Any) -> Any:
    """A gradient as a node of the input's type (a zero one where no gradient arrived)."""
    if gradient is None:
        data = input_.data
        gradient = np.zeros_like(data) if isinstance(data, np.ndarray) else 0.0
    if hasattr(gradient, "parents"):  # already a node (create_graph=True)
        return gradient
    return type(input_)(gradient)
