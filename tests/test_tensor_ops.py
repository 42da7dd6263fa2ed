"""Every Tensor op: gradients against PyTorch (float64), against central differences over
every element (hypothesis: random shapes, broadcasts, non-contiguous inputs), numerical
stability, dtypes, and second derivatives (Hessian-vector products) against PyTorch.

The graph semantics (``.grad``, backward_steps, no_grad, errors) are in test_tensor_engine.py.
"""

from __future__ import annotations

import math
import operator
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import autodiff
from autodiff import Tensor

RTOL = 1e-10
ATOL = 1e-12


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch", reason="PyTorch, the oracle, is not installed: pip install torch==2.13.0")


def rand(shape, domain="any", seed=0):
    """Reproducible inputs: 'any' is normal but away from 0 (kinks of relu, abs, ...),
    'pos' is in [0.2, 3] (log, sqrt, bases of powers)."""
    rng = np.random.default_rng(seed)
    if domain == "pos":
        return rng.uniform(0.2, 3.0, size=shape)
    x = rng.standard_normal(shape)
    return np.where(np.abs(x) < 0.1, np.sign(x + 1e-300) * (0.1 + np.abs(x)), x)


def as_torch(torch, a, requires_grad=False):
    return torch.tensor(np.array(a, dtype=np.float64), dtype=torch.float64, requires_grad=requires_grad)


def compare_with_torch(torch, ours, theirs, arrays, requires=None, rtol=RTOL, atol=ATOL, seed=1):
    """Run ``ours`` on Tensors and ``theirs`` on float64 torch tensors made from ``arrays``;
    the values must agree, and so must every input's gradient for a random upstream gradient
    (a random upstream tests the whole vector-Jacobian product, not only its sum)."""
    requires = [True] * len(arrays) if requires is None else list(requires)
    xs = [Tensor(a, requires_grad=r) for a, r in zip(arrays, requires)]
    ts = [as_torch(torch, a, r) for a, r in zip(arrays, requires)]
    out = ours(*xs)
    ref = theirs(*ts)
    assert isinstance(out, Tensor)
    assert out.shape == tuple(ref.shape)
    assert out.dtype == np.float64
    np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=rtol, atol=atol)
    upstream = np.random.default_rng(seed).standard_normal(out.shape)
    out.backward(upstream)
    ref.backward(torch.tensor(upstream))
    for i, (x, t, r) in enumerate(zip(xs, ts, requires)):
        if not r:
            assert x.grad is None, f"input {i} does not require grad but got one"
            continue
        assert x.grad is not None, f"input {i} got no gradient"
        # (a 0-d gradient coming back as a numpy scalar is tested on its own in test_tensor_engine.py)
        assert isinstance(x.grad, (np.ndarray, np.generic))
        assert x.grad.shape == x.shape, f"input {i}: grad shape {x.grad.shape} != {x.shape}"
        assert x.grad.dtype == np.float64
        np.testing.assert_allclose(x.grad, t.grad.numpy(), rtol=rtol, atol=atol, err_msg=f"input {i}")
    return out, xs


# =========================================================================================
# 1. Gradients against PyTorch
# =========================================================================================

BINARY = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "**": operator.pow,
}


def binary_inputs(name, shape_a, shape_b, seed=0):
    """Operands inside each op's domain: divisors away from 0, positive bases for **."""
    a = rand(shape_a, "pos" if name == "**" else "any", seed)
    b = rand(shape_b, "any", seed + 1)
    if name == "/":
        b = np.sign(b) * (0.5 + np.abs(b))
    if name == "**":
        b = np.clip(b, -2.5, 2.5)
    return a, b


BROADCAST_PAIRS = [
    ((3, 4), (3, 4)),
    ((3, 1, 4), (2, 4)),
    ((2, 4), (3, 1, 4)),
    ((), (3, 4)),
    ((3, 4), ()),
    ((4,), (3, 4)),
    ((3, 4), (4,)),
    ((3, 1), (1, 4)),
    ((2, 1, 3), (4, 1)),
    ((1,), (2, 3)),
    ((5, 1, 1), (1, 1)),
]


@pytest.mark.parametrize("shapes", BROADCAST_PAIRS, ids=str)
@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_op_with_broadcasting_against_torch(torch, name, shapes):
    a, b = binary_inputs(name, *shapes)
    compare_with_torch(torch, BINARY[name], BINARY[name], [a, b])


@pytest.mark.parametrize("requires", [(True, False), (False, True)])
@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_op_with_one_side_constant_tensor(torch, name, requires):
    a, b = binary_inputs(name, (3, 1, 4), (2, 4), seed=5)
    compare_with_torch(torch, BINARY[name], BINARY[name], [a, b], requires=requires)


NUMBERS = {"+": -1.5, "-": 2.25, "*": -0.75, "/": 1.6, "**": 1.7}


@pytest.mark.parametrize("side", ["left", "right"])
@pytest.mark.parametrize("kind", ["number", "int", "array", "broadcast array", "list"])
@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_op_with_number_or_array_on_either_side(torch, name, kind, side):
    op = BINARY[name]
    # side is where the number or array goes; the tensor is on the other side
    tensor_domain = "pos" if (name == "**" and side == "right") else "any"
    x = rand((3, 4), tensor_domain, seed=2)
    if name == "/" and side == "left":
        x = np.sign(x) * (0.5 + np.abs(x))  # x is the divisor
    if name == "**" and side == "left":
        x = np.clip(x, -2.5, 2.5)  # x is the exponent of a positive base
    if kind == "number":
        other = NUMBERS[name]
    elif kind == "int":
        other = 2
    else:
        shape = (3, 4) if kind == "array" else (4,)
        other = rand(shape, "pos", seed=3) + (0.3 if name in "/**" else 0.0)
        if kind == "list":
            other = other.tolist()

    def theirs_other():
        return other if kind in ("number", "int") else as_torch(torch, other)

    if side == "left":  # number/array on the left: the Tensor's reflected operator
        compare_with_torch(torch, lambda t: op(other, t), lambda t: op(theirs_other(), t), [x])
    else:
        compare_with_torch(torch, lambda t: op(t, other), lambda t: op(t, theirs_other()), [x])


def test_number_to_the_power_of_a_tensor(torch):
    x = rand((2, 3), seed=4)
    out, _ = compare_with_torch(torch, lambda t: 2**t, lambda t: 2**t, [x])
    np.testing.assert_allclose(out.data, 2.0**x, rtol=1e-15)
    compare_with_torch(torch, lambda t: 0.5**t, lambda t: 0.5**t, [x])


def test_tensor_to_the_power_of_a_tensor_both_differentiable(torch):
    base, exponent = rand((3, 1), "pos", seed=6), rand((1, 4), seed=7)
    _, (a, b) = compare_with_torch(torch, lambda a, b: a**b, lambda a, b: a**b, [base, exponent])
    # the rules written out, summed back over the broadcast axes:
    # d/da a^b = b a^(b-1), d/db a^b = a^b ln a (upstream of compare_with_torch, seed 1)
    upstream = np.random.default_rng(1).standard_normal((3, 4))
    np.testing.assert_allclose(a.grad, (upstream * exponent * base ** (exponent - 1)).sum(1, keepdims=True), rtol=1e-12)
    np.testing.assert_allclose(b.grad, (upstream * base**exponent * np.log(base)).sum(0, keepdims=True), rtol=1e-12)


def test_unary_minus(torch):
    compare_with_torch(torch, lambda t: -t, lambda t: -t, [rand((2, 3))])
    compare_with_torch(torch, lambda t: -(-t * 2), lambda t: -(-t * 2), [rand((4,))])


