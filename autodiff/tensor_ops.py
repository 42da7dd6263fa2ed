"""The tensor primitives: each a forward rule on numpy arrays beside its vector-Jacobian product.

``forward(*arrays, **params) -> array``. ``vjp(g, out, needs, *inputs, **params)``
returns, for each input, dL/d(input) given g = dL/d(out): the upstream gradient times
the local Jacobian, contracted. ``needs[i]`` is False when input i needs no gradient
(its entry may then be None, and nothing need be computed for it: the gradient of a
matmul with respect to the data batch is the most expensive product of a step).

The vjp rules are written with arithmetic, methods (``.sum .reshape .T``) and the
functions below, which work on numpy arrays and on Tensors alike. The engine calls
them on arrays for a plain backward pass and on the Tensors themselves when
``create_graph=True``, which records the gradient's own graph (Hessian-vector products).

Broadcasting is undone once, by the engine (``Tensor.vjp``): a rule may return a
gradient of the broadcast shape, and the engine sums it back to the input's shape.

Fused kernels that exist only for speed (``linear``, ``softmax_cross_entropy``) are in
``autodiff.fast``, not here.
"""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

from . import checks
from .scalar import check_rule_settings, default_notation, rule_arity, spell

SQRT_2 = math.sqrt(2.0)
SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)

_erf_elementwise = np.frompyfunc(math.erf, 1, 1)


class TensorOp:
    """A primitive on tensors: a name, a forward rule and a vector-Jacobian product;
    calling it on Tensors (arrays and numbers become constants) applies it.

    - ``forward(*arrays, **params) -> array``.
    - ``vjp(g, out, needs, *inputs, **params) -> tuple``: see the module docstring.
    - ``check(*arrays, **params)``: a message naming what is wrong with the inputs
      (None when they are fine), checked before ``forward`` runs.
    - ``saves=True``: the forward rule returns ``(output, saved)``, where ``saved`` is what
      it computed on the way that the vjp needs again (PyTorch's save_for_backward). The
      node keeps it, and a plain backward pass hands it to the vjp as ``out``. With
      ``create_graph=True`` the vjp gets the output Tensor as usual and recomputes what
      it needs from its inputs, so that the gradient is itself part of a graph.
    - ``symbol``, ``notation``, ``arity``: how pictures write it, as for ``autodiff.Op``
      (the arity read off ``vjp``'s signature when not given).

    Parameters (an axis, a shape) are passed by keyword: ``SUM(x, axis=0, keepdims=False)``.

    >>> cube = TensorOp("cube", forward=lambda a: a**3, vjp=lambda g, out, needs, a: (3 * g * a * a,))
    >>> from autodiff import Tensor
    >>> x = Tensor([1.0, 2.0], requires_grad=True)
    >>> cube(x).sum().backward()
    >>> x.grad
    array([ 3., 12.])
    """

    __slots__ = ("name", "forward", "vjp", "check", "saves", "symbol", "notation", "arity")

    def __init__(
        self,
        name: str,
        forward: Callable[..., Any],
        vjp: Callable[..., tuple],
        check: Callable[..., "str | None"] | None = None,
        saves: bool = False,
        symbol: str | None = None,
        notation: str | None = None,
        arity: int | None = None,
    ) -> None:
        if not isinstance(name, str) or not name:
            raise TypeError(f"a TensorOp needs a name (a non-empty str), got {name!r}")
        for what, rule in (("forward", forward), ("vjp", vjp)):
            if not callable(rule):
                raise TypeError(f"TensorOp {name!r}: {what} must be a function, got {type(rule).__name__}")
        check_rule_settings(f"TensorOp {name!r}", check, symbol, notation, arity)
        self.name = name
        self.forward = forward
        self.vjp = vjp
        self.check = check
        self.saves = checks.flag(saves, f"TensorOp {name!r}", "saves")
        self.symbol = symbol
        self.arity = rule_arity(vjp, 3) if arity is None else arity
        self.notation = notation if notation is not None else default_notation(name, symbol, self.arity)

    def __repr__(self) -> str:
        return f"TensorOp({self.name!r})"

    def spell(self, *operands: str, **params: Any) -> str:
        """The op written around ``operands`` (and its keyword ``params``, which fill the
        template's named fields): ``x + y``, ``-x``, ``x**2``, ``sum(x)``."""
        return spell(self.name, self.notation, operands, params)

    def __call__(self, *inputs: Any, **params: Any) -> Any:
        """The op applied to ``inputs``: a new Tensor, whose parents are the inputs when one
        of them requires a gradient (and gradients are on)."""
        return tensor.apply(self, inputs, params)


