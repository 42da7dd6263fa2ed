"""The tensor primitives: each a forward rule on numpy arrays beside its vector-Jacobian product.

``forward(*arrays, *params) -> array``. ``vjp(g, out, needs, *inputs, *params)`` returns,
for each input, dL/d(input) given g = dL/d(out): the upstream gradient times the
local Jacobian, contracted. ``needs[i]`` is False when input i needs no gradient (its
entry is then None, and nothing is computed for it: the gradient of a matmul with
respect to the data batch is the most expensive product of a training step).

The vjp rules are written with arithmetic, methods (``.sum .reshape .T``) and the
functions below, which work on numpy arrays and on Tensors alike. The engine calls
them on arrays for a plain backward pass and on the Tensors themselves when
``create_graph=True``, which records the gradient's own graph (Hessian-vector products).
One rule spells its plain pass apart, in place on the arrays its forward rule saved: the
softmax cross-entropy, the last op of every training step.

Broadcasting is undone once, in ``Tensor._vjp``: a rule may return a gradient of the
broadcast shape and the engine sums it back to the input's shape.
"""

from __future__ import annotations

import functools
import math
from typing import Any, Callable

import numpy as np

SQRT_2 = math.sqrt(2.0)
SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)

_erf_elementwise = np.frompyfunc(math.erf, 1, 1)


class TensorOp:
    """A primitive on tensors: a name, a forward rule and a vector-Jacobian product.

    ``saves=True``: the forward rule returns ``(output, saved)``, where ``saved`` is an
    array it computed on the way that the vjp needs again (PyTorch's save_for_backward).
    The node keeps it, and a plain backward pass hands it to the vjp as ``out``. With
    ``create_graph=True`` the vjp gets the output Tensor as usual and recomputes what
    it needs from its inputs, so that the gradient is itself part of a graph.

    ``exact=True`` promises that the vjp never leaves broadcasting to undo: given
    inputs of at least one dimension and of the upstream gradient's dtype, it returns
    each input's gradient as an array of exactly that input's shape and dtype. The
    engine then takes the gradients as they are; otherwise (the default, and always
    for a binary op that broadcasts) it checks each one and fits it to its input.
    """

    __slots__ = ("name", "forward", "vjp", "saves", "exact")

    def __init__(
        self,
        name: str,
        forward: Callable[..., Any],
        vjp: Callable[..., tuple],
        saves: bool = False,
        exact: bool = False,
    ) -> None:
        self.name = name
        self.forward = forward
        self.vjp = vjp
        self.saves = saves
        self.exact = exact

    def __repr__(self) -> str:
        return f"TensorOp({self.name!r})"


# ---------------------------------------------------------------------------------------
# Functions on arrays and Tensors alike (the vocabulary of the vjp rules)
# ---------------------------------------------------------------------------------------


def _is_tensor(x: Any) -> bool:
    return hasattr(x, "_vjp")


def exp(x: Any) -> Any:
    return x.exp() if _is_tensor(x) else np.exp(x)


def log(x: Any) -> Any:
    return x.log() if _is_tensor(x) else np.log(x)


def tanh(x: Any) -> Any:
    return x.tanh() if _is_tensor(x) else np.tanh(x)


def sigmoid(x: Any) -> Any:
    return x.sigmoid() if _is_tensor(x) else _sigmoid(x)


def softmax(x: Any, axis: int) -> Any:
    return x.softmax(axis) if _is_tensor(x) else _softmax(x, axis)


def log_softmax(x: Any, axis: int) -> Any:
    return x.log_softmax(axis) if _is_tensor(x) else _log_softmax(x, axis)


def erf(x: Any) -> Any:
    return x.erf() if _is_tensor(x) else _erf(x)


def cast(x: Any, dtype: np.dtype) -> Any:
    """x in another float dtype; its vjp casts the gradient back."""
    if _is_tensor(x):
        return x._apply(CAST, (x,), (np.dtype(dtype),))
    return x.astype(dtype)


