"""Feeding data to a training loop: batches, splits, K-fold, early stopping.

Vocabulary (the lecture on parameter tuning). An *epoch* is one pass over the N training samples; an
*iteration* is one parameter update, made with the mean gradient over one batch of B
samples; so an epoch has ⌈N/B⌉ iterations (⌊N/B⌋ with ``drop_last=True``). One function
covers the three kinds of gradient descent:

- batch GD: B = N, one update per epoch;
- stochastic GD: B = 1, N updates per epoch;
- mini-batch GD: 1 < B < N, usually a power of 2.

The homework numbers: N = 100000 and B = 100 give 1000 iterations per epoch, so 30000
iterations are 30 epochs; B = 128 gives 782 (781 full batches and a last one of 32),
and 30000 iterations are 30000/782 ≈ 38.4 epochs.

Every random choice (the shuffle of each epoch, a split, the folds) draws from ``rng``:
a ``numpy.random.Generator``, an int seed, or None for nn's global generator (seeded,
``nn.manual_seed`` reseeds it).
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from typing import Any, Callable, Iterator, Sequence

import numpy as np

from autodiff import Tensor, Value

from .rng import as_generator

# -- inputs ----------------------------------------------------------------------------------


def as_numbers(values: Any, name: str) -> np.ndarray:
    """``values`` as a numpy array: a Tensor gives its ``data``, a (nested) list of Values
    their ``data``; anything else goes through ``numpy.asarray``."""
    if isinstance(values, Tensor):
        return values.data
    array = np.asarray(values)
    if array.dtype == object:
        try:
            array = np.asarray(np.frompyfunc(lambda v: v.data if isinstance(v, Value) else v, 1, 1)(array))
            array = array.astype(np.float64)
        except (TypeError, ValueError) as error:
            raise TypeError(f"{name} must hold numbers (or Values), got {error}") from None
    return array


def check_same_length(first: np.ndarray, second: np.ndarray, names: tuple[str, str], unit: str) -> int:
    """The common length of two arrays; ``ValueError`` naming both lengths when they differ.

    Nothing is ever truncated to the shorter input: a length mismatch is a bug upstream.
    """
    if first.ndim == 0 or second.ndim == 0:
        scalar = names[0] if first.ndim == 0 else names[1]
        raise ValueError(f"{scalar} must be an array of {unit}, got a single number")
    if len(first) != len(second):
        raise ValueError(
            f"{names[0]} has {len(first)} {unit} but {names[1]} has {len(second)}: "
            f"they must have one entry per sample (nothing is truncated)"
        )
    return len(first)


def _check_count(value: Any, name: str, minimum: int = 1) -> int:
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _samples(X: Any, y: Any, needs_y: str = "") -> tuple[np.ndarray, np.ndarray | None, int]:
    """X and y as arrays, and their common length; ``needs_y`` names a caller that refuses y=None."""
    X = as_numbers(X, "X")
    if y is None and needs_y:
        raise ValueError(f"{needs_y} needs targets y, got None")
    if y is None:
        if X.ndim == 0:
            raise ValueError("X must be an array of samples, got a single number")
        return X, None, len(X)
    y = as_numbers(y, "y")
    return X, y, check_same_length(X, y, ("X", "y"), "samples")


# -- batches ----------------------------------------------------------------------------------


def batches_per_epoch(n_samples: int, batch_size: int, drop_last: bool = False) -> int:
    """Iterations per epoch: ⌈N/B⌉, or ⌊N/B⌋ when the last, short batch is dropped."""
    n = _check_count(n_samples, "n_samples", 0)
    b = _check_count(batch_size, "batch_size")
    return n // b if drop_last else -(-n // b)


def epochs_for(iterations: int, n_samples: int, batch_size: int, drop_last: bool = False) -> float:
    """How many epochs ``iterations`` updates make: iterations / batches_per_epoch.

    ``epochs_for(30000, 100000, 128)`` is 30000/782 ≈ 38.36.
    """
    iterations = _check_count(iterations, "iterations", 0)
    per_epoch = batches_per_epoch(n_samples, batch_size, drop_last)
    if per_epoch == 0:
        raise ValueError(
            f"epochs_for: no full batch of batch_size={batch_size} fits in n_samples={n_samples} (drop_last=True)"
        )
    return iterations / per_epoch


class Batches:
    """The batches of one data set; each ``iter()`` over it is one epoch.

    Iterating yields ``(X_batch, y_batch)`` pairs (``y_batch`` is None when ``y`` is).
    With ``shuffle=True`` every epoch, that is every ``iter()`` (every ``for`` loop over
    it), takes a fresh permutation of the N samples from the one generator made from
    ``rng`` at construction: epochs differ from each other, and the whole sequence of
    epochs is the same for the same seed. With ``shuffle=False`` batches come in the
    data's order, as slices (views, no copy).

    ``len()`` is the number of batches per epoch, ⌈N/B⌉, or ⌊N/B⌋ with
    ``drop_last=True``; without it the last batch holds the N mod B samples left over
    (when B does not divide N). A batch size above N gives one batch of all N samples.
    """

    def __init__(
        self,
        X: Any,
        y: Any,
        batch_size: int,
        shuffle: bool = True,
        drop_last: bool = False,
        rng: Any = None,
    ) -> None:
        self.X, self.y, self.n_samples = _samples(X, y)
        self.batch_size = _check_count(batch_size, "batch_size")
        for name, flag in (("shuffle", shuffle), ("drop_last", drop_last)):
            if not isinstance(flag, (bool, np.bool_)):  # a seed or Generator passed in its place, say
                raise TypeError(
                    f"batches: {name} must be True or False, got {type(flag).__name__} {flag!r}"
                    + ("; pass the seed or Generator as rng=" if name == "drop_last" else "")
                )
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.rng = as_generator(rng, "batches")
        if self.n_samples == 0:
            raise ValueError("batches needs at least one sample, got an empty X")
        if len(self) == 0:
            raise ValueError(
                f"drop_last=True with batch_size={self.batch_size} > {self.n_samples} samples "
                "leaves no batch at all"
            )

    def __len__(self) -> int:
        return batches_per_epoch(self.n_samples, self.batch_size, self.drop_last)

    def __iter__(self) -> Iterator[tuple[np.ndarray, np.ndarray | None]]:
        order = self.rng.permutation(self.n_samples) if self.shuffle else None
        for k in range(len(self)):
            start, stop = k * self.batch_size, min((k + 1) * self.batch_size, self.n_samples)
            rows = slice(start, stop) if order is None else order[start:stop]
            yield self.X[rows], (None if self.y is None else self.y[rows])

    def __repr__(self) -> str:
        return (
            f"Batches(n_samples={self.n_samples}, batch_size={self.batch_size}, "
            f"shuffle={self.shuffle}, drop_last={self.drop_last}, batches={len(self)})"
        )


def batches(
    X: Any,
    y: Any,
    batch_size: int,
    shuffle: bool = True,
    drop_last: bool = False,
    rng: Any = None,
) -> Batches:
    """The batches of (X, y): batch GD with ``batch_size=len(X)``, SGD with 1, mini-batch
    in between. Returns a ``Batches`` iterable: ``for xb, yb in data`` is one epoch, and
    each new loop reshuffles (see ``Batches``).

    >>> data = batches(np.zeros((100000, 1)), np.zeros(100000), batch_size=128, rng=0)
    >>> len(data), [len(xb) for xb, _ in data][-1]
    (782, 32)
    """
    return Batches(X, y, batch_size, shuffle, drop_last, rng)


# -- splits -----------------------------------------------------------------------------------


def _split_size(size: Any, n: int, name: str) -> int:
    """A fraction in (0, 1) rounded up, as scikit-learn does (⌈size·n⌉), or a count."""
    if isinstance(size, numbers.Integral) and not isinstance(size, bool):
        count = int(size)
    elif isinstance(size, numbers.Real) and 0.0 < size < 1.0:
        count = math.ceil(size * n)
    else:
        raise ValueError(f"{name} must be a fraction in (0, 1) or a number of samples, got {size!r}")
    if not 1 <= count <= n:
        raise ValueError(f"{name}={size!r} gives {count} of the {n} samples; it must be at least 1")
    return count


def _split(n: int, sizes: Sequence[tuple[Any, str]], shuffle: bool, rng: Any) -> list[np.ndarray]:
    """Rows of the training part, then one set of rows per requested size, in order."""
    counts = [_split_size(size, n, name) for size, name in sizes]
    n_train = n - sum(counts)
    if n_train < 1:
        given = ", ".join(f"{name}={size!r}" for size, name in sizes)
        raise ValueError(f"{given} leave no training sample out of {n}")
    order = as_generator(rng, "split").permutation(n) if shuffle else np.arange(n)
    bounds = np.cumsum([n_train, *counts])
    return [np.sort(part) for part in np.split(order, bounds[:-1])]


def train_test_split(
    X: Any, y: Any, test_size: float | int = 0.25, shuffle: bool = True, rng: Any = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(X_train, X_test, y_train, y_test)``, scikit-learn's order.

    ``test_size`` is a fraction (the test set gets ⌈test_size·N⌉ samples) or a count.
    Shuffled by default; with ``shuffle=False`` the test set is the last samples. Each
    part keeps the samples in their original relative order.
    """
    X, y, n = _samples(X, y, "train_test_split")
    train, test = _split(n, [(test_size, "test_size")], shuffle, rng)
    return X[train], X[test], y[train], y[test]


