"""``check_op``: is a primitive's derivative rule right? Checked against central differences.

For a scalar op y = f(x_1, ..., x_k), at random points of a domain (and at its two
edges), each local derivative the rule gives, df/dx_i, is compared with

    (f(..., x_i + h, ...) - f(..., x_i - h, ...)) / (2h).

Where f has a kink inside [x_i - h, x_i + h] (relu or abs at 0), the central difference
is the average of the two slopes, and any number between the one-sided differences
(f(x + h) - f(x)) / h and (f(x) - f(x - h)) / h is accepted (a subgradient: PyTorch's
relu takes the left slope, 0, at 0).

For a tensor op, the vector-Jacobian product is checked: with inputs of random shapes
that broadcast against each other and a random upstream gradient g, the vjp's gradient
for input i (summed back over broadcast axes, as the engine does) against the central
differences of sum(g * forward(...)) in each element of input i.

Both kinds: the rule run on graph nodes (what ``create_graph=True`` does) must give the
same numbers as on plain floats or arrays.

The result is an :class:`OpCheckReport`, which an autograder can score and store; a
failed check raises :class:`~autodiff.gradcheck.GradcheckError` (carrying the report)
unless asked not to.
"""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

from . import checks
from .gradcheck import GradcheckError
from .scalar import Op, Value
from .tensor import Tensor
from .tensor_ops import TensorOp, unbroadcast


class OpCheckFailure:
    """One point where the rule is wrong: for ``input`` at ``point``, the derivative
    ``expected`` (from central differences) and the one ``given`` (by the rule), or, for
    ``kind`` "graph", the numbers on plain inputs and on graph nodes; "shape" when the
    gradient cannot be summed to the input's shape."""

    __slots__ = ("input", "point", "expected", "given", "kind", "element", "kink")

    def __init__(self, input: int, point: list, expected: Any, given: Any, kind: str = "rule",
                 element: tuple | None = None, kink: tuple | None = None) -> None:
        self.input = input
        self.point = point
        self.expected = expected
        self.given = given
        self.kind = kind
        self.element = element  # for a tensor op: the element of the input's gradient
        self.kink = kink  # at a kink: the left and right slopes, either of which would do

    def __repr__(self) -> str:
        return f"OpCheckFailure(input={self.input}, kind={self.kind!r}, expected={self.expected!r}, given={self.given!r})"

    def to_dict(self) -> dict:
        return {
            "input": self.input,
            "point": [_json_number(x) if np.ndim(x) == 0 else _json_list(x) for x in self.point],
            "expected": _json_list(self.expected) if np.ndim(self.expected) else _json_number(self.expected),
            "given": _json_list(self.given) if np.ndim(self.given) else _json_number(self.given),
            "kind": self.kind,
            "element": None if self.element is None else list(self.element),
            "kink": None if self.kink is None else [_json_number(v) for v in self.kink],
        }


class OpCheckReport:
    """What :func:`check_op` found: ``checked`` points, the ``failures`` (at most one per
    point), ``score`` = the share of points where the rule is right (0 to 1), ``passed``
    (also the report's truth value) and ``to_dict()`` for an autograder (JSON-safe)."""

    def __init__(self, op: Any, checked: int, failures: list) -> None:
        self.op = op
        self.checked = checked
        self.failures = failures

    @property
    def passed(self) -> bool:
        return not self.failures

    def __bool__(self) -> bool:
        return self.passed

    @property
    def score(self) -> float:
        return (self.checked - len(self.failures)) / self.checked

    def message(self) -> str:
        """The first failure in words ("" when the check passed)."""
        if not self.failures:
            return ""
        f = self.failures[0]
        element = f" element {f.element}" if f.element is not None else ""
        where = f"input {f.input}{element} at {_point_text(f.point)}"
        if f.kind == "graph":
            text = (f"the derivative rule gives other numbers on graph nodes (create_graph) than on "
                    f"plain numbers for {where}: {_value_text(f.given)} vs {_value_text(f.expected)}")
        elif f.kind == "shape":
            text = f"the vjp gives {where} a gradient of shape {f.given}, which does not fit its shape {f.expected}"
        elif f.kink is not None:
            left, right = (_value_text(v) for v in f.kink)
            text = (f"the derivative rule is wrong for {where}, a kink: expected a slope between {left} "
                    f"and {right} (the one-sided differences), given {_value_text(f.given)}")
        else:
            text = (f"the derivative rule is wrong for {where}: expected {_value_text(f.expected)} "
                    f"(central differences), given {_value_text(f.given)}")
        more = len(self.failures) - 1
        tail = f" ({more} more of {self.checked} points fail)" if more else ""
        return f"{self.op!r}: {text}{tail}"

    def __repr__(self) -> str:
        return f"OpCheckReport({self.op!r}, checked={self.checked}, failures={len(self.failures)}, score={self.score:.3g})"

    def to_dict(self) -> dict:
        return {
            "op": self.op.name,
            "passed": self.passed,
            "score": self.score,
            "checked": self.checked,
            "failures": [f.to_dict() for f in self.failures],
            "message": self.message(),
        }


