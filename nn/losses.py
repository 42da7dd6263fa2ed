"""Loss modules: each holds its settings and calls the function of ``nn.functional``.

``loss_fn = nn.CrossEntropyLoss(); loss = loss_fn(logits, labels)``, as in PyTorch.
Each takes what its function takes: Tensors, or the scalar MLP's Values (a Value, a
list of Values per sample, or per-class lists of them), which give a Value; so
``nn.fit(nn.MLP(2, [16, 16, 1]), nn.HingeLoss(), ...)`` needs no loss written by hand.
"""

from __future__ import annotations

from typing import Any

from autodiff import Tensor, Value

from . import functional as F
from .inputs import check_reduction, real_number
from .module import Module


class _Loss(Module):
    def __init__(self, reduction: str = "mean") -> None:
        self.reduction = check_reduction(reduction, type(self).__name__)

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}"


class MSELoss(_Loss):
    """(f - y)², or ½(f - y)² with ``half=True``; see ``F.mse_loss``."""

    def __init__(self, reduction: str = "mean", half: bool = False) -> None:
        super().__init__(reduction)
        self.half = bool(half)

    def forward(self, input: Any, target: Any) -> Tensor | Value:
        return F.mse_loss(input, target, self.reduction, self.half)

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, half={self.half}"


class CrossEntropyLoss(_Loss):
    """-Σ_c y_c log softmax(s)_c from logits; see ``F.cross_entropy``."""

    def forward(self, input: Any, target: Any) -> Tensor | Value:
        return F.cross_entropy(input, target, self.reduction)


class BCELoss(_Loss):
    """-(y log p + (1 - y) log(1 - p)) from probabilities; see ``F.binary_cross_entropy``."""

    def forward(self, input: Any, target: Any) -> Tensor | Value:
        return F.binary_cross_entropy(input, target, self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Binary cross-entropy from logits, stably; see ``F.binary_cross_entropy_with_logits``."""

    def forward(self, input: Any, target: Any) -> Tensor | Value:
        return F.binary_cross_entropy_with_logits(input, target, self.reduction)


class HingeLoss(_Loss):
    """max(0, 1 - y·f), y in {-1, +1}; see ``F.hinge_loss``."""

    def forward(self, input: Any, target: Any) -> Tensor | Value:
        return F.hinge_loss(input, target, self.reduction)


class MultiMarginLoss(_Loss):
    """Σ_{j≠y} max(0, s_j - s_y + margin); see ``F.multi_margin_loss``."""

    def __init__(self, margin: float = 1.0, reduction: str = "mean", divide_by_classes: bool = False) -> None:
        super().__init__(reduction)
        self.margin = real_number(margin, "MultiMarginLoss", "margin")
        self.divide_by_classes = bool(divide_by_classes)

    def forward(self, input: Any, target: Any) -> Tensor | Value:
        return F.multi_margin_loss(input, target, self.margin, self.reduction, self.divide_by_classes)

    def extra_repr(self) -> str:
        return f"margin={self.margin}, {super().extra_repr()}, divide_by_classes={self.divide_by_classes}"
