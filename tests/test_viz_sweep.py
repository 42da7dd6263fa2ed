"""A hypothesis sweep over viz's public entry points: draw, to_networkx, BackpropStepper and its
render/save_gif/to_html, GraphPicture.save, check_gradients, Exercise, and the command line's
entry function, and every function of viz.plots. A bad argument is a TypeError or ValueError (or a documented
subclass: GraphTooLargeError, ExerciseError, the CLI's UsageError; IndexError for a frame out
of range) whose message names it; valid ones still draw what they should."""

from __future__ import annotations

import math

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
from hypothesis import strategies as st
from matplotlib.figure import Figure
from sweeping import BAD, NOT_NODES, NOT_NUMBERS, sweep_tests

import viz
from autodiff import Value
from optim import schedules as S
from viz import cli, plots

matplotlib.use("Agg")


def graph() -> Value:
    x, y, z = Value(-2.0, "x"), Value(5.0, "y"), Value(-4.0, "z")
    q = x + y
    q.label = "q"
    f = q * z
    f.label = "f"
    return f


ROOT = graph()
STEPPER = viz.BackpropStepper(graph(), engine="matplotlib")
EXERCISE = viz.Exercise.from_expression("q = x + y; f = q * z", x=-2, y=5, z=-4)
NOT_DIRECTIONS = st.sampled_from([None, "Forward", "", 1, [], True, "back"])
NOT_ENGINES = st.sampled_from([None, "dot", "", 1, [], True, "Graphviz"])
NOT_HIDES = st.sampled_from(["gradient", 1, ("grad", "x"), True, 1.5, {}, object(), ["grad", 3]])
NOT_GROUPS = st.sampled_from([1.5, True, [], {}, object(), 0, -1, b"Neuron"])
NOT_FRAMES = st.sampled_from([1.5, "0", None, True, 100, -100, [0], np.float64(1.0)])
NOT_PATHS = st.sampled_from([None, 3, 1.5, [], {}, True, object()])
NOT_KINDS = st.sampled_from([None, "gradient", "", 1, [], True])
NOT_AXES = st.sampled_from([3, "ax", [], True, object(), Figure()])  # a Figure is not an Axes
CLOSE = plt.close


def weights(value):
    """Whether ``value`` is a list of averaging weights in [0, 1): plot_ema draws one line for each."""
    return isinstance(value, (list, tuple)) and bool(value) and all(
        isinstance(v, float) and 0 <= v < 1 for v in value)

