"""Losses (SPEC §3) as functions, and the L1/L2 penalties (from ``nn.regularization``).

Each loss takes the model's output first and the target second, computes one loss per
sample (or per element) and reduces them: ``reduction="mean"`` (the empirical risk, the
default), ``"sum"`` or ``"none"`` (the per-sample losses), as PyTorch's losses do.
Outputs are Tensors (arrays are taken as constants); targets are arrays or Tensors.
Shapes must match exactly, never by broadcasting: a (N, 1) output against a (N,)
target is an error that names both shapes, not an (N, N) loss.

    mse_loss                  (f - y)²; half=True gives the slides' quadratic ½(y - f)²
    quadratic_loss            ½(y - f)²
    cross_entropy             -Σ_c y_c log softmax(s)_c, from logits s, via log-softmax;
                              y as class indices or as one-hot / probability rows
    binary_cross_entropy      -(y log p + (1 - y) log(1 - p)), p a probability
    binary_cross_entropy_with_logits   the same with p = σ(s), from the logit s, stably
    hinge_loss                max(0, 1 - y·f), y in {-1, +1}
    multi_margin_loss         Σ_{j≠y} max(0, s_j - s_y + margin) (the slides' multiclass hinge)
    zero_one_loss             1 where the prediction is wrong (a metric: no gradient)
    l1_penalty, l2_penalty    λ‖θ‖₁ and ½λ‖θ‖² over a model's weights
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from autodiff import Tensor, softmax_cross_entropy

from .inputs import as_tensor, check_reduction, numbers_of, reduce
from .regularization import is_bias, l1_penalty, l2_penalty

__all__ = [
    "mse_loss",
    "quadratic_loss",
    "cross_entropy",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "hinge_loss",
    "multi_margin_loss",
    "zero_one_loss",
    "l1_penalty",
    "l2_penalty",
    "is_bias",
]

LOG_FLOOR = -100.0  # PyTorch's binary_cross_entropy clamps each log at -100
_EXP_LOG_FLOOR = math.exp(LOG_FLOOR)


def _same_shape(output: Any, target: Any, owner: str, names: tuple[str, str] = ("input", "target")) -> None:
    a, b = np.shape(numbers_of(output)), np.shape(numbers_of(target))
    if a != b:
        raise ValueError(f"{owner}: {names[0]} has shape {a} but {names[1]} has shape {b}; they must match")


def _target_tensor(target: Any) -> Any:
    """A target as it enters the arithmetic: a Tensor as it is (it may carry a gradient),
    anything else as a float array."""
    return target if isinstance(target, Tensor) else np.asarray(target, dtype=np.float64)


def mse_loss(input: Any, target: Any, reduction: str = "mean", half: bool = False) -> Tensor:
    """Squared error (f - y)², reduced; ``half=True`` gives ½(f - y)² (the slides' quadratic loss)."""
    check_reduction(reduction, "mse_loss")
    _same_shape(input, target, "mse_loss")
    diff = as_tensor(input) - _target_tensor(target)
    loss = reduce(diff * diff, reduction)
    return loss * 0.5 if half else loss


def quadratic_loss(input: Any, target: Any, reduction: str = "mean") -> Tensor:
    """½(y - f)², reduced: SPEC §3's quadratic loss, ``mse_loss(..., half=True)``."""
    return mse_loss(input, target, reduction=reduction, half=True)


def class_indices(target: Any, scores_shape: tuple, owner: str) -> np.ndarray:
    """``target`` as integer class indices for scores of shape (N, C) or (C,): checked to
    have shape (N,) (or () for one sample), whole numbers, each in 0..C-1."""
    t = numbers_of(target)
    if t.shape != scores_shape[:-1]:
        raise ValueError(
            f"{owner}: target has shape {t.shape}, scores {scores_shape}: class indices need shape "
            f"{scores_shape[:-1]}"
        )
    if t.dtype.kind == "f":
        if not np.all(np.isfinite(t) & (t == np.round(t))):
            raise ValueError(f"{owner}: class-index targets must be whole numbers, got {t.ravel()[:8]}")
    elif t.dtype.kind not in "iu":
        raise ValueError(f"{owner}: class-index targets must be integers, got dtype {t.dtype}")
    t = t.astype(np.intp)
    n_classes = scores_shape[-1]
    bad = (t < 0) | (t >= n_classes)
    if np.any(bad):
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(
            f"{owner}: target{list(where)} = {t[where]} is out of range for {n_classes} classes "
            f"(0..{n_classes - 1}); {int(bad.sum())} target(s) out of range"
        )
    return t


def _class_scores_shape(scores: Tensor, owner: str) -> tuple:
    if scores.ndim not in (1, 2):
        raise ValueError(f"{owner}: scores must have shape (N, C) or (C,), got {scores.shape}")
    return scores.shape


def _pick(scores: Tensor, classes: np.ndarray) -> Tensor:
    """scores[i, classes[i]] for every row i (or scores[classes] for one sample)."""
    if scores.ndim == 1:
        return scores[int(classes)]
    return scores[np.arange(len(classes)), classes]


def cross_entropy(input: Any, target: Any, reduction: str = "mean") -> Tensor:
    """-Σ_c y_c log softmax(s)_c from logits s of shape (N, C) (or (C,)), reduced over samples.

    ``target`` holds class indices, shape (N,): then the loss is -log softmax(s)_y,
    the log-probability of the true class; or one-hot / probability rows, shape (N, C).
    One node (``autodiff.softmax_cross_entropy``) whose gradient is softmax(s) - y,
    computed through log-softmax, so logits of ±1000 give finite losses and gradients.
    """
    check_reduction(reduction, "cross_entropy")
    logits = as_tensor(input)
    shape = _class_scores_shape(logits, "cross_entropy")
    if np.shape(numbers_of(target)) == shape:
        rows = target if isinstance(target, Tensor) else Tensor(np.asarray(target, dtype=logits.dtype))
    else:  # class indices become one-hot rows
        rows = Tensor(np.eye(shape[-1], dtype=logits.dtype)[class_indices(target, shape, "cross_entropy")])
    return softmax_cross_entropy(logits, rows, reduction)


def _clamped_log(x: Tensor) -> Tensor:
    """max(log x, -100) = log(max(x, e^-100)), with max(x, c) = relu(x - c) + c: finite at
    x = 0 (PyTorch's clamp), and log x itself for every x above e^-100."""
    return ((x - _EXP_LOG_FLOOR).relu() + _EXP_LOG_FLOOR).log()


def binary_cross_entropy(input: Any, target: Any, reduction: str = "mean") -> Tensor:
    """-(y log p + (1 - y) log(1 - p)) for probabilities p in [0, 1], each log clamped at -100
    as in PyTorch. From logits, ``binary_cross_entropy_with_logits`` is the stable choice."""
    check_reduction(reduction, "binary_cross_entropy")
    _same_shape(input, target, "binary_cross_entropy")
    p = as_tensor(input)
    if not np.all((p.data >= 0) & (p.data <= 1)):
        raise ValueError("binary_cross_entropy: input must hold probabilities in [0, 1] (apply sigmoid)")
    y = _target_tensor(target)
    return reduce(-(y * _clamped_log(p) + (1 - y) * _clamped_log(1 - p)), reduction)


def binary_cross_entropy_with_logits(input: Any, target: Any, reduction: str = "mean") -> Tensor:
    """binary_cross_entropy(σ(s), y) from logits s, computed as softplus(s) - y·s:
    -log σ(s) = softplus(-s) = softplus(s) - s, stable for any s; gradient σ(s) - y."""
    check_reduction(reduction, "binary_cross_entropy_with_logits")
    _same_shape(input, target, "binary_cross_entropy_with_logits")
    s = as_tensor(input)
    return reduce(s.softplus(threshold=math.inf) - s * _target_tensor(target), reduction)


def _plus_minus_one(y: Any, owner: str) -> None:
    values = numbers_of(y)
    bad = (values != 1) & (values != -1)
    if np.any(bad):
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(f"{owner}: labels must be -1 or +1, got y{list(where)} = {values[where]}")


def hinge_loss(input: Any, target: Any, reduction: str = "mean") -> Tensor:
    """Binary hinge max(0, 1 - y·f) with labels y in {-1, +1}, reduced."""
    check_reduction(reduction, "hinge_loss")
    _same_shape(input, target, "hinge_loss")
    _plus_minus_one(target, "hinge_loss")
    return reduce((1 - as_tensor(input) * _target_tensor(target)).relu(), reduction)


def multi_margin_loss(
    input: Any, target: Any, margin: float = 1.0, reduction: str = "mean", divide_by_classes: bool = False
) -> Tensor:
    """The multiclass hinge L_i = Σ_{j≠y_i} max(0, s_j - s_{y_i} + margin) (the slides' form),
    for scores s of shape (N, C) and class indices y, reduced over samples.

    PyTorch's ``F.multi_margin_loss`` divides each L_i by the number of classes C:
    ``divide_by_classes=True`` gives PyTorch's numbers.
    """
    check_reduction(reduction, "multi_margin_loss")
    scores = as_tensor(input)
    shape = _class_scores_shape(scores, "multi_margin_loss")
    classes = class_indices(target, shape, "multi_margin_loss")
    correct = _pick(scores, classes).reshape(classes.shape + (1,))
    others = np.ones(shape, dtype=scores.dtype)  # 1 for j != y, 0 for j = y
    others[(np.arange(len(classes)), classes) if scores.ndim == 2 else int(classes)] = 0
    per_sample = ((scores - correct + margin).relu() * others).sum(axis=-1)
    if divide_by_classes:
        per_sample = per_sample / shape[-1]
    return reduce(per_sample, reduction)


def zero_one_loss(input: Any, target: Any, reduction: str = "mean") -> Any:
    """1 for a wrong prediction, 0 for a right one: a metric, returned as numbers (no graph).

    Scores of shape (N, C) with class indices (N,): the prediction is the argmax.
    Scores of shape (N,) with labels in {-1, +1}: wrong when y·f <= 0 (0 counts as wrong).
    ``"mean"`` gives the error rate (a float), ``"sum"`` the number wrong, ``"none"`` an array.
    """
    check_reduction(reduction, "zero_one_loss")
    scores = numbers_of(input)
    if np.shape(numbers_of(target)) == scores.shape:
        _plus_minus_one(target, "zero_one_loss")
        wrong = (scores * numbers_of(target) <= 0).astype(np.float64)
    else:
        if scores.ndim not in (1, 2):
            raise ValueError(f"zero_one_loss: scores need shape (N, C), (C,) or (N,), not {scores.shape}")
        classes = class_indices(target, scores.shape, "zero_one_loss")
        wrong = (scores.argmax(axis=-1) != classes).astype(np.float64)
    if reduction == "none":
        return wrong
    return float(wrong.mean() if reduction == "mean" else wrong.sum())
