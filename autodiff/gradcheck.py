"""Check analytic gradients against central differences.

numeric d f / d x_i  ~  (f(x + eps e_i) - f(x - eps e_i)) / (2 eps)
"""

from __future__ import annotations

from typing import Any, Callable, Iterator, Sequence

import numpy as np

from . import context
from .engine import grad


class GradcheckError(AssertionError):
    """An analytic gradient disagrees with the central difference."""


def _output_number(out: Any) -> float:
    data = np.asarray(out.data)
    if data.size != 1:
        raise ValueError(f"gradcheck needs fn to return a single number, got shape {data.shape}")
    return float(data.reshape(-1)[0])


def _element_indices(node: Any) -> Iterator[tuple]:
    data = node.data
    if isinstance(data, np.ndarray):
        yield from np.ndindex(data.shape)
    else:
        yield ()


def _get(node: Any, index: tuple) -> float:
    return float(node.data[index]) if index else float(node.data)


def _set(node: Any, index: tuple, value: float) -> None:
    if index:
        node.data[index] = value
    else:
        node.data = value


def _numeric(fn: Callable, inputs: Sequence, node: Any, index: tuple, eps: float) -> float:
    x = _get(node, index)
    try:
        with context.no_grad():
            _set(node, index, x + eps)
            f_plus = _output_number(fn(*inputs))
            _set(node, index, x - eps)
            f_minus = _output_number(fn(*inputs))
    finally:
        _set(node, index, x)
    return (f_plus - f_minus) / (2 * eps)


def gradcheck(
    fn: Callable[..., Any],
    inputs: Sequence[Any],
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
) -> bool:
    """True when every analytic gradient of ``fn(*inputs)`` matches central differences.

    An element passes when |analytic - numeric| <= atol + rtol |numeric|. Otherwise
    raises :class:`GradcheckError` naming the worst input element, with both values.
    ``fn`` must return a single number (a Value, or a one-element Tensor).
    """
    inputs = list(inputs)
    if not inputs:
        raise ValueError("gradcheck needs at least one input")
    analytic = grad(fn(*inputs), inputs)
    worst: tuple[float, str] | None = None
    for position, (node, node_grad) in enumerate(zip(inputs, analytic)):
        values = np.asarray(node_grad.data, dtype=np.float64)
        for index in _element_indices(node):
            a = float(values[index]) if index else float(values)
            n = _numeric(fn, inputs, node, index, eps)
            excess = abs(a - n) - (atol + rtol * abs(n))
            if not excess <= 0 and (worst is None or not excess <= worst[0]):
                name = f"input {position}" + (f" ({node.label!r})" if getattr(node, "label", "") else "")
                where = f" element {index}" if index else ""
                worst = (
                    excess,
                    f"{name}{where}: analytic {a!r} vs numeric {n!r} "
                    f"(|difference| {abs(a - n):.3g} > atol + rtol*|numeric| = {atol + rtol * abs(n):.3g})",
                )
    if worst is not None:
        raise GradcheckError("gradient check failed: " + worst[1])
    return True


