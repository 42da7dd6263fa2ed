"""``Optimizer``: the loop every update rule shares, and plain gradient descent θ ← θ - α g.

A parameter is anything with ``.data`` and ``.grad``: a ``Value`` (floats) or a
``Tensor`` (numpy arrays). ``step()`` moves every parameter that has a gradient by its
rule's update (``UpdateRule``, the unified Δθ_t = -α_t φ_t / √(ψ_t + ε)), replacing
``.data`` with a new number or array of the same type and dtype. A subclass says which rule by defining
``rule()``, built afresh at every step from its current hyperparameters, which are plain
attributes: read them, or set them between steps (``opt.lr = 0.01``).

``lr`` is a number or a schedule: a function of the step count, so the k-th update
(k = 0, 1, ...) uses ``lr(k)``, PyTorch's convention. ``state[p]`` holds what the rule
remembers for parameter p (PyTorch's buffer names, and ``step``, how many updates p has had).

Bad input is refused before anything moves: a step that raises has changed no parameter.
"""

from __future__ import annotations

import math
import numbers
from typing import Any, Callable, Iterable

import numpy as np

from .ema import decay_rate_problem as decay_rate
from .update_rule import UpdateRule

LearningRate = float | Callable[[int], float]  # a number, or a schedule: lr(k) for the k-th update

# -- checks of hyperparameters: each returns what is wrong with a value, or None --------


def is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def nonnegative(value: Any) -> str | None:
    if not is_number(value) or not math.isfinite(value) or value < 0:
        return f"must be a finite number >= 0, got {value!r}"
    return None


def decay_rates(value: Any) -> str | None:
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        return f"must be a pair of numbers in [0, 1), got {value!r}"
    for i, beta in enumerate(value):
        if decay_rate(beta) is not None:
            return f"must be a pair of numbers in [0, 1), got {value!r} (item {i} is out of range)"
    return None


def flag(value: Any) -> str | None:
    return None if isinstance(value, bool) else f"must be True or False, got {value!r}"


def one_of(*choices: str) -> Callable[[Any], str | None]:
    """A check that the value is one of ``choices``."""

    def check(value: Any) -> str | None:
        return None if value in choices else f"must be one of {', '.join(map(repr, choices))}, got {value!r}"

    return check


# -- parameters ------------------------------------------------------------------------


def parameter_list(params: Any, owner: str) -> list:
    """``params`` as a list, after checking each item is a parameter (has .data and .grad)."""
    if hasattr(params, "data") and hasattr(params, "grad"):
        raise TypeError(f"{owner}: params must be a list of parameters, not one parameter: use [p]")
    if isinstance(params, dict):
        raise TypeError(
            f"{owner}: params is a dict, whose items are its keys; pass the parameters themselves "
            "(model.parameters(), or list(params.values()))"
        )
    if isinstance(params, (str, bytes, np.ndarray)):
        raise TypeError(
            f"{owner}: params must be an iterable of parameters (such as model.parameters()), "
            f"got {type(params).__name__}"
        )
    try:
        params = list(params)
    except TypeError:
        raise TypeError(
            f"{owner}: params must be an iterable of parameters (such as model.parameters()), "
            f"got {type(params).__name__}"
        ) from None
    if not params:
        raise ValueError(f"{owner}: params is an empty parameter list: there is nothing to optimize")
    seen: set[int] = set()
    for i, p in enumerate(params):
        if isinstance(p, dict):
            raise TypeError(
                f"{owner}: params[{i}] is a dict: PyTorch's parameter groups are not supported here; "
                "make one optimizer per group, each with its own settings"
            )
        if not (hasattr(p, "data") and hasattr(p, "grad")):
            raise TypeError(
                f"{owner}: params[{i}] is a {type(p).__name__} without .data and .grad; "
                "pass Values or Tensors (model.parameters())"
            )
        if getattr(p, "parents", ()):
            op = getattr(p, "op", "") or "an op"
            raise ValueError(
                f"{owner}: params[{i}]{_label(p)} is not a leaf: it was computed by {op} from other "
                "nodes, which changing its data would not change; pass the leaves it came from "
                "(PyTorch: can't optimize a non-leaf Tensor)"
            )
        if id(p) in seen:
            raise ValueError(f"{owner}: params[{i}] appears twice in the list; it would be updated twice")
        seen.add(id(p))
    return params


def gradient_problem(grad: Any) -> str | None:
    """What is wrong with ``grad`` as a parameter's gradient (None if it is a real number or a
    numpy array of real numbers; lists, strings and complex numbers are refused)."""
    if isinstance(grad, np.ndarray):
        if grad.dtype.kind not in "fiu":
            return f"is an array of dtype {grad.dtype}; it must hold real numbers"
        return None
    if is_number(grad):
        return None
    shown = repr(grad) if len(repr(grad)) <= 40 else repr(grad)[:37] + "..."
    return f"is a {type(grad).__name__} ({shown}); it must be a number or a numpy array of real numbers"


