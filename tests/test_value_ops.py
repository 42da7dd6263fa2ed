"""Every Value op: analytic gradient vs central differences (hypothesis), and PyTorch as oracle."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autodiff
from autodiff import Value

H = 1e-6


def central_difference(f, x: float) -> float:
    return (f(x + H) - f(x - H)) / (2 * H)


def close(analytic: float, numeric: float) -> bool:
    return abs(analytic - numeric) <= 1e-5 + 1e-4 * abs(numeric)


def phi(x):  # standard normal CDF
    return 0.5 * (1 + math.erf(x / math.sqrt(2)))


# name -> (Value function, float reference, input strategy away from kinks and domain edges)
moderate = st.floats(-4, 4).filter(lambda v: abs(v) > 1e-3)
positive = st.floats(0.05, 5)
UNARY = {
    "neg": (lambda v: -v, lambda t: -t, moderate),
    "exp": (lambda v: v.exp(), math.exp, moderate),
    "log": (lambda v: v.log(), math.log, positive),
    "sqrt": (lambda v: v.sqrt(), math.sqrt, positive),
    "abs": (lambda v: v.abs(), abs, moderate),
    "tanh": (lambda v: v.tanh(), math.tanh, moderate),
    "sigmoid": (lambda v: v.sigmoid(), lambda t: 1 / (1 + math.exp(-t)), moderate),
    "relu": (lambda v: v.relu(), lambda t: max(0.0, t), moderate),
    "leaky_relu": (lambda v: v.leaky_relu(0.1), lambda t: t if t > 0 else 0.1 * t, moderate),
    "elu": (lambda v: v.elu(1.5), lambda t: t if t > 0 else 1.5 * math.expm1(t), moderate),
    "gelu": (lambda v: v.gelu(), lambda t: t * phi(t), moderate),
    "gelu_tanh": (
        lambda v: v.gelu("tanh"),
        lambda t: 0.5 * t * (1 + math.tanh(math.sqrt(2 / math.pi) * (t + 0.044715 * t**3))),
        moderate,
    ),
    "silu": (lambda v: v.silu(), lambda t: t / (1 + math.exp(-t)), moderate),
    "softplus": (lambda v: v.softplus(), lambda t: math.log1p(math.exp(t)), moderate),
    "sin": (lambda v: v.sin(), math.sin, moderate),
    "cos": (lambda v: v.cos(), math.cos, moderate),
    "erf": (lambda v: v.erf(), math.erf, moderate),
    "square": (lambda v: v**2, lambda t: t**2, moderate),
    "pow_1.5": (lambda v: v**1.5, lambda t: t**1.5, positive),
    "pow_-2": (lambda v: v**-2, lambda t: t**-2, positive),
    "two_pow": (lambda v: 2**v, lambda t: 2**t, moderate),
    "rsub": (lambda v: 3 - v, lambda t: 3 - t, moderate),
    "rdiv": (lambda v: 2 / v, lambda t: 2 / t, st.floats(0.2, 5)),
    "radd": (lambda v: 1.5 + v, lambda t: 1.5 + t, moderate),
    "rmul": (lambda v: -2.5 * v, lambda t: -2.5 * t, moderate),
}


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_gradient_matches_central_difference(name):
    f, reference, inputs = UNARY[name]

    @settings(max_examples=40, deadline=None)
    @given(inputs)
    def check(t):
        x = Value(t)
        out = f(x)
        assert out.data == pytest.approx(reference(t), rel=1e-12, abs=1e-12)
        out.backward()
        numeric = central_difference(reference, t)
        assert close(x.grad, numeric), (name, t, x.grad, numeric)

    check()


BINARY = {
    "+": (lambda a, b: a + b, positive),
    "-": (lambda a, b: a - b, positive),
    "*": (lambda a, b: a * b, moderate),
    "/": (lambda a, b: a / b, st.floats(0.2, 5)),
    "**": (lambda a, b: a**b, st.floats(0.2, 3)),
}


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_gradients_match_central_differences(name):
    f, inputs = BINARY[name]

    @settings(max_examples=40, deadline=None)
    @given(inputs, inputs)
    def check(s, t):
        a, b = Value(s), Value(t)
        out = f(a, b)
        out.backward()
        assert out.data == pytest.approx(f(s, t), rel=1e-12)
        assert close(a.grad, central_difference(lambda u: f(u, t), s))
        assert close(b.grad, central_difference(lambda u: f(s, u), t))
        # a number on either side gives the same gradient for the Value side
        a2 = Value(s)
        f(a2, t).backward()
        assert a2.grad == pytest.approx(a.grad, rel=1e-12)
        b2 = Value(t)
        f(s, b2).backward()
        assert b2.grad == pytest.approx(b.grad, rel=1e-12)

    check()


def test_gradcheck_on_a_composite_expression():
    assert autodiff.gradcheck(
        lambda a, b, c: (a * b + c).tanh() * (a / c).exp() - (b**2 + 1).log() + a.gelu() * c.silu(),
        [Value(0.3), Value(-1.1), Value(0.8)],
    )


def every_op(x, y, z):
    """One expression that uses every Value op (x, y, z > 0 where needed)."""
    terms = [
        x + y, 2 + x, x - z, 1 - y, x * y, 3 * z, x / z, 2 / y, x**y, 2**z, z**3, -x,
        x.exp(), y.log(), z.sqrt(), (x - y).abs(), x.tanh(), y.sigmoid(), (x - 1).relu(),
        (x - y).leaky_relu(0.1), (z - y).elu(0.7), x.gelu(), (x - y).gelu("tanh"),
        y.silu(), (x - z).softplus(), z.sin(), x.cos(),
    ]
    total = terms[0]
    for t in terms[1:]:
        total = total + t * 0.5
    return total


def test_every_op_against_pytorch():
    torch = pytest.importorskip("torch", reason="PyTorch (the oracle) is not installed: pip install torch==2.13.0")
    values = (0.6, 1.3, 0.9)
    xs = [Value(v) for v in values]
    out = every_op(*xs)
    out.backward()

    ts = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in values]
    F = torch.nn.functional

    def torch_every_op(x, y, z):
        terms = [
            x + y, 2 + x, x - z, 1 - y, x * y, 3 * z, x / z, 2 / y, x**y, 2**z, z**3, -x,
            x.exp(), y.log(), z.sqrt(), (x - y).abs(), x.tanh(), y.sigmoid(), (x - 1).relu(),
            F.leaky_relu(x - y, 0.1), F.elu(z - y, 0.7), F.gelu(x), F.gelu(x - y, approximate="tanh"),
            F.silu(y), F.softplus(x - z), z.sin(), x.cos(),
        ]
        total = terms[0]
        for t in terms[1:]:
            total = total + t * 0.5
        return total

    expected = torch_every_op(*ts)
    expected.backward()
    assert out.data == pytest.approx(expected.item(), rel=1e-12)
    for v, t in zip(xs, ts):
        assert v.grad == pytest.approx(t.grad.item(), rel=1e-10)


@pytest.mark.parametrize("op", ["tanh", "sigmoid", "gelu", "softplus", "sin", "pow", "silu", "elu"])
def test_second_derivatives_against_pytorch(op):
    torch = pytest.importorskip("torch", reason="PyTorch (the oracle) is not installed: pip install torch==2.13.0")
    F = torch.nn.functional
    ours = {
        "tanh": lambda v: v.tanh(), "sigmoid": lambda v: v.sigmoid(), "gelu": lambda v: v.gelu(),
        "softplus": lambda v: v.softplus(), "sin": lambda v: v.sin(), "pow": lambda v: v**3.5,
        "silu": lambda v: v.silu(), "elu": lambda v: v.elu(),
    }[op]
    theirs = {
        "tanh": torch.tanh, "sigmoid": torch.sigmoid, "gelu": F.gelu, "softplus": F.softplus,
        "sin": torch.sin, "pow": lambda t: t**3.5, "silu": F.silu, "elu": F.elu,
    }[op]
    for t0 in (-0.7, 0.4, 1.9):
        if op == "pow" and t0 < 0:
            continue
        x = Value(t0)
        (d1,) = autodiff.grad(ours(x), [x], create_graph=True)
        (d2,) = autodiff.grad(d1, [x])
        t = torch.tensor(t0, dtype=torch.float64, requires_grad=True)
        (g1,) = torch.autograd.grad(theirs(t), [t], create_graph=True)
        (g2,) = torch.autograd.grad(g1, [t])
        assert d1.data == pytest.approx(g1.item(), rel=1e-10)
        assert d2.data == pytest.approx(g2.item(), rel=1e-9, abs=1e-12)


def test_a_derivative_rule_that_fails_with_create_graph_names_the_op_and_the_node():
    # x ln x - x, whose derivative ln x a rule of one's own writes with autodiff's log: at
    # x = 0 the forward is 0, but the derivative's graph needs log(0), which the log op
    # refuses; the error says which op's rule failed, at which node, and why
    from autodiff.scalar import log

    xlogx = autodiff.Op("xlogx", forward=lambda a: a * math.log(a) - a if a > 0 else 0.0, local=lambda a, out: (log(a),))
    x = Value(0.0, "x")
    y = xlogx(x)
    y.label = "y"
    with pytest.raises(ValueError) as caught:
        autodiff.grad(y, [x], create_graph=True)
    message = str(caught.value)
    assert message.startswith("xlogx('x'=0.0) (the node 'y'): its derivative rule failed while building")
    assert "create_graph=True" in message and "log('x'=0.0): log needs a positive input" in message
    # at a point where the rule works, the same op gives ln x and its derivative 1/x
    x = Value(2.0)
    (d1,) = autodiff.grad(xlogx(x), [x], create_graph=True)
    (d2,) = autodiff.grad(d1, [x])
    assert (d1.data, d2.data) == (math.log(2.0), 0.5)