UNARY = {
    # name: (ours, theirs(torch, t), domain)
    "exp": (lambda t: t.exp(), lambda T, t: t.exp(), "any"),
    "log": (lambda t: t.log(), lambda T, t: t.log(), "pos"),
    "sqrt": (lambda t: t.sqrt(), lambda T, t: t.sqrt(), "pos"),
    "abs": (lambda t: t.abs(), lambda T, t: t.abs(), "any"),
    "abs()": (lambda t: abs(t), lambda T, t: abs(t), "any"),
    "tanh": (lambda t: t.tanh(), lambda T, t: t.tanh(), "any"),
    "sigmoid": (lambda t: t.sigmoid(), lambda T, t: t.sigmoid(), "any"),
    "relu": (lambda t: t.relu(), lambda T, t: t.relu(), "any"),
    "leaky_relu": (lambda t: t.leaky_relu(), lambda T, t: T.nn.functional.leaky_relu(t), "any"),
    "leaky_relu_0.1": (lambda t: t.leaky_relu(0.1), lambda T, t: T.nn.functional.leaky_relu(t, 0.1), "any"),
    "elu": (lambda t: t.elu(), lambda T, t: T.nn.functional.elu(t), "any"),
    "elu_1.7": (lambda t: t.elu(1.7), lambda T, t: T.nn.functional.elu(t, 1.7), "any"),
    "gelu": (lambda t: t.gelu(), lambda T, t: T.nn.functional.gelu(t), "any"),
    "gelu_tanh": (
        lambda t: t.gelu(approximate="tanh"),
        lambda T, t: T.nn.functional.gelu(t, approximate="tanh"),
        "any",
    ),
    "silu": (lambda t: t.silu(), lambda T, t: T.nn.functional.silu(t), "any"),
    "softplus": (lambda t: t.softplus(), lambda T, t: T.nn.functional.softplus(t), "any"),
    "softplus_beta2": (
        lambda t: (t * 6).softplus(beta=2.0, threshold=5.0),  # some elements in the linear part
        lambda T, t: T.nn.functional.softplus(t * 6, beta=2.0, threshold=5.0),
        "any",
    ),
    "erf": (lambda t: t.erf(), lambda T, t: T.erf(t), "any"),
    "sin": (lambda t: t.sin(), lambda T, t: t.sin(), "any"),
    "cos": (lambda t: t.cos(), lambda T, t: t.cos(), "any"),
    "square": (lambda t: t**2, lambda T, t: t**2, "any"),
    "cube": (lambda t: t**3, lambda T, t: t**3, "any"),
    "pow_0.5": (lambda t: t**0.5, lambda T, t: t**0.5, "pos"),
    "pow_-1.5": (lambda t: t**-1.5, lambda T, t: t**-1.5, "pos"),
    "pow_int_-2": (lambda t: t**-2, lambda T, t: t**-2, "any"),
}


@pytest.mark.parametrize("shape", [(), (5,), (3, 4)], ids=str)
@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_op_against_torch(torch, name, shape):
    ours, theirs, domain = UNARY[name]
    compare_with_torch(torch, ours, lambda t: theirs(torch, t), [rand(shape, domain, seed=len(name))])


REDUCTION_AXES = [None, 0, 1, -1, (0, 2), (-1, 0), (0, 1, 2)]


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("axis", REDUCTION_AXES, ids=str)
@pytest.mark.parametrize("name", ["sum", "mean", "max"])
def test_reduction_against_torch(torch, name, axis, keepdims):
    x = rand((2, 3, 4), seed=11)  # distinct values: max has no ties

    def ours(t):
        return getattr(t, name)(axis=axis, keepdims=keepdims)

    def theirs(t):
        dims = tuple(range(t.ndim)) if axis is None else axis
        if name == "max":
            return torch.amax(t, dim=dims, keepdim=keepdims)
        return getattr(t, name)(dim=dims, keepdim=keepdims)

    compare_with_torch(torch, ours, theirs, [x])


def test_reductions_with_default_arguments(torch):
    x = rand((3, 4), seed=12)
    for name in ("sum", "mean", "max"):
        out, _ = compare_with_torch(torch, lambda t: getattr(t, name)(), lambda t: getattr(t, name)(), [x])
        assert out.shape == ()


def test_max_shares_the_gradient_evenly_among_ties(torch):
    x = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]])
    compare_with_torch(torch, lambda t: t.max(), lambda t: torch.amax(t, dim=(0, 1)), [x])
    compare_with_torch(torch, lambda t: t.max(axis=1), lambda t: torch.amax(t, dim=1), [x])
    t = Tensor(x, requires_grad=True)
    t.max(axis=1).backward(np.array([10.0, 4.0]))
    np.testing.assert_array_equal(t.grad, [[0, 5, 5], [2, 2, 0]])


@pytest.mark.parametrize("axis", [0, 1, 2, -1, -2])
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_and_log_softmax_along_an_axis(torch, name, axis):
    x = rand((2, 3, 4), seed=13) * 3
    compare_with_torch(
        torch, lambda t: getattr(t, name)(axis=axis), lambda t: getattr(t, name)(dim=axis), [x]
    )


def test_softmax_default_axis_is_last(torch):
    x = rand((3, 5), seed=14)
    compare_with_torch(torch, lambda t: t.softmax(), lambda t: t.softmax(dim=-1), [x])
    compare_with_torch(torch, lambda t: t.log_softmax(), lambda t: t.log_softmax(dim=-1), [x])


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("axis", [None, 0, 1, -1, (0, 2)], ids=str)
def test_logsumexp_along_axes(torch, axis, keepdims):
    x = rand((2, 3, 4), seed=15) * 3
    compare_with_torch(
        torch,
        lambda t: t.logsumexp(axis=axis, keepdims=keepdims),
        lambda t: torch.logsumexp(t, dim=tuple(range(3)) if axis is None else axis, keepdim=keepdims),
        [x],
    )


RESHAPES = [
    ("(4, 6)", lambda t: t.reshape(4, 6), lambda t: t.reshape(4, 6)),
    ("tuple (6, -1)", lambda t: t.reshape((6, -1)), lambda t: t.reshape(6, -1)),
    ("flat", lambda t: t.reshape(-1), lambda t: t.reshape(-1)),
    ("(1, 24, 1)", lambda t: t.reshape([1, 24, 1]), lambda t: t.reshape(1, 24, 1)),
    ("transpose()", lambda t: t.transpose(), lambda t: t.permute(2, 1, 0)),
    ("transpose(1, 0, 2)", lambda t: t.transpose(1, 0, 2), lambda t: t.permute(1, 0, 2)),
    ("transpose((2, 0, 1))", lambda t: t.transpose((2, 0, 1)), lambda t: t.permute(2, 0, 1)),
    ("transpose(0, -1, -2)", lambda t: t.transpose(0, -1, -2), lambda t: t.permute(0, 2, 1)),
    ("transpose(-1, 0, 1)", lambda t: t.transpose(-1, 0, 1), lambda t: t.permute(2, 0, 1)),
    (".T", lambda t: t.T, lambda t: t.permute(2, 1, 0)),
    ("reshape then .T", lambda t: t.reshape(6, 4).T, lambda t: t.reshape(6, 4).T),
    ("transpose then reshape", lambda t: t.transpose(2, 0, 1).reshape(8, 3), lambda t: t.permute(2, 0, 1).reshape(8, 3)),
]


@pytest.mark.parametrize("case", RESHAPES, ids=[c[0] for c in RESHAPES])
def test_reshape_and_transpose(torch, case):
    _, ours, theirs = case
    compare_with_torch(torch, ours, theirs, [rand((2, 3, 4), seed=16)])


