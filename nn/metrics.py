"""Evaluation metrics for classifiers (the lecture on parameter tuning), equal to scikit-learn's.

For a test set of N samples with labels y and predictions ŷ, and a class c:

- accuracy A = (1/N) Σ_n I(y_n = ŷ_n); error rate ε = 1 - A;
- TP_c = #{y = c, ŷ = c}, FP_c = #{y ≠ c, ŷ = c}, FN_c = #{y = c, ŷ ≠ c},
  TN_c = #{y ≠ c, ŷ ≠ c}; the confusion matrix C[i, j] = #{y = class i, ŷ = class j}
  (rows are true classes, columns predicted ones, as scikit-learn);
- precision p_c = TP_c/(TP_c + FP_c), recall r_c = TP_c/(TP_c + FN_c),
  F_β = (1 + β²) p_c r_c / (β² p_c + r_c) = (1 + β²)TP_c / ((1 + β²)TP_c + β²FN_c + FP_c);
- macro average: the mean over classes, p_macro = (1/C) Σ_c p_c, r_macro likewise;
  micro average: the same formulas on pooled counts Σ_c TP_c, Σ_c FP_c, Σ_c FN_c (with
  every class counted, micro p = micro r = micro F = accuracy, as the slide says).

**Macro F: the slide and scikit-learn differ.** The slide defines
F1_macro = 2 p_macro r_macro / (p_macro + r_macro), the F of the averaged precision and
recall; scikit-learn (and so this module by default) averages the per-class scores,
F_macro = (1/C) Σ_c F_c. The two differ whenever the classes' p and r differ (the
slide's is never lower). ``precision_recall_fscore(..., macro_f="f_of_means")`` gives
the slide's.

**Zero division.** A ratio whose denominator is 0 (a class never predicted has no
precision; a class absent from y has no recall; F when TP = FP = FN = 0) takes the value
``zero_division``, 0 by default (what scikit-learn returns, with a warning, by
default). F is 0 when p = r = 0.

**Bad input is an error, never truncated.** y and ŷ of different lengths (the slide's
own example has 10 labels and 9 predictions) raise ``ValueError`` naming both lengths,
in every function here (labels, scores, curve points). So do labels mixing strings and
numbers (no label could match), NaN scores, and infinite ones where a threshold or a rank
is read off them (the curves, ``top_k_accuracy``), as in scikit-learn.

Labels may be any sortable values (ints, strings). Predictions may also be given as
scores of shape (N, C) (logits or probabilities, a Tensor included): the predicted class
is the column of the largest score, so column j must be class j. One column, (N, 1), is
refused: a binary model's single score needs a threshold, not an argmax.

The threshold curves (ROC, PR) take binary labels and a score per sample, higher
meaning "more likely positive"; each distinct score is one threshold t, predicting
positive when score ≥ t.
"""

from __future__ import annotations

import math
import numbers
from typing import Any, NamedTuple

import numpy as np

from .data import as_numbers, check_same_length

AVERAGES = (None, "macro", "micro")
MACRO_F = ("mean_of_f", "f_of_means")

# -- inputs ----------------------------------------------------------------------------------


def _true_labels(y_true: Any) -> np.ndarray:
    y = as_numbers(y_true, "y_true")
    if y.ndim != 1:
        raise ValueError(f"y_true must be a 1-D array of class labels, got shape {y.shape}")
    return y


def _predicted_labels(y_pred: Any) -> np.ndarray:
    """1-D labels as given, or the argmax of each row of (N, C) scores."""
    y = as_numbers(y_pred, "y_pred")
    if y.ndim == 2:
        if y.shape[1] == 0:
            raise ValueError(f"y_pred, scores of shape (N, C), needs at least one class column, got shape {y.shape}")
        if y.shape[1] == 1:  # its argmax is 0 for every row: a silent "everything is class 0"
            raise ValueError(
                f"y_pred has shape {y.shape}, one score per sample: the argmax of one column is always "
                "class 0. Threshold it into labels (probabilities: p > 0.5; logits: s > 0) or give "
                "(N, C) scores with a column per class"
            )
        if y.dtype.kind in "fc" and np.isnan(y).any():  # argmax would pick a NaN's column
            row = int(np.flatnonzero(np.isnan(y).any(axis=1))[0])
            raise ValueError(
                f"y_pred, scores of shape {y.shape}, holds NaN (first in row {row}): no class can be read off"
            )
        return np.argmax(y, axis=1)
    if y.ndim != 1:
        raise ValueError(f"y_pred must be 1-D labels or 2-D scores (N, C), got shape {y.shape}")
    return y


