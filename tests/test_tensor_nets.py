"""The slides' two nets (the 3-layer MNIST net, the numpy two-layer net) on the tensor engine:
autodiff equals the slides' hand-derived backward.

- The 3-layer MNIST net (784-64-16-10; sigmoid, tanh, softmax; rows are samples): the
  gradients of the summed cross-entropy -sum Y log A3 equal dZ3 = A3 - Y, dW3 = A2^T dZ3,
  ... to 1e-10, through log_softmax (stable) and through softmax-then-log alike; in
  float32 the gradients stay float32 and close to the float64 ones.
- The numpy two-layer net (N, D_in, H, D_out = 64, 1000, 100, 10; h = sigmoid(x w1),
  y_pred = h w2, loss = sum((y_pred - y)^2)): autodiff equals the slide's manual
  gradients, and 2000 steps at lr 1e-4 reproduce the manual code's loss curve step by step.
"""

from __future__ import annotations

import numpy as np
import pytest

import autodiff
from autodiff import Tensor

# -- the MNIST workshop's 3-layer net ----------------------------------------------------

SIZES = (784, 64, 16, 10)
BATCH = 32


def three_layer_data(seed: int = 0, bias_shape: str = "row"):
    """Seeded inputs, one-hot labels and weights (scaled 1/sqrt(fan-in), so no unit saturates).

    ``bias_shape`` "row" gives B of shape (1, n), as on the slide; "vector" gives (n,):
    both broadcast over the rows, so dB is dZ summed over the rows either way.
    """
    rng = np.random.default_rng(seed)
    X = rng.random((BATCH, SIZES[0]))  # pixel-like values in [0, 1)
    Y = np.eye(SIZES[-1])[rng.integers(0, SIZES[-1], BATCH)]
    params = {}
    for i, (n_in, n_out) in enumerate(zip(SIZES[:-1], SIZES[1:]), start=1):
        params[f"W{i}"] = rng.standard_normal((n_in, n_out)) / np.sqrt(n_in)
        b = 0.1 * rng.standard_normal(n_out)
        params[f"B{i}"] = b.reshape(1, n_out) if bias_shape == "row" else b
    return X, Y, params


def three_layer_by_hand(X, Y, p):
    """The slide's forward pass and hand-derived backward pass, in numpy."""
    Z1 = X @ p["W1"] + p["B1"]
    A1 = 1 / (1 + np.exp(-Z1))
    Z2 = A1 @ p["W2"] + p["B2"]
    A2 = np.tanh(Z2)
    Z3 = A2 @ p["W3"] + p["B3"]
    E = np.exp(Z3 - Z3.max(axis=1, keepdims=True))
    A3 = E / E.sum(axis=1, keepdims=True)
    loss = -np.sum(Y * np.log(A3))

    def bias_grad(dZ, B):
        return dZ.sum(axis=0).reshape(B.shape)  # summed over the rows

    dZ3 = A3 - Y
    dW3 = A2.T @ dZ3
    dB3 = bias_grad(dZ3, p["B3"])
    dA2 = dZ3 @ p["W3"].T
    dZ2 = dA2 * (1 - A2 * A2)
    dW2 = A1.T @ dZ2
    dB2 = bias_grad(dZ2, p["B2"])
    dA1 = dZ2 @ p["W2"].T
    dZ1 = dA1 * A1 * (1 - A1)
    dW1 = X.T @ dZ1
    dB1 = bias_grad(dZ1, p["B1"])
    grads = {"W1": dW1, "B1": dB1, "W2": dW2, "B2": dB2, "W3": dW3, "B3": dB3}
    errors = {"Z3": dZ3, "A2": dA2, "Z2": dZ2, "A1": dA1, "Z1": dZ1}
    return loss, grads, errors


def three_layer_autodiff(X, Y, p, loss_path: str = "log_softmax"):
    """The same net in Tensor ops; returns the loss, the parameters and the intermediate nodes."""
    params = {name: Tensor(value, requires_grad=True, label=name) for name, value in p.items()}
    X = Tensor(X, label="X")
    Z1 = X @ params["W1"] + params["B1"]
    A1 = Z1.sigmoid()
    Z2 = A1 @ params["W2"] + params["B2"]
    A2 = Z2.tanh()
    Z3 = A2 @ params["W3"] + params["B3"]
    if loss_path == "log_softmax":
        log_A3 = Z3.log_softmax(axis=1)  # stable: never takes the log of a rounded-to-0 probability
    elif loss_path == "softmax_then_log":
        log_A3 = Z3.softmax(axis=1).log()  # the slide's A3 = softmax(Z3), then log A3
    else:
        raise ValueError(loss_path)
    loss = -(Y * log_A3).sum()  # summed, not averaged, cross-entropy
    nodes = {"Z3": Z3, "A2": A2, "Z2": Z2, "A1": A1, "Z1": Z1}
    return loss, params, nodes


