"""The fused primitives autodiff.linear and autodiff.softmax_cross_entropy: the same numbers
as the ops they replace, PyTorch as the oracle, central differences, second derivatives."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autodiff
from autodiff import Tensor, grad, gradcheck, linear, softmax_cross_entropy


def leaf(array):
    return Tensor(np.array(array, dtype=np.float64), requires_grad=True)


@pytest.mark.parametrize("x_shape", [(5, 4), (4,), (2, 3, 4)])
def test_linear_equals_matmul_plus_bias(x_shape):
    rng = np.random.default_rng(1)
    X, W, b = rng.standard_normal(x_shape), rng.standard_normal((4, 3)), rng.standard_normal(3)
    G = rng.standard_normal(x_shape[:-1] + (3,))
    fused = [leaf(a) for a in (X, W, b)]
    plain = [leaf(a) for a in (X, W, b)]
    out = linear(*fused)
    out.backward(G)
    reference = plain[0] @ plain[1] + plain[2]
    reference.backward(G)
    assert out.op == "linear" and len(out.parents) == 3
    np.testing.assert_allclose(out.data, reference.data, rtol=1e-13)
    for f, p in zip(fused, plain):
        np.testing.assert_allclose(f.grad, p.grad, rtol=1e-12, atol=1e-14)


def test_linear_without_bias_is_a_matmul_and_keeps_float32():
    x = Tensor(np.ones((2, 3), dtype=np.float32), requires_grad=True)
    w = Tensor(np.full((3, 2), 0.5, dtype=np.float32), requires_grad=True)
    b = Tensor(np.zeros(2, dtype=np.float32), requires_grad=True)
    assert linear(x, w).op == "@"
    out = linear(x, w, b)
    out.sum().backward()
    assert out.dtype == np.float32 and w.grad.dtype == np.float32 and b.grad.dtype == np.float32
    np.testing.assert_array_equal(b.grad, [2.0, 2.0])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("scale", [1.0, 1000.0])
def test_softmax_cross_entropy_against_pytorch(reduction, scale):
    torch = pytest.importorskip("torch", reason="PyTorch, the oracle, is not installed: pip install torch==2.13.0")
    rng = np.random.default_rng(2)
    Z = rng.standard_normal((6, 4)) * scale
    P = rng.dirichlet(np.ones(4), size=6)  # probability rows, not only one-hot
    G = rng.standard_normal(6) if reduction == "none" else np.array(1.7)
    z, p = leaf(Z), leaf(P)
    out = softmax_cross_entropy(z, p, reduction)
    out.backward(G)
    tz, tp = (torch.tensor(a, requires_grad=True) for a in (Z, P))
    tout = torch.nn.functional.cross_entropy(tz, tp, reduction=reduction)
    tout.backward(torch.tensor(G))
    assert np.all(np.isfinite(out.data)) and np.all(np.isfinite(z.grad))
    np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(z.grad, tz.grad.numpy(), rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(p.grad, tp.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_softmax_cross_entropy_of_one_hot_rows_has_gradient_softmax_minus_target():
    Z = np.array([[2.0, 1.0, 0.1], [0.5, 0.5, 3.0]])
    Y = np.eye(3)[[0, 2]]
    z = leaf(Z)
    softmax_cross_entropy(z, Tensor(Y), "sum").backward()
    s = np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(z.grad, s - Y, rtol=1e-13)


@settings(max_examples=30, deadline=None)
@given(
    n=st.integers(1, 4),
    c=st.integers(2, 5),
    reduction=st.sampled_from(["mean", "sum", "none"]),
    seed=st.integers(0, 2**32 - 1),
)
def test_fused_ops_match_central_differences(n, c, reduction, seed):
    rng = np.random.default_rng(seed)
    x, w, b = leaf(rng.standard_normal((n, 3))), leaf(rng.standard_normal((3, c))), leaf(rng.standard_normal(c))
    t = leaf(rng.dirichlet(np.ones(c), size=n))
    weights = rng.standard_normal(n)

    def f(x, w, b, t):
        loss = softmax_cross_entropy(linear(x, w, b), t, reduction)
        return (loss * weights).sum() if reduction == "none" else loss

    assert gradcheck(f, [x, w, b, t], atol=1e-6, rtol=1e-4)


def test_second_derivatives_against_pytorch():
    torch = pytest.importorskip("torch", reason="PyTorch, the oracle, is not installed: pip install torch==2.13.0")
    rng = np.random.default_rng(3)
    X, W, b = rng.standard_normal((5, 4)), rng.standard_normal((4, 3)), rng.standard_normal(3)
    Y = np.eye(3)[rng.integers(0, 3, 5)]
    x, w, bb = leaf(X), leaf(W), leaf(b)
    gw, gb = grad(softmax_cross_entropy(linear(x, w, bb).tanh(), Tensor(Y)), [w, bb], create_graph=True)
    hw, hb = grad((gw * gw).sum() + (gb * gb).sum(), [w, bb])
    tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (X, W, b))
    tgw, tgb = torch.autograd.grad(
        torch.nn.functional.cross_entropy(torch.tanh(tx @ tw + tb), torch.tensor(Y)), [tw, tb], create_graph=True
    )
    thw, thb = torch.autograd.grad((tgw * tgw).sum() + (tgb * tgb).sum(), [tw, tb])
    np.testing.assert_allclose(hw.data, thw.numpy(), rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(hb.data, thb.numpy(), rtol=1e-10, atol=1e-14)


def test_errors_name_the_shapes():
    x, w = Tensor(np.ones((2, 3)), label="x"), Tensor(np.ones((3, 4)), label="W")
    with pytest.raises(ValueError, match=r"bias of shape \(out,\), got \(3, 4\) \('W'\) and \(3,\) \('b'\)"):
        linear(x, w, Tensor(np.ones(3), label="b"))
    with pytest.raises(ValueError, match=r"matmul of shapes \(2, 3\) and \(2, 4\)"):
        linear(x, Tensor(np.ones((2, 4))), Tensor(np.ones(4)))
    with pytest.raises(ValueError, match=r"one shape .* got \(2, 3\) \('x'\) and \(2, 4\)"):
        softmax_cross_entropy(x, Tensor(np.ones((2, 4))))
    with pytest.raises(ValueError, match="reduction must be"):
        softmax_cross_entropy(x, Tensor(np.ones((2, 3))), "average")
    assert autodiff.linear is linear