def broadcast_to(x: Any, shape: tuple) -> Any:
    """x repeated to ``shape`` (the vjp of a sum); a fresh writable array for numpy input."""
    if _is_tensor(x):
        return x._apply(BROADCAST, (x,), (tuple(shape),))
    out = np.empty(shape, dtype=x.dtype)  # np.broadcast_to + copy costs 3 us in Python
    out[...] = x
    return out


def scatter(g: Any, shape: tuple, index: Any) -> Any:
    """Zeros of ``shape`` with g added at ``index`` (repeated indices accumulate): the vjp of indexing."""
    if _is_tensor(g):
        return g._apply(SCATTER, (g,), (tuple(shape), index))
    return _scatter(g, shape, index)


# numpy reduces along a row by a loop it sets up for every row: for rows up to this
# long, the two shortcuts below (one call over all the rows) are 2-3x faster
SHORT_ROW = 64


def _sum(x: Any, axis: Any, keepdims: bool = False) -> Any:
    """x summed along ``axis`` (a Tensor's sum op for a Tensor).

    For an array, numpy's reduction itself (``ndarray.sum`` adds a Python wrapper), except
    for the two sums a training step makes at every layer, which are a product with a
    vector of ones instead, one BLAS call: a matrix's column sums (a bias gradient: the
    same additions, row after row, as numpy's) and the sums of short rows over the last
    axis (a softmax's normalizer; 1 us against 3 us for 64 rows of 10)."""
    if x.__class__ is not np.ndarray:
        return x.sum(axis=axis, keepdims=keepdims)
    if x.ndim == 2 and axis == 0:
        sums = _ones((x.shape[0],), x.dtype) @ x
        return sums[None] if keepdims else sums
    if keepdims and x.ndim and (axis == -1 or axis == x.ndim - 1) and x.shape[-1] <= SHORT_ROW:
        return x @ _ones((x.shape[-1], 1), x.dtype)
    return np.add.reduce(x, axis=axis, keepdims=keepdims)


@functools.lru_cache(maxsize=64)
def _ones(shape: tuple, dtype: np.dtype) -> np.ndarray:
    """A read-only array of ones, made once for each shape and dtype."""
    ones = np.ones(shape, dtype)
    ones.flags.writeable = False
    return ones


def unbroadcast(g: Any, shape: tuple) -> Any:
    """Sum g over the axes broadcasting added or stretched, so it has ``shape`` again."""
    extra = g.ndim - len(shape)
    if extra == 1 and g.shape[1:] == shape:
        return _sum(g, 0)  # the common case: a bias added to every row
    axes = tuple(range(extra)) + tuple(
        extra + i for i, n in enumerate(shape) if n == 1 and g.shape[extra + i] != 1
    )
    if axes:
        g = _sum(g, axes, keepdims=True)
    return g.reshape(shape) if extra else g


# ---------------------------------------------------------------------------------------
# Numerically careful forward rules on arrays
# ---------------------------------------------------------------------------------------


def _overflow_bound(dtype: np.dtype) -> float:
    """A little below log(the largest float): e to this power is still finite."""
    return float(np.log(np.finfo(dtype).max)) - 1.0


_EXP_LIMIT = {np.dtype(t): _overflow_bound(np.dtype(t)) for t in (np.float16, np.float32, np.float64)}


def _sigmoid(a: np.ndarray) -> np.ndarray:
    """1 / (1 + e^-a). Where e^-a would overflow, sigma(a) is 0 to working precision
    anyway, so -a is clipped there first. One new array, then in place."""
    z = np.asarray(np.negative(a))  # asarray: a 0-d input gives a numpy scalar
    np.minimum(z, _EXP_LIMIT.get(a.dtype) or _overflow_bound(a.dtype), out=z)
    np.exp(z, out=z)
    z += 1
    return np.reciprocal(z, out=z)