def assert_close(actual, expected, tol, what):
    """|actual - expected| <= tol * (1 + |expected|) elementwise (relative, floored at absolute)."""
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != {expected.shape}"
    np.testing.assert_allclose(actual, expected, rtol=tol, atol=tol, err_msg=what)


@pytest.mark.parametrize("bias_shape", ["row", "vector"])
@pytest.mark.parametrize("loss_path", ["log_softmax", "softmax_then_log"])
def test_three_layer_net_gradients_equal_the_hand_derivation(loss_path, bias_shape):
    X, Y, p = three_layer_data(seed=0, bias_shape=bias_shape)
    loss_hand, grads_hand, _ = three_layer_by_hand(X, Y, p)
    loss, params, _ = three_layer_autodiff(X, Y, p, loss_path)
    assert loss.shape == () and loss.dtype == np.float64
    assert loss.item() == pytest.approx(loss_hand, rel=1e-12)
    loss.backward()
    for name, expected in grads_hand.items():
        assert params[name].grad is not None, name
        assert params[name].grad.dtype == np.float64, name
        assert_close(params[name].grad, expected, 1e-10, f"d{name} ({loss_path}, bias {bias_shape})")
    # the gradients are not vanishingly small: the comparison means something
    assert all(np.abs(g).max() > 1e-3 for g in grads_hand.values())


def test_three_layer_net_error_terms_equal_the_hand_derivation():
    """dZ3 = A3 - Y, dA2, dZ2, dA1, dZ1: the slide's error terms, via autodiff.grad."""
    X, Y, p = three_layer_data(seed=1)
    _, _, errors_hand = three_layer_by_hand(X, Y, p)
    loss, params, nodes = three_layer_autodiff(X, Y, p)
    names = list(errors_hand)
    errors = autodiff.grad(loss, [nodes[name] for name in names])
    for name, got in zip(names, errors):
        assert_close(got.data, errors_hand[name], 1e-10, f"d{name}")
    assert all(param.grad is None for param in params.values())  # grad() leaves .grad alone


def test_log_softmax_and_softmax_then_log_agree():
    X, Y, p = three_layer_data(seed=2)
    results = []
    for path in ("log_softmax", "softmax_then_log"):
        loss, params, _ = three_layer_autodiff(X, Y, p, path)
        loss.backward()
        results.append((loss.item(), {name: t.grad for name, t in params.items()}))
    (loss_a, grads_a), (loss_b, grads_b) = results
    assert loss_a == pytest.approx(loss_b, rel=1e-13)
    for name in grads_a:
        assert_close(grads_a[name], grads_b[name], 1e-12, f"d{name}")


