"""Grading at scale: 1,000 random exercises, answered right, wrong and partly right by construction.

For each exercise the answers are built from the graph's own numbers (a fresh copy of the
graph, ``autodiff``'s backward pass and each op's local rule, not the marking code): for
some nodes the right gradient, for some one edge's contribution alone (the fan-out sum
forgotten), for some the local derivative alone, for some the negated gradient, some a
number off by a random amount, some left out. Every mark, diagnosis, edge and the score
are then checked against that construction.
"""

from __future__ import annotations

import json
import math

import numpy as np

import viz
from autodiff import topological_order
from viz import practice
from viz.expression import build

TOL = dict(rel_tol=viz.exercise.RIGHT_REL_TOL, abs_tol=viz.exercise.RIGHT_ABS_TOL)
GRAD_KINDS = ("right", "fan_out", "local_only", "sign", "noise", "skip")
VALUE_KINDS = ("right", "sign", "noise", "skip")
ORDER = ("carried", "fan_out", "local_only", "sign")


def close(a, b):
    return math.isclose(a, b, **TOL)


def recipe(seed):
    ops = practice.SUPPORTED_OPS if seed % 2 else practice.DEFAULT_OPS
    return dict(seed=seed, n_ops=3 + seed % 6, ops=ops, fan_out=seed % 5 != 0, integers=seed % 3 != 0)


class Oracle:
    """The exercise's numbers from a fresh copy of its graph: gradients by autodiff's backward,
    each edge's local derivative from its op's rule."""

    def __init__(self, ex):
        self.root = build(ex.source, ex.values)
        self.root.backward()
        self.nodes = {n.label: n for n in topological_order(self.root) if n.label}
        self.edges = {label: [] for label in self.nodes}  # label -> [(child label, position, upstream, local)]
        for child in topological_order(self.root):
            if not child.parents:
                continue
            locals_ = child.primitive.local(*[p.data for p in child.parents], child.data)
            for position, parent in enumerate(child.parents):
                if parent.label:
                    self.edges[parent.label].append((child.label, position, child.grad, float(locals_[position])))

    def grad_explanations(self, label, given, answers):
        node, edges = self.nodes[label], self.edges[label]
        found = []
        wrong_above = [c for c, *_ in edges if c in answers and c != self.root.label
                       and not close(answers[c], self.nodes[c].grad)]
        if wrong_above:
            theirs = sum((answers[c] if c in answers and c != self.root.label else u) * l for c, _, u, l in edges)
            if close(given, theirs):
                found.append("carried")
        if len(edges) > 1 and any(close(given, u * l) for _, _, u, l in edges):
            found.append("fan_out")
        if any(close(given, l) for *_, l in edges):
            found.append("local_only")
        if not close(node.grad, -node.grad) and close(given, -node.grad):
            found.append("sign")
        return found

    def value_explanations(self, label, given, answers):
        node = self.nodes[label]
        found = []
        wrong_in = [p for p in node.parents if p.parents and p.label in answers and not close(answers[p.label], p.data)]
        if wrong_in:
            theirs = [answers[p.label] if p.parents and p.label in answers else p.data for p in node.parents]
            try:
                if close(given, node.primitive.forward(*theirs)):
                    found.append("carried")
            except (ValueError, ZeroDivisionError, OverflowError):
                pass
        if not close(node.data, -node.data) and close(given, -node.data):
            found.append("sign")
        return found


def construct_grad(ex, oracle, rng):
    """label -> (what was built, the number); 'skip' left out."""
    built = {}
    for label in ex.blanks("grad"):
        kind = GRAD_KINDS[int(rng.integers(len(GRAD_KINDS)))]
        edges = oracle.edges[label]
        g = oracle.nodes[label].grad
        if kind == "fan_out" and len(edges) < 2:
            kind = "right"
        if kind == "right":
            built[label] = ("right", g)
        elif kind == "fan_out":
            _, _, u, l = edges[0]
            built[label] = ("fan_out", u * l)
        elif kind == "local_only":
            built[label] = ("local_only", edges[0][3])
        elif kind == "sign":
            built[label] = ("sign", -g)
        elif kind == "noise":
            built[label] = ("noise", g + float(rng.choice([-1, 1])) * float(rng.uniform(0.37, 9.1)))
    return built


