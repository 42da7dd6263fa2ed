"""Training pictures, each a matplotlib Figure: curves, schedules, trajectories, histograms,
decision boundaries and exponentially weighted averages.

Every function takes an optional ``ax`` to draw into (and then returns that axes'
figure), else makes a new figure through pyplot and closes it at once: Jupyter shows
the returned figure once, and a loop that makes many does not keep them all open.
Inputs are duck-typed: lists, numpy arrays, dicts, any callable. Each function checks its
arguments first (``viz.plot_args``): a bad one is a TypeError or ValueError that names the
function and the argument.
"""

from __future__ import annotations

from numbers import Integral
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure

from autodiff import checks

from . import plot_args
from .plot_args import UnknownSeriesError

SPLIT_PREFIXES = ("train_", "val_", "valid_", "validation_", "test_")


def _new_axes(ncols: int = 1, width: float = 6.0, height: float = 4.0, ax: Any = None):
    """``(figure, [axes...])``: the given axes, or new ones in a closed pyplot figure."""
    if ax is not None:
        return ax.figure, [ax]
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, ncols, figsize=(width * ncols, height), squeeze=False)
    plt.close(fig)
    return fig, list(axes[0])


def history_series(history: Any) -> dict[str, list[float]]:
    """The number series in a training history, by name.

    A history is a mapping of name -> sequence of numbers (``{"loss": [...],
    "val_loss": [...]}``), or an object whose attributes are such sequences (a
    dataclass, a namespace), or an object with a ``history`` mapping (as Keras has).
    Non-numeric entries are left out.
    """
    return _history_series(history, "history_series")


def _history_series(history: Any, owner: str) -> dict[str, list[float]]:
    history = plot_args.history_mapping(history, owner)
    series = {}
    for name, values in history.items():
        if isinstance(values, (str, bytes)) or not isinstance(values, (Sequence, np.ndarray)):
            continue
        try:
            numbers = [float(v) for v in values]
        except (TypeError, ValueError):
            continue
        if numbers:
            series[name] = numbers
    return series


def _metric_of(name: str) -> str:
    for prefix in SPLIT_PREFIXES:
        if name.startswith(prefix):
            return name[len(prefix):]
    return name


def plot_history(history: Any, keys: Sequence[str] | None = None, logy: bool = False,
                 x: str | None = None) -> Figure:
    """Loss and metric curves, one panel per metric: ``loss``, ``train_loss``, ``val_loss``
    and ``test_loss`` share the "loss" panel.

    ``history``: see :func:`history_series`. ``keys``: the series to draw (default all
    but ``x``). ``x``: the name of the series to use as the horizontal axis (e.g.
    "epoch"); default 1, 2, ... ``logy``: a log scale for the values. A name that is not in
    the history is an ``UnknownSeriesError`` (a KeyError and a ValueError).
    """
    owner = "plot_history"
    series = _history_series(history, owner)
    if not series:
        raise ValueError(f"{owner}: history holds no series of numbers (a series is a list of numbers), "
                         f"got {plot_args.got(history)}")
    checks.flag(logy, owner, "logy")
    checks.text(x, owner, "x", optional=True)
    if x is not None and x not in series:
        raise UnknownSeriesError(f"{owner}: x {x!r} is no series of the history; it has {sorted(series)}")
    xs = series.pop(x) if x is not None else None
    names = plot_args.names(keys, owner, "keys") if keys is not None else list(series)
    missing = [name for name in names if name not in series]
    if missing:
        raise UnknownSeriesError(f"{owner}: keys asks for {missing}, but there is no series of numbers "
                                 f"of that name in the history; it has {sorted(series)}")
    if not names:
        raise ValueError(f"{owner}: history holds no series to draw besides x {x!r}")
    if xs is not None:
        longer = [name for name in names if len(series[name]) > len(xs)]
        if longer:
            raise ValueError(f"{owner}: x {x!r} has {len(xs)} values, fewer than the series {longer} "
                             f"({len(series[longer[0]])} values)")
    panels: dict[str, list[str]] = {}
    for name in names:
        panels.setdefault(_metric_of(name), []).append(name)
    fig, axes = _new_axes(len(panels), width=5.0, height=3.6)
    for ax, (metric, members) in zip(axes, panels.items()):
        for name in members:
            values = series[name]
            steps = xs[: len(values)] if xs is not None else range(1, len(values) + 1)
            ax.plot(steps, values, label=name, marker="o" if len(values) <= 30 else None, markersize=3)
        ax.set_title(metric)
        ax.set_xlabel(x or "epoch")
        if logy:
            ax.set_yscale("log")
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    return fig