def _label_pair(y_true: Any, y_pred: Any) -> tuple[np.ndarray, np.ndarray]:
    y, y_hat = _true_labels(y_true), _predicted_labels(y_pred)
    n = check_same_length(y, y_hat, ("y_true", "y_pred"), "labels")
    if n == 0:
        raise ValueError("y_true and y_pred are empty: a metric needs at least one sample")
    _check_same_kind((y, "y_true"), (y_hat, "y_pred"))
    return y, y_hat


def _kind(labels: np.ndarray) -> str:
    return "strings" if labels.dtype.kind in "USO" else "numbers"


def _check_same_kind(*named: tuple[np.ndarray, str]) -> None:
    """``ValueError`` when some label arrays hold strings and others numbers (no label could
    ever match across them, so every comparison would silently be False)."""
    kinds = {name: _kind(labels) for labels, name in named}
    if len(set(kinds.values())) > 1:
        described = ", ".join(f"{name} holds {kind}" for name, kind in kinds.items())
        raise ValueError(f"labels must be all numbers or all strings: {described}")


def _class_list(y: np.ndarray, y_hat: np.ndarray, labels: Any) -> np.ndarray:
    """The classes in order: ``labels`` as given, or every label in y or ŷ, sorted."""
    if labels is None:
        return np.unique(np.concatenate([y, y_hat]))
    labels = np.asarray(labels)
    if labels.ndim != 1 or len(labels) == 0:
        raise ValueError(f"labels must be a non-empty 1-D list of classes, got {labels!r}")
    if len(np.unique(labels)) != len(labels):
        raise ValueError(f"labels must not repeat a class, got {labels.tolist()}")
    _check_same_kind((y, "y_true"), (labels, "labels"))
    return labels


