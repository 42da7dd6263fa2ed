"""The scalar MLP (micrograd's, with the course's activations): Neuron, Layer, MLP on Values.

A neuron computes act(b + sum_i w_i x_i): one multiply and one add per input, so every
weight is a node of its own in the graph, which is what makes these small nets good
to look at and slow to train. The tensor layers (``nn.Linear``) do the same with
matrices.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from autodiff import Value, scalar

from .module import Module
from .rng import as_generator

ACTIVATIONS = ("relu", "tanh", "sigmoid", "leaky_relu", "elu", "gelu", "silu", "softplus", "linear")


def make_rng(
    rng: np.random.Generator | int | None = None, seed: int | None = None, owner: str = "nn"
) -> np.random.Generator:
    """The random generator to draw from: ``rng`` itself (a Generator), a new one from an int
    ``rng`` or ``seed`` (the same thing, by either name), or nn's global generator when neither
    is given (``nn.manual_seed`` reseeds it)."""
    if rng is not None and seed is not None:
        raise ValueError(f"{owner}: give rng= or seed=, not both")
    return as_generator(rng if rng is not None else seed, owner)


def _check_activation(activation: str | None) -> str:
    if activation is not None and not isinstance(activation, str):
        raise TypeError(f"activation must be a name, one of {', '.join(ACTIVATIONS)}, got a {type(activation).__name__}")
    name = "linear" if activation is None else activation
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {activation!r}; choose one of {', '.join(ACTIVATIONS)}")
    return name


class Neuron(Module):
    """act(b + sum_i w_i x_i), weights drawn from U(-1, 1) as in micrograd, bias 0.

    ``fused=True`` computes b + sum_i w_i x_i as one node (the op ``affine``) instead
    of n products and n sums: the same numbers and gradients, a graph a tenth the size
    (drawn as one box per neuron) and a much faster step.
    """

    def __init__(
        self,
        nin: int,
        activation: str | None = "relu",
        rng: np.random.Generator | None = None,
        seed: int | None = None,
        fused: bool = False,
    ) -> None:
        if isinstance(nin, bool) or not isinstance(nin, (int, np.integer)) or nin < 1:
            raise ValueError(f"Neuron needs nin >= 1 inputs, got {nin!r}")
        rng = make_rng(rng, seed, type(self).__name__)
        self.w = [Value(float(v)) for v in rng.uniform(-1.0, 1.0, size=int(nin))]
        self.b = Value(0.0)
        self.activation = _check_activation(activation)
        self.fused = bool(fused)

    def forward(self, x: Sequence[Any]) -> Value:
        if len(x) != len(self.w):
            raise ValueError(f"Neuron expects {len(self.w)} inputs, got {len(x)}")
        if self.fused:
            act = scalar.affine(self.w, x, self.b)  # (looked up here: autodiff.fast may put a twin in its place)
        else:
            act = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)
        return act if self.activation == "linear" else getattr(act, self.activation)()

    def __repr__(self) -> str:
        fused = ", fused=True" if self.fused else ""
        return f"Neuron({len(self.w)}, activation={self.activation!r}{fused})"


class Layer(Module):
    """``nout`` neurons reading the same ``nin`` inputs; one output is returned as a Value."""

    def __init__(
        self,
        nin: int,
        nout: int,
        activation: str | None = "relu",
        rng: np.random.Generator | None = None,
        seed: int | None = None,
        fused: bool = False,
    ) -> None:
        if isinstance(nout, bool) or not isinstance(nout, (int, np.integer)) or nout < 1:
            raise ValueError(f"Layer needs nout >= 1 neurons, got {nout!r}")
        rng = make_rng(rng, seed, type(self).__name__)
        self.neurons = [Neuron(nin, activation, rng=rng, fused=fused) for _ in range(int(nout))]

    def forward(self, x: Sequence[Any]) -> Value | list[Value]:
        out = [n(x) for n in self.neurons]
        return out[0] if len(out) == 1 else out

    def __repr__(self) -> str:
        first = self.neurons[0]
        fused = ", fused=True" if first.fused else ""
        return f"Layer({len(first.w)}, {len(self.neurons)}, activation={first.activation!r}{fused})"


class MLP(Module):
    """Layers of sizes ``nouts`` on ``nin`` inputs; every layer uses ``activation`` but the last,
    which is linear. ``MLP(2, [16, 16, 1])`` has 337 parameters. ``fused=True``: every
    neuron's w . x + b is one node (see ``Neuron``)."""

    def __init__(
        self,
        nin: int,
        nouts: Sequence[int],
        activation: str | None = "relu",
        rng: np.random.Generator | None = None,
        seed: int | None = None,
        fused: bool = False,
    ) -> None:
        if isinstance(nouts, (str, bytes)) or not isinstance(nouts, (Sequence, np.ndarray)) or np.ndim(nouts) != 1 or len(nouts) == 0:
            raise TypeError(f"MLP: nouts must be a non-empty list of layer sizes, got {nouts!r}")
        for i, size in enumerate(nouts):
            if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1:
                raise ValueError(f"MLP: nouts[{i}], a layer size, must be a positive int, got {size!r}")
        _check_activation(activation)
        rng = make_rng(rng, seed, type(self).__name__)
        sizes = [nin, *nouts]
        last = len(nouts) - 1
        self.layers = [
            Layer(sizes[i], sizes[i + 1], activation if i < last else "linear", rng=rng, fused=fused)
            for i in range(len(nouts))
        ]

    def forward(self, x: Sequence[Any]) -> Value | list[Value]:
        for layer in self.layers:
            x = layer(x)
        return x

    def __repr__(self) -> str:
        inner = "\n".join(f"  ({i}): {layer!r}" for i, layer in enumerate(self.layers))
        return f"MLP(\n{inner}\n)"