def _logsumexp(a: np.ndarray, axis: Any, keepdims: bool) -> np.ndarray:
    """log sum e^a = m + log sum e^(a - m), m the max: finite for logits of +-1000."""
    m = np.maximum.reduce(a, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)  # a slice of all -inf sums to 0: log 0 = -inf, not nan
    out = np.log(np.add.reduce(np.exp(a - m), axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis) if axis is not None else out.reshape(())


def _max_keepdims(a: np.ndarray, axis: Any) -> np.ndarray:
    """The max along ``axis``, kept as an axis of size 1. The maxima of a matrix's short
    rows (a softmax over a few classes) are taken from a transposed copy, across its
    rows: one vectorized pass per column, twice as fast as numpy's loop along each row."""
    if a.ndim == 2 and (axis == -1 or axis == 1) and a.shape[1] <= SHORT_ROW:
        return np.maximum.reduce(a.T.copy(), axis=0)[:, None]
    return np.maximum.reduce(a, axis=axis, keepdims=True)


def _softmax(a: np.ndarray, axis: int) -> np.ndarray:
    """e^(a - m) / sum e^(a - m), m the max along the axis."""
    e = np.exp(a - _max_keepdims(a, axis))
    e /= _sum(e, axis, keepdims=True)
    return e


def _log_softmax(a: np.ndarray, axis: int) -> np.ndarray:
    """(a - m) - log sum e^(a - m), m the max along the axis."""
    shifted = a - _max_keepdims(a, axis)
    shifted -= np.log(_sum(np.exp(shifted), axis, keepdims=True))
    return shifted


def _erf(a: np.ndarray) -> np.ndarray:
    return np.asarray(_erf_elementwise(a)).astype(a.dtype)


def _softplus(a: np.ndarray, beta: float, threshold: float) -> np.ndarray:
    """log(1 + e^(beta a)) / beta, and a itself once beta a > threshold (PyTorch's rule)."""
    z = beta * a
    smooth = (np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))) / beta
    return np.where(z > threshold, a, smooth)


def _scatter(g: np.ndarray, shape: tuple, index: Any) -> np.ndarray:
    out = np.zeros(shape, dtype=g.dtype)
    if _is_advanced(index):
        np.add.at(out, index, g)
    else:
        out[index] = g  # basic indexing selects each element at most once
    return out


def _is_advanced(index: Any) -> bool:
    parts = index if isinstance(index, tuple) else (index,)
    return any(isinstance(p, (np.ndarray, list)) for p in parts)


def _matmul_check(a: np.ndarray, b: np.ndarray) -> None:
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(f"matmul needs at least 1-D operands, got shapes {a.shape} and {b.shape}")
    inner_a = a.shape[-1]
    inner_b = b.shape[-2] if b.ndim > 1 else b.shape[0]
    if inner_a != inner_b:
        raise ValueError(
            f"matmul of shapes {a.shape} and {b.shape}: inner dimensions differ ({inner_a} != {inner_b})"
        )


# ---------------------------------------------------------------------------------------
# vjp rules that need more than one line
# ---------------------------------------------------------------------------------------


def _matmul_vjp(g, out, needs, a, b):
    """C = A B:  dA = G B^T, dB = A^T G (vectors are lifted to matrices and back)."""
    if a.ndim == 2 and b.ndim == 2:  # the common case, without the reshapes
        return (g @ b.T if needs[0] else None, a.T @ g if needs[1] else None)
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
    if x.ndim == 2:
        return x.T
    axes = list(range(x.ndim))
    axes[-1], axes[-2] = axes[-2], axes[-1]
    return x.transpose(*axes)


def _pow_vjp(g, out, needs, a, b):
    """a^b:  d/da = b a^(b-1);  d/db = a^b ln a (a > 0)."""
    da = g * b * a ** (b - 1) if needs[0] else None
    db = g * out * log(a) if needs[1] else None
    return da, db