def check_op(
    op: Any,
    domain: tuple[float, float] = (-3.0, 3.0),
    n: int = 100,
    seed: int = 0,
    shape: Any = None,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    params: dict | None = None,
    raise_on_failure: bool = True,
) -> OpCheckReport:
    """Check a primitive's derivative rule at ``n`` points of ``domain`` (its two edges
    among them): an :class:`OpCheckReport`, true when the rule holds everywhere. If it
    does not, :class:`GradcheckError` naming the op, the input, the point, the expected
    and the given derivative (``raise_on_failure=False``: the report says it instead).

    - ``autodiff.Op``: each local derivative against the central difference of
      ``forward`` (a kink between the two sides: any slope between the one-sided
      differences). Points the op's ``check`` refuses, or where ``forward`` is not
      finite, are skipped.
    - ``autodiff.TensorOp``: inputs of random shapes (up to 3 axes) that broadcast
      against each other, or all of ``shape`` (or ``shape[i]`` for input i, given a list
      of shapes) for an op that needs its own; the op's keyword ``params`` (an axis).
      Shapes its forward rule refuses are skipped.

    A point passes where |given - expected| <= atol + rtol |expected|.
    """
    if not isinstance(op, (Op, TensorOp)):
        raise TypeError(f"check_op: op must be an autodiff.Op or autodiff.TensorOp, got {type(op).__name__}")
    if op.arity is None:
        raise ValueError(f"check_op: {op!r} takes any number of inputs; give it arity= to be checked")
    if not isinstance(domain, (tuple, list)) or len(domain) != 2:
        raise TypeError(f"check_op: domain must be two numbers (low, high), got {domain!r}")
    low, high = (checks.real(v, "check_op", "domain") for v in domain)
    if not low < high:
        raise ValueError(f"check_op: domain must be (low, high) with low < high, got {domain!r}")
    n = checks.whole(n, "check_op", "n", minimum=1)
    if not (seed is None or isinstance(seed, (np.random.Generator, np.random.SeedSequence))):
        seed = checks.whole(seed, "check_op", "seed", minimum=0)
    rng = np.random.default_rng(seed)
    eps = checks.real(eps, "check_op", "eps", low=0.0, low_open=True)
    tol = (checks.real(atol, "check_op", "atol", low=0.0), checks.real(rtol, "check_op", "rtol", low=0.0))
    checks.flag(raise_on_failure, "check_op", "raise_on_failure")
    if params is not None and not isinstance(params, dict):
        raise TypeError(f"check_op: params must be a dict of the op's keyword parameters, got {type(params).__name__}")
    if shape is not None:
        shape = _checked_shapes(shape, op.arity)
    check_point = _check_scalar_point if isinstance(op, Op) else _check_tensor_point
    checked, failures = 0, []
    for k in range(n):
        edge = low if k == 0 else high if k == 1 and n > 1 else None
        outcome = check_point(op, rng, low, high, edge, eps, tol, shape, dict(params or {}))
        if outcome is None:  # outside the op's domain
            continue
        checked += 1
        if outcome is not True:
            failures.append(outcome)
    if checked == 0:
        raise ValueError(f"check_op: no point of the domain {domain!r} is inside {op!r}'s domain")
    report = OpCheckReport(op, checked, failures)
    if failures and raise_on_failure:
        raise GradcheckError(report.message(), report=report)
    return report


# -- a scalar op ---------------------------------------------------------------------