def test_log_softmax_stays_finite_where_softmax_then_log_does_not():
    """Logits far apart: softmax rounds the small probabilities to 0 and log gives -inf;
    log_softmax keeps the loss and its gradient (softmax - Y) exact."""
    Z = np.array([[1000.0, 0.0, -1000.0], [0.0, 800.0, 0.0]])
    Y = np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
    stable = Tensor(Z, requires_grad=True)
    loss = -(Y * stable.log_softmax(axis=1)).sum()
    loss.backward()
    assert loss.item() == pytest.approx(2000.0 + 800.0, rel=1e-15)
    expected = np.exp(Z - Z.max(axis=1, keepdims=True))
    expected = expected / expected.sum(axis=1, keepdims=True) - Y
    np.testing.assert_allclose(stable.grad, expected, rtol=0, atol=1e-15)

    naive = Tensor(Z, requires_grad=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        assert not np.isfinite((-(Y * naive.softmax(axis=1).log()).sum()).item())


def test_three_layer_net_float32_keeps_float32_and_matches_float64():
    X, Y, p = three_layer_data(seed=3)
    loss64, params64, _ = three_layer_autodiff(X, Y, p)
    loss64.backward()

    p32 = {name: value.astype(np.float32) for name, value in p.items()}
    loss32, params32, nodes32 = three_layer_autodiff(X.astype(np.float32), Y.astype(np.float32), p32)
    assert loss32.dtype == np.float32
    assert all(node.dtype == np.float32 for node in nodes32.values())
    assert loss32.item() == pytest.approx(loss64.item(), rel=1e-5)
    loss32.backward()
    for name in p:
        g32, g64 = params32[name].grad, params64[name].grad
        assert g32.dtype == np.float32, f"d{name} is {g32.dtype}"
        # relative to the gradient's scale: float32 sums of 784 terms lose a few digits
        np.testing.assert_allclose(g32, g64, rtol=1e-4, atol=1e-4 * np.abs(g64).max(), err_msg=f"d{name}")

    # the hand derivation in float32 agrees too
    _, grads_hand32, _ = three_layer_by_hand(X.astype(np.float32), Y.astype(np.float32), p32)
    for name, expected in grads_hand32.items():
        assert expected.dtype == np.float32
        np.testing.assert_allclose(
            params32[name].grad, expected, rtol=1e-4, atol=1e-4 * np.abs(expected).max(), err_msg=f"d{name}"
        )


# -- the slides' numpy two-layer net (64, 1000, 100, 10) -----------------------------------

N, D_IN, H, D_OUT = 64, 1000, 100, 10
LR = 1e-4
STEPS = 2000


def two_layer_data(seed: int = 0):
    """As on the slide: x, y, w1, w2 all standard normal (seeded)."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, D_IN))
    y = rng.standard_normal((N, D_OUT))
    w1 = rng.standard_normal((D_IN, H))
    w2 = rng.standard_normal((H, D_OUT))
    return x, y, w1, w2


def two_layer_manual_step(x, y, w1, w2):
    """The slide's numpy code: forward, loss, manual gradients."""
    h = 1 / (1 + np.exp(-x.dot(w1)))
    y_pred = h.dot(w2)
    loss = np.square(y_pred - y).sum()
    grad_y_pred = 2.0 * (y_pred - y)
    grad_w2 = h.T.dot(grad_y_pred)
    grad_h = grad_y_pred.dot(w2.T)
    grad_w1 = x.T.dot(grad_h * h * (1 - h))
    return loss, grad_w1, grad_w2


def two_layer_autodiff_loss(x, y, w1, w2):
    h = (x @ w1).sigmoid()
    y_pred = h @ w2
    return ((y_pred - y) ** 2).sum()


def test_two_layer_net_gradients_equal_the_manual_ones():
    x, y, w1, w2 = two_layer_data(seed=0)
    loss_manual, grad_w1, grad_w2 = two_layer_manual_step(x, y, w1, w2)
    W1, W2 = Tensor(w1, requires_grad=True), Tensor(w2, requires_grad=True)
    loss = two_layer_autodiff_loss(Tensor(x), y, W1, W2)
    assert loss.item() == pytest.approx(loss_manual, rel=1e-13)
    loss.backward()
    assert_close(W1.grad, grad_w1, 1e-11, "grad_w1")
    assert_close(W2.grad, grad_w2, 1e-11, "grad_w2")


def test_two_layer_net_2000_steps_reproduce_the_manual_loss_curve():
    x, y, w1, w2 = two_layer_data(seed=0)

    manual = np.empty(STEPS)
    m1, m2 = w1.copy(), w2.copy()
    for t in range(STEPS):
        manual[t], grad_w1, grad_w2 = two_layer_manual_step(x, y, m1, m2)
        m1 -= LR * grad_w1
        m2 -= LR * grad_w2

    ours = np.empty(STEPS)
    X = Tensor(x, label="x")
    W1 = Tensor(w1.copy(), requires_grad=True, label="w1")
    W2 = Tensor(w2.copy(), requires_grad=True, label="w2")
    for t in range(STEPS):
        loss = two_layer_autodiff_loss(X, y, W1, W2)
        ours[t] = loss.item()
        loss.backward()
        for w in (W1, W2):
            w.data -= LR * w.grad
            w.grad = None

    assert manual[-1] < 0.1 * manual[0]  # it trains: the curve is worth comparing
    np.testing.assert_allclose(ours, manual, rtol=1e-9, atol=0)
    np.testing.assert_allclose(W1.data, m1, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(W2.data, m2, rtol=1e-9, atol=1e-12)