def train_val_test_split(
    X: Any,
    y: Any,
    val_size: float | int = 0.15,
    test_size: float | int = 0.15,
    shuffle: bool = True,
    rng: Any = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(X_train, X_val, X_test, y_train, y_val, y_test)``: train to fit, validation to
    choose (hyperparameters, the epoch to stop at), test touched once at the end.

    Sizes as in ``train_test_split``; the training set gets what is left. Without
    shuffling the order is train, validation, test.
    """
    X, y, n = _samples(X, y, "train_val_test_split")
    train, val, test = _split(n, [(val_size, "val_size"), (test_size, "test_size")], shuffle, rng)
    return X[train], X[val], X[test], y[train], y[val], y[test]


def kfold(n: int, k: int = 5, shuffle: bool = True, rng: Any = None) -> list[tuple[np.ndarray, np.ndarray]]:
    """K-fold cross-validation indices: a list of K ``(train_indices, val_indices)``.

    The N indices are split into K disjoint folds that cover every index exactly once;
    fold i is the validation set of split i and the other K-1 folds are its training
    set. Fold sizes differ by at most one: the first N mod K folds have ⌊N/K⌋ + 1
    indices. Without shuffling fold i is a contiguous block (as scikit-learn's
    ``KFold``); with it, the folds are drawn from a random permutation. Indices are
    sorted within each array.
    """
    n = _check_count(n, "n")
    k = _check_count(k, "k", 2)
    if k > n:
        raise ValueError(f"kfold needs k <= n: cannot make {k} folds out of {n} samples")
    order = as_generator(rng, "kfold").permutation(n) if shuffle else np.arange(n)
    sizes = np.full(k, n // k)
    sizes[: n % k] += 1
    folds = np.split(order, np.cumsum(sizes)[:-1])
    return [
        (np.sort(np.concatenate(folds[:i] + folds[i + 1 :])), np.sort(fold)) for i, fold in enumerate(folds)
    ]


@dataclasses.dataclass(frozen=True)
class CrossValidation:
    """What ``cross_validate`` found: the score of each fold, their mean and standard
    deviation, and the K trained models (model i was trained without fold i)."""

    scores: np.ndarray
    models: list

    @property
    def mean(self) -> float:
        return float(np.mean(self.scores))

    @property
    def std(self) -> float:
        return float(np.std(self.scores))


def cross_validate(
    make_model: Callable[[], Any],
    fit_and_score: Callable[[Any, np.ndarray, np.ndarray, np.ndarray, np.ndarray], float],
    X: Any,
    y: Any,
    k: int = 5,
    shuffle: bool = True,
    rng: Any = None,
) -> CrossValidation:
    """K-fold cross-validation: K models, each scored on the fold it did not see.

    For each split of ``kfold(len(X), k, shuffle, rng)`` a fresh model is made with
    ``make_model()`` and ``fit_and_score(model, X_train, y_train, X_val, y_val)`` trains
    it and returns its validation score (an error rate, a loss, an accuracy: whatever
    you want averaged). The result holds the K scores, their ``mean`` (the classifier's
    cross-validated score) and the models.
    """
    X, y, n = _samples(X, y, "cross_validate")
    scores, models = [], []
    for train, val in kfold(n, k, shuffle, rng):
        model = make_model()
        scores.append(float(fit_and_score(model, X[train], y[train], X[val], y[val])))
        models.append(model)
    return CrossValidation(np.array(scores), models)


# -- early stopping ---------------------------------------------------------------------------


class EarlyStopping:
    """Stop when the validation score stops improving, and go back to the best model (early stopping).

    Call ``step(value, model)`` once per epoch with the validation value. A value
    *improves* when it beats the best so far by more than ``min_delta``: below
    ``best - min_delta`` for ``mode="min"`` (a loss, an error rate), above
    ``best + min_delta`` for ``mode="max"`` (an accuracy). The first value always
    improves; NaN never does. On each improvement a copy of the model's parameters is
    kept. ``step`` returns True once ``patience`` epochs in a row have brought no
    improvement (and keeps returning True while that lasts); ``restore(model)`` then
    puts the best parameters back.

    The model is anything with ``state_dict``/``load_state_dict`` (every ``nn.Module``,
    the scalar ``MLP`` included; buffers such as BatchNorm's running statistics come
    along), or a list of parameters (Values or Tensors) whose ``data`` is copied.

    Attributes: ``best`` (the best value, None before the first step), ``best_epoch``
    (the 0-based step that gave it), ``bad_epochs`` (steps since then without
    improvement), ``epoch`` (steps taken).
    """

    def __init__(self, patience: int, min_delta: float = 0.0, mode: str = "min") -> None:
        self.patience = _check_count(patience, "patience")
        if not isinstance(min_delta, numbers.Real) or not min_delta >= 0:
            raise ValueError(f"min_delta must be a number >= 0, got {min_delta!r}")
        if not isinstance(mode, str) or mode not in ("min", "max"):
            raise ValueError(
                f"mode must be 'min' (lower is better) or 'max' (higher is better), got {mode!r}"
            )
        self.min_delta = float(min_delta)
        self.mode = mode
        self.best: float | None = None
        self.best_epoch: int | None = None
        self.bad_epochs = 0
        self.epoch = 0
        self._snapshot: Any = None

    def improves(self, value: float) -> bool:
        """Whether ``value`` beats the best so far by more than ``min_delta``."""
        if self.best is None:
            return not math.isnan(value)
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def step(self, value: float, model: Any = None) -> bool:
        """Record this epoch's validation ``value``; True when training should stop.

        ``value`` is a number, a one-element Tensor or a Value; ``model`` (optional) is
        copied when ``value`` improves, for ``restore``.
        """
        number = as_numbers(value, "EarlyStopping.step value")
        if number.size != 1:
            raise ValueError(
                f"EarlyStopping.step needs one number per epoch, got an array of shape {number.shape}"
            )
        value = float(number.reshape(()))
        if self.improves(value):
            self.best, self.best_epoch, self.bad_epochs = value, self.epoch, 0
            if model is not None:
                self._snapshot = _copy_parameters(model)
        else:
            self.bad_epochs += 1
        self.epoch += 1
        return self.bad_epochs >= self.patience

    @property
    def should_stop(self) -> bool:
        """What the last ``step`` returned."""
        return self.bad_epochs >= self.patience

    def restore(self, model: Any) -> Any:
        """Put the parameters of the best epoch back into ``model``; returns it."""
        if self._snapshot is None:
            raise RuntimeError(
                "EarlyStopping.restore: no parameters were kept; pass the model to step(value, model)"
            )
        _load_parameters(model, self._snapshot)
        return model

    def __repr__(self) -> str:
        return (
            f"EarlyStopping(patience={self.patience}, min_delta={self.min_delta}, mode={self.mode!r}, "
            f"best={self.best}, best_epoch={self.best_epoch}, bad_epochs={self.bad_epochs})"
        )


def _copy_parameters(model: Any) -> Any:
    if hasattr(model, "state_dict") and hasattr(model, "load_state_dict"):
        return model.state_dict()
    try:
        return [np.array(p.data) for p in model]
    except (TypeError, AttributeError):
        raise TypeError(
            "EarlyStopping needs a model with state_dict()/load_state_dict() or a list of "
            f"parameters (Values or Tensors), got {type(model).__name__}"
        ) from None


def _load_parameters(model: Any, snapshot: Any) -> None:
    if isinstance(snapshot, dict):
        model.load_state_dict(snapshot)
        return
    params = list(model)
    if len(params) != len(snapshot):
        raise ValueError(
            f"EarlyStopping.restore: {len(snapshot)} parameters were kept, the model has {len(params)}"
        )
    for p, saved in zip(params, snapshot):
        p.data = float(saved) if isinstance(p, Value) else np.array(saved, dtype=p.data.dtype)
