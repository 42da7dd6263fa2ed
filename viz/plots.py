"""Training pictures, each a matplotlib Figure: curves, schedules, trajectories, histograms,
decision boundaries and exponentially weighted averages.

Every function takes an optional ``ax`` to draw into (and then returns that axes'
figure), else makes a new figure through pyplot and closes it at once: Jupyter shows
the returned figure once, and a loop that makes many does not keep them all open.
Inputs are duck-typed: lists, numpy arrays, dicts, any callable.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure

SPLIT_PREFIXES = ("train_", "val_", "valid_", "validation_", "test_")


def _numbers(values: Any) -> np.ndarray:
    """A float array from numbers, arrays, or graph nodes (their ``.data``)."""
    if isinstance(values, Iterable) and not hasattr(values, "shape"):
        values = list(values)  # a generator, a list of nodes
    array = np.asarray(values)
    if array.dtype == object:
        array = np.vectorize(lambda v: float(v.data if hasattr(v, "parents") else v), otypes=[float])(array)
    return array.astype(float, copy=False)


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
    if not isinstance(history, Mapping):
        inner = getattr(history, "history", None)
        history = inner if isinstance(inner, Mapping) else vars(history)
    series = {}
    for name, values in history.items():
        if isinstance(values, (str, bytes)) or not isinstance(values, (Sequence, np.ndarray)):
            continue
        try:
            numbers = [float(v) for v in values]
        except (TypeError, ValueError):
            continue
        if numbers:
            series[str(name)] = numbers
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
    "epoch"); default 1, 2, ... ``logy``: a log scale for the values.
    """
    series = history_series(history)
    if not series:
        raise ValueError("the history holds no series of numbers")
    xs = series.pop(x) if x is not None else None
    names = list(keys) if keys is not None else list(series)
    missing = [name for name in names if name not in series]
    if missing:
        raise KeyError(f"no series {missing} in the history; it has {sorted(series)}")
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
    if isinstance(schedule, Mapping):
        schedules = dict(schedule)
    else:
        schedules = {getattr(schedule, "__name__", "lr"): schedule}
    ts = list(range(steps)) if isinstance(steps, int) else list(steps)
    fig, (ax,) = _new_axes(ax=ax)
    for name, fn in schedules.items():
        drawstyle = "steps-post" if len(ts) <= 60 else "default"
        ax.plot(ts, [float(fn(t)) for t in ts], label=name, drawstyle=drawstyle)
    ax.set_xlabel("step")
    ax.set_ylabel("learning rate")
    if logy:
        ax.set_yscale("log")
    ax.grid(alpha=0.3)
    if len(schedules) > 1 or isinstance(schedule, Mapping):
        ax.legend()
    return fig


def plot_trajectories(f: Callable[[Any, Any], Any], trajectories: Mapping[str, Any],
                      xlim: tuple[float, float] | None = None, ylim: tuple[float, float] | None = None,
                      levels: int = 30, ax: Any = None, resolution: int = 200) -> Figure:
    """Optimizer paths over the contour plot of a 2-D function.

    ``f(x, y)`` is called on numpy grids (a function of floats is vectorized for you);
    ``trajectories`` maps a name to a sequence of (x, y) points, e.g. the parameters
    after each step. The limits default to the points with a margin around them.
    """
    paths = {name: np.asarray(points, dtype=float).reshape(-1, 2) for name, points in trajectories.items()}
    every = np.concatenate(list(paths.values())) if paths else np.zeros((1, 2))
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
    if not isinstance(activations, Mapping):
        activations = {f"layer {i}": a for i, a in enumerate(activations, start=1)}
    if not activations:
        raise ValueError("no activations to plot")
    fig, axes = _new_axes(len(activations), width=2.6, height=2.8)
    for ax, (name, values) in zip(axes, activations.items()):
        data = _numbers(values).ravel()
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
    """
    X = np.asarray(X, dtype=float)
    y = np.asarray(y)
    (x0, x1), (y0, y1) = (X[:, 0].min() - margin, X[:, 0].max() + margin), (X[:, 1].min() - margin,
                                                                             X[:, 1].max() + margin)
    gx, gy = np.meshgrid(np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution))
    points = np.c_[gx.ravel(), gy.ravel()]
    scores = _numbers(predict(points))
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


def ema(series: Iterable[float], beta: float = 0.9, bias_correction: bool = True) -> np.ndarray:
    """The exponentially weighted average v_t = beta v_(t-1) + (1 - beta) x_t, v_0 = 0
    (t from 1), divided by 1 - beta^t when ``bias_correction``."""
    if not 0 <= beta < 1:
        raise ValueError(f"beta must be in [0, 1), got {beta}")
    values = np.asarray(list(series), dtype=float)
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
    values = np.asarray(list(series), dtype=float)
    betas = [beta] if isinstance(beta, (int, float)) else list(beta)
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