def plot_schedule(schedule: Callable[[int], float] | Mapping[str, Callable[[int], float]],
                  steps: int | Iterable[int] = 100, ax: Any = None, logy: bool = False) -> Figure:
    """A learning-rate schedule (any callable of the step), or several by name, over ``steps``
    (a count from 0, or the steps themselves)."""
    owner = "plot_schedule"
    if isinstance(schedule, Mapping):
        schedules = dict(schedule)
        if not schedules:
            raise ValueError(f"{owner}: schedule must name at least one schedule, got an empty mapping")
        for name, fn in schedules.items():
            checks.function(fn, owner, f"schedule[{name!r}]")
    else:
        checks.function(schedule, owner, "schedule")
        schedules = {getattr(schedule, "__name__", "lr"): schedule}
    ts = _steps(steps, owner)
    checks.flag(logy, owner, "logy")
    plot_args.axes_or_none(ax, owner)
    fig, (ax,) = _new_axes(ax=ax)
    for name, fn in schedules.items():
        drawstyle = "steps-post" if len(ts) <= 60 else "default"
        ax.plot(ts, [_rate(fn, t, name, owner) for t in ts], label=name, drawstyle=drawstyle)
    ax.set_xlabel("step")
    ax.set_ylabel("learning rate")
    if logy:
        ax.set_yscale("log")
    ax.grid(alpha=0.3)
    if len(schedules) > 1 or isinstance(schedule, Mapping):
        ax.legend()
    return fig


def _steps(steps: Any, owner: str) -> list[int]:
    """The steps to draw: ``range(steps)`` for a count, else the steps themselves (ints >= 0)."""
    if isinstance(steps, Integral) and not isinstance(steps, (bool, np.bool_)):
        return list(range(checks.whole(steps, owner, "steps", minimum=1)))
    if not checks.collection(steps):
        raise TypeError(f"{owner}: steps must be a count (an int >= 1) or a list of steps, "
                        f"got {plot_args.got(steps)}")
    ts = [checks.whole(t, owner, f"steps[{i}]", minimum=0) for i, t in enumerate(steps)]
    if not ts:
        raise ValueError(f"{owner}: steps must hold at least one step, got an empty {type(steps).__name__}")
    return ts


def _rate(schedule: Callable, t: int, name: str, owner: str) -> float:
    """The learning rate a schedule gives at step t, as a float."""
    rate = schedule(t)
    try:
        return float(rate)
    except (TypeError, ValueError):
        raise TypeError(f"{owner}: schedule {name!r} gave {plot_args.got(rate)} at step {t}, "
                        "not a number") from None


def plot_trajectories(f: Callable[[Any, Any], Any], trajectories: Mapping[str, Any],
                      xlim: tuple[float, float] | None = None, ylim: tuple[float, float] | None = None,
                      levels: int = 30, ax: Any = None, resolution: int = 200) -> Figure:
    """Optimizer paths over the contour plot of a 2-D function.

    ``f(x, y)`` is called on numpy grids (a function of floats is vectorized for you);
    ``trajectories`` maps a name to a sequence of (x, y) points, e.g. the parameters
    after each step. The limits default to the points with a margin around them.
    """
    owner = "plot_trajectories"
    checks.function(f, owner, "f")
    paths = _paths(trajectories, owner)
    xlim = plot_args.limits(xlim, owner, "xlim")
    ylim = plot_args.limits(ylim, owner, "ylim")
    checks.whole(levels, owner, "levels", minimum=1)
    checks.whole(resolution, owner, "resolution", minimum=2)  # a contour needs a 2 x 2 grid
    plot_args.axes_or_none(ax, owner)
    every = np.concatenate(list(paths.values())) if paths else np.zeros((1, 2))
    if (xlim is None or ylim is None) and not np.isfinite(every).all():
        raise ValueError(f"{owner}: trajectories hold a point that is not finite (a diverging run?); "
                         "give xlim and ylim to draw it anyway")
    xlim = xlim or _padded(every[:, 0])
    ylim = ylim or _padded(every[:, 1])
    gx, gy = np.meshgrid(np.linspace(*xlim, resolution), np.linspace(*ylim, resolution))
    z = _on_grid(f, gx, gy)
    fig, (ax,) = _new_axes(width=6.5, height=5.0, ax=ax)
    contour = ax.contour(gx, gy, z, levels=levels, cmap="viridis", linewidths=0.8)
    fig.colorbar(contour, ax=ax, shrink=0.8)
    for name, points in paths.items():
        line, = ax.plot(points[:, 0], points[:, 1], marker="o", markersize=3, linewidth=1.5, label=name)
        ax.plot(*points[0], marker="s", color=line.get_color(), markersize=7)
        ax.plot(*points[-1], marker="*", color=line.get_color(), markersize=11)
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    if paths:
        ax.legend(title="■ start  ★ end")
    return fig