def getitem_cases(torch):
    x = rand((3, 4, 5), seed=17)
    mask = x > 0
    return x, [
        ("basic slices", lambda t: t[1:, ::2], lambda t: t[1:, ::2]),
        ("ellipsis", lambda t: t[..., 1], lambda t: t[..., 1]),
        ("newaxis", lambda t: t[None, 0], lambda t: t[None, 0]),
        ("negative int", lambda t: t[-1], lambda t: t[-1]),
        ("int and slice", lambda t: t[1, 1:3, -2:], lambda t: t[1, 1:3, -2:]),
        ("numpy int", lambda t: t[np.int64(2)], lambda t: t[2]),
        ("negative step", lambda t: t[::-1, :, ::-2], lambda t: torch.flip(t, (0, 2))[:, :, ::2]),
        ("repeated int array", lambda t: t[np.array([0, 2, 0, 0])], lambda t: t[torch.tensor([0, 2, 0, 0])]),
        ("repeated list", lambda t: t[[1, 1, 1, -1]], lambda t: t[[1, 1, 1, -1]]),
        (
            "two repeated arrays",
            lambda t: t[np.array([1, 1, 0]), np.array([2, 2, 3])],
            lambda t: t[torch.tensor([1, 1, 0]), torch.tensor([2, 2, 3])],
        ),
        ("slice and repeated list", lambda t: t[:, [3, 3, 1]], lambda t: t[:, [3, 3, 1]]),
        ("2-D index array", lambda t: t[np.array([[0, 1], [1, 1]])], lambda t: t[torch.tensor([[0, 1], [1, 1]])]),
        ("boolean mask", lambda t: t[mask], lambda t: t[torch.from_numpy(mask)]),
        ("boolean mask axis 0", lambda t: t[np.array([True, False, True])], lambda t: t[torch.tensor([True, False, True])]),
        ("boolean mask of 2 axes", lambda t: t[mask[:, :, 0]], lambda t: t[torch.from_numpy(mask[:, :, 0].copy())]),
        ("int array in a tuple", lambda t: t[np.array([0, 0]), :, [4, 4]],
         lambda t: t[torch.tensor([0, 0]), :, torch.tensor([4, 4])]),
    ]


GETITEM_IDS = [
    "basic slices", "ellipsis", "newaxis", "negative int", "int and slice", "numpy int", "negative step",
    "repeated int array", "repeated list", "two repeated arrays", "slice and repeated list", "2-D index array",
    "boolean mask", "boolean mask axis 0", "boolean mask of 2 axes", "int array in a tuple",
]


@pytest.mark.parametrize("which", GETITEM_IDS)
def test_getitem_against_torch(torch, which):
    x, cases = getitem_cases(torch)
    _, ours, theirs = next(c for c in cases if c[0] == which)
    compare_with_torch(torch, ours, theirs, [x])


def test_getitem_repeated_indices_accumulate():
    x = Tensor(np.arange(4.0), requires_grad=True)
    x[[1, 1, 1, 3, 1]].backward(np.array([1.0, 2.0, 3.0, 4.0, 5.0]))
    np.testing.assert_array_equal(x.grad, [0.0, 11.0, 0.0, 4.0])


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_concatenate_against_torch(torch, axis):
    shapes = {0: [(1, 3, 2), (2, 3, 2), (3, 3, 2)], 1: [(2, 1, 2), (2, 4, 2), (2, 2, 2)], -1: [(2, 3, 3), (2, 3, 1), (2, 3, 2)]}[axis]
    arrays = [rand(s, seed=20 + i) for i, s in enumerate(shapes)]
    compare_with_torch(
        torch,
        lambda *ts: autodiff.concatenate(ts, axis=axis),
        lambda *ts: torch.cat(ts, dim=axis),
        arrays,
    )
    # one input that needs no gradient gets none, the others still get theirs
    compare_with_torch(
        torch,
        lambda *ts: autodiff.concatenate(list(ts), axis=axis) * 2,
        lambda *ts: torch.cat(ts, dim=axis) * 2,
        arrays,
        requires=[True, False, True],
    )


@pytest.mark.parametrize("axis", [0, 1, 2, -1, -3])
def test_stack_against_torch(torch, axis):
    arrays = [rand((2, 3), seed=30 + i) for i in range(3)]
    compare_with_torch(
        torch, lambda *ts: autodiff.stack(ts, axis=axis), lambda *ts: torch.stack(ts, dim=axis), arrays
    )
    compare_with_torch(
        torch,
        lambda *ts: autodiff.stack(list(ts), axis=axis).tanh(),
        lambda *ts: torch.stack(ts, dim=axis).tanh(),
        arrays,
        requires=[False, True, False],
    )


def test_concatenate_and_stack_of_one_tensor_used_twice(torch):
    x = rand((2, 3), seed=33)
    compare_with_torch(torch, lambda t: autodiff.concatenate([t, t * 2], axis=1), lambda t: torch.cat([t, t * 2], 1), [x])
    compare_with_torch(torch, lambda t: autodiff.stack([t, t.exp(), t]), lambda t: torch.stack([t, t.exp(), t]), [x])


MATMUL_SHAPES = [
    ((4,), (4, 3)),
    ((3, 4), (4,)),
    ((4,), (4,)),
    ((3, 4), (4, 5)),
    ((2, 3, 4), (4, 5)),
    ((2, 3, 4), (2, 4, 5)),
    ((3, 4), (2, 4, 5)),
    ((4,), (2, 4, 5)),
    ((2, 3, 4), (4,)),
    ((2, 1, 3, 4), (5, 4, 2)),
    ((1, 4), (4, 1)),
]


@pytest.mark.parametrize("shapes", MATMUL_SHAPES, ids=str)
def test_matmul_against_torch(torch, shapes):
    a, b = rand(shapes[0], seed=40), rand(shapes[1], seed=41)
    compare_with_torch(torch, operator.matmul, operator.matmul, [a, b])
    compare_with_torch(torch, operator.matmul, operator.matmul, [a, b], requires=[True, False])
    compare_with_torch(torch, operator.matmul, operator.matmul, [a, b], requires=[False, True])


@pytest.mark.parametrize("side", ["left", "right"])
def test_matmul_with_a_numpy_array_or_list_on_either_side(torch, side):
    w = rand((4, 3), seed=42)
    x = rand((2, 4), seed=43)
    if side == "right":
        compare_with_torch(torch, lambda t: t @ w, lambda t: t @ as_torch(torch, w), [x])
        compare_with_torch(torch, lambda t: t @ w.tolist(), lambda t: t @ as_torch(torch, w), [x])
    else:
        compare_with_torch(torch, lambda t: x @ t, lambda t: as_torch(torch, x) @ t, [w])
        compare_with_torch(torch, lambda t: x.tolist() @ t, lambda t: as_torch(torch, x) @ t, [w])


