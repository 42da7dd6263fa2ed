"""The training loop (the slides' mini-batch SGD): ``fit``, ``evaluate``, ``predict``, and the
``History`` of a run.

    history = nn.fit(model, loss_fn, optimizer, (X, y), epochs=20, batch_size=32,
                     val_data=(X_val, y_val), metrics=["accuracy"])
    viz.plot_history(history)                                  # loss and accuracy per epoch
    viz.plot_history(history.iterations, x="iteration")        # loss and lr per update

One epoch is one pass over the training data in ⌈N/B⌉ mini-batches, reshuffled every
epoch (``nn.data.batches``); one iteration is one update: ``optimizer.zero_grad()``, the
forward pass, ``loss_fn``, ``backward()``, ``optimizer.step()``. Batch gradient descent
is ``batch_size=N``, SGD ``batch_size=1``.

**Both engines.** The engine is the model's: a model whose parameters are all ``Value``s
(the scalar ``nn.MLP``) runs on the scalar engine, any other on the tensor engine.

- Tensor engine: the model is called once per batch with an ``autodiff.Tensor`` of the
  batch's rows, shape (B, ...); ``loss_fn(outputs, y_batch)`` gets the model's output
  Tensor and the targets as a numpy array (what ``nn.functional``'s losses and the loss
  modules take: ``loss_fn=nn.CrossEntropyLoss()`` works as it is).
- Scalar engine: the model is called once per row, with the row as a list of floats, and
  ``loss_fn(outputs, y_batch)`` gets the list of the B outputs (each a ``Value``, or a
  list of Values for a model with several outputs) and the targets as a list of Python
  numbers (a column y of shape (N, 1) given as one number per row when each output is
  one Value), so ``sum((1 - yi * si).relu() for yi, si in zip(y_batch, outputs))`` reads
  as micrograd's does. The built-in losses take these lists as they are:
  ``loss_fn=nn.HingeLoss()`` trains ``nn.MLP(2, [16, 16, 1])`` on labels -1 and +1,
  ``nn.CrossEntropyLoss()`` an ``nn.MLP(2, [16, 3])`` on class indices, each loss a
  graph of Values.

Either way ``loss_fn`` returns the batch's loss as one node: a ``Value`` or a Tensor with
one element, usually the mean over the batch (on the slides the update uses the mean
gradient). A penalty belongs in it too: ``lambda out, y: F.mse_loss(out, y) +
nn.l2_penalty(model, 1e-3)``.

**Metrics.** ``metrics`` is a list whose items are ``"accuracy"`` or ``"error_rate"``
(the labels a model's scores stand for are found by ``predicted_labels``), functions
``metric(y_true, scores) -> float`` named by their ``__name__``, or (name, function)
pairs; a dict of name -> function works too. ``scores`` are the model's outputs as a
numpy array (``predict``'s). Each metric appears twice in the history: ``<name>``,
measured on the epoch's training batches as they were trained (training mode, the
parameters moving from batch to batch, Keras's convention; ``evaluate`` on the training
data gives the exact figure), and ``val_<name>``, on ``val_data`` after the epoch.

**Callbacks.** Each callback is a function called once per epoch, after validation, as
``callback(record)``, where ``record`` is that epoch's dict: ``epoch`` (from 1),
``loss``, each metric, ``val_loss`` and ``val_<metric>`` when there is validation data,
``lr`` (the last update's learning rate), ``iterations`` (updates so far) and
``seconds`` (the epoch's duration, validation included). A callback may add numbers to the record (they
become series of the history) and returns True to stop training after this epoch
(None, or anything false, carries on). A callback reaches the model, the optimizer
or the data through its closure.

**Early stopping.** ``early_stopping=nn.data.EarlyStopping(patience)`` is given
``record[monitor]`` (``monitor="val_loss"`` by default) and the model after every
epoch, once the callbacks have run; training stops when it says so, and at the end the
parameters of the best epoch (``history.best_epoch``) are restored into the model,
whether it stopped early or the epochs ran out.

**A diverged run.** A batch whose loss is NaN or infinite (a learning rate too large,
say) ends training: that update is made, the epoch's record is completed (its loss is
NaN or infinite; validation, callbacks and early stopping run as usual, and early
stopping still restores its best epoch) and a ``RuntimeWarning`` names the epoch, the
iteration and the learning rate, instead of epoch after epoch of NaN.

**Modes.** Training passes run in training mode (``model.train()``: fresh dropout masks,
batch statistics), validation, ``evaluate`` and ``predict`` in evaluation mode under
``autodiff.no_grad()``; all three leave every submodule in the mode they found it in.

Long runs on big tensors may go faster after ``autodiff.keep_freed_memory()`` (see its
docstring); it changes how the whole process uses memory, so nothing here calls it.
"""

