"""The slides' losses (quadratic, cross-entropy, hinge) as functions, and the L1/L2 penalties
(from ``nn.regularization``).

Each loss takes the model's output first and the target second, computes one loss per
sample (or per element) and reduces them: ``reduction="mean"`` (the empirical risk, the
default), ``"sum"`` or ``"none"`` (the per-sample losses), as PyTorch's losses do.
Outputs are Tensors (arrays are taken as constants); targets are arrays or Tensors.
Shapes must match exactly, never by broadcasting: a (N, 1) output against a (N,)
target is an error that names both shapes, not an (N, N) loss.

The scalar engine's outputs work too: a ``Value``, a list of Values (one per sample:
what ``nn.fit`` hands the loss for ``nn.MLP(2, [16, 16, 1])``) or a list of per-class
lists of Values (``nn.MLP(2, [16, 3])``), with targets as numbers, lists or arrays
(or Values). Then the loss is computed with Value ops, one small graph per sample that
``viz.draw`` can show, and returns a Value (a list of them for ``reduction="none"``),
with the same numbers as on Tensors. Values and Tensors in one call are refused.

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
import numbers
from typing import Any, NamedTuple

import numpy as np

from autodiff import Tensor, Value, softmax_cross_entropy

from .inputs import as_tensor, check_reduction, numbers_of, real_number, reduce
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


def _numeric(x: Any, owner: str, name: str) -> np.ndarray:
    """The numbers of ``x``; a ``TypeError`` naming ``name`` when they are not real numbers."""
    array = numbers_of(x, f"{owner}: {name}")
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{owner}: {name} must hold real numbers, got {type(x).__name__} of dtype {array.dtype}")
    return array


def _same_shape(output: Any, target: Any, owner: str, names: tuple[str, str] = ("input", "target")) -> None:
    a, b = np.shape(_numeric(output, owner, names[0])), np.shape(_numeric(target, owner, names[1]))
    if a != b:
        raise ValueError(f"{owner}: {names[0]} has shape {a} but {names[1]} has shape {b}; they must match")


def _target_tensor(target: Any, input: Tensor) -> Any:
    """A target as it enters the arithmetic: a Tensor as it is (it may carry a gradient),
    anything else as an array of the input's dtype (as ``cross_entropy`` makes its rows), so
    a float32 model's loss is float32 even when its targets come as float64 or int arrays."""
    return target if isinstance(target, Tensor) else np.asarray(target, dtype=input.dtype)


def mse_loss(input: Any, target: Any, reduction: str = "mean", half: bool = False) -> Tensor | Value:
    """Squared error (f - y)², reduced; ``half=True`` gives ½(f - y)² (the slides' quadratic loss)."""
    check_reduction(reduction, "mse_loss")
    if _on_values(input, target, "mse_loss"):
        f, y = _pairs(input, target, "mse_loss")
        squares = [(a - b) ** 2 * 0.5 if half else (a - b) ** 2 for a, b in zip(f.items, y.items)]
        return _reduce_values(squares, f.shape, reduction)
    _same_shape(input, target, "mse_loss")
    f = as_tensor(input)
    diff = f - _target_tensor(target, f)
    loss = reduce(diff * diff, reduction)
    return loss * 0.5 if half else loss


def quadratic_loss(input: Any, target: Any, reduction: str = "mean") -> Tensor | Value:
    """½(y - f)², reduced: the slides' quadratic loss, ``mse_loss(..., half=True)``."""
    return mse_loss(input, target, reduction=reduction, half=True)


