"""The scalar engine: a ``Value`` is one number in a computation graph.

Every primitive operation is an :class:`Op`: a name, a forward rule on floats and a
local-derivative rule, side by side. The local rule ``local(*inputs, out)`` returns
d(out)/d(input) for each input. It is written with ordinary arithmetic and the
functions at the top of this file, which work on floats and on Values alike: the
engine calls it on floats for a plain backward pass, and on the Values themselves
when ``create_graph=True``, which builds the derivative's own graph (that is all
higher-order derivatives need).

A Value keeps only its data, gradient, parents and op: no closure, hence no
reference cycle, so a graph is freed by reference counting the moment it is dropped.
"""

from __future__ import annotations

import functools
import math
import numbers
import operator
from typing import Any, Callable

import numpy as np

from . import context, engine

# ---------------------------------------------------------------------------
# Functions on floats and Values alike (the vocabulary of the derivative rules)
# ---------------------------------------------------------------------------


def _exp(x: float) -> float:
    """math.exp, but overflow gives inf (IEEE) instead of raising."""
    try:
        return math.exp(x)
    except OverflowError:
        return math.inf


def _sigmoid(x: float) -> float:
    """1 / (1 + e^-x), computed without overflow for large |x|."""
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = _exp(x)
    return z / (1.0 + z)


def _sin(x: float) -> float:
    return math.sin(x) if math.isfinite(x) else math.nan


def _cos(x: float) -> float:
    return math.cos(x) if math.isfinite(x) else math.nan


def _pow(a: float, b: float) -> float:
    """a ** b, with overflow giving +-inf (IEEE) instead of raising."""
    try:
        return a**b
    except OverflowError:
        with np.errstate(over="ignore"):
            return float(np.float64(a) ** b)


def _data(x: Any) -> float:
    return x.data if isinstance(x, Value) else x


def exp(x: Any) -> Any:
    """e^x of a float or a Value."""
    return x.exp() if isinstance(x, Value) else _exp(x)


def log(x: Any) -> Any:
    """Natural log of a float or a Value."""
    return x.log() if isinstance(x, Value) else math.log(x)


def tanh(x: Any) -> Any:
    return x.tanh() if isinstance(x, Value) else math.tanh(x)


def sigmoid(x: Any) -> Any:
    return x.sigmoid() if isinstance(x, Value) else _sigmoid(x)


def erf(x: Any) -> Any:
    return x.erf() if isinstance(x, Value) else math.erf(x)


def sin(x: Any) -> Any:
    return x.sin() if isinstance(x, Value) else _sin(x)


def cos(x: Any) -> Any:
    return x.cos() if isinstance(x, Value) else _cos(x)


def _sign(x: Any) -> float:
    """sign(x) as a constant: -1.0, 0.0 or 1.0 (its own derivative is 0 almost everywhere)."""
    x = _data(x)
    return 1.0 if x > 0 else -1.0 if x < 0 else 0.0 * x  # 0.0 * nan keeps nan


# ---------------------------------------------------------------------------
# Primitive operations: forward rule and local derivative, side by side
# ---------------------------------------------------------------------------


class Op:
    """A primitive operation on Values.

    ``forward(*floats) -> float``; ``local(*inputs, out) -> tuple`` of d(out)/d(input);
    ``check(*floats)`` names a domain error (None when the inputs are fine): a message
    for an ``error`` exception, or an exception whose type and message are used.
    """

    __slots__ = ("name", "forward", "local", "check", "error")

    def __init__(
        self,
        name: str,
        forward: Callable[..., float],
        local: Callable[..., tuple],
        check: Callable[..., "str | Exception | None"] | None = None,
        error: type[Exception] = ValueError,
    ) -> None:
        self.name = name
        self.forward = forward
        self.local = local
        self.check = check
        self.error = error

    def __repr__(self) -> str:
        return f"Op({self.name!r})"


SQRT_2 = math.sqrt(2.0)
SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)

# a + b:  d/da = 1, d/db = 1
ADD = Op("+", operator.add, lambda a, b, out: (1.0, 1.0))
# a - b:  d/da = 1, d/db = -1  (its own rule, so the graph shows one "-" node)
SUB = Op("-", operator.sub, lambda a, b, out: (1.0, -1.0))
# a * b:  d/da = b, d/db = a
MUL = Op("*", operator.mul, lambda a, b, out: (b, a))
# a / b:  d/da = 1/b, d/db = -a/b^2 = -out/b  (its own rule, so the graph shows one "/" node)
DIV = Op(
    "/",
    operator.truediv,
    lambda a, b, out: (1 / b, -out / b),
    check=lambda a, b: "division by zero" if b == 0 else None,
    error=ZeroDivisionError,
)
# -a:  d/da = -1
NEG = Op("neg", operator.neg, lambda a, out: (-1.0,))


