"""The scalar engine: a ``Value`` is one number in a computation graph.

Every primitive operation is an :class:`Op`: a name, a forward rule on floats and a
local-derivative rule, side by side. The local rule ``local(*inputs, out)`` returns
d(out)/d(input) for each input. It is written with ordinary arithmetic and the
functions at the top of this file, which work on floats and on Values alike: the
engine calls it on floats for a plain backward pass, and on the Values themselves
when ``create_graph=True``, which builds the derivative's own graph (that is all
higher-order derivatives need).

An Op is applied by calling it on Values or numbers: ``MUL(x, y)`` is what ``x * y``
does. A new primitive is made the same way::

    cube = Op("cube", forward=lambda a: a**3, local=lambda a, out: (3 * a * a,))
    y = cube(x)        # a Value whose parent is x; backward, create_graph, viz work on it

A Value keeps only its data, gradient, parents and op: no closure, hence no
reference cycle, so a graph is freed by reference counting the moment it is dropped.
"""

from __future__ import annotations

import functools
import inspect
import math
import numbers
import operator
import weakref
from typing import Any, Callable

import numpy as np

from . import checks, context, edits, engine

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


def _in_ieee_arithmetic(rule: Callable[..., Any], *numbers: float) -> Any:
    """``rule(*numbers)`` on float64 numbers, where 1/0 is inf, 0/0 nan and an overflow inf
    (IEEE arithmetic, as numpy and PyTorch), instead of Python's ZeroDivisionError or
    OverflowError."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return rule(*[np.float64(x) for x in numbers])


def _pow(a: float, b: float) -> float:
    """a ** b, with overflow giving +-inf (IEEE) instead of raising; so does 0 to a negative
    power, which gets this far only inside ``context.ieee_division()``."""
    try:
        return a**b
    except (OverflowError, ZeroDivisionError):
        return float(_in_ieee_arithmetic(operator.pow, a, b))


def _div(a: float, b: float) -> float:
    """a / b; a division by zero, which gets this far only inside ``context.ieee_division()``,
    gives +-inf (nan for 0 / 0) as in IEEE arithmetic."""
    try:
        return a / b
    except ZeroDivisionError:
        return float(_in_ieee_arithmetic(operator.truediv, a, b))


def _data(x: Any) -> float:
    return x._data if isinstance(x, Value) else x


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


def rule_arity(rule: Callable, others: int) -> int | None:
    """How many inputs a derivative rule takes: its positional parameters less the
    ``others`` that are not inputs (a local rule ``local(*inputs, out)``: 1; a vjp
    ``vjp(g, out, needs, *inputs)``: 3). None for ``*inputs``: any number. Keyword-only
    parameters (an axis) are not inputs."""
    try:
        parameters = inspect.signature(rule).parameters.values()
    except (TypeError, ValueError):
        return None
    if any(p.kind is p.VAR_POSITIONAL for p in parameters):
        return None
    return sum(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in parameters) - others


def default_notation(name: str, symbol: str | None, arity: int | None) -> str | None:
    """How an op is written around its operands, as a ``str.format`` template:
    ``"{0} + {1}"`` for a binary op with a symbol, ``"-{0}"`` for a unary one; None
    (written as a function call, ``tanh(x)``) for the rest."""
    if symbol is None:
        return None
    if arity == 2:
        return "{0} " + symbol + " {1}"
    if arity == 1:
        return symbol + "{0}"
    return None


def check_rule_settings(owner: str, check: Any, symbol: Any, notation: Any, arity: Any) -> None:
    """The settings an Op and a TensorOp share: ``check`` a function or None, ``symbol`` and
    ``notation`` strings or None, ``arity`` an int >= 0 or None."""
    checks.function(check, owner, "check", optional=True)
    checks.text(symbol, owner, "symbol", optional=True)
    checks.text(notation, owner, "notation", optional=True)
    if arity is not None:
        checks.whole(arity, owner, "arity", minimum=0)


def spell(name: str, notation: str | None, operands: tuple, params: dict | None = None) -> str:
    """An op written around its operands: ``x + y``, ``-x``, ``x**2``, ``tanh(x)``; an op's
    keyword parameters fill the template's named fields (``"{0}**{c}"``)."""
    if notation is None:
        return f"{name}({', '.join(operands)})"
    return notation.format(*operands, **(params or {}))


class Op:
    """A primitive operation on Values; calling it on Values (or numbers) applies it.

    - ``forward(*floats) -> float``: the value of the op.
    - ``local(*inputs, out) -> tuple``: d(out)/d(input) for each input, written with
      arithmetic (and this module's ``exp``, ``log``, ...) so that it also runs on Values.
    - ``check(*floats)``: names a domain error before ``forward`` runs (None when the
      inputs are fine): a message for an ``error`` exception, or an exception itself.
    - ``symbol``, ``notation``, ``arity``: how pictures and captions write the op.
      ``symbol`` is its operator (``"+"``), None for a function (``tanh``); ``notation``
      a ``str.format`` template around the operands (``"{0} + {1}"``, ``"{0}**2"``; by
      default from the symbol, or ``name(...)``); ``arity`` the number of inputs,
      read off ``local``'s signature when not given (None: any number).

    >>> cube = Op("cube", forward=lambda a: a**3, local=lambda a, out: (3 * a * a,))
    >>> x = Value(2.0)
    >>> y = cube(x)
    >>> y.backward()
    >>> (y.data, x.grad)
    (8.0, 12.0)
    """

    __slots__ = ("name", "forward", "local", "check", "error", "symbol", "notation", "arity")

    def __init__(
        self,
        name: str,
        forward: Callable[..., float],
        local: Callable[..., tuple],
        check: Callable[..., "str | Exception | None"] | None = None,
        error: type[Exception] = ValueError,
        symbol: str | None = None,
        notation: str | None = None,
        arity: int | None = None,
    ) -> None:
        if not isinstance(name, str) or not name:
            raise TypeError(f"an Op needs a name (a non-empty str), got {name!r}")
        for what, rule in (("forward", forward), ("local", local)):
            if not callable(rule):
                raise TypeError(f"Op {name!r}: {what} must be a function, got {type(rule).__name__}")
        check_rule_settings(f"Op {name!r}", check, symbol, notation, arity)
        if not (isinstance(error, type) and issubclass(error, Exception)):
            raise TypeError(f"Op {name!r}: error must be an exception class (such as ValueError), got {error!r}")
        self.name = name
        self.forward = forward
        self.local = local
        self.check = check
        self.error = error
        self.symbol = symbol
        self.arity = rule_arity(local, 1) if arity is None else arity
        self.notation = notation if notation is not None else default_notation(name, symbol, self.arity)

    def __repr__(self) -> str:
        return f"Op({self.name!r})"

    def spell(self, *operands: str) -> str:
        """The op written around ``operands``: ``x + y``, ``-x``, ``x**2``, ``tanh(x)``."""
        return spell(self.name, self.notation, operands)

    def __call__(self, *inputs: Any) -> "Value":
        """The op applied to ``inputs`` (Values; numbers become constant leaves): a new
        Value whose parents are the inputs (a leaf, under ``no_grad()``)."""
        if self.arity is not None and len(inputs) != self.arity:
            s = "" if self.arity == 1 else "s"
            raise TypeError(f"{self.name!r} takes {self.arity} input{s}, got {len(inputs)}")
        parents = [x if x.__class__ is Value else _as_value(x, self, inputs) for x in inputs]
        data = [p._data for p in parents]  # the slot behind each .data (the property is a call)
        if self.check is not None:
            _check_domain(self, parents, data)
        return Value(self.forward(*data), "", self, parents)


# the ops made for a parameter (x ** c for each exponent c, leaky_relu's slope, ...) are kept
# for reuse, but only so many: a loop over a million exponents must not keep a million ops
OP_CACHE_SIZE = 256

SQRT_2 = math.sqrt(2.0)
SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)

