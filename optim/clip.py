"""Gradient clipping (the lecture on parameter tuning): keep one bad batch's huge gradient
from throwing θ far away.

    by value:  g ← max(min(g, b), a)                  each coordinate into [a, b]
    by norm:   g ← (b / ‖g‖) g   when ‖g‖ > b        the direction kept, the length capped

Clipping by norm comes in two kinds: ``clip_grad_norm_`` takes one norm over all the
gradients together (as if they were one long vector, PyTorch's semantics), so every
gradient shrinks by the same factor and the overall direction is kept;
``clip_grad_norm_per_param_`` caps each parameter's gradient on its own.

Call them between ``backward()`` and ``optimizer.step()``. They replace each ``p.grad``
with a new number or array (the engine never changes a gradient in place, since one
gradient object may be shared). Parameters whose grad is None are left alone.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from autodiff import checks

from .optimizer import gradient_problem, is_number, nonnegative, parameter_name, same_type_as

# PyTorch's guard: the scale is max_norm / (‖g‖ + 1e-6), so a norm of 0 divides nothing by 0
NORM_GUARD = 1e-6


def _with_grads(params: Any, owner: str) -> list:
    """The parameters (one, or an iterable of them) that have a gradient."""
    if hasattr(params, "grad"):
        params = [params]
    if isinstance(params, (np.ndarray, dict)) or not checks.collection(params):
        raise TypeError(f"{owner}: params must be a parameter or an iterable of them, got {type(params).__name__}")
    params = list(params)
    for i, p in enumerate(params):
        if not hasattr(p, "grad"):
            raise TypeError(f"{owner}: params[{i}] is a {type(p).__name__} without .grad")
        problem = None if p.grad is None else gradient_problem(p.grad)
        if problem is not None:
            raise TypeError(f"{owner}: the gradient of {parameter_name(i, p)} {problem}")
    return [p for p in params if p.grad is not None]


def _check_max_norm(max_norm: Any, norm_type: Any, owner: str) -> None:
    problem = nonnegative(max_norm)
    if problem is not None:
        raise ValueError(f"{owner}: max_norm {problem}")
    if not is_number(norm_type) or not (norm_type == math.inf or (nonnegative(norm_type) is None and norm_type > 0)):
        raise ValueError(f"{owner}: norm_type must be a number > 0 or math.inf, got {norm_type!r}")


def _norm(grad: Any, norm_type: float) -> float:
    """‖g‖_p of one gradient, all its entries taken as one vector."""
    return float(np.linalg.norm(np.ravel(grad), norm_type))


def _clip_factor(norm: float, max_norm: float) -> float:
    """The factor that brings a gradient of this norm down to max_norm (1.0 if it is short enough;
    nan for a nan norm, as in PyTorch)."""
    return float(np.minimum(1.0, max_norm / (norm + NORM_GUARD)))


def _interval(clip_value: Any, owner: str) -> tuple[float, float]:
    """(a, b) from b (the interval [-b, b]) or from the pair (a, b)."""
    if isinstance(clip_value, (tuple, list)) and len(clip_value) == 2:
        low, high = clip_value
    elif nonnegative(clip_value) is None:
        low, high = -clip_value, clip_value
    else:
        raise ValueError(f"{owner}: clip_value must be a number b >= 0 or a pair (a, b), got {clip_value!r}")
    if not (is_number(low) and is_number(high)):
        raise TypeError(f"{owner}: clip_value must be a number b >= 0 or a pair of numbers (a, b), got {clip_value!r}")
    if not low <= high:  # nan too
        raise ValueError(f"{owner}: clip_value (a, b) must be two numbers with a <= b, got {clip_value!r}")
    return low, high


def clip_grad_value_(params: Any, clip_value: float | tuple[float, float]) -> None:
    """Clip every gradient coordinate into [-b, b] (``clip_value=b``, PyTorch) or [a, b] (``(a, b)``)."""
    low, high = _interval(clip_value, "clip_grad_value_")
    for p in _with_grads(params, "clip_grad_value_"):
        p.grad = same_type_as(np.maximum(np.minimum(p.grad, high), low), p.grad)


def clip_grad_norm_(
    params: Any, max_norm: float, norm_type: float = 2.0, error_if_nonfinite: bool = False
) -> float:
    """Scale all gradients by one factor so that their global norm is at most ``max_norm``.

    ‖g‖ = ‖(‖g_1‖, ‖g_2‖, ...)‖, the ``norm_type``-norm of all gradients together (math.inf
    for the largest entry). If ‖g‖ > max_norm, every g_i ← g_i · max_norm / (‖g‖ + 1e-6).
    Returns ‖g‖ before clipping, as PyTorch does; ``error_if_nonfinite`` raises if it is
    nan or inf instead of scaling by nan or 0.
    """
    owner = "clip_grad_norm_"
    _check_max_norm(max_norm, norm_type, owner)
    if not isinstance(error_if_nonfinite, (bool, np.bool_)):
        raise TypeError(f"{owner}: error_if_nonfinite must be True or False, got {error_if_nonfinite!r}")
    params = _with_grads(params, owner)
    if not params:
        return 0.0
    total = _norm([_norm(p.grad, norm_type) for p in params], norm_type)
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(
            f"{owner}: the total {norm_type}-norm of the gradients is {total}; "
            "clipping would turn the gradients into nan (pass error_if_nonfinite=False to do it anyway)"
        )
    _scale(params, _clip_factor(total, max_norm))
    return total


def clip_grad_norm_per_param_(params: Any, max_norm: float, norm_type: float = 2.0) -> list[float]:
    """Scale each gradient on its own so that its norm is at most ``max_norm``.

    g_i ← g_i · max_norm / (‖g_i‖ + 1e-6) for each ‖g_i‖ > max_norm. Returns each
    gradient's norm before clipping (of the parameters that have a gradient).
    """
    owner = "clip_grad_norm_per_param_"
    _check_max_norm(max_norm, norm_type, owner)
    norms = []
    for p in _with_grads(params, owner):
        norm = _norm(p.grad, norm_type)
        _scale([p], _clip_factor(norm, max_norm))
        norms.append(norm)
    return norms


def _scale(params: list, factor: float) -> None:
    if factor != 1.0:
        for p in params:
            p.grad = p.grad * factor
