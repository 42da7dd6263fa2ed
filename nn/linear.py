"""``Linear``: the fully connected layer Z = X·W + B of the MNIST workshop's slides.

``weight`` has shape (in_features, out_features), so a batch X of shape (N, in_features)
(rows are samples) gives X @ W + b of shape (N, out_features), with the bias row b of
shape (out_features,) broadcast over the rows.

PyTorch's ``nn.Linear`` stores the transpose, weight of shape (out_features,
in_features), and computes x Wᵀ + b. To move weights across, transpose them:
``torch_layer.weight = our_layer.weight.data.T`` (and the reverse), the bias as it is.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from autodiff import Tensor, linear

from . import init as initializers
from .inputs import float_dtype
from .module import Module
from .rng import as_generator

Initializer = str | Callable[..., Any]


def initialize_weight(weight: Tensor, init: Initializer, rng: np.random.Generator, owner: str) -> None:
    """Fill ``weight`` by ``init``: a name from ``nn.init`` without its trailing underscore
    ("he_uniform", "xavier_normal", "zeros", ...), or a function called as
    ``init(weight, rng=rng)`` (e.g. ``functools.partial(nn.init.normal_, std=0.01)``)."""
    if callable(init):
        init(weight, rng=rng)
    elif init == "zeros":
        initializers.zeros_(weight)
    elif init in initializers.WEIGHT_INITIALIZERS:
        initializers.WEIGHT_INITIALIZERS[init](weight, rng=rng)
    else:
        names = ", ".join(map(repr, initializers.WEIGHT_INITIALIZERS))
        raise ValueError(f"{owner}: unknown init {init!r}; give one of {names} or a function")


def _check_size(value: Any, what: str, owner: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{owner}: {what} must be a positive int, got {type(value).__name__} {value!r}")
    if value < 1:
        raise ValueError(f"{owner}: {what} must be a positive int, got {value!r}")
    return int(value)


class Linear(Module):
    """Z = X·W + b, W of shape (in_features, out_features), b of shape (out_features,).

    ``init`` fills W (default He uniform, U(±√(6/in_features)), for ReLU nets; see
    ``nn.init``); b starts at 0 (PyTorch draws it from U(±1/√in_features)). ``rng``: a
    ``numpy.random.Generator`` or an int seed; None draws from nn's global generator
    (``nn.manual_seed``). ``dtype``: a floating-point dtype (float64 by default, float32);
    an integer dtype is refused.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        init: Initializer = "he_uniform",
        rng: Any = None,
        dtype: Any = np.float64,
    ) -> None:
        owner = type(self).__name__
        self.in_features = _check_size(in_features, "in_features", owner)
        self.out_features = _check_size(out_features, "out_features", owner)
        if not isinstance(bias, (bool, np.bool_)):
            raise TypeError(f"{owner}: bias must be True or False, got {bias!r}")
        dtype = float_dtype(dtype, owner)
        shape = (self.in_features, self.out_features)
        self.weight = Tensor(np.zeros(shape, dtype=dtype), requires_grad=True, label="weight")
        initialize_weight(self.weight, init, as_generator(rng, owner), owner)
        self.bias = None
        if bias:
            self.bias = Tensor(np.zeros(self.out_features, dtype=dtype), requires_grad=True, label="bias")

    def forward(self, x: Any) -> Tensor:
        """x @ weight + bias, one node (``autodiff.linear``)."""
        return linear(self._checked_input(x), self.weight, self.bias)

    def _checked_input(self, x: Any) -> Tensor:
        """``x`` as a Tensor, after checking its rows have ``in_features`` numbers."""
        x = x if isinstance(x, Tensor) else Tensor(x)
        if x.ndim == 0 or x.shape[-1] != self.in_features:
            raise ValueError(
                f"{type(self).__name__}({self.in_features}, {self.out_features}): the input X must have shape "
                f"(N, {self.in_features}), rows of {self.in_features} features, got shape {x.shape}"
            )
        return x

    def extra_repr(self) -> str:
        bias = self.bias is not None
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={bias}"