from __future__ import annotations

import contextlib
import math
import numbers
import time
import warnings
from collections.abc import Mapping
from typing import Any, Callable, Iterator, Sequence

import numpy as np
from autodiff import Tensor, Value, no_grad

from . import metrics as label_metrics
from .data import batches
from .inputs import numbers_of
from .progress import progress_bar

Metric = Callable[[np.ndarray, np.ndarray], float]  # metric(y_true, scores) -> a number
Callback = Callable[[dict], Any]  # callback(record) -> True to stop training

# record entries that describe the epoch rather than measure the model: kept in
# ``History.epochs``, left out of the series the history maps
BOOKKEEPING = ("epoch", "lr", "iterations", "seconds")


class History(Mapping):
    """What ``fit`` recorded: per epoch, per iteration, and where early stopping left off.

    As a mapping it holds the per-epoch series, name -> list of floats, one per epoch:
    ``"loss"`` (the mean training loss over the epoch's batches), each metric on the
    training batches, ``"val_loss"`` and ``"val_<metric>"``, and whatever the callbacks
    added (NaN for an epoch where one was missing). That is what ``viz.plot_history``
    draws: ``plot_history(history)``.

    Attributes:
        epochs: the records the callbacks saw, one dict per epoch, with the bookkeeping
            entries too (``epoch``, ``lr``, ``iterations``, ``seconds``).
        iterations: per update, ``"iteration"`` (the optimizer's step count k before
            the update, so a fresh optimizer counts 0, 1, ...), ``"loss"`` (that batch's
            loss) and ``"lr"`` (the learning rate the update used, ``lr(k)`` for a
            schedule): ``plot_history(history.iterations, x="iteration")``.
        best_epoch: the epoch whose parameters early stopping restored (None without it).
        stopped_epoch: the epoch after which early stopping ended training (None if it
            did not, or was not used).
    """

    def __init__(self) -> None:
        self.epochs: list[dict[str, Any]] = []
        self.iterations: dict[str, list[float]] = {"iteration": [], "loss": [], "lr": []}
        self.best_epoch: int | None = None
        self.stopped_epoch: int | None = None

    def __getitem__(self, name: str) -> list[float]:
        if name in BOOKKEEPING or not any(name in record for record in self.epochs):
            raise KeyError(f"no series {name!r} in the history; it has {list(self)}")
        return [float(record.get(name, math.nan)) for record in self.epochs]

    def __iter__(self) -> Iterator[str]:
        names: dict[str, None] = {}
        for record in self.epochs:
            names.update((name, None) for name in record if name not in BOOKKEEPING)
        return iter(names)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __repr__(self) -> str:
        return (
            f"History({len(self.epochs)} epochs, {len(self.iterations['loss'])} iterations, "
            f"series {list(self)})"
        )


# -- checks -----------------------------------------------------------------------------


def _check_data(data: Any, owner: str, name: str) -> tuple[np.ndarray, np.ndarray]:
    """``data`` as (X, y) arrays with the same number of rows, at least one."""
    if not isinstance(data, (tuple, list)) or len(data) != 2:
        raise TypeError(f"{owner}: {name} must be a pair (X, y) of arrays, got {type(data).__name__}")
    X, y = numbers_of(data[0]), numbers_of(data[1])
    if X.ndim == 0 or y.ndim == 0:
        raise ValueError(
            f"{owner}: {name} needs one row per sample in X and in y, got shapes {X.shape} and {y.shape}"
        )
    if len(X) != len(y):
        raise ValueError(
            f"{owner}: {name} has {len(X)} inputs (rows of X) but {len(y)} targets (rows of y); "
            "they must be the same number"
        )
    if len(X) == 0:
        raise ValueError(f"{owner}: {name} is empty")
    return X, y


def _positive_int(value: Any, owner: str, name: str, allow_none: bool = False) -> int | None:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{owner}: {name} must be a positive int, got {value!r}")
    return int(value)