def construct_value(ex, oracle, rng):
    built = {}
    for label in ex.blanks("value"):
        kind = VALUE_KINDS[int(rng.integers(len(VALUE_KINDS)))]
        v = oracle.nodes[label].data
        if kind == "right":
            built[label] = ("right", v)
        elif kind == "sign":
            built[label] = ("sign", -v)
        elif kind == "noise":
            built[label] = ("noise", v + float(rng.choice([-1, 1])) * float(rng.uniform(0.37, 9.1)))
    return built


def check_report(ex, oracle, report, built, kind, stats):
    answers = {label: number for label, (_, number) in built.items()}
    truth = {label: (oracle.nodes[label].grad if kind == "grad" else oracle.nodes[label].data) for label in built}
    assert [m.label for m in report.marks] == [label for label in ex.labels if label in built]
    assert report.unanswered == [label for label in ex.blanks(kind) if label not in built]
    right = 0
    for m in report.marks:
        how, number = built[m.label]
        assert m.given == number and math.isclose(m.expected, truth[m.label], rel_tol=1e-12, abs_tol=1e-12)
        if close(number, truth[m.label]):
            assert m.correct and m.mistake is None, (ex, m)
            right += 1
            stats["right"] += 1
            continue
        assert not m.correct, (ex, m)
        explain = (oracle.grad_explanations if kind == "grad" else oracle.value_explanations)(m.label, number, answers)
        assert list(m.consistent_with) == (explain or ["wrong"]), (ex.source, m)
        assert m.mistake == (explain[0] if explain else "wrong")
        if how != "noise":
            assert how in m.consistent_with, (ex.source, how, m)  # the slip built is always among those found
        stats["slips"] += 1
        stats["named_as_built"] += m.mistake == ("wrong" if how == "noise" else how)
        if kind == "grad" and m.mistake == "local_only":
            assert close(number, m.where[0].local) and len(m.where) == 1
        if kind == "grad" and m.mistake == "fan_out":
            counted = [e for e in m.edges if all(e is not w for w in m.where)]
            assert len(counted) == 1 and close(number, counted[0].contribution)
            assert len(m.where) == len(oracle.edges[m.label]) - 1
        if kind == "grad" and m.mistake == "carried":
            assert all(e.child in answers and not close(answers[e.child], truth.get(e.child, oracle.nodes[e.child].grad))
                       for e in m.where)
        assert m.message.startswith(("d", m.label))
    blanks = ex.blanks(kind)
    assert math.isclose(report.score, right / len(blanks), rel_tol=1e-12)
    assert report.passed == (right == len(blanks))
    data = json.loads(json.dumps(report.to_dict(), allow_nan=False))
    assert data["score"] == report.score and data["passed"] == report.passed
    assert [d["mistake"] for d in data["marks"]] == [m.mistake for m in report.marks]
    assert data["exercise"]["seed"] == ex.seed and data["exercise"]["source"] == ex.source


def test_grading_a_thousand_random_exercises():
    rng = np.random.default_rng(2024)
    stats = {"right": 0, "slips": 0, "named_as_built": 0}
    for seed in range(1000):
        ex = viz.Exercise.random(**recipe(seed))
        oracle = Oracle(ex)
        built = construct_grad(ex, oracle, rng)
        keyed = {(ex.node(label) if rng.random() < 0.2 else label): number for label, (_, number) in built.items()}
        check_report(ex, oracle, ex.check(keyed), built, "grad", stats)
        if seed % 4 == 0:
            built = construct_value(ex, oracle, rng)
            answers = {label: number for label, (_, number) in built.items()}
            check_report(ex, oracle, ex.check(answers, kind="value"), built, "value", stats)
    # the slip built is the one named, except where two slips give the same number
    assert stats["slips"] > 2000 and stats["right"] > 1000
    assert stats["named_as_built"] / stats["slips"] > 0.8, stats


def test_all_right_scores_one_and_nothing_answered_scores_zero():
    for seed in range(0, 1000, 37):
        ex = viz.Exercise.random(**recipe(seed))
        oracle = Oracle(ex)
        full = ex.check({label: oracle.nodes[label].grad for label in ex.blanks()})
        assert full.passed and full.score == 1.0
        empty = ex.check({})
        assert not empty.passed and empty.score == 0.0 and empty.unanswered == ex.blanks()
        assert json.loads(json.dumps(empty.to_dict(), allow_nan=False))["marks"] == []
