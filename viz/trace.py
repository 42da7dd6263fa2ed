"""One backward pass, recorded on the side: the numbers every backward picture shows.

``BackwardTrace(root)`` runs ``autodiff.backward_steps`` itself and writes down what
each step did, so a picture can show the state after any step. It leaves the user's
graph exactly as it found it: every node's ``.grad`` is saved first, every gradient is
cleared so the pass starts from nothing (leaves included: otherwise a leaf that already
holds a gradient would show the sum of two passes, since leaves accumulate), and the
saved gradients are put back afterwards, even on an error.

So the numbers are those of one backward pass from ``root``: what ``root.backward()``
gives on a graph whose leaves start at zero.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from autodiff import backward_steps, topological_order

from . import formatting as fmt


def can_trace(root: Any) -> bool:
    """A backward pass can start from ``root``: it has a gradient to start from, or is
    one number (seeded with 1); a bigger tensor needs a seed gradient."""
    if root.grad is not None:
        return True
    data = fmt.plain(root.data)
    return not isinstance(data, np.ndarray) or data.size == 1


class EdgeRecord(NamedTuple):
    """The chain rule on one edge, ``upstream x local = contribution``, for ``parent``
    used as argument ``position`` of the step's node (None local: not one number)."""

    parent: Any
    position: int
    local: Any
    contribution: Any


class StepRecord(NamedTuple):
    """What step ``index`` (1 for the first) did: ``node``'s gradient ``upstream`` was
    complete and passed on to its parents along ``edges``."""

    index: int
    node: Any
    upstream: Any
    edges: tuple[EdgeRecord, ...]


class Received(NamedTuple):
    """A contribution a node received: at step ``step``, from ``child`` (argument ``position``)."""

    step: int
    child: Any
    position: int
    contribution: Any


class BackwardTrace:
    """A backward pass from ``root`` recorded step by step (see the module docstring).

    ``seed`` is what the pass starts from (``grad``, else the root's current gradient
    if it has one, else 1 for a scalar); ``steps[k - 1]`` is step ``k``; for every
    node, ``received(node)`` lists the contributions it got and ``grad(node)`` its
    gradient at the end (None where no gradient reaches it).
    ``backpropagated`` tells whether the user's graph itself has been through a
    backward pass (its root has a gradient).
    """

    def __init__(self, root: Any, grad: Any = None, order: list | None = None) -> None:
        """``order``: ``topological_order(root)``, when the caller has it already."""
        self.root = root
        self.order = order if order is not None else topological_order(root)
        self.backpropagated = root.grad is not None
        if grad is None and self.backpropagated:
            grad = root.grad
        saved = [node.grad for node in self.order]
        try:
            for node in self.order:
                node.grad = None
            steps = backward_steps(root, grad=grad)  # seeds the root at once
            self.seed = root.grad
            self.steps: list[StepRecord] = []
            for index, step in enumerate(steps, start=1):
                edges = tuple(
                    EdgeRecord(edge.parent, position, edge.local, edge.contribution)
                    for position, edge in enumerate(step.edges)
                )
                self.steps.append(StepRecord(index, step.node, step.upstream, edges))
            self._final = {id(node): node.grad for node in self.order}
        finally:
            for node, old in zip(self.order, saved):
                node.grad = old
        self._step_of = {id(step.node): step for step in self.steps}
        self._received: dict[int, list[Received]] = {id(node): [] for node in self.order}
        for step in self.steps:
            for edge in step.edges:
                if edge.contribution is not None:
                    self._received[id(edge.parent)].append(
                        Received(step.index, step.node, edge.position, edge.contribution)
                    )

    def __len__(self) -> int:
        """The number of steps (nodes that passed a gradient on to their parents)."""
        return len(self.steps)

    def grad(self, node: Any) -> Any:
        """d(root)/d(node) at the end of the pass (None where no gradient reaches it)."""
        return self._final[id(node)]

    def received(self, node: Any) -> list[Received]:
        """The contributions ``node`` received, in step order."""
        return self._received[id(node)]

    def grad_after(self, node: Any, applied: int) -> Any:
        """``node``'s gradient once steps 1..``applied`` have run (None: not computed yet).

        ``applied`` 0 is the seeded root alone, -1 is before the pass.
        """
        if applied < 0:
            return None
        if node is self.root:
            return self.seed
        total = None
        for received in self._received[id(node)]:
            if received.step > applied:
                break
            total = received.contribution if total is None else total + received.contribution
        return total

    def step_of(self, node: Any) -> StepRecord | None:
        """The step at which ``node`` passed its gradient on (None for a leaf)."""
        return self._step_of.get(id(node))