def every_op(torch_mode, x, W, b, y):
    """One graph that uses every op, each input several times (fan-out accumulates).
    x (3, 4), W (4, 5), b (5,), y (3, 5) positive."""
    if torch_mode:
        import torch

        F = torch.nn.functional
        cat, stk = (lambda ts, axis: torch.cat(ts, dim=axis)), (lambda ts, axis: torch.stack(ts, dim=axis))
        amax = lambda t, axis: torch.amax(t, dim=axis)  # noqa: E731
        lse = lambda t, axis: torch.logsumexp(t, dim=axis)  # noqa: E731
        sm, lsm = (lambda t, axis: t.softmax(dim=axis)), (lambda t, axis: t.log_softmax(dim=axis))
        acts = [
            F.leaky_relu(x, 0.1), F.elu(x), F.gelu(x), F.gelu(x, approximate="tanh"), F.silu(x),
            F.softplus(x), torch.erf(x), x.relu(), x.abs(), x.tanh(), x.sigmoid(),
        ]
        perm = lambda t: t.permute(1, 0)  # noqa: E731
    else:
        cat, stk = autodiff.concatenate, autodiff.stack
        amax = lambda t, axis: t.max(axis=axis)  # noqa: E731
        lse = lambda t, axis: t.logsumexp(axis=axis)  # noqa: E731
        sm, lsm = (lambda t, axis: t.softmax(axis=axis)), (lambda t, axis: t.log_softmax(axis=axis))
        acts = [
            x.leaky_relu(0.1), x.elu(), x.gelu(), x.gelu(approximate="tanh"), x.silu(),
            x.softplus(), x.erf(), x.relu(), x.abs(), x.tanh(), x.sigmoid(),
        ]
        perm = lambda t: t.transpose(1, 0)  # noqa: E731
    z = x @ W + b  # (3, 5)
    total = (sm(z, 1) * y).sum() + lsm(z, 0).mean() + lse(z, 1).sum() * 0.5
    total = total + amax(z, 1).sum() - (y.log() * y.sqrt() / (1 + y**2)).sum()
    total = total + ((2 ** (z * 0.1)) * z.exp() ** 0.5).mean() + (y**z * 0.01).sum()
    for a in acts:
        total = total + (a * 0.3).sum()
    total = total + (cat([x, perm(W)[:3]], 1) ** 2).sum() * 0.1 - stk([b, -b * b], 0)[1, [0, 0, 4]].sum()
    total = total + perm(x).reshape(2, 6)[:, 1:4].sum(0).mean() + (x[x.data > 0] if not torch_mode else x[x.detach() > 0]).sum()
    return total / (1 - b[0] / 10)


def test_one_graph_of_every_op_against_torch(torch):
    arrays = [rand((3, 4), seed=50), rand((4, 5), seed=51) * 0.5, rand((5,), seed=52), rand((3, 5), "pos", seed=53)]
    out, _ = compare_with_torch(torch, lambda *ts: every_op(False, *ts), lambda *ts: every_op(True, *ts), arrays)
    assert out.shape == ()


# =========================================================================================
# 2. Properties: analytic gradients vs central differences over every element
# =========================================================================================

EPS = 1e-6


def numeric_gradients(fn, arrays, weights):
    """d/dx_i of sum(weights * fn(*arrays)) by central differences, for every element of
    every input, on copies (the inputs themselves are never written to)."""
    base = [np.array(a, dtype=np.float64) for a in arrays]

    def objective(values):
        with autodiff.no_grad():
            out = fn(*[Tensor(v) for v in values])
        return float(np.sum(weights * out.data))

    grads = []
    for i, a in enumerate(base):
        g = np.zeros(a.shape)
        for index in np.ndindex(a.shape):
            plus = [v.copy() for v in base]
            minus = [v.copy() for v in base]
            plus[i][index] += EPS
            minus[i][index] -= EPS
            g[index] = (objective(plus) - objective(minus)) / (2 * EPS)
        grads.append(g)
    return grads


def check_against_central_differences(fn, arrays, rtol=1e-5, atol=1e-6):
    """The analytic gradient of sum(w * fn(x)) (w random: every row of the Jacobian counts)
    equals central differences for every element of every input; inputs are used as given
    (possibly non-contiguous views) on the analytic side."""
    xs = [Tensor(a, requires_grad=True) for a in arrays]
    out = fn(*xs)
    weights = np.random.default_rng(out.size).uniform(-2, 2, size=out.shape)
    out.backward(weights)
    numeric = numeric_gradients(fn, arrays, weights)
    for i, (x, n) in enumerate(zip(xs, numeric)):
        assert x.grad is not None and x.grad.shape == x.shape, (i, None if x.grad is None else x.grad.shape, x.shape)
        np.testing.assert_allclose(x.grad, n, rtol=rtol, atol=atol, err_msg=f"input {i} of shape {x.shape}")


MODERATE = st.floats(-3, 3).filter(lambda v: abs(v) > 0.05)  # away from the kinks at 0
POSITIVE = st.floats(0.2, 3)
AWAY_FROM_ZERO = st.one_of(st.floats(0.4, 3), st.floats(-3, -0.4))
DISTINCT = st.integers(-600, 600).map(lambda i: i / 200)  # on a grid: ties are exact, or >= 5e-3 apart

LAYOUTS = ["contiguous", "transposed", "strided", "reversed"]


@st.composite
def arrays(draw, shape, elements=MODERATE, unique=False):
    """A float64 array of ``shape``, often a non-contiguous view (transposed, strided or
    reversed) of a bigger or differently laid-out array."""
    shape = tuple(shape)
    layout = draw(st.sampled_from(LAYOUTS))
    if layout == "transposed" and len(shape) >= 2:
        view = draw(hnp.arrays(np.float64, shape[::-1], elements=elements, unique=unique)).T
    elif layout == "strided" and len(shape) >= 1:
        view = draw(hnp.arrays(np.float64, (2 * shape[0],) + shape[1:], elements=elements, unique=unique))[::2]
    elif layout == "reversed" and len(shape) >= 1:
        view = draw(hnp.arrays(np.float64, shape, elements=elements, unique=unique))[::-1]
    else:
        view = draw(hnp.arrays(np.float64, shape, elements=elements, unique=unique))
    assert view.shape == shape
    return view


SHAPES = hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4)
NONEMPTY_SHAPES = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4)
PROPERTY = settings(max_examples=30, deadline=None)

UNARY_PROPERTIES = {
    "neg": (lambda t: -t, MODERATE),
    "exp": (lambda t: t.exp(), MODERATE),
    "log": (lambda t: t.log(), POSITIVE),
    "sqrt": (lambda t: t.sqrt(), POSITIVE),
    "abs": (lambda t: t.abs(), MODERATE),
    "tanh": (lambda t: t.tanh(), MODERATE),
    "sigmoid": (lambda t: t.sigmoid(), MODERATE),
    "relu": (lambda t: t.relu(), MODERATE),
    "leaky_relu": (lambda t: t.leaky_relu(0.1), MODERATE),
    "elu": (lambda t: t.elu(1.3), MODERATE),
    "gelu": (lambda t: t.gelu(), MODERATE),
    "gelu_tanh": (lambda t: t.gelu(approximate="tanh"), MODERATE),
    "silu": (lambda t: t.silu(), MODERATE),
    "softplus": (lambda t: t.softplus(), MODERATE),
    "softplus_beta": (lambda t: t.softplus(beta=3.0), MODERATE),
    "erf": (lambda t: t.erf(), MODERATE),
    "sin": (lambda t: t.sin(), st.floats(-7, 7)),  # more than a period
    "cos": (lambda t: t.cos(), st.floats(-7, 7)),
    "sin_of_square": (lambda t: (t * t).sin(), MODERATE),  # its vjp runs cos on an op's result
    "square": (lambda t: t**2, MODERATE),
    "pow_2.5": (lambda t: t**2.5, POSITIVE),
    "pow_-0.7": (lambda t: t**-0.7, POSITIVE),
    "rpow": (lambda t: 1.8**t, MODERATE),
    "rdiv": (lambda t: 2 / t, AWAY_FROM_ZERO),
    "rsub": (lambda t: 3 - t, MODERATE),
}


@pytest.mark.parametrize("name", sorted(UNARY_PROPERTIES))
def test_unary_property(name):
    fn, elements = UNARY_PROPERTIES[name]

    @PROPERTY
    @given(st.data())
    def check(data):
        shape = data.draw(SHAPES)
        x = data.draw(arrays(shape, elements))
        check_against_central_differences(fn, [x])

    check()


