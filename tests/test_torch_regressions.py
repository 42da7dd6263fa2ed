"""The bugs of the core's rework (issue 17), each pinned with PyTorch as the oracle.

0-d tensors reduced over their one axis; softmax and relu (with create_graph) of a 0-d
tensor; x ** y at base 0 for Tensor and Value (which agree with each other and with
PyTorch); float Tensors as indices; powers that overflow; Tensor sin and cos; weak
references to a Value; gradients that are not shared; a vjp of the wrong shape.
"""

from __future__ import annotations

import gc
import math
import re
import warnings
import weakref

import numpy as np
import pytest

import autodiff
from autodiff import Tensor, TensorOp, Value

torch = pytest.importorskip("torch", reason="PyTorch, the oracle, is not installed: pip install torch==2.13.0")


def ours_and_theirs(data, dtype=np.float64):
    array = np.array(data, dtype=dtype)
    return Tensor(array.copy(), requires_grad=True), torch.tensor(array, requires_grad=True)


def assert_same(ours, theirs, rtol=1e-12, atol=1e-14):
    """Same shape and numbers (inf and nan where PyTorch has them)."""
    theirs = theirs.detach().numpy()
    ours = np.asarray(ours)
    assert ours.shape == theirs.shape, (ours.shape, theirs.shape)
    np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=atol, equal_nan=True)


# -- 0-d tensors: reduced over their one axis ---------------------------------------------

REDUCTIONS = {
    "sum": (lambda t, axis, keep: t.sum(axis=axis, keepdims=keep), lambda t, axis, keep: torch.sum(t, axis, keep)),
    "mean": (lambda t, axis, keep: t.mean(axis=axis, keepdims=keep), lambda t, axis, keep: torch.mean(t, axis, keep)),
    "max": (lambda t, axis, keep: t.max(axis=axis, keepdims=keep), lambda t, axis, keep: torch.amax(t, axis, keep)),
    "logsumexp": (
        lambda t, axis, keep: t.logsumexp(axis=axis, keepdims=keep),
        lambda t, axis, keep: torch.logsumexp(t, axis, keep),
    ),
}


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("axis", [0, -1, (0,)], ids=str)
@pytest.mark.parametrize("name", sorted(REDUCTIONS))
def test_a_zero_dim_tensor_reduced_over_its_axis(name, axis, keepdims):
    ours_fn, theirs_fn = REDUCTIONS[name]
    x, tx = ours_and_theirs(2.5)
    y, ty = ours_fn(x, axis, keepdims), theirs_fn(tx, axis, keepdims)
    assert_same(y.data, ty)
    (y * 3.0).backward()
    (ty * 3.0).backward()
    assert_same(x.grad, tx.grad)
    assert x.grad.shape == () and x.grad == 3.0


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
def test_a_zero_dim_tensor_has_no_axis_1(name):
    ours_fn, theirs_fn = REDUCTIONS[name]
    x, tx = ours_and_theirs(2.5)
    with pytest.raises(IndexError):
        theirs_fn(tx, 1, False)
    with pytest.raises(ValueError, match=r"axis 1 is out of range for a tensor of shape \(\)"):
        ours_fn(x, 1, False)


@pytest.mark.parametrize("shape, axis", [((), (0, -1)), ((), (0, 0)), ((2, 3), (1, -1)), ((2, 3), (0, 0))], ids=str)
@pytest.mark.parametrize("name", sorted(REDUCTIONS))
def test_an_axis_named_twice_is_refused(name, shape, axis):
    x, tx = ours_and_theirs(np.ones(shape))
    with pytest.raises(RuntimeError, match="appears multiple times"):
        REDUCTIONS[name][1](tx, axis, False)
    with pytest.raises(ValueError, match=re.escape(f"{name}: axis {axis} names an axis more than once")):
        REDUCTIONS[name][0](x, axis, False)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@pytest.mark.parametrize("axis", [None, 0, -1])
def test_softmax_of_a_zero_dim_tensor(name, axis):
    x, tx = ours_and_theirs(-1.25)
    y = getattr(x, name)() if axis is None else getattr(x, name)(axis)
    ty = getattr(torch, name)(tx, -1 if axis is None else axis)
    assert_same(y.data, ty)
    (y * 2.0).backward()
    (ty * 2.0).backward()
    assert_same(x.grad, tx.grad)


@pytest.mark.parametrize("value", [2.0, -1.5])
def test_relu_of_a_zero_dim_tensor_with_create_graph(value):
    x, tx = ours_and_theirs(value)
    (first,) = autodiff.grad((x.relu() * x).sum(), [x], create_graph=True)
    (second,) = autodiff.grad(first * first, [x])
    (tfirst,) = torch.autograd.grad(torch.relu(tx) * tx, [tx], create_graph=True)
    (tsecond,) = torch.autograd.grad(tfirst * tfirst, [tx])
    assert_same(first.data, tfirst)
    assert_same(second.data, tsecond)
    assert first.data == (2 * value if value > 0 else 0.0)
    assert second.data == (8 * value if value > 0 else 0.0)  # d/dx (2x)^2


# -- x ** y at base 0: Tensor, Value and PyTorch agree -------------------------------------

EXPONENTS = [0.0, 2.0, 0.5, 1.0, 3.0, -1.0, -2.0, -0.5]


@pytest.mark.parametrize("y", EXPONENTS)
def test_tensor_power_at_base_zero(y):
    x, tx = ours_and_theirs(0.0)
    e, te = ours_and_theirs(y)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = x**e
        out.backward()
    tout = tx**te
    tout.backward()
    assert_same(out.data, tout)
    assert_same(x.grad, tx.grad)  # inf where PyTorch has inf (a negative exponent)
    assert_same(e.grad, te.grad)  # 0 for y >= 0, not nan or -inf
    if y >= 0:
        assert e.grad == 0.0


