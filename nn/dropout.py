"""Dropout and DropConnect (the slides on regularization): random masks in training, none in evaluation.

``p`` is the probability of dropping (zeroing) a unit or a weight, as in PyTorch; each
survives with probability q = 1 - p. (The slides' code names the keep probability p.)
Two ways to keep the expected activation the same in training and at test time:

- ``mode="inverted"`` (PyTorch's, the default): in training, scale the kept ones by
  1/q; at test time, use the layer as it is.
- ``mode="scale_at_test"`` (the slides' "weight scaling inference rule"): in training,
  keep or zero without scaling; at test time, multiply by q.

Either way E[output] in training equals the test-time output. A fresh mask is drawn on
every forward pass in training mode and kept as ``.mask`` (the array the input or the
weight was multiplied by), so the backward pass uses exactly that mask: it is a
constant of the graph.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autodiff import Tensor

from .inputs import as_tensor, choice
from .linear import Initializer, Linear
from .module import Module
from .rng import as_generator

MODES = ("inverted", "scale_at_test")


def _check(p: Any, mode: str, owner: str) -> float:
    if isinstance(p, bool) or not isinstance(p, (int, float, np.floating)) or not 0.0 <= p <= 1.0:
        raise ValueError(f"{owner}: p (the drop probability) must be in [0, 1], got {p!r}")
    choice(mode, MODES, owner, "mode")
    return float(p)


def draw_mask(rng: np.random.Generator, shape: tuple, p: float, mode: str, dtype: np.dtype) -> np.ndarray:
    """Each entry kept with probability 1 - p: 1/(1-p) where kept in inverted mode, 1 in
    the slides' mode; 0 where dropped."""
    mask = (rng.random(shape) >= p).astype(dtype)
    if mode == "inverted":
        mask *= 1.0 / (1.0 - p) if p < 1.0 else 0.0
    return mask


class Dropout(Module):
    """Zero each input entry with probability ``p`` in training (see the module docstring)."""

    def __init__(self, p: float = 0.5, mode: str = "inverted", rng: Any = None) -> None:
        self.p = _check(p, mode, "Dropout")
        self.mode = mode
        self._rng = as_generator(rng, "Dropout")
        self.mask: np.ndarray | None = None

    def forward(self, x: Any) -> Tensor:
        x = as_tensor(x)
        if not self.training:
            self.mask = None
            return x * (1.0 - self.p) if self.mode == "scale_at_test" else x
        self.mask = draw_mask(self._rng, x.shape, self.p, self.mode, x.dtype)
        return x * self.mask

    def extra_repr(self) -> str:
        return f"p={self.p}, mode={self.mode!r}"


class DropConnect(Linear):
    """A ``Linear`` layer whose weights (not its units, not its bias) are zeroed with
    probability ``p`` in training: X·(W ⊙ M) + b, one mask M per forward pass, shared
    by the rows of the batch (the DropConnect paper draws one per sample)."""

    def __init__(
        self,
        in_features: int,
        out_features: int,
        p: float = 0.5,
        bias: bool = True,
        init: Initializer = "he_uniform",
        mode: str = "inverted",
        rng: Any = None,
        dtype: Any = np.float64,
    ) -> None:
        self.p = _check(p, mode, "DropConnect")
        self.mode = mode
        self._rng = as_generator(rng, "DropConnect")
        super().__init__(in_features, out_features, bias=bias, init=init, rng=self._rng, dtype=dtype)
        self.mask: np.ndarray | None = None

    def forward(self, x: Any) -> Tensor:
        x = self._checked_input(x)
        if self.training:
            self.mask = draw_mask(self._rng, self.weight.shape, self.p, self.mode, self.weight.dtype)
            weight = self.weight * self.mask
        else:
            self.mask = None
            weight = self.weight * (1.0 - self.p) if self.mode == "scale_at_test" else self.weight
        z = x @ weight
        return z if self.bias is None else z + self.bias

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, p={self.p}, mode={self.mode!r}"