BINARY_DOMAINS = {
    "+": (MODERATE, MODERATE),
    "-": (MODERATE, MODERATE),
    "*": (MODERATE, MODERATE),
    "/": (MODERATE, AWAY_FROM_ZERO),
    "**": (POSITIVE, st.floats(-2, 2)),
}


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_property_with_random_broadcasts(name):
    op = BINARY[name]
    dom_a, dom_b = BINARY_DOMAINS[name]

    @PROPERTY
    @given(st.data())
    def check(data):
        shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3))
        a = data.draw(arrays(shapes.input_shapes[0], dom_a))
        b = data.draw(arrays(shapes.input_shapes[1], dom_b))
        check_against_central_differences(op, [a, b])

    check()


@pytest.mark.parametrize("name", ["sin", "cos"])
def test_sin_and_cos_property_with_random_broadcasts(name):
    @PROPERTY
    @given(st.data())
    def check(data):
        shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3))
        a = data.draw(arrays(shapes.input_shapes[0], st.floats(-7, 7)))
        b = data.draw(arrays(shapes.input_shapes[1], MODERATE))
        check_against_central_differences(lambda x, y: getattr(x * y, name)() * getattr(x, name)(), [a, b])

    check()


@st.composite
def axes_for(draw, ndim, allow_none=True):
    """None, an int (maybe negative) or a tuple of distinct axes (maybe negative)."""
    choices = ["int", "tuple"] + (["none"] if allow_none else [])
    kind = draw(st.sampled_from(choices)) if ndim else "none"
    if kind == "none":
        return None
    if kind == "int":
        return draw(st.integers(-ndim, ndim - 1))
    chosen = draw(st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True))
    return tuple(a - ndim if draw(st.booleans()) else a for a in chosen)


@pytest.mark.parametrize("name", ["sum", "mean", "max", "logsumexp"])
def test_reduction_property(name):
    @PROPERTY
    @given(st.data())
    def check(data):
        shape = data.draw(SHAPES)
        elements = DISTINCT if name == "max" else MODERATE
        x = data.draw(arrays(shape, elements, unique=(name == "max")))
        if name == "max":
            assert len(np.unique(x)) == x.size  # no ties: max is differentiable there
        axis = data.draw(axes_for(x.ndim))
        keepdims = data.draw(st.booleans())
        check_against_central_differences(lambda t: getattr(t, name)(axis=axis, keepdims=keepdims), [x])

    check()


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_property(name):
    @PROPERTY
    @given(st.data())
    def check(data):
        shape = data.draw(NONEMPTY_SHAPES)
        x = data.draw(arrays(shape, st.floats(-5, 5)))
        axis = data.draw(st.integers(-len(shape), len(shape) - 1))
        check_against_central_differences(lambda t: getattr(t, name)(axis=axis), [x])

    check()


def test_reshape_property():
    @PROPERTY
    @given(st.data())
    def check(data):
        shape = data.draw(SHAPES)
        x = data.draw(arrays(shape))
        size = x.size
        divisors = [d for d in range(1, size + 1) if size % d == 0]
        d = data.draw(st.sampled_from(divisors))
        target = data.draw(st.sampled_from([(d, size // d), (size // d, -1), (-1,), (1, d, size // d)]))
        check_against_central_differences(lambda t: t.reshape(target) * t.reshape(-1).sum(), [x])

    check()


def test_transpose_property():
    @PROPERTY
    @given(st.data())
    def check(data):
        shape = data.draw(NONEMPTY_SHAPES)
        x = data.draw(arrays(shape))
        perm = data.draw(st.permutations(range(len(shape))))
        # any axis may be spelled negatively, as numpy allows
        perm = tuple(a - len(shape) if data.draw(st.booleans()) else a for a in perm)
        check_against_central_differences(lambda t: t.transpose(*perm) ** 2, [x])
        check_against_central_differences(lambda t: t.T.exp(), [x])

    check()


@st.composite
def indices(draw, shape):
    """A basic, integer-array (with repeats) or boolean index into ``shape``."""
    kind = draw(st.sampled_from(["basic", "int array", "list", "bool", "mixed"]))
    n = shape[0]
    if kind == "basic":
        parts = []
        for side in shape:
            if draw(st.booleans()):
                parts.append(draw(st.integers(-side, side - 1)))
            else:
                start = draw(st.none() | st.integers(-side, side))
                stop = draw(st.none() | st.integers(-side, side))
                step = draw(st.sampled_from([None, 1, 2, -1, -2]))
                parts.append(slice(start, stop, step))
        return tuple(parts[: draw(st.integers(1, len(parts)))])
    repeated = st.lists(st.integers(-n, n - 1), min_size=1, max_size=6)
    if kind == "int array":
        return np.array(draw(repeated))
    if kind == "list":
        return draw(repeated)
    if kind == "bool":
        return draw(hnp.arrays(np.bool_, shape[: draw(st.integers(1, len(shape)))]))
    # a slice then a repeated integer array along the second axis
    if len(shape) < 2:
        return (slice(None, None, -1),)
    m = shape[1]
    return (slice(draw(st.integers(0, n - 1)), None), np.array(draw(st.lists(st.integers(-m, m - 1), min_size=1, max_size=5))))


def test_getitem_property():
    @settings(max_examples=60, deadline=None)
    @given(st.data())
    def check(data):
        shape = data.draw(NONEMPTY_SHAPES)
        x = data.draw(arrays(shape))
        index = data.draw(indices(shape))
        check_against_central_differences(lambda t: t[index] ** 2, [x])

    check()


def test_concatenate_and_stack_property():
    @PROPERTY
    @given(st.data())
    def check(data):
        shape = list(data.draw(NONEMPTY_SHAPES))
        axis = data.draw(st.integers(-len(shape), len(shape) - 1))
        count = data.draw(st.integers(1, 3))
        parts = []
        for _ in range(count):
            shape[axis] = data.draw(st.integers(1, 3))
            parts.append(data.draw(arrays(tuple(shape))))
        check_against_central_differences(lambda *ts: autodiff.concatenate(ts, axis=axis).tanh(), parts)
        same = [data.draw(arrays(parts[0].shape)) for _ in range(count)]
        new_axis = data.draw(st.integers(-len(shape) - 1, len(shape)))
        check_against_central_differences(lambda *ts: autodiff.stack(ts, axis=new_axis) ** 2, same)

    check()


@st.composite
def matmul_shapes(draw):
    n, k, m = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    batch = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=2, max_side=2))
    a_vector, b_vector = draw(st.booleans()), draw(st.booleans())
    a = (k,) if a_vector else batch.input_shapes[0] + (n, k)
    b = (k,) if b_vector else batch.input_shapes[1] + (k, m)
    return a, b


def test_matmul_property():
    @settings(max_examples=40, deadline=None)
    @given(st.data())
    def check(data):
        sa, sb = data.draw(matmul_shapes())
        a, b = data.draw(arrays(sa)), data.draw(arrays(sb))
        check_against_central_differences(operator.matmul, [a, b])

    check()


def test_gradcheck_on_a_composite_with_non_contiguous_inputs():
    base = np.random.default_rng(60).standard_normal((5, 8))
    x = Tensor(base.T[::2], requires_grad=True)  # (4, 5), neither C- nor F-contiguous
    W = Tensor(np.random.default_rng(61).standard_normal((6, 3))[::2].T, requires_grad=True)  # (3, 3)
    assert not x.data.flags.c_contiguous and not W.data.flags.c_contiguous
    b = Tensor(np.random.default_rng(62).standard_normal(3), requires_grad=True)

    def f(x, W, b):
        h = (x[:, :3] @ W + b).tanh()
        return (h.log_softmax(axis=1) * h.softmax(axis=0)).sum() + x.T.reshape(-1)[[1, 1, 7]].sum()

    assert autodiff.gradcheck(f, [x, W, b], eps=1e-6, atol=1e-7, rtol=1e-6)


# =========================================================================================
# 3. Numerical stability
# =========================================================================================

HUGE_LOGITS = np.array([[1000.0, -1000.0, 0.0], [-1000.0, -1000.0, 1000.0], [1000.0, 1000.0, 999.0], [-1000.0, -999.0, -1000.0]])


@pytest.mark.parametrize("axis", [0, 1, -1])
@pytest.mark.parametrize("name", ["softmax", "log_softmax", "logsumexp"])
def test_huge_logits_give_finite_exact_results(torch, name, axis):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out, (x,) = compare_with_torch(
            torch,
            lambda t: getattr(t, name)(axis=axis),
            lambda t: getattr(torch, name)(t, dim=axis) if name != "logsumexp" else torch.logsumexp(t, dim=axis),
            [HUGE_LOGITS],
            rtol=1e-12,
            atol=1e-12,
        )
    assert np.all(np.isfinite(out.data)) and np.all(np.isfinite(x.grad))


def test_huge_logits_known_values():
    x = Tensor(np.array([1000.0, -1000.0, 1000.0]), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = x.softmax()
        np.testing.assert_array_equal(s.data, [0.5, 0.0, 0.5])
        lse = x.logsumexp(axis=0)
        assert lse.item() == pytest.approx(1000.0 + math.log(2), rel=1e-15)
        lse.backward()
        np.testing.assert_array_equal(x.grad, [0.5, 0.0, 0.5])
        ls = Tensor(np.array([1000.0, -1000.0]), requires_grad=True).log_softmax()
        np.testing.assert_allclose(ls.data, [0.0, -2000.0], rtol=1e-15)


def test_cross_entropy_of_huge_logits_has_exact_gradient(torch):
    y = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, 1.0, 0.0]])
    compare_with_torch(
        torch,
        lambda t: -(t.log_softmax(axis=1) * y).sum(),
        lambda t: -(t.log_softmax(dim=1) * as_torch(torch, y)).sum(),
        [HUGE_LOGITS],
        rtol=1e-12,
    )