def class_indices(target: Any, scores_shape: tuple, owner: str) -> np.ndarray:
    """``target`` as integer class indices for scores of shape (N, C) or (C,): checked to
    have shape (N,) (or () for one sample), whole numbers, each in 0..C-1."""
    t = numbers_of(target, f"{owner}: target")
    if t.shape != scores_shape[:-1]:
        raise ValueError(
            f"{owner}: target has shape {t.shape}, scores {scores_shape} (the input): class indices need shape "
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
        raise ValueError(f"{owner}: input (the scores) must have shape (N, C) or (C,), got {scores.shape}")
    if scores.shape[-1] == 0:
        raise ValueError(
            f"{owner}: input (the scores) has shape {scores.shape}, no class at all; it needs C >= 1"
        )
    return scores.shape


def _pick(scores: Tensor, classes: np.ndarray) -> Tensor:
    """scores[i, classes[i]] for every row i (or scores[classes] for one sample)."""
    if scores.ndim == 1:
        return scores[int(classes)]
    return scores[np.arange(len(classes)), classes]


def cross_entropy(input: Any, target: Any, reduction: str = "mean") -> Tensor | Value:
    """-Σ_c y_c log softmax(s)_c from logits s of shape (N, C) (or (C,)), reduced over samples.

    ``target`` holds class indices, shape (N,): then the loss is -log softmax(s)_y,
    the log-probability of the true class; or one-hot / probability rows, shape (N, C).
    One node (``autodiff.softmax_cross_entropy``) whose gradient per row is
    softmax(s)·Σ_c y_c - y, which is softmax(s) - y for a one-hot or probability row
    (divided by N for ``"mean"``), computed through log-softmax, so logits of ±1000 give
    finite losses and gradients.
    """
    check_reduction(reduction, "cross_entropy")
    if _on_values(input, target, "cross_entropy"):
        return _values_cross_entropy(input, target, reduction)
    logits = as_tensor(input if isinstance(input, Tensor) else _numeric(input, "cross_entropy", "input"))
    shape = _class_scores_shape(logits, "cross_entropy")
    if np.shape(numbers_of(target, "cross_entropy: target")) == shape:
        _numeric(target, "cross_entropy", "target")
        rows = target if isinstance(target, Tensor) else Tensor(np.asarray(target, dtype=logits.dtype))
    else:  # class indices become one-hot rows
        rows = Tensor(np.eye(shape[-1], dtype=logits.dtype)[class_indices(target, shape, "cross_entropy")])
    return softmax_cross_entropy(logits, rows, reduction)


def _clamped_log(x: Any) -> Any:
    """max(log x, -100), PyTorch's clamp: finite at x = 0, log x itself for every x above e^-100.

    On Values (float64): log(max(x, e^-100)), with max(x, c) = relu(x - c) + c. On a Tensor,
    with the constant mask k = [x > e^-100]: k·log(k·x + 1 - k) + (1 - k)·(-100), exactly -100
    where clamped in any dtype (float32 holds e^-100 only as a subnormal, whose log is not -100),
    and the log's argument is 1 there, so no -inf and no 0·inf in the gradient (which is 0)."""
    if not isinstance(x, Tensor):
        return ((x - _EXP_LOG_FLOOR).relu() + _EXP_LOG_FLOOR).log()
    kept = (x.data > _EXP_LOG_FLOOR).astype(x.dtype)
    return (x * kept + (1 - kept)).log() * kept + LOG_FLOOR * (1 - kept)


def binary_cross_entropy(input: Any, target: Any, reduction: str = "mean") -> Tensor | Value:
    """-(y log p + (1 - y) log(1 - p)) for probabilities p in [0, 1], each log clamped at -100
    as in PyTorch. From logits, ``binary_cross_entropy_with_logits`` is the stable choice."""
    check_reduction(reduction, "binary_cross_entropy")
    if _on_values(input, target, "binary_cross_entropy"):
        p, y = _pairs(input, target, "binary_cross_entropy")
        for i, v in enumerate(p.items):
            if not 0 <= v.data <= 1:
                raise ValueError(
                    f"binary_cross_entropy: input must hold probabilities in [0, 1] (apply sigmoid), "
                    f"got {v.data!r} at position {i}"
                )
        losses = [-(b * _clamped_log(a) + (1 - b) * _clamped_log(1 - a)) for a, b in zip(p.items, y.items)]
        return _reduce_values(losses, p.shape, reduction)
    _same_shape(input, target, "binary_cross_entropy")
    p = as_tensor(input)
    if not np.all((p.data >= 0) & (p.data <= 1)):
        raise ValueError("binary_cross_entropy: input must hold probabilities in [0, 1] (apply sigmoid)")
    y = _target_tensor(target, p)
    return reduce(-(y * _clamped_log(p) + (1 - y) * _clamped_log(1 - p)), reduction)


def binary_cross_entropy_with_logits(input: Any, target: Any, reduction: str = "mean") -> Tensor | Value:
    """binary_cross_entropy(σ(s), y) from logits s, computed as softplus(s) - y·s:
    -log σ(s) = softplus(-s) = softplus(s) - s, stable for any s; gradient σ(s) - y."""
    check_reduction(reduction, "binary_cross_entropy_with_logits")
    if _on_values(input, target, "binary_cross_entropy_with_logits"):
        s, y = _pairs(input, target, "binary_cross_entropy_with_logits")
        losses = [a.softplus(threshold=math.inf) - a * b for a, b in zip(s.items, y.items)]
        return _reduce_values(losses, s.shape, reduction)
    _same_shape(input, target, "binary_cross_entropy_with_logits")
    s = as_tensor(input)
    return reduce(s.softplus(threshold=math.inf) - s * _target_tensor(target, s), reduction)


def _plus_minus_one(y: Any, owner: str) -> None:
    values = numbers_of(y)
    bad = (values != 1) & (values != -1)
    if np.any(bad):
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(f"{owner}: labels must be -1 or +1, got y{list(where)} = {values[where]}")


def hinge_loss(input: Any, target: Any, reduction: str = "mean") -> Tensor | Value:
    """Binary hinge max(0, 1 - y·f) with labels y in {-1, +1}, reduced."""
    check_reduction(reduction, "hinge_loss")
    if _on_values(input, target, "hinge_loss"):
        f, y = _pairs(input, target, "hinge_loss")
        _plus_minus_one(_numbers(y), "hinge_loss")
        return _reduce_values([(1 - a * b).relu() for a, b in zip(f.items, y.items)], f.shape, reduction)
    _same_shape(input, target, "hinge_loss")
    _plus_minus_one(target, "hinge_loss")
    f = as_tensor(input)
    return reduce((1 - f * _target_tensor(target, f)).relu(), reduction)


def multi_margin_loss(
    input: Any, target: Any, margin: float = 1.0, reduction: str = "mean", divide_by_classes: bool = False
) -> Tensor | Value:
    """The multiclass hinge L_i = Σ_{j≠y_i} max(0, s_j - s_{y_i} + margin) (the slides' form),
    for scores s of shape (N, C) and class indices y, reduced over samples.

    PyTorch's ``F.multi_margin_loss`` divides each L_i by the number of classes C:
    ``divide_by_classes=True`` gives PyTorch's numbers.
    """
    check_reduction(reduction, "multi_margin_loss")
    margin = real_number(margin, "multi_margin_loss", "margin")
    if _on_values(input, target, "multi_margin_loss"):
        return _values_multi_margin(input, target, margin, reduction, divide_by_classes)
    scores = as_tensor(input if isinstance(input, Tensor) else _numeric(input, "multi_margin_loss", "input"))
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
    if _on_values(input, target, "zero_one_loss"):
        input, target = (_numbers(_grid(x, "zero_one_loss", name)) for x, name in [(input, "input"),
                                                                                   (target, "target")])
    scores = _numeric(input, "zero_one_loss", "input")
    if np.shape(_numeric(target, "zero_one_loss", "target")) == scores.shape:
        _plus_minus_one(target, "zero_one_loss")
        wrong = (scores * numbers_of(target) <= 0).astype(np.float64)
    else:
        if scores.ndim not in (1, 2):
            raise ValueError(f"zero_one_loss: input (the scores) needs shape (N, C), (C,) or (N,), not {scores.shape}")
        classes = class_indices(target, scores.shape, "zero_one_loss")
        wrong = (scores.argmax(axis=-1) != classes).astype(np.float64)
    if reduction == "none":
        return wrong
    return float(wrong.mean() if reduction == "mean" else wrong.sum())


# -- the scalar engine: the same losses on Values ---------------------------------------------
#
# A loss given Values (the scalar MLP's outputs) is computed with Value ops, so its graph
# is a scalar graph to draw and step through, with the Tensor version's numbers. Shapes
# follow numpy's reading of the nesting: a Value has shape (), a list of N Values (one
# output per sample, what ``nn.fit`` passes for ``MLP(2, [16, 16, 1])``) shape (N,), and
# N lists of C Values (``MLP(2, [16, 3])``) shape (N, C). Targets are numbers, lists of
# numbers, arrays or Values.


class _Grid(NamedTuple):
    """A Value, a list of Values or a list of lists of them, read as a shape and its
    items in row order (the input's items all Values, a target's floats or Values)."""

    shape: tuple
    items: list


def _holds(x: Any, kind: type) -> bool:
    """``x`` is a ``kind``, or a list/tuple holding one (at most two levels down)."""
    if isinstance(x, kind):
        return True
    if isinstance(x, (list, tuple)):
        nested = (i for i in x if isinstance(i, (list, tuple)))
        return any(isinstance(i, kind) for i in x) or any(isinstance(j, kind) for i in nested for j in i)
    return False


def _on_values(input: Any, target: Any, owner: str) -> bool:
    """True if the loss is to be computed on the scalar engine (Values in the input or
    the target); a Tensor on one side and Values on the other is refused."""
    if not (_holds(input, Value) or _holds(target, Value)):
        return False
    for name, x in (("input", input), ("target", target)):
        if _holds(x, Tensor):
            raise TypeError(
                f"{owner}: got Values and a Tensor ({name} holds a Tensor); give Values and numbers "
                "(the scalar engine) or Tensors and arrays (the tensor engine), not both"
            )
    return True


def _describe(shape: tuple, noun: str) -> str:
    """How many ``noun``s in which nesting: "one Value", "a list of 3 Values", "3 lists of 2 Values"."""
    if shape == ():
        return f"one {noun}"
    count = f"{shape[-1]} {noun}" + ("" if shape[-1] == 1 else "s")
    return f"a list of {count}" if len(shape) == 1 else f"{shape[0]} lists of {count}"


def _item(x: Any, owner: str, where: str, as_value: bool) -> Any:
    if isinstance(x, Value):
        return x
    if isinstance(x, numbers.Real):
        return Value(float(x)) if as_value else float(x)
    hint = "; don't mix Values with Tensors" if isinstance(x, Tensor) else ""
    raise TypeError(f"{owner}: {where} is a {type(x).__name__}, not a Value or a number{hint}")


def _grid(x: Any, owner: str, name: str, as_value: bool = False) -> _Grid:
    """``x`` (a Value, number, list of them, list of lists, or array) as a ``_Grid``; numbers
    become constant Values when ``as_value``. A ragged list or a third level is an error."""
    if isinstance(x, np.ndarray):
        if x.dtype.kind not in "biuf" or x.ndim > 2:
            raise TypeError(
                f"{owner}: {name} must be numbers in at most two dimensions, got {x.dtype} of shape {x.shape}"
            )
        return _Grid(x.shape, [_item(v, owner, name, as_value) for v in x.ravel().tolist()])
    if not isinstance(x, (list, tuple)):
        return _Grid((), [_item(x, owner, name, as_value)])
    if len(x) == 0:
        raise ValueError(f"{owner}: {name} is an empty list")
    nested = [isinstance(row, (list, tuple, np.ndarray)) for row in x]
    if not any(nested):
        return _Grid((len(x),), [_item(v, owner, f"{name}[{i}]", as_value) for i, v in enumerate(x)])
    if not all(nested):
        i, j = nested.index(True), nested.index(False)
        raise TypeError(f"{owner}: {name}[{i}] is a list but {name}[{j}] is a {type(x[j]).__name__}")
    width = len(x[0])
    items = []
    for i, row in enumerate(x):
        if len(row) != width:
            raise ValueError(
                f"{owner}: {name}[{i}] has {len(row)} items but {name}[0] has {width}; "
                "every row needs as many"
            )
        items.extend(_item(v, owner, f"{name}[{i}][{j}]", as_value) for j, v in enumerate(row))
    return _Grid((len(x), width), items)


def _numbers(grid: _Grid) -> np.ndarray:
    """The grid's numbers (each Value's ``.data``) as an array of its shape."""
    numbers = [v.data if isinstance(v, Value) else v for v in grid.items]
    return np.array(numbers, dtype=np.float64).reshape(grid.shape)


def _same_grid_shape(f: _Grid, y: _Grid, owner: str) -> None:
    if f.shape != y.shape:
        raise ValueError(
            f"{owner}: input is {_describe(f.shape, 'Value')} (shape {f.shape}) but target is "
            f"{_describe(y.shape, 'target')} (shape {y.shape}); they must match, one target per output"
        )


def _total(values: list) -> Value:
    """v_1 + v_2 + ... + v_n, added left to right (no 0 + v_1 node); a constant 0 for none."""
    if not values:
        return Value(0.0)
    total = values[0]
    for v in values[1:]:
        total = total + v
    return total


def _reduce_values(losses: list, shape: tuple, reduction: str) -> Any:
    """The mean (Σ l_i / n) or the sum of the per-element losses as one Value, or ("none")
    the losses themselves, nested as the input was (a Value, a list, a list of lists)."""
    if reduction == "mean":
        return _total(losses) / len(losses)
    if reduction == "sum":
        return _total(losses)
    if shape == ():
        return losses[0]
    if len(shape) == 1:
        return losses
    width = shape[1]
    return [losses[i * width:(i + 1) * width] for i in range(shape[0])]


def _pairs(input: Any, target: Any, owner: str) -> tuple[_Grid, _Grid]:
    """The outputs (as Values) and their targets, one target per output."""
    f, y = _grid(input, owner, "input", as_value=True), _grid(target, owner, "target")
    _same_grid_shape(f, y, owner)
    return f, y


def _score_rows(input: Any, owner: str) -> tuple[_Grid, list]:
    """Class scores as rows of Values: N lists of C (shape (N, C)) or one list of C (shape (C,))."""
    s = _grid(input, owner, "input", as_value=True)
    if len(s.shape) == 0:
        raise ValueError(
            f"{owner}: scores must be a list of C Values (one sample) or N lists of C Values, got one Value"
        )
    width = s.shape[-1]
    return s, [s.items[i:i + width] for i in range(0, len(s.items), width)]


def _class_targets(t: _Grid, s: _Grid, owner: str) -> list[int]:
    if any(isinstance(v, Value) for v in t.items):
        raise TypeError(f"{owner}: class-index targets must be numbers, not Values")
    return np.atleast_1d(class_indices(_numbers(t), s.shape, owner)).tolist()


def _log_sum_exp(row: list) -> Value:
    """log Σ_j e^(s_j) as log Σ_j e^(s_j - m) + m with m = max_j s_j a constant: the same
    number and gradient (softmax), never overflowing."""
    m = max(v.data for v in row)
    return _total([(v - m).exp() for v in row]).log() + m


def _values_cross_entropy(input: Any, target: Any, reduction: str) -> Any:
    s, rows = _score_rows(input, "cross_entropy")
    t = _grid(target, "cross_entropy", "target")
    if t.shape == s.shape:  # probability (or one-hot) rows: Σ_c y_c (lse - s_c), zero weights left out
        width = s.shape[-1]
        losses = []
        for i, row in enumerate(rows):
            lse = _log_sum_exp(row)
            weights = t.items[i * width:(i + 1) * width]
            terms = [yc * (lse - sc) for sc, yc in zip(row, weights) if isinstance(yc, Value) or yc != 0]
            losses.append(_total(terms))
    else:  # class indices: lse - s_y
        classes = _class_targets(t, s, "cross_entropy")
        losses = [_log_sum_exp(row) - row[c] for row, c in zip(rows, classes)]
    return _reduce_values(losses, s.shape[:-1], reduction)


def _values_multi_margin(
    input: Any, target: Any, margin: float, reduction: str, divide_by_classes: bool
) -> Any:
    s, rows = _score_rows(input, "multi_margin_loss")
    classes = _class_targets(_grid(target, "multi_margin_loss", "target"), s, "multi_margin_loss")
    losses = []
    for row, c in zip(rows, classes):
        per_sample = _total([(sj - row[c] + margin).relu() for j, sj in enumerate(row) if j != c])
        losses.append(per_sample / len(row) if divide_by_classes else per_sample)
    return _reduce_values(losses, s.shape[:-1], reduction)