# a + b:  d/da = 1, d/db = 1
ADD = Op("+", operator.add, lambda a, b, out: (1.0, 1.0), symbol="+")
# a - b:  d/da = 1, d/db = -1  (its own rule, so the graph shows one "-" node)
SUB = Op("-", operator.sub, lambda a, b, out: (1.0, -1.0), symbol="-")
# a * b:  d/da = b, d/db = a
MUL = Op("*", operator.mul, lambda a, b, out: (b, a), symbol="*")
# a / b:  d/da = 1/b, d/db = -a/b^2 = -out/b  (its own rule, so the graph shows one "/" node)
DIV = Op(
    "/",
    _div,
    lambda a, b, out: (1 / b, -out / b),
    check=lambda a, b: "division by zero" if b == 0 else None,
    error=ZeroDivisionError,
    symbol="/",
)
# -a:  d/da = -1
NEG = Op("neg", operator.neg, lambda a, out: (-1.0,), symbol="-")


def _pow_check(a: float, b: float) -> str | Exception | None:
    if a == 0 and b < 0:
        return ZeroDivisionError(f"0 raised to a negative power ({b!r}) is a division by zero")
    if a < 0 and math.isfinite(b) and b != int(b):
        return f"a negative base raised to a non-integer power ({b!r}) is not a real number"
    return None


def _pow_local(a: Any, b: Any, out: Any) -> tuple:
    """d(a^b)/da = b a^(b-1), 0 where a = b = 0 (a^0 = 1 whatever a is);
    d(a^b)/db = a^b ln a, 0 where a = 0 (as PyTorch), nan where a < 0 (ln a is not real).

    At a = 0 the formulas read 0 * inf, so there they are evaluated at a base of 1
    instead (as the Tensor rule does): the same 0, and with ``create_graph`` the same
    second derivatives as a Tensor. Elsewhere the formula itself is used, also at b = 0,
    so that d/db of d/da (= 1/a at b = 0) is not lost. Where a < 0 (or is nan), d/db is
    a^b * nan, so that with ``create_graph`` its own derivatives are nan too (as a Tensor's
    and PyTorch's), not the 0 of a constant."""
    base, exponent = _data(a), _data(b)
    d_base = b * (a + 1.0) ** (b - 1) if base == 0 and exponent == 0 else b * a ** (b - 1)
    d_exponent = out * log(a) if base > 0 else (out * log(a + 1.0) if base == 0 else out * math.nan)
    return d_base, d_exponent


# a ** b, both Values (also ``2 ** x``)
POW = Op("**", _pow, _pow_local, check=_pow_check, error=ValueError, symbol="**")


@functools.lru_cache(maxsize=OP_CACHE_SIZE)
def _pow_const(c: float) -> Op:
    """a ** c for a constant exponent c:  d/da = c a^(c-1) (0 for c = 0)."""

    def check(a: float) -> str | Exception | None:
        return _pow_check(a, c)

    def local(a: Any, out: Any) -> tuple:
        return (0.0 if c == 0 else c * a ** (c - 1),)

    return Op(f"**{c:g}", lambda a: _pow(a, c), local, check, ValueError, symbol="**", notation=f"{{0}}**{c:g}")


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
# max(0, a):  d/da = 0 if a <= 0 else 1 (1 at a nan input too, which passes the gradient on,
# as a Tensor's relu and PyTorch's). The chain rule here is upstream x local, so an infinite
# upstream gradient at a <= 0 gives inf x 0 = nan, where the Tensor rule chooses 0, as PyTorch.
RELU = Op("relu", lambda a: 0.0 if a <= 0 else a, lambda a, out: (0.0 if a <= 0 else 1.0,))
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


@functools.lru_cache(maxsize=OP_CACHE_SIZE)
def _leaky_relu(negative_slope: float) -> Op:
    """max(a, s a) for slope s:  d/da = 1 if a > 0 else s."""
    s = checks.real(negative_slope, "leaky_relu", "negative_slope")
    return Op("leaky_relu", lambda a: a if a > 0 else s * a, lambda a, out: (1.0 if a > 0 else s,))