def _keep_reduced_axes(g: Any, shape: tuple, axis: Any, keepdims: bool) -> Any:
    """Put back the axes a reduction removed (as size 1), so g broadcasts against the input."""
    if keepdims or axis is None:
        return g.reshape((1,) * len(shape)) if axis is None else g
    axes = (axis,) if isinstance(axis, int) else axis
    axes = sorted(ax % len(shape) for ax in axes)
    kept = list(g.shape)
    for ax in axes:
        kept.insert(ax, 1)
    return g.reshape(tuple(kept))


def _sum_vjp(g, out, needs, a, axis, keepdims):
    """sum: every input element gets the gradient of its sum."""
    return (broadcast_to(_keep_reduced_axes(g, a.shape, axis, keepdims), a.shape),)


def _mean_vjp(g, out, needs, a, axis, keepdims):
    """mean = sum / n: every input element gets g / n."""
    n = a.size // max(out.size, 1) if a.size else 1
    return (broadcast_to(_keep_reduced_axes(g, a.shape, axis, keepdims), a.shape) / n,)


def _max_vjp(g, out, needs, a, axis, keepdims):
    """max: the gradient goes to the maximal elements, shared evenly among ties."""
    data = _data(a)
    peak = _data(out) if keepdims or axis is None else np.max(data, axis=axis, keepdims=True)
    mask = (data == peak.reshape((1,) * data.ndim) if axis is None else data == peak).astype(data.dtype)
    mask /= _sum(mask, axis, keepdims=True)
    return (_keep_reduced_axes(g, a.shape, axis, keepdims) * mask,)


def _transpose_vjp(g, out, needs, a, axes):
    inverse = None if axes is None else tuple(np.argsort(axes))
    return (g.transpose(*inverse) if inverse is not None else g.T,)


def _softmax_vjp(g, out, needs, a, axis):
    """s = softmax(a):  da = s (g - sum(g s))  along the axis."""
    return (out * (g - _sum(g * out, axis, keepdims=True)),)


def _log_softmax_vjp(g, out, needs, a, axis):
    """l = log softmax(a):  da = g - softmax(a) sum(g)  along the axis (d l_i/d a_j = δ_ij - s_j)."""
    return (g - exp(out) * _sum(g, axis, keepdims=True),)


def _logsumexp_vjp(g, out, needs, a, axis, keepdims):
    """d/da log sum e^a = softmax(a)."""
    return (_keep_reduced_axes(g, a.shape, axis, keepdims) * softmax(a, axis if axis is not None else None),)


def _gelu_vjp(g, out, needs, a):
    """x Phi(x):  d/dx = Phi(x) + x phi(x)."""
    return (g * (0.5 * (1 + erf(a * (1 / SQRT_2))) + a * INV_SQRT_2PI * exp(-0.5 * (a * a))),)


def _gelu_tanh_forward(a):
    return 0.5 * a * (1 + np.tanh(SQRT_2_OVER_PI * (a + 0.044715 * a * a * a)))


def _gelu_tanh_vjp(g, out, needs, a):
    t = tanh(SQRT_2_OVER_PI * (a + 0.044715 * (a * a * a)))
    return (g * (0.5 * (1 + t) + 0.5 * a * (1 - t * t) * SQRT_2_OVER_PI * (1 + 0.134145 * (a * a))),)


def _softplus_vjp(g, out, needs, a, beta, threshold):
    """d/da softplus = sigmoid(beta a), and 1 in the linear part."""
    linear = (_data(a) * beta > threshold).astype(_data(a).dtype)
    return (g * (linear + (1 - linear) * sigmoid(beta * a)),)


def _linear_forward(x, w, b):
    """x @ W + b, the bias added in place (one array instead of two)."""
    out = x @ w
    out += b
    return out