def _check_scalar_point(op, rng, low, high, edge, eps, tol, shape, params):
    """True, an OpCheckFailure, or None (a point outside the op's domain)."""
    point = [edge] * op.arity if edge is not None else [float(v) for v in rng.uniform(low, high, op.arity)]
    if op.check is not None and op.check(*point) is not None:
        return None
    try:
        out = op.forward(*point)
    except (ValueError, ZeroDivisionError, OverflowError):
        return None
    if not math.isfinite(out):
        return None
    given = [float(v) for v in op.local(*point, out)]
    values = [Value(v) for v in point]
    try:
        on_nodes = [float(v.data if isinstance(v, Value) else v) for v in op.local(*values, op(*values))]
    except Exception as error:  # the rule must also run on Values, for create_graph
        raise TypeError(
            f"check_op: {op!r}'s local rule fails on Values (what create_graph=True runs it on): "
            f"{type(error).__name__}: {error}; write it with arithmetic and autodiff.scalar's exp, log, ..."
        ) from error
    for i in range(op.arity):
        slopes = _slopes(op.forward, point, out, i, eps)
        if slopes is None:
            continue  # the function is not finite beside the point
        central, left, right = slopes
        if not (_close(given[i], central, tol) or _between(given[i], left, right, tol)):
            kink = None if _close(left, right, tol) else (left, right)
            return OpCheckFailure(i, point, central, given[i], kink=kink)
        if not _close(on_nodes[i], given[i], (1e-12, 1e-9)):
            return OpCheckFailure(i, point, given[i], on_nodes[i], kind="graph")
    return True


def _slopes(f: Callable, point: list, f_mid: float, i: int, eps: float) -> tuple | None:
    """The central, left and right differences of f in input i at point (f_mid = f(point))."""
    h = eps * max(1.0, abs(point[i]))
    up, down = list(point), list(point)
    up[i] += h
    down[i] -= h
    try:
        f_up, f_down = f(*up), f(*down)
    except (ValueError, ZeroDivisionError, OverflowError):
        return None
    if not (math.isfinite(f_up) and math.isfinite(f_down)):
        return None
    return (f_up - f_down) / (2 * h), (f_mid - f_down) / h, (f_up - f_mid) / h


def _close(given: Any, expected: Any, tol: tuple) -> bool:
    atol, rtol = tol
    return bool(np.all(np.abs(np.subtract(given, expected)) <= atol + rtol * np.abs(expected)))


def _between(x: float, a: float, b: float, tol: tuple) -> bool:
    """x within [min(a, b), max(a, b)], up to the tolerance (a kink: a and b differ)."""
    atol, rtol = tol
    if _close(a, b, tol):
        return False  # no kink here: the central difference alone decides
    margin = atol + rtol * max(abs(a), abs(b))
    return min(a, b) - margin <= x <= max(a, b) + margin


# -- a tensor op ---------------------------------------------------------------------


def _check_tensor_point(op, rng, low, high, edge, eps, tol, shape, params):
    tries = [_shapes(op.arity, rng, shape)]
    if shape is None and op.arity > 1:
        tries.append([_shapes(1, rng, None)[0]] * op.arity)  # one shape for all of them
    for shapes in tries:
        point = [np.full(s, edge) if edge is not None else rng.uniform(low, high, s) for s in shapes]
        try:
            out = op.forward(*point, **params)
        except (ValueError, IndexError, TypeError):
            continue  # shapes the op does not take: try one shape for all, then give up
        break
    else:
        return None
    saved = None
    if op.saves:
        out, saved = out
    if not np.all(np.isfinite(out)):
        return None
    g = rng.standard_normal(np.shape(out))
    needs = (True,) * op.arity
    grads = op.vjp(g, saved if op.saves else out, needs, *point, **params)
    tensors = [Tensor(x, requires_grad=True) for x in point]
    node_grads = op.vjp(Tensor(g), op(*tensors, **params), needs, *tensors, **params)
    for i, x in enumerate(point):
        given = _summed_to(np.asarray(grads[i], dtype=float), x.shape)
        if given is None:
            return OpCheckFailure(i, point, x.shape, tuple(np.shape(grads[i])), kind="shape")
        expected = _vjp_numeric(op, point, g, i, eps, params)
        if not _close(given, expected, tol):
            k = int(np.argmax(~(np.abs(given - expected) <= tol[0] + tol[1] * np.abs(expected))))
            element = tuple(int(j) for j in np.unravel_index(k, x.shape))
            return OpCheckFailure(i, point, float(expected.flat[k]), float(given.flat[k]), element=element)
        on_nodes = _summed_to(np.asarray(getattr(node_grads[i], "data", node_grads[i]), dtype=float), x.shape)
        if on_nodes is None or not _close(on_nodes, given, (1e-12, 1e-9)):
            return OpCheckFailure(i, point, given, on_nodes, kind="graph")
    return True