def _paths(trajectories: Any, owner: str) -> dict[str, np.ndarray]:
    """Each trajectory as an (n, 2) float array of (x, y) points, n >= 1."""
    if not isinstance(trajectories, Mapping):
        raise TypeError(f"{owner}: trajectories must be a mapping of name -> list of (x, y) points, "
                        f"got {plot_args.got(trajectories)}")
    paths = {}
    for name, points in trajectories.items():
        where = f"trajectories[{name!r}]"
        array = plot_args.numbers_array(points, owner, where)
        if array.ndim < 2 or array.shape[0] == 0 or int(np.prod(array.shape[1:])) != 2:
            raise ValueError(f"{owner}: {where} must be a list of (x, y) points, got shape {array.shape}")
        paths[name] = array.reshape(-1, 2)
    return paths


def _padded(values: np.ndarray, margin: float = 0.15) -> tuple[float, float]:
    low, high = float(values.min()), float(values.max())
    span = high - low or max(abs(low), 1.0)
    return low - margin * span, high + margin * span


def _on_grid(f: Callable, gx: np.ndarray, gy: np.ndarray) -> np.ndarray:
    """``f`` on the grid: called on the arrays, or point by point if it only takes floats."""
    try:
        z = np.asarray(f(gx, gy), dtype=float)
        if z.shape == gx.shape:
            return z
    except (TypeError, ValueError):
        pass
    return np.vectorize(lambda a, b: float(f(float(a), float(b))))(gx, gy)


def plot_activation_histograms(activations: Mapping[str, Any] | Sequence[Any], bins: int = 50,
                               range: tuple[float, float] | None = None) -> Figure:
    """One histogram per layer, side by side, each titled with the mean and std (the slides'
    picture for comparing initializations). ``activations``: layer name -> array of
    activations (any shape), or a list of arrays (named "layer 1", "layer 2", ...)."""
    owner = "plot_activation_histograms"
    if not isinstance(activations, Mapping):
        if not checks.collection(activations):
            raise TypeError(f"{owner}: activations must be a mapping of layer name -> array, or a list "
                            f"of arrays, got {plot_args.got(activations)}")
        activations = {f"layer {i}": a for i, a in enumerate(activations, start=1)}
    if not activations:
        raise ValueError(f"{owner}: activations is empty: no layer to plot")
    layers = {name: plot_args.numbers_array(values, owner, f"activations[{name!r}]").ravel()
              for name, values in activations.items()}
    checks.whole(bins, owner, "bins", minimum=1)
    range = plot_args.limits(range, owner, "range")
    fig, axes = _new_axes(len(activations), width=2.6, height=2.8)
    for ax, (name, data) in zip(axes, layers.items()):
        ax.hist(data, bins=bins, range=range, color="#3b6ea5")
        ax.set_title(f"{name}\nmean {data.mean():.3g}  std {data.std():.3g}", fontsize=9)
        ax.set_yticks([])
    fig.tight_layout()
    return fig


def plot_decision_boundary(predict: Callable[[np.ndarray], Any], X: Any, y: Any, resolution: int = 200,
                           threshold: float | None = None, ax: Any = None, margin: float = 0.5) -> Figure:
    """The regions a classifier assigns to each class, with the 2-D data on top.

    ``predict`` takes an (M, 2) array of points and returns, for each point, a score
    (binary: the class is score > ``threshold``, which defaults to 0 when scores can be
    negative, else 0.5), class scores of shape (M, C) (the class is the argmax), or
    labels. Values may be graph nodes (their ``.data`` is used). ``resolution`` is the
    number of grid points per axis; a scalar ``nn.MLP`` is slow, so give it about 40:
    ``plot_decision_boundary(lambda P: [model(list(p)) for p in P], X, y, resolution=40)``.
    Scores of shape (M, 1) (a one-output tensor model) are binary scores, as (M,).
    """
    owner = "plot_decision_boundary"
    checks.function(predict, owner, "predict")
    X = plot_args.numbers_array(X, owner, "X")
    if X.ndim != 2 or X.shape[1] != 2 or len(X) == 0:
        raise ValueError(f"{owner}: X must be an (N, 2) array of 2-D points, got shape {X.shape}")
    if not np.isfinite(X).all():
        raise ValueError(f"{owner}: X must hold finite numbers")
    y = _labels(y, len(X), owner)
    checks.whole(resolution, owner, "resolution", minimum=2)  # a contour needs a 2 x 2 grid
    if threshold is not None:
        threshold = checks.real(threshold, owner, "threshold")
    margin = checks.real(margin, owner, "margin", low=0)
    plot_args.axes_or_none(ax, owner)
    (x0, x1), (y0, y1) = (X[:, 0].min() - margin, X[:, 0].max() + margin), (X[:, 1].min() - margin,
                                                                             X[:, 1].max() + margin)
    gx, gy = np.meshgrid(np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution))
    points = np.c_[gx.ravel(), gy.ravel()]
    scores = plot_args.numbers_array(predict(points), owner, "predict's output")
    if scores.ndim == 2 and scores.shape[1] == 1:
        scores = scores[:, 0]
    if scores.ndim not in (1, 2) or len(scores) != len(points):
        raise ValueError(f"{owner}: predict must give one score (or one row of class scores) per point: "
                         f"{len(points)} points gave shape {scores.shape}")
    fig, (ax,) = _new_axes(width=5.5, height=4.5, ax=ax)
    classes = np.unique(y)
    if scores.ndim == 2:
        regions = scores.argmax(axis=1).reshape(gx.shape)
        ax.contourf(gx, gy, regions, levels=np.arange(scores.shape[1] + 1) - 0.5, cmap="coolwarm", alpha=0.35)
    else:
        if threshold is None:
            threshold = 0.0 if scores.min() < 0 else 0.5
        grid = scores.reshape(gx.shape)
        regions = (grid > threshold).astype(float)
        ax.contourf(gx, gy, regions, levels=[-0.5, 0.5, 1.5], cmap="coolwarm", alpha=0.35)
        ax.contour(gx, gy, grid, levels=[threshold], colors="k", linewidths=1.2)
    ax.scatter(X[:, 0], X[:, 1], c=np.searchsorted(classes, y), cmap="coolwarm", edgecolors="k", s=22)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    return fig


