"""The shortcuts the tensor engine takes for speed give the same answers as the long way:
column and row sums through BLAS, exact ops whose gradients skip the fitting step, the
cross-entropy computed on classes x rows copies, the overflow of sigmoid, the
one-element seed, and linear's rows form for any batch shape."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import autodiff
from autodiff import Tensor, TensorOp, concatenate, grad, linear, softmax_cross_entropy
from autodiff import tensor_ops as ops


# -- sums through BLAS -------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "shape, axis, keepdims",
    [
        ((64, 10), 0, False),  # a bias gradient: column sums
        ((64, 10), -1, True),  # a softmax normalizer: row sums
        ((64, 10), 1, True),
        ((1, 5), 0, False),
        ((5, 1), -1, True),
        ((0, 3), 0, False),  # no rows: zeros
        ((3, 0), -1, True),  # empty rows: zeros
        ((7,), -1, True),
        ((3, 100), -1, True),  # long rows: numpy's reduction
        ((2, 3, 4), -1, True),
        ((2, 3, 4), 0, False),  # not a special case: numpy's reduction
        ((4, 6), 0, True),
    ],
)
def test_sums_equal_numpy_reductions(shape, axis, keepdims, dtype):
    x = np.random.default_rng(0).standard_normal(shape).astype(dtype)
    expected = np.add.reduce(x, axis=axis, keepdims=keepdims)
    result = ops._sum(x, axis, keepdims=keepdims)
    assert result.shape == expected.shape and result.dtype == expected.dtype
    np.testing.assert_allclose(result, expected, rtol=1e-5 if dtype == np.float32 else 1e-13, atol=1e-6)


def test_sums_propagate_inf_and_nan_as_numpy_does():
    x = np.array([[1.0, np.inf, 2.0], [np.nan, 0.0, 1.0], [np.inf, -np.inf, 0.0]])
    with np.errstate(invalid="ignore"):  # inf - inf: both warn
        np.testing.assert_array_equal(ops._sum(x, -1, keepdims=True), np.add.reduce(x, axis=-1, keepdims=True))
        np.testing.assert_array_equal(ops._sum(x, 0), np.add.reduce(x, axis=0))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape, axis", [((64, 10), -1), ((64, 10), 1), ((3, 64), -1), ((3, 65), -1), ((4, 5), 0), ((2, 3, 4), -1)])
def test_row_maxima_equal_numpy_reductions(shape, axis, dtype):
    a = np.random.default_rng(4).standard_normal(shape).astype(dtype)
    a.flat[::7] = np.nan  # nan wins, as in numpy
    expected = np.maximum.reduce(a, axis=axis, keepdims=True)
    result = ops._max_keepdims(a, axis)
    assert result.shape == expected.shape and result.dtype == expected.dtype
    np.testing.assert_array_equal(result, expected)


# -- exact ops: gradients taken as they are only when that is right ----------------------------


def test_linear_with_mixed_dtypes_gives_each_input_its_own_dtype():
    rng = np.random.default_rng(1)
    X, W, b = rng.standard_normal((5, 4)), rng.standard_normal((4, 3)), rng.standard_normal(3)
    x = Tensor(X, requires_grad=True)  # float64
    w = Tensor(W.astype(np.float32), requires_grad=True)
    bias = Tensor(b.astype(np.float32), requires_grad=True)
    out = linear(x, w, bias)
    assert out.dtype == np.float64
    G = rng.standard_normal((5, 3))
    out.backward(G)
    assert x.grad.dtype == np.float64 and w.grad.dtype == np.float32 and bias.grad.dtype == np.float32
    np.testing.assert_allclose(w.grad, X.T @ G, rtol=1e-6)
    np.testing.assert_allclose(bias.grad, G.sum(axis=0), rtol=1e-6)
    np.testing.assert_allclose(x.grad, G @ W.astype(np.float32).T, rtol=1e-12)


def test_cross_entropy_and_concatenate_with_mixed_dtypes():
    z = Tensor(np.array([[0.5, -1.0, 2.0]], dtype=np.float32), requires_grad=True)
    t = Tensor(np.array([[0.2, 0.3, 0.5]]), requires_grad=True)  # float64
    softmax_cross_entropy(z, t).backward()
    assert z.grad.dtype == np.float32 and t.grad.dtype == np.float64
    p = np.exp(z.data.astype(np.float64)) / np.exp(z.data.astype(np.float64)).sum()
    np.testing.assert_allclose(z.grad, p - t.data, rtol=1e-6)
    a = Tensor(np.ones(2, dtype=np.float32), requires_grad=True)
    c = Tensor(np.ones(3), requires_grad=True)
    (concatenate([a, c]) * np.arange(5.0)).sum().backward()
    assert a.grad.dtype == np.float32 and c.grad.dtype == np.float64
    np.testing.assert_array_equal(a.grad, [0.0, 1.0])
    np.testing.assert_array_equal(c.grad, [2.0, 3.0, 4.0])


def test_an_op_not_marked_exact_has_its_broadcast_gradient_summed_back():
    add_row = TensorOp("add_row", np.add, lambda g, out, needs, a, b: (g, g))  # b broadcast over rows
    x = Tensor(np.zeros((4, 3)), requires_grad=True)
    row = Tensor(np.zeros(3), requires_grad=True)
    x._apply(add_row, (x, row)).sum().backward()
    assert row.grad.shape == (3,)
    np.testing.assert_array_equal(row.grad, [4.0, 4.0, 4.0])


def test_an_exact_op_on_a_zero_dim_input_still_gives_an_array():
    square = TensorOp("square", np.square, lambda g, out, needs, a: (2 * a * g,), exact=True)
    x = Tensor(np.float32(3.0), requires_grad=True)
    x._apply(square, (x,)).backward()
    assert isinstance(x.grad, np.ndarray) and x.grad.shape == () and x.grad.dtype == np.float32
    assert x.grad == 6.0


# -- the cross-entropy's plain pass, on classes x rows copies for short rows ------------------


SHORT_AND_LONG_ROWS = [(4,), (1, 4), (6, 4), (2, 3, 4), (64, 10), (64,), (65,), (3, 70), (2, 2, 65)]


@pytest.mark.parametrize("shape", SHORT_AND_LONG_ROWS)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("transposed", [False, True])
def test_cross_entropy_plain_pass_equals_its_create_graph_pass_and_the_formula(shape, reduction, transposed):
    """A plain backward pass works in place on the saved arrays (classes x rows for rows of
    up to 64 classes, rows as they are beyond); with create_graph the rule runs on the
    Tensors. Both must give the formula's numbers, for any batch shape, non-contiguous
    logits and targets that require grad."""
    rng = np.random.default_rng(5)
    Z = rng.standard_normal(shape[::-1]).T if transposed else rng.standard_normal(shape)  # .T: a view
    P = rng.dirichlet(np.ones(shape[-1]), size=shape[:-1]) * 1.5  # rows summing to 1.5, not 1
    G = rng.standard_normal(shape[:-1]) if reduction == "none" else np.array(0.7)
    z, t = Tensor(Z, requires_grad=True), Tensor(P, requires_grad=True)
    loss = softmax_cross_entropy(z, t, reduction)
    loss.backward(G)
    log_softmax = Z - Z.max(axis=-1, keepdims=True)
    log_softmax -= np.log(np.exp(log_softmax).sum(axis=-1, keepdims=True))
    rows = 1 if len(shape) == 1 else int(np.prod(shape[:-1]))
    g_row = G[..., None] if reduction == "none" else G / rows if reduction == "mean" else G
    per_row = -(P * log_softmax).sum(axis=-1)
    expected = per_row if reduction == "none" else per_row.sum() / (rows if reduction == "mean" else 1)
    np.testing.assert_allclose(loss.data, expected, rtol=1e-13)
    dz = (np.exp(log_softmax) * P.sum(axis=-1, keepdims=True) - P) * g_row
    np.testing.assert_allclose(z.grad, dz, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(t.grad, -log_softmax * g_row, rtol=1e-12, atol=1e-15)
    assert z.grad.shape == t.grad.shape == shape
    recorded = grad((loss * G).sum(), [z, t], create_graph=True)
    for r, plain in zip(recorded, (z.grad, t.grad)):
        assert isinstance(r, Tensor) and r.shape == shape
        np.testing.assert_allclose(r.data, plain, rtol=1e-12, atol=1e-15)


def test_cross_entropy_in_float32_keeps_float32_and_needs_at_least_one_class():
    z = Tensor(np.random.default_rng(6).standard_normal((64, 10)).astype(np.float32), requires_grad=True)
    y = np.eye(10, dtype=np.float32)[np.arange(64) % 10]
    loss = softmax_cross_entropy(z, y)
    loss.backward()
    assert loss.dtype == np.float32 and z.grad.dtype == np.float32
    p = np.exp(z.data.astype(np.float64))
    p /= p.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(z.grad, (p - y) / 64, rtol=1e-5, atol=1e-8)
    with pytest.raises(ValueError, match=r"at least one class, got logits of shape \(3, 0\) \('z'\)"):
        softmax_cross_entropy(Tensor(np.zeros((3, 0)), label="z"), np.zeros((3, 0)))


# -- the seed, linear's inputs, sigmoid's overflow ---------------------------------------------


@pytest.mark.parametrize("shape", [(), (1,), (1, 1), (1, 1, 1)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_one_element_root_is_seeded_with_a_one_of_its_shape_and_dtype(shape, dtype):
    x = Tensor(np.full(shape, 2.0, dtype=dtype), requires_grad=True)
    y = x * x
    y.backward()
    assert y.grad.shape == shape and y.grad.dtype == dtype and y.grad.item() == 1.0
    assert x.grad.shape == shape and x.grad.dtype == dtype and x.grad.item() == 4.0


def test_linear_takes_a_batch_given_as_an_array():
    rng = np.random.default_rng(2)
    X = rng.standard_normal((3, 4))
    w, b = Tensor(rng.standard_normal((4, 2)), requires_grad=True), Tensor(np.zeros(2), requires_grad=True)
    out = linear(X, w, b)
    np.testing.assert_allclose(out.data, X @ w.data, rtol=1e-14)
    out.sum().backward()
    np.testing.assert_allclose(w.grad, X.T @ np.ones((3, 2)), rtol=1e-14)


@pytest.mark.parametrize("x_shape", [(4,), (2, 3, 4)])
def test_linear_second_derivatives_for_any_batch_shape_equal_the_unfused_ops(x_shape):
    rng = np.random.default_rng(3)
    X, W, b = rng.standard_normal(x_shape), rng.standard_normal((4, 3)), rng.standard_normal(3)
    results = []
    for fused in (True, False):
        x, w, bias = (Tensor(a, requires_grad=True) for a in (X, W, b))
        out = linear(x, w, bias) if fused else x @ w + bias
        gx, gw, gb = grad((out.tanh() ** 2).sum(), [x, w, bias], create_graph=True)
        results.append(grad((gx * gx).sum() + (gw * gw).sum() + (gb * gb).sum(), [x, w, bias]))
    for fused, plain in zip(*results):
        assert fused.shape == plain.shape
        np.testing.assert_allclose(fused.data, plain.data, rtol=1e-11, atol=1e-13)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_with_nan_and_overflowing_inputs_warns_about_nothing(dtype):
    x = Tensor(np.array([np.nan, -1e4, -200.0, 0.0, 30.0, np.inf, -np.inf], dtype=dtype), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = x.sigmoid()
        s.backward(np.ones(7, dtype=dtype))
    assert np.isnan(s.data[0]) and np.isnan(x.grad[0])
    with np.errstate(over="ignore"):
        exact = 1 / (1 + np.exp(-x.data[1:].astype(np.float64)))  # e^-200 is 1.4e-87 in float64
    tiny = np.finfo(dtype).tiny  # below the smallest normal number, ~0 is 0
    np.testing.assert_allclose(s.data[1:], exact, rtol=1e-6, atol=tiny)
    assert s.dtype == dtype and x.grad.dtype == dtype


def test_the_tensor_engine_still_exports_its_names():
    assert autodiff.TensorOp is TensorOp and autodiff.linear is linear