def _pow_check(a: float, b: float) -> str | Exception | None:
    if a == 0 and b < 0:
        return ZeroDivisionError(f"0 raised to a negative power ({b!r}) is a division by zero")
    if a < 0 and math.isfinite(b) and b != int(b):
        return f"a negative base raised to a non-integer power ({b!r}) is not a real number"
    return None


def _pow_local(a: Any, b: Any, out: Any) -> tuple:
    """d(a^b)/da = b a^(b-1);  d(a^b)/db = a^b ln a (0 where a = 0, nan where a < 0)."""
    base = _data(a)
    d_exponent = out * log(a) if base > 0 else (0.0 if base == 0 else math.nan)
    return b * a ** (b - 1), d_exponent


# a ** b, both Values (also ``2 ** x``)
POW = Op("**", _pow, _pow_local, check=_pow_check, error=ValueError)


@functools.lru_cache(maxsize=None)
def _pow_const(c: float) -> Op:
    """a ** c for a constant exponent c:  d/da = c a^(c-1)."""

    def check(a: float) -> str | None:
        return _pow_check(a, c)

    return Op(f"**{c:g}", lambda a: _pow(a, c), lambda a, out: (c * a ** (c - 1),), check, ValueError)


# e^a:  d/da = e^a = out
EXP = Op("exp", _exp, lambda a, out: (out,))
# ln a:  d/da = 1/a
LOG = Op(
    "log",
    math.log,
    lambda a, out: (1 / a,),
    check=lambda a: "log needs a positive input" if a <= 0 else None,
)
# sqrt(a):  d/da = 1 / (2 sqrt(a)) = 0.5 / out  (inf at 0, as in IEEE arithmetic)
SQRT = Op(
    "sqrt",
    math.sqrt,
    lambda a, out: (0.5 / out,),
    check=lambda a: "sqrt needs a non-negative input" if a < 0 else None,
)
# |a|:  d/da = sign(a)  (0 at a = 0, as PyTorch)
ABS = Op("abs", abs, lambda a, out: (_sign(a),))
# tanh a:  d/da = 1 - tanh^2 a = 1 - out^2
TANH = Op("tanh", math.tanh, lambda a, out: (1 - out * out,))
# sigma(a) = 1 / (1 + e^-a):  d/da = sigma(a)(1 - sigma(a)) = out (1 - out)
SIGMOID = Op("sigmoid", _sigmoid, lambda a, out: (out * (1 - out),))
# max(0, a):  d/da = 1 if a > 0 else 0
RELU = Op("relu", lambda a: 0.0 if a <= 0 else a, lambda a, out: (1.0 if _data(a) > 0 else 0.0,))
# sin a:  d/da = cos a
SIN = Op("sin", _sin, lambda a, out: (cos(a),))
# cos a:  d/da = -sin a
COS = Op("cos", _cos, lambda a, out: (-sin(a),))
# erf a = 2/sqrt(pi) * integral_0^a e^(-t^2) dt:  d/da = 2/sqrt(pi) e^(-a^2)
ERF = Op("erf", math.erf, lambda a, out: (TWO_OVER_SQRT_PI * exp(-(a * a)),))
# SiLU a sigma(a):  d/da = sigma(a) (1 + a (1 - sigma(a)))
SILU = Op("silu", lambda a: a * _sigmoid(a), lambda a, out: (_silu_local(a),))


def _silu_local(a: Any) -> Any:
    s = sigmoid(a)
    return s * (1 + a * (1 - s))


@functools.lru_cache(maxsize=None)
def _leaky_relu(negative_slope: float) -> Op:
    """max(a, s a) for slope s:  d/da = 1 if a > 0 else s."""
    s = negative_slope
    return Op("leaky_relu", lambda a: a if a > 0 else s * a, lambda a, out: (1.0 if _data(a) > 0 else s,))


@functools.lru_cache(maxsize=None)
def _elu(alpha: float) -> Op:
    """a if a > 0 else alpha (e^a - 1):  d/da = 1 if a > 0 else alpha e^a = out + alpha."""
    return Op(
        "elu",
        lambda a: a if a > 0 else alpha * math.expm1(a),
        lambda a, out: (1.0 if _data(a) > 0 else out + alpha,),
    )


