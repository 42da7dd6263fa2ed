"""viz.homework: the slides' homework checks mark right, wrong, unanswered and broken answers."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from viz import homework


def s(x):
    return 1 / (1 + math.exp(-x))


def test_sigmoid_derivatives():
    first = homework.check_sigmoid_derivative(lambda x: s(x) * (1 - s(x)))
    assert first.passed and first and first.score == 1.0 and first.checked == 17 and first.message() == ""
    second = homework.check_sigmoid_second_derivative(lambda x: s(x) * (1 - s(x)) * (1 - 2 * s(x)))
    assert second.passed
    wrong = homework.check_sigmoid_derivative(lambda x: s(x) * (1 - s(x)) if x > 0 else s(x))
    assert not wrong and wrong.score == pytest.approx(8 / 17)  # right only for x > 0 (8 of the 17 points)
    assert wrong.message().startswith("sigmoid': at x = -4 expected 0.0176627, given 0.0179862")
    # the second derivative is not the first
    assert homework.check_sigmoid_second_derivative(lambda x: s(x) * (1 - s(x))).score < 0.1


def test_unanswered_broken_and_bad_answers():
    none = homework.check_sigmoid_derivative(None)
    assert not none and none.score == 0.0 and "not answered yet" in none.message()
    broken = homework.check_sigmoid_derivative(lambda x: x.nope)
    assert broken.score == 0.0 and "your code raised AttributeError" in broken.message()
    with pytest.raises(TypeError, match="give a function of x, got float 0.25"):
        homework.check_sigmoid_derivative(0.25)
    nan = homework.check_sigmoid_derivative(lambda x: float("nan"))
    data = json.loads(json.dumps(nan.to_dict(), allow_nan=False))
    assert data["failures"][0]["given"] is None and data["score"] == 0.0


def right_jacobian(x):
    p = np.exp(x - x.max())
    p /= p.sum()
    return np.eye(len(x)) - p[None, :]


def test_log_softmax_gradient_against_finite_differences_and_slips():
    x = np.array([0.3, -1.2, 2.0])

    def log_softmax(v):
        return v - np.log(np.exp(v).sum())

    h = 1e-6
    numeric = np.stack([(log_softmax(x + h * e) - log_softmax(x - h * e)) / (2 * h) for e in np.eye(3)], axis=1)
    assert np.allclose(right_jacobian(x), numeric, atol=1e-8)  # the check's formula, independently
    assert homework.check_log_softmax_gradient(right_jacobian).passed
    transposed = homework.check_log_softmax_gradient(lambda v: right_jacobian(v).T)
    assert not transposed and "that is the transpose" in transposed.message()
    shape = homework.check_log_softmax_gradient(lambda v: right_jacobian(v)[0])
    assert "not (" in shape.message()
    data = json.loads(json.dumps(transposed.to_dict(), allow_nan=False))
    assert isinstance(data["failures"][0]["expected"], list)


def test_the_relu_net_by_hand():
    net = homework.relu_net_exercise()
    # by hand: z1 = 0.2 + 0.3 + 0 = 0.5, z2 = -0.2 + 0.3 + 0.1 = 0.2 (both relus pass),
    # yhat = 0.5*0.5 - 0.5*0.2 + 0.2 = 0.35, L = 0.5 * 0.65^2, dL/dyhat = yhat - y = -0.65
    assert net.root.data == pytest.approx(0.21125)
    assert net.expected("value") == pytest.approx({"z1": 0.5, "h1": 0.5, "z2": 0.2, "h2": 0.2, "yhat": 0.35})
    assert net.expected() == pytest.approx({
        "v1": -0.325, "W11": -0.065, "W12": -0.0975, "b1": -0.325, "z1": -0.325, "h1": -0.325,
        "v2": -0.13, "W21": 0.065, "W22": 0.0975, "b2": 0.325, "z2": 0.325, "h2": 0.325,
        "c": -0.65, "yhat": -0.65,
    })
    slip = net.check({"W11": 0.2}).mark("W11")  # x1 = d(W11 x1)/dW11 alone, the upstream forgotten
    assert slip.mistake == "local_only" and slip.where[0].upstream == pytest.approx(-0.325)
    step = {w: homework.RELU_NET_VALUES[w] - g for w, g in net.expected().items() if w in homework.RELU_NET_WEIGHTS}
    after = homework.relu_net_exercise_at(step).root.data
    assert after < net.root.data  # one step with learning rate 1 lowers the loss
    assert homework.check_relu_net_step(step, after).passed
    flipped = {**step, "c": homework.RELU_NET_VALUES["c"] - 0.65}  # w + lr*grad: uphill
    report = homework.check_relu_net_step(flipped, after)
    assert report.score == pytest.approx(9 / 10) and "at c expected 0.85" in report.message()
    assert not homework.check_relu_net_step(None)
    with pytest.raises(ValueError, match="'W13' is no weight of the net"):
        homework.check_relu_net_step({"W13": 1.0})


def test_the_relu_net_step_is_marked_as_numbers_worked_by_hand():
    # the key as the notebook prints it (4 decimals) passes, as the same net's exercise does; a word
    # or a list is one wrong answer, named, not a ValueError out of float() that ends the marking
    net = homework.relu_net_exercise()
    step = {w: homework.RELU_NET_VALUES[w] - g for w, g in net.expected().items() if w in homework.RELU_NET_WEIGHTS}
    after = homework.relu_net_exercise_at(step).root.data
    assert after == pytest.approx(0.1598845220507812, rel=1e-12)
    rounded = homework.check_relu_net_step({w: round(v, 4) for w, v in step.items()}, round(after, 4))
    assert rounded.passed and rounded.score == 1.0
    assert homework.check_relu_net_step({**step, "W12": "1.0975"}, "0.1599").passed  # written as text
    wrong = homework.check_relu_net_step({**step, "W11": "about one", "v2": [1]}, "low")
    assert wrong.score == pytest.approx(7 / 10) and [f["at"] for f in wrong.failures] == ["W11", "v2",
                                                                                         "L after the step"]
    assert "at W11 expected 1.065, given 'about one'" in wrong.message()
    json.dumps(wrong.to_dict(), allow_nan=False)
    missed = homework.check_relu_net_step({**step, "W11": 1.0})  # the update left out, the loss not given
    assert [f["at"] for f in missed.failures] == ["W11", "L after the step"]