def _check_model(model: Any, owner: str) -> bool:
    """Check ``model`` is a module; True if it runs on the scalar engine (all its parameters Values)."""
    if not all(hasattr(model, name) for name in ("parameters", "named_modules", "train", "eval")):
        raise TypeError(f"{owner}: model must be an nn.Module, got {type(model).__name__}")
    params = model.parameters()
    return bool(params) and all(isinstance(p, Value) for p in params)


def _check_optimizer(optimizer: Any, model: Any) -> None:
    needed = ("zero_grad", "step", "learning_rate", "step_count", "params")
    missing = [attribute for attribute in needed if not hasattr(optimizer, attribute)]
    if missing:
        raise TypeError(
            f"fit: optimizer must be an optim.Optimizer; a {type(optimizer).__name__} "
            f"has no {', '.join(missing)}"
        )
    owned = {id(p) for p in optimizer.params}
    if not any(id(p) in owned for p in model.parameters()):
        raise ValueError(
            "fit: the optimizer holds none of the model's parameters; build it from model.parameters()"
        )


def _check_early_stopping(early_stopping: Any, monitor: Any, has_val_data: bool) -> None:
    """Refuse, before any update, an ``early_stopping`` without EarlyStopping's interface,
    a ``monitor`` that is not a name, or a validation entry to watch without validation data."""
    if early_stopping is None:
        return
    needed = ("step", "restore", "best_epoch", "epoch")
    missing = [attribute for attribute in needed if not hasattr(early_stopping, attribute)]
    if missing:
        raise TypeError(
            f"fit: early_stopping must be an nn.data.EarlyStopping (or None); a "
            f"{type(early_stopping).__name__} has no {', '.join(missing)}"
        )
    if not isinstance(monitor, str):
        raise TypeError(f"fit: monitor must name an entry of the epoch's record, got {monitor!r}")
    if monitor.startswith("val_") and not has_val_data:
        raise ValueError(
            f"fit: early stopping watches {monitor!r} but no val_data was given; "
            "give val_data or monitor='loss'"
        )


def _check_callbacks(callbacks: Any) -> list[Callback]:
    if callable(callbacks) or isinstance(callbacks, (str, bytes)):
        raise TypeError("fit: callbacks must be a list of functions; wrap one in a list: callbacks=[f]")
    callbacks = list(callbacks)
    for i, callback in enumerate(callbacks):
        if not callable(callback):
            raise TypeError(
                f"fit: callback {i} is a {type(callback).__name__}, not a function of the epoch's record"
            )
    return callbacks


def _check_record(record: dict, i: int) -> None:
    """Refuse an entry callback ``i`` put into the record that is not one number: the
    history makes a series of floats of each entry, which would fail only when read."""
    for name, value in record.items():
        if name in BOOKKEEPING:
            continue
        number = isinstance(value, numbers.Real) or (
            isinstance(value, np.ndarray) and value.size == 1 and value.dtype.kind in "fiub"
        )
        if not number:
            raise TypeError(
                f"fit: callback {i} put {name!r} = {value!r} into the epoch's record; the record "
                "holds one number per entry (each becomes a series of the history)"
            )


# -- metrics ----------------------------------------------------------------------------


def predicted_labels(scores: Any, y_true: Any = None) -> np.ndarray:
    """The class each row of a model's ``scores`` stands for.

    Scores of shape (N, C) with C > 1: the argmax of each row (class indices). Scores of
    shape (N,) or (N, 1): one score per sample, a logit or a margin (what
    ``binary_cross_entropy_with_logits`` and ``hinge_loss`` take), so the class is
    positive (1) where the score is > 0, negative elsewhere; the negative label is -1
    when ``y_true`` holds a -1 (the hinge loss's labels), else 0. A model that ends in a
    sigmoid outputs probabilities, whose threshold is 0.5: give ``fit`` a metric
    function of your own for it.
    """
    scores = np.asarray(scores, dtype=float)
    if scores.ndim == 2 and scores.shape[1] > 1:
        return scores.argmax(axis=1)
    if scores.ndim not in (1, 2):
        raise ValueError(
            f"predicted_labels: scores must have shape (N,), (N, 1) or (N, C), got {scores.shape}"
        )
    negative = -1 if y_true is not None and np.any(np.asarray(y_true) == -1) else 0
    return np.where(scores.reshape(len(scores)) > 0, 1, negative)