# ---------------------------------------------------------------------------------------
# Functions on arrays and Tensors alike (the vocabulary of the vjp rules)
# ---------------------------------------------------------------------------------------


def _is_tensor(x: Any) -> bool:
    return hasattr(x, "vjp")


def exp(x: Any) -> Any:
    return x.exp() if _is_tensor(x) else np.exp(x)


def log(x: Any) -> Any:
    return x.log() if _is_tensor(x) else np.log(x)


def tanh(x: Any) -> Any:
    return x.tanh() if _is_tensor(x) else np.tanh(x)


def sin(x: Any) -> Any:
    return x.sin() if _is_tensor(x) else np.sin(x)


def cos(x: Any) -> Any:
    return x.cos() if _is_tensor(x) else np.cos(x)


def sigmoid(x: Any) -> Any:
    return x.sigmoid() if _is_tensor(x) else _sigmoid(x)


def erf(x: Any) -> Any:
    return x.erf() if _is_tensor(x) else _erf(x)


def cast(x: Any, dtype: np.dtype) -> Any:
    """x in another float dtype; its vjp casts the gradient back."""
    if _is_tensor(x):
        return CAST(x, dtype=np.dtype(dtype))
    return x.astype(dtype)


def broadcast_to(x: Any, shape: tuple) -> Any:
    """x repeated to ``shape`` (the vjp of a sum); a read-only view for numpy input."""
    if _is_tensor(x):
        return BROADCAST(x, shape=tuple(shape))
    return np.broadcast_to(x, shape)


def scatter(g: Any, shape: tuple, index: Any) -> Any:
    """Zeros of ``shape`` with g added at ``index`` (repeated indices accumulate): the vjp of indexing."""
    if _is_tensor(g):
        return SCATTER(g, shape=tuple(shape), index=index)
    return _scatter(g, shape=shape, index=index)


def where(condition: np.ndarray, x: Any, y: Any) -> Any:
    """x where the constant mask ``condition`` holds, y elsewhere (``np.where``): a choice
    between two formulas that, unlike ``mask * x + (1 - mask) * y``, does not turn an
    inf in the formula not chosen into nan (0 * inf)."""
    if _is_tensor(x) or _is_tensor(y):
        return WHERE(x, y, condition=np.asarray(condition))
    return np.where(condition, x, y)


def unbroadcast(g: Any, shape: tuple) -> Any:
    """Sum g over the axes broadcasting added or stretched, so it has ``shape`` again."""
    extra = g.ndim - len(shape)
    stretched = tuple(extra + i for i, n in enumerate(shape) if n == 1 and g.shape[extra + i] != 1)
    axes = tuple(range(extra)) + stretched
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    return g.reshape(shape) if extra else g


def _data(x: Any) -> np.ndarray:
    """The numbers of a Tensor or array (masks and ties are constants, not part of the graph)."""
    return x.data if _is_tensor(x) else x


def _mask(condition: Any, dtype: np.dtype) -> np.ndarray:
    """Ones where ``condition`` holds, zeros elsewhere, as an array of ``dtype`` (even 0-d)."""
    return np.asarray(condition, dtype=dtype)


# ---------------------------------------------------------------------------------------
# Numerically careful forward rules on arrays
# ---------------------------------------------------------------------------------------


def _sigmoid(a: np.ndarray) -> np.ndarray:
    """1 / (1 + e^-a). Where e^-a overflows to inf (a below about -709 in float64), the
    quotient is 0, which is sigma(a) to working precision: that overflow is expected,
    not warned about."""
    with np.errstate(over="ignore"):
        return 1 / (1 + np.exp(-a))


