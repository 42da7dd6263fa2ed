"""The least a pure-Python scalar engine can do on micrograd's demo step: a speed floor.

Not part of the library. ``bench_scalar.py`` times it beside micrograd and ``autodiff``
to show what the interpreter itself allows on the machine at hand. It keeps only what
the demo step needs: three ops (+, *, relu) told apart by a number, no op objects, no
labels or scopes, no higher-order gradients, no error checks; an iterative topological
sort; no reference cycles, with the cycle collector paused while the model builds its
graph and while ``backward()`` runs, as ``autodiff`` does. It builds the same graph as
micrograd, node for node.
"""

from __future__ import annotations

import random

from autodiff.context import collector_paused  # the project's pause, as autodiff uses it

LEAF, ADD, MUL, RELU = 0, 1, 2, 3


class Value:
    __slots__ = ("data", "grad", "a", "b", "op")

    def __init__(self, data: float, a: "Value | None" = None, b: "Value | None" = None, op: int = LEAF) -> None:
        self.data = data
        self.grad = 0.0
        self.a = a
        self.b = b
        self.op = op

    def __add__(self, other):
        other = other if other.__class__ is Value else Value(other)
        return Value(self.data + other.data, self, other, ADD)

    def __radd__(self, other):
        return Value(other) + self

    def __mul__(self, other):
        other = other if other.__class__ is Value else Value(other)
        return Value(self.data * other.data, self, other, MUL)

    def __rmul__(self, other):
        return Value(other) * self

    def relu(self):
        return Value(self.data if self.data > 0 else 0.0, self, None, RELU)

    def backward(self) -> None:
        with collector_paused():
            order = _topological_order(self)
            self.grad = 1.0
            for node in reversed(order):
                op, g, a = node.op, node.grad, node.a
                if op == ADD:
                    a.grad += g
                    node.b.grad += g
                elif op == MUL:
                    b = node.b
                    a.grad += b.data * g
                    b.grad += a.data * g
                elif op == RELU and node.data > 0:
                    a.grad += g


def _topological_order(root: Value) -> list:
    """Parents first; intermediate gradients reset on the way (leaves keep theirs)."""
    order, visited, stack = [], set(), [root]
    while stack:
        node = stack.pop()
        if node.__class__ is tuple:  # (node,): all its parents are placed
            order.append(node[0])
            continue
        if node in visited:
            continue
        visited.add(node)
        if node.op == LEAF:
            order.append(node)
            continue
        node.grad = 0.0
        stack.append((node,))
        if node.b is not None and node.b not in visited:
            stack.append(node.b)
        if node.a not in visited:
            stack.append(node.a)
    return order


class Neuron:
    def __init__(self, nin: int, nonlin: bool = True) -> None:
        self.w = [Value(random.uniform(-1, 1)) for _ in range(nin)]
        self.b = Value(0.0)
        self.nonlin = nonlin

    def __call__(self, x):
        act = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)
        return act.relu() if self.nonlin else act

    def parameters(self) -> list:
        return self.w + [self.b]


class Layer:
    def __init__(self, nin: int, nout: int, nonlin: bool) -> None:
        self.neurons = [Neuron(nin, nonlin) for _ in range(nout)]

    def __call__(self, x):
        out = [n(x) for n in self.neurons]
        return out[0] if len(out) == 1 else out


class MLP:
    def __init__(self, nin: int, nouts: list) -> None:
        sizes = [nin] + nouts
        self.layers = [Layer(sizes[i], sizes[i + 1], nonlin=i != len(nouts) - 1) for i in range(len(nouts))]

    def __call__(self, x):
        with collector_paused():
            for layer in self.layers:
                x = layer(x)
            return x

    def parameters(self) -> list:
        return [p for layer in self.layers for n in layer.neurons for p in n.parameters()]

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.grad = 0.0
