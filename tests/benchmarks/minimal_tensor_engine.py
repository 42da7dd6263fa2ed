"""The least a numpy-backed graph engine can do on bench_tensor's step: a speed floor.

Not part of the library. ``bench_tensor.py`` times it beside ``autodiff`` and the
hand-written numpy step, to show how much of the engine's time over numpy any graph
engine in Python pays (recording nodes, sorting them, dispatching each backward rule)
and how much is the price of ``autodiff``'s generality: op objects whose rules are
written in Tensor ops for higher-order gradients, broadcasting undone for every op,
dtype and shape checks, scopes and labels for the pictures, stable sigmoid and
cross-entropy for any targets. It knows only the five ops of the step, told apart by a
number, and computes each the way the hand-written numpy step does. Each node feeds
exactly one other in this step (no fan-out), so gradients are assigned, not summed.
"""

from __future__ import annotations

import numpy as np

LEAF, LINEAR, SIGMOID, TANH, RELU, CROSS_ENTROPY = range(6)


class Tensor:
    __slots__ = ("data", "grad", "parents", "op", "saved")

    def __init__(self, data: np.ndarray, parents: tuple = (), op: int = LEAF, saved: object = None) -> None:
        self.data = data
        self.grad = None
        self.parents = parents
        self.op = op
        self.saved = saved

    def sigmoid(self) -> "Tensor":
        return Tensor(1 / (1 + np.exp(-self.data)), (self,), SIGMOID)

    def tanh(self) -> "Tensor":
        return Tensor(np.tanh(self.data), (self,), TANH)

    def relu(self) -> "Tensor":
        return Tensor(np.maximum(self.data, 0), (self,), RELU)

    def backward(self) -> None:
        self.grad = np.ones((), self.data.dtype)
        for node in reversed(_topological_order(self)):
            g, x = node.grad, node.parents[0]
            if node.op == LINEAR:
                _, w, b = node.parents
                w.grad = x.data.T @ g
                b.grad = np.add.reduce(g, 0)
                if x.op != LEAF:
                    x.grad = g @ w.data.T
            elif node.op == SIGMOID:
                x.grad = g * node.data * (1 - node.data)
            elif node.op == TANH:
                x.grad = g * (1 - node.data * node.data)
            elif node.op == RELU:
                x.grad = g * (x.data > 0)
            elif node.op == CROSS_ENTROPY:
                log_probs, onehot = node.saved
                x.grad = (np.exp(log_probs) - onehot) * (float(g) / len(log_probs))


def _topological_order(root: Tensor) -> list:
    """The op nodes, parents first (leaves are left out: nothing flows through them)."""
    order, visited, stack = [], set(), [root]
    while stack:
        node = stack.pop()
        if node.__class__ is tuple:  # (node,): all its parents are placed
            order.append(node[0])
            continue
        if node in visited or node.op == LEAF:
            continue
        visited.add(node)
        stack.append((node,))
        stack.extend(p for p in node.parents if p not in visited)
    return order


def linear(x: Tensor, w: Tensor, b: Tensor) -> Tensor:
    out = x.data @ w.data
    out += b.data
    return Tensor(out, (x, w, b), LINEAR)


def softmax_cross_entropy(z: Tensor, onehot: np.ndarray) -> Tensor:
    """The mean over rows of -log softmax(z) at the one-hot class."""
    shifted = z.data - np.maximum.reduce(z.data, axis=1, keepdims=True)
    log_probs = shifted - np.log(np.add.reduce(np.exp(shifted), axis=1, keepdims=True))
    loss = -np.add.reduce(onehot * log_probs, axis=None) / len(log_probs)
    return Tensor(loss, (z,), CROSS_ENTROPY, (log_probs, onehot))