def _linear_vjp(g, out, needs, x, w, b):
    """Z = X W + b:  dX = G W^T, dW = X^T G, db = G summed over the rows.
    An X of any other number of axes, (..., in), is taken as its rows (n, in)."""
    if g.ndim != 2:
        x, g_rows = x.reshape((-1, x.shape[-1])), g.reshape((-1, g.shape[-1]))
    else:
        g_rows = g
    return (
        g @ w.T if needs[0] else None,
        x.T @ g_rows if needs[1] else None,
        _sum(g_rows, 0) if needs[2] else None,
    )


def _per_row(g: Any, z: Any, reduction: str, classes: int = -1) -> Any:
    """The upstream gradient of each row's loss, shaped to broadcast over its classes
    (on axis ``classes`` of the array it multiplies: -1, or 0 for classes x rows)."""
    if reduction == "none":
        return g.reshape(-1) if classes == 0 else g.reshape(g.shape + (1,))
    if g.__class__ is np.ndarray and g.ndim == 0:
        g = float(g)  # a number times the rows: cheaper than a 0-d array, and keeps their dtype
    if reduction == "mean":
        return g * (1.0 / max(z.size // z.shape[-1], 1))
    return g


def _classes_by_rows(x: np.ndarray) -> np.ndarray:
    """A copy of x (rows of classes, classes on the last axis) as a classes x rows matrix."""
    return (x if x.ndim == 2 else x.reshape((-1, x.shape[-1]))).T.copy()


def _cross_entropy_forward(z, t, reduction):
    """Each row's -Σ_c t_c log softmax(z)_c (classes on the last axis), then none, sum or
    mean. Saved for the backward pass: the log-softmax, the targets, and the axis of
    their classes. Rows of up to SHORT_ROW classes are worked on as classes x rows
    copies (axis 0), where the max and the sum over each row's classes are one
    vectorized pass across all the rows instead of a loop over them; longer rows as
    they are (axis -1)."""
    if z.shape[-1] <= SHORT_ROW:
        # _log_softmax along axis 0, in place on the copy (a new array each step costs 1-2%)
        log_probs, t, classes = _classes_by_rows(z), _classes_by_rows(t), 0
        log_probs -= np.maximum.reduce(log_probs, axis=0)
        log_probs -= np.log(_sum(np.exp(log_probs), 0))
    else:
        log_probs, classes = _log_softmax(z, -1), -1
    if reduction == "none":
        loss = np.negative(np.add.reduce(t * log_probs, axis=classes)).reshape(z.shape[:-1])
        return loss, (log_probs, t, classes)
    loss = -np.vdot(t, log_probs)  # the sum over every row and class: one BLAS dot product
    if reduction == "mean":
        loss = loss / max(z.size // z.shape[-1], 1)
    return loss, (log_probs, t, classes)


def _cross_entropy_vjp(g, out, needs, z, t, reduction):
    """dL/dz = softmax(z) Σ_c t_c - t  (softmax - onehot for a one-hot t);  dL/dt = -log softmax(z);
    each row times its upstream gradient g_row.

    On a plain backward pass, in place on what the forward rule saved (with the classes
    on axis 0 or -1). With create_graph, on the Tensors (the log-softmax recomputed)."""
    if z.__class__ is np.ndarray:
        log_probs, targets, classes = out
        g_row = _per_row(g, z, reduction, classes)
        dz = dt = None
        if needs[0]:
            dz = np.exp(log_probs)
            dz *= _sum(targets, classes, keepdims=True)  # Σ_c t_c for each row
            dz -= targets
            dz *= g_row
            if classes == 0:
                dz = dz.T.reshape(z.shape)
        if needs[1]:
            dt = log_probs * -g_row
            if classes == 0:
                dt = dt.T.reshape(t.shape)
        return dz, dt
    log_probs = log_softmax(z, -1)
    g_row = _per_row(g, z, reduction)
    dz = (exp(log_probs) * _sum(t, -1, keepdims=True) - t) * g_row if needs[0] else None
    dt = -log_probs * g_row if needs[1] else None
    return dz, dt


def _concatenate_forward(*args):
    *arrays, axis = args
    return np.concatenate(arrays, axis=axis)


def _concatenate_vjp(g, out, needs, *args):
    """Each input gets its own slice of g along the axis."""
    *inputs, axis = args
    grads, start = [], 0
    for x, needed in zip(inputs, needs):
        stop = start + x.shape[axis]
        index = (slice(None),) * (axis % g.ndim) + (slice(start, stop),)
        grads.append(g[index] if needed else None)
        start = stop
    return tuple(grads)


def _stack_forward(*args):
    *arrays, axis = args
    return np.stack(arrays, axis=axis)


def _stack_vjp(g, out, needs, *args):
    """Each input gets its own index of g along the new axis."""
    *inputs, axis = args
    axis = axis % g.ndim
    return tuple(
        g[(slice(None),) * axis + (i,)] if needed else None for i, needed in enumerate(needs)
    )


def _data(x: Any) -> np.ndarray:
    """The numbers of a Tensor or array (masks and ties are constants, not part of the graph)."""
    return x.data if _is_tensor(x) else x


def _positive(x: Any) -> np.ndarray:
    """Where x > 0, as booleans (multiplying by them keeps a float32 gradient float32)."""
    return _data(x) > 0


def _mask(x: Any, positive: float, other: float) -> np.ndarray:
    data = _data(x)
    return np.where(data > 0, positive, other).astype(data.dtype)


# ---------------------------------------------------------------------------------------
# The primitives
# ---------------------------------------------------------------------------------------
# exact=True: the vjp returns each input's gradient in that input's own shape. The
# elementwise binary ops and matmul broadcast, so their gradients are summed back by the engine.

ADD = TensorOp("+", np.add, lambda g, out, needs, a, b: (g if needs[0] else None, g if needs[1] else None))
SUB = TensorOp("-", np.subtract, lambda g, out, needs, a, b: (g if needs[0] else None, -g if needs[1] else None))
MUL = TensorOp(
    "*", np.multiply, lambda g, out, needs, a, b: (g * b if needs[0] else None, g * a if needs[1] else None)
)
# a / b:  d/da = 1/b, d/db = -a/b^2 = -out/b
DIV = TensorOp(
    "/", np.divide, lambda g, out, needs, a, b: (g / b if needs[0] else None, -g * out / b if needs[1] else None)
)
POW = TensorOp("**", np.power, _pow_vjp)
# a ** c for a constant c:  d/da = c a^(c-1)
POW_CONST = TensorOp(
    "**c", np.power, lambda g, out, needs, a, c: (g * 0.0 if c == 0 else g * c * a ** (c - 1),), exact=True
)
MATMUL = TensorOp("@", np.matmul, _matmul_vjp)
NEG = TensorOp("neg", np.negative, lambda g, out, needs, a: (-g,), exact=True)

EXP = TensorOp("exp", np.exp, lambda g, out, needs, a: (g * out,), exact=True)
LOG = TensorOp("log", np.log, lambda g, out, needs, a: (g / a,), exact=True)
SQRT = TensorOp("sqrt", np.sqrt, lambda g, out, needs, a: (g * 0.5 / out,), exact=True)
ABS = TensorOp("abs", np.abs, lambda g, out, needs, a: (g * np.sign(_data(a)),), exact=True)
TANH = TensorOp("tanh", np.tanh, lambda g, out, needs, a: (g * (1 - out * out),), exact=True)
SIGMOID = TensorOp("sigmoid", _sigmoid, lambda g, out, needs, a: (g * (out * (1 - out)),), exact=True)
RELU = TensorOp("relu", lambda a: np.maximum(a, 0), lambda g, out, needs, a: (g * _positive(a),), exact=True)
LEAKY_RELU = TensorOp(
    "leaky_relu",
    lambda a, s: np.where(a > 0, a, s * a),
    lambda g, out, needs, a, s: (g * _mask(a, 1, s),),
    exact=True,
)
# a if a > 0 else alpha (e^a - 1):  d/da = 1, or alpha e^a = out + alpha
ELU = TensorOp(
    "elu",
    lambda a, alpha: np.where(a > 0, a, alpha * np.expm1(np.minimum(a, 0))),
    lambda g, out, needs, a, alpha: (g * (_mask(a, 1, 0) + _mask(a, 0, 1) * (out + alpha)),),
    exact=True,
)
ERF = TensorOp("erf", _erf, lambda g, out, needs, a: (g * TWO_OVER_SQRT_PI * exp(-(a * a)),), exact=True)
GELU = TensorOp("gelu", lambda a: 0.5 * a * (1 + _erf(a / SQRT_2)), _gelu_vjp, exact=True)
GELU_TANH = TensorOp("gelu", _gelu_tanh_forward, _gelu_tanh_vjp, exact=True)
# SiLU a sigma(a):  d/da = sigma(a) (1 + a (1 - sigma(a)))
SILU = TensorOp(
    "silu",
    lambda a: a * _sigmoid(a),
    lambda g, out, needs, a: (g * (sigmoid(a) * (1 + a * (1 - sigmoid(a)))),),
    exact=True,
)
SOFTPLUS = TensorOp("softplus", _softplus, _softplus_vjp, exact=True)

SUM = TensorOp(
    "sum", lambda a, axis, keepdims: np.add.reduce(a, axis=axis, keepdims=keepdims), _sum_vjp, exact=True
)
MEAN = TensorOp("mean", lambda a, axis, keepdims: a.mean(axis=axis, keepdims=keepdims), _mean_vjp, exact=True)
MAX = TensorOp(
    "max", lambda a, axis, keepdims: np.maximum.reduce(a, axis=axis, keepdims=keepdims), _max_vjp, exact=True
)
SOFTMAX = TensorOp("softmax", _softmax, _softmax_vjp, exact=True)
LOG_SOFTMAX = TensorOp("log_softmax", _log_softmax, _log_softmax_vjp, exact=True)
LOGSUMEXP = TensorOp("logsumexp", _logsumexp, _logsumexp_vjp, exact=True)

RESHAPE = TensorOp("reshape", np.reshape, lambda g, out, needs, a, shape: (g.reshape(a.shape),), exact=True)
TRANSPOSE = TensorOp("transpose", np.transpose, _transpose_vjp, exact=True)
GETITEM = TensorOp(
    "getitem",
    lambda a, index: a[index],
    lambda g, out, needs, a, index: (scatter(g, a.shape, index),),
    exact=True,
)
# the vjp of indexing, and of a sum: each differentiable, so create_graph works through them
SCATTER = TensorOp("scatter", _scatter, lambda g, out, needs, a, shape, index: (g[index],), exact=True)
BROADCAST = TensorOp(
    "broadcast",
    lambda a, shape: np.array(np.broadcast_to(a, shape)),
    lambda g, out, needs, a, shape: (unbroadcast(g, a.shape),),
    exact=True,
)
CAST = TensorOp(
    "cast", lambda a, dtype: a.astype(dtype), lambda g, out, needs, a, dtype: (cast(g, a.dtype),), exact=True
)
CONCATENATE = TensorOp("concatenate", _concatenate_forward, _concatenate_vjp, exact=True)
STACK = TensorOp("stack", _stack_forward, _stack_vjp, exact=True)

# fused forms of what a layer and a loss do every step: fewer nodes, fewer temporaries
LINEAR = TensorOp("linear", _linear_forward, _linear_vjp, exact=True)
CROSS_ENTROPY = TensorOp("cross_entropy", _cross_entropy_forward, _cross_entropy_vjp, saves=True, exact=True)