def _labels(y: Any, n: int, owner: str) -> np.ndarray:
    """The class labels: a 1-D array of n numbers or strings."""
    if not checks.collection(y):
        raise TypeError(f"{owner}: y must be a 1-D array of class labels, got {plot_args.got(y)}")
    labels = np.asarray(list(y) if not isinstance(y, np.ndarray) else y)
    if labels.dtype.kind not in plot_args.NUMERIC_KINDS + "US":
        raise TypeError(f"{owner}: y must hold numbers or strings, got an array of {labels.dtype}")
    if labels.shape != (n,):
        hint = "; for a column of labels give y[:, 0]" if labels.shape == (n, 1) else ""
        raise ValueError(f"{owner}: y must be a 1-D array of {n} labels (one per row of X), "
                         f"got shape {labels.shape}{hint}")
    return labels


def ema(series: Iterable[float], beta: float = 0.9, bias_correction: bool = True) -> np.ndarray:
    """The exponentially weighted average v_t = beta v_(t-1) + (1 - beta) x_t, v_0 = 0
    (t from 1), divided by 1 - beta^t when ``bias_correction``."""
    values = plot_args.sequence_of_numbers(series, "ema", "series")
    beta = plot_args.beta(beta, "ema")
    checks.flag(bias_correction, "ema", "bias_correction")
    out = np.empty_like(values)
    v = 0.0
    for t, x in enumerate(values, start=1):
        v = beta * v + (1 - beta) * x
        out[t - 1] = v / (1 - beta**t) if bias_correction else v
    return out


def plot_ema(series: Iterable[float], beta: float | Sequence[float] = 0.9, bias_correction: bool = True,
             ax: Any = None) -> Figure:
    """A series (dots) and its exponentially weighted average for each ``beta`` (lines);
    about 1 / (1 - beta) points are averaged (0.9: ~10, 0.98: ~50). With
    ``bias_correction`` the uncorrected average is drawn dashed too, to show the early dip."""
    owner = "plot_ema"
    values = plot_args.sequence_of_numbers(series, owner, "series")
    one_weight = isinstance(beta, np.ndarray) and beta.ndim == 0
    if one_weight or not checks.collection(beta):
        betas = [plot_args.beta(beta, owner)]
    else:
        betas = [plot_args.beta(b, owner, f"beta[{i}]") for i, b in enumerate(beta)]
        if not betas:
            raise ValueError(f"{owner}: beta must hold at least one weight, "
                             f"got an empty {type(beta).__name__}")
    checks.flag(bias_correction, owner, "bias_correction")
    plot_args.axes_or_none(ax, owner)
    fig, (ax,) = _new_axes(width=7.0, height=4.0, ax=ax)
    t = np.arange(1, len(values) + 1)
    ax.plot(t, values, ".", color="#999999", markersize=4, label="series")
    for b in betas:
        label = f"β = {b:g} (~{1 / (1 - b):.0f} points)"
        line, = ax.plot(t, ema(values, b, bias_correction), linewidth=2, label=label)
        if bias_correction:
            ax.plot(t, ema(values, b, False), "--", color=line.get_color(), linewidth=1, alpha=0.7,
                    label=f"β = {b:g}, no bias correction")
    ax.set_xlabel("t")
    ax.grid(alpha=0.3)
    ax.legend()
    return fig