ENTRY_POINTS = {
    "draw": dict(call=viz.draw, valid=dict(root=ROOT, direction="backward", engine="matplotlib", hide="grad",
                                          group=None, max_nodes=50, caption="c"),
                 kinds=dict(root=NOT_NODES, direction=NOT_DIRECTIONS, engine=NOT_ENGINES, hide=NOT_HIDES,
                            group=NOT_GROUPS, max_nodes="count",
                            caption=st.sampled_from([0, 1.5, True, [], {}, object(), b"c"]))),
    "to_networkx": dict(call=viz.to_networkx, valid=dict(root=ROOT, max_nodes=50),
                        kinds=dict(root=NOT_NODES, max_nodes="count")),
    "BackpropStepper": dict(call=viz.BackpropStepper,
                            valid=dict(root=ROOT, direction="backward", grad=2.0, engine="matplotlib", group=None,
                                       max_nodes=50),
                            kinds=dict(root=NOT_NODES, direction=NOT_DIRECTIONS, engine=NOT_ENGINES,
                                       group=NOT_GROUPS, max_nodes="count",
                                       grad=st.sampled_from(["1", [], True, 1j, object(), {}]))),
    "BackpropStepper.render": dict(call=STEPPER.render, valid=dict(k=-1, max_pixels=400), also=(IndexError,),
                                   kinds=dict(k=NOT_FRAMES, max_pixels="count")),
    "BackpropStepper.caption": dict(call=STEPPER.caption, valid=dict(k=1), also=(IndexError,), kinds=dict(k=NOT_FRAMES)),
    "BackpropStepper.to_html": dict(call=STEPPER.to_html, valid=dict(seconds_per_frame=0.5),
                                    kinds=dict(seconds_per_frame="positive")),
    "BackpropStepper.save_gif": dict(call=STEPPER.save_gif, valid=dict(path="out.gif", seconds_per_frame=0.5, max_pixels=200),
                                     kinds=dict(path=NOT_PATHS, seconds_per_frame="positive", max_pixels="count")),
    "GraphPicture.save": dict(call=lambda path: viz.draw(ROOT, engine="matplotlib").save(path), valid=dict(path="out.png"),
                              kinds=dict(path=st.one_of(NOT_PATHS, st.sampled_from(["graph.bmp", "graph", ""])))),
    "GraphPicture.render": dict(call=lambda format: viz.draw(ROOT, engine="matplotlib").render(format),
                                valid=dict(format="svg"),
                                kinds=dict(format=st.sampled_from([None, "bmp", "", 1, [], "PNG "]))),
    "check_gradients": dict(call=viz.check_gradients,
                            valid=dict(root=ROOT, answers={"x": -4.0, "q": -4.0}, rel_tol=1e-6, abs_tol=1e-9, grad=None),
                            kinds=dict(root=NOT_NODES, rel_tol="nonneg", abs_tol="nonneg",
                                       answers=st.sampled_from([None, 3, "x", [], [("x", 1.0)], object()]))),
    "Exercise.random": dict(call=viz.Exercise.random, valid=dict(seed=3, n_ops=4, ops=("+", "*"), fan_out=True,
                                                                 integers=False),
                            kinds=dict(seed="index", n_ops="count", fan_out="flag", integers="flag",
                                       ops=st.sampled_from([None, "%", [], ["%"], [1], ("+", None), 3, object()]))),
    "Exercise.from_expression": dict(call=lambda source, x: viz.Exercise.from_expression(source, x=x),
                                     valid=dict(source="y = x * x", x=1.5),
                                     kinds=dict(source=st.sampled_from([None, 3, [], b"x*x", object()]),
                                                x=NOT_NUMBERS)),
    "Exercise.check": dict(call=EXERCISE.check, valid=dict(answers={"x": -4.0}, kind="grad", rel_tol=1e-6, abs_tol=1e-9),
                           kinds=dict(kind=NOT_KINDS, rel_tol="nonneg", abs_tol="nonneg",
                                      answers=st.sampled_from([None, 3, "x", [], {"w": 1.0}, {"x": "a"}, {"x": None},
                                                               {3: 1.0}, object()]))),
    "Exercise.picture": dict(call=EXERCISE.picture, valid=dict(hide="grad", engine="matplotlib"),
                             kinds=dict(hide=NOT_HIDES, engine=NOT_ENGINES)),
    "Exercise.solution": dict(call=EXERCISE.solution, valid=dict(kind="value", engine="matplotlib"),
                              kinds=dict(kind=NOT_KINDS, engine=NOT_ENGINES)),
    "Exercise.blanks": dict(call=EXERCISE.blanks, valid=dict(kind="grad"), kinds=dict(kind=NOT_KINDS)),
    "Exercise.node": dict(call=EXERCISE.node, valid=dict(label="q"),
                          kinds=dict(label=st.sampled_from([None, 3, "w", "", [], object()]))),
    # -- plots ------------------------------------------------------------------------------------
    "history_series": dict(call=plots.history_series, valid=dict(history={"loss": [1.0, 0.5], "note": "x"}),
                           kinds=dict(history=st.sampled_from([None, 3, "loss", [], {3: [1.0]}, object()]))),
    "plot_history": dict(call=plots.plot_history,
                         valid=dict(history={"epoch": [1, 2], "loss": [1.0, 0.5]}, keys=None, logy=True, x="epoch"),
                         kinds=dict(history=st.sampled_from([None, 3, "loss", [], {"loss": "ab"}, {"loss": [1, None]},
                                                             {3: [1.0]}, object()]),
                                    keys=st.sampled_from([3, "loss", ["accuracy"], [3], [], object()]), logy="flag",
                                    x=st.sampled_from([3, "step", "", ["epoch"], True, object()]))),
    "plot_schedule": dict(call=plots.plot_schedule, valid=dict(schedule=S.constant(0.1), steps=10, logy=False, ax=None),
                          kinds=dict(schedule=st.sampled_from([None, 3, "lr", [], {"a": 3}, object()]),
                                     steps=st.sampled_from([None, -1, 0, 2.5, "10", [1.5], object(), True]),
                                     logy="flag", ax=NOT_AXES)),
    "plot_trajectories": dict(call=plots.plot_trajectories,
                              valid=dict(f=lambda x, y: x**2 + y**2, trajectories={"sgd": [(1.0, 1.0), (0.5, 0.5)]},
                                         xlim=(-1, 1), ylim=(-1, 1), levels=5, resolution=20, ax=None),
                              kinds=dict(f="callable", levels="count", resolution="count", ax=NOT_AXES,
                                         trajectories=st.sampled_from([None, 3, [], {"sgd": 3}, {"sgd": [(1, 2, 3)]},
                                                                       {"sgd": "ab"}, object()]),
                                         xlim=st.sampled_from([3, "ab", (1, 0), (0, math.nan), (0,), [], object()]),
                                         ylim=st.sampled_from([3, "ab", (1, 0), (0, math.inf), (0,), [], object()]))),
    "plot_activation_histograms": dict(call=plots.plot_activation_histograms,
                                       valid=dict(activations={"layer 1": np.linspace(-1, 1, 20)}, bins=5, range=(-1, 1)),
                                       kinds=dict(bins="count",
                                                  activations=st.sampled_from([None, 3, "ab", [], {}, {"a": "xy"},
                                                                               object()]),
                                                  range=st.sampled_from([3, "ab", (1, 0), (0, math.nan), (0,),
                                                                         object()]))),
    "plot_decision_boundary": dict(call=plots.plot_decision_boundary,
                                   valid=dict(predict=lambda P: P[:, 0] > 0, X=np.array([[0.0, 1.0], [1.0, 0.0]]),
                                              y=np.array([0, 1]), resolution=10, threshold=None, margin=0.5, ax=None),
                                   kinds=dict(predict="callable", resolution="count", margin="nonneg", ax=NOT_AXES,
                                              X=st.sampled_from([None, "X", np.ones(2), np.ones((2, 3)), [[1, "a"]],
                                                                 object()]),
                                              y=st.sampled_from([None, "y", np.ones(3), [[0], [1]], object()]),
                                              threshold=st.sampled_from(["0.5", math.nan, [], True, object()]))),
    "ema": dict(call=plots.ema, valid=dict(series=[1.0, 2.0], beta=0.9, bias_correction=True),
                kinds=dict(series=st.sampled_from([None, 3, "ab", [1, "a"], object()]), beta="unit",
                           bias_correction="flag")),
    "plot_ema": dict(call=plots.plot_ema, valid=dict(series=[1.0, 2.0], beta=[0.5, 0.9], bias_correction=False, ax=None),
                     kinds=dict(series=st.sampled_from([None, 3, "ab", [1, "a"], object()]),
                                beta=st.one_of(BAD["unit"].filter(lambda b: not weights(b)),
                                               st.sampled_from([[0.5, 1.0], [], ["a"]])),
                                bias_correction="flag", ax=NOT_AXES)),
    # -- the command line -------------------------------------------------------------------------
    "cli.main": dict(call=cli.main, valid=dict(argv=["render", "x * y", "x=2", "y=3", "--engine", "matplotlib",
                                                     "-o", "cli.png"]),
                     kinds=dict(argv=st.sampled_from([3, "render x", [1, 2], object(), b"render"]))),
}
(
    test_each_entry_point_works_on_its_valid_arguments,
    test_bad_arguments_raise_type_or_value_errors_naming_the_argument,
    test_every_argument_is_swept,
) = sweep_tests(ENTRY_POINTS, max_examples=600, after=lambda: CLOSE("all"))


@pytest.fixture(autouse=True)
def _close_figures(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    yield
    CLOSE("all")


# -- what the checks let through still draws and marks what it should --------------------------


def test_the_worked_example_is_still_drawn_stepped_and_marked(tmp_path):
    f = graph()
    graph_ = viz.to_networkx(f, max_nodes=np.int64(20))
    assert graph_.number_of_nodes() == 5 + 2  # five values, two ops
    stepper = viz.BackpropStepper(f, engine="matplotlib")
    assert len(stepper) == 3 and stepper.grad(-1, f.parents[0]) == -4.0  # dq = z
    path = stepper.save_gif(tmp_path / "steps.gif", seconds_per_frame=np.float64(0.25), max_pixels=np.int64(200))
    assert path.read_bytes()[:6] == b"GIF89a"
    assert "<svg" in stepper.to_html(seconds_per_frame=1)
    picture = viz.draw(f, direction="backward", hide=["grad"], engine="matplotlib", caption=None)
    assert picture.save(tmp_path / "exercise.svg").read_bytes().lstrip().startswith(b"<")
    report = viz.check_gradients(f, {"x": -4.0, "z": 2.0}, rel_tol=0, abs_tol=0)
    assert report.correct == ["x"] and report.wrong == ["z"]  # dz = q = 3


def test_exercises_and_the_command_line_take_numpy_numbers_and_tuples(tmp_path):
    a = viz.Exercise.random(seed=np.int64(3), n_ops=3, fan_out=np.bool_(False))
    b = viz.Exercise.random(seed=3, n_ops=3, fan_out=False)
    assert a.source == b.source
    ex = viz.Exercise.from_expression("y = x * x", x=np.float64(1.5))
    assert ex.check({"x": 3.0}, rel_tol=np.float64(0.0)).score == 1.0  # dy/dx = 2x
    assert cli.main(("render", "x * y", "x=2", "y=3", "--engine", "matplotlib", "-o", str(tmp_path / "g.png"))) == 0
    assert (tmp_path / "g.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# -- viz.plots: what the checks let through draws the numbers it was given ------------------------


def _lines(ax):
    return {line.get_label(): line for line in ax.get_lines()}


def _png(fig, path):
    fig.savefig(path, dpi=50, metadata={"Software": None})
    return path.read_bytes()


def test_history_lines_are_the_history_values_against_x():
    history = {"epoch": np.array([0, 2, 4, 6]), "loss": [1.0, 0.6, 0.4, 0.3], "val_loss": (1.2, 0.8, 0.7),
               "accuracy": np.array([0.5, 0.7, 0.8, 0.9]), "note": "run 1"}
    fig = plots.plot_history(history, keys=("loss", "val_loss", "accuracy"), x="epoch", logy=np.bool_(False))
    loss, accuracy = fig.axes
    for ax, names in ((loss, ["loss", "val_loss"]), (accuracy, ["accuracy"])):
        for name in names:
            line = _lines(ax)[name]
            np.testing.assert_array_equal(line.get_ydata(), history[name])
            np.testing.assert_array_equal(line.get_xdata(), history["epoch"][: len(history[name])])
    with pytest.raises(plots.UnknownSeriesError, match="'acc'") as missing:
        plots.plot_history(history, keys=["acc"])
    assert isinstance(missing.value, KeyError) and isinstance(missing.value, ValueError)
    with pytest.raises(ValueError, match="x 'epoch' has 2 values, fewer than the series"):
        plots.plot_history({"epoch": [1, 2], "loss": [3.0, 2.0, 1.0]}, x="epoch")


def test_schedule_lines_are_the_rates_at_the_given_steps():
    schedule = S.step_decay(0.1, step_size=10, gamma=0.5)
    steps = np.arange(0, 40, 5)
    line = plots.plot_schedule(schedule, steps=steps).axes[0].get_lines()[0]
    np.testing.assert_array_equal(line.get_xdata(), steps)
    np.testing.assert_allclose(line.get_ydata(), [0.1 * 0.5 ** (t // 10) for t in steps])
    with pytest.raises(TypeError, match=r"plot_schedule: schedule '<lambda>' gave str 'fast' at step 0"):
        plots.plot_schedule(lambda t: "fast", steps=3)


def test_trajectories_of_any_shape_n_by_2_and_a_diverging_run():
    path = np.array([[[1.0, 2.0]], [[0.5, 1.0]], [[0.25, 0.5]]])  # (n, 1, 2): one (1, 2) parameter per step
    fig = plots.plot_trajectories(lambda x, y: x**2 + y**2, {"sgd": path}, levels=np.int64(4), resolution=10)
    np.testing.assert_array_equal(_lines(fig.axes[0])["sgd"].get_xydata(), path.reshape(-1, 2))
    diverged = {"sgd": [(1.0, 1.0), (3.0, -3.0), (math.inf, math.nan)]}
    with pytest.raises(ValueError, match="not finite.*give xlim and ylim"):
        plots.plot_trajectories(lambda x, y: x + y, diverged, resolution=10)
    fig = plots.plot_trajectories(lambda x, y: x + y, diverged, xlim=(-4, 4), ylim=(-4, 4), resolution=10)
    assert fig.axes[0].get_xlim() == (-4.0, 4.0)


def test_activation_histograms_count_what_numpy_counts():
    rng = np.random.default_rng(1)
    layer = rng.normal(0, 1, (30, 40))
    fig = plots.plot_activation_histograms([layer], bins=np.int64(12), range=np.array([-2.0, 2.0]))
    counts, _ = np.histogram(layer, bins=12, range=(-2, 2))
    np.testing.assert_array_equal([bar.get_height() for bar in fig.axes[0].patches], counts)
    assert f"mean {layer.mean():.3g}" in fig.axes[0].get_title()


def test_decision_boundary_reads_one_column_of_scores_as_binary_scores(tmp_path):
    X = np.array([[-1.0, -1.0], [1.0, 1.0], [-1.0, 0.5], [1.0, -0.5]])
    y = ["cat", "dog", "cat", "dog"]  # labels may be strings

    def score(P):
        return P[:, 0] + 0.3 * P[:, 1]

    flat = _png(plots.plot_decision_boundary(score, X, y, resolution=30), tmp_path / "flat.png")
    column = _png(plots.plot_decision_boundary(lambda P: score(P)[:, None], X, y, resolution=30),
                  tmp_path / "column.png")
    other = _png(plots.plot_decision_boundary(lambda P: -score(P), X, y, resolution=30),
                 tmp_path / "other.png")
    assert column == flat and other != flat
    scatter = plt.figure().add_subplot()
    fig = plots.plot_decision_boundary(score, X, y, resolution=30, margin=np.float64(0.0), ax=scatter)
    assert fig is scatter.figure and scatter.get_xlim() == (-1.0, 1.0)
    with pytest.raises(ValueError, match=r"y\[:, 0\]"):
        plots.plot_decision_boundary(score, X, np.zeros((4, 1)))


def _ema_by_weights(x, beta, bias_correction):
    """v_t = (1 - beta) sum_i beta^i x_(t-i) over i = 0 .. t-1, written out as weights (no recursion)."""
    x = np.asarray(x, dtype=float)
    t = np.arange(1, len(x) + 1)
    lags = t[:, None] - t[None, :]  # t - s for each pair (t, s)
    weights = np.where(lags >= 0, (1 - beta) * beta ** np.maximum(lags, 0), 0.0)
    v = weights @ x
    return v / (1 - beta**t) if bias_correction else v


def test_ema_equals_the_filter_and_the_weighted_sum():
    from scipy.signal import lfilter

    rng = np.random.default_rng(2)
    x = 10 + rng.normal(0, 3, 60)
    for beta in (0.0, 0.5, 0.9, np.float32(0.98)):
        beta = float(beta)
        uncorrected = lfilter([1 - beta], [1, -beta], x)  # v_t - beta v_(t-1) = (1 - beta) x_t, v_0 = 0
        np.testing.assert_allclose(plots.ema(x, beta, bias_correction=False), uncorrected, rtol=1e-12)
        np.testing.assert_allclose(plots.ema(x, beta, bias_correction=False), _ema_by_weights(x, beta, False),
                                   rtol=1e-10)
        np.testing.assert_allclose(plots.ema(list(x), beta), _ema_by_weights(x, beta, True), rtol=1e-10)
        corrected = uncorrected / (1 - beta ** np.arange(1, 61))
        np.testing.assert_allclose(plots.ema(x, beta), corrected, rtol=1e-12)
    assert plots.ema(x, 0.0)[5] == x[5]  # beta = 0: no averaging at all


def test_plot_ema_draws_each_average_and_its_uncorrected_line():
    x = np.linspace(0.0, 5.0, 40) ** 2
    fig = plots.plot_ema(x, beta=(0.5, np.float64(0.9)), bias_correction=np.bool_(True))
    lines = _lines(fig.axes[0])
    np.testing.assert_array_equal(lines["series"].get_ydata(), x)
    for beta, points in ((0.5, 2), (0.9, 10)):
        np.testing.assert_allclose(lines[f"β = {beta:g} (~{points} points)"].get_ydata(),
                                   _ema_by_weights(x, beta, True), rtol=1e-10)
        np.testing.assert_allclose(lines[f"β = {beta:g}, no bias correction"].get_ydata(),
                                   _ema_by_weights(x, beta, False), rtol=1e-10)
