"""check_op: a derivative rule against central differences, its report (score, to_dict),
kinks, random broadcast shapes for tensor ops, and every built-in op passing it."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import autodiff
from autodiff import GradcheckError, Op, TensorOp, Value
from autodiff import scalar, tensor_ops

relu = Op("my_relu", forward=lambda a: max(a, 0.0), local=lambda a, out: (1.0 if a > 0 else 0.0,))


def test_a_right_rule_gives_a_passing_report_with_score_one():
    report = autodiff.check_op(relu)
    assert report and report.passed and report.score == 1.0 and report.checked == 100
    assert report.to_dict() == {
        "op": "my_relu", "passed": True, "score": 1.0, "checked": 100, "failures": [], "message": "",
    }


def test_a_wrong_rule_raises_naming_input_point_expected_and_given():
    wrong = Op("square", forward=lambda a: a * a, local=lambda a, out: (a,))  # should be 2a
    with pytest.raises(GradcheckError) as caught:
        autodiff.check_op(wrong, domain=(1.0, 2.0), n=10)
    # the first point is the domain's low edge: d(a^2)/da = 2 at a = 1, the rule says 1
    assert str(caught.value).startswith(
        "Op('square'): the derivative rule is wrong for input 0 at (1): expected 2 (central differences), given 1"
    )
    report = caught.value.report
    assert report.checked == 10 and len(report.failures) == 10 and report.score == 0.0
    first = report.failures[0]
    assert (first.input, first.point, first.given) == (0, [1.0], 1.0)
    assert first.expected == pytest.approx(2.0, rel=1e-6)


def test_a_partly_right_rule_scores_the_share_of_points_it_gets_right():
    # right for a > 0 only: (-1, 1) has its low edge, its high edge and 98 random points
    half = Op("square", forward=lambda a: a * a, local=lambda a, out: (2 * a if a > 0 else 0.0,))
    report = autodiff.check_op(half, domain=(-1.0, 1.0), n=100, seed=3, raise_on_failure=False)
    negative = sum(f.point[0] < 0 for f in report.failures)
    assert not report and negative == len(report.failures)
    points = np.random.default_rng(3).uniform(-1, 1, 100)[:98]  # the random draws after the edges
    assert report.score == pytest.approx((100 - 1 - np.sum(points < 0)) / 100)
    stored = json.loads(json.dumps(report.to_dict()))  # JSON-safe
    assert stored["score"] == report.score and len(stored["failures"]) == len(report.failures)
    assert stored["failures"][0]["kind"] == "rule"


def test_kinks_accept_either_side_at_the_domain_edge_and_nothing_else():
    assert autodiff.check_op(relu, domain=(0.0, 3.0))  # at 0: slope 0 (PyTorch's choice) is a one-sided slope
    two = Op("relu", forward=lambda a: max(a, 0.0), local=lambda a, out: (1.0 if a > 0 else 2.0,))
    with pytest.raises(GradcheckError, match=r"at \(0\), a kink: expected a slope between 0 and 1 .* given 2"):
        autodiff.check_op(two, domain=(0.0, 3.0))
    absolute = Op("abs", forward=abs, local=lambda a, out: (1.0 if a > 0 else -1.0 if a < 0 else 0.0,))
    assert autodiff.check_op(absolute, domain=(0.0, 1.0))


def test_a_rule_that_does_not_run_on_values_is_named():
    floats_only = Op("exp2", forward=math.exp, local=lambda a, out: (math.exp(a),))
    with pytest.raises(TypeError, match=r"local rule fails on Values .*create_graph"):
        autodiff.check_op(floats_only)


def test_tensor_ops_are_checked_on_random_shapes_that_broadcast():
    seen = set()

    def forward(a, b):
        seen.add((a.shape, b.shape))
        return a * b + b

    right = TensorOp("mul_add", forward, lambda g, out, needs, a, b: (g * b, g * (a + 1)))
    assert autodiff.check_op(right, n=30)
    assert any(a != b for a, b in seen)  # inputs of different shapes, broadcast together
    assert any(len(a) == 0 or len(b) == 0 for a, b in seen)  # 0-d among them
    wrong = TensorOp("mul_add", lambda a, b: a * b + b, lambda g, out, needs, a, b: (g * b, g * a))
    with pytest.raises(GradcheckError, match=r"input 1 element \(.*\) at inputs of shape .*expected .* given"):
        autodiff.check_op(wrong, n=30)


def test_a_vjp_of_a_shape_no_input_has_is_a_shape_failure():
    bad = TensorOp("bad", lambda a: a * 2, lambda g, out, needs, a: (np.ones(7),))
    report = autodiff.check_op(bad, shape=(2, 3), n=3, raise_on_failure=False)
    assert report.failures[0].kind == "shape" and "gradient of shape (7,)" in report.message()


def test_bad_arguments_are_named():
    with pytest.raises(TypeError, match="check_op: op must be an autodiff.Op or autodiff.TensorOp, got function"):
        autodiff.check_op(lambda a: a)
    with pytest.raises(ValueError, match="low < high"):
        autodiff.check_op(relu, domain=(1.0, 1.0))
    with pytest.raises(TypeError, match="domain must be two numbers"):
        autodiff.check_op(relu, domain="ab")
    with pytest.raises(ValueError, match="n must be an int >= 1, got 0"):
        autodiff.check_op(relu, n=0)
    with pytest.raises(ValueError, match="no point of the domain"):
        autodiff.check_op(scalar.LOG, domain=(-2.0, -1.0))


SCALAR_OPS = [
    (scalar.ADD, (-3, 3)), (scalar.SUB, (-3, 3)), (scalar.MUL, (-3, 3)), (scalar.DIV, (0.5, 3)),
    (scalar.NEG, (-3, 3)), (scalar.POW, (0.5, 2)), (scalar.EXP, (-3, 3)), (scalar.LOG, (0.1, 3)),
    (scalar.SQRT, (0.1, 3)), (scalar.ABS, (-3, 3)), (scalar.TANH, (-3, 3)), (scalar.SIGMOID, (-3, 3)),
    (scalar.RELU, (-3, 3)), (scalar.RELU, (0, 3)), (scalar.SIN, (-3, 3)), (scalar.COS, (-3, 3)),
    (scalar.ERF, (-3, 3)), (scalar.SILU, (-3, 3)), (scalar.GELU, (-3, 3)), (scalar.GELU_TANH, (-3, 3)),
]


@pytest.mark.parametrize("op, domain", SCALAR_OPS, ids=lambda v: getattr(v, "name", str(v)))
def test_every_built_in_scalar_op_passes(op, domain):
    assert autodiff.check_op(op, domain=domain, n=50).score == 1.0


TENSOR_OPS = [
    (tensor_ops.ADD, (-3, 3)), (tensor_ops.SUB, (-3, 3)), (tensor_ops.MUL, (-3, 3)), (tensor_ops.DIV, (0.5, 3)),
    (tensor_ops.NEG, (-3, 3)), (tensor_ops.EXP, (-3, 3)), (tensor_ops.LOG, (0.1, 3)), (tensor_ops.SQRT, (0.1, 3)),
    (tensor_ops.TANH, (-3, 3)), (tensor_ops.SIGMOID, (-3, 3)), (tensor_ops.RELU, (-3, 3)),
    (tensor_ops.SIN, (-3, 3)), (tensor_ops.COS, (-3, 3)),
]


@pytest.mark.parametrize("op, domain", TENSOR_OPS, ids=lambda v: getattr(v, "name", str(v)))
def test_every_built_in_elementwise_tensor_op_passes_on_random_broadcasts(op, domain):
    assert autodiff.check_op(op, domain=domain, n=20).score == 1.0


def test_a_tensor_op_with_its_own_shapes_and_params():
    assert autodiff.check_op(tensor_ops.MATMUL, shape=[(2, 3), (3, 4)], n=5)
    assert autodiff.check_op(tensor_ops.SUM, shape=(2, 3), params={"axis": 0, "keepdims": False}, n=5)
    mask = np.array([[True, False, True], [False, False, True]])  # where(): each side gets g where it is chosen
    assert autodiff.check_op(tensor_ops.WHERE, shape=[(3,), (2, 3)], params={"condition": mask}, n=5)
    assert autodiff.check_op(tensor_ops.ELU, shape=(2, 3), params={"alpha": 1.5}, n=10)  # a rule written with it


def test_values_compare_by_their_numbers():
    assert Value(2.0) > 1 and Value(1.0) < Value(3.0) and Value(1.0) <= 1.0 and not Value(0.0) >= 0.5
    assert [v.data for v in sorted([Value(3.0), Value(1.0), Value(2.0)])] == [1.0, 2.0, 3.0]
    a, b = Value(1.0), Value(1.0)
    assert len({a, b}) == 2  # still told apart by identity (no __eq__ on numbers)