# GELU, exact: a Phi(a), Phi the standard normal CDF = (1 + erf(a / sqrt 2)) / 2:
#   d/da = Phi(a) + a phi(a), phi(a) = e^(-a^2/2) / sqrt(2 pi)
GELU = Op(
    "gelu",
    lambda a: 0.5 * a * (1.0 + math.erf(a / SQRT_2)),
    lambda a, out: (0.5 * (1 + erf(a / SQRT_2)) + a * INV_SQRT_2PI * exp(-0.5 * (a * a)),),
)


def _gelu_tanh_forward(a: float) -> float:
    return 0.5 * a * (1.0 + math.tanh(SQRT_2_OVER_PI * (a + 0.044715 * a * a * a)))


def _gelu_tanh_local(a: Any, out: Any) -> tuple:
    # u = k (a + 0.044715 a^3), t = tanh u:  d/da = (1 + t)/2 + a/2 (1 - t^2) k (1 + 3 * 0.044715 a^2)
    t = tanh(SQRT_2_OVER_PI * (a + 0.044715 * (a * a * a)))
    return (0.5 * (1 + t) + 0.5 * a * (1 - t * t) * SQRT_2_OVER_PI * (1 + 0.134145 * (a * a)),)


# GELU, tanh approximation: a/2 (1 + tanh(sqrt(2/pi) (a + 0.044715 a^3)))
GELU_TANH = Op("gelu", _gelu_tanh_forward, _gelu_tanh_local)


@functools.lru_cache(maxsize=None)
def _softplus(beta: float, threshold: float) -> Op:
    """log(1 + e^(beta a)) / beta, linear once beta a > threshold (as PyTorch):
    d/da = sigma(beta a), or 1 in the linear part."""

    def forward(a: float) -> float:
        z = beta * a
        if z > threshold:
            return a
        return (max(z, 0.0) + math.log1p(math.exp(-abs(z)))) / beta

    def local(a: Any, out: Any) -> tuple:
        return (1.0 if beta * _data(a) > threshold else sigmoid(beta * a),)

    return Op("softplus", forward, local)


# ---------------------------------------------------------------------------
# The node
# ---------------------------------------------------------------------------


def _check_number(data: Any, what: str) -> float:
    if data.__class__ is float:  # the common case, without the slower ABC check
        return data
    if isinstance(data, numbers.Real):
        return float(data)
    raise TypeError(
        f"{what} needs a real number (int or float), got {type(data).__name__}: {data!r}"
        + ("; use .data to read a Value's number" if isinstance(data, Value) else "")
    )


def _lift(other: Any) -> "Value | None":
    """A number becomes a constant leaf Value; anything else is not ours (None)."""
    if isinstance(other, Value):
        return other
    if other.__class__ is float or isinstance(other, numbers.Real):
        return Value(other)
    return None


