"""What layers and losses accept: Tensors, or numbers and arrays that become constant Tensors."""

from __future__ import annotations

from typing import Any

import numpy as np

from autodiff import Tensor

REDUCTIONS = ("mean", "sum", "none")


def as_tensor(x: Any) -> Tensor:
    """``x`` if it is a Tensor, else a constant Tensor of its numbers (no gradient)."""
    return x if isinstance(x, Tensor) else Tensor(x)


def numbers_of(x: Any) -> np.ndarray:
    """The numbers of a Tensor (its ``.data``) or of anything numpy reads."""
    return x.data if isinstance(x, Tensor) else np.asarray(x)


def check_reduction(reduction: str, owner: str) -> str:
    if reduction not in REDUCTIONS:
        choices = ", ".join(map(repr, REDUCTIONS))
        raise ValueError(f"{owner}: reduction must be one of {choices}, got {reduction!r}")
    return reduction


def reduce(loss: Tensor, reduction: str) -> Tensor:
    """The mean or the sum of the per-element losses, or the losses themselves ("none")."""
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss
