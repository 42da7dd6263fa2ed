"""A hypothesis sweep over viz's public entry points: draw, to_networkx, BackpropStepper and its
render/save_gif/to_html, GraphPicture.save, check_gradients, Exercise, and the command line's
entry function (viz.plots is not swept yet). A bad argument is a TypeError or ValueError (or a documented
subclass: GraphTooLargeError, ExerciseError, the CLI's UsageError; IndexError for a frame out
of range) whose message names it; valid ones still draw what they should."""

from __future__ import annotations

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sweeping import NOT_NODES, NOT_NUMBERS, assert_refused, bad_values, calls, first_value

import viz
from autodiff import Value
from viz import cli

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
CLOSE = plt.close

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
    # -- the command line -------------------------------------------------------------------------
    "cli.main": dict(call=cli.main, valid=dict(argv=["render", "x * y", "x=2", "y=3", "--engine", "matplotlib",
                                                     "-o", "cli.png"]),
                     kinds=dict(argv=st.sampled_from([3, "render x", [1, 2], object(), b"render"]))),
}
CALLS = calls(ENTRY_POINTS)


@pytest.fixture(autouse=True)
def _close_figures(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    yield
    CLOSE("all")


def _valid(name):
    entry = ENTRY_POINTS[name]
    return entry, entry["valid"]


@pytest.mark.parametrize("name", ENTRY_POINTS)
def test_each_entry_point_works_on_its_valid_arguments(name):
    entry, valid = _valid(name)
    entry["call"](**valid)


@settings(max_examples=600, deadline=None, suppress_health_check=list(HealthCheck))
@given(call=st.sampled_from(CALLS), data=st.data())
def test_bad_arguments_raise_type_or_value_errors_naming_the_argument(call, data):
    name, argument = call
    entry, valid = _valid(name)
    bad = data.draw(bad_values(entry["kinds"][argument]), label=f"{name}({argument}=...)")
    try:
        assert_refused(name, entry["call"], valid, argument, bad, entry.get("also", ()))
    finally:
        CLOSE("all")


@pytest.mark.parametrize("call", CALLS, ids=[f"{n}-{a}" for n, a in CALLS])
def test_every_argument_is_swept(call):
    """Each (entry point, argument) pair refuses at least the simplest of its bad values."""
    name, argument = call
    entry, valid = _valid(name)
    assert_refused(name, entry["call"], valid, argument, first_value(bad_values(entry["kinds"][argument])),
                   entry.get("also", ()))


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
