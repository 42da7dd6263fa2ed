"""Gradient clipping: by value (PyTorch's and the slide's interval), by global norm
(torch.nn.utils as the oracle) and by each parameter's norm (the slide's formula)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import optim
from autodiff import Tensor, Value


class Param:
    def __init__(self, data, grad):
        self.data = data
        self.grad = grad


def make_params():
    return [
        Param(np.zeros(3), np.array([3.0, -4.0, 0.5])),
        Param(np.zeros((2, 2)), np.array([[1.0, -2.0], [0.25, 6.0]])),
        Value(0.0),
    ]


@pytest.fixture()
def params():
    ps = make_params()
    ps[2].grad = -7.0
    return ps


def test_clip_by_value_into_minus_b_b(params):
    optim.clip_grad_value_(params, 2.0)
    np.testing.assert_array_equal(params[0].grad, [2.0, -2.0, 0.5])
    np.testing.assert_array_equal(params[1].grad, [[1.0, -2.0], [0.25, 2.0]])
    assert params[2].grad == -2.0 and type(params[2].grad) is float


def test_clip_by_value_into_the_slides_interval(params):
    # g ← max(min(g, b), a) with a = -1, b = 3
    optim.clip_grad_value_(params, (-1.0, 3.0))
    np.testing.assert_array_equal(params[0].grad, [3.0, -1.0, 0.5])
    np.testing.assert_array_equal(params[1].grad, [[1.0, -1.0], [0.25, 3.0]])
    assert params[2].grad == -1.0


def test_clipping_replaces_gradients_instead_of_changing_them(params):
    original = params[0].grad
    optim.clip_grad_value_(params, 1.0)
    optim.clip_grad_norm_(params, 0.1)
    np.testing.assert_array_equal(original, [3.0, -4.0, 0.5])  # a shared gradient is safe


def test_global_norm_is_one_norm_over_all_gradients(params):
    expected = math.sqrt(9 + 16 + 0.25 + 1 + 4 + 0.0625 + 36 + 49)  # 10.74
    total = optim.clip_grad_norm_(params, 5.0)
    assert total == pytest.approx(expected, rel=1e-15)
    scale = 5.0 / (expected + 1e-6)
    np.testing.assert_allclose(params[0].grad, np.array([3.0, -4.0, 0.5]) * scale, rtol=1e-15)
    assert params[2].grad == pytest.approx(-7.0 * scale, rel=1e-15)
    after = math.sqrt(sum(float(np.sum(np.square(p.grad))) for p in params))
    assert after == pytest.approx(5.0, rel=1e-6)  # the slide's b/‖g‖ g, up to PyTorch's 1e-6 guard


def test_a_short_gradient_is_left_alone(params):
    total = optim.clip_grad_norm_(params, 100.0)
    assert total == pytest.approx(math.sqrt(115.3125), rel=1e-15)
    np.testing.assert_array_equal(params[0].grad, [3.0, -4.0, 0.5])


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, math.inf])
def test_global_norm_matches_torch(params, norm_type):
    torch = pytest.importorskip("torch", reason="PyTorch is the clipping oracle: pip install torch==2.13.0")
    tensors = []
    for p in params:
        t = torch.zeros(np.shape(p.data), dtype=torch.float64, requires_grad=True)
        t.grad = torch.as_tensor(np.array(p.grad, dtype=np.float64))
        tensors.append(t)
    theirs = torch.nn.utils.clip_grad_norm_(tensors, max_norm=2.5, norm_type=norm_type, foreach=False)
    ours = optim.clip_grad_norm_(params, max_norm=2.5, norm_type=norm_type)
    assert ours == pytest.approx(theirs.item(), rel=1e-14)
    for p, t in zip(params, tensors):
        np.testing.assert_allclose(p.grad, t.grad.numpy(), rtol=1e-14)


def test_per_parameter_norm_caps_each_gradient_on_its_own(params):
    norms = optim.clip_grad_norm_per_param_(params, 5.0)
    assert norms == pytest.approx([math.sqrt(25.25), math.sqrt(1 + 4 + 0.0625 + 36), 7.0], rel=1e-15)
    # the first is 5.02 long: scaled to 5; the second (6.41) too; the scalar to ±5
    for p, norm in zip(params, norms):
        assert float(np.linalg.norm(np.ravel(p.grad))) == pytest.approx(5.0, rel=1e-6)
    expected = np.array([3.0, -4.0, 0.5]) * 5.0 / (norms[0] + 1e-6)
    np.testing.assert_allclose(params[0].grad, expected, rtol=1e-15)
    short = make_params()
    short[2].grad = 1.0
    optim.clip_grad_norm_per_param_(short, 6.0)
    np.testing.assert_array_equal(short[0].grad, [3.0, -4.0, 0.5])  # 5.02 < 6: unchanged
    assert float(np.linalg.norm(short[1].grad)) == pytest.approx(6.0, rel=1e-6)


def test_clipping_keeps_float32_and_skips_missing_gradients():
    p = Param(np.zeros(2, dtype=np.float32), np.array([30.0, 40.0], dtype=np.float32))
    none = Param(np.zeros(2), None)
    assert optim.clip_grad_norm_([p, none], 5.0) == pytest.approx(50.0)
    assert p.grad.dtype == np.float32 and none.grad is None
    optim.clip_grad_value_([p, none], 1.0)
    assert p.grad.dtype == np.float32
    assert optim.clip_grad_norm_([none], 1.0) == 0.0


def test_nonfinite_norm(params):
    params[0].grad = np.array([math.inf, 0.0, 0.0])
    with pytest.raises(RuntimeError, match="clip_grad_norm_: the total 2.0-norm of the gradients is inf"):
        optim.clip_grad_norm_(params, 1.0, error_if_nonfinite=True)
    params[0].grad = np.array([math.nan, 0.0, 0.0])
    assert math.isnan(optim.clip_grad_norm_(params, 1.0))
    assert math.isnan(params[1].grad[0, 0])  # scaled by nan, as PyTorch does


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda ps: optim.clip_grad_value_(ps, -1.0), r"clip_grad_value_: clip_value must be .* b >= 0"),
        (lambda ps: optim.clip_grad_value_(ps, (2.0, 1.0)), r"clip_value \(a, b\) must be .* with a <= b"),
        (lambda ps: optim.clip_grad_norm_(ps, -1.0), r"clip_grad_norm_: max_norm must be .* >= 0"),
        (lambda ps: optim.clip_grad_norm_(ps, 1.0, norm_type=0), r"norm_type must be .* > 0 or math.inf"),
        (lambda ps: optim.clip_grad_norm_per_param_(ps, math.nan), r"clip_grad_norm_per_param_: max_norm"),
    ],
)
def test_bad_clipping_arguments_change_nothing(params, call, message):
    with pytest.raises(ValueError, match=message):
        call(params)
    np.testing.assert_array_equal(params[0].grad, [3.0, -4.0, 0.5])


def test_clipping_something_without_grad_is_refused():
    with pytest.raises(TypeError, match=r"clip_grad_norm_: params\[1\] is a float without \.grad"):
        optim.clip_grad_norm_([Value(1.0), 2.0], 1.0)


@pytest.mark.parametrize("clip", [
    lambda p: optim.clip_grad_value_(p, 1.0),
    lambda p: optim.clip_grad_norm_(p, 1.0),
    lambda p: optim.clip_grad_norm_per_param_(p, 1.0),
], ids=["value", "global norm", "per-parameter norm"])
@pytest.mark.parametrize(
    "bad, kind", [([3.0, 4.0], "a list"), ("34", "a str"), (np.array([3j]), "an array of dtype complex128")]
)
def test_a_gradient_that_is_not_real_numbers_is_named_and_nothing_is_clipped(clip, bad, kind):
    first = Tensor(np.zeros(3), requires_grad=True)
    first.grad = np.array([30.0, 40.0, 0.0])
    w = Tensor(np.zeros(2), requires_grad=True, label="w")
    w.grad = bad
    with pytest.raises(TypeError, match=rf"the gradient of parameter 1 \('w'\) is {kind}"):
        clip([first, w])
    np.testing.assert_array_equal(first.grad, [30.0, 40.0, 0.0])
