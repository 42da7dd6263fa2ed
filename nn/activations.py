"""Activation modules (the slides' activation functions), each the Tensor method of the same name.

    ReLU        max(0, x)
    LeakyReLU   max(a·x, x), a = negative_slope (PyTorch's default 0.01; the slides use 0.1)
    ELU         x if x > 0 else α(eˣ - 1)
    Sigmoid     1 / (1 + e⁻ˣ)
    Tanh        tanh x
    GELU        x·Φ(x), Φ the standard normal CDF (exact, via erf); approximate="tanh"
                gives 0.5·x·(1 + tanh(√(2/π)(x + 0.044715x³)))
    SiLU        x·σ(x)
    Softmax     exp(x_i) / Σ_j exp(x_j) along ``axis``, computed after subtracting the max

Arrays and numbers are accepted as constant Tensors.
"""

from __future__ import annotations

from typing import Any

from autodiff import Tensor

from .inputs import as_tensor, choice, real_number, whole_number
from .module import Module


class ReLU(Module):
    """max(0, x)."""

    def forward(self, x: Any) -> Tensor:
        return as_tensor(x).relu()


class LeakyReLU(Module):
    """max(a·x, x) with a = ``negative_slope``."""

    def __init__(self, negative_slope: float = 0.01) -> None:
        self.negative_slope = real_number(negative_slope, "LeakyReLU", "negative_slope")

    def forward(self, x: Any) -> Tensor:
        return as_tensor(x).leaky_relu(self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class ELU(Module):
    """x if x > 0 else α(eˣ - 1)."""

    def __init__(self, alpha: float = 1.0) -> None:
        self.alpha = real_number(alpha, "ELU", "alpha")

    def forward(self, x: Any) -> Tensor:
        return as_tensor(x).elu(self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}"


class Sigmoid(Module):
    """1 / (1 + e⁻ˣ)."""

    def forward(self, x: Any) -> Tensor:
        return as_tensor(x).sigmoid()


class Tanh(Module):
    """tanh x."""

    def forward(self, x: Any) -> Tensor:
        return as_tensor(x).tanh()


class GELU(Module):
    """x·Φ(x) (``approximate="none"``) or its tanh approximation (``"tanh"``)."""

    def __init__(self, approximate: str = "none") -> None:
        self.approximate = choice(approximate, ("none", "tanh"), "GELU", "approximate")

    def forward(self, x: Any) -> Tensor:
        return as_tensor(x).gelu(self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class SiLU(Module):
    """x·σ(x)."""

    def forward(self, x: Any) -> Tensor:
        return as_tensor(x).silu()


class Softmax(Module):
    """exp(x_i) / Σ_j exp(x_j) along ``axis`` (PyTorch calls it dim)."""

    def __init__(self, axis: int = -1) -> None:
        self.axis = whole_number(axis, "Softmax", "axis")

    def forward(self, x: Any) -> Tensor:
        return as_tensor(x).softmax(self.axis)

    def extra_repr(self) -> str:
        return f"axis={self.axis}"