def check_op(
    op: Any,
    domain: tuple[float, float] = (-3.0, 3.0),
    n: int = 100,
    seed: int = 0,
    shape: tuple = (3,),
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    params: dict | None = None,
) -> bool:
    """Check a primitive's derivative rule at ``n`` random points of ``domain``: True, or
    :class:`GradcheckError` naming the op, the input, the point, analytic vs numeric.

    - An ``autodiff.Op`` (scalar): each local derivative d(out)/d(input_i) against the
      central difference of ``forward`` in input i; points its ``check`` refuses, or
      where ``forward`` is not finite, are skipped.
    - An ``autodiff.TensorOp``: inputs of ``shape`` and a random upstream gradient g;
      each input's vjp against the central differences of sum(g * forward(...)), with
      the op's keyword ``params`` (an axis, say).

    Both: the rule run on graph nodes (what ``create_graph=True`` does) must give the
    same numbers as on plain floats or arrays.
    """
    from .scalar import Op, Value
    from .tensor import Tensor
    from .tensor_ops import TensorOp

    if not isinstance(op, (Op, TensorOp)):
        raise TypeError(f"check_op needs an autodiff.Op or autodiff.TensorOp, got {type(op).__name__}")
    if op.arity is None:
        raise ValueError(f"check_op: {op!r} takes any number of inputs; give it arity= to be checked")
    low, high = float(domain[0]), float(domain[1])
    if not low < high:
        raise ValueError(f"check_op: domain must be (low, high) with low < high, got {domain!r}")
    rng = np.random.default_rng(seed)
    params = dict(params or {})
    checked = 0
    for _ in range(int(n)):
        if isinstance(op, Op):
            point = [float(v) for v in rng.uniform(low, high, op.arity)]
            if op.check is not None and op.check(*point) is not None:
                continue
            out = op.forward(*point)
            if not np.isfinite(out):
                continue
            analytic = [float(v) for v in op.local(*point, out)]
            numeric = [_central(lambda *x: op.forward(*x), point, i, eps) for i in range(op.arity)]
            values = [Value(v) for v in point]
            on_nodes = [float(v.data if isinstance(v, Value) else v) for v in op.local(*values, op(*values))]
        else:
            point = [rng.uniform(low, high, shape) for _ in range(op.arity)]
            out = op.forward(*point, **params)
            saved = None
            if op.saves:
                out, saved = out
            if not np.all(np.isfinite(out)):
                continue
            g = rng.standard_normal(np.shape(out))
            needs = (True,) * op.arity
            grads = op.vjp(g, saved if op.saves else out, needs, *point, **params)
            analytic = [np.broadcast_to(np.asarray(d, dtype=float), np.shape(x)).ravel() for d, x in zip(grads, point)]
            numeric = [_vjp_numeric(op, point, g, i, eps, params) for i in range(op.arity)]
            tensors = [Tensor(x, requires_grad=True) for x in point]
            node_grads = op.vjp(Tensor(g), op(*tensors, **params), needs, *tensors, **params)
            on_nodes = [np.broadcast_to(np.asarray(d.data, dtype=float), np.shape(x)).ravel()
                        for d, x in zip(node_grads, point)]
        for i in range(op.arity):
            a, m, c = np.ravel(analytic[i]), np.ravel(numeric[i]), np.ravel(on_nodes[i])
            bad = ~(np.abs(a - m) <= atol + rtol * np.abs(m))
            where = f"input {i} at {_point_text(point)}"
            if bad.any():
                k = int(np.argmax(bad))
                raise GradcheckError(
                    f"{op!r}: the derivative rule disagrees with central differences for {where}: "
                    f"analytic {float(a[k])!r} vs numeric {float(m[k])!r}"
                )
            if not np.allclose(a, c, rtol=1e-9, atol=1e-12, equal_nan=True):
                raise GradcheckError(
                    f"{op!r}: the derivative rule gives other numbers on graph nodes (create_graph) than "
                    f"on plain numbers for {where}: {c.tolist()!r} vs {a.tolist()!r}"
                )
        checked += 1
    if checked == 0:
        raise ValueError(f"check_op: no point of the domain {domain!r} is inside {op!r}'s domain")
    return True


def _central(f: Callable, point: list, i: int, eps: float) -> float:
    h = eps * max(1.0, abs(point[i]))
    up, down = list(point), list(point)
    up[i] += h
    down[i] -= h
    return (f(*up) - f(*down)) / (2 * h)


def _vjp_numeric(op: Any, point: list, g: np.ndarray, i: int, eps: float, params: dict) -> np.ndarray:
    """d/dx_i of sum(g * forward(...)), element by element, by central differences."""

    def total(*arrays: np.ndarray) -> float:
        out = op.forward(*arrays, **params)
        return float(np.sum(g * (out[0] if op.saves else out)))

    x = point[i]
    grad = np.zeros(x.size)
    for k in range(x.size):
        h = eps * max(1.0, abs(float(x.flat[k])))
        up, down = x.copy(), x.copy()
        up.flat[k] += h
        down.flat[k] -= h
        grad[k] = (total(*point[:i], up, *point[i + 1:]) - total(*point[:i], down, *point[i + 1:])) / (2 * h)
    return grad


def _point_text(point: list) -> str:
    return "(" + ", ".join(f"{v:.4g}" if isinstance(v, float) else np.array2string(v, precision=4) for v in point) + ")"
