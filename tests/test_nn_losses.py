"""Losses and penalties: values and gradients against PyTorch in float64 (``torch`` fixture),
the slides' forms by their formulas, and the errors bad input gets."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff
import nn
import nn.functional as F
from autodiff import Tensor, Value


@pytest.fixture
def torch():
    return pytest.importorskip("torch", reason="PyTorch is these tests' oracle: pip install torch==2.13.0")


def _t(torch, array, grad=False):
    return torch.tensor(np.asarray(array), dtype=torch.float64, requires_grad=grad)


def _ours_and_theirs(torch, ours, theirs, X, target, reduction, target_t=None):
    """Loss value and d(loss · G)/dX for both libraries (G random when the loss is not a scalar)."""
    x = Tensor(X, requires_grad=True)
    loss = ours(x, target, reduction=reduction)
    xt = _t(torch, X, grad=True)
    loss_t = theirs(xt, _t(torch, target) if target_t is None else target_t, reduction=reduction)
    G = np.random.default_rng(99).standard_normal(loss.shape)
    (loss * G).sum().backward()
    (loss_t * _t(torch, G)).sum().backward()
    return (loss.data, x.grad), (loss_t.detach().numpy(), xt.grad.numpy())


def _assert_close(ours, theirs, rtol=1e-12, atol=1e-14):
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)


REDUCTIONS = ["mean", "sum", "none"]
RNG = np.random.default_rng(0)
LOGITS = RNG.normal(0, 2, (6, 4))
LABELS = np.array([0, 3, 1, 1, 2, 0])


# -- squared error --------------------------------------------------------------------------


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_mse_loss_equals_torch(torch, reduction):
    X, Y = RNG.standard_normal((5, 3)), RNG.standard_normal((5, 3))
    _assert_close(*_ours_and_theirs(torch, F.mse_loss, torch.nn.functional.mse_loss, X, Y, reduction))


def test_quadratic_loss_is_half_the_squared_error_with_gradient_f_minus_y():
    f, y = np.array([1.0, 3.0, -2.0]), np.array([0.0, 1.0, 1.0])
    x = Tensor(f, requires_grad=True)
    loss = F.quadratic_loss(x, y, reduction="sum")
    loss.backward()
    assert loss.item() == pytest.approx(0.5 * (1 + 4 + 9), rel=1e-15)
    np.testing.assert_allclose(x.grad, f - y, rtol=1e-15)
    assert F.mse_loss(f, y, half=True).item() == pytest.approx(F.mse_loss(f, y).item() / 2, rel=1e-15)
    assert nn.MSELoss(half=True)(f, y).item() == pytest.approx(F.quadratic_loss(f, y).item(), rel=1e-15)


def test_shape_mismatch_is_an_error_naming_both_shapes():
    with pytest.raises(ValueError, match=r"mse_loss: input has shape \(4, 1\) but target has shape \(4,\)"):
        F.mse_loss(np.zeros((4, 1)), np.zeros(4))
    with pytest.raises(ValueError, match=r"cross_entropy: input has shape \(3,\) but target has shape \(2,"):
        F.binary_cross_entropy(np.full(3, 0.5), np.zeros(2))


_FLOAT32_CASES = {  # loss, PyTorch's, input, target (float64 or int, as numpy gives them)
    "mse": (F.mse_loss, "mse_loss", RNG.standard_normal((4, 3)), RNG.standard_normal((4, 3))),
    "bce": (F.binary_cross_entropy, "binary_cross_entropy", RNG.uniform(0.01, 0.99, (4, 3)),
            RNG.integers(0, 2, (4, 3))),
    "bce with logits": (F.binary_cross_entropy_with_logits, "binary_cross_entropy_with_logits",
                        RNG.normal(0, 3, (4, 3)), RNG.uniform(0, 1, (4, 3))),
    "hinge": (F.hinge_loss, None, RNG.standard_normal(6), np.array([1, -1, 1, 1, -1, -1])),
}


@pytest.mark.parametrize("case", list(_FLOAT32_CASES))
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_a_float32_output_with_float64_or_int_targets_gives_a_float32_loss_like_torch(torch, case, reduction):
    # the targets, a numpy array, are constants in the output's dtype (as cross_entropy's rows
    # are): a float32 model's loss and gradient stay float32, with float32's numbers
    ours, theirs, X, Y = _FLOAT32_CASES[case]
    x = Tensor(X.astype(np.float32), requires_grad=True)
    loss = ours(x, Y, reduction=reduction)
    assert loss.dtype == np.float32
    xt = torch.tensor(X.astype(np.float32), requires_grad=True)
    yt = torch.tensor(Y.astype(np.float32))
    if theirs is None:
        loss_t = torch.clamp(1 - xt * yt, min=0)
        loss_t = {"mean": loss_t.mean(), "sum": loss_t.sum(), "none": loss_t}[reduction]
    else:
        loss_t = getattr(torch.nn.functional, theirs)(xt, yt, reduction=reduction)
    np.testing.assert_allclose(loss.data, loss_t.detach().numpy(), rtol=2e-6, atol=1e-6)
    G = np.random.default_rng(5).standard_normal(loss.shape).astype(np.float32)
    (loss * G).sum().backward()
    (loss_t * torch.tensor(G)).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad, xt.grad.numpy(), rtol=2e-6, atol=1e-6)



@pytest.mark.parametrize("loss, args, message", [
    (F.mse_loss, (np.zeros(2), [[1.0], [1.0, 2.0]]), "mse_loss: target is not a rectangular array"),
    (F.binary_cross_entropy, ([[0.5], [0.5, 0.2]], [1.0, 0.0]), "binary_cross_entropy: input is not a"),
    (F.cross_entropy, (np.zeros((2, 3)), [[1.0, 0.0, 0.0], [1.0]]), "cross_entropy: target is not a"),
    (F.multi_margin_loss, (np.zeros((2, 3)), [[1], [1, 2]]), "multi_margin_loss: target is not a"),
    (F.cross_entropy, (np.zeros((3, 0)), np.zeros(3, dtype=int)), r"shape \(3, 0\), no class at all"),
    (F.multi_margin_loss, (np.zeros((3, 0)), np.zeros(3, dtype=int)), r"shape \(3, 0\), no class at all"),
])
def test_ragged_lists_and_scores_without_classes_are_named_not_a_numpy_traceback(loss, args, message):
    with pytest.raises(ValueError, match=message):
        loss(*args)

def test_unknown_reduction_is_refused():
    with pytest.raises(ValueError, match="reduction must be one of 'mean', 'sum', 'none', got 'avg'"):
        F.cross_entropy(LOGITS, LABELS, reduction="avg")
    with pytest.raises(ValueError, match="CrossEntropyLoss: reduction"):
        nn.CrossEntropyLoss(reduction="batchmean")


# -- cross-entropy --------------------------------------------------------------------------


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_with_class_indices_equals_torch(torch, reduction):
    target_t = torch.tensor(LABELS)
    results = _ours_and_theirs(torch, F.cross_entropy, torch.nn.functional.cross_entropy, LOGITS, LABELS,
                               reduction, target_t)
    _assert_close(*results)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_with_probability_targets_equals_torch(torch, reduction):
    P = np.random.default_rng(1).dirichlet(np.ones(4), size=6)
    theirs = torch.nn.functional.cross_entropy
    results = _ours_and_theirs(torch, F.cross_entropy, theirs, LOGITS, P, reduction)
    _assert_close(*results)


def test_cross_entropy_one_hot_equals_class_indices_and_the_slides_gradient():
    Y = np.eye(4)[LABELS]
    a, b = Tensor(LOGITS, requires_grad=True), Tensor(LOGITS, requires_grad=True)
    loss_a, loss_b = F.cross_entropy(a, LABELS, reduction="sum"), F.cross_entropy(b, Y, reduction="sum")
    loss_a.backward()
    loss_b.backward()
    assert loss_a.item() == pytest.approx(loss_b.item(), rel=1e-14)
    softmax = np.exp(LOGITS) / np.exp(LOGITS).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(a.grad, softmax - Y, rtol=1e-12, atol=1e-15)  # MNIST net: dZ3 = A3 - Y
    np.testing.assert_allclose(b.grad, softmax - Y, rtol=1e-12, atol=1e-15)


def test_cross_entropy_of_one_sample_and_of_a_float_tensor_of_labels():
    single = F.cross_entropy(LOGITS[1], 3)
    assert single.shape == ()
    assert single.item() == pytest.approx(F.cross_entropy(LOGITS, LABELS, "none").data[1], rel=1e-15)
    as_tensor = F.cross_entropy(LOGITS, Tensor(LABELS))  # a Tensor holds labels as floats
    assert as_tensor.item() == pytest.approx(F.cross_entropy(LOGITS, LABELS).item(), rel=1e-15)


def test_cross_entropy_is_stable_for_huge_logits(torch):
    X = np.array([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 999.0]])
    (value, grad), (value_t, grad_t) = _ours_and_theirs(
        torch, F.cross_entropy, torch.nn.functional.cross_entropy, X, np.array([1, 2]), "mean",
        torch.tensor([1, 2]),
    )
    assert np.isfinite(value) and np.all(np.isfinite(grad))
    _assert_close((value, grad), (value_t, grad_t))


def test_cross_entropy_refuses_bad_class_indices_naming_them():
    with pytest.raises(ValueError, match=r"target\[2\] = 7 is out of range for 4 classes \(0..3\)"):
        F.cross_entropy(LOGITS, [0, 1, 7, 1, 2, 0])
    with pytest.raises(ValueError, match=r"target\[0\] = -1 is out of range"):
        F.cross_entropy(LOGITS, [-1, 1, 2, 1, 2, 0])
    with pytest.raises(ValueError, match=r"target has shape \(5,\), scores \(6, 4\)"):
        F.cross_entropy(LOGITS, [0, 1, 2, 1, 2])
    with pytest.raises(ValueError, match="must be whole numbers"):
        F.cross_entropy(LOGITS, [0, 1, 2.5, 1, 2, 0])
    with pytest.raises(ValueError, match=r"input \(the scores\) must have shape \(N, C\) or \(C,\)"):
        F.cross_entropy(np.zeros((2, 3, 4)), np.zeros((2, 3)))


# -- binary cross-entropy -------------------------------------------------------------------


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy_equals_torch(torch, reduction):
    P = np.random.default_rng(2).uniform(0.01, 0.99, (4, 3))
    Y = np.random.default_rng(3).uniform(0, 1, (4, 3))  # soft targets are allowed
    bce = torch.nn.functional.binary_cross_entropy
    _assert_close(*_ours_and_theirs(torch, F.binary_cross_entropy, bce, P, Y, reduction), rtol=1e-11)


def test_binary_cross_entropy_clamps_each_log_at_minus_100_as_torch(torch):
    P, Y = np.array([0.0, 1.0, 0.0, 1.0, 0.5]), np.array([1.0, 0.0, 0.0, 1.0, 1.0])
    p = Tensor(P, requires_grad=True)
    loss = F.binary_cross_entropy(p, Y, reduction="none")
    p_t = _t(torch, P, grad=True)
    loss_t = torch.nn.functional.binary_cross_entropy(p_t, _t(torch, Y), reduction="none")
    np.testing.assert_allclose(loss.data, loss_t.detach().numpy(), rtol=1e-15)
    np.testing.assert_allclose(loss.data, [100.0, 100.0, 0.0, 0.0, np.log(2)], rtol=1e-15)
    loss.sum().backward()
    loss_t.sum().backward()
    # finite everywhere; at p = 0 or 1 the clamp is flat where the log is clamped (PyTorch divides
    # by max(p(1-p), 1e-12) instead), and the derivative of the unclamped log otherwise
    np.testing.assert_allclose(p.grad, [0.0, 0.0, 1.0, -1.0, -2.0], rtol=1e-15)
    assert p.grad[4] == pytest.approx(p_t.grad.numpy()[4], rel=1e-15)
    with pytest.raises(ValueError, match=r"probabilities in \[0, 1\]"):
        F.binary_cross_entropy(np.array([1.5]), np.array([1.0]))


def test_binary_cross_entropy_clamps_at_exactly_minus_100_in_float32_as_torch(torch):
    # float32 holds e^-100 only as a subnormal (log of it: -99.983), so clamping the argument
    # gave 99.983 for a sure-wrong prediction; PyTorch clamps the log itself
    P = np.array([0.0, 1.0, 0.0, 1.0, 0.3, 1e-45], dtype=np.float32)
    Y = np.array([1.0, 0.0, 0.25, 0.5, 1.0, 1.0], dtype=np.float32)
    p = Tensor(P, requires_grad=True)
    loss = F.binary_cross_entropy(p, Y, reduction="none")
    loss_t = torch.nn.functional.binary_cross_entropy(torch.tensor(P), torch.tensor(Y), reduction="none")
    assert loss.dtype == np.float32
    np.testing.assert_array_equal(loss.data[:4], [100.0, 100.0, 25.0, 50.0])
    np.testing.assert_allclose(loss.data, loss_t.numpy(), rtol=1e-6)
    loss.sum().backward()
    assert np.all(np.isfinite(p.grad)) and p.grad[0] == 0.0 and p.grad[1] == 0.0
    assert p.grad[4] == pytest.approx(-1 / 0.3, rel=1e-6)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy_with_logits_equals_torch_even_for_large_logits(torch, reduction):
    S = np.array([[-60.0, -3.0, 0.0], [0.5, 25.0, 800.0]])
    Y = np.array([[1.0, 0.0, 1.0], [0.3, 1.0, 0.0]])
    bce = torch.nn.functional.binary_cross_entropy_with_logits
    (value, grad), theirs = _ours_and_theirs(torch, F.binary_cross_entropy_with_logits, bce, S, Y, reduction)
    assert np.all(np.isfinite(value)) and np.all(np.isfinite(grad))
    _assert_close((value, grad), theirs)


def test_binary_cross_entropy_with_logits_has_gradient_sigmoid_minus_y_at_zero():
    s = Tensor(np.zeros(3), requires_grad=True)
    F.binary_cross_entropy_with_logits(s, np.array([1.0, 0.0, 0.5]), reduction="sum").backward()
    np.testing.assert_allclose(s.grad, [-0.5, 0.5, 0.0], atol=1e-16)


# -- hinge losses ---------------------------------------------------------------------------


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_hinge_loss_is_max_0_1_minus_y_f_with_gradient_minus_y_inside_the_margin(torch, reduction):
    f, y = np.array([2.0, 0.3, -0.5, -2.0, 0.9]), np.array([1.0, 1.0, 1.0, -1.0, -1.0])
    x = Tensor(f, requires_grad=True)
    loss = F.hinge_loss(x, y, reduction=reduction)
    per_sample = np.maximum(0, 1 - y * f)
    expected = {"mean": per_sample.mean(), "sum": per_sample.sum(), "none": per_sample}[reduction]
    np.testing.assert_allclose(loss.data, expected, rtol=1e-15)
    theirs = torch.clamp(1 - _t(torch, y) * _t(torch, f), min=0)
    theirs = {"mean": theirs.mean(), "sum": theirs.sum(), "none": theirs}[reduction]
    np.testing.assert_allclose(loss.data, theirs.numpy(), rtol=1e-15)
    loss.sum().backward()
    inside = (1 - y * f > 0).astype(float)
    scale = 1 / len(f) if reduction == "mean" else 1.0
    np.testing.assert_allclose(x.grad, -y * inside * scale, rtol=1e-15)


def test_hinge_loss_needs_labels_minus_one_or_plus_one():
    with pytest.raises(ValueError, match=r"labels must be -1 or \+1, got y\[1\] = 0.0"):
        F.hinge_loss(np.array([0.5, 0.5]), np.array([1.0, 0.0]))


def test_multi_margin_loss_is_the_slides_sum_over_wrong_classes():
    # the classic worked example: scores (3.2, 5.1, -1.7), true class 0 -> 2.9
    scores = Tensor(np.array([[3.2, 5.1, -1.7], [1.3, 4.9, 2.0]]), requires_grad=True)
    loss = F.multi_margin_loss(scores, [0, 1], reduction="none")
    np.testing.assert_allclose(loss.data, [2.9, 0.0], rtol=1e-14)
    loss.sum().backward()
    np.testing.assert_allclose(scores.grad, [[-1.0, 1.0, 0.0], [0.0, 0.0, 0.0]])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("margin", [1.0, 0.5])
def test_multi_margin_loss_divided_by_the_class_count_equals_torch(torch, reduction, margin):
    def ours(x, target, reduction):
        return F.multi_margin_loss(x, target, margin=margin, reduction=reduction, divide_by_classes=True)

    def theirs(x, target, reduction):
        return torch.nn.functional.multi_margin_loss(x, target, margin=margin, reduction=reduction)

    _assert_close(*_ours_and_theirs(torch, ours, theirs, LOGITS, LABELS, reduction, torch.tensor(LABELS)))
    slide = F.multi_margin_loss(LOGITS, LABELS, margin=margin, reduction=reduction).data
    pytorch = ours(LOGITS, LABELS, reduction).data
    np.testing.assert_allclose(slide, 4 * pytorch, rtol=1e-14)  # C = 4 classes


def test_slides_multiclass_hinge_with_a_weight_penalty_needs_no_hand_derivation(torch):
    # the slides: L = mean_i sum_{j != y_i} max(0, s_j - s_{y_i} + 1) + R(W), R = sum W^2, s = W2 max(0, W1 x)
    rng = np.random.default_rng(5)
    X, y = rng.standard_normal((8, 5)), rng.integers(0, 3, 8)
    model = nn.Sequential(nn.Linear(5, 6, bias=False, rng=1), nn.ReLU(), nn.Linear(6, 3, bias=False, rng=2))
    loss = F.multi_margin_loss(model(X), y) + F.l2_penalty(model, lam=2.0)  # ½·2·‖W‖² = ‖W‖²
    loss.backward()
    W1, W2 = (_t(torch, p.data, grad=True) for p in model.parameters())
    s = torch.relu(_t(torch, X) @ W1) @ W2
    loss_t = 3 * torch.nn.functional.multi_margin_loss(s, torch.tensor(y)) + (W1**2).sum() + (W2**2).sum()
    loss_t.backward()
    assert loss.item() == pytest.approx(loss_t.item(), rel=1e-13)
    np.testing.assert_allclose(model[0].weight.grad, W1.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(model[2].weight.grad, W2.grad.numpy(), rtol=1e-12)


# -- 0-1 loss ------------------------------------------------------------------------------


def test_zero_one_loss_counts_wrong_predictions_without_a_graph():
    scores = Tensor(np.array([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]]), requires_grad=True)
    assert F.zero_one_loss(scores, [1, 1, 1]) == pytest.approx(1 / 3)
    assert F.zero_one_loss(scores, [1, 1, 1], reduction="sum") == 1.0
    np.testing.assert_array_equal(F.zero_one_loss(scores, [1, 1, 1], reduction="none"), [0.0, 1.0, 0.0])
    assert isinstance(F.zero_one_loss(scores, [1, 1, 1]), float)
    f, y = np.array([0.5, -0.2, 0.0, 3.0]), np.array([1, 1, -1, -1])
    np.testing.assert_array_equal(F.zero_one_loss(f, y, reduction="none"), [0.0, 1.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="out of range for 2 classes"):
        F.zero_one_loss(scores, [0, 2, 1])


# -- modules --------------------------------------------------------------------------------


def test_loss_modules_call_their_functions():
    P = np.random.default_rng(4).uniform(0.1, 0.9, 6)
    B = (P > 0.5).astype(float)
    pairs = [
        (nn.MSELoss(reduction="sum"), F.mse_loss(LOGITS, 0.5 * LOGITS, "sum"), (LOGITS, 0.5 * LOGITS)),
        (nn.CrossEntropyLoss(), F.cross_entropy(LOGITS, LABELS), (LOGITS, LABELS)),
        (nn.BCELoss(), F.binary_cross_entropy(P, B), (P, B)),
        (nn.BCEWithLogitsLoss(), F.binary_cross_entropy_with_logits(P, B), (P, B)),
        (nn.HingeLoss(), F.hinge_loss(P, 2 * B - 1), (P, 2 * B - 1)),
        (nn.MultiMarginLoss(margin=0.5), F.multi_margin_loss(LOGITS, LABELS, margin=0.5), (LOGITS, LABELS)),
    ]
    for module, expected, args in pairs:
        assert module(*args).item() == pytest.approx(expected.item(), rel=1e-15), module
    expected = "MultiMarginLoss(margin=1.0, reduction='mean', divide_by_classes=False)"
    assert repr(nn.MultiMarginLoss()) == expected


# -- penalties ------------------------------------------------------------------------------


def _model():
    model = nn.Sequential(nn.Linear(3, 4, rng=0), nn.Tanh(), nn.Linear(4, 2, rng=1))
    for p in model.parameters():
        p.data[...] = np.random.default_rng(p.size).standard_normal(p.shape)
    return model


def test_l2_penalty_is_half_lambda_squared_norm_of_the_weights_with_gradient_lambda_theta():
    model = _model()
    W1, b1, W2, b2 = (p.data for p in model.parameters())
    penalty = F.l2_penalty(model, lam=0.1)
    assert penalty.item() == pytest.approx(0.05 * ((W1**2).sum() + (W2**2).sum()), rel=1e-14)
    penalty.backward()
    np.testing.assert_allclose(model[0].weight.grad, 0.1 * W1, rtol=1e-15)
    assert model[0].bias.grad is None and model[2].bias.grad is None  # biases left out
    with_bias = F.l2_penalty(model, lam=0.1, include_bias=True).item()
    assert with_bias == pytest.approx(0.05 * sum((p**2).sum() for p in (W1, b1, W2, b2)), rel=1e-14)


def test_l1_penalty_is_lambda_times_the_sum_of_absolute_weights():
    model = _model()
    W1, b1, W2, b2 = (p.data for p in model.parameters())
    penalty = nn.l1_penalty(model, lam=0.3)
    assert penalty.item() == pytest.approx(0.3 * (np.abs(W1).sum() + np.abs(W2).sum()), rel=1e-14)
    penalty.backward()
    np.testing.assert_allclose(model[2].weight.grad, 0.3 * np.sign(W2), rtol=1e-15)
    assert F.l1_penalty(model, include_bias=True).item() == pytest.approx(
        sum(np.abs(p).sum() for p in (W1, b1, W2, b2)), rel=1e-14
    )


def test_penalties_take_named_parameters_or_a_list():
    model = _model()
    expected = F.l2_penalty(model).item()
    assert F.l2_penalty(model.named_parameters()).item() == pytest.approx(expected, rel=1e-15)
    assert F.l2_penalty(model.parameters()).item() == pytest.approx(expected, rel=1e-15)  # biases by label
    w = Tensor(np.array([3.0, 4.0]), requires_grad=True)  # an unlabelled 1-D weight is a weight
    assert F.l2_penalty([w]).item() == 12.5
    with pytest.raises(TypeError, match=r"a list of parameters, not one: use \[p\]"):
        F.l2_penalty(w)
    with pytest.raises(ValueError, match="no parameters to penalize"):
        F.l2_penalty([("0.bias", w)])


def test_penalties_work_on_the_scalar_mlp_leaving_out_its_b():
    model = nn.MLP(2, [3, 1], seed=0)
    weights = [p.data for n, p in model.named_parameters() if not n.endswith(".b")]
    penalty = F.l2_penalty(model, lam=2.0)
    assert isinstance(penalty, Value) and len(weights) == 9
    assert penalty.data == pytest.approx(sum(w * w for w in weights), rel=1e-14)


@pytest.mark.parametrize(
    "name, bias",
    [
        ("0.bias", True), ("layers.1.neurons.0.b", True), ("B2", True), ("b", True), ("bias.3", True),
        ("0.weight", False), ("layers.0.neurons.0.w.1", False), ("W1", False), ("beta", False),
        ("bn.running_mean", False),
    ],
)
def test_bias_names(name, bias):
    assert F.is_bias(name) is bias


def test_l2_gradient_step_is_weight_decay():
    # L2 is weight decay: θ ← θ - η(∇L + λθ) = (1 - ηλ)θ - η∇L
    model, X, y = _model(), np.ones((2, 3)), np.zeros((2, 2))
    eta, lam = 0.1, 0.01
    data_loss = F.mse_loss(model(X), y)
    data_loss.backward()
    plain_grad = model[0].weight.grad.copy()
    model.zero_grad()
    (F.mse_loss(model(X), y) + F.l2_penalty(model, lam)).backward()
    theta = model[0].weight.data
    with autodiff.no_grad():
        updated = theta - eta * model[0].weight.grad
    np.testing.assert_allclose(updated, (1 - eta * lam) * theta - eta * plain_grad, rtol=1e-13)


# -- the scalar engine: the same losses on Values ---------------------------------------------


def _as_values(X):
    """``X`` as the scalar MLP gives it: a Value, a list of Values, or a list of per-class
    lists; and the leaves in row order."""
    if X.ndim == 0:
        leaf = Value(float(X))
        return leaf, [leaf]
    if X.ndim == 1:
        leaves = [Value(float(v)) for v in X]
        return leaves, leaves
    rows = [[Value(float(v)) for v in row] for row in X]
    return rows, [v for row in rows for v in row]


def _on_values(ours, X, target, reduction):
    """Loss value and d(loss · G)/dX on the scalar engine, with the G of ``_ours_and_theirs``;
    checks that the loss is a graph of Values only."""
    nested, leaves = _as_values(X)
    loss = ours(nested, target, reduction=reduction)
    losses = np.array(loss, dtype=object)
    assert all(isinstance(v, Value) for v in losses.ravel())
    numbers = np.array([v.data for v in losses.ravel()]).reshape(losses.shape)
    G = np.random.default_rng(99).standard_normal(losses.shape)
    seed = losses.ravel()[0] * float(G.ravel()[0])
    for v, g in zip(losses.ravel()[1:], G.ravel()[1:]):
        seed = seed + v * float(g)
    seed.backward()
    assert all(isinstance(node, Value) for node in autodiff.topological_order(seed))
    return numbers, np.array([v.grad for v in leaves]).reshape(X.shape)


def _torch_hinge(x, target, reduction):
    import torch

    per_sample = torch.clamp(1 - target * x, min=0)
    return {"mean": per_sample.mean(), "sum": per_sample.sum(), "none": per_sample}[reduction]


def _torch_half_mse(x, target, reduction):
    import torch

    return 0.5 * torch.nn.functional.mse_loss(x, target, reduction=reduction)


def _scalar_cases():
    rng = np.random.default_rng(7)
    labels = rng.integers(0, 4, 6)
    probs = rng.dirichlet(np.ones(4), size=6)
    y01 = (rng.uniform(size=7) > 0.5).astype(float)
    pm1 = 2 * y01 - 1
    logits = np.concatenate([rng.normal(0, 2, 5), [40.0, -40.0]])
    return {
        # name: (our function, PyTorch's, input, target, PyTorch's target as a tensor or None)
        "mse per sample": (F.mse_loss, "mse_loss", rng.standard_normal(7), rng.standard_normal(7), None),
        "mse per class": (F.mse_loss, "mse_loss", rng.standard_normal((5, 3)), rng.standard_normal((5, 3)),
                          None),
        "mse one sample": (F.mse_loss, "mse_loss", np.array(0.7), -1.2, None),
        "half mse": (lambda x, t, reduction: F.mse_loss(x, t, reduction, half=True), _torch_half_mse,
                     rng.standard_normal(6), rng.standard_normal(6), None),
        "bce": (F.binary_cross_entropy, "binary_cross_entropy", rng.uniform(0.01, 0.99, (4, 3)),
                rng.uniform(0, 1, (4, 3)), None),
        "bce with logits": (F.binary_cross_entropy_with_logits, "binary_cross_entropy_with_logits", logits,
                            y01, None),
        "hinge": (F.hinge_loss, _torch_hinge, np.array([2.0, 0.3, -0.5, -2.0, 0.9, 0.1, -0.4]), pm1, None),
        "cross entropy, class indices": (F.cross_entropy, "cross_entropy", rng.normal(0, 2, (6, 4)), labels,
                                         "long"),
        "cross entropy, probability rows": (F.cross_entropy, "cross_entropy", rng.normal(0, 2, (6, 4)), probs,
                                            None),
        "cross entropy, huge logits": (F.cross_entropy, "cross_entropy",
                                       np.array([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 999.0]]),
                                       np.array([1, 2]), "long"),
        "cross entropy, one sample": (F.cross_entropy, "cross_entropy", rng.normal(0, 2, 4), np.array(2),
                                      "long"),
        "multi margin, PyTorch's": (
            lambda x, t, reduction: F.multi_margin_loss(x, t, 0.5, reduction, divide_by_classes=True),
            lambda x, t, reduction: __import__("torch").nn.functional.multi_margin_loss(x, t, margin=0.5,
                                                                                        reduction=reduction),
            rng.normal(0, 1, (6, 4)), labels, "long"),
    }


SCALAR_CASES = _scalar_cases()


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("case", list(SCALAR_CASES))
def test_losses_on_values_equal_the_tensor_path_and_torch(torch, case, reduction):
    ours, theirs, X, target, target_kind = SCALAR_CASES[case]
    theirs = getattr(torch.nn.functional, theirs) if isinstance(theirs, str) else theirs
    target_t = torch.tensor(np.asarray(target)) if target_kind == "long" else None
    on_values = _on_values(ours, X, np.asarray(target).tolist(), reduction)
    on_tensors, by_torch = _ours_and_theirs(torch, ours, theirs, X, target, reduction, target_t)
    _assert_close(on_values, on_tensors, rtol=1e-12)
    _assert_close(on_values, by_torch, rtol=1e-11)
    assert np.all(np.isfinite(on_values[0])) and np.all(np.isfinite(on_values[1]))


def test_the_slides_multiclass_hinge_on_values():
    # the classic worked example: scores (3.2, 5.1, -1.7), true class 0 -> 2.9, gradient (-1, 1, 0)
    scores = [Value(3.2), Value(5.1), Value(-1.7)]
    loss = F.multi_margin_loss(scores, 0)
    loss.backward()
    assert isinstance(loss, Value) and loss.data == pytest.approx(2.9, rel=1e-14)
    assert [s.grad for s in scores] == [-1.0, 1.0, 0.0]


def test_a_hinge_loss_on_values_is_a_graph_a_student_can_draw():
    f = [Value(0.5, "s1"), Value(-2.0, "s2")]
    loss = F.hinge_loss(f, [1, -1])  # (relu(1 - 0.5·1) + relu(1 - (-2)·(-1))) / 2 = 0.25
    loss.backward()
    assert loss.data == 0.25 and [v.grad for v in f] == [-0.5, 0.0]
    nodes = autodiff.topological_order(loss)
    assert {n.op for n in nodes if n.parents} == {"*", "-", "relu", "+", "/"}
    assert len(nodes) == 15  # 2 outputs, 2 labels, 2 ones, 2 products, 2 differences, 2 relus, 1 sum, N, mean
    assert sum(n.op == "relu" for n in nodes) == 2  # one hinge per sample


def test_reduction_none_on_values_keeps_the_shape_of_the_outputs():
    rows = [[Value(1.0), Value(2.0)], [Value(0.0), Value(0.0)]]
    per_element = F.mse_loss(rows, [[0.0, 0.0], [1.0, 3.0]], reduction="none")
    assert [[v.data for v in row] for row in per_element] == [[1.0, 4.0], [1.0, 9.0]]
    per_sample = F.cross_entropy(rows, [1, 0], reduction="none")
    assert [v.data for v in per_sample] == pytest.approx([np.log(1 + np.e**-1), np.log(2)], rel=1e-15)
    one = F.cross_entropy(rows[0], 1, reduction="none")
    assert isinstance(one, Value) and one.data == pytest.approx(per_sample[0].data, rel=1e-15)


def test_targets_may_be_values_and_get_a_gradient():
    f, t = Value(3.0), Value(1.0)
    loss = F.mse_loss(f, t)  # (f - t)², d/dt = -2(f - t)
    loss.backward()
    assert loss.data == 4.0 and f.grad == 4.0 and t.grad == -4.0
    s = [Value(0.2), Value(-0.4)]
    loss = F.mse_loss([0.0, 0.0], s, reduction="sum")  # numbers against Values: the scalar engine too
    assert isinstance(loss, Value) and loss.data == pytest.approx(0.2, rel=1e-15)


def test_zero_one_loss_on_values():
    scores = [[Value(0.1), Value(0.9)], [Value(0.8), Value(0.2)], [Value(0.3), Value(0.7)]]
    assert F.zero_one_loss(scores, [1, 1, 1]) == pytest.approx(1 / 3)
    assert F.zero_one_loss([Value(0.5), Value(-0.2)], [1, 1], reduction="sum") == 1.0


def test_loss_modules_take_values():
    rng = np.random.default_rng(11)
    S, labels = rng.normal(size=(5, 3)), [0, 2, 1, 1, 0]
    f, y01 = rng.normal(size=5), [1.0, 0.0, 0.0, 1.0, 1.0]
    p = 1 / (1 + np.exp(-f))
    pm1 = [2 * v - 1 for v in y01]
    rows, _ = _as_values(S)
    outs, _ = _as_values(f)
    probs, _ = _as_values(p)
    pairs = [
        (nn.MSELoss(reduction="sum"), F.mse_loss(f, y01, "sum"), (outs, y01)),
        (nn.MSELoss(half=True), F.mse_loss(f, y01, half=True), (outs, y01)),
        (nn.CrossEntropyLoss(), F.cross_entropy(S, labels), (rows, labels)),
        (nn.BCELoss(), F.binary_cross_entropy(p, y01), (probs, y01)),
        (nn.BCEWithLogitsLoss(), F.binary_cross_entropy_with_logits(f, y01), (outs, y01)),
        (nn.HingeLoss(reduction="sum"), F.hinge_loss(f, pm1, "sum"), (outs, pm1)),
        (nn.MultiMarginLoss(margin=0.5), F.multi_margin_loss(S, labels, margin=0.5), (rows, labels)),
        (nn.MultiMarginLoss(divide_by_classes=True), F.multi_margin_loss(S, labels, divide_by_classes=True),
         (rows, labels)),
    ]
    for module, expected, args in pairs:
        loss = module(*args)
        assert isinstance(loss, Value), module
        assert loss.data == pytest.approx(expected.item(), rel=1e-13), module


def test_bad_input_on_values_is_named():
    outs = [Value(0.5), Value(-0.5), Value(1.0)]
    lengths = r"hinge_loss: input is a list of 3 Values \(shape \(3,\)\) but target is a list of 4 targets"
    with pytest.raises(ValueError, match=lengths):
        F.hinge_loss(outs, [1, -1, 1, 1])
    with pytest.raises(ValueError, match=r"input is a list of 3 Values .* target is 3 lists of 1 target "):
        F.mse_loss(outs, [[1.0], [0.0], [1.0]])
    with pytest.raises(ValueError, match=r"target has shape \(2,\), scores \(3, 2\)"):
        F.cross_entropy([outs[:2]] * 3, [0, 1])
    with pytest.raises(TypeError, match="got Values and a Tensor .target holds a Tensor"):
        F.mse_loss(outs, Tensor(np.zeros(3)))
    with pytest.raises(TypeError, match="got Values and a Tensor .input holds a Tensor"):
        F.mse_loss(Tensor(np.zeros(3)), outs)
    with pytest.raises(TypeError, match="got Values and a Tensor .input holds a Tensor"):
        F.hinge_loss([Value(1.0), Tensor(2.0)], [1, 1])
    with pytest.raises(TypeError, match=r"mse_loss: target\[1\] is a str, not a Value or a number"):
        F.mse_loss(outs, [1.0, "0", 1.0])
    with pytest.raises(TypeError, match=r"mse_loss: input\[2\] is a NoneType, not a Value or a number"):
        F.mse_loss([Value(1.0), Value(2.0), None], [1.0, 0.0, 1.0])
    with pytest.raises(ValueError, match=r"cross_entropy: input\[1\] has 2 items but input\[0\] has 3"):
        F.cross_entropy([outs, outs[:2]], [0, 1])
    with pytest.raises(TypeError, match=r"input\[1\] is a list but input\[0\] is a Value"):
        F.cross_entropy([outs[0], outs[:2]], [0, 1])
    with pytest.raises(ValueError, match="scores must be a list of C Values .* got one Value"):
        F.cross_entropy(outs[0], 0)
    with pytest.raises(ValueError, match=r"target\[1\] = 3 is out of range for 3 classes"):
        F.multi_margin_loss([outs, outs], [0, 3])
    with pytest.raises(TypeError, match="class-index targets must be numbers, not Values"):
        F.cross_entropy([outs, outs], [Value(0.0), Value(1.0)])
    with pytest.raises(ValueError, match=r"labels must be -1 or \+1, got y\[1\] = 0.0"):
        F.hinge_loss(outs, [1, 0, 1])
    with pytest.raises(ValueError, match=r"probabilities in \[0, 1\] .* got 1.5 at position 2"):
        F.binary_cross_entropy([Value(0.5), Value(0.2), Value(1.5)], [1.0, 0.0, 1.0])
    with pytest.raises(ValueError, match="input is an empty list"):
        F.mse_loss([], [Value(1.0)])