def _finite_max(a: np.ndarray, axis: Any) -> np.ndarray:
    """The largest finite element along ``axis`` (kept as an axis of size 1; 0 where there is
    none): the shift m of e^(a - m), so that no finite element overflows. An infinite element
    is not the shift: subtracting it would make inf - inf = nan of every element."""
    m = np.max(np.where(np.isfinite(a), a, -np.inf), axis=axis, keepdims=True, initial=-np.inf)
    return np.where(np.isfinite(m), m, 0)


def _logsumexp(a: np.ndarray, *, axis: Any, keepdims: bool) -> np.ndarray:
    """log sum e^a = m + log sum e^(a - m), m the max: finite for logits of +-1000
    (and log 0 = -inf over an empty axis or a slice of all -inf, as PyTorch)."""
    m = _finite_max(a, axis)
    with np.errstate(divide="ignore"):  # that log 0 is the answer, not a mistake to warn about
        out = np.log(np.sum(np.exp(a - m), axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis) if axis is not None else out.reshape(())


def _softmax(a: np.ndarray, *, axis: Any) -> np.ndarray:
    """e^(a - m) / sum e^(a - m), m the max along the axis (-inf along an empty one,
    whose softmax is empty)."""
    e = np.exp(a - np.max(a, axis=axis, keepdims=True, initial=-np.inf))
    return e / np.sum(e, axis=axis, keepdims=True)


def _log_softmax(a: np.ndarray, *, axis: Any) -> np.ndarray:
    """(a - m) - log sum e^(a - m), m the max along the axis (as in ``_softmax``)."""
    shifted = a - np.max(a, axis=axis, keepdims=True, initial=-np.inf)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


def _erf(a: np.ndarray) -> np.ndarray:
    return np.asarray(_erf_elementwise(a)).astype(a.dtype)


def _softplus(a: np.ndarray, *, beta: float, threshold: float) -> np.ndarray:
    """log(1 + e^(beta a)) / beta, and a itself once beta a > threshold (PyTorch's rule)."""
    z = beta * a
    smooth = (np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))) / beta
    return np.where(z > threshold, a, smooth)


def _scatter(g: np.ndarray, *, shape: tuple, index: Any) -> np.ndarray:
    out = np.zeros(shape, dtype=g.dtype)
    np.add.at(out, index, g)  # repeated indices accumulate
    return out


def _matmul_check(a: np.ndarray, b: np.ndarray) -> str | None:
    """What is wrong with the shapes of a matrix product (None: nothing)."""
    if a.ndim == 0 or b.ndim == 0:
        return f"matmul needs at least 1-D operands, got shapes {a.shape} and {b.shape}"
    inner_a = a.shape[-1]
    inner_b = b.shape[-2] if b.ndim > 1 else b.shape[0]
    if inner_a != inner_b:
        return f"matmul of shapes {a.shape} and {b.shape}: inner dimensions differ ({inner_a} != {inner_b})"
    return None


# ---------------------------------------------------------------------------------------
# vjp rules that need more than one line
# ---------------------------------------------------------------------------------------


def _matmul_vjp(g, out, needs, a, b):
    """C = A B:  dA = G B^T, dB = A^T G (a vector is lifted to a matrix and back)."""
    a2 = a.reshape((1,) + a.shape) if a.ndim == 1 else a
    b2 = b.reshape(b.shape + (1,)) if b.ndim == 1 else b
    g2 = g
    if a.ndim == 1:
        g2 = g2.reshape(g2.shape[:-1] + (1,) + g2.shape[-1:]) if b.ndim > 1 else g2.reshape((1,) + g2.shape)
    if b.ndim == 1:
        g2 = g2.reshape(g2.shape + (1,))
    da = db = None
    if needs[0]:
        da = g2 @ _mT(b2)
        da = da.reshape(da.shape[:-2] + (a.shape[-1],)) if a.ndim == 1 else da
    if needs[1]:
        db = _mT(a2) @ g2
        db = db.reshape(db.shape[:-1]) if b.ndim == 1 else db
    return da, db


def _mT(x: Any) -> Any:
    """Swap the last two axes (the matrix transpose of a batch of matrices)."""
    axes = list(range(x.ndim))
    axes[-1], axes[-2] = axes[-2], axes[-1]
    return x.transpose(*axes)


