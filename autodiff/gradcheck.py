"""Check analytic gradients against central differences.

numeric d f / d x_i  ~  (f(x + eps e_i) - f(x - eps e_i)) / (2 eps)
"""

from __future__ import annotations

from typing import Any, Callable, Iterator, Sequence

import numpy as np

from . import checks, context
from .engine import grad


class GradcheckError(AssertionError):
    """An analytic gradient disagrees with the central difference. Raised by
    ``check_op``, it carries the whole ``report`` (an ``OpCheckReport``; None otherwise)."""

    def __init__(self, message: str, report: Any = None) -> None:
        super().__init__(message)
        self.report = report


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
    ``fn`` must return a single number (a Value, or a one-element Tensor). Check in float64
    (Values always are): a float32 input's 7 digits are too few for a central difference,
    and a failure on one says so.
    """
    checks.function(fn, "gradcheck", "fn")
    if not isinstance(inputs, (list, tuple)):
        raise TypeError(f"gradcheck: inputs must be a list of Values or Tensors, got {type(inputs).__name__}")
    inputs = checks.nodes(inputs, "gradcheck", "inputs")
    eps = checks.real(eps, "gradcheck", "eps", low=0.0, low_open=True)
    atol = checks.real(atol, "gradcheck", "atol", low=0.0)
    rtol = checks.real(rtol, "gradcheck", "rtol", low=0.0)
    out = fn(*inputs)
    if not hasattr(out, "parents"):
        raise TypeError(f"gradcheck: fn must return a Value or a one-element Tensor, got {type(out).__name__}")
    analytic = grad(out, inputs)
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
        raise GradcheckError("gradient check failed: " + worst[1] + _low_precision_note(inputs, eps))
    return True


def _low_precision_note(inputs: Sequence[Any], eps: float) -> str:
    """Why a check of float32 (or float16) inputs fails for a right gradient too: their
    round-off, about 1e-7 of f, divided by 2 eps, swamps the difference; "" for float64."""
    low = [
        f"input {i} is {dtype}"
        for i, dtype in enumerate(np.asarray(node.data).dtype for node in inputs)
        if dtype.kind == "f" and dtype.itemsize < 8
    ]
    if not low:
        return ""
    return (
        f"; but {', '.join(low)}: too few digits for a central difference with eps={eps:g}, "
        "so the numeric side is mostly round-off; check a float64 copy (x.data.astype(np.float64))"
    )
