"""viz.plots: every function returns a Figure drawn from the numbers it was given."""

from __future__ import annotations

from types import SimpleNamespace

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.figure import Figure

import nn
import viz
from viz import plots


def lines_of(ax):
    return {line.get_label(): line for line in ax.get_lines()}


def test_history_from_a_dict_puts_train_and_val_on_one_panel():
    history = {"loss": [1.0, 0.5, 0.25], "val_loss": [1.2, 0.7, 0.6], "accuracy": [0.5, 0.7, 0.9],
               "note": "x"}
    fig = viz.plot_history(history)
    assert isinstance(fig, Figure)
    loss, accuracy = fig.axes
    assert loss.get_title() == "loss" and accuracy.get_title() == "accuracy"
    assert set(lines_of(loss)) == {"loss", "val_loss"}
    np.testing.assert_array_equal(lines_of(loss)["val_loss"].get_ydata(), [1.2, 0.7, 0.6])
    np.testing.assert_array_equal(lines_of(loss)["loss"].get_xdata(), [1, 2, 3])
    assert not plt.get_fignums()  # closed in pyplot: shown once in Jupyter, never piling up


def test_history_from_an_object_with_attributes_and_an_x_series():
    history = SimpleNamespace(epoch=[0, 5, 10], train_loss=[3.0, 2.0, 1.0], test_loss=[3.5, 2.5, 2.0])
    fig = viz.plot_history(history, x="epoch", logy=True)
    (ax,) = fig.axes
    assert ax.get_yscale() == "log" and ax.get_xlabel() == "epoch"
    np.testing.assert_array_equal(lines_of(ax)["test_loss"].get_xdata(), [0, 5, 10])
    keras_like = SimpleNamespace(history={"loss": [2.0, 1.0]})
    assert plots.history_series(keras_like) == {"loss": [2.0, 1.0]}
    with pytest.raises(KeyError, match="no series"):
        viz.plot_history({"loss": [1.0]}, keys=["acc"])
    with pytest.raises(ValueError, match="no series of numbers"):
        viz.plot_history({"name": "run 1"})


def test_schedules_any_callable_of_the_step():
    def step_decay(t):
        return 0.1 * 0.5 ** (t // 10)

    fig = viz.plot_schedule(step_decay, steps=30)
    line = fig.axes[0].get_lines()[0]
    assert line.get_label() == "step_decay"
    np.testing.assert_allclose(line.get_ydata()[[0, 10, 29]], [0.1, 0.05, 0.025])
    schedules = {"constant": lambda t: 0.1, "inverse": lambda t: 0.1 / (1 + t)}
    both = viz.plot_schedule(schedules, steps=range(5, 8))
    ax = both.axes[0]
    np.testing.assert_allclose(lines_of(ax)["inverse"].get_ydata(), [0.1 / 6, 0.1 / 7, 0.1 / 8])
    np.testing.assert_array_equal(lines_of(ax)["inverse"].get_xdata(), [5, 6, 7])


def test_trajectories_over_contours_of_x2_over_10_plus_y2():
    def f(x, y):
        return x**2 / 10 + y**2

    path = [(-7.0, 2.0)]
    for _ in range(20):  # SGD, lr 0.95, gradient (x/5, 2y)
        x, y = path[-1]
        path.append((x - 0.95 * x / 5, y - 0.95 * 2 * y))
    fig = viz.plot_trajectories(f, {"SGD": path, "start": [(0.0, 0.0)]})
    ax = fig.axes[0]
    sgd = lines_of(ax)["SGD"]
    np.testing.assert_allclose(sgd.get_xydata(), np.array(path))
    assert ax.get_xlim()[0] < -7.0 and ax.get_xlim()[1] > 0.0
    assert len(fig.axes) == 2  # the colorbar

    def scalar_only(x, y):
        return float(x) ** 2 + float(y) ** 2

    fig = viz.plot_trajectories(scalar_only, {"p": [(1, 1), (0, 0)]}, xlim=(-2, 2), ylim=(-1, 1),
                                resolution=20)
    assert fig.axes[0].get_xlim() == (-2.0, 2.0)


def test_activation_histograms_one_panel_per_layer():
    rng = np.random.default_rng(0)
    acts = {"layer 1": rng.normal(0, 1, 1000), "layer 2": np.tanh(rng.normal(0, 1, (20, 50)))}
    fig = viz.plot_activation_histograms(acts, bins=20)
    assert len(fig.axes) == 2
    first = fig.axes[0]
    assert first.get_title().startswith("layer 1\nmean")
    assert sum(p.get_height() for p in first.patches) == 1000
    values = [nn.Neuron(1, seed=s)([1.0]) for s in range(5)]  # graph nodes work too
    fig = viz.plot_activation_histograms([values])
    assert fig.axes[0].get_title().startswith("layer 1")
    assert sum(p.get_height() for p in fig.axes[0].patches) == 5
    with pytest.raises(ValueError):
        viz.plot_activation_histograms({})


def test_decision_boundary_of_a_linear_rule_and_a_scalar_mlp():
    X = np.array([[-1.0, -1.0], [1.0, 1.0], [-1.0, 0.5], [1.0, -0.5]])
    y = np.array([0, 1, 0, 1])
    fig = viz.plot_decision_boundary(lambda P: P[:, 0], X, y, resolution=50)
    ax = fig.axes[0]
    assert ax.get_xlim() == (-1.5, 1.5)
    scatter = ax.collections[-1]
    np.testing.assert_array_equal(scatter.get_offsets(), X)
    model = nn.MLP(2, [4, 1], seed=0)
    fig = viz.plot_decision_boundary(lambda P: [model(list(p)) for p in P], X, y, resolution=12)
    assert isinstance(fig, Figure)
    multi = viz.plot_decision_boundary(lambda P: np.c_[-P[:, 0], P[:, 0], P[:, 1]], X, np.array([0, 1, 2, 1]),
                                       resolution=20)
    assert isinstance(multi, Figure)


def test_ema_matches_the_formula():
    series = [10.0, 20.0, 30.0]
    v1 = 0.1 * 10
    v2 = 0.9 * v1 + 0.1 * 20
    v3 = 0.9 * v2 + 0.1 * 30
    np.testing.assert_allclose(viz.ema(series, 0.9, bias_correction=False), [v1, v2, v3])
    np.testing.assert_allclose(viz.ema(series, 0.9), [v1 / 0.1, v2 / (1 - 0.81), v3 / (1 - 0.729)])
    assert viz.ema([5.0] * 50, 0.98)[0] == pytest.approx(5.0)  # bias correction removes the dip
    with pytest.raises(ValueError, match="beta"):
        viz.ema(series, 1.0)


def test_plot_ema_draws_series_and_averages():
    t = np.arange(100)
    temperatures = 10 + 5 * np.sin(t / 15)
    fig = viz.plot_ema(temperatures, beta=[0.9, 0.98])
    lines = lines_of(fig.axes[0])
    assert set(lines) == {"series", "β = 0.9 (~10 points)", "β = 0.98 (~50 points)",
                          "β = 0.9, no bias correction", "β = 0.98, no bias correction"}
    np.testing.assert_allclose(lines["β = 0.98 (~50 points)"].get_ydata(), viz.ema(temperatures, 0.98))
    fig, ax = plt.subplots()
    assert viz.plot_ema(temperatures, 0.5, bias_correction=False, ax=ax) is fig
    plt.close(fig)