def _checked_shapes(shape: Any, arity: int) -> Any:
    """``shape``, one shape for every input, or a list of one per input; each a tuple of ints >= 0."""
    if isinstance(shape, list) and shape and all(isinstance(s, (tuple, list)) for s in shape):
        if len(shape) != arity:
            raise ValueError(f"check_op: shape gives {len(shape)} shapes for an op of {arity} inputs")
        return [checks.shape(s, "check_op", f"shape[{i}]") for i, s in enumerate(shape)]
    return checks.shape(shape, "check_op")


def _shapes(k: int, rng: np.random.Generator, shape: Any) -> list:
    """k input shapes: random ones that broadcast together (each the common shape with
    some leading axes dropped and some axes of size 1), or the ones asked for."""
    if shape is not None:
        if isinstance(shape, list):
            if len(shape) != k:
                raise ValueError(f"check_op: {len(shape)} shapes given for {k} inputs")
            return [tuple(s) for s in shape]
        return [tuple(shape)] * k
    common = tuple(int(v) for v in rng.integers(1, 4, rng.integers(0, 4)))
    shapes = []
    for _ in range(k):
        dropped = int(rng.integers(0, len(common) + 1)) if k > 1 else 0
        own = [1 if k > 1 and rng.random() < 0.3 else n for n in common[dropped:]]
        shapes.append(tuple(own))
    shapes[int(rng.integers(0, k))] = common  # one input has the whole shape
    return shapes


def _summed_to(g: np.ndarray, shape: tuple) -> np.ndarray | None:
    """g summed over the axes broadcasting added or stretched (as the engine fits a
    gradient to its input), or None when g cannot come from an input of ``shape``."""
    extra = g.ndim - len(shape)
    if extra < 0 or any(n != 1 and n != m for n, m in zip(shape, g.shape[extra:])):
        return None
    return unbroadcast(g, shape)


def _vjp_numeric(op: Any, point: list, g: np.ndarray, i: int, eps: float, params: dict) -> np.ndarray:
    """d/dx_i of sum(g * forward(...)), element by element, by central differences."""

    def total(*arrays: np.ndarray) -> float:
        out = op.forward(*arrays, **params)
        return float(np.sum(g * (out[0] if op.saves else out)))

    x = point[i]
    grad = np.zeros(x.shape)
    for k in range(x.size):
        h = eps * max(1.0, abs(float(x.flat[k])))
        up, down = x.copy(), x.copy()
        up.flat[k] += h
        down.flat[k] -= h
        grad.flat[k] = (total(*point[:i], up, *point[i + 1:]) - total(*point[:i], down, *point[i + 1:])) / (2 * h)
    return grad


# -- text and JSON -------------------------------------------------------------------


def _point_text(point: list) -> str:
    """``(0.8218, -1.5)`` for numbers; arrays by their shape and numbers, kept short."""
    if all(np.ndim(v) == 0 for v in point):
        return "(" + ", ".join(_value_text(v) for v in point) + ")"
    return "inputs " + ", ".join(_array_text(np.asarray(v)) for v in point)


def _array_text(x: np.ndarray) -> str:
    numbers = np.array2string(x.ravel(), precision=4, threshold=6, separator=", ")
    return f"of shape {x.shape} {numbers}"


def _value_text(v: Any) -> str:
    if v is None:
        return "None"
    if np.ndim(v) == 0:
        return f"{float(v):.6g}"
    return np.array2string(np.asarray(v), precision=4)


def _json_number(x: Any) -> float | None:
    x = float(x)
    return x if math.isfinite(x) else None


def _json_list(x: Any) -> Any:
    if x is None:
        return None
    if isinstance(x, tuple) and all(isinstance(v, int) for v in x):
        return list(x)  # a shape
    return [_json_list(v) if np.ndim(v) else _json_number(v) for v in np.asarray(x, dtype=float)]