def _on_labels(metric: Callable[[np.ndarray, np.ndarray], float]) -> Metric:
    """A metric of (y_true, y_pred labels) as a metric of (y_true, scores)."""

    def on_scores(y_true: np.ndarray, scores: np.ndarray) -> float:
        y_true = np.asarray(y_true)
        if y_true.ndim == 2 and y_true.shape[1] == 1:
            y_true = y_true[:, 0]
        return metric(y_true, predicted_labels(scores, y_true))

    return on_scores


LABEL_METRICS = {"accuracy": label_metrics.accuracy, "error_rate": label_metrics.error_rate}


def _metric_table(metrics: Any, owner: str) -> dict[str, Metric]:
    """``metrics`` (see the module docstring) as name -> metric(y_true, scores)."""
    if isinstance(metrics, (str, bytes)) or callable(metrics):
        raise TypeError(f"{owner}: metrics must be a list; wrap one metric in a list: metrics=[{metrics!r}]")
    if not isinstance(metrics, (Mapping, list, tuple)):
        raise TypeError(
            f"{owner}: metrics must be a list (or dict) of metric names or functions, got a {type(metrics).__name__}"
        )
    items = list(metrics.items()) if isinstance(metrics, Mapping) else list(metrics)
    table: dict[str, Metric] = {}
    for i, item in enumerate(items):
        if isinstance(item, str):
            if item not in LABEL_METRICS:
                raise ValueError(
                    f"{owner}: unknown metric {item!r}; name one of {', '.join(map(repr, LABEL_METRICS))} "
                    "or give a function metric(y_true, scores)"
                )
            name, function = item, _on_labels(LABEL_METRICS[item])
        elif isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str) and callable(item[1]):
            name, function = item
        elif callable(item):
            name, function = getattr(item, "__name__", ""), item
            if not name.isidentifier():
                raise ValueError(
                    f"{owner}: metric {i} has no usable name ({name!r}); give it as a (name, function) pair"
                )
        else:
            raise TypeError(
                f"{owner}: metrics[{i}] is a {type(item).__name__}: give a name, a function "
                "or a (name, function) pair"
            )
        if name == "loss" or name.startswith("val_") or name in BOOKKEEPING or name in table:
            raise ValueError(
                f"{owner}: {name!r} cannot name a metric (taken, or reserved for the loop's own entries)"
            )
        table[name] = function
    return table


def _measure(table: dict[str, Metric], y_true: np.ndarray, scores: np.ndarray) -> dict[str, float]:
    return {name: float(metric(y_true, scores)) for name, metric in table.items()}


# -- one batch through either engine ------------------------------------------------------


def _forward(model: Any, X: np.ndarray, scalar: bool) -> Any:
    """The model's outputs for the rows of ``X``: one call per row (scalar) or one Tensor call."""
    if scalar:
        return [model(row) for row in X.tolist()]
    return model(Tensor(X))


def _targets(y: np.ndarray, scalar: bool, outputs: Any) -> Any:
    """The targets as ``loss_fn`` gets them: Python numbers (scalar engine) or the array.

    On the scalar engine a column of targets, shape (B, 1), for a model with one output
    per row (each a Value, so the outputs have shape (B,)) becomes the B numbers, one per
    output: what the built-in losses pair with a list of B Values."""
    if not scalar:
        return y
    if y.ndim == 2 and y.shape[1] == 1 and all(isinstance(out, Value) for out in outputs):
        return y[:, 0].tolist()
    return y.tolist()


def _scores(outputs: Any, scalar: bool) -> np.ndarray:
    """The numbers of a batch's outputs: shape (B,) for one output per row, else (B, C)."""
    if scalar:
        rows = [[v.data for v in out] if isinstance(out, (list, tuple)) else out.data for out in outputs]
        return np.array(rows, dtype=float)
    return numbers_of(outputs)


def _loss_number(loss: Any, owner: str) -> float:
    """The loss as a float, after checking it is one node that ``backward()`` can start from."""
    if isinstance(loss, Value):
        return loss.data
    if isinstance(loss, Tensor) and loss.size == 1:
        return float(loss.data.reshape(()))
    shape = f" of shape {loss.shape}" if isinstance(loss, Tensor) else ""
    raise TypeError(
        f"{owner}: loss_fn must return the batch's loss as one Value or a Tensor with one element, "
        f"got a {type(loss).__name__}{shape} (reduce it, e.g. with reduction='mean')"
    )


