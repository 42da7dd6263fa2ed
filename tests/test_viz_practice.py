"""viz.Exercise: seeded practice graphs, the teacher's own, pictures, and marking with feedback per edge."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import pytest

import viz
from autodiff import Value
from viz import practice
from viz.expression import ExpressionError

ALL_OPS = practice.SUPPORTED_OPS


def worked_example():
    return viz.Exercise.from_expression("q = x + y; f = q * z", x=-2, y=5, z=-4)


# -- making exercises --------------------------------------------------------------------


def test_from_expression_is_the_slides_worked_example():
    ex = worked_example()
    assert ex.root.label == "f" and ex.root.data == -12.0
    assert ex.inputs == ["x", "y", "z"]
    assert ex.blanks() == ["x", "y", "q", "z"]
    assert ex.expected() == {"x": -4.0, "y": -4.0, "q": -4.0, "z": 3.0}
    assert ex.blanks("value") == ["q", "f"] and ex.expected("value") == {"q": 3.0, "f": -12.0}
    assert ex.root.grad is None and ex.node("x").grad == 0.0  # nothing backpropagated on the student's graph


def test_statements_and_fan_out_sum():
    ex = viz.Exercise.from_expression("a = x * x; b = a + a", x=3)
    assert ex.expected() == {"x": 12.0, "a": 2.0}  # b = 2 x^2: db/dx = 4x, db/da = 1 + 1


def test_unlabelled_results_get_labels_and_duplicates_are_told_apart():
    x = Value(2.0, label="x")
    out = (x * 3 + x * 3).tanh()
    ex = viz.Exercise(out)
    labels = ex.labels
    assert len(labels) == len(set(labels))
    assert all(node.label for node in ex.order if node.parents)
    ex2 = viz.Exercise.from_expression("x*y + x*y", x=1, y=2)
    assert ex2.labels.count("x*y") == 1 and "x*y (2)" in ex2.labels


def test_same_seed_same_exercise_in_another_process():
    here = [viz.Exercise.random(seed).source for seed in (0, 17, 999)]
    code = "import viz; print([viz.Exercise.random(s).source for s in (0, 17, 999)])"
    there = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env={"PYTHONHASHSEED": "123", "PATH": ""}).stdout.strip()
    assert there == repr(here)
    assert len({viz.Exercise.random(seed).source for seed in range(50)}) == 50
    ex = viz.Exercise.random(17)
    again = viz.Exercise.from_expression(ex.source, **ex.values)
    assert again.expected() == ex.expected()


@pytest.mark.parametrize("integers", [True, False])
@pytest.mark.parametrize("fan_out", [True, False])
def test_random_exercises_keep_to_their_recipe(fan_out, integers):
    for seed in range(60):
        n_ops = 1 + seed % 12
        ops = ALL_OPS if seed % 2 else practice.DEFAULT_OPS
        ex = viz.Exercise.random(seed, n_ops=n_ops, ops=ops, fan_out=fan_out, integers=integers)
        results = [n for n in ex.order if n.parents]
        assert len(results) == n_ops
        assert {n.op for n in results} <= set(ops)
        for node in ex.order:
            if not node.parents:
                assert node.data != 0 and abs(node.data) <= (4 if integers else 3)
                if integers:
                    assert node.data == int(node.data)
                else:
                    assert round(node.data, 1) == node.data
            assert abs(node.data) <= practice.VALUE_LIMIT
        for node in results:
            (a, *_) = node.parents
            if node.op in ("tanh", "exp"):
                assert abs(a.data) <= 3
            if node.op == "log":
                assert a.data >= 0.1
            if node.op == "relu":
                assert a.data != 0
            if node.op == "/":
                assert abs(node.parents[1].data) >= 0.5
        assert all(abs(g) <= practice.GRAD_LIMIT for g in ex.expected().values())
        uses = {}
        for node in results:
            for p in node.parents:
                uses[id(p)] = uses.get(id(p), 0) + 1
        assert all(id(n) in uses for n in ex.order if n is not ex.root)  # every node leads to the output
        if fan_out and n_ops >= 2 and any(op in practice.BINARY_OPS for op in ops):
            assert max(uses.values()) >= 2
        if not fan_out:
            assert max(uses.values()) == 1  # a tree: no gradient is a sum


def test_bad_recipes_are_named():
    with pytest.raises(ValueError, match="n_ops=21 is too large for an exercise: at most 20"):
        viz.Exercise.random(0, n_ops=21)
    with pytest.raises(ValueError, match="n_ops must be at least 1"):
        viz.Exercise.random(0, n_ops=0)
    with pytest.raises(TypeError, match="n_ops must be a whole number, got float"):
        viz.Exercise.random(0, n_ops=2.5)
    with pytest.raises(ValueError, match="unknown op 'sin' for an exercise; supported: "):
        viz.Exercise.random(0, ops=("+", "sin"))
    with pytest.raises(ValueError, match="ops is empty"):
        viz.Exercise.random(0, ops=())
    with pytest.raises(TypeError, match="seed must be a whole number >= 0, got str"):
        viz.Exercise.random("17")
    big = " + ".join(f"x{i}" for i in range(30))
    with pytest.raises(viz.ExerciseError, match="the graph has 59 nodes, too many for an exercise"):
        viz.Exercise.from_expression(big, **{f"x{i}": 1 for i in range(30)})
    with pytest.raises(TypeError, match="the value of x must be a number, got str"):
        viz.Exercise.from_expression("x * 2", x="3")
    with pytest.raises(ExpressionError, match="not allowed"):
        viz.Exercise.from_expression("x.__class__", x=1)
    with pytest.raises(TypeError, match="scalar autodiff.Value nodes, got Tensor"):
        from autodiff import Tensor

        viz.Exercise(Tensor([1.0, 2.0]).sum())


# -- marking -----------------------------------------------------------------------------


def test_each_slip_is_named_with_its_edge():
    ex = viz.Exercise.from_expression("a = x * y; b = a + x; f = tanh(b) * a", x=2, y=-0.5)
    right = ex.expected()
    local_tanh = 1 - math.tanh(1.0) ** 2
    assert right["b"] == pytest.approx(-local_tanh)
    report = ex.check({"x": right["x"], "y": -right["y"], "a": math.tanh(1.0), "b": local_tanh})
    assert report.right == ["x"] and report.wrong == ["y", "a", "b"]
    assert report.mistakes == {"y": "sign", "a": "fan_out", "b": "local_only"}
    assert set(report.mark("b").consistent_with) == {"local_only", "sign"}  # upstream df/d(tanh b) is -1
    fan = report.mark("a")
    assert set(fan.consistent_with) == {"fan_out", "local_only"}  # upstream 1: the contribution is the local
    assert [(e.child, e.upstream, e.local) for e in fan.where] == [("b", right["b"], 1.0)]  # the edge left out
    assert "forgot the fan-out sum" in fan.message and "a feeds 2 edges" in fan.message
    local = ex.check({"y": 2.0}).mark("y")  # da/dy = x = 2 alone, without the upstream df/da
    assert local.mistake == "local_only"
    assert [(e.node, e.child, e.op) for e in local.where] == [("y", "a", "*")]
    assert "upstream df/da = " + viz.exercise.fmt.number(right["a"]) in local.message
    assert "local da/dy = 2" in local.message
    assert report.score == pytest.approx(1 / 5)  # 1 of the 5 blanks (tanh(b) unanswered)
    assert report.unanswered == ["tanh(b)"]
    assert not report and not report.passed


def test_an_error_carried_from_upstream_is_told_apart():
    ex = worked_example()
    report = ex.check({"q": 4.0, "x": 4.0, "y": -4.0})  # q's sign flipped, x follows from it, y is right
    assert report.mistakes == {"q": "sign", "x": "carried"}
    carried = report.mark("x")
    assert [e.child for e in carried.where] == ["q"]
    assert "follows from your df/dq = 4" in carried.message and "fix q first" in carried.message


def test_a_right_answer_set_passes_and_rounding_is_forgiven():
    ex = viz.Exercise.from_expression("f = tanh(x) * y", x=0.5, y=2)
    exact = ex.expected()
    report = ex.check({k: round(v, 3) for k, v in exact.items()})
    assert report.passed and report and report.score == 1.0 and report.message() == ""
    assert not ex.check({k: round(v, 1) + 0.1 for k, v in exact.items()}).passed


def test_an_answer_rounded_to_two_decimals_at_a_half_is_right():
    # df/dz = x y = -0.125 and df/dy = x z = 0.625: each is off by the abs tolerance, 0.005, when
    # rounded to two decimals either way (float subtraction makes it 0.005000000000000004)
    ex = viz.Exercise.from_expression("a = x * y; f = a * z", x=0.5, y=-0.25, z=1.25)
    assert ex.expected() == pytest.approx({"x": -0.3125, "y": 0.625, "a": 1.25, "z": -0.125})
    for answers in ({"x": -0.31, "y": 0.62, "z": -0.12}, {"x": -0.31, "y": 0.63, "z": -0.13},
                    {"x": round(-0.3125, 2), "y": round(0.625, 2), "z": round(-0.125, 2)}):
        report = ex.check({**answers, "a": 1.25})
        assert report.passed and report.score == 1.0, report
    report = ex.check({"x": -0.31, "y": 0.615, "a": 1.25, "z": -0.135})  # 0.01 off: wrong
    assert report.wrong == ["y", "z"] and report.score == pytest.approx(2 / 4)


def test_answers_by_node_and_some_of_them():
    ex = worked_example()
    report = ex.check({ex.node("x"): -4, "z": 3})
    assert report.right == ["x", "z"] and report.unanswered == ["y", "q"] and report.score == 0.5
    assert report.message() == "not answered: y, q"
    assert ex.asking("x", "z").check({"x": -4, "z": 3}).passed
    assert ex.check({"f": 1.0}).right == ["f"] and ex.check({"f": 1.0}).score == 0.0  # the seed: marked, not scored


def test_the_forward_variant_asks_for_the_values():
    ex = viz.Exercise.from_expression("a = x * y; b = a + x; f = b * b", x=2, y=3)
    assert ex.expected("value") == {"a": 6.0, "b": 8.0, "f": 64.0}
    report = ex.check({"a": 5, "b": 7, "f": 49}, kind="value")
    assert report.mistakes == {"a": "wrong", "b": "carried", "f": "carried"}
    assert "a = x * y with x = 2, y = 3" in report.mark("a").message
    assert "follows from your value for a" in report.mark("b").message
    assert ex.check({"a": -6}, kind="value").mistakes == {"a": "sign"}
    assert ex.check({"a": 6, "b": 8, "f": 64}, kind="value").passed


def test_bad_answers_are_named():
    ex = worked_example()
    with pytest.raises(viz.ExerciseError, match="no node of this exercise has the label 'w'; its labels are x, y, q, z, f"):
        ex.check({"w": 1.0})
    with pytest.raises(TypeError, match="the answer for x must be a number, got str 'about -4'"):
        ex.check({"x": "about -4"})
    with pytest.raises(TypeError, match="the answer for q must be a number, got NoneType None"):
        ex.check({"q": None})
    with pytest.raises(TypeError, match="the answer for q must be a number, got bool True"):
        ex.check({"q": True})
    with pytest.raises(viz.ExerciseError, match="the answer for x must be a finite number, got nan"):
        ex.check({"x": float("nan")})
    with pytest.raises(viz.ExerciseError, match="is not a node of this exercise's graph"):
        ex.check({Value(1.0, label="x"): 1.0})
    with pytest.raises(TypeError, match="keyed by a node's label .* got int 3"):
        ex.check({3: 1.0})
    with pytest.raises(viz.ExerciseError, match="x is answered twice"):
        ex.check({"x": -4, ex.node("x"): -4})
    with pytest.raises(TypeError, match="answers must be a dict"):
        ex.check([("x", -4)])
    with pytest.raises(ValueError, match="kind must be 'grad' .* or 'value'"):
        ex.check({"x": -4}, kind="values")
    with pytest.raises(viz.ExerciseError, match="has the label 'nope'"):
        ex.asking("nope")


def test_report_to_dict_is_json_and_complete():
    ex = worked_example()
    report = ex.check({"x": -4, "y": 1, "q": 4})
    data = json.loads(json.dumps(report.to_dict(), allow_nan=False))
    assert data["score"] == 0.25 and data["passed"] is False
    assert data["right"] == ["x"] and data["wrong"] == ["y", "q"] and data["unanswered"] == ["z"]
    assert [m["mistake"] for m in data["marks"]] == [None, "local_only", "sign"]
    assert data["marks"][1]["where"] == [
        {"node": "y", "child": "q", "op": "+", "position": 1, "upstream": -4.0, "local": 1.0, "contribution": -4.0}
    ]
    assert data["exercise"] == {"source": "q = x + y; f = q * z", "seed": None, "values": {"x": -2.0, "y": 5.0, "z": -4.0}}
    assert data["message"] == report.message() == report.mark("y").message


def test_text_and_html_show_the_verdicts():
    report = worked_example().check({"x": -4, "y": 1})
    lines = str(report).splitlines()
    assert lines[0] == "1 of 4 gradients right (score 0.25)"
    assert lines[1] == "  df/dx = -4  ✓ right"
    assert lines[2] == "  df/dy = 1  ✗ local derivative alone"
    assert "✗ local derivative alone" in report._repr_html_()


# -- pictures ----------------------------------------------------------------------------


def _texts(picture, key):
    return [line.text for box in picture.scene.boxes if box.key == key for line in box.lines]


def _labels(picture):
    return [a.label for a in picture.scene.arrows if a.label]


def test_pictures_blank_what_is_asked():
    ex = worked_example()  # order: x y q z f -> v0 .. v4
    grad = ex.picture()
    assert "grad ____" in _texts(grad, "v0") and "data -2" in _texts(grad, "v0")
    assert "____ × 1 = ____" in _labels(grad)
    both = ex.picture(hide=("grad", "local"))
    assert "____ × ____ = ____" in _labels(both) and "1 × ____ = ____" in _labels(both)
    value = ex.picture(hide="value")
    assert "data ____" in _texts(value, "v2") and "data -2" in _texts(value, "v0")
    solution = ex.solution()
    assert "grad -4" in _texts(solution, "v0") and "-4 × 1 = -4" in _labels(solution)
    assert "data 3" in _texts(ex.solution("value"), "v2")
    with pytest.raises(ValueError, match="hide='value' .* goes alone"):
        ex.picture(hide=("value", "grad"))
    with pytest.raises(ValueError, match="hide can name"):
        ex.picture(hide="gradient")


def test_report_picture_marks_the_wrong_boxes_and_edges(tmp_path):
    ex = worked_example()
    pic = ex.check({"x": -4, "y": 1, "q": 4}).picture()
    boxes = {b.key: b for b in pic.scene.boxes}
    assert "grad -4 ✓" in _texts(pic, "v0") and not boxes["v0"].current
    assert "grad 1 ✗" in _texts(pic, "v1") and "local derivative alone" in _texts(pic, "v1")
    assert boxes["v1"].current and boxes["v2"].current
    marked = [(a.tail, a.head, a.label) for a in pic.scene.arrows if a.current]
    assert ("v1", "op2", "-4 × 1 = ____") in marked  # y's edge: upstream -4, local 1
    assert ("v2", "op4", "1 × -4 = ____") in marked  # q's edge: the seed, local z = -4
    for engine in ("matplotlib", "auto"):
        path = pic.__class__(pic.scene, engine).save(tmp_path / f"marked_{engine}.png")
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    values = ex.check({"q": 2}, kind="value").picture()
    assert "data 2 ✗" in _texts(values, "v2") and any(a.current for a in values.scene.arrows)