@pytest.mark.parametrize(
    "name",
    ["sigmoid", "tanh", "softplus", "silu", "elu", "gelu", "gelu_tanh", "exp_of_negative"],
)
def test_extreme_inputs_give_finite_values_and_gradients(torch, name):
    F = torch.nn.functional
    ours, theirs = {
        "sigmoid": (lambda t: t.sigmoid(), lambda t: t.sigmoid()),
        "tanh": (lambda t: t.tanh(), lambda t: t.tanh()),
        "softplus": (lambda t: t.softplus(), F.softplus),
        "silu": (lambda t: t.silu(), F.silu),
        "elu": (lambda t: t.elu(), F.elu),
        "gelu": (lambda t: t.gelu(), F.gelu),
        "gelu_tanh": (lambda t: t.gelu(approximate="tanh"), lambda t: F.gelu(t, approximate="tanh")),
        "exp_of_negative": (lambda t: (-(t * t)).exp(), lambda t: (-(t * t)).exp()),
    }[name]
    x = np.array([-1000.0, -40.0, -1.0, 0.5, 40.0, 1000.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # atol: values and gradients far below 1e-15 (e^-40, e^-1000) need not be exact
        out, (t,) = compare_with_torch(torch, ours, theirs, [x], rtol=1e-12, atol=1e-15)
    assert np.all(np.isfinite(out.data)) and np.all(np.isfinite(t.grad))


def test_sigmoid_of_plus_minus_1000():
    x = Tensor(np.array([-1000.0, 1000.0]), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = x.sigmoid()
        s.backward(np.ones(2))
    # sigma(-1000) = e^-1000 is 0 to working precision (below the smallest normal float)
    np.testing.assert_allclose(s.data, [0.0, 1.0], rtol=0, atol=np.finfo(np.float64).tiny)
    np.testing.assert_allclose(x.grad, [0.0, 0.0], rtol=0, atol=np.finfo(np.float64).tiny)
    for dtype in (np.float32, np.float64):
        y = Tensor(np.array([-1000.0, -100.0, 0.0, 100.0, 1000.0], dtype=dtype), requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            s = y.sigmoid()
            s.backward(np.ones(5, dtype=dtype))
        assert s.dtype == dtype and y.grad.dtype == dtype
        e100 = math.exp(-100)  # sigma(-100) = e^-100 / (1 + e^-100), sigma'(+-100) the same to float64
        tiny = np.finfo(dtype).tiny  # differences below the smallest normal number do not count
        np.testing.assert_allclose(s.data, [0.0, e100, 0.5, 1.0, 1.0], rtol=1e-6, atol=tiny)
        # sigma (1 - sigma) at +100 is below the resolution of 1 - sigma: as PyTorch, ~0 is fine there
        np.testing.assert_allclose(y.grad[:3], [0.0, e100, 0.25], rtol=1e-6, atol=tiny)
        np.testing.assert_allclose(y.grad[3:], [e100, 0.0], rtol=0, atol=1e-16)


# =========================================================================================
# 4. dtypes
# =========================================================================================

FLOAT32_OPS = {
    "add number": (lambda a, b: a + 1.5, 1),
    "radd number": (lambda a, b: 1.5 + a, 1),
    "sub int": (lambda a, b: a - 2, 1),
    "rsub": (lambda a, b: 3 - a, 1),
    "mul number": (lambda a, b: a * 0.1, 1),
    "rmul number": (lambda a, b: 0.1 * a, 1),
    "div number": (lambda a, b: a / 3.0, 1),
    "rdiv number": (lambda a, b: 3.0 / (a * a + 1), 1),
    "pow number": (lambda a, b: a**2, 1),
    "pow 1.5": (lambda a, b: (a * a + 1) ** 1.5, 1),
    "rpow number": (lambda a, b: 2.0**a, 1),
    "numpy float64 scalar": (lambda a, b: a * np.float64(0.5) + np.float64(1.0), 1),
    "add": (lambda a, b: a + b, 2),
    "sub": (lambda a, b: a - b, 2),
    "mul": (lambda a, b: a * b, 2),
    "div": (lambda a, b: a / (b * b + 1), 2),
    "pow": (lambda a, b: (a * a + 1) ** b, 2),
    "matmul": (lambda a, b: a @ b.T, 2),
    "neg": (lambda a, b: -a, 1),
    "exp": (lambda a, b: a.exp(), 1),
    "log": (lambda a, b: (a * a + 1).log(), 1),
    "sqrt": (lambda a, b: (a * a + 1).sqrt(), 1),
    "abs": (lambda a, b: a.abs(), 1),
    "tanh": (lambda a, b: a.tanh(), 1),
    "sigmoid": (lambda a, b: a.sigmoid(), 1),
    "relu": (lambda a, b: a.relu(), 1),
    "leaky_relu": (lambda a, b: a.leaky_relu(0.1), 1),
    "elu": (lambda a, b: a.elu(), 1),
    "gelu": (lambda a, b: a.gelu(), 1),
    "gelu_tanh": (lambda a, b: a.gelu(approximate="tanh"), 1),
    "silu": (lambda a, b: a.silu(), 1),
    "softplus": (lambda a, b: a.softplus(), 1),
    "erf": (lambda a, b: a.erf(), 1),
    "sum": (lambda a, b: a.sum(axis=0), 1),
    "mean": (lambda a, b: a.mean(axis=1, keepdims=True), 1),
    "mean all": (lambda a, b: a.mean(), 1),
    "max": (lambda a, b: a.max(axis=1), 1),
    "softmax": (lambda a, b: a.softmax(axis=0), 1),
    "log_softmax": (lambda a, b: a.log_softmax(), 1),
    "logsumexp": (lambda a, b: a.logsumexp(axis=1), 1),
    "reshape": (lambda a, b: a.reshape(-1), 1),
    "transpose": (lambda a, b: a.T, 1),
    "getitem": (lambda a, b: a[[0, 0, 2], 1:], 1),
    "mask": (lambda a, b: a[a.data > 0], 1),
    "concatenate": (lambda a, b: autodiff.concatenate([a, b], axis=1), 2),
    "stack": (lambda a, b: autodiff.stack([a, b]), 2),
}


@pytest.mark.parametrize("name", sorted(FLOAT32_OPS))
def test_float32_is_kept_through_forward_and_backward(name):
    fn, n_inputs = FLOAT32_OPS[name]
    a64, b64 = rand((3, 4), seed=70), rand((3, 4), seed=71)
    a = Tensor(a64.astype(np.float32), requires_grad=True)
    b = Tensor(b64.astype(np.float32), requires_grad=True)
    out = fn(a, b)
    assert out.dtype == np.float32, f"{name} gave {out.dtype}"
    upstream = np.random.default_rng(72).standard_normal(out.shape).astype(np.float32)
    out.backward(upstream)
    for x in (a, b)[:n_inputs]:
        assert x.grad is not None and x.grad.dtype == np.float32, f"{name}: grad dtype {getattr(x.grad, 'dtype', None)}"
    # the same op in float64 (from the same float32 numbers) agrees to float32 precision
    a2 = Tensor(a.data.astype(np.float64), requires_grad=True)
    b2 = Tensor(b.data.astype(np.float64), requires_grad=True)
    out64 = fn(a2, b2)
    out64.backward(upstream.astype(np.float64))
    np.testing.assert_allclose(out.data, out64.data, rtol=2e-5, atol=2e-6)
    for x, x64 in list(zip((a, b), (a2, b2)))[:n_inputs]:
        np.testing.assert_allclose(x.grad, x64.grad, rtol=2e-5, atol=2e-5)


def test_float32_with_a_float64_array_gives_each_grad_its_own_dtype(torch):
    a = Tensor(np.ones((2, 3), dtype=np.float32), requires_grad=True)
    b = Tensor(np.full((2, 3), 2.0), requires_grad=True)
    out = a * b  # as numpy and PyTorch: float32 with float64 gives float64
    assert out.dtype == np.float64
    out.sum().backward()
    assert a.grad.dtype == np.float32 and b.grad.dtype == np.float64
    ta = torch.ones((2, 3), dtype=torch.float32, requires_grad=True)
    tb = torch.full((2, 3), 2.0, dtype=torch.float64, requires_grad=True)
    (ta * tb).sum().backward()
    assert str(ta.grad.dtype) == "torch.float32"


def test_float32_grad_with_create_graph_keeps_the_dtype():
    x = Tensor(np.array([0.5, 1.5, 2.0], dtype=np.float32), requires_grad=True)
    (g,) = autodiff.grad((x * x).tanh().sum(), [x], create_graph=True)
    assert g.dtype == np.float32
    (h,) = autodiff.grad(g.sum(), [x])
    assert h.dtype == np.float32
    # mixed with float64 numbers, the gradient is still in x's dtype (as in PyTorch)
    y = (x * np.array([1.0, 2.0, 3.0])).sum()
    (g,) = autodiff.grad(y, [x], create_graph=True)
    assert g.dtype == np.float32


def test_float64_by_default_and_ints_become_float64():
    assert Tensor(1.5).dtype == np.float64
    assert Tensor([1.0, 2.0]).dtype == np.float64
    assert Tensor([1, 2, 3]).dtype == np.float64
    assert Tensor(np.arange(3, dtype=np.int32)).dtype == np.float64
    assert Tensor(np.arange(3, dtype=np.uint8)).dtype == np.float64
    assert Tensor(7).dtype == np.float64
    assert Tensor([True, False]).dtype == np.float64
    np.testing.assert_array_equal(Tensor([1, 2, 3]).data, [1.0, 2.0, 3.0])
    x = Tensor([1, 2, 3], requires_grad=True)
    (x * x).sum().backward()
    assert x.grad.dtype == np.float64
    np.testing.assert_array_equal(x.grad, [2.0, 4.0, 6.0])
    # an int array on the other side of an op does not change a float32 tensor's grad dtype
    y = Tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    (y * 2).sum().backward()
    assert y.grad.dtype == np.float32


# =========================================================================================
# 5. Second derivatives: Hessian-vector products against PyTorch's double backward
# =========================================================================================


def hvp_ours(fn, arrays, vectors):
    xs = [Tensor(a, requires_grad=True) for a in arrays]
    f = fn(*xs)
    gs = autodiff.grad(f, xs, create_graph=True)
    assert all(isinstance(g, Tensor) for g in gs)
    total = None
    for g, v in zip(gs, vectors):
        term = (g * Tensor(v)).sum()
        total = term if total is None else total + term
    hv = autodiff.grad(total, xs)
    assert all(x.grad is None for x in xs), "autodiff.grad must leave .grad untouched"
    return f, gs, hv


def hvp_torch(torch, fn, arrays, vectors):
    ts = [as_torch(torch, a, True) for a in arrays]
    f = fn(*ts)
    gs = torch.autograd.grad(f, ts, create_graph=True)
    total = sum((g * torch.tensor(v)).sum() for g, v in zip(gs, vectors))
    hv = torch.autograd.grad(total, ts, allow_unused=True)
    hv = [np.zeros(a.shape) if h is None else h.numpy() for h, a in zip(hv, arrays)]
    return f, gs, hv


HVP_CASES = {
    # name: (ours, theirs, input arrays)
    "matmul": (
        lambda x, W: ((x @ W) ** 2).sum(),
        lambda x, W: ((x @ W) ** 2).sum(),
        [rand((3, 4), seed=80), rand((4, 2), seed=81)],
    ),
    "matmul tanh": (
        lambda x, W: (x @ W).tanh().sum(),
        lambda x, W: (x @ W).tanh().sum(),
        [rand((3, 4), seed=82), rand((4, 2), seed=83)],
    ),
    "batched matmul and vectors": (
        lambda x, W, v: ((x @ W @ v).sigmoid() * (v @ v)).sum(),
        lambda x, W, v: ((x @ W @ v).sigmoid() * (v @ v)).sum(),
        [rand((2, 3, 4), seed=84), rand((2, 4, 5), seed=85), rand((5,), seed=86)],
    ),
    "tanh": (lambda x: (x.tanh() * x).sum(), lambda x: (x.tanh() * x).sum(), [rand((2, 3), seed=87)]),
    "sigmoid": (lambda x: x.sigmoid().sum(), lambda x: x.sigmoid().sum(), [rand((2, 3), seed=88)]),
    "softmax": (
        lambda x, c: (x.softmax(axis=0) * c).sum(),
        lambda x, c: (x.softmax(dim=0) * c).sum(),
        [rand((3, 4), seed=89), rand((3, 4), seed=90)],
    ),
    "log_softmax": (
        lambda x, c: (x.log_softmax(axis=1) * c).sum(),
        lambda x, c: (x.log_softmax(dim=1) * c).sum(),
        [rand((3, 4), seed=91), rand((3, 4), seed=92)],
    ),
    "logsumexp": (
        lambda x: (x.logsumexp(axis=1) ** 2).sum() + x.logsumexp(),
        lambda x: (x.logsumexp(dim=1) ** 2).sum() + x.logsumexp(dim=(0, 1)),
        [rand((3, 4), seed=93)],
    ),
    "getitem repeated": (
        lambda x: (x[[0, 0, 2, 0]] ** 3).sum() + (x[1:, ::2].exp()).sum(),
        lambda x: (x[[0, 0, 2, 0]] ** 3).sum() + (x[1:, ::2].exp()).sum(),
        [rand((3, 4), seed=94)],
    ),
    "getitem mask and int list": (
        lambda x: (x[np.array([True, False, True])] ** 3).sum() + (x[np.array([1, 1])] ** 2).sum(),
        lambda x: (x[np.array([True, False, True])] ** 3).sum() + (x[[1, 1]] ** 2).sum(),
        [rand((3, 4), seed=95)],
    ),
    "sum mean broadcasting": (
        lambda x, b: ((x + b).mean(axis=0) ** 2).sum() + ((x * b).sum(axis=1, keepdims=True) ** 3).mean(),
        lambda x, b: ((x + b).mean(dim=0) ** 2).sum() + ((x * b).sum(dim=1, keepdim=True) ** 3).mean(),
        [rand((3, 4), seed=96), rand((4,), seed=97)],
    ),
    "scalar broadcast": (
        lambda x, s: ((x * s).tanh() + s**2 / x).sum(),
        lambda x, s: ((x * s).tanh() + s**2 / x).sum(),
        [rand((2, 3), "pos", seed=98), np.array(0.7)],
    ),
    "pow": (
        lambda x, y: (x**3).sum() + (x**y).sum() + (2**y).sum() + (x**-0.5).sum(),
        lambda x, y: (x**3).sum() + (x**y).sum() + (2**y).sum() + (x**-0.5).sum(),
        [rand((2, 3), "pos", seed=99), rand((3,), seed=100)],
    ),
    "gelu": (lambda x: x.gelu().sum(), lambda x: torch_F().gelu(x).sum(), [rand((2, 3), seed=101)]),
    "gelu_tanh": (
        lambda x: x.gelu(approximate="tanh").sum(),
        lambda x: torch_F().gelu(x, approximate="tanh").sum(),
        [rand((2, 3), seed=102)],
    ),
    "elu silu softplus": (
        lambda x: (x.elu(1.5) + x.silu() + x.softplus(beta=2.0)).sum(),
        lambda x: (torch_F().elu(x, 1.5) + torch_F().silu(x) + torch_F().softplus(x, beta=2.0)).sum(),
        [rand((2, 3), seed=103)],
    ),
    "exp log sqrt div erf": (
        lambda x, y: (x.exp() * y.log() + y.sqrt() / x + x.erf() * y).sum(),
        lambda x, y: (x.exp() * y.log() + y.sqrt() / x + x.erf() * y).sum(),
        [rand((2, 3), seed=104), rand((2, 3), "pos", seed=105)],
    ),
    "shape ops": (
        lambda x, y: (autodiff.concatenate([x.T, y], axis=0).reshape(-1) ** 3).sum()
        + (autodiff.stack([x, x * y.T]).transpose(2, 0, 1) ** 2).max(),
        lambda x, y: (torch_cat([x.T, y], 0).reshape(-1) ** 3).sum()
        + (torch_stack([x, x * y.T]).permute(2, 0, 1) ** 2).max(),
        [rand((2, 3), seed=106), rand((3, 2), seed=107)],
    ),
    "max abs relu": (
        lambda x: (x.max(axis=1) ** 2).sum() + (x.abs() ** 3).sum() + (x.relu() ** 2).sum(),
        lambda x: (torch_amax(x, 1) ** 2).sum() + (x.abs() ** 3).sum() + (x.relu() ** 2).sum(),
        [rand((3, 4), seed=108)],
    ),
}


def torch_F():
    import torch

    return torch.nn.functional


def torch_cat(ts, axis):
    import torch

    return torch.cat(ts, dim=axis)


def torch_stack(ts):
    import torch

    return torch.stack(ts)


def torch_amax(t, axis):
    import torch

    return torch.amax(t, dim=axis)


@pytest.mark.parametrize("name", sorted(HVP_CASES))
def test_hessian_vector_product_against_torch(torch, name):
    ours, theirs, arrays = HVP_CASES[name]
    vectors = [np.random.default_rng(110 + i).standard_normal(a.shape) for i, a in enumerate(arrays)]
    f, gs, hv = hvp_ours(ours, arrays, vectors)
    tf, tgs, thv = hvp_torch(torch, theirs, arrays, vectors)
    np.testing.assert_allclose(f.data, tf.detach().numpy(), rtol=RTOL, atol=ATOL)
    for i, (g, tg) in enumerate(zip(gs, tgs)):
        assert g.shape == arrays[i].shape
        np.testing.assert_allclose(g.data, tg.detach().numpy(), rtol=RTOL, atol=ATOL, err_msg=f"gradient {i}")
    for i, (h, th) in enumerate(zip(hv, thv)):
        assert isinstance(h, Tensor) and h.shape == arrays[i].shape
        np.testing.assert_allclose(h.data, th, rtol=1e-9, atol=1e-11, err_msg=f"Hessian-vector product {i}")


def test_second_derivative_of_sigmoid_matches_the_homework_formula():
    t = np.linspace(-4, 4, 9)
    x = Tensor(t, requires_grad=True)
    (d1,) = autodiff.grad(x.sigmoid().sum(), [x], create_graph=True)
    (d2,) = autodiff.grad(d1.sum(), [x])  # elementwise: the diagonal of the Hessian
    s = 1 / (1 + np.exp(-t))
    np.testing.assert_allclose(d1.data, s * (1 - s), rtol=1e-13)
    np.testing.assert_allclose(d2.data, s * (1 - s) * (1 - 2 * s), rtol=1e-10, atol=1e-15)


def test_jacobian_of_log_softmax_is_delta_minus_softmax():
    t = np.array([0.3, -1.2, 2.0, 0.5])
    s = np.exp(t) / np.exp(t).sum()
    for i in range(4):
        x = Tensor(t, requires_grad=True)
        (row,) = autodiff.grad(x.log_softmax()[i], [x])
        np.testing.assert_allclose(row.data, np.eye(4)[i] - s, rtol=1e-13, atol=1e-15)


def test_full_hessian_of_a_small_net_against_torch(torch):
    """Every column of the Hessian of a tiny two-layer net, w.r.t. the first weight matrix."""
    X, W1, W2 = rand((5, 3), seed=120), rand((3, 4), seed=121) * 0.5, rand((4, 2), seed=122)
    y = np.array([0, 1, 1, 0, 1])

    def ours(W):
        return -((X @ W).tanh() @ W2).log_softmax(axis=1)[np.arange(5), y].mean()

    def theirs(W):
        return torch.nn.functional.cross_entropy(
            (as_torch(torch, X) @ W).tanh() @ as_torch(torch, W2), torch.tensor(y)
        )

    W = Tensor(W1, requires_grad=True)
    (g,) = autodiff.grad(ours(W), [W], create_graph=True)
    tw = as_torch(torch, W1, True)
    (tg,) = torch.autograd.grad(theirs(tw), [tw], create_graph=True)
    np.testing.assert_allclose(g.data, tg.detach().numpy(), rtol=RTOL, atol=ATOL)
    for index in np.ndindex(W1.shape):
        (column,) = autodiff.grad(g[index], [W])
        (tcolumn,) = torch.autograd.grad(tg[index], [tw], retain_graph=True)
        np.testing.assert_allclose(column.data, tcolumn.numpy(), rtol=1e-9, atol=1e-12, err_msg=str(index))