@contextlib.contextmanager
def _modes_kept(model: Any) -> Iterator[None]:
    """Put every submodule back into the mode (train or eval) it had, on leaving the block."""
    modes = [(module, module.training) for _, module in model.named_modules()]
    try:
        yield
    finally:
        for module, training in modes:
            module.training = training


def _chunks(n: int, size: int | None) -> Iterator[slice]:
    size = n if size is None else size
    for start in range(0, n, size):
        yield slice(start, min(start + size, n))


# -- the public functions -------------------------------------------------------------------


def predict(model: Any, X: Any, batch_size: int | None = None) -> np.ndarray:
    """The model's outputs for the rows of ``X``, as numbers, in evaluation mode under ``no_grad``.

    Shape (N, C) for a tensor model's (N, C) outputs; for the scalar MLP (N,) when it
    has one output, else (N, C). ``batch_size`` bounds how many rows go through the
    model at once (default: all).
    """
    scalar = _check_model(model, "predict")
    X = numbers_of(X)
    if X.ndim == 0 or len(X) == 0:
        raise ValueError(f"predict: X needs at least one row, got shape {X.shape}")
    batch_size = _positive_int(batch_size, "predict", "batch_size", allow_none=True)
    with _modes_kept(model), no_grad():
        model.eval()
        parts = [_scores(_forward(model, X[rows], scalar), scalar) for rows in _chunks(len(X), batch_size)]
    return np.concatenate(parts)


def evaluate(model: Any, loss_fn: Callable[[Any, Any], Any], data: Any, metrics: Any = (),
             batch_size: int | None = None) -> dict[str, float]:
    """``{"loss": ..., <metric>: ...}`` of the model on ``data = (X, y)``, in evaluation mode
    under ``no_grad``.

    The loss is the mean of ``loss_fn`` over batches of ``batch_size`` rows (default: all
    at once), weighted by their sizes, so a mean loss gives the mean over all samples;
    the metrics are computed once, on every row's scores. ``loss_fn`` and ``metrics`` are
    as for ``fit``.
    """
    scalar = _check_model(model, "evaluate")
    X, y = _check_data(data, "evaluate", "data")
    if not callable(loss_fn):
        raise TypeError(f"evaluate: loss_fn must be a function loss_fn(outputs, y), got {loss_fn!r}")
    table = _metric_table(metrics, "evaluate")
    batch_size = _positive_int(batch_size, "evaluate", "batch_size", allow_none=True)
    total, scores = 0.0, []
    with _modes_kept(model), no_grad():
        model.eval()
        for rows in _chunks(len(X), batch_size):
            outputs = _forward(model, X[rows], scalar)
            loss = loss_fn(outputs, _targets(y[rows], scalar, outputs))
            total += _loss_number(loss, "evaluate") * len(y[rows])
            scores.append(_scores(outputs, scalar))
    return {"loss": total / len(X), **_measure(table, y, np.concatenate(scores))}