def _pow_vjp(g, out, needs, a, b):
    """a^b:  d/da = b a^(b-1), 0 where b = 0;  d/db = a^b ln a, 0 where a = 0 and b >= 0
    (as PyTorch). At those points the formula reads 0 * inf, so there it is evaluated at
    a base of a + 1 = 1 instead: a constant shift that changes only the points set to 0.
    (Chosen with ``where``, not added as a shift of 0 elsewhere: -0.0 + 0 is +0.0, and
    (-0)^-3 = -inf but (+0)^-3 = +inf.)"""
    base, exponent = _data(a), _data(b)
    da = db = None
    if needs[0]:
        da = g * b * where((base == 0) & (exponent == 0), a + 1, a) ** (b - 1)
    if needs[1]:
        db = g * out * log(where((base == 0) & (exponent >= 0), a + 1, a))
    return da, db


def _keep_reduced_axes(g: Any, shape: tuple, axis: Any, keepdims: bool) -> Any:
    """Put back the axes a reduction removed (as size 1), so g broadcasts against the input."""
    if keepdims:
        return g
    if axis is None or not shape:  # all axes, or a 0-d input (numpy reduces it over axis 0 or -1)
        return g.reshape((1,) * len(shape))
    axes = (axis,) if isinstance(axis, int) else axis
    kept = list(g.shape)
    for ax in sorted(ax % len(shape) for ax in axes):
        kept.insert(ax, 1)
    return g.reshape(tuple(kept))


def _sum_vjp(g, out, needs, a, *, axis, keepdims):
    """sum: every input element gets the gradient of its sum."""
    return (broadcast_to(_keep_reduced_axes(g, a.shape, axis, keepdims), a.shape),)


def _mean_vjp(g, out, needs, a, *, axis, keepdims):
    """mean = sum / n: every input element gets g / n."""
    n = a.size // max(out.size, 1) if a.size else 1
    return (broadcast_to(_keep_reduced_axes(g, a.shape, axis, keepdims), a.shape) / n,)


def _max_vjp(g, out, needs, a, *, axis, keepdims):
    """max: the gradient goes to the maximal elements, shared evenly among ties."""
    data = _data(a)
    peak = np.max(data, axis=axis, keepdims=True)
    ties = _mask(data == peak, data.dtype)
    share = ties / np.sum(ties, axis=axis, keepdims=True)
    return (_keep_reduced_axes(g, a.shape, axis, keepdims) * share,)


def _transpose_vjp(g, out, needs, a, *, axes):
    """Transposing back: the inverse permutation (reversed axes when none was given)."""
    return (g.transpose(*np.argsort(axes)) if axes is not None else g.transpose(),)


def _softmax_vjp(g, out, needs, a, *, axis):
    """s = softmax(a):  da = s (g - sum(g s))  along the axis."""
    return (out * (g - (g * out).sum(axis=axis, keepdims=True)),)


def _log_softmax_vjp(g, out, needs, a, *, axis):
    """l = log softmax(a):  da = g - softmax(a) sum(g)  along the axis (d l_i/d a_j = δ_ij - s_j)."""
    return (g - exp(out) * g.sum(axis=axis, keepdims=True),)


def _logsumexp_vjp(g, out, needs, a, *, axis, keepdims):
    """d/da log sum e^a = e^a / sum e^a = softmax(a), as e^(a - m) / sum e^(a - m) with the
    forward rule's shift m (the largest finite element). So an element of +inf, whose
    log-sum-exp is +inf, gives the finite elements 0 (e^a / inf) and itself nan (inf / inf),
    as PyTorch's e^(a - logsumexp(a)) does; softmax(a) is nan everywhere there."""
    e = exp(a - _finite_max(_data(a), axis))
    return (_keep_reduced_axes(g, a.shape, axis, keepdims) * (e / e.sum(axis=axis, keepdims=True)),)


def _gelu_vjp(g, out, needs, a):
    """x Phi(x):  d/dx = Phi(x) + x phi(x)."""
    return (g * (0.5 * (1 + erf(a * (1 / SQRT_2))) + a * INV_SQRT_2PI * exp(-0.5 * (a * a))),)


