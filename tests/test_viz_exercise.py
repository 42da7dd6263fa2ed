"""Exercise mode: viz.check_gradients marks a student's answers against one backward pass."""

from __future__ import annotations

import numpy as np
import pytest

import viz
from autodiff import Value, topological_order
from viz.demo import worked_example


def test_right_and_wrong_answers_on_the_worked_example():
    f = worked_example()
    report = viz.check_gradients(f, {"x": -4, "y": 4, "z": 3.0, "q": -4.0000000001})
    assert report.correct == ["x", "z", "q"]
    assert report.wrong == ["y"]
    assert not report.all_correct
    assert [(a.label, a.given, a.expected, a.correct) for a in report.answers] == [
        ("x", -4.0, -4.0, True),
        ("y", 4.0, -4.0, False),
        ("z", 3.0, 3.0, True),
        ("q", -4.0000000001, -4.0, True),
    ]
    text = str(report)
    assert text.splitlines() == [
        "3 of 4 answers right",
        "  d/dx = -4  ✓ right",
        "  d/dy = 4  ✗ wrong",
        "  d/dz = 3  ✓ right",
        "  d/dq = -4  ✓ right",
    ]
    assert "-4" not in text.splitlines()[2]  # the right value of a wrong answer is not given away
    assert "✗ wrong" in report._repr_html_()


def test_all_correct_and_missing_or_unknown_labels():
    f = worked_example()
    assert viz.check_gradients(f, {"x": -4, "y": -4, "z": 3, "q": -4}).all_correct
    report = viz.check_gradients(f, {"x": -4, "w": 1})
    assert report.unknown == ["w"] and report.unanswered == ["y", "q", "z"]
    assert not report.all_correct
    assert "no node is labelled 'w'" in str(report) and "not answered: y, q, z" in str(report)


def test_checking_needs_no_backward_and_changes_no_grad():
    f = worked_example()
    nodes = topological_order(f)
    before = [n.grad for n in nodes]
    viz.check_gradients(f, {"x": -4})
    assert [n.grad for n in nodes] == before
    f.backward()
    f.backward()  # accumulated: x.grad == -8, but d f/d x is still -4
    assert viz.check_gradients(f, {"x": -4}).correct == ["x"]
    assert nodes[0].grad == -8.0


def test_tolerances_and_non_numbers():
    x = Value(0.5, label="x")
    y = x.tanh()
    y.label = "y"
    exact = 1 - np.tanh(0.5) ** 2
    assert viz.check_gradients(y, {"x": round(exact, 4)}).wrong == ["x"]
    assert viz.check_gradients(y, {"x": round(exact, 4)}, rel_tol=1e-3).correct == ["x"]
    assert viz.check_gradients(y, {"x": str(exact)}).correct == ["x"]  # a number written as text is fine
    report = viz.check_gradients(y, {"x": "about 0.8"})
    assert report.wrong == ["x"] and "d/dx = 'about 0.8'  ✗ wrong" in str(report)


def test_ambiguous_labels_are_refused():
    a, b = Value(1.0, label="w"), Value(2.0, label="w")
    out = a * b
    with pytest.raises(ValueError, match="2 nodes are labelled 'w'"):
        viz.check_gradients(out, {"w": 2.0})