def test_tensor_power_at_base_zero_elementwise_and_broadcast():
    bases = np.array([[0.0], [0.0], [1.5]])
    exponents = np.array([0.0, 2.0, 0.5, -1.0])
    x, tx = ours_and_theirs(bases)
    e, te = ours_and_theirs(exponents)
    with np.errstate(divide="ignore", invalid="ignore"):
        (x**e).backward(np.ones((3, 4)))
    (tx**te).backward(torch.ones(3, 4, dtype=torch.float64))
    assert_same(x.grad, tx.grad)
    assert_same(e.grad, te.grad)


@pytest.mark.parametrize("y", [0.0, 2.0, 0.5, 1.0, 3.0])
def test_value_power_at_base_zero_agrees_with_tensor_and_torch(y):
    tx, te = (torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (0.0, y))
    (tx**te).backward()
    # Value ** Value
    x, e = Value(0.0), Value(y)
    out = x**e
    out.backward()
    # Value ** constant
    c = Value(0.0)
    (c**y).backward()
    # Tensor ** Tensor
    tensor_x, tensor_e = Tensor(0.0, requires_grad=True), Tensor(y, requires_grad=True)
    with np.errstate(divide="ignore"):
        (tensor_x**tensor_e).backward()
    assert out.data == float(tx.detach() ** te.detach())
    assert x.grad == c.grad == float(tensor_x.grad) == float(tx.grad)
    assert e.grad == float(tensor_e.grad) == float(te.grad) == 0.0


def test_value_zero_to_the_power_zero():
    x = Value(0.0)
    out = x**0
    out.backward()
    tx = torch.tensor(0.0, dtype=torch.float64, requires_grad=True)
    (tx**0).backward()
    assert out.data == 1.0 and x.grad == float(tx.grad) == 0.0
    # and with create_graph, where it used to raise
    x = Value(0.0)
    (first,) = autodiff.grad(x**0, [x], create_graph=True)
    (second,) = autodiff.grad(first, [x])
    assert first.data == 0.0 and second.data == 0.0


def test_value_power_at_base_zero_second_derivatives_against_torch():
    x, e = Value(0.0), Value(2.0)
    gx, ge = autodiff.grad(x**e, [x, e], create_graph=True)
    hxx, hxe = autodiff.grad(gx, [x, e])
    tx, te = (torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (0.0, 2.0))
    tgx, tge = torch.autograd.grad(tx**te, [tx, te], create_graph=True)
    thxx, thxe = torch.autograd.grad(tgx, [tx, te])
    assert (gx.data, ge.data) == (tgx.detach().item(), tge.detach().item()) == (0.0, 0.0)
    assert (hxx.data, hxe.data) == (float(thxx), float(thxe)) == (2.0, 0.0)  # d2/dx2 x^2 = 2


def test_value_zero_to_a_negative_power_is_a_division_by_zero():
    # PyTorch gives inf; a Value follows Python's float arithmetic and names the problem
    with pytest.raises(ZeroDivisionError, match="0 raised to a negative power"):
        Value(0.0) ** -1
    with pytest.raises(ZeroDivisionError, match="0 raised to a negative power"):
        Value(0.0) ** Value(-2.0)


# -- powers that overflow --------------------------------------------------------------------


@pytest.mark.parametrize("base, exponent", [(10.0, 309.5), (2.0, 1100.0), (-2.0, 1100.0), (1e200, 3.0)])
def test_an_overflowing_power_has_an_infinite_gradient(base, exponent):
    tx = torch.tensor(base, dtype=torch.float64, requires_grad=True)
    tout = tx**exponent
    tout.backward()
    x = Value(base)
    out = x**exponent
    out.backward()
    assert out.data == tout.detach().item() and math.isinf(out.data)
    assert x.grad == float(tx.grad) and math.isinf(x.grad)


@pytest.mark.parametrize("base, exponent", [(10.0, 309.5), (2.0, 1100.0)])
def test_an_overflowing_power_of_two_values(base, exponent):
    tx, te = (torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (base, exponent))
    (tx**te).backward()
    x, e = Value(base), Value(exponent)
    (x**e).backward()
    assert (x.grad, e.grad) == (float(tx.grad), float(te.grad)) == (math.inf, math.inf)
    # 2 ** x, the base a constant
    e2 = Value(exponent)
    (base**e2).backward()
    assert e2.grad == math.inf


# -- a float Tensor as an index ------------------------------------------------------------


def test_a_tensor_is_not_an_index_as_torch_refuses_float_tensors():
    x, tx = ours_and_theirs([1.0, 2.0, 3.0])
    for index in ([0.5], [1.0, 0.0, 1.0]):
        with pytest.raises(IndexError):
            tx[torch.tensor(index)]
    # whole numbers, non-whole ones, nan, and booleans (which a Tensor holds as 1.0 and 0.0:
    # taken as positions they would pick x[1], x[0], x[1] instead of masking)
    for index in (Tensor([0.5]), Tensor([1.0, 0.0, 1.0]), Tensor(np.array(np.nan)), Tensor([True, False, True])):
        with pytest.raises(IndexError, match=r"a Tensor cannot index a tensor of shape \(3,\).*astype\(int\)"):
            x[index]
    with pytest.raises(IndexError, match="not floats"):
        x[np.array([1.0])]
    with pytest.raises(IndexError, match="not floats"):
        x[1.0]