def _gelu_tanh_forward(a):
    return 0.5 * a * (1 + np.tanh(SQRT_2_OVER_PI * (a + 0.044715 * a * a * a)))


def _gelu_tanh_vjp(g, out, needs, a):
    """u = k (a + 0.044715 a^3), t = tanh u:  d/da = (1 + t)/2 + a/2 (1 - t^2) k (1 + 3 * 0.044715 a^2)."""
    t = tanh(SQRT_2_OVER_PI * (a + 0.044715 * (a * a * a)))
    return (g * (0.5 * (1 + t) + 0.5 * a * (1 - t * t) * SQRT_2_OVER_PI * (1 + 0.134145 * (a * a))),)


def _softplus_vjp(g, out, needs, a, *, beta, threshold):
    """d/da softplus = sigmoid(beta a), and 1 in the linear part."""
    data = _data(a)
    linear = _mask(data * beta > threshold, data.dtype)
    return (g * (linear + (1 - linear) * sigmoid(beta * a)),)


def _concatenate_vjp(g, out, needs, *inputs, axis):
    """Each input gets its own slice of g along the axis."""
    grads, start = [], 0
    for x, needed in zip(inputs, needs):
        stop = start + x.shape[axis]
        index = (slice(None),) * (axis % g.ndim) + (slice(start, stop),)
        grads.append(g[index] if needed else None)
        start = stop
    return tuple(grads)


def _stack_vjp(g, out, needs, *inputs, axis):
    """Each input gets its own index of g along the new axis."""
    axis = axis % g.ndim
    return tuple(g[(slice(None),) * axis + (i,)] if needed else None for i, needed in enumerate(needs))


# ---------------------------------------------------------------------------------------
# The primitives
# ---------------------------------------------------------------------------------------

ADD = TensorOp("+", np.add, lambda g, out, needs, a, b: (g, g), symbol="+")
SUB = TensorOp("-", np.subtract, lambda g, out, needs, a, b: (g, -g), symbol="-")
MUL = TensorOp("*", np.multiply, lambda g, out, needs, a, b: (g * b, g * a), symbol="*")
# a / b:  d/da = 1/b, d/db = -a/b^2 = -out/b
DIV = TensorOp("/", np.divide, lambda g, out, needs, a, b: (g / b, -g * out / b), symbol="/")
POW = TensorOp("**", np.power, _pow_vjp, symbol="**")
# a ** c for a constant c:  d/da = c a^(c-1) (0 for c = 0)
POW_CONST = TensorOp(
    "**c",
    lambda a, *, c: np.power(a, c),
    lambda g, out, needs, a, *, c: (g * 0.0 if c == 0 else g * c * a ** (c - 1),),
    notation="{0}**{c:g}",
)
MATMUL = TensorOp("@", np.matmul, _matmul_vjp, check=_matmul_check, symbol="@")
NEG = TensorOp("neg", np.negative, lambda g, out, needs, a: (-g,), symbol="-")