@functools.lru_cache(maxsize=OP_CACHE_SIZE)
def _elu(alpha: float) -> Op:
    """a if a > 0 else alpha (e^a - 1):  d/da = alpha e^a = out + alpha if a <= 0 else 1
    (1 at a nan input, which passes the gradient on, as PyTorch)."""
    checks.real(alpha, "elu", "alpha")
    return Op(
        "elu",
        lambda a: a if a > 0 else alpha * math.expm1(a),
        lambda a, out: (out + alpha if a <= 0 else 1.0,),
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


@functools.lru_cache(maxsize=OP_CACHE_SIZE)
def _softplus(beta: float, threshold: float) -> Op:
    """log(1 + e^(beta a)) / beta, linear once beta a > threshold (as PyTorch):
    d/da = sigma(beta a), or 1 in the linear part."""
    checks.real(beta, "softplus", "beta", nonzero=True)
    checks.real(threshold, "softplus", "threshold", allow_inf=True)

    def forward(a: float) -> float:
        z = beta * a
        if z > threshold:
            return a
        return (max(z, 0.0) + math.log1p(math.exp(-abs(z)))) / beta

    def local(a: Any, out: Any) -> tuple:
        return (1.0 if beta * _data(a) > threshold else sigmoid(beta * a),)

    return Op("softplus", forward, local)


def weighted_sum(bias: float, weights: Any, inputs: Any) -> float:
    """b + w_1 x_1 + ... + w_n x_n on floats, added up from b in order (as
    ``sum(w * x for ..., b)`` does): the forward rule of a fused neuron."""
    return sum(map(operator.mul, weights, inputs), bias)


def _affine(b: float, *weights_then_inputs: float) -> float:
    """``weighted_sum`` for the inputs (b, w_1, ..., w_n, x_1, ..., x_n)."""
    n, odd = divmod(len(weights_then_inputs), 2)
    if odd:
        raise ValueError(f"affine takes a bias, then n weights and n inputs; got {len(weights_then_inputs)} after the bias")
    return weighted_sum(b, weights_then_inputs[:n], weights_then_inputs[n:])


def _affine_local(b: Any, *weights_inputs_out: Any) -> tuple:
    """d/db = 1, d/dw_i = x_i, d/dx_i = w_i."""
    weights_then_inputs = weights_inputs_out[:-1]
    n = len(weights_then_inputs) // 2
    return (1.0, *weights_then_inputs[n:], *weights_then_inputs[:n])


# A neuron's pre-activation w . x + b as one node (nn.Neuron(..., fused=True)): one box
# in the graph instead of n products and n sums, whose edges carry the same local
# derivatives those nodes would, the inputs to the weights and the weights to the inputs.
AFFINE = Op("affine", _affine, _affine_local, notation="w·x + {0}")


def affine(weights: Any, inputs: Any, bias: Any) -> "Value":
    """w . x + b as one node: ``AFFINE(bias, *weights, *inputs)``, the lengths checked."""
    if weights.__class__ not in (list, tuple):  # (a list or tuple is used as it is, not copied)
        weights = tuple(weights)
    if inputs.__class__ not in (list, tuple):
        inputs = tuple(inputs)
    if len(weights) != len(inputs):
        raise ValueError(f"affine needs as many inputs as weights: {len(weights)} weights, {len(inputs)} inputs")
    return AFFINE(bias, *weights, *inputs)


# ---------------------------------------------------------------------------
# The node
# ---------------------------------------------------------------------------


def _parameter(value: Any, owner: str, name: str) -> float:
    """An op's parameter as the float its cached op is made for: a float as it is (whether it
    is finite is checked once, when its op is made), anything else checked to be a number."""
    return value if value.__class__ is float else checks.real(value, owner, name, finite=False)


def _check_number(data: Any, what: str) -> float:
    if isinstance(data, (bool, np.bool_)):
        raise TypeError(f"{what} needs a real number (int or float), got a bool: {data!r}; write 1.0 or 0.0")
    if isinstance(data, numbers.Real):
        return float(data)
    raise TypeError(
        f"{what} needs a real number (int or float), got {type(data).__name__}: {data!r}"
        + ("; use .data to read a Value's number" if isinstance(data, Value) else "")
    )


def _as_value(x: Any, op: Op, inputs: tuple) -> "Value":
    """An input of ``op``: a Value as it is, a number as a constant leaf."""
    if isinstance(x, Value):
        return x
    if isinstance(x, numbers.Real):
        return Value(x)
    from .tensor import Tensor  # (here, not at the top: tensor.py imports this module)

    types = " and ".join(f"'{type(i).__name__}'" for i in inputs)
    hint = (
        "a Tensor (the tensor engine's node) and a Value cannot be in one graph; "
        "use Tensor(v.data) for a constant, or keep to one engine"
        if isinstance(x, Tensor)
        else "Values and real numbers only"
    )
    raise TypeError(f"unsupported operand type(s) for {op.symbol or op.name}: {types} ({hint})")


_labels: "weakref.WeakKeyDictionary[Value, str]" = weakref.WeakKeyDictionary()  # see Value.label


class Value:
    """A scalar node: ``data`` (float), ``grad`` (dL/d this), ``parents``, ``op``, ``label``.

    A leaf's ``grad`` is an accumulator that starts at 0.0 (``backward()`` adds to it,
    ``zero_grad()`` resets it); the result of an op has ``grad`` None, "not computed
    yet", until a backward pass reaches it (as a non-leaf tensor in PyTorch).

    The one or two parents are kept in two slots, ``_a`` and ``_b`` (None when absent),
    and ``parents`` makes the tuple when asked: a node is then one object, not a node
    and a tuple, which takes a third less memory and halves what Python's cycle
    collector has to walk while a big graph is alive. An op of more than two inputs
    (a fused neuron) keeps the tuple of them all in ``_a``.

    The operators and functions below, and ``backward``, are the reference code; at
    import, ``autodiff.fast`` puts faster twins of the built-in ones in their place
    (``AUTODIFF_REFERENCE=1`` in the environment keeps these).

    >>> x, y, z = Value(-2.0, "x"), Value(5.0, "y"), Value(-4.0, "z")
    >>> f = (x + y) * z
    >>> f.backward()
    >>> (f.data, x.grad, y.grad, z.grad)
    (-12.0, -4.0, -4.0, 3.0)
    """

    __slots__ = ("_data", "grad", "_a", "_b", "_op", "scope", "_stamp", "__weakref__")
    requires_grad = True  # part of the graph protocol; every Value takes part in backward

    def __init__(self, data: Any, label: str = "", _op: Op | None = None, _parents: Any = ()) -> None:
        """A leaf ``Value(data, label)``; ``Op.__call__`` also passes the op and the parents."""
        self._data = data if data.__class__ is float else _check_number(data, "Value(data=...)")
        self._stamp = edits.clock
        grad_enabled, self.scope = context.state()
        if _op is not None and grad_enabled:
            self.grad = None  # not computed yet: backward() fills it in
            self._op = _op
            if len(_parents) == 1:
                self._a, self._b = _parents[0], None
            elif len(_parents) == 2:
                self._a, self._b = _parents
            else:
                self._a, self._b = tuple(_parents), None
        else:  # a leaf (also an op's result under no_grad()), with a leaf's accumulator
            self.grad = 0.0
            self._op = self._a = self._b = None
        if label:
            self.label = label
        elif label != "":
            raise TypeError(f"label must be a str, got {type(label).__name__}: {label!r}")

    @property
    def data(self) -> float:
        """The number this node holds (settable: a change made between the forward pass and
        ``backward()`` is caught there, see ``autodiff.edits``)."""
        return self._data

    @data.setter
    def data(self, value: float) -> None:
        self._data = value if value.__class__ is float else _check_number(value, "Value.data")
        self._stamp = edits.edited(self)

    @property
    def parents(self) -> "tuple[Value, ...]":
        """The nodes this one was computed from: () for a leaf, (a,) or (a, b) for an op."""
        a = self._a
        if a is None:
            return ()
        if a.__class__ is tuple:
            return a
        b = self._b
        return (a,) if b is None else (a, b)

    @property
    def op(self) -> str:
        """The name of the operation that made this node ("" for a leaf)."""
        return self._op.name if self._op is not None else ""

    @property
    def primitive(self) -> Op | None:
        """The :class:`Op` that made this node (None for a leaf)."""
        return self._op

    @property
    def label(self) -> str:
        """A name shown in pictures and error messages (settable).

        Kept in a table beside the nodes rather than in a slot of each: most nodes (the
        results of ops) have none, and a slot would cost every one of them 8 bytes."""
        return _labels.get(self, "")

    @label.setter
    def label(self, value: str) -> None:
        if not isinstance(value, str):
            raise TypeError(f"label must be a str, got {type(value).__name__}: {value!r}")
        if value:
            _labels[self] = value
        else:
            _labels.pop(self, None)

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data:.6g}, grad={_fmt(self.grad)}{label})"

    # -- arithmetic: each operator applies its Op (numbers become constant leaves) ------

    def __add__(self, other: Any) -> "Value":
        return ADD(self, other)

    def __radd__(self, other: Any) -> "Value":
        return ADD(other, self)

    def __sub__(self, other: Any) -> "Value":
        return SUB(self, other)

    def __rsub__(self, other: Any) -> "Value":
        return SUB(other, self)

    def __mul__(self, other: Any) -> "Value":
        return MUL(self, other)

    def __rmul__(self, other: Any) -> "Value":
        return MUL(other, self)

    def __truediv__(self, other: Any) -> "Value":
        return DIV(self, other)

    def __rtruediv__(self, other: Any) -> "Value":
        return DIV(other, self)

    def __pow__(self, exponent: Any) -> "Value":
        """``x ** 2`` (a constant exponent: one parent) or ``x ** y`` (both are parents)."""
        if isinstance(exponent, numbers.Real):
            if exponent.__class__ is bool:
                raise TypeError(f"Value ** {exponent!r}: the exponent must be a real number or a Value, not a bool")
            return _pow_const(float(exponent))(self)
        if not isinstance(exponent, Value):
            raise TypeError(
                f"unsupported operand type(s) for **: 'Value' and '{type(exponent).__name__}': "
                "the exponent must be a real number or a Value"
            )
        return POW(self, exponent)

    def __rpow__(self, base: Any) -> "Value":
        """``2 ** x``: the base becomes a constant leaf."""
        return POW(base, self)

    def __neg__(self) -> "Value":
        return NEG(self)

    def __pos__(self) -> "Value":
        return self

    # -- comparisons: of the numbers, a plain bool (no gradient flows through a comparison;
    # a derivative rule may branch on one, ``1.0 if a > 0 else 0.0``, on floats and Values)

    def __lt__(self, other: Any) -> bool:
        return self.data < _data(other)

    def __le__(self, other: Any) -> bool:
        return self.data <= _data(other)

    def __gt__(self, other: Any) -> bool:
        return self.data > _data(other)

    def __ge__(self, other: Any) -> bool:
        return self.data >= _data(other)

    # -- functions -------------------------------------------------------------

    def exp(self) -> "Value":
        """e^x."""
        return EXP(self)

    def log(self) -> "Value":
        """ln x (x > 0; otherwise ValueError naming this node)."""
        return LOG(self)

    def sqrt(self) -> "Value":
        """sqrt(x) (x >= 0)."""
        return SQRT(self)

    def abs(self) -> "Value":
        """|x| (derivative sign(x), 0 at 0)."""
        return ABS(self)

    __abs__ = abs

    def tanh(self) -> "Value":
        """tanh x = (e^x - e^-x) / (e^x + e^-x)."""
        return TANH(self)

    def sigmoid(self) -> "Value":
        """sigma(x) = 1 / (1 + e^-x)."""
        return SIGMOID(self)

    def relu(self) -> "Value":
        """max(0, x)."""
        return RELU(self)

    def leaky_relu(self, negative_slope: float = 0.01) -> "Value":
        """max(x, a x) with slope a (PyTorch default 0.01; the slides use 0.1)."""
        return _leaky_relu(_parameter(negative_slope, "leaky_relu", "negative_slope"))(self)

    def elu(self, alpha: float = 1.0) -> "Value":
        """x if x > 0 else alpha (e^x - 1)."""
        return _elu(_parameter(alpha, "elu", "alpha"))(self)

    def gelu(self, approximate: str = "none") -> "Value":
        """x Phi(x) with Phi the standard normal CDF (exact, via erf); ``approximate="tanh"``
        gives x/2 (1 + tanh(sqrt(2/pi)(x + 0.044715 x^3))) as PyTorch does."""
        if approximate == "none":
            return GELU(self)
        if approximate == "tanh":
            return GELU_TANH(self)
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")

    def silu(self) -> "Value":
        """x sigma(x) (also called swish)."""
        return SILU(self)

    def softplus(self, beta: float = 1.0, threshold: float = 20.0) -> "Value":
        """log(1 + e^(beta x)) / beta, computed stably; x itself once beta x > threshold."""
        return _softplus(_parameter(beta, "softplus", "beta"), _parameter(threshold, "softplus", "threshold"))(self)

    def sin(self) -> "Value":
        """sin x."""
        return SIN(self)

    def cos(self) -> "Value":
        """cos x."""
        return COS(self)

    def erf(self) -> "Value":
        """The error function, 2/sqrt(pi) * integral_0^x e^(-t^2) dt (used by exact GELU)."""
        return ERF(self)

    # -- backward --------------------------------------------------------------

    def backward(self, grad: float | None = None) -> None:
        """Set ``.grad`` of every node this one depends on to d(self)/d(node) (seed 1.0).

        Leaves accumulate across calls (zero them between steps); intermediate nodes
        are recomputed.
        """
        engine.backward(self, grad)

    # -- the graph protocol (autodiff.Node) ------------------------------------------

    def local_derivatives(self, create_graph: bool = False) -> tuple:
        """d(self)/d(parent) for each parent, by the op's local rule: floats, or Values
        (with ``create_graph``, so that the derivative is itself a graph).

        Where float arithmetic raises (1/0 in sqrt'(0), an overflowing power), the rule is
        run again in IEEE arithmetic, which gives inf or nan as PyTorch does. With
        ``create_graph`` the rule runs on Values inside ``context.ieee_division()``, so
        there too a division by zero is +-inf (sqrt'(0) = 0.5 / 0 = inf, a node whose own
        derivative is -inf, as in PyTorch) rather than the forward pass's ZeroDivisionError;
        any other error of the rule names the op and this node."""
        op = self._op
        if op is None:
            return ()
        if create_graph:
            parents = self.parents
            try:
                with context.ieee_division():
                    return tuple(op.local(*parents, self))
            except (ArithmeticError, ValueError) as error:
                inputs = ", ".join(_describe(p) for p in parents)
                node = f" (the node {self.label!r})" if self.label else ""
                raise type(error)(
                    f"{op.name}({inputs}){node}: its derivative rule failed while building the "
                    f"derivative's graph (create_graph=True): {error}"
                ) from error
        data = [p.data for p in self.parents]
        try:
            return tuple(op.local(*data, self.data))
        except (ZeroDivisionError, OverflowError):
            return tuple(float(v) for v in _in_ieee_arithmetic(op.local, *data, self.data))

    def vjp(self, upstream: Any, create_graph: bool = False) -> tuple:
        """The chain rule on each parent edge: ``upstream × local`` for each parent."""
        edits.check_unchanged(self)
        return tuple([local * upstream for local in self.local_derivatives(create_graph)])

    def initial_grad(self, grad: Any = None) -> Any:
        """The gradient a backward pass from this node starts from: ``grad``, or 1.0."""
        if grad is None:
            return 1.0
        if isinstance(grad, Value):
            return grad
        return _check_number(grad, "backward(grad=...)")


def _check_domain(op: Op, parents: list, data: list) -> None:
    """Raise op's domain error, if its check finds one, naming the inputs (except a division
    by zero inside ``context.ieee_division()``, whose forward rule then gives +-inf)."""
    problem = op.check(*data)
    if problem is not None:
        error = type(problem) if isinstance(problem, Exception) else op.error
        if error is ZeroDivisionError and context.ieee_division_allowed():
            return  # a derivative's graph at a point where it is infinite: IEEE +-inf
        inputs = ", ".join(_describe(p) for p in parents)
        raise error(f"{op.name}({inputs}): {problem}")


def _fmt(x: Any) -> str:
    return "None" if x is None else f"{x:.6g}" if isinstance(x, float) else repr(x)


def _describe(node: Value) -> str:
    return f"{node.label!r}={node.data!r}" if node.label else f"{node.data!r}"