def test_integer_and_boolean_indices_index_as_torch_does():
    data = [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
    for index, torch_index in [([1, 0, 1], [1, 0, 1]), (np.array([1, 0, 1]), [1, 0, 1]),
                               (np.array([True, False]), [True, False]), ([False, True], [False, True])]:
        x, tx = ours_and_theirs(data)
        y, ty = x[index], tx[torch.tensor(torch_index)]
        assert_same(y.data, ty)
        g = np.arange(float(ty.numel())).reshape(tuple(ty.shape))
        y.backward(g)
        ty.backward(torch.tensor(g))
        assert_same(x.grad, tx.grad)  # a repeated row accumulates


# -- Tensor sin and cos ------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", [(), (5,), (3, 4)], ids=str)
@pytest.mark.parametrize("name", ["sin", "cos"])
def test_tensor_sin_and_cos(name, shape, dtype):
    rng = np.random.default_rng(len(shape))
    data = rng.uniform(-7, 7, shape)
    x, tx = ours_and_theirs(data, dtype)
    y, ty = getattr(x, name)(), getattr(torch, name)(tx)
    assert y.dtype == dtype and y.op == name
    tol = dict(rtol=1e-12, atol=1e-14) if dtype == np.float64 else dict(rtol=1e-5, atol=1e-6)
    assert_same(y.data, ty, **tol)
    g = rng.standard_normal(shape).astype(dtype)
    (first,) = autodiff.grad((y * Tensor(g)).sum(), [x], create_graph=True)
    (tfirst,) = torch.autograd.grad((ty * torch.tensor(g)).sum(), [tx], create_graph=True)
    assert_same(first.data, tfirst, **tol)
    (second,) = autodiff.grad((first * first).sum(), [x])
    (tsecond,) = torch.autograd.grad((tfirst * tfirst).sum(), [tx])
    assert_same(second.data, tsecond, **tol)
    assert x.grad is None  # autodiff.grad leaves .grad alone


# -- weak references -----------------------------------------------------------------------------


def test_a_value_can_be_weakly_referenced():
    v = Value(1.0)
    ref = weakref.ref(v)
    assert ref() is v
    y = v * 2.0
    y_ref = weakref.ref(y)
    del v, y
    gc.collect()
    assert ref() is None and y_ref() is None  # a weak reference keeps nothing alive
    cache = weakref.WeakKeyDictionary({Value(3.0): "x"})
    gc.collect()
    assert len(cache) == 0
    tx = torch.tensor(1.0)
    assert weakref.ref(tx)() is tx  # as a torch tensor


# -- gradients are not shared ----------------------------------------------------------------


def test_each_input_of_a_sum_gets_its_own_gradient():
    x, tx = ours_and_theirs([1.0, 2.0])
    y, ty = ours_and_theirs([3.0, 4.0])
    g = np.array([0.5, -1.0])
    (x + y).backward(g)
    (tx + ty).backward(torch.tensor(g))
    assert x.grad is not y.grad and tx.grad is not ty.grad
    x.grad *= 0
    tx.grad *= 0
    assert_same(y.grad, ty.grad)
    np.testing.assert_array_equal(y.grad, [0.5, -1.0])
    np.testing.assert_array_equal(g, [0.5, -1.0])


def test_a_gradient_passed_through_a_view_is_not_shared():
    x, tx = ours_and_theirs(np.ones((2, 3)))
    h = x * 1.0
    out = h.reshape(6).sum() + h.T.sum()
    out.backward()
    th = tx * 1.0
    th.retain_grad()
    (th.reshape(6).sum() + th.T.sum()).backward()
    assert_same(x.grad, tx.grad)
    assert_same(h.grad, th.grad)
    x.grad[0, 0] = 100.0
    assert h.grad[0, 0] == 2.0


# -- a vjp of the wrong shape ------------------------------------------------------------------


def test_a_vjp_that_forgets_to_sum_a_broadcast_gets_it_summed_by_the_engine():
    # forward broadcasts b (3,) over the rows of a (4, 3); the vjp hands back g (4, 3) for both
    forgot = TensorOp("add_rows", np.add, lambda g, out, needs, a, b: (g, g))
    rng = np.random.default_rng(0)
    A, B, G = rng.standard_normal((4, 3)), rng.standard_normal(3), rng.standard_normal((4, 3))
    a, ta = ours_and_theirs(A)
    b, tb = ours_and_theirs(B)
    forgot(a, b).backward(G)
    (ta + tb).backward(torch.tensor(G))
    assert b.grad.shape == (3,)  # never a (4, 3) gradient for a (3,) parameter
    assert_same(b.grad, tb.grad)
    assert_same(a.grad, ta.grad)


@pytest.mark.parametrize(
    "wrong, position, shape",
    [
        (lambda g, b: (g, g.sum(axis=1)), 1, (4,)),  # summed over the wrong axis
        (lambda g, b: (g, g.T), 1, (3, 4)),
        (lambda g, b: (g[:2], b), 0, (2, 3)),
        (lambda g, b: (g.sum(axis=0), b), 0, (3,)),  # fewer axes than the input
    ],
    ids=["wrong axis", "transposed", "too few rows", "too few axes"],
)
@pytest.mark.parametrize("path", ["fast", "reference"])
def test_a_vjp_of_a_shape_that_does_not_fit_is_a_clear_error(wrong, position, shape, path):
    bad = TensorOp("bad_rule", np.add, lambda g, out, needs, a, b: wrong(g, b))
    a = Tensor(np.ones((4, 3)), requires_grad=True)
    b = Tensor(np.ones(3), requires_grad=True)
    target = (4, 3) if position == 0 else (3,)
    message = (rf"the vjp of 'bad_rule' gave input {position} a gradient of shape {re_shape(shape)}, "
               rf"which does not fit the input's shape {re_shape(target)}")
    with (autodiff.fast.reference() if path == "reference" else _installed()), pytest.raises(ValueError, match=message):
        bad(a, b).backward(np.ones((4, 3)))


def test_a_vjp_with_the_wrong_number_of_gradients_is_a_clear_error():
    bad = TensorOp("one_short", np.add, lambda g, out, needs, a, b: (g,))
    a, b = Tensor(np.ones(3), requires_grad=True), Tensor(np.ones(3), requires_grad=True)
    for context in (_installed, autodiff.fast.reference):
        with context(), pytest.raises(ValueError, match="the vjp of 'one_short' gave 1 gradients for 2 inputs"):
            bad(a, b).backward(np.ones(3))


def re_shape(shape):
    return re.escape(str(tuple(shape)))


class _installed:
    """The fast twins in place for the block (as after ``import autodiff``), then as before."""

    def __enter__(self):
        self.was = autodiff.fast.installed()
        autodiff.fast.install()

    def __exit__(self, *exc_info):
        if not self.was:
            autodiff.fast.uninstall()


# -- found by an audit against PyTorch at edge values ----------------------------------------------


def power_hessian(make, base, exponent):
    """d/dx x^y, d/dy x^y, and the Hessian [[xx, xy], [yx, yy]] of x^y at (base, exponent)."""
    x, y = make(base), make(exponent)
    gx, gy = autodiff.grad(x**y, [x, y], create_graph=True)
    hessian = [[float(h.data) for h in autodiff.grad(g, [x, y])] for g in (gx, gy)]
    return float(gx.data), float(gy.data), hessian


def make_value(v):
    return Value(v)


def make_tensor(v):
    return Tensor(v, requires_grad=True)


@pytest.mark.parametrize("base", [0.5, 1.0, 2.0, 3.0])
def test_the_power_rule_keeps_d_dy_of_d_dx_at_exponent_zero(base):
    # d/dx x^y = y x^(y-1); its derivative in y, x^(y-1) (1 + y ln x), is 1/x at y = 0. The
    # rule "d/dx = 0 at y = 0" gave 0 for it (a Value), while d/dx of d/dy gave 1/x: a Hessian
    # that was not symmetric. (PyTorch gives 0 there too, for the same reason: not the oracle
    # for that entry; central differences of d/dx in y are.)
    tx, ty = (torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (base, 0.0))
    tgx, tgy = torch.autograd.grad(tx**ty, [tx, ty], create_graph=True)
    thxx, thxy = (float(h) for h in torch.autograd.grad(tgx, [tx, ty]))
    thyx, thyy = (float(h) for h in torch.autograd.grad(tgy, [tx, ty]))
    h = 1e-6
    d_dx = lambda y: y * base ** (y - 1)  # noqa: E731
    central = (d_dx(h) - d_dx(-h)) / (2 * h)
    for make in (make_value, make_tensor):
        with np.errstate(divide="ignore"):
            gx, gy, ((hxx, hxy), (hyx, hyy)) = power_hessian(make, base, 0.0)
        assert (gx, gy) == (float(tgx.detach()), float(tgy.detach())) == (0.0, math.log(base))
        assert hxy == pytest.approx(1 / base, rel=1e-12) and hxy == pytest.approx(central, rel=1e-8)
        assert hyx == pytest.approx(hxy, rel=1e-12) and hyx == pytest.approx(thyx, rel=1e-12)
        assert (hxx, hyy) == pytest.approx((thxx, thyy), rel=1e-12)
    assert thxy == 0.0  # PyTorch's entry, for the record


@pytest.mark.parametrize("exponent", [0.0, 1.0, 2.0, 3.0])
def test_value_and_tensor_power_hessians_agree_at_base_zero(exponent):
    with np.errstate(divide="ignore", invalid="ignore"):
        ours = power_hessian(make_value, 0.0, exponent)
        tensor = power_hessian(make_tensor, 0.0, exponent)
    assert ours == tensor
    assert ours[:2] == (1.0 if exponent == 1 else 0.0, 0.0)  # d/dx, d/dy as PyTorch (see above)
    if exponent >= 2:
        assert ours[2][0][0] == (2.0 if exponent == 2 else 0.0)  # d2/dx2 x^2 = 2, x^3: 6x = 0


ELU_POINTS = [math.inf, -math.inf, 0.5, -0.5, 40.0, -40.0]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_elu_at_infinity_has_the_gradient_pytorch_gives(dtype):
    # d/dx elu = 1 for x > 0, alpha e^x below: at +inf, 1 (the rule mask * 1 + (1 - mask) * (out + alpha)
    # gave 0 * inf = nan there)
    x, tx = ours_and_theirs(ELU_POINTS, dtype)
    y, ty = x.elu(alpha=1.5), torch.nn.functional.elu(tx, alpha=1.5)
    (first,) = autodiff.grad(y.sum(), [x], create_graph=True)
    (tfirst,) = torch.autograd.grad(ty.sum(), [tx], create_graph=True)
    tol = dict(rtol=1e-6, atol=1e-7) if dtype == np.float32 else {}
    assert_same(first.data, tfirst, **tol)
    assert first.data[0] == 1.0 and first.dtype == dtype
    (second,) = autodiff.grad(first.sum(), [x])  # alpha e^x below 0, 0 above
    assert_same(second.data, torch.where(tx > 0, 0.0, 1.5 * torch.exp(tx)).detach(), **tol)
    y.sum().backward()
    assert_same(x.grad, tfirst, **tol)
    values = [Value(v) for v in ELU_POINTS]
    for v in values:
        v.elu(alpha=1.5).backward()
    assert_same([v.grad for v in values], tfirst.double(), **tol)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sigmoid_and_silu_at_minus_infinity(dtype):
    # sigma(-inf) = 0 exactly, so silu(-inf) = -inf * 0 = nan, as PyTorch and a Value give (the
    # clipped exponent gave a tiny sigma and silu(-inf) = -inf)
    points = [-math.inf, -1000.0, -50.0, 0.0, 50.0, 1000.0, math.inf]
    x, tx = ours_and_theirs(points, dtype)
    with np.errstate(invalid="ignore"):
        s, silu = x.sigmoid(), x.silu()
        (ds,) = autodiff.grad(silu.sum(), [x])
    ts, tsilu = torch.sigmoid(tx), torch.nn.functional.silu(tx)
    (tds,) = torch.autograd.grad(tsilu.sum(), [tx])
    assert_same(s.data, ts, rtol=1e-6, atol=0)
    assert_same(silu.data, tsilu, rtol=1e-6, atol=0)
    assert_same(ds.data, tds, rtol=1e-6, atol=0)
    assert s.data[0] == 0.0 and math.isnan(silu.data[0]) and s.dtype == dtype
    assert Value(-math.inf).sigmoid().data == 0.0 and math.isnan(Value(-math.inf).silu().data)


EMPTY_REDUCTIONS = [((2, 0), 0), ((0, 3), 1), ((0, 3), -1), ((2, 0, 3), (0, 2))]


@pytest.mark.parametrize("shape, axis", EMPTY_REDUCTIONS, ids=str)
@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("name", ["max", "logsumexp"])
def test_an_empty_tensor_reduced_along_an_axis_that_is_not_empty(name, shape, axis, keepdims):
    x, tx = ours_and_theirs(np.zeros(shape))
    ours, theirs = REDUCTIONS[name]
    y, ty = ours(x, axis, keepdims), theirs(tx, axis, keepdims)
    assert_same(y.data, ty)  # an empty result, of PyTorch's shape
    y.backward(np.zeros(y.shape))
    assert x.grad.shape == shape


def test_logsumexp_of_minus_infinities_is_minus_infinity_without_a_warning():
    data = [[-np.inf, -np.inf], [-np.inf, 1.0]]
    x, tx = ours_and_theirs(data)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = x.logsumexp(axis=1)
    ty = torch.logsumexp(tx, 1)
    assert_same(y.data, ty)
    assert y.data[0] == -np.inf and y.data[1] == 1.0


@pytest.mark.parametrize("shape, axis", [((2, 0), None), ((2, 0), 1), ((0, 3), 0), ((0,), -1)], ids=str)
def test_logsumexp_over_an_empty_axis_is_minus_infinity(shape, axis):
    x, tx = ours_and_theirs(np.zeros(shape))
    theirs_axis = tuple(range(len(shape))) if axis is None else axis
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # log 0 = -inf is the answer here, not worth a warning
        y = x.logsumexp(axis=axis)
    ty = torch.logsumexp(tx, theirs_axis)
    assert_same(y.data, ty)
    assert np.all(y.data == -np.inf)
    for name in ("softmax", "log_softmax"):  # along an empty axis: empty, as PyTorch
        if axis is not None:
            with np.errstate(divide="ignore"):
                s = getattr(x, name)(axis)
            assert_same(s.data, getattr(torch, name)(tx, axis))
            s.backward(np.zeros(shape))
            assert x.grad.shape == shape


@pytest.mark.parametrize("shape, axis", [((2, 0), 1), ((2, 0), None), ((0, 3), 0), ((0,), None)], ids=str)
def test_the_max_of_no_numbers_is_a_clear_error(shape, axis):
    x, tx = ours_and_theirs(np.zeros(shape))
    with pytest.raises((RuntimeError, IndexError)):
        torch.amax(tx, tuple(range(len(shape))) if axis is None else axis)
    with pytest.raises(ValueError, match=re.escape(f"max of an empty tensor (shape {shape})") + ".*no numbers"):
        x.max(axis=axis)


@pytest.mark.parametrize("path", ["fast", "reference"])
def test_a_rule_that_hands_two_inputs_one_array_gives_each_its_own(path):
    # (g / 2,) * 2 is one array twice: each input must still get a gradient of its own
    mean2 = TensorOp("mean2", lambda a, b: (a + b) / 2, lambda g, out, needs, a, b: (g / 2,) * 2)
    x, tx = ours_and_theirs([1.0, 2.0])
    y, ty = ours_and_theirs([3.0, 4.0])
    with autodiff.fast.reference() if path == "reference" else _installed():
        mean2(x, y).backward(np.array([2.0, -4.0]))
    ((tx + ty) / 2).backward(torch.tensor([2.0, -4.0], dtype=torch.float64))
    assert_same(x.grad, tx.grad)
    assert_same(y.grad, ty.grad)
    x.grad *= 0
    np.testing.assert_array_equal(y.grad, [1.0, -2.0])


@pytest.mark.parametrize("path", ["fast", "reference"])
def test_a_rule_that_hands_back_an_array_of_the_graph_gives_a_copy(path):
    # rules that return an input's data or the output as a gradient: correct numbers here
    # (d/da a * b = b; exp' = exp) that must not become the very arrays the nodes hold
    swap = TensorOp("mul_raw", np.multiply, lambda g, out, needs, a, b: (b, a))  # for g = 1
    exp_raw = TensorOp("exp_raw", np.exp, lambda g, out, needs, a: (out,))  # for g = 1
    x, tx = ours_and_theirs([1.0, 2.0])
    y, ty = ours_and_theirs([3.0, 4.0])
    z, tz = ours_and_theirs([0.5, -1.0])
    with autodiff.fast.reference() if path == "reference" else _installed():
        product = swap(x, y)
        product.backward(np.ones(2))
        e = exp_raw(z)
        e.backward(np.ones(2))
    (tx * ty).backward(torch.ones(2, dtype=torch.float64))
    torch.exp(tz).backward(torch.ones(2, dtype=torch.float64))
    for ours, theirs in ((x, tx), (y, ty), (z, tz)):
        assert_same(ours.grad, theirs.grad)
    for held in (x.data, y.data, z.data, e.data):
        for node in (x, y, z):
            assert not np.shares_memory(node.grad, held)


@pytest.mark.parametrize("path", ["fast", "reference"])
def test_a_rule_that_saves_and_hands_back_its_output_gives_a_copy(path):
    # an op that saves (its output, and something more) and whose rule returns the output
    # it saved: exp' = exp, so the numbers are right, but the array is the node's own data
    exp_saving = TensorOp("exp_saving", lambda a: ((e := np.exp(a)), (e, a.shape)),
                          lambda g, saved, needs, a: (saved[0],), saves=True)  # for g = 1
    z, tz = ours_and_theirs([0.5, -1.0])
    with autodiff.fast.reference() if path == "reference" else _installed():
        e = exp_saving(z)
        e.backward(np.ones(2))
    torch.exp(tz).backward(torch.ones(2, dtype=torch.float64))
    assert_same(z.grad, tz.grad)
    assert not np.shares_memory(z.grad, e.data)


@pytest.mark.parametrize("path", ["fast", "reference"])
def test_a_rule_that_gives_complex_numbers_is_a_clear_error(path):
    # casting would drop the imaginary part without a word (numpy only warns)
    bad = TensorOp("complex_rule", lambda a: a * 2.0, lambda g, out, needs, a: (g * (2 + 0j),))
    x = Tensor([1.0, 2.0], requires_grad=True)
    with autodiff.fast.reference() if path == "reference" else _installed():
        with pytest.raises(TypeError, match="the vjp of 'complex_rule' gave input 0 a gradient of dtype complex128"):
            bad(x).sum().backward()


# -- found by a differential fuzz of the tensor engine against PyTorch ------------------------------

def backward_on(path, fn):
    """fn() on the fast path (the twins in place), the reference path, or with create_graph
    (autodiff.grad builds the gradient's own graph; fn then returns the output and inputs)."""
    with autodiff.fast.reference() if path == "reference" else _installed():
        return fn()


@pytest.mark.parametrize("path", ["fast", "reference", "create_graph"])
def test_logsumexp_with_an_infinite_element_gives_the_finite_ones_zero(path):
    # log sum e^a = +inf once an element is +inf; d/da_i = e^a_i / sum e^a is then 0 for a finite
    # a_i (and nan, inf / inf, for the infinite one), as PyTorch. softmax(a), which subtracts the
    # max, read inf - inf = nan for every element and gave the whole row nan. (Nor may a huge
    # finite element overflow e^a for want of a shift: the shift is the largest finite element.)
    inf = math.inf
    data = [[1.0, inf, 2.0], [inf, inf, 1.0], [-inf, inf, 0.0], [1000.0, -1000.0, 1000.0], [1e300, inf, 1.0]]
    x, tx = ours_and_theirs(data)
    seed = np.array([2.0, -1.0, 3.0, 0.5, 1.0])
    with np.errstate(invalid="ignore"):
        y = x.logsumexp(axis=1)
        if path == "create_graph":
            (grad,) = autodiff.grad((y * Tensor(seed)).sum(), [x], create_graph=True)
            grad = grad.data
        else:
            backward_on(path, lambda: y.backward(seed))
            grad = x.grad
    ty = torch.logsumexp(tx, 1)
    ty.backward(torch.tensor(seed))
    assert_same(y.data, ty)
    assert_same(grad, tx.grad)
    np.testing.assert_array_equal(grad[0], [0.0, np.nan, 0.0])
    np.testing.assert_array_equal(grad[2], [0.0, np.nan, 0.0])
    np.testing.assert_array_equal(grad[3], [0.25, 0.0, 0.25])  # still exact for finite logits
    np.testing.assert_array_equal(grad[4], [0.0, np.nan, 0.0])


@pytest.mark.parametrize("path", ["fast", "reference", "create_graph"])
def test_relu_gives_zero_below_zero_even_for_an_infinite_upstream(path):
    # relu(x) x + |x| x at x = -inf: relu's upstream there is x = -inf, and relu' = 0 made it
    # 0 * -inf = nan (PyTorch: 0, so the gradient is the |x| x part's, +inf). A nan input, whose
    # relu is nan, passes the gradient on, as PyTorch.
    points = [-math.inf, -1.0, 0.0, 2.0, math.inf, math.nan]
    x, tx = ours_and_theirs(points)

    def first_order():
        y = x.relu() * x + x.abs() * x
        if path == "create_graph":
            return autodiff.grad(y.sum(), [x], create_graph=True)[0].data
        y.sum().backward()
        return x.grad

    with np.errstate(invalid="ignore"):
        grad = backward_on(path, first_order)
    (torch.relu(tx) * tx + tx.abs() * tx).sum().backward()
    assert_same(grad, tx.grad)
    assert grad[0] == math.inf and grad[-1] != grad[-1]  # nan: |x| x's part at nan


@pytest.mark.parametrize("path", ["fast", "reference", "create_graph"])
def test_relu_of_an_infinite_upstream_gradient(path):
    x, tx = ours_and_theirs([-2.0, 0.0, 3.0, math.nan])
    seed = np.array([math.inf, -math.inf, math.inf, 1.5])
    if path == "create_graph":
        with np.errstate(invalid="ignore"):  # the forward pass's 0 * inf
            (grad,) = autodiff.grad((x.relu() * Tensor(seed)).sum(), [x], create_graph=True)
        grad = grad.data
    else:
        backward_on(path, lambda: x.relu().backward(seed))
        grad = x.grad
    torch.relu(tx).backward(torch.tensor(seed))
    assert_same(grad, tx.grad)
    np.testing.assert_array_equal(grad, [0.0, 0.0, math.inf, 1.5])


@pytest.mark.parametrize("path", ["fast", "reference", "create_graph"])
def test_tensor_power_at_minus_zero_keeps_the_sign_of_zero(path):
    # d/dx x^y = y x^(y-1): at x = -0.0, y = -2 that is -2 (-0)^-3 = -2 (-inf) = +inf. The rule's
    # shift of the base by 0 (where it is not moved to 1) made -0.0 + 0 = +0.0 and gave -inf
    base = [-0.0, 0.0, -0.0, 0.0, -0.0, -0.0, -0.0]
    exponent = [-2.0, -2.0, -3.0, -3.0, 0.0, 2.0, -0.5]
    x, tx = ours_and_theirs(base)
    e, te = ours_and_theirs(exponent)

    def first_order():
        y = x**e
        if path == "create_graph":
            return [g.data for g in autodiff.grad(y.sum(), [x, e], create_graph=True)]
        y.sum().backward()
        return [x.grad, e.grad]

    with np.errstate(divide="ignore", invalid="ignore"):
        dx, de = backward_on(path, first_order)
    (tx**te).sum().backward()
    assert_same(dx, tx.grad)
    assert_same(de, te.grad)
    assert dx[0] == math.inf and dx[1] == -math.inf


LINEAR_EMPTY_SHAPES = [
    ((2, 3, 0), (0, 2)), ((0,), (0, 2)), ((2, 2, 3), (3, 0)), ((3,), (3, 0)), ((2, 0, 3), (3, 2)),
]


@pytest.mark.parametrize("path", ["fast", "reference", "create_graph"])
@pytest.mark.parametrize("x_shape, w_shape", LINEAR_EMPTY_SHAPES, ids=str)
def test_linear_with_an_empty_feature_axis(x_shape, w_shape, path):
    # x of shape (..., in) is taken as rows (n, in) for dW; reshape((-1, in)) cannot work out n
    # when in (or out) is 0, and a backward pass through linear raised
    rng = np.random.default_rng(0)
    arrays = [rng.normal(size=x_shape), rng.normal(size=w_shape), rng.normal(size=w_shape[1:])]
    ours = [Tensor(a.copy(), requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    ty = theirs[0] @ theirs[1] + theirs[2]
    seed = rng.normal(size=tuple(ty.shape))
    ty.backward(torch.tensor(seed))

    def run():
        y = autodiff.linear(*ours)
        if path == "create_graph":
            return y, [g.data for g in autodiff.grad((y * Tensor(seed)).sum(), ours, create_graph=True)]
        y.backward(seed)
        return y, [t.grad for t in ours]

    y, grads = backward_on(path, run)
    assert_same(y.data, ty)
    for grad, t in zip(grads, theirs):
        assert_same(grad, t.grad)


# -- create_graph where a derivative is infinite (sqrt'(0) = 0.5 / 0) ---------------------------


def same_floats(ours, theirs):
    """Equal, inf and nan where PyTorch has them (and a zero of either sign)."""
    return all(a == b or (math.isnan(a) and math.isnan(b)) for a, b in zip(ours, theirs, strict=True))


INFINITE_SLOPES = {  # name: (on a Value or a Tensor, on a torch tensor, points)
    "sqrt": (lambda v: v.sqrt(), torch.sqrt, [0.0, -0.0]),
    "x**0.5": (lambda v: v**0.5, lambda t: t**0.5, [0.0]),
    "x**0.3": (lambda v: v**0.3, lambda t: t**0.3, [0.0]),
    "x**0.999": (lambda v: v**0.999, lambda t: t**0.999, [0.0]),
    "sqrt(x*x)": (lambda v: (v * v).sqrt(), lambda t: (t * t).sqrt(), [0.0, 1e-300, -1e-300]),
    "tanh(sqrt(x))": (lambda v: v.sqrt().tanh(), lambda t: t.sqrt().tanh(), [0.0]),
}


@pytest.mark.parametrize("path", ["fast", "reference"])
@pytest.mark.parametrize("name", sorted(INFINITE_SLOPES))
def test_create_graph_where_the_derivative_is_infinite(name, path):
    # The plain backward pass gives inf there (IEEE arithmetic, as PyTorch); create_graph
    # raised ZeroDivisionError while building 0.5 / 0 (sqrt) or 0 ** -0.5 (x ** 0.5), with a
    # message naming neither the op nor why. Now it builds the graph in IEEE arithmetic too.
    ours, theirs, points = INFINITE_SLOPES[name]
    for point in points:
        t = torch.tensor(point, dtype=torch.float64, requires_grad=True)
        (t1,) = torch.autograd.grad(theirs(t), [t], create_graph=True)
        (t2,) = torch.autograd.grad(t1, [t])
        expected = (t1.item(), t2.item())
        with autodiff.fast.reference() if path == "reference" else _installed():
            x = Value(point, "x")
            (d1,) = autodiff.grad(ours(x), [x], create_graph=True)
            (d2,) = autodiff.grad(d1, [x])
            plain = Value(point)
            ours(plain).backward()
        assert same_floats((d1.data, d2.data), expected), (point, d1.data, d2.data, expected)
        assert same_floats((plain.grad,), (d1.data,))
        # a Tensor at the same point agrees
        x = Tensor(point, requires_grad=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            (e1,) = autodiff.grad(ours(x), [x], create_graph=True)
            (e2,) = autodiff.grad(e1, [x])
        assert same_floats((float(e1.data), float(e2.data)), expected)


@pytest.mark.parametrize("exponent", [0.5, 0.3, 1e-300])
def test_create_graph_of_zero_to_a_power_below_one(exponent):
    # d/dx x^y = y x^(y-1) is inf at x = 0 for 0 < y < 1: built as 0 ** (y - 1), which
    # raised ZeroDivisionError with create_graph, also for a constant base (0 ** y)
    tx, ty = (torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (0.0, exponent))
    tg = torch.autograd.grad(tx**ty, [tx, ty], create_graph=True)
    th = [[float(h) for h in torch.autograd.grad(g, [tx, ty], retain_graph=True)] for g in tg]
    ours = power_hessian(make_value, 0.0, exponent)
    with np.errstate(divide="ignore", invalid="ignore"):
        tensor = power_hessian(make_tensor, 0.0, exponent)
    assert same_floats(ours[:2], (tg[0].item(), tg[1].item())) and ours[:2] == (math.inf, 0.0)
    assert same_floats([*ours[2][0], ours[2][1][0]], [*th[0], th[1][0]])  # -inf, nan, nan
    # d2/dy2 of 0^y = 0 for y > 0 is 0 (the base-0 rule); PyTorch's nan is its 0 * ln 0
    assert ours[2][1][1] == 0.0 and math.isnan(th[1][1])
    assert same_floats([*ours[:2], *ours[2][0], *ours[2][1]], [*tensor[:2], *tensor[2][0], *tensor[2][1]])
    y = Value(exponent)
    (d1,) = autodiff.grad(0.0**y, [y], create_graph=True)
    (d2,) = autodiff.grad(d1, [y])
    assert (d1.data, d2.data) == (0.0, 0.0)


def test_a_division_by_zero_outside_a_derivative_rule_still_raises():
    # the IEEE arithmetic is for building a derivative's graph only: the forward pass refuses
    x = Value(0.0, "x")
    autodiff.grad(autodiff.grad(x.sqrt(), [x], create_graph=True)[0], [x])
    with pytest.raises(ZeroDivisionError, match=r"/\(0.5, 'x'=0.0\): division by zero"):
        0.5 / x
    with pytest.raises(ZeroDivisionError, match="0 raised to a negative power"):
        x**-0.5


@pytest.mark.parametrize("base, exponent", [(-2.0, 1.0), (-2.0, 2.0), (-1.5, 3.0), (-1.0, 0.0), (math.nan, 2.0)])
def test_the_power_rule_at_a_negative_base_has_nan_second_derivatives_in_the_exponent(base, exponent):
    # d/dy x^y = x^y ln x is nan for x < 0 (ln x is not real); it was a constant nan, whose
    # own derivatives were 0: d2/dy2 was 0 where PyTorch and a Tensor give nan
    tx, ty = (torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (base, exponent))
    tgx, tgy = torch.autograd.grad(tx**ty, [tx, ty], create_graph=True)
    (thyy,) = torch.autograd.grad(tgy, [ty])
    ours = power_hessian(make_value, base, exponent)
    with np.errstate(invalid="ignore"):
        tensor = power_hessian(make_tensor, base, exponent)
    assert same_floats(ours[:2], (tgx.item(), tgy.item())) and math.isnan(ours[1])
    assert math.isnan(ours[2][1][1]) and math.isnan(thyy.item())
    assert math.isnan(ours[2][1][0])  # d/dx of the nan d/dy (PyTorch: -1 at y = 0, its masking)
    assert same_floats([*ours[:2], *ours[2][0], *ours[2][1]], [*tensor[:2], *tensor[2][0], *tensor[2][1]])
    # with a constant base, (-2) ** y
    y = Value(exponent)
    (d1,) = autodiff.grad(base**y, [y], create_graph=True)
    (d2,) = autodiff.grad(d1, [y])
    assert math.isnan(d1.data) and math.isnan(d2.data)


ACTIVATIONS_AT_NAN = {  # name: (ours on a Value or a Tensor, PyTorch's)
    "relu": (lambda x: x.relu(), torch.relu),
    "elu": (lambda x: x.elu(), torch.nn.functional.elu),
}


@pytest.mark.parametrize("name", sorted(ACTIVATIONS_AT_NAN))
def test_relu_and_elu_at_nan_pass_the_gradient_on_in_both_engines_as_pytorch(name):
    ours, theirs = ACTIVATIONS_AT_NAN[name]
    for point in [-1.0, 0.0, 2.0, math.nan]:
        x = Value(point)
        (ours(x) * 3.0).backward()
        with autodiff.fast.reference():
            r = Value(point)
            (ours(r) * 3.0).backward()
        t, tt = ours_and_theirs(point)
        (ours(t) * 3.0).backward()
        (theirs(tt) * 3.0).backward()
        assert x.grad == r.grad, point
        assert x.grad == pytest.approx(float(tt.grad), rel=1e-15) == float(t.grad), point


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_cross_entropy_with_a_class_of_probability_zero(reduction, dtype):
    # A logit of -inf (a masked class), or one so far below the row's largest that its
    # probability underflows to 0: log p = -inf there, and the one-hot target's 0 times it
    # made the loss nan (0 * -inf); 0 log 0 counts as 0, as in PyTorch's loss on class indices.
    import nn.functional as F

    inf = math.inf
    data = [[2.0, -inf, 0.5], [1e30, -1e30, 0.0], [0.3, -1.2, 2.0]]
    target = [0, 2, 1]
    x, tx = ours_and_theirs(data, dtype)
    loss = F.cross_entropy(x, target, reduction=reduction)
    (loss.sum() if reduction == "none" else loss).backward()
    tloss = torch.nn.functional.cross_entropy(tx, torch.tensor(target), reduction=reduction)
    (tloss.sum() if reduction == "none" else tloss).backward()
    tol = {"rtol": 1e-6, "atol": 1e-7} if dtype == np.float32 else {}
    assert loss.data.dtype == dtype and np.all(np.isfinite(loss.data))
    assert_same(loss.data, tloss, **tol)
    assert_same(x.grad, tx.grad, **tol)