class Value:
    """A scalar node: ``data`` (float), ``grad`` (dL/d this), ``parents``, ``op``, ``label``.

    A leaf's ``grad`` is an accumulator that starts at 0.0 (``backward()`` adds to it,
    ``zero_grad()`` resets it); the result of an op has ``grad`` None, "not computed
    yet", until a backward pass reaches it (as a non-leaf tensor in PyTorch).

    The one or two parents are kept in two slots, ``_a`` and ``_b`` (None when absent),
    and ``parents`` makes the tuple when asked: a node is then one object, not a node
    and a tuple, which takes a third less memory and halves what Python's cycle
    collector has to walk while a big graph is alive.

    >>> x, y, z = Value(-2.0, "x"), Value(5.0, "y"), Value(-4.0, "z")
    >>> f = (x + y) * z
    >>> f.backward()
    >>> (f.data, x.grad, y.grad, z.grad)
    (-12.0, -4.0, -4.0, 3.0)
    """

    __slots__ = ("data", "grad", "_a", "_b", "_op", "_label", "scope")
    requires_grad = True  # part of the graph protocol; every Value takes part in backward

    def __init__(self, data: Any, label: str = "") -> None:
        self.data = _check_number(data, "Value()")
        self.grad = 0.0
        self._a: Value | None = None
        self._b: Value | None = None
        self._op: Op | None = None
        if label:
            self.label = label
        elif label != "":
            raise TypeError(f"label must be a str, got {type(label).__name__}: {label!r}")
        self.scope = context.current_scope

    @property
    def parents(self) -> "tuple[Value, ...]":
        """The nodes this one was computed from: () for a leaf, (a,) or (a, b) for an op."""
        a = self._a
        if a is None:
            return ()
        b = self._b
        return (a,) if b is None else (a, b)

    @property
    def op(self) -> str:
        """The name of the operation that made this node ("" for a leaf)."""
        return self._op.name if self._op is not None else ""

    @property
    def label(self) -> str:
        """A name shown in pictures and error messages (settable)."""
        try:
            return self._label
        except AttributeError:  # results of ops leave the slot empty until labelled
            return ""

    @label.setter
    def label(self, value: str) -> None:
        if not isinstance(value, str):
            raise TypeError(f"label must be a str, got {type(value).__name__}: {value!r}")
        self._label = value

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data:.6g}, grad={_fmt(self.grad)}{label})"

    # -- applying an op -----------------------------------------------------------

    def _apply(self, op: Op, other: "Value | None" = None) -> "Value":
        """The result of ``op`` on self (and other): a new node whose parents are the inputs."""
        if op.check is not None:
            data = _checked(op, (self,) if other is None else (self, other))
        elif other is None:
            data = op.forward(self.data)
        else:
            data = op.forward(self.data, other.data)
        out = _new_value(Value)
        out.data = data
        if context.grad_enabled:
            out.grad = None  # not computed yet: backward() fills it in
            out._a = self
            out._b = other
            out._op = op
        else:  # under no_grad() the result is a leaf, with a leaf's accumulator
            out.grad = 0.0
            out._a = out._b = out._op = None
        out.scope = context.current_scope
        return out

    # -- arithmetic (numbers on either side become constant leaves) ------------------

    def __add__(self, other: Any) -> "Value":
        if other.__class__ is not Value and (other := _lift(other)) is None:
            return NotImplemented
        return self._apply(ADD, other)

    def __radd__(self, other: Any) -> "Value":
        if other.__class__ is not Value and (other := _lift(other)) is None:
            return NotImplemented
        return other._apply(ADD, self)

    def __sub__(self, other: Any) -> "Value":
        if other.__class__ is not Value and (other := _lift(other)) is None:
            return NotImplemented
        return self._apply(SUB, other)

    def __rsub__(self, other: Any) -> "Value":
        if other.__class__ is not Value and (other := _lift(other)) is None:
            return NotImplemented
        return other._apply(SUB, self)

    def __mul__(self, other: Any) -> "Value":
        if other.__class__ is not Value and (other := _lift(other)) is None:
            return NotImplemented
        return self._apply(MUL, other)

    def __rmul__(self, other: Any) -> "Value":
        if other.__class__ is not Value and (other := _lift(other)) is None:
            return NotImplemented
        return other._apply(MUL, self)

    def __truediv__(self, other: Any) -> "Value":
        if other.__class__ is not Value and (other := _lift(other)) is None:
            return NotImplemented
        return self._apply(DIV, other)

    def __rtruediv__(self, other: Any) -> "Value":
        if other.__class__ is not Value and (other := _lift(other)) is None:
            return NotImplemented
        return other._apply(DIV, self)

    def __pow__(self, exponent: Any) -> "Value":
        """``x ** 2`` (a constant exponent: one parent) or ``x ** y`` (both are parents)."""
        if isinstance(exponent, Value):
            return self._apply(POW, exponent)
        if isinstance(exponent, numbers.Real):
            return self._apply(_pow_const(float(exponent)))
        return NotImplemented

    def __rpow__(self, base: Any) -> "Value":
        """``2 ** x``: the base becomes a constant leaf."""
        base = _lift(base)
        return NotImplemented if base is None else base._apply(POW, self)

    def __neg__(self) -> "Value":
        return self._apply(NEG)

    def __pos__(self) -> "Value":
        return self

    # -- functions -------------------------------------------------------------

    def exp(self) -> "Value":
        """e^x."""
        return self._apply(EXP)

    def log(self) -> "Value":
        """ln x (x > 0; otherwise ValueError naming this node)."""
        return self._apply(LOG)

    def sqrt(self) -> "Value":
        """sqrt(x) (x >= 0)."""
        return self._apply(SQRT)

    def abs(self) -> "Value":
        """|x| (derivative sign(x), 0 at 0)."""
        return self._apply(ABS)

    __abs__ = abs

    def tanh(self) -> "Value":
        """tanh x = (e^x - e^-x) / (e^x + e^-x)."""
        return self._apply(TANH)

    def sigmoid(self) -> "Value":
        """sigma(x) = 1 / (1 + e^-x)."""
        return self._apply(SIGMOID)

    def relu(self) -> "Value":
        """max(0, x)."""
        return self._apply(RELU)

    def leaky_relu(self, negative_slope: float = 0.01) -> "Value":
        """max(x, a x) with slope a (PyTorch default 0.01; the slides use 0.1)."""
        return self._apply(_leaky_relu(float(negative_slope)))

    def elu(self, alpha: float = 1.0) -> "Value":
        """x if x > 0 else alpha (e^x - 1)."""
        return self._apply(_elu(float(alpha)))

    def gelu(self, approximate: str = "none") -> "Value":
        """x Phi(x) with Phi the standard normal CDF (exact, via erf); ``approximate="tanh"``
        gives x/2 (1 + tanh(sqrt(2/pi)(x + 0.044715 x^3))) as PyTorch does."""
        if approximate == "none":
            return self._apply(GELU)
        if approximate == "tanh":
            return self._apply(GELU_TANH)
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")

    def silu(self) -> "Value":
        """x sigma(x) (also called swish)."""
        return self._apply(SILU)

    def softplus(self, beta: float = 1.0, threshold: float = 20.0) -> "Value":
        """log(1 + e^(beta x)) / beta, computed stably; x itself once beta x > threshold."""
        return self._apply(_softplus(float(beta), float(threshold)))

    def sin(self) -> "Value":
        return self._apply(SIN)

    def cos(self) -> "Value":
        return self._apply(COS)

    def erf(self) -> "Value":
        """The error function, 2/sqrt(pi) * integral_0^x e^(-t^2) dt (used by exact GELU)."""
        return self._apply(ERF)

    # -- backward --------------------------------------------------------------

    def backward(self, grad: float | None = None) -> None:
        """Set ``.grad`` of every node this one depends on to d(self)/d(node) (seed 1.0).

        Leaves accumulate across calls (zero them between steps); intermediate nodes
        are recomputed.
        """
        engine.backward(self, grad)

    # -- the graph protocol used by autodiff.engine ---------------------------------

    def _vjp(self, upstream: Any, create_graph: bool) -> tuple:
        """The contributions ``upstream * local`` to each parent's grad."""
        if not create_graph:  # the common case, spelled out for speed
            b = self._b
            try:
                if b is None:
                    (local_a,) = self._op.local(self._a.data, self.data)
                    return (local_a * upstream,)
                local_a, local_b = self._op.local(self._a.data, b.data, self.data)
                return (local_a * upstream, local_b * upstream)
            except ZeroDivisionError:
                pass  # let _locals give the IEEE answer
        return tuple([local * upstream for local in self._locals(create_graph)])

    def _locals(self, create_graph: bool) -> tuple:
        """d(self)/d(parent) for each parent: on floats, or on the nodes themselves."""
        op, parents = self._op, self.parents
        if create_graph:
            return op.local(*parents, self)
        try:
            return op.local(*[p.data for p in parents], self.data)
        except ZeroDivisionError:  # e.g. sqrt'(0): IEEE gives inf, as PyTorch does
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                inputs = [np.float64(p.data) for p in parents]
                return tuple(float(v) for v in op.local(*inputs, np.float64(self.data)))

    def _local_derivatives(self) -> tuple:
        return self._locals(create_graph=False)

    def _accumulate_grad(self, contribution: Any) -> None:
        grad = self.grad
        self.grad = contribution if grad is None else grad + contribution

    def _default_seed(self) -> float:
        return 1.0

    def _check_seed(self, grad: Any) -> Any:
        if isinstance(grad, Value):
            return grad
        return _check_number(grad, "backward(grad=...)")

    def _gradient_result(self, grad: Any, create_graph: bool) -> "Value":
        if isinstance(grad, Value):
            return grad
        return Value(0.0 if grad is None else grad)


_new_value = object.__new__


def _checked(op: Op, parents: tuple) -> float:
    """op's forward on the parents' data, after its domain check (the error names the nodes)."""
    data = [p.data for p in parents]
    problem = op.check(*data)
    if problem is not None:
        inputs = ", ".join(_describe(p) for p in parents)
        error = type(problem) if isinstance(problem, Exception) else op.error
        raise error(f"{op.name}({inputs}): {problem}")
    return op.forward(*data)


def _fmt(x: Any) -> str:
    return "None" if x is None else f"{x:.6g}" if isinstance(x, float) else repr(x)


def _describe(node: Value) -> str:
    return f"{node.label!r}={node.data!r}" if node.label else f"{node.data!r}"