def _positions(values: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """Index of each value in ``classes``, -1 for a value that is not one of them."""
    order = np.argsort(classes, kind="stable")
    found = np.searchsorted(classes[order], values)
    found = np.minimum(found, len(classes) - 1)
    hit = classes[order][found] == values
    return np.where(hit, order[found], -1)


def _divide(numerator: np.ndarray, denominator: np.ndarray, zero_division: float) -> np.ndarray:
    numerator, denominator = np.asarray(numerator, float), np.asarray(denominator, float)
    safe = np.where(denominator == 0, 1.0, denominator)
    return np.where(denominator == 0, zero_division, numerator / safe)


def _check_zero_division(value: Any) -> float:
    if not isinstance(value, numbers.Real) or not 0.0 <= value <= 1.0:
        raise ValueError(f"zero_division must be a number in [0, 1], got {value!r}")
    return float(value)


# -- counting metrics -----------------------------------------------------------------------


def accuracy(y_true: Any, y_pred: Any) -> float:
    """A = (1/N) Σ_n I(y_n = ŷ_n), the fraction of correct predictions."""
    y, y_hat = _label_pair(y_true, y_pred)
    return float(np.mean(y == y_hat))


def error_rate(y_true: Any, y_pred: Any) -> float:
    """ε = 1 - A = (1/N) Σ_n I(y_n ≠ ŷ_n), the 0-1 loss averaged over the samples."""
    y, y_hat = _label_pair(y_true, y_pred)
    return float(np.mean(y != y_hat))


def confusion_matrix(
    y_true: Any, y_pred: Any, labels: Any = None, normalize: str | None = None
) -> np.ndarray:
    """C[i, j] = number of samples of true class ``labels[i]`` predicted as ``labels[j]``.

    Rows are true classes, columns predicted classes; the diagonal holds the correct
    predictions. ``labels`` (default: every label seen, sorted) fixes the order; samples
    whose true or predicted label is not among them are left out (at least one of them
    must occur in y_true, as scikit-learn requires). ``normalize``:
    None (counts), ``"true"`` (each row sums to 1: row i is how class i gets
    predicted, its diagonal entry the recall), ``"pred"`` (each column sums to 1, the
    diagonal is the precision) or ``"all"`` (the whole matrix sums to 1); an all-zero
    row or column stays 0.
    """
    y, y_hat = _label_pair(y_true, y_pred)
    classes = _class_list(y, y_hat, labels)
    k = len(classes)
    i, j = _positions(y, classes), _positions(y_hat, classes)
    if not np.any(i >= 0):  # every sample left out: an all-zero matrix would hide a wrong labels=
        raise ValueError(
            f"confusion_matrix: none of labels {classes.tolist()} occurs in y_true (its labels: "
            f"{np.unique(y).tolist()[:10]}); at least one must, as in scikit-learn"
        )
    kept = (i >= 0) & (j >= 0)
    counts = np.bincount(i[kept] * k + j[kept], minlength=k * k).reshape(k, k)
    if normalize is None:
        return counts
    if normalize == "true":
        return _divide(counts, counts.sum(axis=1, keepdims=True), 0.0)
    if normalize == "pred":
        return _divide(counts, counts.sum(axis=0, keepdims=True), 0.0)
    if normalize == "all":
        return _divide(counts, counts.sum(), 0.0)
    raise ValueError(f"normalize must be None, 'true', 'pred' or 'all', got {normalize!r}")


class ClassCounts(NamedTuple):
    """Per-class counts, one entry per class of ``labels`` (TP, FP, FN, TN)."""

    labels: np.ndarray
    tp: np.ndarray
    fp: np.ndarray
    fn: np.ndarray
    tn: np.ndarray


def class_counts(y_true: Any, y_pred: Any, labels: Any = None) -> ClassCounts:
    """TP_c, FP_c, FN_c and TN_c for each class c (one-vs-rest), over all N samples:
    TP_c = #{y = c, ŷ = c}, FP_c = #{y ≠ c, ŷ = c}, FN_c = #{y = c, ŷ ≠ c},
    TN_c = N - TP_c - FP_c - FN_c."""
    y, y_hat = _label_pair(y_true, y_pred)
    classes = _class_list(y, y_hat, labels)
    i, j = _positions(y, classes), _positions(y_hat, classes)
    k = len(classes)
    tp = np.bincount(i[(i == j) & (i >= 0)], minlength=k)
    true_count = np.bincount(i[i >= 0], minlength=k)
    pred_count = np.bincount(j[j >= 0], minlength=k)
    fp, fn = pred_count - tp, true_count - tp
    return ClassCounts(classes, tp, fp, fn, len(y) - tp - fp - fn)


class PrecisionRecallF(NamedTuple):
    """Precision, recall and F_β: arrays (one entry per class) or floats (averaged)."""

    precision: Any
    recall: Any
    fscore: Any


def _fbeta(p: float, r: float, beta2: float) -> float:
    """F_β = (1 + β²) p r / (β² p + r), 0 when p = r = 0; F_∞ = r (its limit)."""
    if math.isinf(beta2):
        return r
    denominator = beta2 * p + r
    return 0.0 if denominator == 0 else (1 + beta2) * p * r / denominator


def precision_recall_fscore(
    y_true: Any,
    y_pred: Any,
    beta: float = 1.0,
    average: str | None = None,
    labels: Any = None,
    zero_division: float = 0.0,
    macro_f: str = "mean_of_f",
) -> PrecisionRecallF:
    """Precision, recall and F_β per class, or macro/micro averaged (formulas in the module doc).

    ``average``: None gives arrays in the order of ``labels`` (default: every label
    seen, sorted); ``"macro"`` the unweighted mean over classes, so small classes count
    as much as large ones; ``"micro"`` the scores of the pooled counts. ``beta`` weighs
    recall β times as much as precision (β = 1: the harmonic mean F1; β = 0: precision).
    ``macro_f`` says how the macro F is made: ``"mean_of_f"`` (default, scikit-learn's)
    averages the per-class F; ``"f_of_means"`` is the slide's F of p_macro and r_macro.
    ``beta=math.inf`` gives F = recall, the limit. ``zero_division`` is the value of a
    0/0 ratio. Equal to scikit-learn's ``precision_recall_fscore_support`` (without the
    support) for the default macro_f.
    """
    if average not in AVERAGES:
        raise ValueError(f"average must be None, 'macro' or 'micro', got {average!r}")
    if macro_f not in MACRO_F:
        raise ValueError(
            f"macro_f must be 'mean_of_f' (scikit-learn) or 'f_of_means' (the slide), got {macro_f!r}"
        )
    if not isinstance(beta, numbers.Real) or not beta >= 0:
        raise ValueError(f"beta must be a number >= 0, got {beta!r}")
    zero_division = _check_zero_division(zero_division)
    counts = class_counts(y_true, y_pred, labels)
    tp, fp, fn = counts.tp, counts.fp, counts.fn
    if average == "micro":
        tp, fp, fn = tp.sum(), fp.sum(), fn.sum()
    beta2 = float(beta) ** 2
    precision = _divide(tp, tp + fp, zero_division)
    recall = _divide(tp, tp + fn, zero_division)
    if math.isinf(beta2):  # F_β → r as β → ∞ (scikit-learn returns the recall too)
        fscore = recall
    else:
        fscore = _divide((1 + beta2) * tp, (1 + beta2) * tp + beta2 * fn + fp, zero_division)
    if average is None:
        return PrecisionRecallF(precision, recall, fscore)
    if average == "micro":
        return PrecisionRecallF(float(precision), float(recall), float(fscore))
    p_macro, r_macro = float(precision.mean()), float(recall.mean())
    if macro_f == "f_of_means":
        return PrecisionRecallF(p_macro, r_macro, _fbeta(p_macro, r_macro, beta2))
    return PrecisionRecallF(p_macro, r_macro, float(fscore.mean()))


def _floats(values: Any, name: str) -> np.ndarray:
    """``values`` as an array of floats; a ``TypeError`` naming ``name`` when they are not numbers."""
    array = as_numbers(values, name)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold real numbers, got an array of dtype {array.dtype}")
    return array.astype(float)


def top_k_accuracy(y_true: Any, y_score: Any, k: int = 5, labels: Any = None) -> float:
    """Top-k accuracy: the fraction of samples whose true class is among the k classes
    with the highest scores (top-1 is plain accuracy).

    ``y_score`` has shape (N, C); column j scores class ``labels[j]`` (default: class j).
    Ties are broken as scikit-learn's ``top_k_accuracy_score`` does: among equal scores
    the class of the larger column ranks higher. So the true class t is a hit when
    #{j : s_j > s_t} + #{j > t : s_j = s_t} < k.
    """
    y = _true_labels(y_true)
    scores = _floats(y_score, "y_score")
    if scores.ndim != 2:
        raise ValueError(f"y_score must be a 2-D array of scores (N, C), got shape {scores.shape}")
    check_same_length(y, scores, ("y_true", "y_score"), "samples")
    if len(y) == 0:
        raise ValueError("y_true and y_score are empty: a metric needs at least one sample")
    if not isinstance(k, numbers.Integral) or isinstance(k, bool) or k < 1:
        raise ValueError(f"k must be an integer >= 1, got {k!r}")
    n_classes = scores.shape[1]
    classes = np.arange(n_classes) if labels is None else np.asarray(labels)
    if len(classes) != n_classes:
        raise ValueError(f"labels names {len(classes)} classes but y_score has {n_classes} columns")
    default = "the default labels 0..C-1"
    _check_same_kind((y, "y_true"), (classes, "labels" if labels is not None else default))
    if not np.all(np.isfinite(scores)):
        raise ValueError("y_score must be finite; it holds NaN or infinite scores")
    column = _positions(y, classes)
    if np.any(column < 0):
        unknown = np.unique(y[column < 0]).tolist()
        raise ValueError(f"y_true has labels {unknown} that are not among the {n_classes} score columns")
    true_score = scores[np.arange(len(y)), column][:, None]
    later = np.arange(n_classes)[None, :] > column[:, None]
    rank = np.sum(scores > true_score, axis=1) + np.sum((scores == true_score) & later, axis=1)
    return float(np.mean(rank < k))


# -- threshold curves ---------------------------------------------------------------------


def _binary_scores(y_true: Any, y_score: Any, pos_label: Any) -> tuple[np.ndarray, np.ndarray]:
    """(is_positive, score) as arrays. Without ``pos_label`` the labels must be {0, 1} or
    {-1, 1} (or a subset) and 1 is positive."""
    y = _true_labels(y_true)
    score = as_numbers(y_score, "y_score")
    if score.ndim != 1:
        raise ValueError(f"y_score must hold one score per sample (1-D), got shape {score.shape}")
    if check_same_length(y, score, ("y_true", "y_score"), "samples") == 0:
        raise ValueError("y_true and y_score are empty: a threshold curve needs at least one sample")
    score = _floats(score, "y_score")
    if not np.all(np.isfinite(score)):
        bad = np.flatnonzero(~np.isfinite(score))
        raise ValueError(
            f"y_score must be finite, it holds {score[bad[0]]} at index {int(bad[0])} "
            f"({len(bad)} non-finite score(s) in all)"
        )
    classes = np.unique(y)
    if len(classes) > 2:
        raise ValueError(
            f"a threshold curve needs binary labels, y_true has {len(classes)}: {classes.tolist()}"
        )
    if pos_label is None:
        if not (set(classes.tolist()) <= {0, 1} or set(classes.tolist()) <= {-1, 1}):
            raise ValueError(
                f"y_true has labels {classes.tolist()}: say which one is positive with pos_label="
            )
        pos_label = 1
    return y == pos_label, score


def _counts_at_thresholds(
    positive: np.ndarray, score: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """FP(t) and TP(t), the counts predicted positive at score ≥ t, for every distinct
    score t, from the highest to the lowest."""
    order = np.argsort(-score, kind="stable")
    score, positive = score[order], positive[order]
    last_of_each = np.r_[np.flatnonzero(np.diff(score)), len(score) - 1]
    tps = np.cumsum(positive)[last_of_each]
    fps = (last_of_each + 1) - tps
    return fps.astype(float), tps.astype(float), score[last_of_each]


def roc_curve(
    y_true: Any, y_score: Any, pos_label: Any = None, drop_intermediate: bool = True
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The ROC curve: ``(fpr, tpr, thresholds)``, as scikit-learn's ``roc_curve``.

    At threshold t (predict positive when score ≥ t): TPR(t) = TP/(TP + FN), the
    recall, and FPR(t) = FP/(FP + TN). Thresholds run from +inf (nothing positive,
    the point (0, 0)) down through every distinct score to the lowest (everything
    positive, (1, 1)). ``drop_intermediate`` leaves out points on a straight segment
    between their neighbours (the drawn curve and its AUC are unchanged).

    Unlike scikit-learn, which warns and returns NaN rates, a y_true with only one
    class raises ``ValueError``: one of the two rates has no denominator.
    """
    positive, score = _binary_scores(y_true, y_score, pos_label)
    if positive.all() or not positive.any():
        missing = "negative" if positive.all() else "positive"
        raise ValueError(f"roc_curve needs both classes, but y_true has no {missing} sample")
    fps, tps, thresholds = _counts_at_thresholds(positive, score)
    if drop_intermediate and len(fps) > 2:
        bends = (np.diff(fps, 2) != 0) | (np.diff(tps, 2) != 0)
        keep = np.r_[True, bends, True]
        fps, tps, thresholds = fps[keep], tps[keep], thresholds[keep]
    fps, tps = np.r_[0.0, fps], np.r_[0.0, tps]
    return fps / fps[-1], tps / tps[-1], np.r_[np.inf, thresholds]


def precision_recall_curve(
    y_true: Any, y_score: Any, pos_label: Any = None, drop_intermediate: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The precision-recall curve: ``(precision, recall, thresholds)``, as scikit-learn's.

    ``thresholds`` are the distinct scores in increasing order; ``precision[i]`` and
    ``recall[i]`` are those of predicting positive when score ≥ ``thresholds[i]``, so
    recall falls as i grows. One last point, precision 1 and recall 0, has no threshold
    (scikit-learn's convention: the curve ends on the precision axis), so ``precision``
    and ``recall`` are one longer than ``thresholds``. ``drop_intermediate`` keeps only
    the first and last threshold of each run of equal recall.

    Unlike scikit-learn, which warns and sets recall to 1, a y_true with no positive
    sample raises ``ValueError`` (recall has no denominator).
    """
    positive, score = _binary_scores(y_true, y_score, pos_label)
    if not positive.any():
        raise ValueError("precision_recall_curve needs positive samples, but y_true has none")
    fps, tps, thresholds = _counts_at_thresholds(positive, score)
    if drop_intermediate and len(fps) > 2:
        keep = np.r_[True, (np.diff(tps[:-1]) != 0) | (np.diff(tps[1:]) != 0), True]
        fps, tps, thresholds = fps[keep], tps[keep], thresholds[keep]
    precision = tps / (tps + fps)
    recall = tps / tps[-1]
    return np.r_[precision[::-1], 1.0], np.r_[recall[::-1], 0.0], thresholds[::-1]


def auc(x: Any, y: Any) -> float:
    """Area under the curve through the points (x_i, y_i), by the trapezoidal rule:
    Σ_i (x_{i+1} - x_i)(y_i + y_{i+1})/2. ``x`` must be monotonic (increasing or
    decreasing); ``auc(*roc_curve(y, s)[:2])`` is the ROC AUC."""
    x, y = _floats(x, "x"), _floats(y, "y")
    if x.ndim != 1 or y.ndim != 1:
        raise ValueError(f"auc needs 1-D x and y, got shapes {x.shape} and {y.shape}")
    check_same_length(x, y, ("x", "y"), "points")
    if len(x) < 2:
        raise ValueError(f"auc needs at least 2 points, got {len(x)}")
    for name, values in (("x", x), ("y", y)):
        if not np.all(np.isfinite(values)):
            bad = int(np.flatnonzero(~np.isfinite(values))[0])
            raise ValueError(f"auc needs finite points, {name} holds {values[bad]} at index {bad}")
    steps = np.diff(x)
    if np.all(steps >= 0):
        direction = 1.0
    elif np.all(steps <= 0):
        direction = -1.0
    else:
        raise ValueError("auc needs x increasing or decreasing; it goes both ways")
    return float(direction * np.sum(steps * (y[1:] + y[:-1]) / 2))