def _label(p: Any) -> str:
    label = getattr(p, "label", "")
    return f" ({label!r})" if isinstance(label, str) and label else ""


def parameter_name(i: int, p: Any) -> str:
    """``parameter i``, with the parameter's label when it has one."""
    return f"parameter {i}{_label(p)}"


def same_type_as(value: Any, like: Any) -> Any:
    """``value`` as ``like``'s type: an array of its dtype, or a Python float."""
    if isinstance(like, np.ndarray):
        return np.asarray(value, dtype=like.dtype)
    return float(value)


class Optimizer:
    """Plain gradient descent, θ ← θ - α g, and the base class of every update rule.

    >>> from autodiff import Value
    >>> x = Value(3.0)
    >>> opt = Optimizer([x], lr=0.25)
    >>> (x * x).backward()        # dx = 2x = 6
    >>> opt.step(); x.data        # 3 - 0.25 * 6
    1.5
    """

    # the optimizer's hyperparameters besides lr, each with its check; subclasses set their own
    checks: dict[str, Callable[[Any], str | None]] = {}

    def __init__(self, params: Iterable[Any], lr: LearningRate, **hyperparameters: Any) -> None:
        self.params = parameter_list(params, type(self).__name__)
        self.lr = lr
        for name, value in hyperparameters.items():
            setattr(self, name, value)
        self.state: dict[Any, dict] = {p: {} for p in self.params}
        self.step_count = 0  # updates done so far: the next one is update k = step_count
        self.check_hyperparameters()

    @property
    def hyperparameters(self) -> dict[str, Any]:
        """The current settings, by name (``lr`` first)."""
        return {"lr": self.lr, **{name: getattr(self, name) for name in self.checks}}

    def check_hyperparameters(self) -> None:
        """Raise ValueError naming the first setting that is out of range."""
        name = type(self).__name__
        if not callable(self.lr) and nonnegative(self.lr) is not None:
            raise ValueError(
                f"{name}: lr must be a finite number >= 0 or a schedule (a function of the step), "
                f"got {self.lr!r}"
            )
        for hyperparameter, check in self.checks.items():
            problem = check(getattr(self, hyperparameter))
            if problem is not None:
                raise ValueError(f"{name}: {hyperparameter} {problem}")

    def learning_rate(self, k: int) -> float:
        """α for the k-th update (k = 0, 1, ...): ``lr``, or ``lr(k)`` for a schedule."""
        lr = self.lr(k) if callable(self.lr) else self.lr
        problem = nonnegative(lr)
        if problem is not None:
            raise ValueError(f"{type(self).__name__}: the learning rate of update {k} {problem}")
        return float(lr)

    def rule(self) -> UpdateRule:
        """The update this optimizer applies (here φ = g, ψ = 1: plain gradient descent)."""
        return UpdateRule()

    def evaluate(self, closure: Callable[[], Any] | None) -> Any:
        """Run ``closure`` (if given) to recompute the loss and gradients; return the loss."""
        if closure is None:
            return None
        if not callable(closure):
            owner = type(self).__name__
            raise TypeError(f"{owner}.step: closure must be a function, got {type(closure).__name__}")
        return closure()

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One update of every parameter that has a gradient (PyTorch skips those whose grad is None).

        ``closure``, optional here, is a function that zeroes the gradients, recomputes
        the loss, calls ``backward()`` and returns the loss; ``step`` returns that loss.
        """
        self.check_hyperparameters()
        k = self.step_count
        lr = self.learning_rate(k)
        loss = self.evaluate(closure)
        self._check_gradients()
        rule = self.rule()
        for p in self.params:
            if p.grad is None:
                continue
            state = self.state[p]
            state["step"] = t = state.get("step", 0) + 1
            p.data = same_type_as(rule.update(p.data, p.grad, state, lr, t), p.data)
        self.step_count = k + 1
        return loss

    def _check_gradients(self) -> None:
        for i, p in enumerate(self.params):
            if p.grad is None:
                continue
            problem = gradient_problem(p.grad)
            if problem is not None:
                raise TypeError(f"{type(self).__name__}: the gradient of {parameter_name(i, p)} {problem}")
            if np.shape(p.grad) != np.shape(p.data):
                raise ValueError(
                    f"{type(self).__name__}: {parameter_name(i, p)} has data of shape {np.shape(p.data)} "
                    f"but a gradient of shape {np.shape(p.grad)}"
                )

    def zero_grad(self) -> None:
        """Reset every gradient as ``Module.zero_grad`` does: scalars to 0.0, arrays to None."""
        for p in self.params:
            p.grad = None if isinstance(p.data, np.ndarray) else 0.0

    def __repr__(self) -> str:
        settings = ", ".join(f"{name}={value!r}" for name, value in self.hyperparameters.items())
        return f"{type(self).__name__}({len(self.params)} parameters, {settings})"