def fit(
    model: Any,
    loss_fn: Callable[[Any, Any], Any],
    optimizer: Any,
    train_data: Any,
    epochs: int,
    batch_size: int,
    val_data: Any = None,
    metrics: Any = (),
    callbacks: Sequence[Callback] = (),
    early_stopping: Any = None,
    progress: bool = True,
    *,
    monitor: str = "val_loss",
    shuffle: bool = True,
    drop_last: bool = False,
    rng: Any = 0,
) -> History:
    """Train ``model`` on ``train_data = (X, y)`` for ``epochs`` passes of mini-batches of
    ``batch_size`` rows; return the ``History``.

    Every iteration: ``optimizer.zero_grad()``, the forward pass in training mode,
    ``loss = loss_fn(outputs, y_batch)``, ``loss.backward()``, ``optimizer.step()``; the
    learning rate each update uses is read from the optimizer
    (``optimizer.learning_rate(optimizer.step_count)``). After each epoch: the metrics on
    that epoch's batches, then ``evaluate`` on ``val_data`` (loss and metrics, prefixed
    ``val_``), then the callbacks, then early stopping. See the module docstring for how
    ``loss_fn``, ``metrics``, callbacks and ``early_stopping`` are called.

    ``progress``: a progress bar over the iterations, showing the last epoch's losses:
    tqdm's text bar when stderr is a terminal, its widget in a live Jupyter notebook, and
    no bar where nobody watches (stderr sent to a file, a notebook run by nbclient or
    nbconvert; see ``nn.progress``). ``monitor``: the record entry early stopping watches.
    ``shuffle``: reshuffle the rows every epoch (default) or keep their order.
    ``drop_last``: leave out each epoch's last batch when it is short (BatchNorm cannot
    train on a batch of one row), so an epoch has ⌊N/B⌋ iterations instead of ⌈N/B⌉. ``rng``:
    the shuffling's ``numpy.random.Generator`` or int seed (default 0: the same batches
    run after run; None for nn's global generator, see ``nn.manual_seed``).
    """
    scalar = _check_model(model, "fit")
    _check_optimizer(optimizer, model)
    X, y = _check_data(train_data, "fit", "train_data")
    epochs = _positive_int(epochs, "fit", "epochs")
    batch_size = _positive_int(batch_size, "fit", "batch_size")
    if val_data is not None:
        _check_data(val_data, "fit", "val_data")
    if not callable(loss_fn):
        raise TypeError(f"fit: loss_fn must be a function loss_fn(outputs, y_batch), got {loss_fn!r}")
    table = _metric_table(metrics, "fit")
    callbacks = _check_callbacks(callbacks)
    _check_early_stopping(early_stopping, monitor, val_data is not None)
    # each loop over it is one epoch, with a new shuffle
    epoch_batches = batches(X, y, batch_size, shuffle=shuffle, drop_last=drop_last, rng=rng)

    history = History()
    bar = progress_bar(progress, total=epochs * len(epoch_batches), desc="fit", unit="it")
    with _modes_kept(model), bar:
        for epoch in range(1, epochs + 1):
            started = time.perf_counter()
            model.train()
            loss_sum, seen, batch_scores, batch_targets, diverged = 0.0, 0, [], [], False
            for X_batch, y_batch in epoch_batches:
                optimizer.zero_grad()
                outputs = _forward(model, X_batch, scalar)
                loss = loss_fn(outputs, _targets(y_batch, scalar, outputs))
                value = _loss_number(loss, "fit")
                loss.backward()
                k = optimizer.step_count
                lr = optimizer.learning_rate(k)
                optimizer.step()
                for name, number in (("iteration", k), ("loss", value), ("lr", lr)):
                    history.iterations[name].append(number)
                loss_sum += value * len(y_batch)
                seen += len(y_batch)
                if table:
                    batch_scores.append(_scores(outputs, scalar))
                    batch_targets.append(y_batch)
                bar.update()
                if not math.isfinite(value):
                    diverged = True
                    warnings.warn(
                        f"fit: the loss is {value} at epoch {epoch}, iteration {k} (learning rate {lr:g}): "
                        "the run diverged, so training stops after this epoch's record; "
                        "a smaller learning rate may help",
                        RuntimeWarning,
                        stacklevel=2,
                    )
                    break

            record: dict[str, Any] = {"epoch": epoch, "loss": loss_sum / seen}
            if table:
                record.update(_measure(table, np.concatenate(batch_targets), np.concatenate(batch_scores)))
            if val_data is not None:
                scores = evaluate(model, loss_fn, val_data, table, batch_size)
                record.update({f"val_{name}": number for name, number in scores.items()})
            iterations = len(history.iterations["loss"])
            record.update(lr=lr, iterations=iterations, seconds=time.perf_counter() - started)
            history.epochs.append(record)

            stop = diverged
            for i, callback in enumerate(callbacks):
                if callback(record):
                    stop = True
                _check_record(record, i)
            if early_stopping is not None:
                if monitor not in record:
                    raise ValueError(
                        f"fit: early stopping watches {monitor!r}, which the epoch's record lacks; "
                        f"it has {list(record)}"
                    )
                if early_stopping.step(record[monitor], model):
                    history.stopped_epoch = epoch
                    stop = True
                if early_stopping.best_epoch == early_stopping.epoch - 1:  # this epoch improved
                    history.best_epoch = epoch
            bar.set_postfix({name: f"{record[name]:.4g}" for name in ("loss", "val_loss") if name in record})
            if stop:
                break
        if early_stopping is not None and history.best_epoch is not None:
            early_stopping.restore(model)
    return history