EXP = TensorOp("exp", np.exp, lambda g, out, needs, a: (g * out,))
LOG = TensorOp("log", np.log, lambda g, out, needs, a: (g / a,))
SQRT = TensorOp("sqrt", np.sqrt, lambda g, out, needs, a: (g * 0.5 / out,))
ABS = TensorOp("abs", np.abs, lambda g, out, needs, a: (g * np.sign(_data(a)),))
TANH = TensorOp("tanh", np.tanh, lambda g, out, needs, a: (g * (1 - out * out),))
SIN = TensorOp("sin", np.sin, lambda g, out, needs, a: (g * cos(a),))
COS = TensorOp("cos", np.cos, lambda g, out, needs, a: (-g * sin(a),))
SIGMOID = TensorOp("sigmoid", _sigmoid, lambda g, out, needs, a: (g * (out * (1 - out)),))
# max(0, a):  d/da = 0 where a <= 0, else 1 (also at nan, as PyTorch); chosen with where,
# not multiplied by a mask, so that an infinite upstream gives 0 there, not 0 * inf = nan
RELU = TensorOp("relu", lambda a: np.maximum(a, 0), lambda g, out, needs, a: (where(_data(a) <= 0, 0.0, g),))
LEAKY_RELU = TensorOp(
    "leaky_relu",
    lambda a, *, slope: np.where(a > 0, a, slope * a),
    lambda g, out, needs, a, *, slope: (g * np.where(_data(a) > 0, 1, slope).astype(_data(a).dtype),),
)
# a if a > 0 else alpha (e^a - 1):  d/da = 1, or alpha e^a = out + alpha
ELU = TensorOp(
    "elu",
    lambda a, *, alpha: np.where(a > 0, a, alpha * np.expm1(np.minimum(a, 0))),
    lambda g, out, needs, a, *, alpha: (g * where(_data(a) <= 0, out + alpha, 1.0),),  # 1 at nan, as PyTorch
)
ERF = TensorOp("erf", _erf, lambda g, out, needs, a: (g * TWO_OVER_SQRT_PI * exp(-(a * a)),))
GELU = TensorOp("gelu", lambda a: 0.5 * a * (1 + _erf(a / SQRT_2)), _gelu_vjp)
GELU_TANH = TensorOp("gelu", _gelu_tanh_forward, _gelu_tanh_vjp)
# SiLU a sigma(a):  d/da = sigma(a) (1 + a (1 - sigma(a)))
SILU = TensorOp(
    "silu",
    lambda a: a * _sigmoid(a),
    lambda g, out, needs, a: (g * (sigmoid(a) * (1 + a * (1 - sigmoid(a)))),),
)
SOFTPLUS = TensorOp("softplus", _softplus, _softplus_vjp)

SUM = TensorOp("sum", lambda a, *, axis, keepdims: np.sum(a, axis=axis, keepdims=keepdims), _sum_vjp)
MEAN = TensorOp("mean", lambda a, *, axis, keepdims: np.mean(a, axis=axis, keepdims=keepdims), _mean_vjp)
MAX = TensorOp("max", lambda a, *, axis, keepdims: np.max(a, axis=axis, keepdims=keepdims), _max_vjp)
SOFTMAX = TensorOp("softmax", _softmax, _softmax_vjp)
LOG_SOFTMAX = TensorOp("log_softmax", _log_softmax, _log_softmax_vjp)
LOGSUMEXP = TensorOp("logsumexp", _logsumexp, _logsumexp_vjp)

RESHAPE = TensorOp(
    "reshape", lambda a, *, shape: np.reshape(a, shape), lambda g, out, needs, a, *, shape: (g.reshape(a.shape),)
)
TRANSPOSE = TensorOp("transpose", lambda a, *, axes: np.transpose(a, axes), _transpose_vjp)
GETITEM = TensorOp(
    "getitem",
    lambda a, *, index: a[index],
    lambda g, out, needs, a, *, index: (scatter(g, a.shape, index),),
)
# the vjps of indexing, of a sum and of a dtype change: each differentiable, so that
# create_graph works through them
SCATTER = TensorOp("scatter", _scatter, lambda g, out, needs, a, *, shape, index: (g[index],))
BROADCAST = TensorOp(
    "broadcast",
    lambda a, *, shape: np.broadcast_to(a, shape).copy(),
    lambda g, out, needs, a, *, shape: (unbroadcast(g, a.shape),),
)
CAST = TensorOp(
    "cast", lambda a, *, dtype: a.astype(dtype), lambda g, out, needs, a, *, dtype: (cast(g, a.dtype),)
)
# x where a constant mask holds, y elsewhere (see where()):  dx = g where it holds, dy = g elsewhere
WHERE = TensorOp(
    "where",
    lambda a, b, *, condition: np.where(condition, a, b),
    lambda g, out, needs, a, b, *, condition: (where(condition, g, 0.0), where(condition, 0.0, g)),
)
# a differentiable copy: what a gradient shared by two nodes becomes for the second one
COPY = TensorOp("copy", np.copy, lambda g, out, needs, a: (g,))
CONCATENATE = TensorOp(
    "concatenate", lambda *arrays, axis: np.concatenate(arrays, axis=axis), _concatenate_vjp
)
STACK = TensorOp("stack", lambda *arrays, axis: np.stack(arrays, axis=axis), _stack_vjp)

# The node's module, last: it imports this one, and TensorOp.__call__ needs its apply().
from . import tensor  # noqa: E402
